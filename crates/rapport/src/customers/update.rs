use crate::app::App;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{AuthAgent, Json, Path};
use axum::extract::State;
use rapport_domain::{Customer, Role};
use serde::Deserialize;
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateCustomer {
    /// The relationship owner; `null` for none.
    #[serde(deserialize_with = "crate::extract::present")]
    #[schema(value_type = Option<i64>)]
    owner_id: Option<Option<i64>>,
    /// Required when replacing an owner: what the next person needs to know.
    handover_note: Option<String>,
}

/// Name the customer's relationship owner (supervisor or admin, as for an organization).
/// Replacing one needs a hand-over note, which stays in the customer's history.
#[utoipa::path(patch, path = "/api/v1/customers/{id}", tag = "customers", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Customer id")),
    request_body = UpdateCustomer,
    responses((status = 200, body = Customer), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_customer(
    State(app): State<App>,
    auth: AuthAgent,
    Path(id): Path<i64>,
    Json(input): Json<UpdateCustomer>,
) -> ApiResult<Json<Customer>> {
    auth.require(Role::Supervisor, "Changing a customer's owner")?;
    let owner_id = input.owner_id.flatten();
    let customer = app
        .store
        .set_customer_owner(id, owner_id, input.handover_note.as_deref(), auth.actor())
        .await?;
    Ok(Json(customer))
}

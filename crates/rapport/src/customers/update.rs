use crate::app::App;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{AuthAgent, Json, Path};
use axum::extract::State;
use rapport_domain::{Customer, Role};
use rapport_store::customer_details::CustomerChanges;
use serde::Deserialize;
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateCustomer {
    /// The customer's name.
    name: Option<String>,
    /// A phone number; `null` or empty for none.
    #[serde(default, deserialize_with = "crate::extract::present")]
    #[schema(value_type = Option<String>)]
    phone: Option<Option<String>>,
    /// Notes for staff; `null` or empty for none.
    #[serde(default, deserialize_with = "crate::extract::present")]
    #[schema(value_type = Option<String>)]
    notes: Option<Option<String>>,
    /// The organization they belong to; `null` for none.
    #[serde(default, deserialize_with = "crate::extract::present")]
    #[schema(value_type = Option<i64>)]
    organization_id: Option<Option<i64>>,
    /// The relationship owner (supervisor or admin); `null` for none.
    #[serde(default, deserialize_with = "crate::extract::present")]
    #[schema(value_type = Option<i64>)]
    owner_id: Option<Option<i64>>,
    /// Required when replacing an owner: what the next person needs to know.
    handover_note: Option<String>,
}

/// Change a customer: name, phone, notes and organization (any agent); the relationship owner
/// (supervisor or admin; replacing one needs a hand-over note, which stays in the customer's
/// history). Fields left out stay as they are. Addresses have their own routes
/// (`/api/v1/customers/{id}/emails`).
#[utoipa::path(patch, path = "/api/v1/customers/{id}", tag = "customers", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Customer id")),
    request_body = UpdateCustomer,
    responses((status = 200, body = Customer), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "The customer was merged into another", body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_customer(
    State(app): State<App>,
    auth: AuthAgent,
    Path(id): Path<i64>,
    Json(input): Json<UpdateCustomer>,
) -> ApiResult<Json<Customer>> {
    if input.owner_id.is_some() {
        auth.require(Role::Supervisor, "Changing a customer's owner")?;
    }
    let changes = CustomerChanges {
        name: input.name.as_deref(),
        phone: input.phone.as_ref().map(Option::as_deref),
        notes: input.notes.as_ref().map(Option::as_deref),
        organization_id: input.organization_id,
    };
    let mut customer = app.store.update_customer(id, changes, auth.actor()).await?;
    if let Some(owner_id) = input.owner_id {
        customer = app
            .store
            .set_customer_owner(id, owner_id, input.handover_note.as_deref(), auth.actor())
            .await?;
    }
    Ok(Json(customer))
}

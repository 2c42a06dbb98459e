use crate::app::App;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{AuthAgent, Json, Path};
use axum::extract::State;
use rapport_domain::{Customer, Role};
use serde::Deserialize;
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeCustomer {
    /// The duplicate identity to fold into this customer.
    duplicate_id: i64,
}

/// Merge a duplicate customer into this one: addresses, tickets, messages, calls, promises,
/// moments and surveys move; nothing is lost, and the merge is audited. Needs the supervisor or
/// admin role.
#[utoipa::path(post, path = "/api/v1/customers/{id}/merge", tag = "customers", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The customer to keep")),
    request_body = MergeCustomer,
    responses((status = 200, body = Customer), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn merge_customer(
    State(app): State<App>,
    auth: AuthAgent,
    Path(id): Path<i64>,
    Json(input): Json<MergeCustomer>,
) -> ApiResult<Json<Customer>> {
    auth.require(Role::Supervisor, "Merging customers")?;
    Ok(Json(
        app.store
            .merge_customers(id, input.duplicate_id, auth.actor())
            .await?,
    ))
}

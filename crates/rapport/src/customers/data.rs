//! A customer's data on request: a copy of everything the portal shows them, and erasure.

use crate::app::App;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{AuthAgent, Json, Path};
use axum::extract::State;
use rapport_domain::Role;
use rapport_store::customer_data::{CustomerData, Erasure};
use serde::Deserialize;
use utoipa::ToSchema;

/// Everything the portal shows a customer (their requests with the public conversation and
/// file names, survey answers, what we promised them, letters), as one document to hand them.
/// Needs the admin role. Customers download the same from the portal (`/portal/my-data`).
#[utoipa::path(get, path = "/api/v1/customers/{id}/data", tag = "customers", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Customer id")),
    responses((status = 200, body = CustomerData), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn export_customer_data(
    State(app): State<App>,
    auth: AuthAgent,
    Path(id): Path<i64>,
) -> ApiResult<Json<CustomerData>> {
    auth.require(Role::Admin, "Exporting a customer's data")?;
    Ok(Json(app.store.customer_data(id).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EraseCustomer {
    /// Why, for the audit trail (e.g. "the customer asked by mail on 2026-12-01").
    reason: String,
}

/// Erase a customer on their request: their name, addresses, words, files and raw mail, and
/// the notes kept about them, are replaced; tickets, messages and events stay (so others'
/// histories and the counts stay whole), and the erasure is in the audit trail. It cannot be
/// undone. Needs the admin role.
#[utoipa::path(post, path = "/api/v1/customers/{id}/erase", tag = "customers", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Customer id")),
    request_body = EraseCustomer,
    responses((status = 200, body = Erasure), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn erase_customer(
    State(app): State<App>,
    auth: AuthAgent,
    Path(id): Path<i64>,
    Json(input): Json<EraseCustomer>,
) -> ApiResult<Json<Erasure>> {
    auth.require(Role::Admin, "Erasing a customer")?;
    Ok(Json(
        app.store
            .erase_customer(id, &input.reason, auth.actor())
            .await?,
    ))
}

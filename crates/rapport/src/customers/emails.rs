//! A customer's addresses: added, removed, made the one we write to. Any agent may change
//! them; an address belongs to one customer, and a customer keeps at least one.

use crate::app::App;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{AuthAgent, Json, Path};
use axum::extract::State;
use axum::http::StatusCode;
use rapport_domain::Customer;
use serde::Deserialize;
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddEmail {
    email: String,
    /// Make it the address we write to (the first in `emails`).
    #[serde(default)]
    primary: bool,
}

/// Add an address to a customer. One that belongs to another customer is refused (409): if
/// they are the same person, merge the two customers.
#[utoipa::path(post, path = "/api/v1/customers/{id}/emails", tag = "customers", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Customer id")),
    request_body = AddEmail,
    responses((status = 201, body = Customer), (status = 404, body = ErrorBody),
        (status = 409, description = "The address belongs to a customer already", body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn add_email(
    State(app): State<App>,
    auth: AuthAgent,
    Path(id): Path<i64>,
    Json(input): Json<AddEmail>,
) -> ApiResult<(StatusCode, Json<Customer>)> {
    let customer = app
        .store
        .add_customer_email(id, &input.email, input.primary, auth.actor())
        .await?;
    Ok((StatusCode::CREATED, Json(customer)))
}

/// Remove one of a customer's addresses. Their only address stays (409): add the new one
/// first. Removing the primary address makes the oldest one left primary.
#[utoipa::path(delete, path = "/api/v1/customers/{id}/emails/{address}", tag = "customers", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Customer id"), ("address" = String, Path, description = "The address")),
    responses((status = 200, body = Customer), (status = 404, body = ErrorBody),
        (status = 409, description = "It is the customer's only address", body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn remove_email(
    State(app): State<App>,
    auth: AuthAgent,
    Path((id, address)): Path<(i64, String)>,
) -> ApiResult<Json<Customer>> {
    let customer = app
        .store
        .remove_customer_email(id, &address, auth.actor())
        .await?;
    Ok(Json(customer))
}

/// Make one of a customer's addresses the one we write to.
#[utoipa::path(post, path = "/api/v1/customers/{id}/emails/{address}/primary", tag = "customers", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Customer id"), ("address" = String, Path, description = "The address")),
    responses((status = 200, body = Customer), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn make_primary(
    State(app): State<App>,
    auth: AuthAgent,
    Path((id, address)): Path<(i64, String)>,
) -> ApiResult<Json<Customer>> {
    let customer = app
        .store
        .make_email_primary(id, &address, auth.actor())
        .await?;
    Ok(Json(customer))
}

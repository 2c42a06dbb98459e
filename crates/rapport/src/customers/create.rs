use crate::app::App;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{AuthAgent, Json};
use axum::extract::State;
use axum::http::StatusCode;
use rapport_domain::Customer;
use serde::Deserialize;
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCustomer {
    name: String,
    email: String,
}

/// Create a customer with one email address. A customer whose address is at an organization's
/// domain joins that organization.
#[utoipa::path(post, path = "/api/v1/customers", tag = "customers", security(("bearer" = [])),
    request_body = CreateCustomer,
    responses(
        (status = 201, body = Customer),
        (status = 409, description = "The address belongs to another customer", body = ErrorBody),
        (status = 422, body = ErrorBody),
    ))]
pub async fn create_customer(
    State(app): State<App>,
    auth: AuthAgent,
    Json(input): Json<CreateCustomer>,
) -> ApiResult<(StatusCode, Json<Customer>)> {
    let customer = app
        .store
        .create_customer(&input.name, &input.email, auth.actor())
        .await?;
    Ok((StatusCode::CREATED, Json(customer)))
}

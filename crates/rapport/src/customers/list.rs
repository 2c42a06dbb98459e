use crate::app::App;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{AuthAgent, Json, Query};
use axum::extract::State;
use rapport_domain::Customer;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct CustomerQuery {
    /// Find the customer who owns this address.
    email: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct CustomerList {
    items: Vec<Customer>,
}

/// Look a customer up by email address. The list is empty when nobody has the address.
#[utoipa::path(get, path = "/api/v1/customers", tag = "customers", security(("bearer" = [])),
    params(CustomerQuery),
    responses((status = 200, body = CustomerList), (status = 400, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_customers(
    State(app): State<App>,
    _auth: AuthAgent,
    Query(query): Query<CustomerQuery>,
) -> ApiResult<Json<CustomerList>> {
    let Some(email) = query.email else {
        return Err(ApiError::bad_request(
            "missing_filter",
            "Say which customer to find, for example /api/v1/customers?email=ana@example.com.",
        ));
    };
    let items = app
        .store
        .customer_by_email(&email)
        .await?
        .into_iter()
        .collect();
    Ok(Json(CustomerList { items }))
}

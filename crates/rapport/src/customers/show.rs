use crate::app::App;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{AuthAgent, Json, Path};
use axum::extract::State;
use rapport_domain::Customer;

/// One customer.
#[utoipa::path(get, path = "/api/v1/customers/{id}", tag = "customers", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Customer id")),
    responses((status = 200, body = Customer), (status = 404, body = ErrorBody)))]
pub async fn show_customer(
    State(app): State<App>,
    _auth: AuthAgent,
    Path(id): Path<i64>,
) -> ApiResult<Json<Customer>> {
    Ok(Json(app.store.customer(id).await?))
}

use crate::app::App;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{AuthAgent, Json, Path};
use axum::extract::State;
use rapport_store::health::Health;

/// A customer's relationship health: score, band, the factors that moved it (each with its
/// points and a sentence), and its history. See docs/health.md for the model.
#[utoipa::path(get, path = "/api/v1/customers/{id}/health", tag = "customers", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Customer id")),
    responses((status = 200, body = Health), (status = 404, body = ErrorBody)))]
pub async fn customer_health(
    State(app): State<App>,
    _auth: AuthAgent,
    Path(id): Path<i64>,
) -> ApiResult<Json<Health>> {
    Ok(Json(app.store.customer_health(id).await?))
}

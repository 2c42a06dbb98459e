use crate::app::App;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{AuthAgent, Json, Path};
use axum::extract::State;
use rapport_store::health::Health;

/// An organization's relationship health: the average of its customers'.
#[utoipa::path(get, path = "/api/v1/organizations/{id}/health", tag = "organizations", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Organization id")),
    responses((status = 200, body = Health), (status = 404, body = ErrorBody)))]
pub async fn organization_health(
    State(app): State<App>,
    _auth: AuthAgent,
    Path(id): Path<i64>,
) -> ApiResult<Json<Health>> {
    Ok(Json(app.store.organization_health(id).await?))
}

use crate::app::App;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{AuthAgent, Json, Path};
use axum::extract::State;
use rapport_domain::Organization;

/// One organization.
#[utoipa::path(get, path = "/api/v1/organizations/{id}", tag = "organizations", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Organization id")),
    responses((status = 200, body = Organization), (status = 404, body = ErrorBody)))]
pub async fn show_organization(
    State(app): State<App>,
    _auth: AuthAgent,
    Path(id): Path<i64>,
) -> ApiResult<Json<Organization>> {
    Ok(Json(app.store.organization(id).await?))
}

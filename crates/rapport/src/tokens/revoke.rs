use crate::app::App;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{AuthAgent, Path};
use axum::extract::State;
use axum::http::StatusCode;
use rapport_domain::Role;

/// Revoke an API token: it stops working at once. Your own tokens; an admin may revoke
/// anyone's. Another agent's token is not found for anyone else.
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "tokens", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Token id")),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn revoke_token(
    State(app): State<App>,
    auth: AuthAgent,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    let owner = (!auth.0.role.includes(Role::Admin)).then_some(auth.0.id);
    app.store.revoke_token(auth.actor(), id, owner).await?;
    Ok(StatusCode::NO_CONTENT)
}

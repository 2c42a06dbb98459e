//! An admin resets an agent's two-factor sign-in: for a lost phone with lost recovery codes.

use crate::app::App;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{AuthAgent, Path};
use axum::extract::State;
use axum::http::StatusCode;
use rapport_domain::Role;

/// Turn an agent's two-factor sign-in off (admins only), so that they can sign in with the
/// password alone, or set it up again at their next sign-in if the workspace requires it.
#[utoipa::path(delete, path = "/api/v1/agents/{id}/two-factor", tag = "agents", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The agent")),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn reset_two_factor(
    State(app): State<App>,
    auth: AuthAgent,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    auth.require(Role::Admin, "Resetting an agent's two-factor sign-in")?;
    app.store.reset_two_factor(auth.actor(), id).await?;
    Ok(StatusCode::NO_CONTENT)
}

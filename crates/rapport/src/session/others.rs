//! Ending an agent's other sessions, and changing the password (which ends them too).

use super::{ClientIp, session_from};
use crate::app::App;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{AuthAgent, Json};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The browser session the request came with, if it did not come with a token: the one to keep.
fn current_session(headers: &HeaderMap) -> Option<String> {
    if headers.contains_key(header::AUTHORIZATION) {
        return None;
    }
    session_from(headers)
}

#[derive(Serialize, ToSchema)]
pub struct SessionsEnded {
    /// How many browser sessions ended.
    sessions_ended: u64,
}

/// Sign out everywhere else: ends every browser session of the signed-in agent except the one
/// asking (with a token, all of them). API tokens are revoked one by one at `/api/v1/tokens`.
#[utoipa::path(post, path = "/api/v1/session/end-others", tag = "session", security(("bearer" = [])),
    responses((status = 200, body = SessionsEnded), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn end_other_sessions(
    State(app): State<App>,
    headers: HeaderMap,
    auth: AuthAgent,
) -> ApiResult<Json<SessionsEnded>> {
    let keep = current_session(&headers);
    let sessions_ended = app
        .store
        .end_other_sessions(auth.actor(), auth.0.id, keep.as_deref())
        .await?;
    Ok(Json(SessionsEnded { sessions_ended }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    current_password: String,
    /// At least 10 characters.
    new_password: String,
}

/// Change your password, giving the current one. Every other browser session of yours ends;
/// this one (if the request came from a browser) stays signed in.
#[utoipa::path(post, path = "/api/v1/me/password", tag = "session", security(("bearer" = [])),
    request_body = PasswordChange,
    responses((status = 200, body = SessionsEnded), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, description = "Too many wrong current passwords from this client: try again later", body = ErrorBody)))]
pub async fn change_password(
    State(app): State<App>,
    ClientIp(client): ClientIp,
    headers: HeaderMap,
    auth: AuthAgent,
    Json(input): Json<PasswordChange>,
) -> ApiResult<Json<SessionsEnded>> {
    // Guessing the current password from a stolen session is limited like signing in.
    let attempt = app
        .sign_ins
        .reserve(&auth.0.email, client)
        .await?
        .map_err(|refused| {
            ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_attempts",
                refused.message(),
            )
        })?;
    let keep = current_session(&headers);
    let ended = app
        .store
        .change_password(
            auth.0.id,
            &input.current_password,
            &input.new_password,
            keep.as_deref(),
        )
        .await?;
    let Some(sessions_ended) = ended else {
        // The try stays counted as a failure.
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "wrong_password",
            "The current password is not right, so the password was not changed.",
        ));
    };
    app.sign_ins.succeeded(attempt).await?;
    Ok(Json(SessionsEnded { sessions_ended }))
}

use super::{COOKIE, session_from};
use crate::app::App;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::AuthAgent;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// Sign out: ends the session and clears the cookie.
#[utoipa::path(delete, path = "/api/v1/session", tag = "session",
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn sign_out(
    State(app): State<App>,
    headers: HeaderMap,
    _auth: AuthAgent,
) -> ApiResult<Response> {
    if let Some(session) = session_from(&headers) {
        app.store.end_session(&session).await?;
    }
    let cleared = format!("{COOKIE}=; HttpOnly; SameSite=Lax; Path=/; Max-Age=0");
    let mut response = StatusCode::NO_CONTENT.into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&cleared).map_err(ApiError::internal)?,
    );
    Ok(response)
}

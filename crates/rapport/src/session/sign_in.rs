use super::{COOKIE, ClientIp, csrf_token, session_from};
use crate::app::App;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{AuthAgent, Json};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rapport_domain::Agent;
use rapport_store::auth::{SESSION_IDLE_SECONDS, SignInVia};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignIn {
    email: String,
    password: String,
}

#[derive(Serialize, ToSchema)]
pub struct Session {
    agent: Agent,
    /// Send as `X-CSRF-Token` with every request that changes something.
    csrf_token: String,
}

/// Sign in with email and password. Sets an HttpOnly, SameSite session cookie (Secure over
/// HTTPS) and returns the CSRF token. After repeated failures for one address from one client,
/// that client is refused for a while (429); other clients are not.
/// With two-factor sign-in (or when the workspace requires it) the answer is 202 with a
/// pending token instead, and the sign-in completes at `POST /api/v1/session/two-factor`.
#[utoipa::path(post, path = "/api/v1/session", tag = "session",
    request_body = SignIn,
    responses((status = 200, body = Session), (status = 202, body = crate::two_factor::SecondStepNeeded), (status = 401, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn sign_in(
    State(app): State<App>,
    ClientIp(client): ClientIp,
    headers: HeaderMap,
    Json(input): Json<SignIn>,
) -> ApiResult<Response> {
    let attempt = app
        .sign_ins
        .reserve(&input.email, client)
        .await?
        .map_err(|refused| {
            ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_attempts",
                refused.message(),
            )
        })?;
    let Some(agent) = app
        .store
        .verify_agent_password(&input.email, &input.password)
        .await?
    else {
        app.store
            .record_failed_sign_in(&input.email, SignInVia::Api)
            .await?;
        return Err(ApiError::unauthenticated(
            "sign_in_failed",
            "That email and password do not match an agent.",
        ));
    };
    // The password was right: the client's failures are forgiven; the code has its own count.
    app.sign_ins.succeeded(attempt).await?;
    if let Some(second_step) = crate::two_factor::after_password(&app, &agent).await? {
        return Ok(second_step);
    }
    let session = app.store.create_session(agent.id, SignInVia::Api).await?;
    let mut response = Json(Session {
        csrf_token: csrf_token(&session),
        agent,
    })
    .into_response();
    let cookie = super::session_cookie(&app, &headers, COOKIE, &session, SESSION_IDLE_SECONDS);
    response.headers_mut().insert(header::SET_COOKIE, cookie);
    Ok(response)
}

/// The signed-in agent and the session's CSRF token.
#[utoipa::path(get, path = "/api/v1/session", tag = "session",
    responses((status = 200, body = Session), (status = 401, body = ErrorBody)))]
pub async fn show_session(headers: HeaderMap, auth: AuthAgent) -> ApiResult<Json<Session>> {
    let session = session_from(&headers).ok_or_else(|| {
        ApiError::unauthenticated(
            "unauthenticated",
            "There is no browser session; sign in first.",
        )
    })?;
    Ok(Json(Session {
        agent: auth.0,
        csrf_token: csrf_token(&session),
    }))
}

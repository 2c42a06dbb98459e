//! The second step of a sign-in: after a right password, an agent with two-factor sign-in
//! gives a code; an agent the workspace requires it of, who has not set it up, sets it up now
//! (the password step answered with the secret) and gives its first code.

use super::{reserve, succeeded, too_many};
use crate::app::App;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::Json;
use crate::session::{COOKIE, ClientIp, csrf_token, session_cookie};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rapport_domain::Agent;
use rapport_domain::two_factor::SecondStep;
use rapport_store::auth::{SESSION_IDLE_SECONDS, SignInVia};
use rapport_store::two_factor::{Enrollment, SecondStepOutcome};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The answer of `POST /api/v1/session` (202) when the password was right and a second step
/// is needed.
#[derive(Serialize, ToSchema)]
pub struct SecondStepNeeded {
    /// `code`: send the code from your authenticator app (or a recovery code). `enroll`: the
    /// workspace requires two-factor sign-in; add `enrollment.secret` to an authenticator app,
    /// then send its code. Either way to `POST /api/v1/session/two-factor`.
    second_step: SecondStep,
    /// Send it with the code; it works for 5 minutes and a few attempts.
    pending_token: String,
    expires_at: String,
    /// For `enroll`: the secret to add to the app, as text and as an `otpauth://` address.
    #[serde(skip_serializing_if = "Option::is_none")]
    enrollment: Option<Enrollment>,
    message: &'static str,
}

/// When the agent whose password was right needs a second step: begins it and returns the
/// answer for `POST /api/v1/session`. `None`: sign the agent in now.
pub async fn after_password(app: &App, agent: &Agent) -> ApiResult<Option<Response>> {
    let Some(step) = app.store.second_step_for(agent.id).await? else {
        return Ok(None);
    };
    let pending = app
        .store
        .begin_second_step(agent, step, SignInVia::Api)
        .await?;
    let message = match step {
        SecondStep::Code => {
            "The password is right. Send the 6-digit code from your authenticator app (or a recovery code) with `pending_token` to POST /api/v1/session/two-factor."
        }
        SecondStep::Enroll => {
            "The password is right, and this workspace requires two-factor sign-in. Add the secret in `enrollment` to an authenticator app, then send the code it shows with `pending_token` to POST /api/v1/session/two-factor."
        }
    };
    let answer = SecondStepNeeded {
        second_step: step,
        pending_token: pending.token,
        expires_at: pending.expires_at,
        enrollment: pending.enrollment,
        message,
    };
    Ok(Some((StatusCode::ACCEPTED, Json(answer)).into_response()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CodeStep {
    /// From the answer of `POST /api/v1/session`.
    pending_token: String,
    /// The 6 digits the app shows now, or an unused recovery code (such as `abcde-fghij`).
    code: String,
}

#[derive(Serialize, ToSchema)]
pub struct SignedInWithCode {
    agent: Agent,
    /// Send as `X-CSRF-Token` with every request that changes something.
    csrf_token: String,
    /// When two-factor sign-in was set up just now: 10 single-use codes for when the app is
    /// not at hand. Shown this once; keep them somewhere safe.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    recovery_codes: Vec<String>,
}

/// Complete a sign-in with the code from your authenticator app, or a recovery code (each
/// works once). Sets the session cookie and returns the CSRF token, as `POST /api/v1/session`
/// does without two-factor sign-in. Wrong codes count as failed sign-ins for the address.
#[utoipa::path(post, path = "/api/v1/session/two-factor", tag = "session",
    request_body = CodeStep,
    responses((status = 200, body = SignedInWithCode), (status = 401, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn complete_sign_in(
    State(app): State<App>,
    ClientIp(client): ClientIp,
    headers: HeaderMap,
    Json(input): Json<CodeStep>,
) -> ApiResult<Response> {
    let expired = || {
        ApiError::unauthenticated(
            "sign_in_expired",
            "This sign-in has ended (after 5 minutes or too many wrong codes); sign in with your password again.",
        )
    };
    let Some(pending) = app.store.pending_sign_in(&input.pending_token).await? else {
        return Err(expired());
    };
    let attempt = reserve(&app, &pending.agent.email, client)
        .await?
        .map_err(too_many)?;
    match app
        .store
        .complete_second_step(&input.pending_token, &input.code)
        .await?
    {
        SecondStepOutcome::SignedIn {
            agent,
            session,
            recovery_codes,
        } => {
            succeeded(&app, attempt).await?;
            let mut response = Json(SignedInWithCode {
                csrf_token: csrf_token(&session),
                agent,
                recovery_codes,
            })
            .into_response();
            let cookie = session_cookie(&app, &headers, COOKIE, &session, SESSION_IDLE_SECONDS);
            response.headers_mut().insert(header::SET_COOKIE, cookie);
            Ok(response)
        }
        SecondStepOutcome::Refused { refusal, .. } => {
            Err(ApiError::unauthenticated(refusal.code(), refusal.explain()))
        }
        SecondStepOutcome::Expired => Err(expired()),
    }
}

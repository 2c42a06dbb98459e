//! The credential of mail intake. Posting mail writes in a customer's name, so it takes a
//! token of its own (`rapport admin create-intake-token`), which can do nothing else; agents'
//! tokens and sessions are refused here.

use crate::app::App;
use crate::error::ApiError;
use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;

/// A request carrying a live mail intake token as `Authorization: Bearer <token>`.
pub struct MailIntake;

/// What to do instead, said in every refusal.
const NEEDED: &str = "Posting mail needs a mail intake token as `Authorization: Bearer <token>`; \
     an admin creates one with `rapport admin create-intake-token`.";

impl FromRequestParts<App> for MailIntake {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, ApiError> {
        let token = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| {
                value
                    .strip_prefix("Bearer ")
                    .or_else(|| value.strip_prefix("bearer "))
            })
            .map(str::trim)
            .filter(|token| !token.is_empty());
        let Some(token) = token else {
            if let Some(session) = crate::session::session_from(&parts.headers)
                && app.store.agent_for_session(&session).await?.is_some()
            {
                return Err(agents_may_not_post());
            }
            return Err(ApiError::unauthenticated("unauthenticated", NEEDED));
        };
        if app.store.is_intake_token(token).await? {
            return Ok(MailIntake);
        }
        if app.store.agent_for_token(token).await?.is_some() {
            return Err(agents_may_not_post());
        }
        Err(ApiError::unauthenticated(
            "invalid_token",
            format!("This token is not valid: it may have been mistyped or revoked. {NEEDED}"),
        ))
    }
}

fn agents_may_not_post() -> ApiError {
    ApiError::new(
        axum::http::StatusCode::FORBIDDEN,
        "intake_token_needed",
        format!(
            "An agent's token or session cannot post mail, which would be written in a customer's name. {NEEDED}"
        ),
    )
}

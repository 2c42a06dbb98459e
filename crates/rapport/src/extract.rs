//! Extractors whose rejections are our [`ApiError`], so malformed input gets the same envelope
//! and a message that says what was wrong, plus the authenticated agent.

use crate::app::App;
use crate::error::ApiError;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use rapport_domain::{Actor, Agent, Role};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// A JSON request body or response.
pub struct Json<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Json<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let is_json = request
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.split(';').next())
            .is_some_and(|mime| {
                let mime = mime.trim().to_ascii_lowercase();
                mime == "application/json"
                    || (mime.starts_with("application/") && mime.ends_with("+json"))
            });
        if !is_json {
            return Err(ApiError::new(
                axum::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "Send the request body as JSON with the header `Content-Type: application/json`.",
            ));
        }
        let bytes = axum::body::Bytes::from_request(request, state)
            .await
            .map_err(|rejection| {
                ApiError::new(rejection.status(), "unreadable_body", rejection.body_text())
            })?;
        // Every request body here is an object; serde would also take a struct written as an
        // array (`[1, 2]`), which nobody means.
        let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
        if first.is_some_and(|b| *b != b'{')
            && serde_json::from_slice::<serde_json::Value>(&bytes).is_ok()
        {
            return Err(ApiError::invalid(
                "The request body must be a JSON object, such as {\"subject\": \"...\"}.",
            ));
        }
        match axum::Json::<T>::from_bytes(&bytes) {
            Ok(axum::Json(value)) => Ok(Json(value)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

fn json_rejection(rejection: JsonRejection) -> ApiError {
    use axum::http::StatusCode;
    match rejection {
        JsonRejection::JsonDataError(error) => {
            let detail = error.body_text();
            let detail = detail
                .trim_start_matches("Failed to deserialize the JSON body into the target type: ");
            ApiError::invalid(format!(
                "The request body does not fit this endpoint: {detail}."
            ))
        }
        JsonRejection::JsonSyntaxError(error) => {
            let detail = error.body_text();
            let detail = detail.trim_start_matches("Failed to parse the request body as JSON: ");
            ApiError::bad_request(
                "invalid_json",
                format!("The request body is not valid JSON: {detail}."),
            )
        }
        JsonRejection::MissingJsonContentType(_) => ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "Send the request body as JSON with the header `Content-Type: application/json`.",
        ),
        other => ApiError::new(other.status(), "unreadable_body", other.body_text()),
    }
}

/// A query string.
pub struct Query<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(Query(value)),
            Err(rejection) => Err(query_rejection(rejection)),
        }
    }
}

fn query_rejection(rejection: QueryRejection) -> ApiError {
    let detail = rejection.body_text();
    let detail = detail.trim_start_matches("Failed to deserialize query string: ");
    ApiError::bad_request(
        "invalid_query",
        format!("The query string is not valid: {detail}."),
    )
}

/// Parameters in the path, such as a ticket id.
pub struct Path<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for Path<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(Path(value)),
            Err(rejection) => Err(path_rejection(rejection)),
        }
    }
}

fn path_rejection(rejection: PathRejection) -> ApiError {
    match rejection {
        PathRejection::FailedToDeserializePathParams(_) => ApiError::bad_request(
            "invalid_id",
            "Ids in the path are whole numbers, such as /api/v1/tickets/42.",
        ),
        other => ApiError::internal(other.body_text()),
    }
}

/// The agent behind the request's API token (`Authorization: Bearer <token>`).
pub struct AuthAgent(pub Agent);

impl AuthAgent {
    pub fn actor(&self) -> Actor {
        Actor::Agent(self.0.id)
    }

    /// Refuses with 403 unless the agent's role includes `needed`; `doing` completes the
    /// sentence "... needs the supervisor or admin role".
    pub fn require(&self, needed: Role, doing: &str) -> Result<(), ApiError> {
        if self.0.role.includes(needed) {
            return Ok(());
        }
        Err(ApiError::forbidden(format!(
            "{doing} needs the {} role; this token belongs to {}, who is {} {}.",
            Role::describe_at_least(needed),
            self.0.email,
            if self.0.role == Role::Admin {
                "an"
            } else {
                "a"
            },
            self.0.role
        )))
    }
}

impl FromRequestParts<App> for AuthAgent {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, ApiError> {
        let Some(header) = parts.headers.get(AUTHORIZATION) else {
            return agent_from_session(parts, app).await;
        };
        let token = header
            .to_str()
            .ok()
            .and_then(|value| {
                value
                    .strip_prefix("Bearer ")
                    .or_else(|| value.strip_prefix("bearer "))
            })
            .map(str::trim)
            .filter(|token| !token.is_empty())
            .ok_or_else(|| {
                ApiError::unauthenticated(
                    "invalid_token",
                    "The Authorization header must have the form `Bearer <token>`.",
                )
            })?;
        match app.store.agent_for_token(token).await? {
            Some(agent) => Ok(AuthAgent(agent)),
            None if token.starts_with(rapport_store::auth::INTAKE_TOKEN_PREFIX)
                && app.store.is_intake_token(token).await? =>
            {
                Err(ApiError::forbidden(
                    "This is a mail intake token: it can only post mail to /api/v1/inbound/email. \
                 Everything else needs an agent's token (`rapport admin create-token`).",
                ))
            }
            None => Err(ApiError::unauthenticated(
                "invalid_token",
                "This API token is not valid: it may have been mistyped or revoked.",
            )),
        }
    }
}

/// A browser's session cookie. Anything but reading also needs the session's CSRF token in
/// `X-CSRF-Token`, so another site cannot make the browser act for the agent.
async fn agent_from_session(parts: &Parts, app: &App) -> Result<AuthAgent, ApiError> {
    let Some(session) = crate::session::session_from(&parts.headers) else {
        return Err(ApiError::unauthenticated(
            "unauthenticated",
            "This endpoint needs an API token: send the header `Authorization: Bearer <token>`. \
             An admin can create one with `rapport admin create-token`.",
        ));
    };
    let Some(agent) = app.store.agent_for_session(&session).await? else {
        return Err(ApiError::unauthenticated(
            "session_expired",
            "Your session has ended; please sign in again.",
        ));
    };
    let reading = matches!(
        parts.method,
        axum::http::Method::GET | axum::http::Method::HEAD | axum::http::Method::OPTIONS
    );
    let csrf = parts
        .headers
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !reading && csrf != crate::session::csrf_token(&session) {
        return Err(ApiError::forbidden(
            "This request comes with a session cookie but without its CSRF token in `X-CSRF-Token`; reload the page and try again.",
        ));
    }
    Ok(AuthAgent(agent))
}

/// For optional fields that can also be cleared: tells a field sent as `null` (`Some(None)`)
/// from a field left out (`None`). Use with `#[serde(default, deserialize_with = "present")]`.
pub fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    <Option<T> as serde::Deserialize>::deserialize(deserializer).map(Some)
}

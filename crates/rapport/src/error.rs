//! The one error type of the HTTP layer. Every failure a client can see becomes
//! `{"error": {"code": "...", "message": "..."}}` with a stable snake_case code and a sentence
//! a person can act on. Internal failures become a 500 that leaks nothing and are logged once,
//! here, inside the request's span.
//!
//! Storage returns `rapport_store::StoreError`; the command line and start-up use `anyhow`.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use rapport_store::StoreError;
use serde::Serialize;
use std::borrow::Cow;
use utoipa::ToSchema;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: Cow<'static, str>,
    pub message: String,
}

/// The error envelope, as documented in the OpenAPI document.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// A stable snake_case code for programs, such as `ticket_not_found`.
    pub code: String,
    /// A sentence for people.
    pub message: String,
}

impl ApiError {
    pub fn new(
        status: StatusCode,
        code: impl Into<Cow<'static, str>>,
        message: impl Into<String>,
    ) -> Self {
        let code = code.into();
        debug_assert!(is_code(&code), "`{code}` is not a snake_case error code");
        Self {
            status,
            code,
            message: message.into(),
        }
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_request", message)
    }

    pub fn unauthenticated(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, code, message)
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    pub fn not_found(code: impl Into<Cow<'static, str>>, message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, code, message)
    }

    /// The database cannot be reached: nothing was saved, and trying again soon may work.
    pub fn database_unavailable() -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "database_unavailable",
            "The database cannot be reached right now, so nothing was saved. \
             Please try again in a moment.",
        )
    }

    pub fn internal(error: impl std::fmt::Display) -> Self {
        tracing::error!(error = %error, "request failed");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "Something went wrong on our side. It has been logged; please try again in a moment.",
        )
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound { entity, id } => ApiError::not_found(
                format!("{}_not_found", code_word(entity)),
                format!("There is no {entity} with id {id}."),
            ),
            StoreError::UnknownReference { entity, message } => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("unknown_{}", code_word(entity)),
                message,
            ),
            StoreError::Conflict { code, message } => {
                ApiError::new(StatusCode::CONFLICT, code, message)
            }
            StoreError::Forbidden(message) => ApiError::forbidden(message),
            StoreError::Invalid(invalid) => {
                ApiError::invalid(format!("`{}`: {}", invalid.field, invalid.message))
            }
            StoreError::Transition(transition) => ApiError::new(
                StatusCode::CONFLICT,
                "invalid_transition",
                transition.message,
            ),
            other if other.is_unavailable() => {
                tracing::error!(error = %other, "the database is unavailable");
                ApiError::database_unavailable()
            }
            other => ApiError::internal(other),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.status.is_client_error() {
            tracing::debug!(code = %self.code, "request refused");
        }
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code.into_owned(),
                message: self.message,
            },
        };
        (self.status, Json(body)).into_response()
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// Whether `text` is a stable error code: snake_case, such as `inbound_email_not_found`.
pub fn is_code(text: &str) -> bool {
    text.starts_with(|c: char| c.is_ascii_lowercase())
        && text
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// The store names entities for people (`inbound email`, `sign-in link`), as the messages show
/// them; codes spell the same name in snake_case (`inbound_email`, `sign_in_link`). Every code
/// made from an entity goes through here, so no entity's name can make a bad code.
fn code_word(entity: &str) -> String {
    let mut word = String::with_capacity(entity.len());
    for c in entity.chars() {
        if c.is_ascii_alphanumeric() {
            word.push(c.to_ascii_lowercase());
        } else if !word.is_empty() && !word.ends_with('_') {
            word.push('_');
        }
    }
    word.trim_end_matches('_').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;
    use std::path::{Path, PathBuf};

    #[test]
    fn entities_named_for_people_give_snake_case_codes_and_readable_messages() {
        for (entity, code, message) in [
            (
                "inbound email",
                "inbound_email_not_found",
                "There is no inbound email with id 7.",
            ),
            (
                "sign-in link",
                "sign_in_link_not_found",
                "There is no sign-in link with id 7.",
            ),
            (
                "resolution link",
                "resolution_link_not_found",
                "There is no resolution link with id 7.",
            ),
            (
                "ticket",
                "ticket_not_found",
                "There is no ticket with id 7.",
            ),
        ] {
            let error = ApiError::from(StoreError::not_found(entity, 7));
            assert_eq!(error.status, StatusCode::NOT_FOUND);
            assert_eq!(error.code, code);
            assert_eq!(error.message, message);
        }
        let error = ApiError::from(StoreError::unknown("inbound email", "inbound_id", 7));
        assert_eq!(error.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(error.code, "unknown_inbound_email");
        assert_eq!(
            error.message,
            "`inbound_id`: there is no inbound email with id 7"
        );
    }

    #[test]
    fn codes_are_snake_case_identifiers() {
        for good in ["ticket_not_found", "unknown_agent", "link_used", "a1_b2"] {
            assert!(is_code(good), "{good}");
        }
        for bad in [
            "",
            "inbound email_not_found",
            "sign-in link_not_found",
            "Ticket_not_found",
            "_hidden",
            "1st",
        ] {
            assert!(!is_code(bad), "{bad}");
        }
    }

    /// Walks every code the server can answer with, read from the source of this crate and of
    /// the store: each fixed code given to `ApiError` or `StoreError::Conflict`, and the codes
    /// made from every entity the store names in `NotFound` and `UnknownReference`.
    #[test]
    fn every_error_code_is_snake_case() {
        let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut sources = Vec::new();
        for dir in [manifest.join("src"), manifest.join("../store/src")] {
            read_sources(&dir, &mut sources);
        }
        assert!(sources.len() > 20, "found {} source files", sources.len());

        let mut codes = BTreeSet::new();
        let mut entities = BTreeSet::new();
        for (path, text) in &sources {
            // Unit tests may build errors on purpose; what the server answers is above them.
            let text = text.split("#[cfg(test)]").next().unwrap_or_default();
            for call in [
                "ApiError::bad_request(",
                "ApiError::unauthenticated(",
                "ApiError::not_found(",
                "code: ",
            ] {
                codes.extend(literals(text, call, 0).map(|(_, code)| code));
            }
            codes.extend(literals(text, "ApiError::new(", 1).map(|(_, code)| code));
            if path.ends_with("rapport/src/error.rs") {
                codes.extend(literals(text, "Self::new(", 1).map(|(_, code)| code));
            }
            // `(StatusCode::..., "code")` chosen before the call, as for rejected mail.
            codes.extend(
                literals(text, "(StatusCode::", 1)
                    .filter(|(at, _)| {
                        !text[..*at]
                            .ends_with(|c: char| c.is_ascii_alphanumeric() || c == '_' || c == ':')
                    })
                    .map(|(_, code)| code),
            );
            for call in ["StoreError::not_found(", "StoreError::unknown(", "entity: "] {
                entities.extend(literals(text, call, 0).map(|(_, entity)| entity));
            }
        }
        for known in [
            "inbound email",
            "sign-in link",
            "resolution link",
            "ticket",
            "agent",
        ] {
            assert!(entities.contains(known), "{known} in {entities:?}");
        }
        for known in [
            "route_not_found",
            "not_an_email",
            "email_taken",
            "forbidden",
            "internal_error",
            "invalid_transition",
        ] {
            assert!(codes.contains(known), "{known} in {codes:?}");
        }

        for entity in entities {
            let entity: &'static str = Box::leak(entity.into_boxed_str());
            codes.insert(
                ApiError::from(StoreError::not_found(entity, 7))
                    .code
                    .into_owned(),
            );
            codes.insert(
                ApiError::from(StoreError::unknown(entity, "id", 7))
                    .code
                    .into_owned(),
            );
        }
        let bad: Vec<_> = codes.iter().filter(|code| !is_code(code)).collect();
        assert!(bad.is_empty(), "codes that are not snake_case: {bad:?}");
    }

    fn read_sources(dir: &Path, sources: &mut Vec<(PathBuf, String)>) {
        for entry in std::fs::read_dir(dir).expect("a source directory") {
            let path = entry.expect("an entry").path();
            if path.is_dir() {
                read_sources(&path, sources);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).expect("a source file");
                sources.push((path, text));
            }
        }
    }

    /// For each `pattern` in `text`: where it is, and the string literal after `skip` more
    /// arguments, if that argument is a literal.
    fn literals<'a>(
        text: &'a str,
        pattern: &'a str,
        skip: usize,
    ) -> impl Iterator<Item = (usize, String)> + 'a {
        text.match_indices(pattern).filter_map(move |(at, _)| {
            let mut rest = &text[at + pattern.len()..];
            for _ in 0..skip {
                rest = &rest[rest.find(',')? + 1..];
            }
            let literal = rest.trim_start().strip_prefix('"')?;
            Some((at, literal[..literal.find('"')?].to_owned()))
        })
    }
}

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
        Self {
            status,
            code: code.into(),
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
                format!("{}_not_found", entity),
                format!("There is no {entity} with id {id}."),
            ),
            StoreError::UnknownReference { entity, message } => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("unknown_{entity}"),
                message,
            ),
            StoreError::Conflict { code, message } => {
                ApiError::new(StatusCode::CONFLICT, code, message)
            }
            StoreError::Invalid(invalid) => {
                ApiError::invalid(format!("`{}`: {}", invalid.field, invalid.message))
            }
            StoreError::Transition(transition) => ApiError::new(
                StatusCode::CONFLICT,
                "invalid_transition",
                transition.message,
            ),
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

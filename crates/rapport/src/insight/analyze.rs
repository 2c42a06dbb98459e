use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{AuthAgent, Json};
use axum::http::StatusCode;
use rapport_coach::Insight;
use serde::Deserialize;
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InsightRequest {
    /// A customer's message, as plain text.
    text: String,
}

/// Read a customer's message: sentiment, frustration, intents (such as `wants_manager`) and the
/// distinct concerns it raises, each with its span.
#[utoipa::path(post, path = "/api/v1/insight/message", tag = "coach", security(("bearer" = [])),
    request_body = InsightRequest,
    responses((status = 200, body = Insight), (status = 422, body = ErrorBody)))]
pub async fn analyze_message(
    _auth: AuthAgent,
    Json(input): Json<InsightRequest>,
) -> ApiResult<Json<Insight>> {
    if input.text.trim().is_empty() {
        return Err(ApiError::invalid(
            "`text`: the message is empty; there is nothing to read.",
        ));
    }
    if input.text.len() > crate::coach::MAX_TEXT_BYTES {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "text_too_large",
            format!(
                "`text` is larger than {} bytes.",
                crate::coach::MAX_TEXT_BYTES
            ),
        ));
    }
    Ok(Json(rapport_coach::analyze_message(&input.text)))
}

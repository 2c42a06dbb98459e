use super::credential::MailIntake;
use crate::app::App;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{Json, Query};
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use rapport_store::mail_intake::{Ingested, Outcome};
use serde::Deserialize;
use utoipa::IntoParams;

/// Mail up to twice the configured limit is still read, so that it can be kept for admins.
pub fn hard_limit(max_email_bytes: usize) -> usize {
    max_email_bytes.saturating_mul(2)
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ReceiveQuery {
    /// Which mailbox the mail arrived at, for the record.
    mailbox: Option<String>,
}

/// Take one raw RFC 5322 message (`Content-Type: message/rfc822`). Answers 202 once it is
/// committed: a new ticket, a reply threaded onto its ticket, or (with `ticket_id` null) an
/// auto-reply, bounce or bulk mail that opens nothing. The same mail posted twice is stored
/// once. Mail that is not a message (422) or too large (413) is still kept, raw, for admins.
/// Takes a mail intake token (`rapport admin create-intake-token`), never an agent's token:
/// mail is written in a customer's name.
#[utoipa::path(post, path = "/api/v1/inbound/email", tag = "email", security(("intake" = [])),
    params(ReceiveQuery),
    request_body(content = String, content_type = "message/rfc822", description = "The raw message"),
    responses((status = 202, body = Ingested), (status = 403, description = "An agent's token or session: mail needs an intake token", body = ErrorBody), (status = 413, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn receive_email(
    State(app): State<App>,
    _intake: MailIntake,
    Query(query): Query<ReceiveQuery>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<(StatusCode, Json<Ingested>)> {
    let content_type = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !content_type
        .to_ascii_lowercase()
        .starts_with("message/rfc822")
    {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "Send the raw message as the body with `Content-Type: message/rfc822`.",
        ));
    }
    let max = app.config.max_email_bytes;
    let raw = axum::body::to_bytes(body, hard_limit(max))
        .await
        .map_err(|_| {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "email_too_large",
                format!(
                    "The message is larger than {} bytes, twice the limit; it was not kept.",
                    hard_limit(max)
                ),
            )
        })?;
    let size = raw.len();
    let ingested = app.intake.deliver(raw, query.mailbox).await?;
    if ingested.outcome == Outcome::Rejected {
        let reason = ingested.reason.clone().unwrap_or_default();
        let (status, code) = if size > max {
            (StatusCode::PAYLOAD_TOO_LARGE, "email_too_large")
        } else {
            (StatusCode::UNPROCESSABLE_ENTITY, "not_an_email")
        };
        return Err(ApiError::new(
            status,
            code,
            format!(
                "{}; it was kept as inbound mail {} for an admin to look at.",
                capitalize(&reason),
                ingested.inbound_id
            ),
        ));
    }
    Ok((StatusCode::ACCEPTED, Json(ingested)))
}

fn capitalize(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

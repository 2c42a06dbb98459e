use super::credential::MailIntake;
use crate::app::App;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{Json, Query};
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use futures_util::StreamExt;
use rapport_store::mail_intake::{Ingested, Outcome, ParsedMail, REFUSED_NOTE_BYTES};
use serde::Deserialize;
use utoipa::IntoParams;

/// What the handler read of the body: the whole mail, or the beginning of one over the limit
/// (reading stops there, so nothing larger than the limit is ever held or stored).
enum Received {
    Whole(Vec<u8>),
    TooLarge {
        head: Vec<u8>,
        /// From `Content-Length`, when the sender gave it.
        size: Option<usize>,
    },
}

/// Reads at most `max` bytes of the body. A body announced as larger is not read beyond
/// what is kept of it for the record.
async fn read_body(body: Body, headers: &HeaderMap, max: usize) -> Result<Received, ApiError> {
    let announced = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<usize>().ok());
    let enough = match announced {
        Some(size) if size > max => REFUSED_NOTE_BYTES.min(max),
        _ => max.saturating_add(1),
    };
    let mut raw = Vec::with_capacity(announced.unwrap_or(0).min(enough));
    let mut stream = body.into_data_stream();
    while raw.len() < enough {
        match stream.next().await {
            Some(Ok(chunk)) => raw.extend_from_slice(&chunk[..chunk.len().min(enough - raw.len())]),
            Some(Err(_)) => {
                return Err(ApiError::bad_request(
                    "unreadable_body",
                    "The message could not be read to its end; nothing was stored. Send it again.",
                ));
            }
            None => break,
        }
    }
    if raw.len() > max || announced.is_some_and(|size| size > max) {
        Ok(Received::TooLarge {
            head: raw,
            size: announced,
        })
    } else {
        Ok(Received::Whole(raw))
    }
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
/// once. Mail that is not a message (422) is still kept, raw, for admins; mail larger than
/// `max_email_bytes` (413) is not read further and not stored, only its headers are kept.
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
    let mail = match read_body(body, &headers, max).await? {
        Received::Whole(raw) => ParsedMail::read(raw, query.mailbox, max),
        Received::TooLarge { head, size } => {
            let mail = ParsedMail::too_large(&head, size, max, query.mailbox);
            let ingested = app.intake.deliver(mail).await?;
            return Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "email_too_large",
                format!(
                    "{} as inbound mail {}, so an admin can see it was refused.",
                    capitalize(&ingested.reason.unwrap_or_default()),
                    ingested.inbound_id
                ),
            ));
        }
    };
    let ingested = app.intake.deliver(mail).await?;
    if ingested.outcome == Outcome::Rejected {
        let reason = ingested.reason.clone().unwrap_or_default();
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "not_an_email",
            format!(
                "{}; it was kept as inbound mail {}, listed with the filtered mail.",
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

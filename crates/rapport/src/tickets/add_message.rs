use crate::app::App;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{AuthAgent, Json, Path};
use crate::pages::MAX_UPLOAD_BYTES;
use axum::extract::State;
use axum::http::StatusCode;
use base64::Engine as _;
use rapport_domain::{Channel, Message, Visibility};
use rapport_store::portal::UploadedFile;
use serde::Deserialize;
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddMessage {
    body: String,
    /// `public` (a reply the customer sees) or `internal` (a note for staff).
    visibility: Visibility,
    /// For a public reply: who gets a copy of the email. Left out, the CCs of the customer's
    /// last mail stay on the thread; `[]` removes them all.
    cc: Option<Vec<String>>,
    /// Files to attach (10 MB in all); a public reply's mail carries them.
    #[serde(default)]
    attachments: Vec<NewAttachment>,
    /// The saved reply this message was written from: its actions (tags, priority,
    /// proposing the resolution) are applied once the message is added.
    saved_reply_id: Option<i64>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAttachment {
    filename: String,
    /// `application/octet-stream` unless given.
    content_type: Option<String>,
    /// The file's bytes, in standard base64.
    content_base64: String,
}

/// The files of a request, decoded; a sentence when one cannot be.
fn files(attachments: &[NewAttachment]) -> ApiResult<Vec<UploadedFile>> {
    let mut total = 0;
    let mut files = Vec::with_capacity(attachments.len());
    for (i, file) in attachments.iter().enumerate() {
        let data = base64::engine::general_purpose::STANDARD
            .decode(file.content_base64.trim())
            .map_err(|_| {
                ApiError::invalid(format!(
                    "`attachments[{i}].content_base64` is not base64: send the file's bytes in standard base64."
                ))
            })?;
        total += data.len();
        if total > MAX_UPLOAD_BYTES {
            return Err(ApiError::invalid(format!(
                "The attachments come to more than {} MB; send fewer or smaller files.",
                MAX_UPLOAD_BYTES / (1024 * 1024)
            )));
        }
        let filename = rapport_domain::validate::line(
            "filename",
            file.filename.rsplit(['/', '\\']).next().unwrap_or_default(),
            200,
        )
        .map_err(|invalid| {
            ApiError::invalid(format!("`attachments[{i}]`: {}.", invalid.message))
        })?;
        files.push(UploadedFile {
            filename,
            content_type: file
                .content_type
                .clone()
                .unwrap_or_else(|| "application/octet-stream".to_owned()),
            data,
        });
    }
    Ok(files)
}

/// Add a reply or an internal note, written by the calling agent. A public reply hands the
/// turn to the customer; a note changes no state.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/messages", tag = "tickets", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Ticket id")),
    request_body = AddMessage,
    responses((status = 201, body = Message), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_message(
    State(app): State<App>,
    auth: AuthAgent,
    Path(id): Path<i64>,
    Json(input): Json<AddMessage>,
) -> ApiResult<(StatusCode, Json<Message>)> {
    super::visible_to(&app, &auth, id).await?;
    let channel = match input.visibility {
        Visibility::Public => Channel::Api,
        Visibility::Internal => Channel::Note,
    };
    if input.cc.is_some() && input.visibility == Visibility::Internal {
        return Err(ApiError::invalid(
            "`cc` is for public replies; an internal note is not emailed.",
        ));
    }
    let files = files(&input.attachments)?;
    let saved = match input.saved_reply_id {
        Some(saved_id) => Some(crate::saved_replies::usable(&app, &auth.0, saved_id).await?),
        None => None,
    };
    let message = app
        .store
        .add_message_with_files(
            id,
            auth.actor(),
            channel,
            input.visibility,
            &input.body,
            input.cc.as_deref(),
            &files,
        )
        .await?;
    if let Some(saved) = saved {
        crate::saved_replies::apply_actions(&app, &auth.0, id, &saved.actions).await?;
    }
    Ok((StatusCode::CREATED, Json(message)))
}

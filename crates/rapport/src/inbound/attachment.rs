use crate::app::App;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{AuthAgent, Path};
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};

/// An attachment's bytes. Images, PDF and plain text are shown; anything else is a download
/// of `application/octet-stream` (see `rapport_domain::file`), so a browser never runs what a
/// customer attached.
#[utoipa::path(get, path = "/api/v1/attachments/{id}", tag = "email", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Attachment id")),
    responses((status = 200, content_type = "application/octet-stream", body = String), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn download_attachment(
    State(app): State<App>,
    auth: AuthAgent,
    Path(id): Path<i64>,
) -> ApiResult<Response> {
    let (ticket_id, _) = app.store.attachment_place(id).await?;
    crate::tickets::visible_to(&app, &auth, ticket_id).await?;
    let (info, bytes) = app.store.attachment(id).await?;
    Ok(download(info, bytes))
}

/// A file from our origin: our content type for it (never the sender's), shown only when
/// inert, with `nosniff` and a sandbox policy so that nothing in it can run as this site.
/// A file is a document of its own, with no script, no plugin and no access to this origin.
const FILE_POLICY: &str = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'none'; sandbox";

/// The file is sent as it is read from the file store, a piece at a time.
pub(crate) fn download(
    info: rapport_domain::AttachmentInfo,
    bytes: rapport_store::files::FileStream,
) -> Response {
    let filename: String = info
        .filename
        .chars()
        .map(|c| {
            if c == '"' || c == '\\' || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .collect();
    let ascii: String = filename
        .chars()
        .map(|c| if c.is_ascii() { c } else { '_' })
        .collect();
    let encoded: String = filename
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    let serving = rapport_domain::file::serving(&info.content_type);
    let disposition = if serving.inline {
        "inline"
    } else {
        "attachment"
    };
    (
        [
            (header::CONTENT_TYPE, serving.content_type.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("{disposition}; filename=\"{ascii}\"; filename*=UTF-8''{encoded}"),
            ),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
            (header::CONTENT_SECURITY_POLICY, FILE_POLICY.to_owned()),
            (header::CONTENT_LENGTH, info.size.to_string()),
        ],
        axum::body::Body::from_stream(bytes),
    )
        .into_response()
}

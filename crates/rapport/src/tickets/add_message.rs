use crate::app::App;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{AuthAgent, Json, Path};
use axum::extract::State;
use axum::http::StatusCode;
use rapport_domain::{Channel, Message, Visibility};
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
    let message = match (&input.cc, input.visibility) {
        (Some(cc), Visibility::Public) => {
            app.store
                .add_reply_with_cc(id, auth.actor(), &input.body, cc)
                .await?
        }
        (Some(_), Visibility::Internal) => {
            return Err(crate::error::ApiError::invalid(
                "`cc` is for public replies; an internal note is not emailed.",
            ));
        }
        (None, _) => {
            app.store
                .add_message(id, auth.actor(), channel, input.visibility, &input.body)
                .await?
        }
    };
    Ok((StatusCode::CREATED, Json(message)))
}

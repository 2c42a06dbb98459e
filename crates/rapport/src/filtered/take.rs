use crate::app::App;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{AuthAgent, Json, Path};
use axum::extract::State;
use axum::http::StatusCode;
use rapport_store::filtered_mail::{TakeInto, Taken};
use serde::Deserialize;
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct TakeFilteredMail {
    /// Add the mail to this ticket; without it, the mail opens a new ticket.
    ticket_id: Option<i64>,
    /// Whose mail it is, when no sender could be read from it (or to use another address).
    customer_email: Option<String>,
}

/// Turn a filtered mail into a ticket, or add it to a ticket (`ticket_id`), as the customer's
/// message. Done once: a second try (even at the same moment) is a 409 saying where it went.
#[utoipa::path(post, path = "/api/v1/filtered-mail/{id}/ticket", tag = "email", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Filtered mail id (its inbound mail id)")),
    request_body = TakeFilteredMail,
    responses((status = 201, body = Taken), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn take_filtered(
    State(app): State<App>,
    auth: AuthAgent,
    Path(id): Path<i64>,
    Json(input): Json<TakeFilteredMail>,
) -> ApiResult<(StatusCode, Json<Taken>)> {
    let into = match input.ticket_id {
        Some(ticket_id) => TakeInto::Ticket(ticket_id),
        None => TakeInto::NewTicket,
    };
    let taken = app
        .store
        .take_filtered_mail(&auth.0, id, into, input.customer_email.as_deref())
        .await?;
    Ok((StatusCode::CREATED, Json(taken)))
}

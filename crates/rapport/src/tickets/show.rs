use super::TicketDetail;
use crate::app::App;
use crate::cursor;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{AuthAgent, Json, Path, Query};
use axum::extract::State;
use serde::Deserialize;
use utoipa::IntoParams;

/// The letter of this list's cursors (see [`crate::cursor`]).
pub(super) const CURSOR_LIST: char = 'm';
const DEFAULT_LIMIT: u32 = 50;
const MAX_LIMIT: u32 = 200;

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct MessagesQuery {
    /// How many of the latest messages: 1 to 200; 50 unless given.
    limit: Option<u32>,
    /// `earlier_cursor` from the previous answer, for the messages before those.
    cursor: Option<String>,
}

/// One ticket with its latest messages, oldest first; a long ticket's earlier messages come a
/// page at a time with `cursor`.
#[utoipa::path(get, path = "/api/v1/tickets/{id}", tag = "tickets", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Ticket id"), MessagesQuery),
    responses((status = 200, body = TicketDetail), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn show_ticket(
    State(app): State<App>,
    auth: AuthAgent,
    Path(id): Path<i64>,
    Query(query): Query<MessagesQuery>,
) -> ApiResult<Json<TicketDetail>> {
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::bad_request(
            "invalid_query",
            format!("`limit` must be between 1 and {MAX_LIMIT}, not {limit}."),
        ));
    }
    let before_id = query
        .cursor
        .as_deref()
        .map(|given| cursor::decode(CURSOR_LIST, given))
        .transpose()?;
    let ticket = super::visible_to(&app, &auth, id).await?;
    let page = app.store.ticket_messages_page(id, before_id, limit).await?;
    Ok(Json(TicketDetail::new(ticket, page)))
}

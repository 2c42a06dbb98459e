use crate::app::App;
use crate::cursor;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{AuthAgent, Json, Query};
use axum::extract::State;
use rapport_domain::{Conversation, Problem, Ticket, validate};
use rapport_store::tickets::TicketFilter;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

const DEFAULT_LIMIT: u32 = 25;
const MAX_LIMIT: u32 = 100;

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct TicketQuery {
    /// `new`, `waiting_on_us`, `waiting_on_customer` or `on_hold`.
    conversation: Option<String>,
    /// `open`, `resolution_proposed`, `resolved` or `closed_unresolved`.
    problem: Option<String>,
    assignee_id: Option<i64>,
    customer_id: Option<i64>,
    tag: Option<String>,
    /// 1 to 100; 25 unless given.
    limit: Option<u32>,
    /// `next_cursor` from the previous page.
    cursor: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct TicketList {
    items: Vec<Ticket>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    next_cursor: Option<String>,
}

/// Tickets, newest first, a page at a time. Pages are stable while new tickets arrive.
#[utoipa::path(get, path = "/api/v1/tickets", tag = "tickets", security(("bearer" = [])),
    params(TicketQuery),
    responses((status = 200, body = TicketList), (status = 400, body = ErrorBody)))]
pub async fn list_tickets(
    State(app): State<App>,
    auth: AuthAgent,
    Query(query): Query<TicketQuery>,
) -> ApiResult<Json<TicketList>> {
    let invalid_query = |message: String| ApiError::bad_request("invalid_query", message);
    let conversation = query
        .conversation
        .as_deref()
        .map(str::parse::<Conversation>)
        .transpose()
        .map_err(|err| invalid_query(format!("`conversation`: {err}.")))?;
    let problem = query
        .problem
        .as_deref()
        .map(str::parse::<Problem>)
        .transpose()
        .map_err(|err| invalid_query(format!("`problem`: {err}.")))?;
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(invalid_query(format!(
            "`limit` must be between 1 and {MAX_LIMIT}, not {limit}."
        )));
    }
    let tag = match query.tag {
        Some(tag) => validate::tags(&[tag])
            .map_err(|err| invalid_query(format!("`tag`: {err}.")))?
            .pop(),
        None => None,
    };
    let before_id = query
        .cursor
        .as_deref()
        .map(|given| cursor::decode('t', given))
        .transpose()?;
    let filter = TicketFilter {
        conversation,
        problem,
        assignee_id: query.assignee_id,
        customer_id: query.customer_id,
        tag,
        viewer: Some(auth.0),
        before_id,
        limit,
    };
    let page = app.store.list_tickets(&filter).await?;
    Ok(Json(TicketList {
        items: page.items,
        next_cursor: page.next_before_id.map(|id| cursor::encode('t', id)),
    }))
}

use super::{SearchParams, cursor_at};
use crate::app::App;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{AuthAgent, Json, Query};
use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;

/// One ticket found.
#[derive(Debug, Serialize, ToSchema)]
pub struct SearchResult {
    pub ticket_id: i64,
    pub subject: String,
    pub customer_id: i64,
    pub customer_name: String,
    pub conversation: String,
    pub problem: String,
    pub priority: String,
    pub assignee_name: Option<String>,
    pub updated_at: String,
    /// Where the ticket matched, as HTML: the text escaped, the words found in `<mark>`.
    pub snippet_html: String,
    /// The same passage as plain text.
    pub snippet: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SearchResults {
    /// Best match first.
    pub items: Vec<SearchResult>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// Tickets that match words, best first, with the passage that matched; only tickets the
/// caller may see (a restricted team's are for its members and admins). Internal notes are
/// searched: only agents search.
#[utoipa::path(get, path = "/api/v1/search", tag = "tickets", security(("bearer" = [])),
    params(SearchParams),
    responses((status = 200, body = SearchResults), (status = 400, body = ErrorBody)))]
pub async fn search(
    State(app): State<App>,
    auth: AuthAgent,
    Query(params): Query<SearchParams>,
) -> ApiResult<Json<SearchResults>> {
    let search = params.read()?;
    let page = app
        .store
        .search(
            &auth.0,
            &search.query,
            &search.filter,
            search.offset,
            search.limit,
        )
        .await?;
    let items = page
        .hits
        .into_iter()
        .filter_map(|hit| {
            let ticket = hit.ticket;
            Some(SearchResult {
                ticket_id: ticket.ticket_id?,
                subject: ticket.title,
                customer_id: ticket.customer_id,
                customer_name: ticket.customer_name,
                conversation: ticket.conversation.unwrap_or_default(),
                problem: ticket.problem.unwrap_or_default(),
                priority: ticket.priority.unwrap_or_default(),
                assignee_name: ticket.assignee_name,
                updated_at: ticket.updated_at,
                snippet_html: hit.snippet.html(),
                snippet: hit.snippet.text(),
            })
        })
        .collect();
    Ok(Json(SearchResults {
        items,
        next_cursor: page.next_offset.map(cursor_at),
    }))
}

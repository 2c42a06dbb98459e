use crate::app::App;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{AuthAgent, Json, Path, Query};
use axum::extract::State;
use rapport_domain::timeline::Entry;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TimelineItem {
    pub at: String,
    /// `ticket`, `message`, `note`, `call`, `promise`, `moment`, `survey` or `event`.
    pub kind: String,
    /// The id of the thing within its kind.
    pub id: i64,
    pub customer_id: i64,
    pub ticket_id: Option<i64>,
    pub agent_id: Option<i64>,
    /// One line for people.
    pub summary: String,
}

impl From<Entry> for TimelineItem {
    fn from(entry: Entry) -> TimelineItem {
        TimelineItem {
            kind: entry.kind().as_str().to_owned(),
            agent_id: entry.agent_id(),
            summary: entry.summary(),
            at: entry.at,
            id: entry.id,
            customer_id: entry.customer_id,
            ticket_id: entry.ticket_id,
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct TimelineQuery {
    /// 1 to 100; 50 unless given.
    limit: Option<usize>,
    /// `next_cursor` from the previous page.
    pub(crate) cursor: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct Timeline {
    pub(crate) items: Vec<TimelineItem>,
    pub(crate) next_cursor: Option<String>,
}

impl TimelineQuery {
    pub fn limit(&self) -> ApiResult<usize> {
        match self.limit {
            None => Ok(50),
            Some(limit @ 1..=100) => Ok(limit),
            Some(other) => Err(ApiError::bad_request(
                "invalid_query",
                format!("`limit` must be between 1 and 100, not {other}."),
            )),
        }
    }
}

/// Everything that happened with a customer, across tickets, channels and agents, newest
/// first: messages, notes, calls, promises, moments, survey answers and closings.
#[utoipa::path(get, path = "/api/v1/customers/{id}/timeline", tag = "customers", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Customer id"), TimelineQuery),
    responses((status = 200, body = Timeline), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn customer_timeline(
    State(app): State<App>,
    auth: AuthAgent,
    Path(id): Path<i64>,
    Query(query): Query<TimelineQuery>,
) -> ApiResult<Json<Timeline>> {
    let page = app
        .store
        .customer_timeline(id, query.cursor.as_deref(), query.limit()?)
        .await
        .map_err(cursor_error)?;
    // A restricted team's tickets stay out of the history of those who may not see them.
    let entries = app.store.visible_entries(&auth.0, page.entries).await?;
    Ok(Json(Timeline {
        items: entries.into_iter().map(TimelineItem::from).collect(),
        next_cursor: page.next_cursor,
    }))
}

pub(crate) fn cursor_error(error: rapport_store::StoreError) -> ApiError {
    match error {
        rapport_store::StoreError::Invalid(invalid) if invalid.field == "cursor" => {
            ApiError::bad_request("invalid_cursor", format!("`cursor`: {invalid}."))
        }
        other => other.into(),
    }
}

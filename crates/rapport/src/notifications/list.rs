use crate::app::App;
use crate::cursor;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{AuthAgent, Json, Query};
use axum::extract::State;
use rapport_store::notifications::Notification;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

const DEFAULT_LIMIT: u32 = 50;
const MAX_LIMIT: u32 = 200;

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct NotificationQuery {
    /// `true`: only those not yet marked read.
    unread: Option<bool>,
    /// 1 to 200; 50 unless given.
    limit: Option<u32>,
    /// `next_cursor` from the previous page.
    cursor: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct NotificationList {
    items: Vec<Notification>,
    /// How many of the agent's notifications are unread, in all.
    unread: i64,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    next_cursor: Option<String>,
}

/// The calling agent's notifications, newest first, a page at a time. A notification about a
/// ticket the agent can no longer see (it moved to a restricted team) is listed without its
/// text and subject.
#[utoipa::path(get, path = "/api/v1/notifications", tag = "notifications", security(("bearer" = [])),
    params(NotificationQuery),
    responses((status = 200, body = NotificationList), (status = 400, body = ErrorBody)))]
pub async fn list_notifications(
    State(app): State<App>,
    auth: AuthAgent,
    Query(query): Query<NotificationQuery>,
) -> ApiResult<Json<NotificationList>> {
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
        .map(|given| cursor::decode('n', given))
        .transpose()?;
    let page = app
        .store
        .notifications(&auth.0, query.unread.unwrap_or(false), before_id, limit)
        .await?;
    Ok(Json(NotificationList {
        items: page.items,
        unread: app.store.unread_notifications(auth.0.id).await?,
        next_cursor: page.next_before_id.map(|id| cursor::encode('n', id)),
    }))
}

use crate::app::App;
use crate::customers::timeline::{Timeline, TimelineItem, TimelineQuery, cursor_error};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{AuthAgent, Json, Path, Query};
use axum::extract::State;

/// Everything that happened with every customer of an organization, newest first.
#[utoipa::path(get, path = "/api/v1/organizations/{id}/timeline", tag = "organizations", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Organization id"), TimelineQuery),
    responses((status = 200, body = Timeline), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn organization_timeline(
    State(app): State<App>,
    auth: AuthAgent,
    Path(id): Path<i64>,
    Query(query): Query<TimelineQuery>,
) -> ApiResult<Json<Timeline>> {
    let page = app
        .store
        .organization_timeline(id, query.cursor.as_deref(), query.limit()?)
        .await
        .map_err(cursor_error)?;
    // A restricted team's tickets stay out of the history of those who may not see them.
    let entries = app.store.visible_entries(&auth.0, page.entries).await?;
    Ok(Json(Timeline {
        items: entries.into_iter().map(TimelineItem::from).collect(),
        next_cursor: page.next_cursor,
    }))
}

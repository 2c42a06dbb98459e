use crate::app::App;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{AuthAgent, Json, Path};
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;
use utoipa::ToSchema;

/// Mark one of the calling agent's notifications read (again is fine). Another agent's is
/// not found.
#[utoipa::path(post, path = "/api/v1/notifications/{id}/read", tag = "notifications", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Notification id")),
    responses((status = 204, description = "Marked read"), (status = 404, body = ErrorBody)))]
pub async fn mark_read(
    State(app): State<App>,
    auth: AuthAgent,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    app.store.mark_notification_read(auth.0.id, id).await?;
    app.live.notifications_changed();
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct MarkedRead {
    /// How many were unread and are read now.
    marked: u64,
}

/// Mark every unread notification of the calling agent read.
#[utoipa::path(post, path = "/api/v1/notifications/read-all", tag = "notifications", security(("bearer" = [])),
    responses((status = 200, body = MarkedRead)))]
pub async fn mark_all_read(State(app): State<App>, auth: AuthAgent) -> ApiResult<Json<MarkedRead>> {
    let marked = app.store.mark_all_notifications_read(auth.0.id).await?;
    app.live.notifications_changed();
    Ok(Json(MarkedRead { marked }))
}

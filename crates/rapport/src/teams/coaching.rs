use crate::agents::coaching::CoachingQuery;
use crate::app::App;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{AuthAgent, Json, Path, Query};
use axum::extract::State;
use rapport_domain::Role;
use rapport_store::coaching::CoachingReport;

/// Coaching trends of a whole team: its members' replies together. Needs the supervisor or
/// admin role.
#[utoipa::path(get, path = "/api/v1/teams/{id}/coaching", tag = "teams", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Team id"), CoachingQuery),
    responses((status = 200, body = CoachingReport), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn team_coaching(
    State(app): State<App>,
    auth: AuthAgent,
    Path(id): Path<i64>,
    Query(query): Query<CoachingQuery>,
) -> ApiResult<Json<CoachingReport>> {
    auth.require(Role::Supervisor, "Reading a team's coaching report")?;
    let calendar = app.store.calendar().await?;
    let range = query.range(calendar.today(app.store.clock().now()))?;
    let members = app.store.team_member_ids(id).await?;
    Ok(Json(
        app.store
            .coaching(&members, range.from, range.to, range.bucket)
            .await?,
    ))
}

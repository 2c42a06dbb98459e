use crate::app::App;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{AuthAgent, Json, Path, Query};
use axum::extract::State;
use rapport_domain::Role;
use rapport_store::coaching::{Bucket, CoachingReport, parse_day};
use serde::Deserialize;
use utoipa::IntoParams;

/// The range and grouping of a coaching report.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct CoachingQuery {
    /// First day, `YYYY-MM-DD` (default: twelve weeks before `to`).
    from: Option<String>,
    /// Day after the last, `YYYY-MM-DD` (default: tomorrow).
    to: Option<String>,
    /// `week` (default) or `day`.
    bucket: Option<String>,
}

pub struct Range {
    pub from: time::Date,
    pub to: time::Date,
    pub bucket: Bucket,
}

impl CoachingQuery {
    /// The range asked for; the defaults count from `today`.
    pub fn range(&self, today: time::Date) -> ApiResult<Range> {
        let day = |field: &str, value: &str| {
            parse_day(value).map_err(|_| {
                ApiError::bad_request(
                    "invalid_query",
                    format!("`{field}` must be a day such as 2026-11-23, not `{value}`."),
                )
            })
        };
        let to = match &self.to {
            Some(value) => day("to", value)?,
            None => today + time::Duration::days(1),
        };
        let from = match &self.from {
            Some(value) => day("from", value)?,
            None => to - time::Duration::weeks(12),
        };
        if from >= to {
            return Err(ApiError::bad_request(
                "invalid_query",
                "`from` must be before `to`.",
            ));
        }
        let bucket = match self.bucket.as_deref() {
            None | Some("week") => Bucket::Week,
            Some("day") => Bucket::Day,
            Some(other) => {
                return Err(ApiError::bad_request(
                    "invalid_query",
                    format!("`bucket` is `week` or `day`, not `{other}`."),
                ));
            }
        };
        Ok(Range { from, to, bucket })
    }
}

/// How an agent's replies fared with the coach over time: replies reviewed, average score, and
/// findings by kind, per week or day. Agents see their own; supervisors and admins anyone's.
#[utoipa::path(get, path = "/api/v1/agents/{id}/coaching", tag = "agents", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Agent id"), CoachingQuery),
    responses((status = 200, body = CoachingReport), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn agent_coaching(
    State(app): State<App>,
    auth: AuthAgent,
    Path(id): Path<i64>,
    Query(query): Query<CoachingQuery>,
) -> ApiResult<Json<CoachingReport>> {
    if auth.0.id != id {
        auth.require(Role::Supervisor, "Reading another agent's coaching report")?;
    }
    let calendar = app.store.calendar().await?;
    let range = query.range(calendar.today(app.store.clock().now()))?;
    app.store.agent(id).await?;
    Ok(Json(
        app.store
            .coaching(&[id], range.from, range.to, range.bucket)
            .await?,
    ))
}

use crate::app::App;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{AuthAgent, Json, Query};
use axum::extract::State;
use rapport_domain::Role;
use rapport_store::tasks::Task;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct TaskQuery {
    /// Whose tasks (default: the caller's). Supervisors and admins may look at anyone's.
    agent_id: Option<i64>,
    /// `today` (default): open tasks due by the end of today; `all`: every open task.
    due: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct TaskList {
    items: Vec<Task>,
}

/// An agent's open tasks, soonest due first, but those on a restricted team's tickets only for
/// its members and admins.
#[utoipa::path(get, path = "/api/v1/tasks", tag = "tasks", security(("bearer" = [])),
    params(TaskQuery),
    responses((status = 200, body = TaskList), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list_tasks(
    State(app): State<App>,
    auth: AuthAgent,
    Query(query): Query<TaskQuery>,
) -> ApiResult<Json<TaskList>> {
    let agent_id = query.agent_id.unwrap_or(auth.0.id);
    if agent_id != auth.0.id {
        auth.require(Role::Supervisor, "Reading another agent's tasks")?;
    }
    let calendar = app.store.calendar().await?;
    // Due before the team's next midnight.
    let end_of_today = rapport_store::clock::format(
        calendar.end_of_today(app.store.clock().now()) - time::Duration::microseconds(1),
    );
    let due_by = match query.due.as_deref() {
        None | Some("today") => Some(end_of_today.as_str()),
        Some("all") => None,
        Some(other) => {
            return Err(ApiError::bad_request(
                "invalid_query",
                format!("`due` is `today` or `all`, not `{other}`."),
            ));
        }
    };
    let mut items = app.store.tasks_for(agent_id, due_by).await?;
    app.store
        .retain_visible(&auth.0, &mut items, |task| task.ticket_id)
        .await?;
    Ok(Json(TaskList { items }))
}

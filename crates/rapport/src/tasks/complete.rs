use crate::app::App;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{AuthAgent, Json, Path};
use axum::extract::State;
use rapport_domain::Role;
use rapport_store::tasks::Task;
use serde::Deserialize;
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CompleteTask {
    /// What came of it, e.g. "Called Ana; the fix holds and she's happy."
    outcome: String,
}

/// Complete a task, recording its outcome.
#[utoipa::path(post, path = "/api/v1/tasks/{id}/complete", tag = "tasks", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Task id")),
    request_body = CompleteTask,
    responses((status = 200, body = Task), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn complete_task(
    State(app): State<App>,
    auth: AuthAgent,
    Path(id): Path<i64>,
    Json(input): Json<CompleteTask>,
) -> ApiResult<Json<Task>> {
    let task = app.store.task(id).await?;
    if task.agent_id != auth.0.id {
        auth.require(Role::Supervisor, "Completing another agent's task")?;
    }
    if let Some(ticket_id) = task.ticket_id {
        crate::tickets::visible_to(&app, &auth, ticket_id).await?;
    }
    Ok(Json(
        app.store
            .complete_task(id, &input.outcome, auth.actor())
            .await?,
    ))
}

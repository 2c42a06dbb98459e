//! Agents' task lists: check-ins, follow-ups and alerts the system hands to a named person.

use crate::rows::{int, opt_int, opt_text, text};
use crate::{Store, StoreError, StoreResult, Tx, events};
use rapport_domain::{Actor, TaskKind};
use serde::Serialize;
use serde_json::json;
use sqlx::any::AnyRow;
use utoipa::ToSchema;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Task {
    pub id: i64,
    pub agent_id: i64,
    /// `check_in`, `promise_reminder`, `promise_broken`, `moment_follow_up`,
    /// `survey_follow_up`, `health_at_risk`.
    pub kind: String,
    pub ticket_id: Option<i64>,
    pub customer_id: Option<i64>,
    pub title: String,
    pub detail: String,
    pub due_at: String,
    pub created_at: String,
    pub done_at: Option<String>,
    /// What came of it, written by the agent when completing the task.
    pub outcome: Option<String>,
}

pub struct NewTask<'a> {
    pub agent_id: i64,
    pub kind: TaskKind,
    pub ticket_id: Option<i64>,
    pub customer_id: Option<i64>,
    pub title: String,
    pub detail: String,
    pub due_at: &'a str,
}

const COLUMNS: &str = "id, agent_id, kind, ticket_id, customer_id, title, detail, due_at, created_at, done_at, outcome";

fn task_from(row: &AnyRow) -> StoreResult<Task> {
    Ok(Task {
        id: int(row, "id")?,
        agent_id: int(row, "agent_id")?,
        kind: text(row, "kind")?,
        ticket_id: opt_int(row, "ticket_id")?,
        customer_id: opt_int(row, "customer_id")?,
        title: text(row, "title")?,
        detail: text(row, "detail")?,
        due_at: text(row, "due_at")?,
        created_at: text(row, "created_at")?,
        done_at: opt_text(row, "done_at")?,
        outcome: opt_text(row, "outcome")?,
    })
}

pub(crate) async fn create(tx: &mut Tx, now: &str, task: NewTask<'_>) -> StoreResult<i64> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO tasks (agent_id, kind, ticket_id, customer_id, title, detail, due_at, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(task.agent_id)
    .bind(task.kind.as_str())
    .bind(task.ticket_id)
    .bind(task.customer_id)
    .bind(&task.title)
    .bind(&task.detail)
    .bind(task.due_at)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?;
    Ok(id)
}

impl Store {
    /// An agent's tasks: open ones due by `due_by` (all open ones when `None`), soonest first.
    pub async fn tasks_for(&self, agent_id: i64, due_by: Option<&str>) -> StoreResult<Vec<Task>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM tasks WHERE agent_id = $1 AND done_at IS NULL AND ($2 IS NULL OR due_at <= $2) \
             ORDER BY due_at, id"
        ))
        .bind(agent_id)
        .bind(due_by)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(task_from).collect()
    }

    pub async fn task(&self, id: i64) -> StoreResult<Task> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM tasks WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .ok_or_else(|| StoreError::not_found("task", id))?;
        task_from(&row)
    }

    /// Marks a task done with what came of it.
    pub async fn complete_task(&self, id: i64, outcome: &str, actor: Actor) -> StoreResult<Task> {
        let outcome = outcome.trim();
        if outcome.is_empty() {
            return Err(rapport_domain::Invalid::new(
                "outcome",
                "say what came of it, in a sentence",
            )
            .into());
        }
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let done: Option<Option<String>> =
            sqlx::query_scalar("SELECT done_at FROM tasks WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
        match done {
            None => return Err(StoreError::not_found("task", id)),
            Some(Some(_)) => {
                return Err(StoreError::Conflict {
                    code: "task_done",
                    message: format!("task {id} is already done"),
                });
            }
            Some(None) => {}
        }
        // Conditional, so that of two completions at once only one is recorded.
        let completed = sqlx::query(
            "UPDATE tasks SET done_at = $1, outcome = $2 WHERE id = $3 AND done_at IS NULL",
        )
        .bind(&now)
        .bind(outcome)
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if completed == 0 {
            return Err(StoreError::Conflict {
                code: "task_done",
                message: format!("task {id} is already done"),
            });
        }
        events::record(
            &mut tx,
            &now,
            actor,
            "task",
            id,
            "task.completed",
            json!({"outcome": events::change(None::<String>, outcome)}),
        )
        .await?;
        tx.commit().await?;
        self.task(id).await
    }
}

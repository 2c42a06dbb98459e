//! `/tasks`: what Rapport asked this agent to do (check-ins, reminders, broken promises,
//! follow-ups, requests for a manager, letters), and marking one done with its outcome.

use crate::app::App;
use crate::pages::{PageError, PageResult, SignedIn, Submitted, When, render, url_escape};
use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use rapport_domain::{Actor, Agent, Role};
use serde::Deserialize;

#[derive(Template)]
#[template(path = "workspace/tasks.html")]
struct TasksPage {
    agent: Agent,
    csrf: String,
    query: String,
    tasks: Vec<TaskView>,
    flash: Option<String>,
}

struct TaskView {
    id: i64,
    title: String,
    detail: String,
    due: When,
    ticket_id: Option<i64>,
    customer_id: Option<i64>,
}

#[derive(Deserialize)]
pub struct Done {
    done: Option<String>,
}

pub async fn show_tasks(
    State(app): State<App>,
    signed_in: SignedIn,
    Query(query): Query<Done>,
) -> PageResult {
    let mut tasks = app.store.tasks_for(signed_in.agent.id, None).await?;
    let calendar = app.store.calendar().await?;
    app.store
        .retain_visible(&signed_in.agent, &mut tasks, |task| task.ticket_id)
        .await?;
    let tasks = tasks
        .into_iter()
        .map(|task| TaskView {
            id: task.id,
            title: task.title,
            detail: task.detail,
            due: When::on(&calendar, &task.due_at),
            ticket_id: task.ticket_id,
            customer_id: task.customer_id,
        })
        .collect();
    Ok(render(&TasksPage {
        agent: signed_in.agent,
        csrf: signed_in.csrf,
        query: String::new(),
        tasks,
        flash: query.done.filter(|d| !d.is_empty() && d.len() < 200),
    }))
}

#[derive(Deserialize)]
pub struct Outcome {
    outcome: String,
}

pub async fn complete_task(
    State(app): State<App>,
    signed_in: SignedIn,
    crate::pages::Id(id): crate::pages::Id,
    Submitted(form): Submitted<Outcome>,
) -> PageResult<Response> {
    let task = app.store.task(id).await?;
    if task.agent_id != signed_in.agent.id && !signed_in.agent.role.includes(Role::Supervisor) {
        return Err(PageError::forbidden(
            "This task belongs to another agent; a supervisor can complete it for them.",
        ));
    }
    if let Some(ticket_id) = task.ticket_id {
        super::visible_ticket(&app, &signed_in.agent, ticket_id).await?;
    }
    app.store
        .complete_task(id, &form.outcome, Actor::Agent(signed_in.agent.id))
        .await?;
    Ok(Redirect::to(&format!("/tasks?done={}", url_escape("Task done."))).into_response())
}

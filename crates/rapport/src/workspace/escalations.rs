//! Escalations in the workspace: `/escalations` lists the open ones waiting on this agent or
//! anyone below them in the reporting line, soonest deadline first; an agent sends a case up
//! from the ticket page; the named manager (or someone above them, or an admin) acknowledges
//! it, and from then on owns it.

use crate::app::App;
use crate::pages::{PageError, PageResult, SignedIn, Submitted, When, render};
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use rapport_domain::escalation::EscalationSource;
use rapport_domain::{Actor, Agent};
use serde::Deserialize;

#[derive(Template)]
#[template(path = "workspace/escalations.html")]
struct EscalationsPage {
    agent: Agent,
    csrf: String,
    query: String,
    lines: Vec<Line>,
    letters: Vec<LetterLine>,
    flash: Option<String>,
}

/// A letter to management as the inbox shows it.
struct LetterLine {
    letter: rapport_store::letters::Letter,
    deadline: Option<When>,
    overdue: bool,
    answered: Option<When>,
}

struct Line {
    id: i64,
    ticket_id: i64,
    subject: String,
    customer_name: String,
    reason: String,
    source: &'static str,
    manager: String,
    mine: bool,
    deadline: Option<When>,
    overdue: bool,
    acknowledged: Option<When>,
    level: i64,
}

/// What sent a case up, as people say it.
pub fn source_words(source: EscalationSource) -> &'static str {
    match source {
        EscalationSource::Agent => "sent up by an agent",
        EscalationSource::ServiceLevel => "a service level target was missed",
        EscalationSource::Portal => "the customer asked for a manager",
        EscalationSource::Email => "the customer's email asks for a manager",
    }
}

#[derive(Deserialize)]
pub struct Done {
    done: Option<String>,
}

pub async fn show_escalations(
    State(app): State<App>,
    signed_in: SignedIn,
    Query(query): Query<Done>,
) -> PageResult {
    let calendar = app.store.calendar().await?;
    let now = rapport_store::clock::format(app.store.clock().now());
    let lines = app
        .store
        .escalations_waiting_on(&signed_in.agent)
        .await?
        .into_iter()
        .map(|e| Line {
            id: e.id,
            ticket_id: e.ticket_id,
            subject: e.subject,
            customer_name: e.customer_name,
            reason: e.reason,
            source: source_words(e.source),
            manager: e.manager_name.unwrap_or_else(|| "nobody".to_owned()),
            mine: e.manager_id == Some(signed_in.agent.id),
            overdue: e.acknowledged_at.is_none()
                && e.acknowledge_by
                    .as_deref()
                    .is_some_and(|by| by <= now.as_str()),
            deadline: e
                .acknowledge_by
                .as_deref()
                .map(|at| When::on(&calendar, at)),
            acknowledged: e
                .acknowledged_at
                .as_deref()
                .map(|at| When::on(&calendar, at)),
            level: e.level,
        })
        .collect();
    let letters = app
        .store
        .letters_waiting_on(&signed_in.agent)
        .await?
        .into_iter()
        .map(|letter| LetterLine {
            deadline: letter
                .answer_by
                .as_deref()
                .filter(|_| letter.answered_at.is_none())
                .map(|at| When::on(&calendar, at)),
            overdue: letter.answered_at.is_none()
                && letter
                    .answer_by
                    .as_deref()
                    .is_some_and(|by| by <= now.as_str()),
            answered: letter
                .answered_at
                .as_deref()
                .map(|at| When::on(&calendar, at)),
            letter,
        })
        .collect();
    Ok(render(&EscalationsPage {
        agent: signed_in.agent,
        csrf: signed_in.csrf,
        query: String::new(),
        lines,
        letters,
        flash: query.done.filter(|d| !d.is_empty() && d.len() < 200),
    }))
}

#[derive(Deserialize)]
pub struct EscalateForm {
    reason: String,
}

pub async fn escalate(
    State(app): State<App>,
    signed_in: SignedIn,
    crate::pages::Id(id): crate::pages::Id,
    Submitted(form): Submitted<EscalateForm>,
) -> PageResult<Response> {
    super::visible_ticket(&app, &signed_in.agent, id).await?;
    if form.reason.trim().is_empty() {
        return Err(PageError::new(
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            "Say why the case goes up: the manager reads it first.",
        ));
    }
    let escalation = app
        .store
        .escalate(id, &form.reason, Actor::Agent(signed_in.agent.id))
        .await?;
    let to = match escalation.manager_id {
        Some(manager) => app.store.agent(manager).await?.name,
        None => "a manager".to_owned(),
    };
    Ok(super::back_to_ticket(
        id,
        &format!("Escalated to {to}, who has to acknowledge it."),
    ))
}

#[derive(Deserialize)]
pub struct AcknowledgeForm {
    /// Where to go back to: the ticket, or the list.
    back: Option<String>,
}

pub async fn acknowledge(
    State(app): State<App>,
    signed_in: SignedIn,
    crate::pages::Id(id): crate::pages::Id,
    Submitted(form): Submitted<AcknowledgeForm>,
) -> PageResult<Response> {
    let escalation = app.store.escalation(id).await?;
    super::visible_ticket(&app, &signed_in.agent, escalation.ticket_id).await?;
    app.store
        .acknowledge_escalation(id, &signed_in.agent)
        .await?;
    let done = "You acknowledged the escalation: it is yours now.";
    Ok(match form.back.as_deref() {
        Some("list") => axum::response::IntoResponse::into_response(axum::response::Redirect::to(
            &format!("/escalations?done={}", crate::pages::url_escape(done)),
        )),
        _ => super::back_to_ticket(escalation.ticket_id, done),
    })
}

#[derive(Deserialize)]
pub struct AnswerForm {
    answer: String,
}

/// Management answers a letter from the inbox.
pub async fn answer_letter(
    State(app): State<App>,
    signed_in: SignedIn,
    crate::pages::Id(id): crate::pages::Id,
    Submitted(form): Submitted<AnswerForm>,
) -> PageResult<Response> {
    let letter = app.store.letter(id).await?;
    if let Some(ticket) = letter.ticket_id {
        super::visible_ticket(&app, &signed_in.agent, ticket).await?;
    }
    app.store
        .answer_letter(id, &signed_in.agent, &form.answer)
        .await?;
    Ok(axum::response::IntoResponse::into_response(
        axum::response::Redirect::to(&format!(
            "/escalations?done={}#letters",
            crate::pages::url_escape("The letter is answered.")
        )),
    ))
}

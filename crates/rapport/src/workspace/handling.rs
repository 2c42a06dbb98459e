//! Who handles a ticket and how: assignment (with a hand-over note), priority and tags, state
//! moves (propose resolution, hold, reopen, close unresolved), and answering a request for a
//! manager.

use crate::app::App;
use crate::pages::{PageError, PageResult, SignedIn, Submitted};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use rapport_domain::{Actor, Priority};
use rapport_store::tickets::{TicketMove, TicketPatch};
use serde::Deserialize;

/// An id from a `<select>`: empty means none.
fn optional_id(field: &str, value: &str) -> PageResult<Option<i64>> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    value.parse().map(Some).map_err(|_| {
        PageError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("The {field} must be chosen from the list."),
        )
    })
}

#[derive(Deserialize)]
pub struct AssignForm {
    assignee: String,
    team: Option<String>,
    handover_note: Option<String>,
}

pub async fn assign(
    State(app): State<App>,
    signed_in: SignedIn,
    crate::pages::Id(id): crate::pages::Id,
    Submitted(form): Submitted<AssignForm>,
) -> PageResult<Response> {
    super::visible_ticket(&app, &signed_in.agent, id).await?;
    let assignee_id = optional_id("assignee", &form.assignee)?;
    let team_id = match &form.team {
        Some(team) => Some(optional_id("team", team)?),
        None => None,
    };
    crate::tickets::ensure_may_move_to(&app, &signed_in.agent, team_id.flatten()).await?;
    let patch = TicketPatch {
        assignee_id: Some(assignee_id),
        team_id,
        handover_note: form.handover_note.filter(|note| !note.trim().is_empty()),
        ..TicketPatch::default()
    };
    app.store
        .update_ticket(id, patch, Actor::Agent(signed_in.agent.id))
        .await?;
    let done = if assignee_id == Some(signed_in.agent.id) {
        "Assigned to you."
    } else {
        "Assignment saved."
    };
    Ok(super::back_to_ticket(id, done))
}

#[derive(Deserialize)]
pub struct DetailsForm {
    priority: String,
    tags: String,
}

pub async fn change_details(
    State(app): State<App>,
    signed_in: SignedIn,
    crate::pages::Id(id): crate::pages::Id,
    Submitted(form): Submitted<DetailsForm>,
) -> PageResult<Response> {
    super::visible_ticket(&app, &signed_in.agent, id).await?;
    let priority: Priority = form
        .priority
        .parse()
        .map_err(|err: rapport_domain::Invalid| {
            PageError::new(StatusCode::UNPROCESSABLE_ENTITY, err.message)
        })?;
    let tags: Vec<String> = form
        .tags
        .split(',')
        .map(str::trim)
        .filter(|tag| !tag.is_empty())
        .map(str::to_owned)
        .collect();
    let patch = TicketPatch {
        priority: Some(priority),
        tags: Some(tags),
        ..TicketPatch::default()
    };
    app.store
        .update_ticket(id, patch, Actor::Agent(signed_in.agent.id))
        .await?;
    Ok(super::back_to_ticket(id, "Saved."))
}

#[derive(Deserialize)]
pub struct StateForm {
    #[serde(rename = "move")]
    chosen: String,
    reason: Option<String>,
}

pub async fn change_state(
    State(app): State<App>,
    signed_in: SignedIn,
    crate::pages::Id(id): crate::pages::Id,
    Submitted(form): Submitted<StateForm>,
) -> PageResult<Response> {
    super::visible_ticket(&app, &signed_in.agent, id).await?;
    let (ticket_move, done) = match form.chosen.as_str() {
        "propose_resolution" => (
            TicketMove::ProposeResolution,
            "Resolution proposed: the customer has been asked whether it is fixed.",
        ),
        "hold" => (TicketMove::Hold, "Put on hold."),
        "release" => (TicketMove::Release, "Taken off hold."),
        "reopen" => (TicketMove::Reopen, "Problem reopened."),
        "close_unresolved" => (
            TicketMove::CloseUnresolved {
                reason: form.reason.unwrap_or_default(),
            },
            "Closed unresolved, with the reason in the timeline.",
        ),
        other => {
            return Err(PageError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("“{other}” is not a move Rapport knows."),
            ));
        }
    };
    app.store
        .move_ticket(id, ticket_move, Actor::Agent(signed_in.agent.id))
        .await?;
    Ok(super::back_to_ticket(id, done))
}

#[derive(Deserialize)]
pub struct EmptyForm {}

pub async fn answer_escalation(
    State(app): State<App>,
    signed_in: SignedIn,
    crate::pages::Id(id): crate::pages::Id,
    Submitted(EmptyForm {}): Submitted<EmptyForm>,
) -> PageResult<Response> {
    super::visible_ticket(&app, &signed_in.agent, id).await?;
    app.store
        .resolve_escalation(id, Actor::Agent(signed_in.agent.id))
        .await?;
    Ok(super::back_to_ticket(
        id,
        "The request for a manager is marked answered.",
    ))
}

//! One change to many tickets at once: assign, add a tag, set the priority, propose the
//! resolution, or close unresolved (with the reason written on each). Each ticket is changed
//! in its own step, with the same checks as one at a time (who may see it, the hand-over note
//! when it changes hands); the answer says which changed and why the others did not.

use crate::app::App;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{AuthAgent, Json};
use axum::extract::State;
use rapport_domain::ticket::TicketMove;
use rapport_domain::{Actor, Agent, Priority};
use rapport_store::tickets::TicketPatch;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// At most this many tickets in one request.
pub const MAX_TICKETS: usize = 500;

/// What to do to every ticket.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum BulkAction {
    /// Assign to an agent (`null`: to nobody). Moving a ticket from someone to someone else
    /// needs `handover_note`, kept on each.
    Assign {
        assignee_id: Option<i64>,
        handover_note: Option<String>,
    },
    AddTag {
        tag: String,
    },
    SetPriority {
        priority: Priority,
    },
    ProposeResolution,
    /// Close the problems unsolved; `reason` is written on each.
    CloseUnresolved {
        reason: String,
    },
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkChange {
    ticket_ids: Vec<i64>,
    /// What to do to each, by its `action`.
    change: BulkAction,
}

/// A ticket that did not change, and why.
#[derive(Serialize, ToSchema)]
pub struct NotChanged {
    pub ticket_id: i64,
    pub message: String,
}

#[derive(Serialize, ToSchema)]
pub struct BulkOutcome {
    pub changed: Vec<i64>,
    pub not_changed: Vec<NotChanged>,
}

/// Applies `action` to each ticket the agent may see.
pub async fn apply(
    app: &App,
    agent: &Agent,
    ticket_ids: &[i64],
    action: &BulkAction,
) -> ApiResult<BulkOutcome> {
    if ticket_ids.is_empty() {
        return Err(ApiError::invalid("Tick at least one ticket."));
    }
    if ticket_ids.len() > MAX_TICKETS {
        return Err(ApiError::invalid(format!(
            "At most {MAX_TICKETS} tickets at once; this asked for {}.",
            ticket_ids.len()
        )));
    }
    if let BulkAction::CloseUnresolved { reason } = action
        && reason.trim().is_empty()
    {
        return Err(ApiError::invalid(
            "Closing problems that are not solved needs a written reason; each customer's history will show it.",
        ));
    }
    let actor = Actor::Agent(agent.id);
    let mut ids = ticket_ids.to_vec();
    ids.dedup();
    let mut outcome = BulkOutcome {
        changed: Vec::new(),
        not_changed: Vec::new(),
    };
    for id in ids {
        match change_one(app, agent, actor, id, action).await {
            Ok(()) => outcome.changed.push(id),
            Err(error) if error.status.is_client_error() => outcome.not_changed.push(NotChanged {
                ticket_id: id,
                message: error.message,
            }),
            Err(error) => return Err(error),
        }
    }
    Ok(outcome)
}

async fn change_one(
    app: &App,
    agent: &Agent,
    actor: Actor,
    id: i64,
    action: &BulkAction,
) -> ApiResult<()> {
    let ticket = app.store.ticket(id).await?;
    super::ensure_visible(app, agent, &ticket).await?;
    match action {
        BulkAction::Assign {
            assignee_id,
            handover_note,
        } => {
            let patch = TicketPatch {
                assignee_id: Some(*assignee_id),
                handover_note: handover_note.clone(),
                ..TicketPatch::default()
            };
            app.store.update_ticket(id, patch, actor).await?;
        }
        BulkAction::AddTag { tag } => {
            let mut tags = ticket.tags.clone();
            tags.push(tag.clone());
            let patch = TicketPatch {
                tags: Some(tags),
                ..TicketPatch::default()
            };
            app.store.update_ticket(id, patch, actor).await?;
        }
        BulkAction::SetPriority { priority } => {
            let patch = TicketPatch {
                priority: Some(*priority),
                ..TicketPatch::default()
            };
            app.store.update_ticket(id, patch, actor).await?;
        }
        BulkAction::ProposeResolution => {
            app.store
                .move_ticket(id, TicketMove::ProposeResolution, actor)
                .await?;
        }
        BulkAction::CloseUnresolved { reason } => {
            let close = TicketMove::CloseUnresolved {
                reason: reason.clone(),
            };
            app.store.move_ticket(id, close, actor).await?;
        }
    }
    Ok(())
}

/// Change many tickets at once. Each ticket is changed on its own, with the same checks as
/// one at a time; the answer lists those that changed and, for the others, why not.
#[utoipa::path(post, path = "/api/v1/tickets/bulk", tag = "tickets", security(("bearer" = [])),
    request_body = BulkChange,
    responses((status = 200, body = BulkOutcome), (status = 422, body = ErrorBody)))]
pub async fn bulk_change(
    State(app): State<App>,
    auth: AuthAgent,
    Json(input): Json<BulkChange>,
) -> ApiResult<Json<BulkOutcome>> {
    Ok(Json(
        apply(&app, &auth.0, &input.ticket_ids, &input.change).await?,
    ))
}

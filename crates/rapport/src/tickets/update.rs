use crate::app::App;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{AuthAgent, Json, Path};
use axum::extract::State;
use rapport_domain::{Priority, Ticket};
use rapport_store::tickets::TicketPatch;
use serde::Deserialize;
use utoipa::ToSchema;

/// Fields left out stay as they are; `null` clears `assignee_id` or `team_id`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateTicket {
    #[serde(default, deserialize_with = "crate::extract::present")]
    #[schema(value_type = Option<i64>)]
    assignee_id: Option<Option<i64>>,
    #[serde(default, deserialize_with = "crate::extract::present")]
    #[schema(value_type = Option<i64>)]
    team_id: Option<Option<i64>>,
    priority: Option<Priority>,
    /// Replaces the ticket's tags.
    tags: Option<Vec<String>>,
    /// Required when moving the ticket from one assignee to another: what the next person
    /// needs to know. Kept as an internal note and in the audit trail.
    handover_note: Option<String>,
}

/// Change who handles a ticket and how: assignee, team, priority, tags. Each change is recorded
/// in the ticket's audit trail. Only a restricted team's members (and admins) may move a ticket
/// into it.
#[utoipa::path(patch, path = "/api/v1/tickets/{id}", tag = "tickets", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Ticket id")),
    request_body = UpdateTicket,
    responses((status = 200, body = Ticket), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_ticket(
    State(app): State<App>,
    auth: AuthAgent,
    Path(id): Path<i64>,
    Json(input): Json<UpdateTicket>,
) -> ApiResult<Json<Ticket>> {
    super::visible_to(&app, &auth, id).await?;
    super::ensure_may_move_to(&app, &auth.0, input.team_id.flatten()).await?;
    let patch = TicketPatch {
        assignee_id: input.assignee_id,
        team_id: input.team_id,
        priority: input.priority,
        tags: input.tags,
        handover_note: input.handover_note,
    };
    Ok(Json(
        app.store.update_ticket(id, patch, auth.actor()).await?,
    ))
}

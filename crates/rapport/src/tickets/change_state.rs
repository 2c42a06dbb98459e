use crate::app::App;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{AuthAgent, Json, Path};
use axum::extract::State;
use rapport_domain::Ticket;
use rapport_store::tickets::TicketMove;
use serde::Deserialize;
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StateAction {
    /// Ask the customer "did this fix it?" with a yes link and a no link.
    ProposeResolution,
    /// The problem is back, or was never solved.
    Reopen,
    /// Wait for someone other than the customer.
    Hold,
    Release,
    /// Give up on an open problem; needs `reason`, which the customer's history shows.
    CloseUnresolved,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangeState {
    action: StateAction,
    reason: Option<String>,
}

/// Move a ticket's conversation or problem state. Only the customer confirms a resolution
/// (through their link); an agent proposes it. Nothing closes a ticket because of silence.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/state", tag = "tickets", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Ticket id")),
    request_body = ChangeState,
    responses((status = 200, body = Ticket), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, description = "Not possible from the ticket's state", body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn change_state(
    State(app): State<App>,
    auth: AuthAgent,
    Path(id): Path<i64>,
    Json(input): Json<ChangeState>,
) -> ApiResult<Json<Ticket>> {
    super::visible_to(&app, &auth, id).await?;
    let ticket_move = match input.action {
        StateAction::ProposeResolution => TicketMove::ProposeResolution,
        StateAction::Reopen => TicketMove::Reopen,
        StateAction::Hold => TicketMove::Hold,
        StateAction::Release => TicketMove::Release,
        StateAction::CloseUnresolved => {
            let reason = input.reason.filter(|r| !r.trim().is_empty()).ok_or_else(|| {
                ApiError::invalid("`reason`: closing a problem that is not solved needs a written reason; the customer's history will show it.")
            })?;
            TicketMove::CloseUnresolved { reason }
        }
    };
    Ok(Json(
        app.store.move_ticket(id, ticket_move, auth.actor()).await?,
    ))
}

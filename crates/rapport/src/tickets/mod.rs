//! Tickets: a customer's request and the conversation about it.

mod add_message;
mod calls;
mod change_state;
mod create;
mod events;
mod list;
mod show;
mod update;

use crate::app::App;
use rapport_domain::{Message, Ticket};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(create::create_ticket, list::list_tickets))
        .routes(routes!(show::show_ticket, update::update_ticket))
        .routes(routes!(add_message::add_message))
        .routes(routes!(events::list_ticket_events))
        .routes(routes!(change_state::change_state))
        .routes(routes!(calls::log_call))
}

/// The ticket, when this agent may see it: a restricted team's tickets are for its members
/// and admins, and answer 403 to everyone else.
pub(crate) async fn visible_to(
    app: &App,
    auth: &crate::extract::AuthAgent,
    id: i64,
) -> crate::error::ApiResult<Ticket> {
    let ticket = app.store.ticket(id).await?;
    if !app.store.agent_may_see(&auth.0, &ticket).await? {
        return Err(crate::error::ApiError::forbidden(format!(
            "Ticket {id} belongs to a restricted team that {} is not in.",
            auth.0.email
        )));
    }
    Ok(ticket)
}

/// A ticket with its timeline, oldest message first.
#[derive(Serialize, ToSchema)]
pub struct TicketDetail {
    #[serde(flatten)]
    ticket: Ticket,
    messages: Vec<Message>,
}

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

/// A ticket with its timeline, oldest message first.
#[derive(Serialize, ToSchema)]
pub struct TicketDetail {
    #[serde(flatten)]
    ticket: Ticket,
    messages: Vec<Message>,
}

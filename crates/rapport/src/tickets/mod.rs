//! Tickets: a customer's request and the conversation about it.

mod add_message;
pub(crate) mod bulk;
mod calls;
mod change_state;
mod create;
mod events;
mod list;
mod show;
mod update;

use crate::app::App;
use rapport_domain::{Agent, Message, Ticket};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(create::create_ticket, list::list_tickets))
        .routes(routes!(show::show_ticket, update::update_ticket))
        .merge(
            // Files come as base64 in the JSON: a third larger than the files themselves.
            OpenApiRouter::new()
                .routes(routes!(add_message::add_message))
                .layer(axum::extract::DefaultBodyLimit::max(
                    crate::pages::MAX_UPLOAD_BYTES * 4 / 3 + 64 * 1024,
                )),
        )
        .routes(routes!(events::list_ticket_events))
        .routes(routes!(bulk::bulk_change))
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
    ensure_visible(app, &auth.0, &ticket).await?;
    Ok(ticket)
}

/// 403 unless the agent may see the ticket (for what names a ticket: a promise, a task, the
/// coach's context).
pub(crate) async fn ensure_visible(
    app: &App,
    agent: &Agent,
    ticket: &Ticket,
) -> crate::error::ApiResult<()> {
    if app.store.agent_may_see(agent, ticket).await? {
        return Ok(());
    }
    Err(crate::error::ApiError::forbidden(format!(
        "Ticket {} belongs to a restricted team that {} is not in.",
        ticket.id, agent.email
    )))
}

/// 403 when the agent moves a ticket into a restricted team they are not in (admins may):
/// they would be giving away what they could then not see. An unknown team is left to the
/// update, which names it.
pub(crate) async fn ensure_may_move_to(
    app: &App,
    agent: &Agent,
    team_id: Option<i64>,
) -> crate::error::ApiResult<()> {
    let Some(team_id) = team_id else {
        return Ok(());
    };
    let teams = app.store.teams().await?;
    match teams.iter().find(|team| team.id == team_id) {
        Some(team) if !team.is_open_to(agent) => Err(crate::error::ApiError::forbidden(format!(
            "{} is a restricted team and {} is not in it; only its members and admins may move tickets into it.",
            team.name, agent.email
        ))),
        _ => Ok(()),
    }
}

/// A ticket with its latest messages, oldest first.
#[derive(Serialize, ToSchema)]
pub struct TicketDetail {
    #[serde(flatten)]
    ticket: Ticket,
    /// The latest messages (50 unless `limit` says otherwise), oldest first.
    messages: Vec<Message>,
    /// How many messages the ticket has in all.
    message_count: i64,
    /// Pass as `cursor` to get the messages before these; `null` when they reach the first.
    earlier_cursor: Option<String>,
}

impl TicketDetail {
    fn new(ticket: Ticket, page: rapport_store::tickets::MessagePage) -> TicketDetail {
        TicketDetail {
            ticket,
            message_count: page.total,
            earlier_cursor: page
                .earlier_before_id
                .map(|id| crate::cursor::encode(show::CURSOR_LIST, id)),
            messages: page.messages,
        }
    }
}

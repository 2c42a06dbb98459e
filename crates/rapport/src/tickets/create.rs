use super::TicketDetail;
use crate::app::App;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{AuthAgent, Json};
use axum::extract::State;
use axum::http::StatusCode;
use rapport_domain::{Channel, Priority};
use rapport_store::calls::CallDirection;
use rapport_store::conversation::{AgentTicket, Opening, PhoneCall};
use rapport_store::tickets::{CustomerRef, NewTicket};
use serde::Deserialize;
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTicket {
    subject: String,
    /// The first message: the customer's words (`api`, `phone`), our mail to them (`email`) or
    /// an internal note (`note`).
    body: String,
    /// How the ticket starts. `api` (the default): `body` is the customer's request, sent on
    /// their behalf, and the ticket is unassigned. `phone`: the customer called; `body` is
    /// what they asked for, and `call` logs the call in the same step. `email`: we write first;
    /// `body` is mailed to the customer. `note`: an internal note. All but `api` assign the
    /// ticket to the agent who opens it.
    #[serde(default)]
    opened_as: OpenedAs,
    /// With `opened_as: phone`: the call to log with the ticket.
    call: Option<CallLog>,
    /// Who the ticket is for, by address; an unknown address creates the customer.
    customer: Option<CustomerByEmail>,
    /// Who the ticket is for, by id (instead of `customer`).
    customer_id: Option<i64>,
    /// `normal` unless given.
    priority: Option<Priority>,
    #[serde(default)]
    tags: Vec<String>,
}

#[derive(Deserialize, ToSchema, Default, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum OpenedAs {
    #[default]
    Api,
    Phone,
    Email,
    Note,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CallLog {
    /// `inbound` unless given.
    direction: Option<CallDirection>,
    /// When the call began (RFC 3339); now unless given.
    started_at: Option<String>,
    duration_seconds: i64,
    /// What was said; the ticket's `body` unless given.
    summary: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomerByEmail {
    email: String,
    name: Option<String>,
}

/// Open a ticket: on a customer's behalf (`body` becomes their first message), or as an agent
/// for a customer who called, to whom we write first, or as a note (`opened_as`).
#[utoipa::path(post, path = "/api/v1/tickets", tag = "tickets", security(("bearer" = [])),
    request_body = CreateTicket,
    responses((status = 201, body = TicketDetail), (status = 400, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_ticket(
    State(app): State<App>,
    auth: AuthAgent,
    Json(input): Json<CreateTicket>,
) -> ApiResult<(StatusCode, Json<TicketDetail>)> {
    let customer = match (&input.customer, input.customer_id) {
        (Some(customer), None) => CustomerRef::Email {
            email: &customer.email,
            name: customer.name.as_deref(),
        },
        (None, Some(id)) => CustomerRef::Id(id),
        (Some(_), Some(_)) => {
            return Err(ApiError::invalid(
                "Give either `customer` or `customer_id`, not both.",
            ));
        }
        (None, None) => {
            return Err(ApiError::invalid(
                "Say who the ticket is for: `customer: {\"email\": ...}` or `customer_id`.",
            ));
        }
    };
    let priority = input.priority.unwrap_or(Priority::Normal);
    if input.call.is_some() && input.opened_as != OpenedAs::Phone {
        return Err(ApiError::invalid(
            "`call` logs a phone call: give it with `opened_as: \"phone\"`.",
        ));
    }
    if input.opened_as == OpenedAs::Api {
        let new = NewTicket {
            subject: &input.subject,
            body: &input.body,
            customer,
            channel: Channel::Api,
            priority,
            tags: &input.tags,
        };
        let (ticket, messages) = app.store.create_ticket(new, auth.actor()).await?;
        return Ok((StatusCode::CREATED, Json(detail(ticket, messages))));
    }
    let now = app.store.now();
    let call = input.call.as_ref().map(|call| PhoneCall {
        direction: call.direction.unwrap_or(CallDirection::Inbound),
        started_at: call.started_at.as_deref().unwrap_or(&now),
        duration_seconds: call.duration_seconds,
        summary: call.summary.as_deref().unwrap_or(&input.body),
    });
    let opening = match input.opened_as {
        OpenedAs::Phone => Opening::Phone {
            words: &input.body,
            call,
        },
        OpenedAs::Email => Opening::Email { body: &input.body },
        _ => Opening::Note { body: &input.body },
    };
    let new = AgentTicket {
        subject: &input.subject,
        customer,
        opening,
        priority,
        tags: &input.tags,
    };
    let ticket = app.store.open_ticket_as_agent(new, auth.0.id).await?;
    let messages = app.store.ticket_messages(ticket.id).await?;
    Ok((StatusCode::CREATED, Json(detail(ticket, messages))))
}

/// A new ticket's answer: the ticket and its first messages, as one page.
fn detail(ticket: rapport_domain::Ticket, messages: Vec<rapport_domain::Message>) -> TicketDetail {
    let page = rapport_store::tickets::MessagePage {
        total: messages.len() as i64,
        earlier_before_id: None,
        messages,
    };
    TicketDetail::new(ticket, page)
}

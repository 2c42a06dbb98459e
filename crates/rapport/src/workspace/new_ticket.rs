//! `/tickets/new`: an agent opens a ticket for a customer, new or known. By phone (what the
//! customer asked for, and the call logged in the same step), by mail (our first message is
//! mailed to them), or as an internal note. The ticket is the agent's.

use crate::app::App;
use crate::pages::{PageError, PageResult, SignedIn, Submitted, render_with};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use rapport_domain::{Agent, Priority};
use rapport_store::StoreError;
use rapport_store::calls::CallDirection;
use rapport_store::conversation::{AgentTicket, Opening, PhoneCall};
use rapport_store::tickets::CustomerRef;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "workspace/new_ticket.html")]
struct NewTicketPage {
    agent: Agent,
    csrf: String,
    query: String,
    /// A known customer the ticket is for (opened from their page).
    customer: Option<rapport_domain::Customer>,
    form: NewTicketForm,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct NewTicketForm {
    #[serde(default)]
    customer_id: Option<String>,
    #[serde(default)]
    email: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    subject: String,
    #[serde(default = "phone")]
    channel: String,
    #[serde(default)]
    body: String,
    #[serde(default = "normal")]
    priority: String,
    #[serde(default)]
    tags: String,
    /// Ticked: the call is logged with the ticket.
    #[serde(default)]
    log_call: Option<String>,
    #[serde(default)]
    minutes: String,
    #[serde(default)]
    summary: String,
}

fn phone() -> String {
    "phone".to_owned()
}

fn normal() -> String {
    "normal".to_owned()
}

impl NewTicketForm {
    fn is(&self, channel: &str) -> bool {
        self.channel == channel
    }

    fn priority_is(&self, priority: &Priority) -> bool {
        self.priority == priority.as_str()
    }

    fn priorities(&self) -> &'static [Priority] {
        Priority::ALL
    }
}

#[derive(Deserialize)]
pub struct For {
    customer: Option<String>,
}

pub async fn new_ticket_page(
    State(app): State<App>,
    signed_in: SignedIn,
    Query(query): Query<For>,
) -> PageResult {
    let customer = match query.customer.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(id) => {
            let id = id.parse().map_err(|_| {
                PageError::not_found("There is no such customer. Open the new ticket form from the customer's page, or without one.")
            })?;
            Some(app.store.customer(id).await?)
        }
    };
    let form = NewTicketForm {
        customer_id: customer.as_ref().map(|c| c.id.to_string()),
        channel: phone(),
        priority: normal(),
        ..NewTicketForm::default()
    };
    Ok(render_with(
        StatusCode::OK,
        &NewTicketPage {
            agent: signed_in.agent,
            csrf: signed_in.csrf,
            query: String::new(),
            customer,
            form,
            error: None,
        },
    ))
}

/// What the form asks for, read into the store's terms; a sentence when it cannot be.
fn read(form: &NewTicketForm) -> Result<Reading, String> {
    let customer_id = match form.customer_id.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(id) => Some(id.parse::<i64>().map_err(|_| {
            "The customer could not be read; open the form again from their page.".to_owned()
        })?),
    };
    if customer_id.is_none() && form.email.trim().is_empty() {
        return Err("Say who the ticket is for: the customer's email address.".to_owned());
    }
    let priority: Priority = form
        .priority
        .parse()
        .map_err(|_| "Choose a priority: low, normal, high or urgent.".to_owned())?;
    let minutes = if form.channel == "phone" && form.log_call.is_some() {
        let minutes: i64 = form
            .minutes
            .trim()
            .parse()
            .ok()
            .filter(|m| (0..=600).contains(m))
            .ok_or("The call's length is a number of minutes, 0 to 600.")?;
        Some(minutes)
    } else {
        None
    };
    Ok(Reading {
        customer_id,
        priority,
        minutes,
    })
}

struct Reading {
    customer_id: Option<i64>,
    priority: Priority,
    minutes: Option<i64>,
}

pub async fn create_ticket(
    State(app): State<App>,
    signed_in: SignedIn,
    Submitted(form): Submitted<NewTicketForm>,
) -> PageResult {
    let tags: Vec<String> = form
        .tags
        .split(',')
        .map(str::trim)
        .filter(|tag| !tag.is_empty())
        .map(str::to_owned)
        .collect();
    let reading = read(&form);
    let outcome = match &reading {
        Err(message) => Err(message.clone()),
        Ok(reading) => {
            let customer = match reading.customer_id {
                Some(id) => CustomerRef::Id(id),
                None => CustomerRef::Email {
                    email: form.email.trim(),
                    name: Some(form.name.trim()).filter(|n| !n.is_empty()),
                },
            };
            // A call that just ended began its length ago.
            let started_at = reading.minutes.map(|minutes| {
                let start = app.store.clock().now() - time::Duration::minutes(minutes);
                rapport_store::clock::format(start)
            });
            let summary = if form.summary.trim().is_empty() {
                form.body.as_str()
            } else {
                form.summary.as_str()
            };
            let opening = match form.channel.as_str() {
                "phone" => Some(Opening::Phone {
                    words: &form.body,
                    call: reading.minutes.zip(started_at.as_deref()).map(
                        |(minutes, started_at)| PhoneCall {
                            direction: CallDirection::Inbound,
                            started_at,
                            duration_seconds: minutes * 60,
                            summary,
                        },
                    ),
                }),
                "email" => Some(Opening::Email { body: &form.body }),
                "note" => Some(Opening::Note { body: &form.body }),
                _ => None,
            };
            match opening {
                None => Err("Choose how the ticket starts: a phone call, a mail to the customer, or a note.".to_owned()),
                Some(opening) => {
                    let new = AgentTicket {
                        subject: &form.subject,
                        customer,
                        opening,
                        priority: reading.priority,
                        tags: &tags,
                    };
                    match app.store.open_ticket_as_agent(new, signed_in.agent.id).await {
                        Ok(ticket) => Ok(ticket.id),
                        Err(error @ (StoreError::Invalid(_)
                        | StoreError::UnknownReference { .. }
                        | StoreError::Conflict { .. }
                        | StoreError::NotFound { .. })) => {
                            Err(crate::error::ApiError::from(error).message)
                        }
                        Err(error) => return Err(PageError::from(error)),
                    }
                }
            }
        }
    };
    match outcome {
        Ok(id) => Ok(Redirect::to(&format!(
            "/tickets/{id}?done={}",
            crate::pages::url_escape("Ticket opened.")
        ))
        .into_response()),
        Err(message) => {
            let customer = match reading.ok().and_then(|r| r.customer_id) {
                Some(id) => app.store.customer(id).await.ok(),
                None => None,
            };
            Ok(render_with(
                StatusCode::UNPROCESSABLE_ENTITY,
                &NewTicketPage {
                    agent: signed_in.agent,
                    csrf: signed_in.csrf,
                    query: String::new(),
                    customer,
                    form,
                    error: Some(message),
                },
            ))
        }
    }
}

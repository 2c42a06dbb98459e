//! `/filtered`: mail that opened nothing (bulk, automatic replies, unmatched bounces, refused
//! mail), so an agent can see a wrong guess and turn the mail into a ticket or add it to one.

use crate::app::App;
use crate::pages::{PageError, PageResult, SignedIn, Submitted, When, render, url_escape};
use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use rapport_domain::Agent;
use rapport_store::StoreError;
use rapport_store::filtered_mail::TakeInto;
use rapport_store::mail_intake::Outcome;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "workspace/filtered.html")]
struct FilteredPage {
    agent: Agent,
    csrf: String,
    query: String,
    items: Vec<ItemView>,
    flash: Option<String>,
    /// The id to show older items from, when there are more.
    older: Option<i64>,
}

struct ItemView {
    id: i64,
    kind: &'static str,
    reason: String,
    sender: Option<String>,
    subject: String,
    received: When,
    related_ticket_id: Option<i64>,
    /// Where it went, once taken.
    taken: Option<Taken>,
}

struct Taken {
    ticket_id: Option<i64>,
    when: When,
}

/// How many items a page lists.
const PAGE: i64 = 50;

#[derive(Deserialize)]
pub struct ListQuery {
    done: Option<String>,
    before: Option<i64>,
}

pub async fn show_filtered(
    State(app): State<App>,
    signed_in: SignedIn,
    Query(query): Query<ListQuery>,
) -> PageResult {
    let calendar = app.store.calendar().await?;
    let found = app
        .store
        .filtered_mail(&signed_in.agent, query.before, PAGE)
        .await?;
    let older = (found.len() as i64 == PAGE)
        .then(|| found.last().map(|item| item.id))
        .flatten();
    let items = found
        .into_iter()
        .map(|item| ItemView {
            id: item.id,
            kind: kind_words(item.outcome),
            reason: item.reason.unwrap_or_default(),
            sender: item.sender,
            subject: item
                .subject
                .filter(|s| !s.trim().is_empty())
                .unwrap_or_else(|| "(no subject)".to_owned()),
            received: When::on(&calendar, &item.received_at),
            related_ticket_id: item.related_ticket_id,
            taken: item.taken_at.map(|at| Taken {
                ticket_id: item.ticket_id,
                when: When::on(&calendar, &at),
            }),
        })
        .collect();
    Ok(render(&FilteredPage {
        agent: signed_in.agent,
        csrf: signed_in.csrf,
        query: String::new(),
        items,
        flash: query.done.filter(|d| !d.is_empty() && d.len() < 200),
        older,
    }))
}

fn kind_words(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Bulk => "Bulk or list mail",
        Outcome::AutoReply => "Automatic reply",
        Outcome::Bounce => "Delivery failure",
        Outcome::Rejected => "Refused",
        Outcome::NewTicket | Outcome::Reply => "Mail",
    }
}

#[derive(Deserialize)]
pub struct TakeForm {
    /// A ticket number to add the mail to; empty for a new ticket.
    #[serde(default)]
    ticket: String,
    /// Whose mail it is, when no sender could be read.
    #[serde(default)]
    customer_email: String,
}

pub async fn take(
    State(app): State<App>,
    signed_in: SignedIn,
    crate::pages::Id(id): crate::pages::Id,
    Submitted(form): Submitted<TakeForm>,
) -> PageResult<Response> {
    let number = form.ticket.trim().trim_start_matches('#');
    let into = if number.is_empty() {
        TakeInto::NewTicket
    } else {
        match number.parse::<i64>() {
            Ok(ticket_id) if ticket_id > 0 => TakeInto::Ticket(ticket_id),
            _ => {
                return Err(PageError::new(
                    axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                    format!(
                        "\u{201c}{}\u{201d} is not a ticket number; write the number, such as 1234, or leave it empty for a new ticket.",
                        form.ticket.trim()
                    ),
                ));
            }
        }
    };
    let customer_email = Some(form.customer_email.trim()).filter(|e| !e.is_empty());
    match app
        .store
        .take_filtered_mail(&signed_in.agent, id, into, customer_email)
        .await
    {
        Ok(taken) => {
            let done = match into {
                TakeInto::NewTicket => "The mail is now this ticket.",
                TakeInto::Ticket(_) => "The mail was added to this ticket.",
            };
            Ok(Redirect::to(&format!(
                "/tickets/{}?done={}",
                taken.ticket_id,
                url_escape(done)
            ))
            .into_response())
        }
        // Someone else was quicker: back to the list, which says where it went.
        Err(StoreError::Conflict { message, .. }) => {
            Ok(Redirect::to(&format!("/filtered?done={}", url_escape(&message))).into_response())
        }
        Err(other) => Err(other.into()),
    }
}

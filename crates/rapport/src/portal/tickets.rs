//! The customer's requests: the list, one request with its public messages and what the
//! customer can do next, opening one (with files), replying, "not fixed yet", confirming a
//! resolution, rating, and downloading attachments.

use super::PortalCustomer;
use super::sign_in::SignInPage;
use crate::app::App;
use crate::pages::WithFiles;
use crate::pages::{PageError, PageResult, Submitted, When, render, render_with};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use rapport_domain::message::{CustomerLinks, customer_links};
use rapport_domain::staff::PublicContact;
use rapport_domain::ticket::WordsSay;
use rapport_domain::timeline::{self, Fact, Names, Reader};
use rapport_domain::{ActorKind, AttachmentInfo, Problem, Ticket};
use serde::Deserialize;
use std::collections::{HashMap, HashSet};

/// What the customer sees of a problem's state.
fn status(ticket: &Ticket) -> (&'static str, String) {
    match ticket.problem {
        Problem::Open => ("open", "We are working on it".to_owned()),
        Problem::ResolutionProposed => (
            "open",
            "We think it is fixed: please tell us if it is".to_owned(),
        ),
        Problem::Resolved => ("resolved", "Solved".to_owned()),
        Problem::ClosedUnresolved => (
            "closed",
            match &ticket.closed_reason {
                Some(reason) => format!("Closed without a fix: {reason}"),
                None => "Closed without a fix".to_owned(),
            },
        ),
    }
}

#[derive(Template)]
#[template(path = "portal/tickets.html")]
struct TicketsPage {
    signed_in_as: Option<String>,
    csrf: String,
    tickets: Vec<TicketLine>,
    flash: Option<String>,
}

struct TicketLine {
    id: i64,
    subject: String,
    status: String,
    problem_class: &'static str,
    updated: When,
    mine: bool,
    customer_name: String,
}

#[derive(Deserialize)]
pub struct HomeQuery {
    /// Set after a letter to management was sent: to whom.
    letter: Option<String>,
    /// Where a customer who is not signed in was going.
    next: Option<String>,
}

/// `/portal`: the customer's requests, or the sign-in form.
pub async fn home(
    State(app): State<App>,
    headers: HeaderMap,
    Query(query): Query<HomeQuery>,
) -> PageResult {
    let Some(me) = PortalCustomer::from_headers(&app, &headers).await? else {
        let (csrf, cookie) = crate::pages::form_token(&app, &headers);
        let page = render(&SignInPage {
            signed_in_as: None,
            csrf,
            error: None,
            next: super::sign_in::portal_next(query.next.as_deref()),
        });
        return Ok(crate::pages::with_cookie(page, cookie));
    };
    let tickets = app.store.portal_tickets(&me.customer).await?;
    let calendar = app.store.calendar().await?;
    let others: Vec<i64> = tickets
        .iter()
        .map(|ticket| ticket.customer_id)
        .filter(|&customer| customer != me.customer.id)
        .collect();
    let names = app.store.customer_names(&others).await?;
    let mut lines = Vec::with_capacity(tickets.len());
    for ticket in tickets {
        let mine = ticket.customer_id == me.customer.id;
        let (problem_class, status) = status(&ticket);
        lines.push(TicketLine {
            id: ticket.id,
            subject: ticket.subject,
            status,
            problem_class,
            updated: When::on(&calendar, &ticket.updated_at),
            mine,
            customer_name: names.get(&ticket.customer_id).cloned().unwrap_or_default(),
        });
    }
    Ok(render(&TicketsPage {
        signed_in_as: Some(me.customer.name),
        csrf: me.csrf,
        tickets: lines,
        flash: query
            .letter
            .filter(|to| !to.is_empty() && to.len() < 200)
            .map(|to| format!("Thank you. Your letter is on its way to {to}.")),
    }))
}

#[derive(Template)]
#[template(path = "portal/new.html")]
struct NewTicketPage {
    signed_in_as: Option<String>,
    csrf: String,
    error: Option<String>,
    subject: String,
    body: String,
}

pub async fn new_ticket_page(me: PortalCustomer) -> PageResult {
    Ok(render(&NewTicketPage {
        signed_in_as: Some(me.customer.name),
        csrf: me.csrf,
        error: None,
        subject: String::new(),
        body: String::new(),
    }))
}

pub async fn open_ticket(
    State(app): State<App>,
    me: PortalCustomer,
    WithFiles(upload): WithFiles,
) -> PageResult<Response> {
    let (subject, body) = (upload.field("subject"), upload.field("body"));
    match app
        .store
        .open_portal_ticket(me.customer.id, &subject, &body, &upload.files)
        .await
    {
        Ok(ticket) => Ok(Redirect::to(&format!(
            "/portal/tickets/{}?done={}",
            ticket.id,
            crate::pages::url_escape("Thank you. We have your request and will answer soon.")
        ))
        .into_response()),
        Err(rapport_store::StoreError::Invalid(invalid)) => Ok(render_with(
            StatusCode::UNPROCESSABLE_ENTITY,
            &NewTicketPage {
                signed_in_as: Some(me.customer.name),
                csrf: me.csrf,
                error: Some(format!(
                    "Please check the {}: {}.",
                    invalid.field, invalid.message
                )),
                subject,
                body,
            },
        )),
        Err(other) => Err(other.into()),
    }
}

#[derive(Template)]
#[template(path = "portal/ticket.html")]
struct TicketPage {
    signed_in_as: Option<String>,
    csrf: String,
    id: i64,
    subject: String,
    status: String,
    problem_class: &'static str,
    proposed: bool,
    finished: bool,
    rating: Option<i64>,
    handler: Option<PublicContact>,
    supervisor: Option<PublicContact>,
    escalated: Option<String>,
    call_backs: Vec<String>,
    messages: Vec<MessageView>,
    flash: Option<String>,
    /// Shown at the reply form: why it came back.
    note: Option<String>,
    open_manager: bool,
}

struct MessageView {
    author: String,
    when: When,
    html: String,
    attachments: Vec<AttachmentInfo>,
}

#[derive(Deserialize)]
pub struct Done {
    done: Option<String>,
    /// Why the reply form came back (an empty reply).
    note: Option<String>,
}

pub async fn show_ticket(
    State(app): State<App>,
    me: PortalCustomer,
    crate::pages::Id(id): crate::pages::Id,
    Query(query): Query<Done>,
) -> PageResult {
    let ticket = app.store.portal_ticket(&me.customer, id).await?;
    let store = &app.store;
    let calendar = store.calendar().await?;
    let contacts = store.case_contacts(id).await?;
    // What customers see of staff is the workspace's choice (names, titles, phones).
    let publishing = store.staff_publishing().await?;
    let person = |agent: Option<rapport_domain::Agent>, part: &str| {
        agent.map(|a| publishing.contact(&a, part))
    };
    let mut names = store.agent_names().await?;
    if !publishing.names {
        for name in names.values_mut() {
            "our support team".clone_into(name);
        }
    }
    // The customer sees the public entries of this ticket.
    let history = store.ticket_history(id, ticket.customer_id).await?;
    let entries = timeline::visible(
        history.entries,
        &Reader::Customer {
            tickets: &HashSet::from([id]),
        },
    );
    let writers: Vec<i64> = entries
        .iter()
        .filter(|entry| matches!(entry.fact, Fact::Message { .. }))
        .filter_map(|entry| {
            entry
                .actor
                .as_ref()
                .filter(|a| a.kind == ActorKind::Customer)
        })
        .map(|actor| actor.id.unwrap_or(ticket.customer_id))
        .filter(|&customer| customer != me.customer.id)
        .collect();
    let customer_names = store.customer_names(&writers).await?;
    // The portal shows no team changes; their names stay inside.
    let no_teams = HashMap::new();
    let who = Names {
        agents: &names,
        customers: &customer_names,
        teams: &no_teams,
    };
    let mut authors: HashMap<i64, String> = entries
        .iter()
        .filter(|entry| matches!(entry.fact, Fact::Message { .. }))
        .map(|entry| (entry.id, entry.portal_author(me.customer.id, &who)))
        .collect();
    let messages = history
        .messages
        .into_iter()
        .filter_map(|message| {
            Some(MessageView {
                author: authors.remove(&message.id)?,
                when: When::on(&calendar, &message.created_at),
                html: customer_links(
                    &message.html,
                    CustomerLinks::Hidden("[answer with the buttons on this page]"),
                ),
                attachments: message.attachments,
            })
        })
        .collect();
    let escalated = store.open_escalation(id).await?.map(|e| {
        let to = e
            .manager_id
            .and_then(|m| names.get(&m).cloned())
            .unwrap_or_else(|| "a manager".to_owned());
        let since = When::on(&calendar, &e.created_at).text;
        // It may begin a sentence ("Our support team has...", when names are kept inside).
        let mut to = to;
        if let Some(first) = to.get(..1) {
            let upper = first.to_uppercase();
            to.replace_range(..1, &upper);
        }
        let asked = matches!(
            e.source,
            rapport_domain::escalation::EscalationSource::Portal
                | rapport_domain::escalation::EscalationSource::Email
        );
        match (asked, e.acknowledged_at.is_some()) {
            (true, true) => {
                format!("You asked for a manager on {since}. {to} has taken your case.")
            }
            (true, false) => format!(
                "You asked for a manager on {since}. {to} has been told and will get back to you."
            ),
            (false, true) => format!("Your request was passed to {to}, who has taken your case."),
            (false, false) => {
                format!("Your request was passed to {to} on {since}, who will get back to you.")
            }
        }
    });
    let time = |at: &str| When::on(&calendar, at).text;
    let mut promises: Vec<_> = entries
        .iter()
        .filter_map(|entry| match &entry.fact {
            Fact::Promise { due_at, .. } => Some((due_at, entry.id, entry)),
            _ => None,
        })
        .collect();
    promises.sort_by(|x, y| (x.0, x.1).cmp(&(y.0, y.1)));
    let call_backs = promises
        .into_iter()
        .filter_map(|(_, _, entry)| entry.call_back(&who, &time))
        .collect();
    let (problem_class, status) = status(&ticket);
    let finished = matches!(
        ticket.problem,
        Problem::Resolved | Problem::ClosedUnresolved
    );
    Ok(render(&TicketPage {
        signed_in_as: Some(me.customer.name),
        csrf: me.csrf,
        id,
        subject: ticket.subject.clone(),
        status,
        problem_class,
        proposed: ticket.problem == Problem::ResolutionProposed,
        finished,
        rating: if finished {
            store.ticket_rating(id).await?
        } else {
            None
        },
        handler: person(contacts.handler, "Your support agent"),
        supervisor: person(contacts.supervisor, "Their manager"),
        escalated,
        call_backs,
        messages,
        flash: query.done.filter(|d| !d.is_empty() && d.len() < 200),
        note: query.note.filter(|d| !d.is_empty() && d.len() < 200),
        open_manager: false,
    }))
}

/// Back to the request with a note of what happened.
pub fn back(id: i64, done: &str) -> Response {
    Redirect::to(&format!(
        "/portal/tickets/{id}?done={}",
        crate::pages::url_escape(done)
    ))
    .into_response()
}

pub async fn reply(
    State(app): State<App>,
    me: PortalCustomer,
    crate::pages::Id(id): crate::pages::Id,
    WithFiles(upload): WithFiles,
) -> PageResult<Response> {
    app.store.portal_ticket(&me.customer, id).await?;
    if upload.field("body").trim().is_empty() {
        return Ok(Redirect::to(&format!(
            "/portal/tickets/{id}?note={}#reply",
            crate::pages::url_escape(
                "Your reply was empty, so nothing was sent. Write a few words, then send it again."
            )
        ))
        .into_response());
    }
    let (_, said) = app
        .store
        .add_portal_reply(id, me.customer.id, &upload.field("body"), &upload.files)
        .await?;
    // While we asked "did this fix it?", their words may have answered it.
    let done = match said {
        Some(WordsSay::Fixed) => {
            "Your reply has been sent. We read that it is fixed, so we marked it resolved; if it comes back, just write again."
        }
        Some(WordsSay::NotFixed) => {
            "Your reply has been sent. We read that it is not fixed yet, so the request is open again and we are on it."
        }
        Some(WordsSay::Unclear) => {
            "Your reply has been sent. When you know whether our fix worked, answer the question below."
        }
        None => "Your reply has been sent.",
    };
    Ok(back(id, done))
}

#[derive(Deserialize)]
pub struct NotFixed {
    words: String,
}

pub async fn not_fixed(
    State(app): State<App>,
    me: PortalCustomer,
    crate::pages::Id(id): crate::pages::Id,
    Submitted(form): Submitted<NotFixed>,
) -> PageResult<Response> {
    app.store.portal_ticket(&me.customer, id).await?;
    app.store
        .customer_not_fixed(id, me.customer.id, &form.words)
        .await?;
    Ok(back(
        id,
        "Thank you for telling us. The request is open again and we are on it.",
    ))
}

#[derive(Deserialize)]
pub struct Empty {}

pub async fn confirm(
    State(app): State<App>,
    me: PortalCustomer,
    crate::pages::Id(id): crate::pages::Id,
    Submitted(Empty {}): Submitted<Empty>,
) -> PageResult<Response> {
    app.store.portal_ticket(&me.customer, id).await?;
    app.store.customer_confirms(id, me.customer.id).await?;
    Ok(back(
        id,
        "Thank you for confirming. We are glad it is fixed.",
    ))
}

#[derive(Deserialize)]
pub struct Rating {
    score: String,
    comment: Option<String>,
}

pub async fn rate(
    State(app): State<App>,
    me: PortalCustomer,
    crate::pages::Id(id): crate::pages::Id,
    Submitted(form): Submitted<Rating>,
) -> PageResult<Response> {
    app.store.portal_ticket(&me.customer, id).await?;
    let score: i64 = form.score.trim().parse().map_err(|_| {
        PageError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Choose a score from 1 to 5.",
        )
    })?;
    app.store
        .rate_ticket(id, score, form.comment.as_deref())
        .await?;
    Ok(back(id, "Thank you for rating us."))
}

/// An attachment of a message the customer can see.
pub async fn download(
    State(app): State<App>,
    me: PortalCustomer,
    crate::pages::Id(id): crate::pages::Id,
) -> PageResult<Response> {
    let not_found = || PageError::not_found("There is no such file.");
    let (ticket_id, public) = app
        .store
        .attachment_place(id)
        .await
        .map_err(|_| not_found())?;
    if !public {
        return Err(not_found());
    }
    app.store
        .portal_ticket(&me.customer, ticket_id)
        .await
        .map_err(|_| not_found())?;
    let (info, bytes) = app.store.attachment(id).await?;
    Ok(crate::inbound::download(info, bytes))
}

//! Asking for a hero and getting a name: a request for a manager, a call back in a window the
//! customer picks (it becomes a promise), and a letter to management.

use super::PortalCustomer;
use super::tickets::back;
use crate::app::App;
use crate::pages::{PageError, PageResult, Submitted, render, render_with};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use rapport_domain::Actor;
use rapport_store::promises::{NewPromise, PromiseKind};
use serde::Deserialize;

#[derive(Deserialize)]
pub struct ManagerRequest {
    reason: String,
}

pub async fn ask_for_manager(
    State(app): State<App>,
    me: PortalCustomer,
    crate::pages::Id(id): crate::pages::Id,
    Submitted(form): Submitted<ManagerRequest>,
) -> PageResult<Response> {
    app.store.portal_ticket(&me.customer, id).await?;
    let (_, contacts) = app
        .store
        .ask_for_manager(id, me.customer.id, &form.reason)
        .await?;
    let done = match contacts.supervisor.or(contacts.handler) {
        Some(manager) => format!(
            "{} ({}) has your request for a manager and will get back to you.",
            manager.name, manager.email
        ),
        None => "Your request for a manager has been passed on.".to_owned(),
    };
    Ok(back(id, &done))
}

#[derive(Deserialize)]
pub struct CallRequest {
    phone: String,
    /// `YYYY-MM-DD`.
    day: String,
    /// The window's first hour (UTC): `09`, `12` or `15`; each window is three hours.
    window: String,
}

pub async fn ask_for_call(
    State(app): State<App>,
    me: PortalCustomer,
    crate::pages::Id(id): crate::pages::Id,
    Submitted(form): Submitted<CallRequest>,
) -> PageResult<Response> {
    let ticket = app.store.portal_ticket(&me.customer, id).await?;
    let unprocessable = |message: &str| PageError::new(StatusCode::UNPROCESSABLE_ENTITY, message);
    let start_hour: u8 = match form.window.as_str() {
        "09" => 9,
        "12" => 12,
        "15" => 15,
        _ => return Err(unprocessable("Choose one of the time windows.")),
    };
    let day = form.day.trim();
    let start = rapport_store::clock::parse(&format!("{day}T{start_hour:02}:00:00Z"))
        .ok_or_else(|| unprocessable("Choose the day you would like the call."))?;
    let end = start + time::Duration::hours(3);
    if end <= app.store.clock().now() {
        return Err(unprocessable(
            "That time has passed; choose a later day or window.",
        ));
    }
    let agent_id = app
        .store
        .responsible_for(Some(id), ticket.customer_id)
        .await?;
    let what = format!(
        "Call back {} between {start_hour:02}:00 and {:02}:00 UTC",
        day,
        start_hour + 3
    );
    app.store
        .create_promise(
            NewPromise {
                customer_id: ticket.customer_id,
                ticket_id: Some(id),
                agent_id,
                kind: PromiseKind::CallBack,
                what: &what,
                channel: "phone",
                phone: Some(form.phone.trim()),
                window_start: Some(&rapport_store::clock::format(start)),
                due_at: &rapport_store::clock::format(end),
            },
            Actor::Customer(me.customer.id),
        )
        .await?;
    Ok(back(
        id,
        &format!(
            "Thank you. You asked for a call {day} between {start_hour:02}:00 and {:02}:00 UTC; this page will say when it is confirmed.",
            start_hour + 3
        ),
    ))
}

#[derive(Template)]
#[template(path = "portal/letter.html")]
struct LetterPage {
    signed_in_as: Option<String>,
    csrf: String,
    addressed_to: Option<String>,
    tickets: Vec<(i64, String)>,
    /// The request the customer came from, chosen in the list.
    selected: Option<i64>,
    error: Option<String>,
}

impl LetterPage {
    fn is_selected(&self, id: &i64) -> bool {
        self.selected == Some(*id)
    }
}

#[derive(Deserialize)]
pub struct LetterQuery {
    ticket: Option<i64>,
}

async fn letter_page_for(
    app: &App,
    me: PortalCustomer,
    ticket: Option<i64>,
    error: Option<String>,
) -> PageResult<LetterPage> {
    let tickets = app.store.portal_tickets(&me.customer).await?;
    let mut choices: Vec<(i64, String)> = tickets.into_iter().map(|t| (t.id, t.subject)).collect();
    // `?ticket=` is typed by anyone: only one of the customer's own requests may say whom
    // the letter reaches, or the page would name the managers of other customers' cases.
    let ticket = ticket.filter(|id| choices.iter().any(|(t, _)| t == id));
    if let Some(id) = ticket {
        // The ticket the customer came from goes first.
        choices.sort_by_key(|(t, _)| *t != id);
    }
    let addressed_to = app
        .store
        .management_for(ticket, me.customer.id)
        .await?
        .map(|manager| manager.name);
    Ok(LetterPage {
        signed_in_as: Some(me.customer.name),
        csrf: me.csrf,
        addressed_to,
        tickets: choices,
        selected: ticket,
        error,
    })
}

pub async fn letter_page(
    State(app): State<App>,
    me: PortalCustomer,
    Query(query): Query<LetterQuery>,
) -> PageResult {
    Ok(render(
        &letter_page_for(&app, me, query.ticket, None).await?,
    ))
}

#[derive(Deserialize)]
pub struct Letter {
    ticket_id: Option<String>,
    subject: String,
    body: String,
}

pub async fn send_letter(
    State(app): State<App>,
    me: PortalCustomer,
    Submitted(form): Submitted<Letter>,
) -> PageResult<Response> {
    let ticket_id = match form.ticket_id.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(id) => {
            let id: i64 = id.parse().map_err(|_| {
                PageError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "Choose a request from the list.",
                )
            })?;
            app.store.portal_ticket(&me.customer, id).await?;
            Some(id)
        }
    };
    match app
        .store
        .write_letter(me.customer.id, ticket_id, &form.subject, &form.body)
        .await
    {
        Ok((_, to)) => {
            let to = to.map_or("management".to_owned(), |a| a.name);
            Ok(
                Redirect::to(&format!("/portal?letter={}", crate::pages::url_escape(&to)))
                    .into_response(),
            )
        }
        Err(rapport_store::StoreError::Invalid(invalid)) => {
            let error = format!("Please check the {}: {}.", invalid.field, invalid.message);
            let page = letter_page_for(&app, me, ticket_id, Some(error)).await?;
            Ok(render_with(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
        Err(other) => Err(other.into()),
    }
}

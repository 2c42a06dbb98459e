//! `/notifications`: what Rapport told this agent (a ticket assigned to them, a customer's
//! reply on their ticket, a promise of theirs due, a request for a manager), newest first,
//! each linking to its ticket; marking one or all read. The top bar's count comes from the
//! same rows, kept live by `/live`.

use crate::app::App;
use crate::pages::{PageResult, SignedIn, Submitted, When, render, url_escape};
use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use rapport_domain::Agent;
use serde::Deserialize;

/// How many a page lists.
const PAGE: u32 = 50;

#[derive(Template)]
#[template(path = "workspace/notifications.html")]
struct NotificationsPage {
    agent: Agent,
    csrf: String,
    query: String,
    items: Vec<Line>,
    unread: i64,
    unread_only: bool,
    /// The link to the next (older) page.
    older: Option<String>,
    flash: Option<String>,
}

struct Line {
    id: i64,
    /// `None` when the ticket has moved where the agent cannot see it.
    text: Option<String>,
    subject: Option<String>,
    ticket_id: i64,
    when: When,
    read: bool,
}

#[derive(Deserialize)]
pub struct Listing {
    unread: Option<String>,
    before: Option<String>,
    done: Option<String>,
}

pub async fn show_notifications(
    State(app): State<App>,
    signed_in: SignedIn,
    Query(query): Query<Listing>,
) -> PageResult {
    let unread_only = query.unread.as_deref().is_some_and(|u| !u.is_empty());
    // A page address that was tampered with starts from the newest.
    let before = query
        .before
        .as_deref()
        .and_then(|b| b.parse::<i64>().ok())
        .filter(|b| *b > 0);
    let page = app
        .store
        .notifications(&signed_in.agent, unread_only, before, PAGE)
        .await?;
    let older = page.next_before_id.map(|id| {
        format!(
            "/notifications?{}before={id}",
            if unread_only { "unread=1&" } else { "" }
        )
    });
    let calendar = app.store.calendar().await?;
    let items = page
        .items
        .into_iter()
        .map(|n| Line {
            id: n.id,
            text: n.text,
            subject: n.ticket_subject,
            ticket_id: n.ticket_id,
            when: When::on(&calendar, &n.created_at),
            read: n.read_at.is_some(),
        })
        .collect();
    Ok(render(&NotificationsPage {
        unread: app.store.unread_notifications(signed_in.agent.id).await?,
        agent: signed_in.agent,
        csrf: signed_in.csrf,
        query: String::new(),
        items,
        unread_only,
        older,
        flash: query.done.filter(|d| !d.is_empty() && d.len() < 200),
    }))
}

#[derive(Deserialize)]
pub struct Nothing {}

fn back(done: &str) -> Response {
    Redirect::to(&format!("/notifications?done={}", url_escape(done))).into_response()
}

pub async fn mark_read(
    State(app): State<App>,
    signed_in: SignedIn,
    crate::pages::Id(id): crate::pages::Id,
    Submitted(Nothing {}): Submitted<Nothing>,
) -> PageResult<Response> {
    app.store
        .mark_notification_read(signed_in.agent.id, id)
        .await?;
    app.live.notifications_changed();
    Ok(back("Marked read."))
}

pub async fn mark_all_read(
    State(app): State<App>,
    signed_in: SignedIn,
    Submitted(Nothing {}): Submitted<Nothing>,
) -> PageResult<Response> {
    let marked = app
        .store
        .mark_all_notifications_read(signed_in.agent.id)
        .await?;
    app.live.notifications_changed();
    Ok(back(match marked {
        0 => "Nothing was unread.",
        1 => "Marked one notification read.",
        _ => "Marked all notifications read.",
    }))
}

//! `GET /live`: server-sent events for an open inbox or ticket page. Every ticket change is
//! sent as `change` (the page fetches itself again and swaps in the parts that changed); on a
//! ticket page, `presence` says who else has it open and who is writing. On every page,
//! `notifications` carries the agent's unread count when it changes (the top bar's count).
//! `POST /live/composing` tells the others this agent started or stopped writing on that page
//! (the stream's first event, `page`, names it).

use crate::app::App;
use crate::error::ApiError;
use crate::extract::{AuthAgent, Json};
use crate::live::Signal;
use crate::pages::{PageResult, SignedIn};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::stream::{self, Stream};
use serde::Deserialize;
use std::convert::Infallible;
use std::time::Duration;

#[derive(Deserialize)]
pub struct LiveQuery {
    ticket: Option<i64>,
}

pub async fn stream(
    State(app): State<App>,
    signed_in: SignedIn,
    Query(query): Query<LiveQuery>,
) -> PageResult<Response> {
    let presence = match query.ticket {
        Some(id) => {
            super::visible_ticket(&app, &signed_in.agent, id).await?;
            Some(app.live.join(id, signed_in.agent.id, &signed_in.agent.name))
        }
        None => None,
    };
    let events = events(app, signed_in.agent, query.ticket, presence);
    Ok(Sse::new(events)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(20)))
        .into_response())
}

/// What one open page's stream keeps between events.
struct Listening {
    app: App,
    agent: rapport_domain::Agent,
    ticket: Option<i64>,
    signals: tokio::sync::broadcast::Receiver<Signal>,
    closed: tokio::sync::watch::Receiver<bool>,
    /// Holds the page's place among the ticket's viewers until the stream ends.
    _presence: Option<crate::live::Presence>,
    /// Events to send before listening again (the first presence list, the first count).
    queued: Vec<Event>,
    /// The unread count last sent, so an unchanged count is not sent again.
    unread: Option<i64>,
}

fn events(
    app: App,
    agent: rapport_domain::Agent,
    ticket: Option<i64>,
    presence: Option<crate::live::Presence>,
) -> impl Stream<Item = Result<Event, Infallible>> {
    let signals = app.live.subscribe();
    let closed = app.live.closed();
    // The first events name the page (its script sends the name back with "writing"), say
    // who is here already, and how many notifications are unread.
    let mut queued: Vec<Event> = presence
        .iter()
        .filter_map(|presence| {
            Event::default()
                .event("page")
                .json_data(serde_json::json!({ "page": presence.page() }))
                .ok()
        })
        .chain(ticket.map(|id| presence_event(&app, id)))
        .collect();
    queued.reverse();
    let listening = Listening {
        app,
        agent,
        ticket,
        signals,
        closed,
        _presence: presence,
        queued,
        unread: None,
    };
    stream::unfold(listening, |mut state| async move {
        if let Some(event) = state.queued.pop() {
            return Some((Ok(event), state));
        }
        if state.unread.is_none()
            && let Some(event) = unread_event(&mut state).await
        {
            return Some((Ok(event), state));
        }
        loop {
            let signal = tokio::select! {
                signal = state.signals.recv() => signal,
                _ = state.closed.changed() => return None,
            };
            let event = match signal {
                Ok(Signal::Change(change)) => {
                    if change.restricted
                        && !may_hear_of(&state.app, &state.agent, change.ticket_id).await
                    {
                        continue;
                    }
                    Event::default().event("change").json_data(&change).ok()
                }
                Ok(Signal::Presence { ticket_id }) if Some(ticket_id) == state.ticket => {
                    // The ticket may have moved into a team the agent is not in since the
                    // page opened: then who views and writes it is no longer theirs to see.
                    if !may_hear_of(&state.app, &state.agent, ticket_id).await {
                        return None;
                    }
                    Some(presence_event(&state.app, ticket_id))
                }
                Ok(Signal::Presence { .. }) => None,
                Ok(Signal::Notifications) => unread_event(&mut state).await,
                // Missed some: tell the page to refresh itself.
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                    state.unread = None;
                    Some(Event::default().event("change").data("{}"))
                }
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
            };
            if let Some(event) = event {
                return Some((Ok(event), state));
            }
        }
    })
}

/// The agent's unread notifications as a `notifications` event, read from the database (so
/// it counts what every node wrote); `None` when the count is what the page already shows.
async fn unread_event(state: &mut Listening) -> Option<Event> {
    let unread = match state.app.store.unread_notifications(state.agent.id).await {
        Ok(unread) => unread,
        Err(error) => {
            tracing::warn!(%error, "could not count unread notifications");
            return None;
        }
    };
    if state.unread == Some(unread) {
        return None;
    }
    state.unread = Some(unread);
    Event::default()
        .event("notifications")
        .json_data(serde_json::json!({ "unread": unread }))
        .ok()
}

/// Whether the agent may hear of a change on a restricted team's ticket: its members and
/// admins only. When that cannot be checked, they are not told.
async fn may_hear_of(app: &App, agent: &rapport_domain::Agent, ticket_id: i64) -> bool {
    match app.store.hidden_from(agent, &[ticket_id]).await {
        Ok(hidden) => hidden.is_empty(),
        Err(error) => {
            tracing::warn!(%error, "could not check who may hear of a change");
            false
        }
    }
}

fn presence_event(app: &App, ticket_id: i64) -> Event {
    let viewers = app.live.viewers(ticket_id);
    Event::default()
        .event("presence")
        .json_data(serde_json::json!({ "ticket_id": ticket_id, "viewers": viewers }))
        .unwrap_or_default()
}

#[derive(Deserialize)]
pub struct Composing {
    ticket_id: i64,
    composing: bool,
    /// The page writing, as its stream named it (`page`); without it, every page of the
    /// agent's on the ticket.
    page: Option<String>,
}

/// The page's script says the agent started (or stopped) writing. Takes the session cookie
/// and the CSRF token in `X-CSRF-Token`, like the JSON API.
pub async fn composing(
    State(app): State<App>,
    auth: AuthAgent,
    Json(input): Json<Composing>,
) -> Result<StatusCode, ApiError> {
    let ticket = app.store.ticket(input.ticket_id).await?;
    if !app.store.agent_may_see(&auth.0, &ticket).await? {
        return Err(ApiError::forbidden(
            "This ticket belongs to a restricted team you are not in.",
        ));
    }
    app.live.composing_on(
        input.ticket_id,
        auth.0.id,
        input.page.as_deref(),
        input.composing,
    );
    Ok(StatusCode::NO_CONTENT)
}

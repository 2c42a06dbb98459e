//! Relationship work from the ticket page: logging a call, making a promise, noting a moment.

use crate::app::App;
use crate::pages::{PageError, PageResult, SignedIn, Submitted};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use rapport_domain::Actor;
use rapport_store::calls::{CallDirection, NewCall};
use rapport_store::promises::{NewPromise, PromiseKind};
use serde::Deserialize;

fn unprocessable(message: impl Into<String>) -> PageError {
    PageError::new(StatusCode::UNPROCESSABLE_ENTITY, message)
}

#[derive(Deserialize)]
pub struct CallForm {
    direction: String,
    minutes: String,
    summary: String,
    agreed: Option<String>,
}

pub async fn log_call(
    State(app): State<App>,
    signed_in: SignedIn,
    crate::pages::Id(id): crate::pages::Id,
    Submitted(form): Submitted<CallForm>,
) -> PageResult<Response> {
    super::visible_ticket(&app, &signed_in.agent, id).await?;
    let direction: CallDirection = form
        .direction
        .parse()
        .map_err(|err: rapport_domain::Invalid| unprocessable(err.message))?;
    let minutes: i64 = form
        .minutes
        .trim()
        .parse()
        .ok()
        .filter(|m| (0..=600).contains(m))
        .ok_or_else(|| unprocessable("The call's length is a number of minutes, 0 to 600."))?;
    let now = app.store.now();
    app.store
        .log_call(NewCall {
            ticket_id: id,
            agent_id: signed_in.agent.id,
            direction,
            started_at: &now,
            duration_seconds: minutes * 60,
            summary: &form.summary,
            agreed: form.agreed.as_deref().filter(|a| !a.trim().is_empty()),
        })
        .await?;
    Ok(super::back_to_ticket(id, "Call logged."))
}

#[derive(Deserialize)]
pub struct PromiseForm {
    kind: String,
    what: String,
    /// `YYYY-MM-DDTHH:MM` from a datetime-local field, in UTC.
    due: String,
    phone: Option<String>,
}

/// A `datetime-local` value (`2026-11-24T15:00`) as a stored UTC time.
pub fn local_field_to_utc(value: &str) -> Option<String> {
    let value = value.trim();
    let with_seconds = match value.len() {
        16 => format!("{value}:00Z"),
        19 => format!("{value}Z"),
        _ => return None,
    };
    rapport_store::clock::parse(&with_seconds).map(rapport_store::clock::format)
}

pub async fn make_promise(
    State(app): State<App>,
    signed_in: SignedIn,
    crate::pages::Id(id): crate::pages::Id,
    Submitted(form): Submitted<PromiseForm>,
) -> PageResult<Response> {
    let ticket = super::visible_ticket(&app, &signed_in.agent, id).await?;
    let kind: PromiseKind = form
        .kind
        .parse()
        .map_err(|err: rapport_domain::Invalid| unprocessable(err.message))?;
    let due_at = local_field_to_utc(&form.due)
        .ok_or_else(|| unprocessable("Give the day and time the promise is due."))?;
    let channel = if kind == PromiseKind::CallBack {
        "phone"
    } else {
        "email"
    };
    app.store
        .create_promise(
            NewPromise {
                customer_id: ticket.customer_id,
                ticket_id: Some(id),
                agent_id: signed_in.agent.id,
                kind,
                what: &form.what,
                channel,
                phone: form.phone.as_deref().filter(|p| !p.trim().is_empty()),
                window_start: None,
                due_at: &due_at,
            },
            Actor::Agent(signed_in.agent.id),
        )
        .await?;
    Ok(super::back_to_ticket(
        id,
        "Promise recorded; you will be reminded an hour before.",
    ))
}

#[derive(Deserialize)]
pub struct MomentForm {
    note: String,
    follow_up_on: Option<String>,
}

pub async fn note_moment(
    State(app): State<App>,
    signed_in: SignedIn,
    crate::pages::Id(id): crate::pages::Id,
    Submitted(form): Submitted<MomentForm>,
) -> PageResult<Response> {
    let ticket = super::visible_ticket(&app, &signed_in.agent, id).await?;
    app.store
        .create_moment(
            ticket.customer_id,
            signed_in.agent.id,
            &form.note,
            form.follow_up_on
                .as_deref()
                .filter(|d| !d.trim().is_empty()),
        )
        .await?;
    Ok(super::back_to_ticket(id, "Moment noted."))
}

#[derive(Deserialize)]
pub struct KeptForm {
    outcome: Option<String>,
}

/// Marks a promise kept, with what was done, from the ticket page's panel; back to its
/// ticket (or its customer, for a promise on no ticket).
pub async fn promise_kept(
    State(app): State<App>,
    signed_in: SignedIn,
    crate::pages::Id(id): crate::pages::Id,
    Submitted(form): Submitted<KeptForm>,
) -> PageResult<Response> {
    let promise = app.store.promise(id).await?;
    if let Some(ticket_id) = promise.ticket_id {
        super::visible_ticket(&app, &signed_in.agent, ticket_id).await?;
    }
    app.store
        .settle_promise(
            id,
            rapport_store::promises::PromiseStatus::Kept,
            form.outcome.as_deref(),
            Actor::Agent(signed_in.agent.id),
        )
        .await?;
    Ok(match promise.ticket_id {
        Some(ticket_id) => super::back_to_ticket(ticket_id, "Promise kept."),
        None => axum::response::IntoResponse::into_response(axum::response::Redirect::to(
            &format!("/customers/{}", promise.customer_id),
        )),
    })
}

#[derive(Deserialize)]
pub struct AcceptForm {}

/// An agent takes on a call-back the customer asked for: it becomes their promise.
pub async fn accept_promise(
    State(app): State<App>,
    signed_in: SignedIn,
    crate::pages::Id(id): crate::pages::Id,
    Submitted(AcceptForm {}): Submitted<AcceptForm>,
) -> PageResult<Response> {
    let promise = app.store.promise(id).await?;
    if let Some(ticket_id) = promise.ticket_id {
        super::visible_ticket(&app, &signed_in.agent, ticket_id).await?;
    }
    app.store.accept_promise(id, signed_in.agent.id).await?;
    Ok(match promise.ticket_id {
        Some(ticket_id) => super::back_to_ticket(
            ticket_id,
            "Accepted: the call-back is your promise now, and the customer sees it in your name.",
        ),
        None => axum::response::IntoResponse::into_response(axum::response::Redirect::to(
            &format!("/customers/{}", promise.customer_id),
        )),
    })
}

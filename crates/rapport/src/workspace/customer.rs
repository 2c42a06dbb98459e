//! The customer page: the whole timeline, newest first, with the relationship panel, and the
//! customer's details (name, addresses, phone, organization, notes), which any agent may
//! change. Every change lands in the timeline in words.

use super::panel::Panel;
use crate::app::App;
use crate::pages::{
    PageResult, SignedIn, Submitted, When, correctable, in_words, render_with, url_escape,
};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use rapport_domain::timeline::Names;
use rapport_domain::{Actor, Agent};
use rapport_store::StoreError;
use rapport_store::customer_details::CustomerChanges;
use serde::Deserialize;
use std::collections::HashMap;

#[derive(Template)]
#[template(path = "workspace/customer.html")]
struct CustomerPage {
    agent: Agent,
    csrf: String,
    query: String,
    panel: Panel,
    items: Vec<Entry>,
    next_cursor: Option<String>,
    flash: Option<String>,
    error: Option<String>,
    details: Details,
    coverage: super::coverage::CoverageCard,
}

/// What the edit form shows: the customer as stored, or what the agent sent when it was
/// refused, so they can correct it.
struct Details {
    name: String,
    phone: String,
    notes: String,
    /// The primary address first.
    emails: Vec<String>,
    organizations: Vec<Choice>,
    new_email: String,
}

struct Choice {
    id: i64,
    name: String,
    selected: bool,
}

struct Entry {
    kind: &'static str,
    when: When,
    ticket_id: Option<i64>,
    summary: String,
}

#[derive(Deserialize)]
pub struct CustomerQuery {
    before: Option<String>,
    done: Option<String>,
}

pub async fn show_customer(
    State(app): State<App>,
    signed_in: SignedIn,
    crate::pages::Id(id): crate::pages::Id,
    Query(query): Query<CustomerQuery>,
) -> PageResult {
    let flash = query.done.filter(|d| !d.is_empty() && d.len() < 200);
    customer_page(
        &app,
        signed_in,
        id,
        query.before.as_deref(),
        StatusCode::OK,
        flash,
        None,
    )
    .await
}

/// The page, with a note of what was done or a refusal to correct (`error`, whose form
/// values are kept in `sent`).
async fn customer_page(
    app: &App,
    signed_in: SignedIn,
    id: i64,
    before: Option<&str>,
    status: StatusCode,
    flash: Option<String>,
    refused: Option<(String, Sent)>,
) -> PageResult {
    let customer = app.store.customer(id).await?;
    let names = app.store.agent_names().await?;
    let calendar = app.store.calendar().await?;
    let customers = HashMap::from([(customer.id, customer.name.clone())]);
    let teams = HashMap::new();
    let who = Names {
        agents: &names,
        customers: &customers,
        teams: &teams,
    };
    let page = app.store.customer_timeline(id, before, 50).await?;
    // Restricted teams' tickets stay out of the timeline for those who may not see them.
    let items = app
        .store
        .visible_entries(&signed_in.agent, page.entries)
        .await?
        .into_iter()
        .map(|entry| Entry {
            kind: entry.kind().as_str(),
            when: When::on(&calendar, &entry.at),
            ticket_id: entry.ticket_id,
            summary: entry.summary_for(&who, &|at: &str| When::on(&calendar, at).text),
        })
        .collect();
    let (error, sent) = match refused {
        Some((error, sent)) => (Some(in_words(&error)), sent),
        None => (None, Sent::default()),
    };
    let organization_id = sent
        .organization
        .as_deref()
        .map_or(customer.organization_id, |o| o.trim().parse().ok());
    let organizations = app
        .store
        .organization_choices()
        .await?
        .into_iter()
        .map(|(id, name)| Choice {
            id,
            name,
            selected: Some(id) == organization_id,
        })
        .collect();
    let details = Details {
        name: sent.name.unwrap_or_else(|| customer.name.clone()),
        phone: sent
            .phone
            .unwrap_or_else(|| customer.phone.clone().unwrap_or_default()),
        notes: sent
            .notes
            .unwrap_or_else(|| customer.notes.clone().unwrap_or_default()),
        emails: customer.emails.clone(),
        organizations,
        new_email: sent.new_email.unwrap_or_default(),
    };
    let panel = app.store.panel(&signed_in.agent, &customer).await?;
    let coverage = super::coverage::card(app, &signed_in.agent, customer.id).await?;
    Ok(render_with(
        status,
        &CustomerPage {
            panel: Panel::new(app, &customer, panel, None, &names, &calendar),
            agent: signed_in.agent,
            csrf: signed_in.csrf,
            query: String::new(),
            items,
            next_cursor: page.next_cursor,
            flash,
            error,
            details,
            coverage,
        },
    ))
}

/// What a refused form sent, shown again.
#[derive(Default)]
struct Sent {
    name: Option<String>,
    phone: Option<String>,
    notes: Option<String>,
    organization: Option<String>,
    new_email: Option<String>,
}

fn back(id: i64, done: &str) -> Response {
    Redirect::to(&format!("/customers/{id}?done={}", url_escape(done))).into_response()
}

/// Done, or the page again with the refusal to correct; a refusal of who the agent is, or a
/// failure of ours, is the error page.
async fn answer(
    app: &App,
    signed_in: SignedIn,
    id: i64,
    result: Result<(), StoreError>,
    done: &str,
    sent: Sent,
) -> PageResult {
    match result {
        Ok(()) => Ok(back(id, done)),
        Err(error) => {
            let (status, message) = correctable(error)?;
            customer_page(
                app,
                signed_in,
                id,
                None,
                status,
                None,
                Some((message, sent)),
            )
            .await
        }
    }
}

#[derive(Deserialize)]
pub struct DetailsForm {
    name: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    notes: String,
    /// An organization's id, or empty for none.
    #[serde(default)]
    organization: String,
}

pub async fn change_details(
    State(app): State<App>,
    signed_in: SignedIn,
    crate::pages::Id(id): crate::pages::Id,
    Submitted(form): Submitted<DetailsForm>,
) -> PageResult {
    let organization_id = match form.organization.trim() {
        "" => Ok(None),
        raw => raw.parse::<i64>().map(Some).map_err(|_| {
            StoreError::Invalid(rapport_domain::Invalid::new(
                "organization",
                "Choose an organization from the list, or none.",
            ))
        }),
    };
    let result = match organization_id {
        Ok(organization_id) => app
            .store
            .update_customer(
                id,
                CustomerChanges {
                    name: Some(&form.name),
                    phone: Some(Some(&form.phone)),
                    notes: Some(Some(&form.notes)),
                    organization_id: Some(organization_id),
                },
                Actor::Agent(signed_in.agent.id),
            )
            .await
            .map(|_| ()),
        Err(error) => Err(error),
    };
    let sent = Sent {
        name: Some(form.name),
        phone: Some(form.phone),
        notes: Some(form.notes),
        organization: Some(form.organization),
        new_email: None,
    };
    answer(&app, signed_in, id, result, "Details saved.", sent).await
}

#[derive(Deserialize)]
pub struct AddEmailForm {
    email: String,
    /// A ticked box: make it the address we write to.
    primary: Option<String>,
}

pub async fn add_email(
    State(app): State<App>,
    signed_in: SignedIn,
    crate::pages::Id(id): crate::pages::Id,
    Submitted(form): Submitted<AddEmailForm>,
) -> PageResult {
    let result = app
        .store
        .add_customer_email(
            id,
            &form.email,
            form.primary.is_some(),
            Actor::Agent(signed_in.agent.id),
        )
        .await
        .map(|_| ());
    let sent = Sent {
        new_email: Some(form.email),
        ..Sent::default()
    };
    answer(&app, signed_in, id, result, "Address added.", sent).await
}

#[derive(Deserialize)]
pub struct EmailForm {
    email: String,
}

pub async fn remove_email(
    State(app): State<App>,
    signed_in: SignedIn,
    crate::pages::Id(id): crate::pages::Id,
    Submitted(form): Submitted<EmailForm>,
) -> PageResult {
    let result = app
        .store
        .remove_customer_email(id, &form.email, Actor::Agent(signed_in.agent.id))
        .await
        .map(|_| ());
    answer(
        &app,
        signed_in,
        id,
        result,
        "Address removed.",
        Sent::default(),
    )
    .await
}

pub async fn make_primary(
    State(app): State<App>,
    signed_in: SignedIn,
    crate::pages::Id(id): crate::pages::Id,
    Submitted(form): Submitted<EmailForm>,
) -> PageResult {
    let result = app
        .store
        .make_email_primary(id, &form.email, Actor::Agent(signed_in.agent.id))
        .await
        .map(|_| ());
    answer(
        &app,
        signed_in,
        id,
        result,
        "We now write to that address.",
        Sent::default(),
    )
    .await
}

//! The organization page: its customers, its details (name and notes, which any agent may
//! change) and its mail domains (supervisors and admins, since adding one can move many
//! customers into it).

use crate::app::App;
use crate::pages::{
    PageError, PageResult, SignedIn, Submitted, correctable, in_words, render_with, url_escape,
};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use rapport_domain::{Actor, Agent, Organization, Role};
use rapport_store::StoreError;
use rapport_store::customer_details::{Member, OrganizationChanges};
use serde::Deserialize;

#[derive(Template)]
#[template(path = "workspace/organization.html")]
struct OrganizationPage {
    agent: Agent,
    csrf: String,
    query: String,
    organization: Organization,
    owner: Option<String>,
    members: Vec<Member>,
    /// Whether the agent may change the domains.
    domains_editable: bool,
    flash: Option<String>,
    error: Option<String>,
    name: String,
    notes: String,
    new_domain: String,
}

#[derive(Deserialize)]
pub struct PageQuery {
    done: Option<String>,
}

pub async fn show_organization(
    State(app): State<App>,
    signed_in: SignedIn,
    crate::pages::Id(id): crate::pages::Id,
    Query(query): Query<PageQuery>,
) -> PageResult {
    let flash = query.done.filter(|d| !d.is_empty() && d.len() < 200);
    organization_page(&app, signed_in, id, StatusCode::OK, flash, None).await
}

/// What a refused form sent, shown again.
#[derive(Default)]
struct Sent {
    name: Option<String>,
    notes: Option<String>,
    domain: Option<String>,
}

async fn organization_page(
    app: &App,
    signed_in: SignedIn,
    id: i64,
    status: StatusCode,
    flash: Option<String>,
    refused: Option<(String, Sent)>,
) -> PageResult {
    let organization = app.store.organization(id).await?;
    let members = app.store.organization_members(id).await?;
    let owner = match organization.owner_id {
        Some(owner) => app.store.agent_names().await?.get(&owner).cloned(),
        None => None,
    };
    let (error, sent) = match refused {
        Some((error, sent)) => (Some(in_words(&error)), sent),
        None => (None, Sent::default()),
    };
    Ok(render_with(
        status,
        &OrganizationPage {
            domains_editable: signed_in.agent.role.includes(Role::Supervisor),
            agent: signed_in.agent,
            csrf: signed_in.csrf,
            query: String::new(),
            name: sent.name.unwrap_or_else(|| organization.name.clone()),
            notes: sent
                .notes
                .unwrap_or_else(|| organization.notes.clone().unwrap_or_default()),
            new_domain: sent.domain.unwrap_or_default(),
            organization,
            owner,
            members,
            flash,
            error,
        },
    ))
}

fn back(id: i64, done: &str) -> Response {
    Redirect::to(&format!("/organizations/{id}?done={}", url_escape(done))).into_response()
}

async fn answer(
    app: &App,
    signed_in: SignedIn,
    id: i64,
    result: Result<String, StoreError>,
    sent: Sent,
) -> PageResult {
    match result {
        Ok(done) => Ok(back(id, &done)),
        Err(error) => {
            let (status, message) = correctable(error)?;
            organization_page(app, signed_in, id, status, None, Some((message, sent))).await
        }
    }
}

fn require_supervisor(agent: &Agent) -> PageResult<()> {
    if agent.role.includes(Role::Supervisor) {
        Ok(())
    } else {
        Err(PageError::forbidden(
            "Only supervisors and admins change an organization's mail domains, since one domain can move many customers. Ask one of them.",
        ))
    }
}

#[derive(Deserialize)]
pub struct DetailsForm {
    name: String,
    #[serde(default)]
    notes: String,
}

pub async fn change_details(
    State(app): State<App>,
    signed_in: SignedIn,
    crate::pages::Id(id): crate::pages::Id,
    Submitted(form): Submitted<DetailsForm>,
) -> PageResult {
    let result = app
        .store
        .update_organization(
            id,
            OrganizationChanges {
                name: Some(&form.name),
                notes: Some(Some(&form.notes)),
            },
            Actor::Agent(signed_in.agent.id),
        )
        .await
        .map(|_| "Details saved.".to_owned());
    let sent = Sent {
        name: Some(form.name),
        notes: Some(form.notes),
        domain: None,
    };
    answer(&app, signed_in, id, result, sent).await
}

#[derive(Deserialize)]
pub struct DomainForm {
    domain: String,
}

pub async fn add_domain(
    State(app): State<App>,
    signed_in: SignedIn,
    crate::pages::Id(id): crate::pages::Id,
    Submitted(form): Submitted<DomainForm>,
) -> PageResult {
    require_supervisor(&signed_in.agent)?;
    let result = app
        .store
        .add_organization_domain(id, &form.domain, Actor::Agent(signed_in.agent.id))
        .await
        .map(|added| match added.attached_customers.len() {
            0 => "Domain added.".to_owned(),
            1 => "Domain added; one customer at it joined.".to_owned(),
            n => format!("Domain added; {n} customers at it joined."),
        });
    let sent = Sent {
        domain: Some(form.domain),
        ..Sent::default()
    };
    answer(&app, signed_in, id, result, sent).await
}

pub async fn remove_domain(
    State(app): State<App>,
    signed_in: SignedIn,
    crate::pages::Id(id): crate::pages::Id,
    Submitted(form): Submitted<DomainForm>,
) -> PageResult {
    require_supervisor(&signed_in.agent)?;
    let result = app
        .store
        .remove_organization_domain(id, &form.domain, Actor::Agent(signed_in.agent.id))
        .await
        .map(|_| "Domain removed; its customers stay.".to_owned());
    answer(&app, signed_in, id, result, Sent::default()).await
}

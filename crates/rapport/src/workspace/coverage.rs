//! Contracts, assets and warranties in the workspace: the customer page's card (what they have
//! with us, with forms to record an asset or, for supervisors, a contract), the ticket page's
//! entitlement (covered, expired or none: never hidden) with the asset it is about, and an
//! asset's page with its repair history.

use crate::app::App;
use crate::pages::{PageError, PageResult, SignedIn, Submitted, When, render, url_escape};
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use rapport_domain::calendar::Calendar;
use rapport_domain::contract::{Asset, Contract, ContractKind};
use rapport_domain::{Actor, Agent, Role};
use rapport_store::contracts::{Entitlement, Holder, NewAsset, NewContract, Repair};
use serde::Deserialize;

/// A contract in words: "Extended warranty 3 years (extended warranty, 2026-01-01 to
/// 2028-12-31; first reply within 8 h)".
pub fn contract_words(contract: &Contract) -> String {
    let mut promise = Vec::new();
    if let Some(m) = contract.first_response_minutes {
        promise.push(format!("first reply within {}", minutes_words(m)));
    }
    if let Some(m) = contract.resolution_minutes {
        promise.push(format!("resolution within {}", minutes_words(m)));
    }
    let promise = if promise.is_empty() {
        String::new()
    } else {
        format!("; {}", promise.join(", "))
    };
    format!(
        "{} ({}, {} to {}{promise})",
        contract.name,
        contract.kind.words(),
        contract.starts_on,
        contract.ends_on
    )
}

/// Business minutes in words: "90 min", "8 business hours".
fn minutes_words(minutes: i64) -> String {
    if minutes < 60 {
        format!("{minutes} business minutes")
    } else if minutes % 60 == 0 {
        format!("{} business hours", minutes / 60)
    } else {
        format!("{} business hours {} min", minutes / 60, minutes % 60)
    }
}

/// The ticket page's entitlement: a sentence, and whether it is good news.
pub struct EntitlementView {
    pub said: String,
    pub class: &'static str,
    pub assets: Vec<Asset>,
    /// The customer's assets the ticket could be about.
    pub choices: Vec<Asset>,
}

impl EntitlementView {
    pub fn new(entitlement: Entitlement, choices: Vec<Asset>) -> EntitlementView {
        let (said, class) = match (&entitlement.contract, entitlement.state) {
            (Some(contract), "covered") => (format!("Covered: {}", contract_words(contract)), "ok"),
            (Some(contract), _) => (
                format!(
                    "Expired on {}: {}",
                    contract.ends_on,
                    contract_words(contract)
                ),
                "warn",
            ),
            _ => ("No contract or warranty on record.".to_owned(), "none"),
        };
        let choices = choices
            .into_iter()
            .filter(|a| !entitlement.assets.iter().any(|linked| linked.id == a.id))
            .collect();
        EntitlementView {
            said,
            class,
            assets: entitlement.assets,
            choices,
        }
    }
}

/// The customer page's card.
pub struct CoverageCard {
    pub contracts: Vec<String>,
    pub assets: Vec<Asset>,
    pub may_add_contract: bool,
    pub kinds: &'static [ContractKind],
}

pub async fn card(app: &App, agent: &Agent, customer_id: i64) -> PageResult<CoverageCard> {
    Ok(CoverageCard {
        contracts: app
            .store
            .contracts_for_customer(customer_id)
            .await?
            .iter()
            .map(contract_words)
            .collect(),
        assets: app.store.assets_for_customer(customer_id).await?,
        may_add_contract: agent.role.includes(Role::Supervisor),
        kinds: ContractKind::ALL,
    })
}

fn back_to_customer(id: i64, done: &str) -> Response {
    Redirect::to(&format!(
        "/customers/{id}?done={}#coverage",
        url_escape(done)
    ))
    .into_response()
}

#[derive(Deserialize)]
pub struct AssetForm {
    name: String,
    #[serde(default)]
    serial_number: String,
}

pub async fn add_asset(
    State(app): State<App>,
    signed_in: SignedIn,
    crate::pages::Id(id): crate::pages::Id,
    Submitted(form): Submitted<AssetForm>,
) -> PageResult<Response> {
    app.store.customer(id).await?;
    let asset = app
        .store
        .create_asset(
            NewAsset {
                holder: Holder::Customer(id),
                name: form.name,
                serial_number: Some(form.serial_number),
            },
            Actor::Agent(signed_in.agent.id),
        )
        .await?;
    Ok(back_to_customer(id, &format!("Recorded {}.", asset.name)))
}

#[derive(Deserialize)]
pub struct ContractForm {
    kind: ContractKind,
    name: String,
    starts_on: String,
    ends_on: String,
    #[serde(default)]
    first_response_minutes: String,
    #[serde(default)]
    resolution_minutes: String,
    #[serde(default)]
    asset_id: String,
}

fn minutes_in(label: &str, text: &str) -> PageResult<Option<i64>> {
    match text.trim() {
        "" => Ok(None),
        t => t.parse().map(Some).map_err(|_| {
            PageError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("{label}: “{t}” is not a whole number of business minutes."),
            )
        }),
    }
}

pub async fn add_contract(
    State(app): State<App>,
    signed_in: SignedIn,
    crate::pages::Id(id): crate::pages::Id,
    Submitted(form): Submitted<ContractForm>,
) -> PageResult<Response> {
    if !signed_in.agent.role.includes(Role::Supervisor) {
        return Err(PageError::forbidden(
            "Contracts are recorded by supervisors and admins: they are commercial promises.",
        ));
    }
    app.store.customer(id).await?;
    let asset_ids = match form.asset_id.trim() {
        "" => vec![],
        t => vec![t.parse().map_err(|_| {
            PageError::new(
                StatusCode::BAD_REQUEST,
                "That asset is not one of the list.",
            )
        })?],
    };
    let contract = app
        .store
        .create_contract(
            NewContract {
                holder: Holder::Customer(id),
                kind: form.kind,
                name: form.name,
                starts_on: form.starts_on,
                ends_on: form.ends_on,
                first_response_minutes: minutes_in("First reply", &form.first_response_minutes)?,
                resolution_minutes: minutes_in("Resolution", &form.resolution_minutes)?,
                asset_ids,
            },
            Actor::Agent(signed_in.agent.id),
        )
        .await?;
    Ok(back_to_customer(
        id,
        &format!("Recorded the contract {}.", contract.name),
    ))
}

#[derive(Deserialize)]
pub struct LinkForm {
    asset_id: i64,
}

pub async fn link_asset(
    State(app): State<App>,
    signed_in: SignedIn,
    crate::pages::Id(id): crate::pages::Id,
    Submitted(form): Submitted<LinkForm>,
) -> PageResult<Response> {
    super::visible_ticket(&app, &signed_in.agent, id).await?;
    app.store
        .link_asset(id, form.asset_id, Actor::Agent(signed_in.agent.id))
        .await?;
    Ok(super::back_to_ticket(
        id,
        "The ticket is about that asset now; its service level follows the asset's contract.",
    ))
}

#[derive(Template)]
#[template(path = "workspace/asset.html")]
struct AssetPage {
    agent: Agent,
    csrf: String,
    query: String,
    asset: Asset,
    repairs: Vec<(Repair, When)>,
}

pub async fn show_asset(
    State(app): State<App>,
    signed_in: SignedIn,
    crate::pages::Id(id): crate::pages::Id,
) -> PageResult {
    let asset = app.store.asset(id).await?;
    let mut repairs = app.store.asset_history(id).await?;
    app.store
        .retain_visible(&signed_in.agent, &mut repairs, |r| Some(r.ticket_id))
        .await?;
    let calendar: Calendar = app.store.calendar().await?;
    let repairs = repairs
        .into_iter()
        .map(|r| {
            let when = When::on(&calendar, &r.created_at);
            (r, when)
        })
        .collect();
    Ok(render(&AssetPage {
        agent: signed_in.agent,
        csrf: signed_in.csrf,
        query: String::new(),
        asset,
        repairs,
    }))
}

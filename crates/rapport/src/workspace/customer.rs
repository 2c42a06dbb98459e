//! The customer page: the whole timeline, newest first, with the relationship panel.

use super::panel::Panel;
use crate::app::App;
use crate::pages::{PageResult, SignedIn, When, render};
use askama::Template;
use axum::extract::{Query, State};
use rapport_domain::Agent;
use rapport_domain::timeline::Names;
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
}

pub async fn show_customer(
    State(app): State<App>,
    signed_in: SignedIn,
    crate::pages::Id(id): crate::pages::Id,
    Query(query): Query<CustomerQuery>,
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
    let page = app
        .store
        .customer_timeline(id, query.before.as_deref(), 50)
        .await?;
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
    let panel = app.store.panel(&signed_in.agent, &customer).await?;
    Ok(render(&CustomerPage {
        panel: Panel::new(&app, &customer, panel, None, &names, &calendar),
        agent: signed_in.agent,
        csrf: signed_in.csrf,
        query: String::new(),
        items,
        next_cursor: page.next_cursor,
    }))
}

//! The customer page: the whole timeline, newest first, with the relationship panel.

use super::panel::{self, Panel};
use crate::app::App;
use crate::pages::{PageResult, SignedIn, When, render};
use askama::Template;
use axum::extract::{Query, State};
use rapport_domain::Agent;
use serde::Deserialize;

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
    kind: String,
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
    let page = app
        .store
        .customer_timeline(id, query.before.as_deref(), 50)
        .await?;
    // Restricted teams' tickets stay out of the timeline for those who may not see them.
    let items = app
        .store
        .visible_items(&signed_in.agent, page.items)
        .await?
        .into_iter()
        .map(|item| Entry {
            kind: item.kind,
            when: When::of(&item.at),
            ticket_id: item.ticket_id,
            summary: item.summary,
        })
        .collect();
    Ok(render(&CustomerPage {
        panel: panel::load(&app, &signed_in.agent, &customer, None, &names).await?,
        agent: signed_in.agent,
        csrf: signed_in.csrf,
        query: String::new(),
        items,
        next_cursor: page.next_cursor,
    }))
}

//! `/admin/audit`: the audit trail, newest first, a page at a time, narrowed to one kind of
//! change (agents, teams, settings, tokens, sign-ins) if the admin wants.

use super::admin_only;
use crate::app::App;
use crate::pages::{PageError, PageResult, SignedIn, When, render_with, url_escape};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use rapport_domain::{ActorKind, Agent};
use serde::Deserialize;

const PAGE_SIZE: u32 = 50;

/// The narrowing choices: an action prefix and how the page names it.
const KINDS: &[(&str, &str)] = &[
    ("", "everything"),
    ("agent.", "agents and sign-ins"),
    ("team.", "teams"),
    ("settings.", "settings"),
    ("token.", "API tokens"),
    ("customer.", "customers"),
    ("ticket.", "tickets"),
    ("policy", "policies and their exceptions"),
];

#[derive(Template)]
#[template(path = "admin/audit.html")]
struct AuditPage {
    agent: Agent,
    csrf: String,
    query: String,
    kinds: &'static [(&'static str, &'static str)],
    action: String,
    lines: Vec<Line>,
    /// The next (older) page's address.
    older: Option<String>,
}

struct Line {
    at: When,
    who: String,
    action: String,
    what: String,
    changes: String,
}

#[derive(Deserialize)]
pub struct AuditQuery {
    action: Option<String>,
    before: Option<i64>,
}

pub async fn show_audit(
    State(app): State<App>,
    signed_in: SignedIn,
    Query(query): Query<AuditQuery>,
) -> PageResult {
    admin_only(&signed_in)?;
    let action = query.action.unwrap_or_default();
    if !KINDS.iter().any(|(prefix, _)| *prefix == action) {
        return Err(PageError::new(
            StatusCode::BAD_REQUEST,
            "The audit trail can be narrowed to agents, teams, settings, tokens, customers or tickets; that choice is not one of them. Start again from /admin/audit.",
        ));
    }
    let page = app
        .store
        .audit(Some(&action), query.before, PAGE_SIZE)
        .await?;
    let names = app.store.agent_names().await?;
    let calendar = app.store.calendar().await?;
    let lines = page
        .items
        .into_iter()
        .map(|event| Line {
            at: When::on(&calendar, &event.at),
            who: match (event.actor.kind, event.actor.id) {
                (ActorKind::Agent, Some(id)) => names
                    .get(&id)
                    .cloned()
                    .unwrap_or_else(|| format!("agent {id}")),
                (ActorKind::Customer, Some(id)) => format!("customer {id}"),
                _ => "Rapport".to_owned(),
            },
            what: format!("{} {}", event.entity, event.entity_id),
            changes: if event.changes.as_object().is_some_and(|c| c.is_empty()) {
                String::new()
            } else {
                event.changes.to_string()
            },
            action: event.action,
        })
        .collect();
    let older = page
        .next_before_id
        .map(|id| format!("/admin/audit?action={}&before={id}", url_escape(&action)));
    Ok(render_with(
        StatusCode::OK,
        &AuditPage {
            agent: signed_in.agent,
            csrf: signed_in.csrf,
            query: String::new(),
            kinds: KINDS,
            action,
            lines,
            older,
        },
    ))
}

//! The ticket page: the timeline (messages, notes, calls, promises, what changed), the
//! composer with the coach, the actions, and the relationship panel.

use super::panel::{self, Panel};
use crate::app::App;
use crate::pages::{PageResult, SignedIn, When, render, words};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use rapport_domain::{Agent, AttachmentInfo, AuthorKind, Event, Problem, Ticket, Visibility};
use serde::Deserialize;
use std::collections::HashMap;

#[derive(Template)]
#[template(path = "workspace/ticket.html")]
pub struct TicketPage {
    pub agent: Agent,
    pub csrf: String,
    pub query: String,
    pub ticket: Ticket,
    pub conversation: String,
    pub problem: String,
    pub assignee_name: Option<String>,
    pub team_name: Option<String>,
    pub assigned_to_me: bool,
    pub can_propose: bool,
    pub items: Vec<Item>,
    pub last_message_id: i64,
    pub customer_first_name: String,
    pub escalation: Option<EscalationView>,
    pub panel: Panel,
    pub agents: Vec<Choice>,
    pub teams: Vec<Choice>,
    pub priorities: Vec<Choice<&'static str>>,
    pub tags_text: String,
    pub flash: Option<String>,
    /// The composer as the agent left it (after a refused send).
    pub draft: String,
    pub internal: bool,
    pub collision: Option<String>,
    /// The coach's review of the draft, when asked for without script.
    pub review: Option<CoachView>,
}

/// The coach's review, for the page without script (the script shows it as one types).
pub struct CoachView {
    pub score: Option<u8>,
    pub facets: String,
    pub note: Option<String>,
    /// `(class, kind, excerpt, explanation and suggestion)`.
    pub findings: Vec<(String, &'static str, String, String)>,
}

impl From<rapport_coach::Review> for CoachView {
    fn from(review: rapport_coach::Review) -> CoachView {
        let facets = review.facets.map_or(String::new(), |f| {
            format!(
                "politeness {} · empathy {} · ownership {} · clarity {}",
                f.politeness, f.empathy, f.ownership, f.clarity
            )
        });
        let findings = review
            .findings
            .into_iter()
            .map(|f| {
                let class = if f.positive {
                    "positive".to_owned()
                } else {
                    serde_json::to_value(f.severity)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_owned))
                        .unwrap_or_default()
                };
                (
                    class,
                    f.kind.as_str(),
                    f.excerpt,
                    format!("{} {}", f.explanation, f.suggestion)
                        .trim()
                        .to_owned(),
                )
            })
            .collect();
        CoachView {
            score: review.score,
            facets,
            note: review.language.note,
            findings,
        }
    }
}

pub struct Choice<Id = i64> {
    pub id: Id,
    pub name: String,
    pub selected: bool,
}

pub struct EscalationView {
    pub reason: String,
    pub when: When,
    pub manager: Option<String>,
}

/// One entry of the ticket's timeline.
pub struct Item {
    pub class: &'static str,
    pub message_id: Option<i64>,
    pub author: String,
    pub label: String,
    pub when: When,
    /// Sanitized HTML of a message (email HTML went through ammonia; text was escaped).
    pub html: String,
    /// A line for calls, promises and events.
    pub line: String,
    pub quoted: Option<String>,
    pub attachments: Vec<AttachmentInfo>,
    pub delivery: Option<String>,
    pub coach_score: Option<u8>,
    sort_key: String,
}

#[derive(Deserialize)]
pub struct ShowQuery {
    done: Option<String>,
}

pub async fn show_ticket(
    State(app): State<App>,
    signed_in: SignedIn,
    crate::pages::Id(id): crate::pages::Id,
    Query(query): Query<ShowQuery>,
) -> PageResult {
    let mut page = build(&app, signed_in, id).await?;
    page.flash = query.done.filter(|d| !d.is_empty() && d.len() < 200);
    Ok(render(&page))
}

/// Shows the page again with what the agent wrote still in the composer, and why it was not
/// sent.
pub async fn show_with_draft(
    app: &App,
    signed_in: SignedIn,
    id: i64,
    draft: String,
    internal: bool,
    collision: String,
) -> PageResult<Response> {
    let mut page = build(app, signed_in, id).await?;
    page.draft = draft;
    page.internal = internal;
    page.collision = Some(collision);
    Ok(crate::pages::render_with(StatusCode::CONFLICT, &page))
}

/// Shows the page with the draft and the coach's review of it (asked for without script).
pub async fn show_with_review(
    app: &App,
    signed_in: SignedIn,
    id: i64,
    draft: String,
    review: rapport_coach::Review,
) -> PageResult<Response> {
    let mut page = build(app, signed_in, id).await?;
    page.draft = draft;
    page.review = Some(review.into());
    Ok(render(&page))
}

pub async fn build(app: &App, signed_in: SignedIn, id: i64) -> PageResult<TicketPage> {
    let ticket = super::visible_ticket(app, &signed_in.agent, id).await?;
    let store = &app.store;
    let names = app.store.agent_names().await?;
    let customer = store.customer(ticket.customer_id).await?;
    let name_of = |id: Option<i64>| {
        id.and_then(|id| names.get(&id).cloned())
            .unwrap_or_else(|| "someone".to_owned())
    };

    let mut items = Vec::new();
    let messages = store.ticket_messages(id).await?;
    let last_message_id = messages.last().map_or(0, |m| m.id);
    for message in messages {
        let internal = message.visibility == Visibility::Internal;
        let author = match message.author.kind {
            AuthorKind::Customer => customer.name.clone(),
            AuthorKind::Agent => name_of(message.author.id),
            AuthorKind::System => "Rapport".to_owned(),
        };
        let label = if internal {
            "internal note".to_owned()
        } else {
            format!("by {}", message.channel)
        };
        let delivery = message.email.as_ref().and_then(|e| {
            e.delivery.as_ref().map(|d| match &e.delivery_detail {
                Some(detail) => format!("mail {d}: {detail}"),
                None => format!("mail {d}"),
            })
        });
        items.push(Item {
            class: if internal { "internal" } else { "message" },
            message_id: Some(message.id),
            author,
            label,
            when: When::of(&message.created_at),
            html: message.html,
            line: String::new(),
            quoted: message.quoted_text.filter(|q| !q.trim().is_empty()),
            attachments: message.attachments,
            delivery,
            coach_score: message.review.and_then(|r| r.score),
            sort_key: format!("{}~1~{:012}", message.created_at, message.id),
        });
    }
    for call in store.calls_for_ticket(id).await? {
        let agreed = call
            .agreed
            .map(|a| format!(" Agreed: {a}"))
            .unwrap_or_default();
        items.push(Item {
            class: "call",
            message_id: None,
            author: name_of(Some(call.agent_id)),
            label: format!(
                "{} call, {} min",
                call.direction,
                call.duration_seconds / 60
            ),
            when: When::of(&call.started_at),
            html: String::new(),
            line: format!("{}{agreed}", call.summary),
            quoted: None,
            attachments: vec![],
            delivery: None,
            coach_score: None,
            sort_key: format!("{}~2~{:012}", call.started_at, call.id),
        });
    }
    for promise in store.promises_for(ticket.customer_id, false).await? {
        if promise.ticket_id != Some(id) {
            continue;
        }
        items.push(Item {
            class: "promise",
            message_id: None,
            author: name_of(Some(promise.agent_id)),
            label: format!("promise ({})", promise.status),
            when: When::of(&promise.created_at),
            html: String::new(),
            line: format!(
                "Promised: {} — by {}",
                promise.what,
                When::of(&promise.due_at).text
            ),
            quoted: None,
            attachments: vec![],
            delivery: None,
            coach_score: None,
            sort_key: format!("{}~3~{:012}", promise.created_at, promise.id),
        });
    }
    for event in store.events_for("ticket", id).await? {
        let Some(line) = describe(&event, &names) else {
            continue;
        };
        let actor = match event.actor.kind {
            rapport_domain::ActorKind::Agent => name_of(event.actor.id),
            rapport_domain::ActorKind::Customer => customer.name.clone(),
            rapport_domain::ActorKind::System => "Rapport".to_owned(),
        };
        items.push(Item {
            class: "event",
            message_id: None,
            author: actor,
            label: String::new(),
            when: When::of(&event.at),
            html: String::new(),
            line,
            quoted: None,
            attachments: vec![],
            delivery: None,
            coach_score: None,
            sort_key: format!("{}~0~{:012}", event.at, event.id),
        });
    }
    items.sort_by(|a, b| a.sort_key.cmp(&b.sort_key));

    let escalation = match store.open_escalation(id).await? {
        Some(e) => Some(EscalationView {
            reason: e.reason,
            when: When::of(&e.created_at),
            manager: e.manager_id.and_then(|m| names.get(&m).cloned()),
        }),
        None => None,
    };
    let teams = store.teams().await?;
    let team_name = teams
        .iter()
        .find(|t| Some(t.id) == ticket.team_id)
        .map(|t| t.name.clone());
    let agents = store
        .agents()
        .await?
        .into_iter()
        .map(|a| Choice {
            selected: ticket.assignee_id == Some(a.id),
            id: a.id,
            name: a.name,
        })
        .collect();
    let teams = teams
        .into_iter()
        .map(|t| Choice {
            selected: ticket.team_id == Some(t.id),
            id: t.id,
            name: if t.restricted {
                format!("{} (restricted)", t.name)
            } else {
                t.name
            },
        })
        .collect();
    let priorities = rapport_domain::Priority::ALL
        .iter()
        .map(|p| Choice {
            id: p.as_str(),
            name: p.as_str().to_owned(),
            selected: *p == ticket.priority,
        })
        .collect();
    let panel = panel::load(app, &signed_in.agent, &customer, Some(id), &names).await?;
    Ok(TicketPage {
        conversation: words(ticket.conversation.as_str()),
        problem: words(ticket.problem.as_str()),
        assignee_name: ticket.assignee_id.and_then(|a| names.get(&a).cloned()),
        team_name,
        assigned_to_me: ticket.assignee_id == Some(signed_in.agent.id),
        can_propose: ticket.problem == Problem::Open,
        items,
        last_message_id,
        customer_first_name: customer
            .name
            .split_whitespace()
            .next()
            .unwrap_or("the customer")
            .to_owned(),
        escalation,
        panel,
        agents,
        teams,
        priorities,
        tags_text: ticket.tags.join(", "),
        flash: None,
        draft: String::new(),
        internal: false,
        collision: None,
        review: None,
        agent: signed_in.agent,
        csrf: signed_in.csrf,
        query: String::new(),
        ticket,
    })
}

/// What changed, in a line, for the events worth showing (messages show themselves).
fn describe(event: &Event, names: &HashMap<i64, String>) -> Option<String> {
    let changes = &event.changes;
    let after = |field: &str| changes.get(field).and_then(|c| c.get("after"));
    let text = |value: Option<&serde_json::Value>| match value {
        Some(serde_json::Value::String(s)) => words(s),
        Some(serde_json::Value::Null) | None => "nobody".to_owned(),
        Some(other) => other.to_string(),
    };
    let line = match event.action.as_str() {
        "message.added" | "ticket.created" => return None,
        "ticket.updated" => {
            let mut parts = Vec::new();
            if let Some(value) = after("assignee_id") {
                let who = value
                    .as_i64()
                    .and_then(|id| names.get(&id).cloned())
                    .unwrap_or_else(|| "nobody".to_owned());
                parts.push(format!("assigned to {who}"));
            }
            if changes.get("team_id").is_some() {
                parts.push("moved to another team".to_owned());
            }
            if let Some(value) = after("priority") {
                parts.push(format!("priority {}", text(Some(value))));
            }
            if let Some(value) = after("tags") {
                parts.push(format!("tags {value}"));
            }
            if parts.is_empty() {
                return None;
            }
            parts.join("; ")
        }
        "ticket.escalated" => format!(
            "asked for a manager: “{}”",
            changes
                .get("reason")
                .and_then(|r| r.as_str())
                .unwrap_or_default()
        ),
        "escalation.answered" => "marked the request for a manager answered".to_owned(),
        "problem.closed_unresolved" => {
            format!("closed the problem unresolved: “{}”", text(after("reason")))
        }
        other => {
            let mut line = words(&other.replace('.', " "));
            if let Some(problem) = after("problem") {
                line.push_str(&format!(" (problem {})", text(Some(problem))));
            }
            line
        }
    };
    Some(line)
}

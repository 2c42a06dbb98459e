//! The ticket page: the timeline (messages, notes, calls, promises, what changed), the
//! composer with the coach, the actions, and the relationship panel. Its facts come from one
//! store call; the timeline's lines are the domain timeline's words.

use super::panel::Panel;
use crate::app::App;
use crate::pages::{PageResult, SignedIn, When, render, words};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use rapport_domain::message::{CustomerLinks, customer_links};
use rapport_domain::timeline::{Fact, Names, delivery_note};
use rapport_domain::{Agent, AttachmentInfo, Message, Problem, Ticket};
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
    /// The service level and where each target stands.
    pub sla: Option<super::service_level::SlaView>,
    /// What the customer is entitled to: covered, expired or none.
    pub entitlement: super::coverage::EntitlementView,
    /// The ticket's policy exceptions and the form that asks for one.
    pub policies: super::policies::TicketPolicies,
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
    /// The concerns of the customer's latest message, for the composer to tick off as the
    /// draft answers them.
    pub concerns: Vec<super::insight::ConcernView>,
    /// Whom a reply goes to now: the customer's address and the copies of their last mail.
    pub reply_to: Option<String>,
    pub reply_cc: Vec<String>,
    /// Why the draft came back that is not a collision (it was empty).
    pub composer_note: Option<String>,
    /// The saved replies the agent may insert: `(id, title)`.
    pub saved_replies: Vec<(i64, String)>,
    /// The saved reply in the composer: its id, title and what sending it also does.
    pub saved_reply: Option<(i64, String, String)>,
    /// The complaints about this ticket, newest first.
    pub complaints: Vec<rapport_store::complaints::Complaint>,
}

/// What a saved reply's actions do, in words ("" when nothing).
pub fn actions_words(actions: &rapport_domain::saved_reply::Actions) -> String {
    let mut parts = Vec::new();
    if !actions.add_tags.is_empty() {
        parts.push(format!("adds the tags {}", actions.add_tags.join(", ")));
    }
    if let Some(priority) = actions.priority {
        parts.push(format!("sets the priority to {priority}"));
    }
    if actions.propose_resolution {
        parts.push("asks the customer whether this fixed it".to_owned());
    }
    parts.join("; ")
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
    pub id: i64,
    /// What sent it up, in words.
    pub source: &'static str,
    pub reason: String,
    pub when: When,
    pub manager: Option<String>,
    /// By when the manager must acknowledge it, until someone does.
    pub deadline: Option<When>,
    pub acknowledged: Option<When>,
    /// Whether the agent reading the page may acknowledge it.
    pub may_acknowledge: bool,
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
    /// For a customer's message: what the insight read in it.
    pub insight: Option<super::insight::InsightView>,
}

#[derive(Deserialize)]
pub struct ShowQuery {
    done: Option<String>,
    /// A saved reply to put in the composer, filled for this ticket.
    insert: Option<String>,
}

pub async fn show_ticket(
    State(app): State<App>,
    signed_in: SignedIn,
    crate::pages::Id(id): crate::pages::Id,
    Query(query): Query<ShowQuery>,
) -> PageResult {
    let agent = signed_in.agent.clone();
    let mut page = build(&app, signed_in, id).await?;
    page.flash = query.done.filter(|d| !d.is_empty() && d.len() < 200);
    if let Some(insert) = query.insert.as_deref().filter(|i| !i.is_empty()) {
        let saved_id = insert.parse().map_err(|_| {
            crate::pages::PageError::not_found(
                "There is no such saved reply. Choose one from the list.",
            )
        })?;
        let saved = crate::saved_replies::usable(&app, &agent, saved_id).await?;
        page.draft = crate::saved_replies::filled(&app, &agent, &saved, &page.ticket).await?;
        page.saved_reply = Some((saved.id, saved.title, actions_words(&saved.actions)));
    }
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

/// Shows the page again with the draft and a note on why it was not sent (it was empty).
pub async fn show_with_note(
    app: &App,
    signed_in: SignedIn,
    id: i64,
    draft: String,
    internal: bool,
    note: String,
) -> PageResult<Response> {
    let mut page = build(app, signed_in, id).await?;
    page.draft = draft;
    page.internal = internal;
    page.composer_note = Some(note);
    Ok(crate::pages::render_with(
        StatusCode::UNPROCESSABLE_ENTITY,
        &page,
    ))
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
    let facts = app.store.ticket_page(&signed_in.agent, &ticket).await?;
    let calendar = app.store.calendar().await?;
    let names = &facts.agent_names;
    let customer = &facts.customer;
    let customers = HashMap::from([(customer.id, customer.name.clone())]);
    // The page's facts hold the teams already (for the team picker).
    let team_names: HashMap<i64, String> = facts
        .teams
        .iter()
        .map(|team| (team.id, team.name.clone()))
        .collect();
    let who = Names {
        agents: names,
        customers: &customers,
        teams: &team_names,
    };
    let time = |at: &str| When::on(&calendar, at).text;

    let history = facts.history;
    let last_message_id = history.messages.last().map_or(0, |m| m.id);
    let mut messages: HashMap<i64, Message> =
        history.messages.into_iter().map(|m| (m.id, m)).collect();
    let mut items = Vec::new();
    for entry in &history.entries {
        let Some(line) = entry.on_ticket_page(&who, &time) else {
            continue;
        };
        let message = match entry.fact {
            Fact::Message { .. } => messages.remove(&entry.id),
            _ => None,
        };
        let mut item = Item {
            class: line.class,
            message_id: None,
            author: line.author,
            label: line.label,
            when: When::on(&calendar, &entry.at),
            html: String::new(),
            line: line.line,
            quoted: None,
            attachments: vec![],
            delivery: None,
            coach_score: None,
            insight: None,
        };
        if let Some(message) = message {
            item.message_id = Some(message.id);
            // The customer's single-use links are theirs to press, not ours to see.
            item.html = customer_links(
                &message.html,
                CustomerLinks::Hidden("[the customer's single-use link]"),
            );
            item.quoted = message.quoted_text.filter(|q| !q.trim().is_empty());
            item.attachments = message.attachments;
            item.delivery = message.email.as_ref().and_then(delivery_note);
            item.coach_score = message.review.and_then(|r| r.score);
            item.insight = message
                .insight
                .as_ref()
                .and_then(super::insight::InsightView::of);
        }
        items.push(item);
    }

    let escalation = facts.escalation.map(|e| EscalationView {
        id: e.id,
        source: super::escalations::source_words(e.source),
        reason: e.reason,
        when: When::on(&calendar, &e.created_at),
        manager: e.manager_id.and_then(|m| names.get(&m).cloned()),
        deadline: e
            .acknowledge_by
            .as_deref()
            .filter(|_| e.acknowledged_at.is_none())
            .map(|at| When::on(&calendar, at)),
        acknowledged: e
            .acknowledged_at
            .as_deref()
            .map(|at| When::on(&calendar, at)),
        may_acknowledge: e.acknowledged_at.is_none()
            && (e.manager_id == Some(signed_in.agent.id)
                || signed_in
                    .agent
                    .role
                    .includes(rapport_domain::Role::Supervisor)),
    });
    let team_name = facts
        .teams
        .iter()
        .find(|t| Some(t.id) == ticket.team_id)
        .map(|t| t.name.clone());
    let agents = facts
        .agents
        .into_iter()
        .map(|a| Choice {
            selected: ticket.assignee_id == Some(a.id),
            id: a.id,
            name: a.name,
        })
        .collect();
    let teams = facts
        .teams
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
    let panel = Panel::new(app, customer, facts.panel, Some(id), names, &calendar);
    let concerns = items
        .iter()
        .rev()
        .find_map(|item| item.insight.as_ref())
        .map(|insight| insight.concerns.clone())
        .unwrap_or_default();
    let saved_replies = app
        .store
        .saved_replies_for(&signed_in.agent)
        .await?
        .into_iter()
        .map(|saved| (saved.id, saved.title))
        .collect();
    let (reply_to, reply_cc) = match app.store.reply_recipients(id).await? {
        Some((to, cc)) => (Some(to), cc),
        None => (None, Vec::new()),
    };
    let complaints = app
        .store
        .complaints(&signed_in.agent, None, Some(id))
        .await?;
    Ok(TicketPage {
        complaints,
        reply_to,
        reply_cc,
        concerns,
        saved_replies,
        saved_reply: None,
        composer_note: None,
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
        entitlement: super::coverage::EntitlementView::new(
            app.store.ticket_entitlement(id).await?,
            app.store.assets_for_customer(ticket.customer_id).await?,
        ),
        sla: super::service_level::SlaView::new(
            app.store.ticket_sla(id).await?,
            &calendar,
            app.store.clock().now(),
        ),
        panel,
        policies: super::policies::for_ticket(app, &signed_in.agent, id).await?,
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

//! The timeline: everything that happened with a customer or on a ticket, as entries that
//! every view shares. The store loads rows into [`Entry`]s; each reader sees the entries
//! [`Reader`] lets through; and the sentences people read are written here, once: the one-line
//! summary of the customer's history and the API ([`Entry::summary`]), the lines of the ticket
//! page ([`Entry::on_ticket_page`]) and what the portal says ([`Entry::portal_author`],
//! [`Entry::call_back`]).

use crate::event::{ActorKind, EventActor};
use crate::message::{AuthorKind, Channel, EmailInfo, Message, Visibility};
use crate::named_enum;
use std::collections::{HashMap, HashSet};

named_enum! {
    /// What an entry is, as the API's `kind` names it.
    Kind, "timeline kind" {
        Ticket => "ticket",
        Message => "message",
        /// An internal note: a message only staff see.
        Note => "note",
        Call => "call",
        Promise => "promise",
        Moment => "moment",
        Survey => "survey",
        Event => "event",
    }
}

/// The changes the customer's history shows (the ticket page shows every change it can put
/// in words; see [`Entry::on_ticket_page`]).
pub const HISTORY_CHANGES: &[&str] = &[
    "problem.closed_unresolved",
    "resolution.confirmed",
    "resolution.unconfirmed",
    "resolution.rejected",
    "ticket.handed_over",
    "ticket.escalated",
    "escalation.moved_up",
    "escalation.acknowledged",
    "escalation.answered",
    "sla.breached",
];

/// The changes to the customer themselves that their history shows: their details, addresses,
/// organization, owner and merges (see [`Entry::summary`] for the words).
pub const CUSTOMER_CHANGES: &[&str] = &[
    "customer.updated",
    "customer.email_added",
    "customer.email_removed",
    "customer.primary_email_changed",
    "customer.joined_organization",
    "customer.owner_changed",
    "customer.merged",
    "letter.received",
    "contract.created",
];

/// One thing that happened: when, to whom, who did it and the facts to say what it was.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub at: String,
    /// The id of the thing within its kind (a message id, a call id, an event id...).
    pub id: i64,
    /// The customer whose ticket or relationship it belongs to.
    pub customer_id: i64,
    pub ticket_id: Option<i64>,
    /// Who did it, when the entry records it (a ticket's opening does not).
    pub actor: Option<EventActor>,
    pub fact: Fact,
}

/// What happened, with what the sentences about it need.
#[derive(Debug, Clone, PartialEq)]
pub enum Fact {
    TicketOpened {
        subject: String,
        channel: Channel,
        assignee_id: Option<i64>,
    },
    Message {
        channel: Channel,
        visibility: Visibility,
        text: String,
    },
    Call {
        /// `inbound` or `outbound`.
        direction: String,
        duration_seconds: i64,
        summary: String,
        agreed: Option<String>,
    },
    Promise {
        what: String,
        /// `open`, `kept`, `broken` or `renegotiated`.
        status: String,
        due_at: String,
        /// Whether an agent took it on. A call-back the customer asked for is a request until
        /// an agent accepts it: nobody has promised it yet.
        accepted: bool,
    },
    Moment {
        note: String,
        follow_up_on: Option<String>,
    },
    Survey {
        /// `csat` (out of 5) or `nps` (out of 10).
        kind: String,
        score: i64,
        comment: Option<String>,
    },
    /// A recorded change (an audit event): its action and `{field: {before, after}}`.
    Change {
        action: String,
        changes: serde_json::Value,
    },
}

/// Who reads a timeline, and so which entries they see.
pub enum Reader<'a> {
    /// An agent: everything except the tickets they may not see (a restricted team's, when
    /// they are not in it).
    Agent { hidden_tickets: &'a HashSet<i64> },
    /// A customer in the portal: only what is public, of the tickets they may see.
    Customer { tickets: &'a HashSet<i64> },
}

/// The names the sentences use.
pub struct Names<'a> {
    /// Every agent's name by id, those who have left included.
    pub agents: &'a HashMap<i64, String>,
    /// Customers' names by id.
    pub customers: &'a HashMap<i64, String>,
    /// Teams' names by id.
    pub teams: &'a HashMap<i64, String>,
}

impl Names<'_> {
    fn agent(&self, id: Option<i64>) -> Option<String> {
        id.and_then(|id| self.agents.get(&id).cloned())
    }

    fn customer(&self, id: i64) -> String {
        self.customers.get(&id).cloned().unwrap_or_default()
    }
}

/// An entry as a line of the ticket page: who, a label beside them, and a sentence (empty for a
/// message, whose body is shown instead).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketLine {
    /// The CSS class: `message`, `internal`, `call`, `promise` or `event`.
    pub class: &'static str,
    pub author: String,
    pub label: String,
    pub line: String,
}

impl Entry {
    /// A message as an entry of its ticket (whose customer is `customer_id`).
    pub fn message(message: &Message, customer_id: i64) -> Entry {
        Entry {
            at: message.created_at.clone(),
            id: message.id,
            customer_id,
            ticket_id: Some(message.ticket_id),
            actor: Some(EventActor {
                kind: match message.author.kind {
                    AuthorKind::Customer => ActorKind::Customer,
                    AuthorKind::Agent => ActorKind::Agent,
                    AuthorKind::System => ActorKind::System,
                },
                id: message.author.id,
            }),
            fact: Fact::Message {
                channel: message.channel,
                visibility: message.visibility,
                text: message.text.clone(),
            },
        }
    }

    pub fn kind(&self) -> Kind {
        match &self.fact {
            Fact::TicketOpened { .. } => Kind::Ticket,
            Fact::Message {
                visibility: Visibility::Internal,
                ..
            } => Kind::Note,
            Fact::Message { .. } => Kind::Message,
            Fact::Call { .. } => Kind::Call,
            Fact::Promise { .. } => Kind::Promise,
            Fact::Moment { .. } => Kind::Moment,
            Fact::Survey { .. } => Kind::Survey,
            Fact::Change { .. } => Kind::Event,
        }
    }

    /// Whether the customer may read it: their public messages and our replies, the opening of
    /// their tickets and what we promised them. Notes, calls, moments, survey answers and the
    /// audit trail are for staff.
    pub fn visibility(&self) -> Visibility {
        match &self.fact {
            Fact::Message { visibility, .. } => *visibility,
            Fact::TicketOpened { .. } | Fact::Promise { .. } => Visibility::Public,
            Fact::Call { .. } | Fact::Moment { .. } | Fact::Survey { .. } | Fact::Change { .. } => {
                Visibility::Internal
            }
        }
    }

    pub fn visible_to(&self, reader: &Reader<'_>) -> bool {
        match reader {
            Reader::Agent { hidden_tickets } => self
                .ticket_id
                .is_none_or(|id| !hidden_tickets.contains(&id)),
            Reader::Customer { tickets } => {
                self.visibility() == Visibility::Public
                    && self.ticket_id.is_some_and(|id| tickets.contains(&id))
            }
        }
    }

    /// The agent the API's `agent_id` names: a ticket's assignee, whoever made a change (an
    /// agent, or the customer on their own changes), and otherwise the agent who acted.
    pub fn agent_id(&self) -> Option<i64> {
        let actor = self.actor.as_ref();
        match &self.fact {
            Fact::TicketOpened { assignee_id, .. } => *assignee_id,
            Fact::Change { .. } => actor.and_then(|a| a.id),
            Fact::Survey { .. } => None,
            _ => actor
                .filter(|a| a.kind == ActorKind::Agent)
                .and_then(|a| a.id),
        }
    }

    /// The order of the ticket page: by time, and at the same time a change before the
    /// message it came with, then calls, then promises.
    pub fn ticket_page_order(&self) -> (&str, u8, i64) {
        let rank = match &self.fact {
            Fact::Change { .. } => 0,
            Fact::Message { .. } | Fact::TicketOpened { .. } => 1,
            Fact::Call { .. } | Fact::Moment { .. } | Fact::Survey { .. } => 2,
            Fact::Promise { .. } => 3,
        };
        (&self.at, rank, self.id)
    }

    /// One line for people, as the customer's history and the API's `summary` say it.
    pub fn summary(&self) -> String {
        self.line(None, &|at: &str| at.to_owned())
    }

    /// The same line for a page: people by their names, times as `time` shows them.
    pub fn summary_for(&self, names: &Names<'_>, time: &dyn Fn(&str) -> String) -> String {
        self.line(Some(names), time)
    }

    fn line(&self, names: Option<&Names<'_>>, time: &dyn Fn(&str) -> String) -> String {
        let actor_id = self.actor.as_ref().and_then(|a| a.id);
        let named = |kind: ActorKind| -> Option<String> {
            let names = names?;
            match kind {
                ActorKind::Agent => names.agent(actor_id),
                ActorKind::Customer => actor_id
                    .map(|id| names.customer(id))
                    .filter(|name| !name.is_empty()),
                ActorKind::System => None,
            }
        };
        match &self.fact {
            Fact::TicketOpened {
                subject, channel, ..
            } => format!("Opened \"{subject}\" by {channel}"),
            Fact::Message {
                channel,
                visibility,
                text,
            } => {
                let who = match self.actor.as_ref().map(|a| a.kind) {
                    Some(ActorKind::Customer) => {
                        named(ActorKind::Customer).unwrap_or_else(|| "Customer".to_owned())
                    }
                    Some(ActorKind::Agent) if *visibility == Visibility::Internal => {
                        match named(ActorKind::Agent) {
                            Some(agent) => format!("Internal note by {agent}"),
                            None => "Internal note".to_owned(),
                        }
                    }
                    Some(ActorKind::Agent) => {
                        named(ActorKind::Agent).unwrap_or_else(|| "Agent".to_owned())
                    }
                    _ => "Rapport".to_owned(),
                };
                format!("{who} ({channel}): {}", short(text, 140))
            }
            Fact::Call {
                direction,
                summary,
                agreed,
                ..
            } => {
                let agreed = match agreed.as_deref() {
                    Some(agreed) if !agreed.is_empty() => {
                        format!(" Agreed: {}", short(agreed, 80))
                    }
                    _ => String::new(),
                };
                let direction = if direction == "inbound" {
                    "Inbound"
                } else {
                    "Outbound"
                };
                format!("{direction} call: {}{agreed}", short(summary, 120))
            }
            Fact::Promise {
                what,
                status,
                due_at,
                accepted,
            } => format!(
                "{}: \"{}\", due {} ({status})",
                if *accepted {
                    "Promise"
                } else {
                    "Asked for by the customer, not accepted yet"
                },
                short(what, 120),
                time(due_at)
            ),
            Fact::Moment { note, follow_up_on } => {
                let follow = match follow_up_on.as_deref() {
                    Some(day) if !day.is_empty() => format!(" (follow up on {day})"),
                    _ => String::new(),
                };
                format!("Moment: {}{follow}", short(note, 140))
            }
            Fact::Survey {
                kind,
                score,
                comment,
            } => {
                let out_of = if kind == "csat" { 5 } else { 10 };
                let comment = match comment.as_deref() {
                    Some(comment) if !comment.is_empty() => {
                        format!(": \"{}\"", short(comment, 100))
                    }
                    _ => String::new(),
                };
                format!("{} {score}/{out_of}{comment}", kind.to_uppercase())
            }
            Fact::Change { action, changes } if action.starts_with("customer.") => {
                let who = match self.actor.as_ref().map(|a| a.kind) {
                    Some(ActorKind::Agent) => named(ActorKind::Agent),
                    Some(ActorKind::Customer) => named(ActorKind::Customer),
                    _ => None,
                };
                customer_change(action, changes, who, names)
            }
            Fact::Change { action, changes } => {
                let after = |field: &str| changes[field]["after"].as_str().unwrap_or_default();
                match action.as_str() {
                    "problem.closed_unresolved" => {
                        format!("Closed unresolved: {}", after("reason"))
                    }
                    "resolution.confirmed" => {
                        "The customer confirmed the problem is fixed".to_owned()
                    }
                    "resolution.unconfirmed" => {
                        "Marked resolved after the customer stayed silent (unconfirmed)".to_owned()
                    }
                    "resolution.rejected" => {
                        "The customer said the problem is not fixed".to_owned()
                    }
                    "ticket.handed_over" => format!("Handed over: {}", after("note")),
                    "ticket.escalated" => {
                        let source = match changes["source"].as_str() {
                            Some("agent") => "sent up by an agent",
                            Some("service_level") => "a service level target was missed",
                            Some("email") => "the customer's email asks for a manager",
                            _ => "the customer asked for a manager",
                        };
                        let to = changes["manager_id"]
                            .as_i64()
                            .and_then(|id| names.and_then(|n| n.agent(Some(id))))
                            .map(|name| format!(" to {name}"))
                            .unwrap_or_default();
                        format!(
                            "Escalated{to} ({source}): {}",
                            short(changes["reason"].as_str().unwrap_or_default(), 200)
                        )
                    }
                    "escalation.moved_up" => {
                        let to = changes["manager_id"]["after"]
                            .as_i64()
                            .and_then(|id| names.and_then(|n| n.agent(Some(id))))
                            .unwrap_or_else(|| "the next manager".to_owned());
                        format!("Not acknowledged in time: the escalation went up to {to}")
                    }
                    "escalation.acknowledged" => match named(ActorKind::Agent) {
                        Some(who) => format!("{who} acknowledged the escalation"),
                        None => "The escalation was acknowledged".to_owned(),
                    },
                    "escalation.answered" => "The request for a manager was answered".to_owned(),
                    "sla.breached" => {
                        let target = match changes["target"].as_str() {
                            Some("first_response") => "first reply",
                            Some("next_response") => "next reply",
                            _ => "resolution",
                        };
                        format!("Missed the {target} target")
                    }
                    "letter.received" => format!(
                        "Wrote to management: “{}”",
                        short(changes["subject"].as_str().unwrap_or_default(), 120)
                    ),
                    "complaint.opened" => format!(
                        "Complaint recorded: about {}, {} severity, by {}",
                        changes["cause"]
                            .as_str()
                            .unwrap_or("the service")
                            .replace('_', " "),
                        changes["severity"].as_str().unwrap_or("unknown"),
                        changes["channel"]
                            .as_str()
                            .unwrap_or("unknown")
                            .replace('_', " ")
                    ),
                    "complaint.action_added" => format!(
                        "Recovery: {}",
                        changes["kind"]
                            .as_str()
                            .unwrap_or("an action")
                            .replace('_', " ")
                    ),
                    "complaint.closed" => format!(
                        "Complaint closed: {}",
                        changes["outcome"]["after"]
                            .as_str()
                            .unwrap_or("closed")
                            .replace('_', " ")
                    ),
                    "contract.created" => format!(
                        "Contract recorded: {}",
                        changes["name"].as_str().unwrap_or_default()
                    ),
                    other => other.to_owned(),
                }
            }
        }
    }

    /// The entry as the ticket page shows it, or `None` for what the page leaves out (the
    /// changes that a message or the ticket itself already shows). A customer is named by
    /// the name of the entry's customer; `time` writes a time for people.
    pub fn on_ticket_page(
        &self,
        names: &Names<'_>,
        time: &dyn Fn(&str) -> String,
    ) -> Option<TicketLine> {
        let author = match self.actor {
            Some(EventActor {
                kind: ActorKind::Agent,
                id,
            }) => names.agent(id).unwrap_or_else(|| "someone".to_owned()),
            Some(EventActor {
                kind: ActorKind::Customer,
                ..
            }) => names.customer(self.customer_id),
            _ => "Rapport".to_owned(),
        };
        let (class, label, line) = match &self.fact {
            Fact::Message {
                visibility: Visibility::Internal,
                ..
            } => ("internal", "internal note".to_owned(), String::new()),
            Fact::Message { channel, .. } => ("message", format!("by {channel}"), String::new()),
            Fact::Call {
                direction,
                duration_seconds,
                summary,
                agreed,
            } => {
                let agreed = agreed
                    .as_ref()
                    .map(|a| format!(" Agreed: {a}"))
                    .unwrap_or_default();
                (
                    "call",
                    format!("{direction} call, {} min", duration_seconds / 60),
                    format!("{summary}{agreed}"),
                )
            }
            Fact::Promise {
                what,
                status,
                due_at,
                accepted: true,
            } => (
                "promise",
                format!("promise ({status})"),
                format!("Promised: {what} — by {}", time(due_at)),
            ),
            Fact::Promise {
                what,
                status,
                due_at,
                accepted: false,
            } => {
                return Some(TicketLine {
                    class: "promise",
                    author: names.customer(self.customer_id),
                    label: format!("asked for ({status})"),
                    line: format!(
                        "Asked for: {what} — by {}. Nobody has accepted it yet.",
                        time(due_at)
                    ),
                });
            }
            Fact::Change { action, changes } => (
                "event",
                String::new(),
                describe_change(action, changes, names)?,
            ),
            Fact::TicketOpened { .. } | Fact::Moment { .. } | Fact::Survey { .. } => return None,
        };
        Some(TicketLine {
            class,
            author,
            label,
            line,
        })
    }

    /// Who wrote a message, as the portal tells the customer `reader`: "You", another
    /// customer of their organization by name, or the agent (else "Support").
    pub fn portal_author(&self, reader: i64, names: &Names<'_>) -> String {
        match self.actor {
            Some(EventActor {
                kind: ActorKind::Customer,
                id,
            }) => {
                let customer = id.unwrap_or(self.customer_id);
                if customer == reader {
                    "You".to_owned()
                } else {
                    names.customer(customer)
                }
            }
            Some(EventActor {
                kind: ActorKind::Agent,
                id,
            }) => names.agent(id).unwrap_or_else(|| "Support".to_owned()),
            _ => "Support".to_owned(),
        }
    }

    /// An open promise as the portal tells the customer, else `None`.
    pub fn call_back(&self, names: &Names<'_>, time: &dyn Fn(&str) -> String) -> Option<String> {
        match &self.fact {
            Fact::Promise {
                what,
                status,
                due_at,
                accepted,
            } if status == "open" => {
                let who = names.agent(self.actor.as_ref().and_then(|a| a.id));
                Some(if *accepted {
                    format!(
                        "{} promised: {what} (by {}).",
                        who.unwrap_or_default(),
                        time(due_at)
                    )
                } else {
                    format!(
                        "You asked: {what}. {} will confirm it soon.",
                        who.unwrap_or_else(|| "We".to_owned())
                    )
                })
            }
            _ => None,
        }
    }
}

/// The entries `reader` may see, in the same order.
pub fn visible(entries: Vec<Entry>, reader: &Reader<'_>) -> Vec<Entry> {
    entries
        .into_iter()
        .filter(|entry| entry.visible_to(reader))
        .collect()
}

/// How an email's delivery went, for the ticket page; for mail that came in, what the intake
/// mended to read it (`None` when nothing).
pub fn delivery_note(email: &EmailInfo) -> Option<String> {
    let Some(delivery) = email.delivery.as_ref() else {
        return email.intake_note.clone();
    };
    Some(match &email.delivery_detail {
        Some(detail) => format!("mail {delivery}: {detail}"),
        None => format!("mail {delivery}"),
    })
}

/// What a change did, in a line of the ticket page; `None` for changes a message or the
/// ticket already shows, and for updates that changed nothing shown.
fn describe_change(action: &str, changes: &serde_json::Value, names: &Names<'_>) -> Option<String> {
    let after = |field: &str| changes.get(field).and_then(|c| c.get("after"));
    let text = |value: Option<&serde_json::Value>| match value {
        Some(serde_json::Value::String(s)) => words(s),
        Some(serde_json::Value::Null) | None => "nobody".to_owned(),
        Some(other) => other.to_string(),
    };
    let line = match action {
        // The message, the ticket and the call are on the page themselves.
        "message.added" | "ticket.created" | "call.logged" => return None,
        "ticket.updated" => {
            let mut parts = Vec::new();
            if let Some(value) = after("assignee_id") {
                let who = names
                    .agent(value.as_i64())
                    .unwrap_or_else(|| "nobody".to_owned());
                parts.push(format!("assigned to {who}"));
            }
            if let Some(team) = after("team_id") {
                parts.push(match team.as_i64().and_then(|id| names.teams.get(&id)) {
                    Some(name) => format!("moved to the team {name}"),
                    None if team.is_null() => "taken out of its team".to_owned(),
                    None => "moved to another team".to_owned(),
                });
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

/// A change to a customer in words: `who` did it (named when the reader has names) and what
/// changed, each value as it was and became.
fn customer_change(
    action: &str,
    changes: &serde_json::Value,
    who: Option<String>,
    names: Option<&Names<'_>>,
) -> String {
    let value = |field: &str, side: &str| -> Option<String> {
        match changes.get(field)?.get(side)? {
            serde_json::Value::String(s) => Some(s.clone()),
            serde_json::Value::Null => None,
            other => Some(other.to_string()),
        }
    };
    let agent = |id: Option<String>| {
        let id = id.and_then(|id| id.parse::<i64>().ok());
        names
            .and_then(|names| names.agent(id))
            .or_else(|| id.map(|id| format!("agent {id}")))
    };
    let what = match action {
        "customer.updated" => {
            let mut parts = Vec::new();
            for (field, label) in [
                ("name", "name"),
                ("phone", "phone"),
                ("notes", "notes"),
                ("organization", "organization"),
            ] {
                if changes.get(field).is_none() {
                    continue;
                }
                let quote = |text: String| {
                    if field == "organization" {
                        text
                    } else {
                        format!("“{}”", short(&text, 80))
                    }
                };
                parts.push(
                    match (
                        value(field, "before").map(quote),
                        value(field, "after").map(quote),
                    ) {
                        (None, Some(after)) => format!("set the {label} to {after}"),
                        (Some(before), None) => format!("removed the {label} (was {before})"),
                        (Some(before), Some(after)) => {
                            format!("changed the {label} from {before} to {after}")
                        }
                        (None, None) => continue,
                    },
                );
            }
            if parts.is_empty() {
                "changed nothing".to_owned()
            } else {
                parts.join("; ")
            }
        }
        "customer.email_added" => {
            let email = value("email", "after").unwrap_or_default();
            if changes.get("primary").is_some() {
                format!("added the address {email} and made it the one we write to")
            } else {
                format!("added the address {email}")
            }
        }
        "customer.email_removed" => {
            format!(
                "removed the address {}",
                value("email", "before").unwrap_or_default()
            )
        }
        "customer.primary_email_changed" => format!(
            "made {} the address we write to (was {})",
            value("primary_email", "after").unwrap_or_default(),
            value("primary_email", "before").unwrap_or_else(|| "none".to_owned())
        ),
        "customer.joined_organization" => format!(
            "added the domain {} to {}, so they joined it",
            value("domain", "after").unwrap_or_default(),
            value("organization", "after").unwrap_or_else(|| "an organization".to_owned())
        ),
        "customer.owner_changed" => {
            let note = value("note", "after")
                .map(|note| format!(" (hand-over: “{}”)", short(&note, 120)))
                .unwrap_or_default();
            match agent(value("owner_id", "after")) {
                Some(owner) => format!("made {owner} the relationship owner{note}"),
                None => format!("left the relationship without an owner{note}"),
            }
        }
        "customer.merged" => format!(
            "merged customer {} into this one",
            value("merged_from", "after").unwrap_or_default()
        ),
        other => words(&other.replace('.', " ")),
    };
    match who {
        Some(who) => format!("{who} {what}"),
        None => {
            let mut chars = what.chars();
            chars
                .next()
                .map(|first| first.to_uppercase().chain(chars).collect())
                .unwrap_or_default()
        }
    }
}

/// A state's name as people say it: `waiting_on_us` becomes "waiting on us".
fn words(name: &str) -> String {
    name.replace('_', " ")
}

/// Text on one line, cut to `max` characters.
fn short(text: &str, max: usize) -> String {
    crate::wording::one_line(text, max)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::Author;
    use serde_json::json;

    fn entry(actor: Option<EventActor>, fact: Fact) -> Entry {
        Entry {
            at: "2026-11-20T10:00:00.000000Z".to_owned(),
            id: 7,
            customer_id: 3,
            ticket_id: Some(40),
            actor,
            fact,
        }
    }

    fn agent(id: i64) -> Option<EventActor> {
        Some(EventActor {
            kind: ActorKind::Agent,
            id: Some(id),
        })
    }

    fn customer(id: i64) -> Option<EventActor> {
        Some(EventActor {
            kind: ActorKind::Customer,
            id: Some(id),
        })
    }

    fn message(visibility: Visibility, text: &str) -> Fact {
        Fact::Message {
            channel: Channel::Email,
            visibility,
            text: text.to_owned(),
        }
    }

    fn promise(status: &str) -> Fact {
        Fact::Promise {
            what: "Call back about the invoice".to_owned(),
            status: status.to_owned(),
            due_at: "2026-11-21T15:00:00.000000Z".to_owned(),
            accepted: true,
        }
    }

    #[test]
    fn a_call_back_the_customer_asked_for_is_nobodys_promise_until_accepted() {
        let time = |at: &str| at[..10].to_owned();
        let asked = entry(
            agent(1),
            Fact::Promise {
                what: "Call back 2026-11-21 between 09:00 and 12:00 UTC".to_owned(),
                status: "open".to_owned(),
                due_at: "2026-11-21T12:00:00.000000Z".to_owned(),
                accepted: false,
            },
        );
        with_names(|names| {
            let portal = asked.call_back(names, &time).expect("open");
            assert!(!portal.contains("promised"), "{portal}");
            assert_eq!(
                portal,
                "You asked: Call back 2026-11-21 between 09:00 and 12:00 UTC. Maya Okafor will confirm it soon."
            );
            let line = asked.on_ticket_page(names, &time).expect("shown");
            assert_eq!(line.author, "Lee Chen");
            assert!(line.line.contains("Nobody has accepted it yet"), "{line:?}");
        });
        assert!(asked.summary().starts_with("Asked for by the customer"));
        let promised = entry(agent(1), promise("open"));
        with_names(|names| {
            assert_eq!(
                promised.call_back(names, &time).expect("open"),
                "Maya Okafor promised: Call back about the invoice (by 2026-11-21)."
            );
        });
    }

    fn change(action: &str, changes: serde_json::Value) -> Fact {
        Fact::Change {
            action: action.to_owned(),
            changes,
        }
    }

    /// Maya is agent 1; Lee (3) wrote the ticket, Ana (4) is a colleague of Lee's.
    fn with_names<T>(then: impl FnOnce(&Names<'_>) -> T) -> T {
        let agents = HashMap::from([(1, "Maya Okafor".to_owned())]);
        let customers = HashMap::from([(3, "Lee Chen".to_owned()), (4, "Ana Silva".to_owned())]);
        let teams = HashMap::from([(7, "Billing".to_owned())]);
        then(&Names {
            agents: &agents,
            customers: &customers,
            teams: &teams,
        })
    }

    fn day(at: &str) -> String {
        at[..10].to_owned()
    }

    fn about_customer(
        actor: Option<EventActor>,
        action: &str,
        changes: serde_json::Value,
    ) -> Entry {
        Entry {
            ticket_id: None,
            ..entry(actor, change(action, changes))
        }
    }

    #[test]
    fn changes_to_a_customer_say_who_changed_what_from_what() {
        let time = |at: &str| at.to_owned();
        let updated = about_customer(
            agent(1),
            "customer.updated",
            json!({
                "name": {"before": "Lee", "after": "Lee Chen"},
                "phone": {"before": null, "after": "+44 20 7946 0000"},
                "organization": {"before": "Harbor Pine", "after": null},
            }),
        );
        with_names(|names| {
            assert_eq!(
                updated.summary_for(names, &time),
                "Maya Okafor changed the name from “Lee” to “Lee Chen”; set the phone to “+44 20 7946 0000”; \
                 removed the organization (was Harbor Pine)"
            );
        });
        assert!(updated.summary().starts_with("Changed the name"));
        let added = about_customer(
            agent(1),
            "customer.email_added",
            json!({"email": {"before": null, "after": "lee@work.example"}, "primary": {"before": false, "after": true}}),
        );
        with_names(|names| {
            assert_eq!(
                added.summary_for(names, &time),
                "Maya Okafor added the address lee@work.example and made it the one we write to"
            );
        });
        let joined = about_customer(
            agent(1),
            "customer.joined_organization",
            json!({"domain": {"before": null, "after": "pine.example"}, "organization": {"before": null, "after": "Harbor Pine"}}),
        );
        assert_eq!(
            joined.summary(),
            "Added the domain pine.example to Harbor Pine, so they joined it"
        );
        let owner = about_customer(
            agent(1),
            "customer.owner_changed",
            json!({"owner_id": {"before": null, "after": 1}, "note": {"before": null, "after": null}}),
        );
        with_names(|names| {
            assert_eq!(
                owner.summary_for(names, &time),
                "Maya Okafor made Maya Okafor the relationship owner"
            );
        });
    }

    #[test]
    fn kinds_name_notes_apart_from_messages() {
        let note = entry(agent(1), message(Visibility::Internal, "x"));
        let reply = entry(agent(1), message(Visibility::Public, "x"));
        assert_eq!(note.kind().as_str(), "note");
        assert_eq!(reply.kind().as_str(), "message");
        assert_eq!(
            entry(None, change("ticket.updated", json!({}))).kind(),
            Kind::Event
        );
    }

    #[test]
    fn customers_see_only_public_entries_of_their_tickets() {
        let theirs = HashSet::from([40]);
        let reader = Reader::Customer { tickets: &theirs };
        assert!(entry(agent(1), message(Visibility::Public, "x")).visible_to(&reader));
        assert!(entry(agent(1), promise("open")).visible_to(&reader));
        assert!(!entry(agent(1), message(Visibility::Internal, "x")).visible_to(&reader));
        let call = Fact::Call {
            direction: "inbound".to_owned(),
            duration_seconds: 60,
            summary: "s".to_owned(),
            agreed: None,
        };
        assert!(!entry(agent(1), call).visible_to(&reader));
        assert!(!entry(agent(1), change("ticket.updated", json!({}))).visible_to(&reader));
        let mut elsewhere = entry(agent(1), message(Visibility::Public, "x"));
        elsewhere.ticket_id = Some(41);
        assert!(!elsewhere.visible_to(&reader));
        let moment = Fact::Moment {
            note: "n".to_owned(),
            follow_up_on: None,
        };
        let mut no_ticket = entry(agent(1), moment);
        no_ticket.ticket_id = None;
        assert!(!no_ticket.visible_to(&reader));
    }

    #[test]
    fn agents_see_everything_but_hidden_tickets() {
        let hidden = HashSet::from([41]);
        let reader = Reader::Agent {
            hidden_tickets: &hidden,
        };
        let note = entry(agent(1), message(Visibility::Internal, "x"));
        let mut restricted = note.clone();
        restricted.ticket_id = Some(41);
        let mut about_the_customer = note.clone();
        about_the_customer.ticket_id = None;
        let seen = visible(
            vec![note.clone(), restricted, about_the_customer.clone()],
            &reader,
        );
        assert_eq!(seen, vec![note, about_the_customer]);
    }

    #[test]
    fn summaries_say_each_kind_in_one_line() {
        let opened = Fact::TicketOpened {
            subject: "Printer".to_owned(),
            channel: Channel::Portal,
            assignee_id: Some(1),
        };
        assert_eq!(
            entry(None, opened).summary(),
            "Opened \"Printer\" by portal"
        );
        assert_eq!(
            entry(customer(3), message(Visibility::Public, "It  broke\nagain")).summary(),
            "Customer (email): It broke again"
        );
        assert_eq!(
            entry(agent(1), message(Visibility::Internal, "Check it")).summary(),
            "Internal note (email): Check it"
        );
        assert_eq!(
            entry(agent(1), message(Visibility::Public, "Done")).summary(),
            "Agent (email): Done"
        );
        let system = Some(EventActor {
            kind: ActorKind::System,
            id: None,
        });
        assert_eq!(
            entry(system, message(Visibility::Public, &"a".repeat(141))).summary(),
            format!("Rapport (email): {}...", "a".repeat(140))
        );
        let call = |agreed: Option<&str>| Fact::Call {
            direction: "inbound".to_owned(),
            duration_seconds: 400,
            summary: "Talked it through.".to_owned(),
            agreed: agreed.map(str::to_owned),
        };
        assert_eq!(
            entry(agent(1), call(Some("Try Friday"))).summary(),
            "Inbound call: Talked it through. Agreed: Try Friday"
        );
        assert_eq!(
            entry(agent(1), call(Some(""))).summary(),
            "Inbound call: Talked it through."
        );
        assert_eq!(
            entry(agent(1), promise("open")).summary(),
            "Promise: \"Call back about the invoice\", due 2026-11-21T15:00:00.000000Z (open)"
        );
        let moment = Fact::Moment {
            note: "Off to Lisbon".to_owned(),
            follow_up_on: Some("2026-12-22".to_owned()),
        };
        assert_eq!(
            entry(agent(1), moment).summary(),
            "Moment: Off to Lisbon (follow up on 2026-12-22)"
        );
        let survey = |kind: &str, comment: Option<&str>| Fact::Survey {
            kind: kind.to_owned(),
            score: 4,
            comment: comment.map(str::to_owned),
        };
        assert_eq!(
            entry(customer(3), survey("csat", Some("Quick"))).summary(),
            "CSAT 4/5: \"Quick\""
        );
        assert_eq!(
            entry(customer(3), survey("nps", None)).summary(),
            "NPS 4/10"
        );
        let closed = change(
            "problem.closed_unresolved",
            json!({"reason": {"before": null, "after": "no driver"}}),
        );
        assert_eq!(
            entry(agent(1), closed).summary(),
            "Closed unresolved: no driver"
        );
        assert_eq!(
            entry(customer(3), change("resolution.rejected", json!({}))).summary(),
            "The customer said the problem is not fixed"
        );
    }

    #[test]
    fn the_api_names_the_agent_each_kind_is_about() {
        let opened = Fact::TicketOpened {
            subject: "s".to_owned(),
            channel: Channel::Email,
            assignee_id: Some(2),
        };
        assert_eq!(entry(None, opened).agent_id(), Some(2));
        assert_eq!(
            entry(customer(3), message(Visibility::Public, "x")).agent_id(),
            None
        );
        assert_eq!(entry(agent(1), promise("open")).agent_id(), Some(1));
        // A change names whoever made it, a customer's id included (as the API always has).
        let confirmed = change("resolution.confirmed", json!({}));
        assert_eq!(entry(customer(3), confirmed).agent_id(), Some(3));
    }

    #[test]
    fn the_ticket_page_names_who_did_what() {
        with_names(|names| {
            let reply = entry(agent(1), message(Visibility::Public, "x"));
            let line = reply.on_ticket_page(names, &day).expect("a message shows");
            assert_eq!(
                (
                    line.class,
                    line.author.as_str(),
                    line.label.as_str(),
                    line.line.as_str()
                ),
                ("message", "Maya Okafor", "by email", "")
            );
            // A customer is named as the ticket's customer.
            let colleague = entry(customer(4), message(Visibility::Internal, "x"));
            let line = colleague.on_ticket_page(names, &day).expect("a note shows");
            assert_eq!(
                (line.class, line.author.as_str(), line.label.as_str()),
                ("internal", "Lee Chen", "internal note")
            );
            let gone = entry(agent(9), promise("kept"));
            let line = gone.on_ticket_page(names, &day).expect("a promise shows");
            assert_eq!(line.author, "someone");
            assert_eq!(line.label, "promise (kept)");
            assert_eq!(
                line.line,
                "Promised: Call back about the invoice — by 2026-11-21"
            );
            let call = Fact::Call {
                direction: "outbound".to_owned(),
                duration_seconds: 600,
                summary: "Went through it.".to_owned(),
                agreed: Some("Turn it off".to_owned()),
            };
            let line = entry(agent(1), call)
                .on_ticket_page(names, &day)
                .expect("a call");
            assert_eq!(line.label, "outbound call, 10 min");
            assert_eq!(line.line, "Went through it. Agreed: Turn it off");
        });
    }

    #[test]
    fn the_ticket_page_puts_changes_in_words() {
        with_names(|names| {
            let line = |fact: Fact| {
                entry(agent(1), fact)
                    .on_ticket_page(names, &day)
                    .map(|line| line.line)
            };
            assert_eq!(line(change("message.added", json!({}))), None);
            assert_eq!(line(change("ticket.created", json!({}))), None);
            assert_eq!(line(change("ticket.updated", json!({"subject": {}}))), None);
            assert_eq!(
                line(change(
                    "ticket.updated",
                    json!({"assignee_id": {"before": null, "after": 1}, "team_id": {"before": 1, "after": 7},
                           "priority": {"before": "normal", "after": "high"}, "tags": {"before": [], "after": ["vip"]}})
                ))
                .as_deref(),
                Some("assigned to Maya Okafor; moved to the team Billing; priority high; tags [\"vip\"]")
            );
            assert_eq!(
                line(change(
                    "ticket.updated",
                    json!({"assignee_id": {"before": 1, "after": null}})
                ))
                .as_deref(),
                Some("assigned to nobody")
            );
            assert_eq!(
                line(change("ticket.escalated", json!({"reason": "Too slow"}))).as_deref(),
                Some("asked for a manager: “Too slow”")
            );
            assert_eq!(
                line(change(
                    "problem.closed_unresolved",
                    json!({"reason": {"after": "no_driver"}})
                ))
                .as_deref(),
                Some("closed the problem unresolved: “no driver”")
            );
            assert_eq!(
                line(change(
                    "resolution.proposed",
                    json!({"problem": {"after": "resolution_proposed"}})
                ))
                .as_deref(),
                Some("resolution proposed (problem resolution proposed)")
            );
        });
    }

    #[test]
    fn the_ticket_page_orders_changes_before_messages_calls_and_promises() {
        let mut entries = [
            entry(agent(1), promise("open")),
            entry(agent(1), message(Visibility::Public, "x")),
            entry(agent(1), change("ticket.updated", json!({}))),
        ];
        entries.sort_by(|x, y| x.ticket_page_order().cmp(&y.ticket_page_order()));
        let kinds: Vec<Kind> = entries.iter().map(Entry::kind).collect();
        assert_eq!(kinds, [Kind::Event, Kind::Message, Kind::Promise]);
    }

    #[test]
    fn the_portal_says_you_and_names_the_others() {
        with_names(|names| {
            let mine = entry(customer(3), message(Visibility::Public, "x"));
            assert_eq!(mine.portal_author(3, names), "You");
            assert_eq!(mine.portal_author(4, names), "Lee Chen");
            let unnamed = entry(
                Some(EventActor {
                    kind: ActorKind::Customer,
                    id: None,
                }),
                message(Visibility::Public, "x"),
            );
            assert_eq!(unnamed.portal_author(3, names), "You");
            assert_eq!(
                entry(agent(1), message(Visibility::Public, "x")).portal_author(3, names),
                "Maya Okafor"
            );
            assert_eq!(
                entry(agent(9), message(Visibility::Public, "x")).portal_author(3, names),
                "Support"
            );
            assert_eq!(
                entry(None, message(Visibility::Public, "x")).portal_author(3, names),
                "Support"
            );
        });
    }

    #[test]
    fn the_portal_tells_open_promises_only() {
        with_names(|names| {
            assert_eq!(
                entry(agent(1), promise("open"))
                    .call_back(names, &day)
                    .as_deref(),
                Some("Maya Okafor promised: Call back about the invoice (by 2026-11-21).")
            );
            assert_eq!(
                entry(agent(1), promise("kept")).call_back(names, &day),
                None
            );
        });
    }

    #[test]
    fn a_message_becomes_an_entry_of_its_ticket() {
        let message = Message {
            id: 12,
            ticket_id: 40,
            author: Author {
                kind: AuthorKind::Customer,
                id: Some(4),
            },
            channel: Channel::Portal,
            visibility: Visibility::Public,
            text: "Still broken".to_owned(),
            html: "<p>Still broken</p>".to_owned(),
            insight: None,
            review: None,
            email: None,
            quoted_text: None,
            attachments: vec![],
            created_at: "2026-11-20T10:00:00.000000Z".to_owned(),
        };
        let entry = Entry::message(&message, 3);
        assert_eq!(entry.actor, customer(4));
        assert_eq!(
            (entry.id, entry.customer_id, entry.ticket_id),
            (12, 3, Some(40))
        );
        assert_eq!(entry.summary(), "Customer (portal): Still broken");
    }

    #[test]
    fn deliveries_are_noted_for_mail_we_send() {
        let mut email = EmailInfo {
            message_id: None,
            from: None,
            to: vec![],
            cc: vec![],
            delivery: None,
            delivery_detail: None,
            intake_note: None,
        };
        assert_eq!(delivery_note(&email), None);
        email.delivery = Some("queued".to_owned());
        assert_eq!(delivery_note(&email).as_deref(), Some("mail queued"));
        email.delivery_detail = Some("no SMTP server".to_owned());
        assert_eq!(
            delivery_note(&email).as_deref(),
            Some("mail queued: no SMTP server")
        );
    }
}

//! Importing a Zendesk export: `organizations.json`, `users.json` and `tickets.json` in one
//! folder, each as JSON lines (Zendesk's export), a JSON array, or an API page
//! (`{"tickets": [...]}`). Comments come inside each ticket (`comments`), or in
//! `ticket_comments.json` with a `ticket_id`; attachment files, when exported beside them, in
//! `attachments/<attachment id>/<file name>`. Solved and closed tickets come in resolved,
//! pending ones waiting on the customer, on-hold ones on hold.

use super::{Run, Summary, Unit, bar, history_batch};
use anyhow::{Context, bail};
use rapport_domain::{Channel, Priority};
use rapport_store::Store;
use rapport_store::imports::{FileIn, MessageIn, OrganizationIn, PersonIn, StateIn, TicketIn};
use serde::Deserialize;
use serde_json::Value;
use std::collections::HashMap;
use std::path::Path;

const SOURCE: &str = "zendesk";

#[derive(Debug, Deserialize)]
struct Organization {
    id: Value,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    domain_names: Vec<String>,
    #[serde(default)]
    created_at: Option<String>,
}

#[derive(Debug, Deserialize)]
struct User {
    id: Value,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    role: Option<String>,
    #[serde(default)]
    organization_id: Option<Value>,
    #[serde(default)]
    created_at: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Ticket {
    id: Value,
    #[serde(default)]
    subject: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    priority: Option<String>,
    #[serde(default)]
    requester_id: Option<Value>,
    #[serde(default)]
    assignee_id: Option<Value>,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    via: Option<Via>,
    #[serde(default)]
    created_at: Option<String>,
    #[serde(default)]
    updated_at: Option<String>,
    #[serde(default)]
    comments: Vec<Comment>,
}

#[derive(Debug, Deserialize)]
struct Via {
    #[serde(default)]
    channel: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Comment {
    id: Value,
    #[serde(default)]
    ticket_id: Option<Value>,
    #[serde(default)]
    author_id: Option<Value>,
    #[serde(default)]
    body: Option<String>,
    #[serde(default)]
    plain_body: Option<String>,
    #[serde(default)]
    html_body: Option<String>,
    #[serde(default = "public_by_default")]
    public: bool,
    #[serde(default)]
    created_at: Option<String>,
    #[serde(default)]
    attachments: Vec<Attachment>,
}

fn public_by_default() -> bool {
    true
}

#[derive(Debug, Deserialize)]
struct Attachment {
    id: Value,
    #[serde(default)]
    file_name: Option<String>,
    #[serde(default)]
    content_type: Option<String>,
}

/// An id as text, whether the export wrote it as a number or a string.
fn id(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

fn opt_id(value: &Option<Value>) -> Option<String> {
    value.as_ref().filter(|v| !v.is_null()).map(id)
}

/// The records of one file: JSON lines, a JSON array, or an API page holding `key`.
fn records<T: serde::de::DeserializeOwned>(path: &Path, key: &str) -> anyhow::Result<Vec<T>> {
    if !path.exists() {
        return Ok(Vec::new());
    }
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("could not read {}", path.display()))?;
    let trimmed = text.trim_start();
    let values: Vec<Value> = if trimmed.starts_with('[') {
        serde_json::from_str(trimmed)
            .with_context(|| format!("{} is not a JSON array", path.display()))?
    } else {
        let mut values = Vec::new();
        for (number, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let value: Value = serde_json::from_str(line).with_context(|| {
                format!("line {} of {} is not JSON", number + 1, path.display())
            })?;
            match value.get(key) {
                Some(Value::Array(page)) => values.extend(page.iter().cloned()),
                _ => values.push(value),
            }
        }
        values
    };
    values
        .into_iter()
        .enumerate()
        .map(|(index, value)| {
            serde_json::from_value(value).with_context(|| {
                format!(
                    "record {} of {} does not read as a Zendesk {key} record",
                    index + 1,
                    path.display()
                )
            })
        })
        .collect()
}

pub async fn import(store: &Store, dir: &Path, run: Run) -> anyhow::Result<Summary> {
    if !dir.is_dir() {
        bail!(
            "{} is not a folder; give the folder holding the Zendesk export's files",
            dir.display()
        );
    }
    let organizations: Vec<Organization> =
        records(&dir.join("organizations.json"), "organizations")?;
    let users: Vec<User> = records(&dir.join("users.json"), "users")?;
    let mut tickets: Vec<Ticket> = records(&dir.join("tickets.json"), "tickets")?;
    let loose: Vec<Comment> = records(&dir.join("ticket_comments.json"), "comments")?;
    if organizations.is_empty() && users.is_empty() && tickets.is_empty() {
        bail!(
            "{} holds none of organizations.json, users.json and tickets.json",
            dir.display()
        );
    }
    let mut by_ticket: HashMap<String, Vec<Comment>> = HashMap::new();
    for comment in loose {
        if let Some(ticket) = opt_id(&comment.ticket_id) {
            by_ticket.entry(ticket).or_default().push(comment);
        }
    }
    for ticket in &mut tickets {
        if let Some(more) = by_ticket.remove(&id(&ticket.id)) {
            ticket.comments.extend(more);
        }
        ticket
            .comments
            .sort_by(|a, b| a.created_at.cmp(&b.created_at));
    }

    let organizations: Vec<OrganizationIn> = organizations
        .into_iter()
        .map(|o| OrganizationIn {
            external_id: id(&o.id),
            name: o.name.unwrap_or_default(),
            domains: o.domain_names,
            created_at: o.created_at,
        })
        .collect();
    let people: Vec<PersonIn> = users
        .into_iter()
        .map(|u| PersonIn {
            external_id: id(&u.id),
            name: u.name.unwrap_or_default(),
            email: u.email,
            organization: opt_id(&u.organization_id),
            staff: matches!(u.role.as_deref(), Some("agent" | "admin")),
            created_at: u.created_at,
        })
        .collect();

    let total = (organizations.len() + people.len() + tickets.len()) as u64;
    let progress = bar(total, "zendesk", Unit::Items);
    let mut summary = Summary::new(format!("the Zendesk export {}", dir.display()));
    let mut batches = 0;
    let size = run.batch.max(1);
    for chunk in organizations.chunks(size) {
        if run.stops_after(batches) {
            summary.stopped_early = true;
            return Ok(summary);
        }
        history_batch(store, SOURCE, chunk, &[], &[], &mut summary).await?;
        batches += 1;
        progress.inc(chunk.len() as u64);
    }
    for chunk in people.chunks(size) {
        if run.stops_after(batches) {
            summary.stopped_early = true;
            return Ok(summary);
        }
        history_batch(store, SOURCE, &[], chunk, &[], &mut summary).await?;
        batches += 1;
        progress.inc(chunk.len() as u64);
    }
    // Tickets in smaller batches: each carries its comments and files.
    for chunk in tickets.chunks(size.div_ceil(4).max(1)) {
        if run.stops_after(batches) {
            summary.stopped_early = true;
            return Ok(summary);
        }
        let batch: Vec<TicketIn> = chunk.iter().map(|t| ticket_in(dir, t)).collect();
        history_batch(store, SOURCE, &[], &[], &batch, &mut summary).await?;
        batches += 1;
        progress.inc(chunk.len() as u64);
    }
    progress.finish_and_clear();
    Ok(summary)
}

fn ticket_in(dir: &Path, ticket: &Ticket) -> TicketIn {
    let ticket_id = id(&ticket.id);
    let requester = opt_id(&ticket.requester_id).unwrap_or_default();
    let created_at = ticket.created_at.clone().unwrap_or_default();
    let mut messages: Vec<MessageIn> = ticket
        .comments
        .iter()
        .map(|c| MessageIn {
            external_id: id(&c.id),
            author: opt_id(&c.author_id).unwrap_or_else(|| requester.clone()),
            public: c.public,
            body: c
                .plain_body
                .clone()
                .or_else(|| c.body.clone())
                .unwrap_or_default(),
            html: c.html_body.clone(),
            created_at: c.created_at.clone().unwrap_or_else(|| created_at.clone()),
            files: c
                .attachments
                .iter()
                .map(|a| {
                    let attachment_id = id(&a.id);
                    let filename = a
                        .file_name
                        .clone()
                        .unwrap_or_else(|| format!("attachment-{attachment_id}"));
                    // Only a plain file name is looked up, never a path out of the folder.
                    let safe = Path::new(&filename)
                        .file_name()
                        .map(|n| n.to_owned())
                        .unwrap_or_default();
                    let data =
                        std::fs::read(dir.join("attachments").join(&attachment_id).join(safe)).ok();
                    FileIn {
                        external_id: attachment_id,
                        filename,
                        content_type: a
                            .content_type
                            .clone()
                            .unwrap_or_else(|| "application/octet-stream".to_owned()),
                        data,
                    }
                })
                .collect(),
        })
        .collect();
    // A ticket exported without its comments still has its description.
    if messages.is_empty()
        && let Some(description) = &ticket.description
    {
        messages.push(MessageIn {
            external_id: format!("{ticket_id}-description"),
            author: requester.clone(),
            public: true,
            body: description.clone(),
            html: None,
            created_at: created_at.clone(),
            files: Vec::new(),
        });
    }
    TicketIn {
        external_id: ticket_id,
        subject: ticket.subject.clone().unwrap_or_default(),
        requester,
        assignee: opt_id(&ticket.assignee_id),
        priority: match ticket.priority.as_deref() {
            Some("urgent") => Priority::Urgent,
            Some("high") => Priority::High,
            Some("low") => Priority::Low,
            _ => Priority::Normal,
        },
        tags: ticket.tags.clone(),
        channel: match ticket.via.as_ref().and_then(|v| v.channel.as_deref()) {
            Some("web") => Channel::Portal,
            Some("voice") => Channel::Phone,
            Some("chat" | "native_messaging") => Channel::Chat,
            Some("api") => Channel::Api,
            _ => Channel::Email,
        },
        state: match ticket.status.as_deref() {
            Some("pending") => StateIn::Pending,
            Some("hold") => StateIn::OnHold,
            Some("solved" | "closed") => StateIn::Resolved,
            _ => StateIn::Open,
        },
        created_at,
        updated_at: ticket.updated_at.clone(),
        messages,
    }
}

//! History brought in from another help desk (a Zendesk export, a CSV): organizations, people,
//! tickets with their messages and files, written through the same steps live work takes
//! (`conversation`, `mail_intake::attach`) at the times the source gives, as history (see
//! [`crate::jobs::writing_history`]: nothing scheduled, sent or notified).
//!
//! The ledger `imported_items` maps each source item (`source`, `kind`, `external_id`) to the
//! row it became, in the transaction that wrote it, so an import run again skips what it holds
//! and a ticket already imported only gains the messages it did not have. Mail archives need
//! no ledger: the intake's own keys make them idempotent (`Store::import_emails`).

use crate::conversation::{add_message_in, create_ticket_in};
use crate::mail_intake::{Attached, attach};
use crate::tickets::{CustomerRef, NewTicket};
use crate::{Store, StoreResult, Tx, events};
use rapport_domain::{Actor, Channel, Conversation, Priority, Problem, Visibility, validate};
use serde_json::json;

/// An organization in the source.
#[derive(Debug, Clone)]
pub struct OrganizationIn {
    pub external_id: String,
    pub name: String,
    pub domains: Vec<String>,
    pub created_at: Option<String>,
}

/// A person in the source: a customer, or one of the old help desk's staff.
#[derive(Debug, Clone)]
pub struct PersonIn {
    pub external_id: String,
    pub name: String,
    pub email: Option<String>,
    /// The organization's id in the source.
    pub organization: Option<String>,
    /// Staff (agents and admins of the old help desk) become agents: the one with the same
    /// email, else a former colleague who cannot sign in, so their replies keep their name.
    pub staff: bool,
    pub created_at: Option<String>,
}

/// Where a ticket stood in the source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateIn {
    /// New or open: whoever wrote last decides who owes the next message, as live.
    Open,
    /// Waiting on the customer.
    Pending,
    OnHold,
    /// Solved or closed.
    Resolved,
}

/// A ticket in the source with its messages, oldest first.
#[derive(Debug, Clone)]
pub struct TicketIn {
    pub external_id: String,
    pub subject: String,
    /// The customer the ticket is about (a person's id in the source).
    pub requester: String,
    pub assignee: Option<String>,
    pub priority: Priority,
    pub tags: Vec<String>,
    pub channel: Channel,
    pub state: StateIn,
    pub created_at: String,
    pub updated_at: Option<String>,
    pub messages: Vec<MessageIn>,
}

#[derive(Debug, Clone)]
pub struct MessageIn {
    pub external_id: String,
    /// A person's id in the source.
    pub author: String,
    pub public: bool,
    pub body: String,
    /// HTML as the source has it; sanitized before it is kept.
    pub html: Option<String>,
    pub created_at: String,
    pub files: Vec<FileIn>,
}

#[derive(Debug, Clone)]
pub struct FileIn {
    pub external_id: String,
    pub filename: String,
    pub content_type: String,
    /// `None` when the source names the file but does not hold it.
    pub data: Option<Vec<u8>>,
}

/// One thing an import step did, for the summary: `kind` is `organizations`, `customers`,
/// `agents`, `tickets`, `messages` or `attachments`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Noted {
    Imported(&'static str),
    Skipped(&'static str, String),
}

/// Why an item is skipped because an earlier run brought it in.
pub const ALREADY_IMPORTED: &str = "already imported";

async fn ledger(
    tx: &mut Tx,
    source: &str,
    kind: &str,
    external_id: &str,
) -> StoreResult<Option<i64>> {
    Ok(sqlx::query_scalar(
        "SELECT local_id FROM imported_items WHERE source = $1 AND kind = $2 AND external_id = $3",
    )
    .bind(source)
    .bind(kind)
    .bind(external_id)
    .fetch_optional(&mut **tx)
    .await?)
}

async fn remember(
    tx: &mut Tx,
    now: &str,
    source: &str,
    kind: &str,
    external_id: &str,
    local_id: i64,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO imported_items (source, kind, external_id, local_id, imported_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(source)
    .bind(kind)
    .bind(external_id)
    .bind(local_id)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A source time (RFC 3339) in the stored format, never later than `now`.
pub fn stored_time(text: &str, now: &str) -> Option<String> {
    let at = crate::clock::parse(text.trim())?;
    let stored = crate::clock::format(at);
    Some(if stored.as_str() > now {
        now.to_owned()
    } else {
        stored
    })
}

impl Store {
    /// Marks resolved the tickets that mail imported under `mailbox` opened and that are still
    /// open (old mail whose problems are long settled), each at its last message's time, as
    /// history. Returns how many.
    pub async fn resolve_imported_mail(&self, mailbox: &str) -> StoreResult<u64> {
        crate::jobs::writing_history(async {
            let mut tx = self.begin_write().await?;
            let tickets: Vec<(i64, String)> = sqlx::query_as(
                "SELECT id, updated_at FROM tickets WHERE problem = $1 AND id IN \
                 (SELECT ticket_id FROM inbound_emails WHERE mailbox = $2 AND outcome = $3) ORDER BY id",
            )
            .bind(Problem::Open.as_str())
            .bind(mailbox)
            .bind(crate::mail_intake::Outcome::NewTicket.as_str())
            .fetch_all(&mut *tx)
            .await?;
            for (id, at) in &tickets {
                sqlx::query("UPDATE tickets SET problem = $1 WHERE id = $2")
                    .bind(Problem::Resolved.as_str())
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                events::record(
                    &mut tx,
                    at,
                    Actor::System,
                    "ticket",
                    *id,
                    "ticket.imported",
                    json!({ "source": mailbox, "problem": Problem::Resolved }),
                )
                .await?;
                crate::sla::refresh(&mut tx, at, *id).await?;
            }
            tx.commit().await?;
            Ok(tickets.len() as u64)
        })
        .await
    }

    /// Imports organizations, then people, then tickets, in one transaction; each item
    /// already in the ledger is skipped. Returns what was done, item by item.
    pub async fn import_history(
        &self,
        source: &str,
        organizations: &[OrganizationIn],
        people: &[PersonIn],
        tickets: &[TicketIn],
    ) -> StoreResult<Vec<Noted>> {
        crate::jobs::writing_history(async {
            let now = self.now();
            let mut tx = self.begin_write().await?;
            let mut noted = Vec::new();
            for organization in organizations {
                noted.push(import_organization(&mut tx, &now, source, organization).await?);
            }
            for person in people {
                noted.push(import_person(&mut tx, &now, source, person).await?);
            }
            for ticket in tickets {
                self.import_ticket(&mut tx, &now, source, ticket, &mut noted)
                    .await?;
            }
            tx.commit().await?;
            Ok(noted)
        })
        .await
    }

    async fn import_ticket(
        &self,
        tx: &mut Tx,
        now: &str,
        source: &str,
        ticket: &TicketIn,
        noted: &mut Vec<Noted>,
    ) -> StoreResult<()> {
        let existing = ledger(tx, source, "ticket", &ticket.external_id).await?;
        let Some(customer_id) = ledger(tx, source, "customer", &ticket.requester).await? else {
            noted.push(Noted::Skipped(
                "tickets",
                format!("its requester ({}) is not in the export", ticket.requester),
            ));
            for _ in &ticket.messages {
                noted.push(Noted::Skipped("messages", "its ticket was skipped".into()));
            }
            return Ok(());
        };
        let created_at = stored_time(&ticket.created_at, now).unwrap_or_else(|| now.to_owned());
        let mut messages = ticket.messages.iter();
        // Whether this run wrote anything on the ticket; if not, its state is left alone.
        let mut changed = existing.is_none();
        let ticket_id = match existing {
            Some(id) => {
                noted.push(Noted::Skipped("tickets", ALREADY_IMPORTED.into()));
                id
            }
            None => {
                let Some(first) = messages.next() else {
                    noted.push(Noted::Skipped("tickets", "it has no message".into()));
                    return Ok(());
                };
                let subject = subject_of(&ticket.subject);
                let body = body_of(first);
                let tags = validate::tags(&ticket.tags).unwrap_or_default();
                let at = stored_time(&first.created_at, now).unwrap_or_else(|| created_at.clone());
                let new = NewTicket {
                    subject: &subject,
                    body: &body,
                    customer: CustomerRef::Id(customer_id),
                    channel: ticket.channel,
                    priority: ticket.priority,
                    tags: &tags,
                };
                let (opened, mut firsts) =
                    create_ticket_in(tx, &at, new, Actor::Customer(customer_id)).await?;
                let message = firsts.remove(0);
                remember(tx, now, source, "ticket", &ticket.external_id, opened.id).await?;
                noted.push(Noted::Imported("tickets"));
                // The first message is the requester's; anyone else's is put right.
                let author = self.author(tx, source, &first.author).await?;
                if author != Some(Actor::Customer(customer_id)) || !first.public {
                    let (kind, agent, customer) = match author {
                        Some(Actor::Agent(id)) => ("agent", Some(id), None),
                        Some(Actor::Customer(id)) => ("customer", None, Some(id)),
                        _ => ("system", None, None),
                    };
                    sqlx::query(
                        "UPDATE messages SET author_kind = $1, author_agent_id = $2, author_customer_id = $3, visibility = $4, insight = NULL WHERE id = $5",
                    )
                    .bind(kind)
                    .bind(agent)
                    .bind(customer)
                    .bind(if first.public { Visibility::Public } else { Visibility::Internal }.as_str())
                    .bind(message.id)
                    .execute(&mut **tx)
                    .await?;
                }
                self.keep_message_parts(tx, &at, source, first, message.id, noted)
                    .await?;
                opened.id
            }
        };
        for message in messages {
            if ledger(tx, source, "message", &message.external_id)
                .await?
                .is_some()
            {
                noted.push(Noted::Skipped("messages", ALREADY_IMPORTED.into()));
                continue;
            }
            let Some(author) = self.author(tx, source, &message.author).await? else {
                noted.push(Noted::Skipped(
                    "messages",
                    format!("its author ({}) is not in the export", message.author),
                ));
                continue;
            };
            let at = stored_time(&message.created_at, now).unwrap_or_else(|| created_at.clone());
            let (channel, visibility) = if message.public {
                (ticket.channel, Visibility::Public)
            } else {
                (Channel::Note, Visibility::Internal)
            };
            changed = true;
            let added = add_message_in(
                tx,
                &at,
                ticket_id,
                author,
                channel,
                visibility,
                &body_of(message),
            )
            .await?;
            self.keep_message_parts(tx, &at, source, message, added.id, noted)
                .await?;
        }
        if !changed {
            return Ok(());
        }
        // Where the ticket stood, and who had it.
        let assignee = match &ticket.assignee {
            Some(id) => ledger(tx, source, "agent", id).await?,
            None => None,
        };
        let updated_at = ticket
            .updated_at
            .as_deref()
            .and_then(|text| stored_time(text, now));
        let (conversation, problem) = match ticket.state {
            StateIn::Open => (None, None),
            StateIn::Pending => (Some(Conversation::WaitingOnCustomer), None),
            StateIn::OnHold => (Some(Conversation::OnHold), None),
            StateIn::Resolved => (None, Some(Problem::Resolved)),
        };
        sqlx::query(
            "UPDATE tickets SET conversation = COALESCE($1, conversation), problem = COALESCE($2, problem), \
             assignee_id = COALESCE($3, assignee_id), updated_at = COALESCE($4, updated_at) WHERE id = $5",
        )
        .bind(conversation.map(Conversation::as_str))
        .bind(problem.map(Problem::as_str))
        .bind(assignee)
        .bind(&updated_at)
        .bind(ticket_id)
        .execute(&mut **tx)
        .await?;
        let at = updated_at.unwrap_or(created_at);
        events::record(
            tx,
            &at,
            Actor::System,
            "ticket",
            ticket_id,
            "ticket.imported",
            json!({ "source": source, "external_id": ticket.external_id, "conversation": conversation, "problem": problem, "assignee_id": assignee }),
        )
        .await?;
        crate::sla::refresh(tx, &at, ticket_id).await
    }

    /// A message's HTML, files and ledger row.
    async fn keep_message_parts(
        &self,
        tx: &mut Tx,
        at: &str,
        source: &str,
        message: &MessageIn,
        message_id: i64,
        noted: &mut Vec<Noted>,
    ) -> StoreResult<()> {
        if let Some(html) = message.html.as_deref().filter(|h| !h.trim().is_empty()) {
            sqlx::query("UPDATE messages SET body_html = $1 WHERE id = $2")
                .bind(rapport_mail::sanitize_html(html))
                .bind(message_id)
                .execute(&mut **tx)
                .await?;
        }
        remember(tx, at, source, "message", &message.external_id, message_id).await?;
        noted.push(Noted::Imported("messages"));
        for file in &message.files {
            if ledger(tx, source, "attachment", &file.external_id)
                .await?
                .is_some()
            {
                noted.push(Noted::Skipped("attachments", ALREADY_IMPORTED.into()));
                continue;
            }
            let Some(data) = &file.data else {
                noted.push(Noted::Skipped(
                    "attachments",
                    "the export names the file but does not hold it".into(),
                ));
                continue;
            };
            attach(
                tx,
                &self.files,
                at,
                message_id,
                Attached {
                    filename: &file.filename,
                    content_type: &file.content_type,
                    data,
                    inline: false,
                },
            )
            .await?;
            remember(tx, at, source, "attachment", &file.external_id, message_id).await?;
            noted.push(Noted::Imported("attachments"));
        }
        Ok(())
    }

    /// Who wrote a message: an agent or a customer by the ledger.
    async fn author(&self, tx: &mut Tx, source: &str, person: &str) -> StoreResult<Option<Actor>> {
        if let Some(id) = ledger(tx, source, "agent", person).await? {
            return Ok(Some(Actor::Agent(id)));
        }
        Ok(ledger(tx, source, "customer", person)
            .await?
            .map(Actor::Customer))
    }
}

fn subject_of(raw: &str) -> String {
    let line = rapport_domain::wording::one_line(raw, validate::MAX_SUBJECT_CHARS);
    if line.trim().is_empty() {
        "(no subject)".to_owned()
    } else {
        line
    }
}

fn body_of(message: &MessageIn) -> String {
    let body = message.body.replace('\0', "");
    if body.trim().is_empty() {
        rapport_domain::wording::mail::empty_body(!message.files.is_empty()).to_owned()
    } else {
        body.chars().take(validate::MAX_BODY_BYTES / 4).collect()
    }
}

async fn import_organization(
    tx: &mut Tx,
    now: &str,
    source: &str,
    organization: &OrganizationIn,
) -> StoreResult<Noted> {
    if ledger(tx, source, "organization", &organization.external_id)
        .await?
        .is_some()
    {
        return Ok(Noted::Skipped("organizations", ALREADY_IMPORTED.into()));
    }
    let Ok(name) = validate::line("name", &organization.name, validate::MAX_NAME_CHARS) else {
        return Ok(Noted::Skipped(
            "organizations",
            "it has no usable name".into(),
        ));
    };
    let at = organization
        .created_at
        .as_deref()
        .and_then(|text| stored_time(text, now))
        .unwrap_or_else(|| now.to_owned());
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO organizations (name, relationship_kind, created_at) VALUES ($1, 'transactional', $2) RETURNING id",
    )
    .bind(&name)
    .bind(&at)
    .fetch_one(&mut **tx)
    .await?;
    for domain in &organization.domains {
        let domain = domain.trim().trim_start_matches('@').to_ascii_lowercase();
        if domain.is_empty() || !domain.contains('.') {
            continue;
        }
        sqlx::query(
            "INSERT INTO organization_domains (domain, organization_id) VALUES ($1, $2) ON CONFLICT (domain) DO NOTHING",
        )
        .bind(&domain)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    }
    events::record(
        tx,
        &at,
        Actor::System,
        "organization",
        id,
        "organization.imported",
        json!({ "source": source, "external_id": organization.external_id, "name": name }),
    )
    .await?;
    remember(
        tx,
        now,
        source,
        "organization",
        &organization.external_id,
        id,
    )
    .await?;
    Ok(Noted::Imported("organizations"))
}

async fn import_person(
    tx: &mut Tx,
    now: &str,
    source: &str,
    person: &PersonIn,
) -> StoreResult<Noted> {
    let (kind, label) = if person.staff {
        ("agent", "agents")
    } else {
        ("customer", "customers")
    };
    if ledger(tx, source, kind, &person.external_id)
        .await?
        .is_some()
    {
        return Ok(Noted::Skipped(label, ALREADY_IMPORTED.into()));
    }
    let email = person
        .email
        .as_deref()
        .and_then(|e| validate::email(e).ok());
    let at = person
        .created_at
        .as_deref()
        .and_then(|text| stored_time(text, now))
        .unwrap_or_else(|| now.to_owned());
    let fallback = email
        .as_deref()
        .and_then(|e| e.split('@').next())
        .unwrap_or("(no name)")
        .to_owned();
    let name = validate::line("name", &person.name, validate::MAX_NAME_CHARS).unwrap_or(fallback);
    let organization_id = match &person.organization {
        Some(id) => ledger(tx, source, "organization", id).await?,
        None => None,
    };
    if person.staff {
        let Some(email) = email else {
            return Ok(Noted::Skipped(
                "agents",
                "a staff member without a usable email".into(),
            ));
        };
        let existing: Option<i64> =
            sqlx::query_scalar("SELECT id FROM agents WHERE lower(email) = $1")
                .bind(&email)
                .fetch_optional(&mut **tx)
                .await?;
        let (id, noted) = match existing {
            Some(id) => (
                id,
                Noted::Skipped("agents", "already an agent here (matched by email)".into()),
            ),
            None => {
                // A former colleague: their replies keep their name; they cannot sign in.
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO agents (email, name, role, deactivated_at, created_at) VALUES ($1, $2, 'agent', $3, $4) RETURNING id",
                )
                .bind(&email)
                .bind(&name)
                .bind(now)
                .bind(&at)
                .fetch_one(&mut **tx)
                .await?;
                events::record(
                    tx,
                    now,
                    Actor::System,
                    "agent",
                    id,
                    "agent.imported",
                    json!({ "source": source, "external_id": person.external_id, "email": email }),
                )
                .await?;
                (id, Noted::Imported("agents"))
            }
        };
        remember(tx, now, source, "agent", &person.external_id, id).await?;
        return Ok(noted);
    }
    let existing = match &email {
        Some(email) => crate::customers::customer_id_by_email(tx, email).await?,
        None => None,
    };
    let (id, noted) = match (existing, &email) {
        (Some(id), _) => (
            id,
            Noted::Skipped(
                "customers",
                "already a customer here (matched by email)".into(),
            ),
        ),
        (None, Some(email)) => {
            let id =
                crate::customers::insert_customer(tx, &at, &name, email, Actor::System).await?;
            (id, Noted::Imported("customers"))
        }
        (None, None) => {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO customers (name, created_at) VALUES ($1, $2) RETURNING id",
            )
            .bind(&name)
            .bind(&at)
            .fetch_one(&mut **tx)
            .await?;
            events::record(
                tx,
                &at,
                Actor::System,
                "customer",
                id,
                "customer.created",
                json!({ "name": { "before": null, "after": name } }),
            )
            .await?;
            (id, Noted::Imported("customers"))
        }
    };
    if let Some(organization_id) = organization_id {
        sqlx::query(
            "UPDATE customers SET organization_id = $1 WHERE id = $2 AND organization_id IS NULL",
        )
        .bind(organization_id)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    }
    remember(tx, now, source, "customer", &person.external_id, id).await?;
    Ok(noted)
}

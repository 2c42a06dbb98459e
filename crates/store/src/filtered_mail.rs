//! Filtered mail (step, migration `0021_mail_reading`): inbound mail that opened nothing (bulk,
//! automatic replies, bounces that match none of our messages, refused mail), listed for agents
//! so a wrong guess is not invisible, and turned into a ticket or added to one, once.
//!
//! Who sees what: any agent sees filtered mail (it is customers' mail, as tickets are), except
//! an item that answers a restricted team's ticket, which stays with that team's members and
//! admins, like the ticket. Taking an item is claimed by one conditional update
//! (`... WHERE taken_at IS NULL`) in the transaction that opens the ticket, so of two agents
//! taking it at once one gets the ticket and the other is told it is done.

use crate::mail_intake::{Destination, Outcome};
use crate::rows::{int, opt_int, opt_text, text};
use crate::{Store, StoreError, StoreResult, events};
use rapport_domain::{Actor, Agent, validate};
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;

/// The outcomes that open nothing, and so are listed (a bounce only when it matched none of
/// our messages).
const FILTERED: &str = "(outcome IN ('bulk', 'auto_reply', 'rejected') OR (outcome = 'bounce' AND message_id IS NULL))";

/// One filtered mail as agents see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FilteredMail {
    pub id: i64,
    pub received_at: String,
    /// `auto_reply`, `bounce`, `bulk` or `rejected`.
    pub outcome: Outcome,
    /// Why it opened nothing.
    pub reason: Option<String>,
    /// The sender as read; `null` when none could be read.
    pub sender: Option<String>,
    pub subject: Option<String>,
    pub size: i64,
    /// The ticket the mail seems to answer, by its threading headers.
    pub related_ticket_id: Option<i64>,
    /// Once an agent turned it into a ticket or added it to one: when, who, and where it went.
    pub taken_at: Option<String>,
    pub taken_by: Option<i64>,
    pub ticket_id: Option<i64>,
    pub message_id: Option<i64>,
}

/// Where an agent puts a filtered mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TakeInto {
    NewTicket,
    Ticket(i64),
}

/// What taking a filtered mail made.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Taken {
    pub inbound_id: i64,
    pub ticket_id: i64,
    pub message_id: i64,
    /// `new_ticket`, or `reply` when added to a ticket.
    pub outcome: Outcome,
}

const COLUMNS: &str = "id, received_at, outcome, reason, sender, subject, size, related_ticket_id, taken_at, taken_by, ticket_id, message_id";

fn from_row(row: &sqlx::any::AnyRow) -> StoreResult<FilteredMail> {
    Ok(FilteredMail {
        id: int(row, "id")?,
        received_at: text(row, "received_at")?,
        outcome: Outcome::parse(&text(row, "outcome")?),
        reason: opt_text(row, "reason")?,
        sender: opt_text(row, "sender")?,
        subject: opt_text(row, "subject")?,
        size: int(row, "size")?,
        related_ticket_id: opt_int(row, "related_ticket_id")?,
        taken_at: opt_text(row, "taken_at")?,
        taken_by: opt_int(row, "taken_by")?,
        ticket_id: opt_int(row, "ticket_id")?,
        message_id: opt_int(row, "message_id")?,
    })
}

impl Store {
    /// Filtered mail the agent may see, newest first, at most `limit`, before `before_id` when
    /// given.
    pub async fn filtered_mail(
        &self,
        agent: &Agent,
        before_id: Option<i64>,
        limit: i64,
    ) -> StoreResult<Vec<FilteredMail>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM inbound_emails WHERE {FILTERED} AND ($1 IS NULL OR id < $1) ORDER BY id DESC LIMIT $2"
        ))
        .bind(before_id)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        let mut items = rows.iter().map(from_row).collect::<StoreResult<Vec<_>>>()?;
        self.retain_visible(agent, &mut items, |item| item.related_ticket_id)
            .await?;
        Ok(items)
    }

    /// One filtered mail; not found when it is not filtered mail, forbidden when it answers a
    /// restricted team's ticket the agent may not see.
    pub async fn filtered_item(&self, agent: &Agent, id: i64) -> StoreResult<FilteredMail> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM inbound_emails WHERE id = $1 AND {FILTERED}"
        ))
        .bind(id)
        .fetch_optional(self.pool())
        .await?
        .ok_or_else(|| StoreError::not_found("filtered mail", id))?;
        let item = from_row(&row)?;
        if let Some(ticket_id) = item.related_ticket_id
            && !self.hidden_from(agent, &[ticket_id]).await?.is_empty()
        {
            return Err(StoreError::Forbidden(format!(
                "Filtered mail {id} answers ticket {ticket_id}, which belongs to a restricted team that {} is not in.",
                agent.email
            )));
        }
        Ok(item)
    }

    /// Turns a filtered mail into a new ticket, or adds it to a ticket, as the customer's
    /// message (as if intake had taken it), once. `customer_email` names the sender when the
    /// mail has none (or replaces the one read). The agent's act is an event on the mail.
    pub async fn take_filtered_mail(
        &self,
        agent: &Agent,
        id: i64,
        into: TakeInto,
        customer_email: Option<&str>,
    ) -> StoreResult<Taken> {
        let item = self.filtered_item(agent, id).await?;
        if let Some(taken) = already_taken(&item) {
            return Err(taken);
        }
        if let TakeInto::Ticket(ticket_id) = into {
            let ticket = self.ticket(ticket_id).await.map_err(|err| match err {
                StoreError::NotFound { .. } => {
                    StoreError::unknown("ticket", "ticket_id", ticket_id)
                }
                other => other,
            })?;
            if !self.agent_may_see(agent, &ticket).await? {
                return Err(StoreError::Forbidden(format!(
                    "Ticket {ticket_id} belongs to a restricted team that {} is not in.",
                    agent.email
                )));
            }
        }
        let sha256: String =
            sqlx::query_scalar("SELECT raw_sha256 FROM inbound_emails WHERE id = $1")
                .bind(id)
                .fetch_one(self.pool())
                .await?;
        let raw = self.blob(&sha256).await?;
        let mut email = rapport_mail::read(&raw).map_err(|err| {
            StoreError::Invalid(rapport_domain::Invalid::new(
                "id",
                format!("This mail cannot be read as an email ({err}); an admin can download it as it came."),
            ))
        })?;
        if let Some(address) = customer_email.map(str::trim).filter(|a| !a.is_empty()) {
            let address = validate::email(address)?;
            email.from = Some(rapport_mail::Mailbox {
                address,
                name: None,
            });
        }
        let now = self.now();
        let mut tx = self.begin_write().await?;
        // The claim comes first: on PostgreSQL it holds the row, so a second agent waits here
        // and then finds it taken.
        let claimed = sqlx::query(&format!(
            "UPDATE inbound_emails SET taken_at = $1, taken_by = $2 WHERE id = $3 AND taken_at IS NULL AND {FILTERED}"
        ))
        .bind(&now)
        .bind(agent.id)
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if claimed == 0 {
            tx.rollback().await?;
            let item = self.filtered_item(agent, id).await?;
            return Err(
                already_taken(&item).unwrap_or_else(|| StoreError::not_found("filtered mail", id))
            );
        }
        let destination = match into {
            TakeInto::NewTicket => Destination::NewTicket,
            TakeInto::Ticket(ticket_id) => Destination::Ticket(ticket_id),
        };
        let (outcome, message) = self
            .open_from_email(
                &mut tx,
                &now,
                &email,
                destination,
                crate::mail_intake::Intake::Live,
            )
            .await?;
        sqlx::query("UPDATE inbound_emails SET ticket_id = $1, message_id = $2 WHERE id = $3")
            .bind(message.ticket_id)
            .bind(message.id)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        events::record(
            &mut tx,
            &now,
            Actor::Agent(agent.id),
            "inbound_email",
            id,
            "inbound_email.taken",
            json!({
                "ticket_id": events::change(None::<i64>, message.ticket_id),
                "message_id": events::change(None::<i64>, message.id),
            }),
        )
        .await?;
        tx.commit().await?;
        Ok(Taken {
            inbound_id: id,
            ticket_id: message.ticket_id,
            message_id: message.id,
            outcome,
        })
    }
}

/// The conflict of taking an item already taken, saying where it went.
fn already_taken(item: &FilteredMail) -> Option<StoreError> {
    item.taken_at.as_ref()?;
    Some(StoreError::Conflict {
        code: "filtered_mail_taken",
        message: match item.ticket_id {
            Some(ticket_id) => format!(
                "Filtered mail {} is already on ticket {ticket_id}; it can be taken only once.",
                item.id
            ),
            None => format!("Filtered mail {} is already taken.", item.id),
        },
    })
}

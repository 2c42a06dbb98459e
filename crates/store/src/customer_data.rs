//! A customer's own data, on request: everything the portal shows them, as one document to
//! take away; and erasure, which anonymizes the customer without breaking anyone else's history.
//!
//! Erasure keeps the rows (tickets, messages, promises, events), so counts, coaching trends and
//! other customers' histories stay whole, and replaces what identifies the customer: their name
//! and addresses, their own words, files and raw mail, and the notes agents kept about them.
//! It is the one change that rewrites the audit trail: events about the customer lose their
//! details, and the erasure itself is recorded (who, when, why, how much), never what was erased.

use crate::rows::{int, named, opt_int, opt_text, text};
use crate::{Store, StoreError, StoreResult, Tx, events};
use rapport_domain::message::text_to_html;
use rapport_domain::promise::PromiseStatus;
use rapport_domain::survey::SurveyKind;
use rapport_domain::wording::erasure::{ERASED_NAME, ERASED_TEXT, erased_customer, erased_subject};
use rapport_domain::{Actor, AuthorKind, Conversation, Problem, Visibility};
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;

/// Everything the portal shows a customer, in one document.
#[derive(Debug, Serialize, ToSchema)]
pub struct CustomerData {
    pub exported_at: String,
    pub customer: CustomerRecord,
    /// Their requests, oldest first, each with its public conversation.
    pub tickets: Vec<TicketRecord>,
    pub surveys: Vec<SurveyRecord>,
    /// What we promised them.
    pub promises: Vec<PromiseRecord>,
    /// What they wrote to management.
    pub letters: Vec<LetterRecord>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CustomerRecord {
    pub id: i64,
    pub name: String,
    pub emails: Vec<String>,
    pub organization: Option<String>,
    pub created_at: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TicketRecord {
    pub id: i64,
    pub subject: String,
    pub conversation: Conversation,
    pub problem: Problem,
    pub created_at: String,
    pub messages: Vec<MessageRecord>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MessageRecord {
    pub at: String,
    /// Who wrote it: the customer, one of our staff, or Rapport itself.
    pub from: AuthorKind,
    /// The staff member's name, for our replies.
    pub name: Option<String>,
    pub text: String,
    pub attachments: Vec<FileRecord>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FileRecord {
    pub filename: String,
    pub content_type: String,
    pub size: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SurveyRecord {
    pub ticket_id: Option<i64>,
    pub kind: SurveyKind,
    pub score: Option<i64>,
    pub comment: Option<String>,
    pub answered_at: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PromiseRecord {
    pub ticket_id: Option<i64>,
    pub what: String,
    pub due_at: String,
    pub status: PromiseStatus,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LetterRecord {
    pub subject: String,
    pub body: String,
    pub created_at: String,
}

/// How much an erasure changed, for the audit trail and the admin who asked.
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct Erasure {
    pub customer_id: i64,
    pub tickets: u64,
    pub messages: u64,
    pub files: u64,
    pub raw_mails: u64,
    pub notes: u64,
}

impl Store {
    /// Everything the portal shows customer `id`, as one document.
    pub async fn customer_data(&self, id: i64) -> StoreResult<CustomerData> {
        let pool = self.pool();
        let row = sqlx::query(
            "SELECT c.id, c.name, c.created_at, c.merged_into, o.name AS organization \
             FROM customers c LEFT JOIN organizations o ON o.id = c.organization_id WHERE c.id = $1",
        )
        .bind(id)
        .fetch_optional(pool)
        .await?
        .ok_or_else(|| StoreError::not_found("customer", id))?;
        if let Some(into) = opt_int(&row, "merged_into")? {
            return Err(StoreError::Conflict {
                code: "customer_merged",
                message: format!("customer {id} was merged into customer {into}; ask for that one"),
            });
        }
        let emails: Vec<String> = sqlx::query_scalar(
            "SELECT email FROM customer_emails WHERE customer_id = $1 ORDER BY is_primary DESC, created_at, email",
        )
        .bind(id)
        .fetch_all(pool)
        .await?;
        let customer = CustomerRecord {
            id,
            name: text(&row, "name")?,
            emails,
            organization: opt_text(&row, "organization")?,
            created_at: text(&row, "created_at")?,
        };

        let files = sqlx::query(
            "SELECT a.message_id, a.filename, a.content_type, a.size FROM attachments a \
             JOIN messages m ON m.id = a.message_id JOIN tickets t ON t.id = m.ticket_id \
             WHERE t.customer_id = $1 AND m.visibility = $2 ORDER BY a.id",
        )
        .bind(id)
        .bind(Visibility::Public.as_str())
        .fetch_all(pool)
        .await?;
        let mut files_of = std::collections::HashMap::<i64, Vec<FileRecord>>::new();
        for file in &files {
            files_of
                .entry(int(file, "message_id")?)
                .or_default()
                .push(FileRecord {
                    filename: text(file, "filename")?,
                    content_type: text(file, "content_type")?,
                    size: int(file, "size")?,
                });
        }
        let messages = sqlx::query(
            "SELECT m.id, m.ticket_id, m.author_kind, a.name, m.body_text, m.created_at FROM messages m \
             JOIN tickets t ON t.id = m.ticket_id LEFT JOIN agents a ON a.id = m.author_agent_id \
             WHERE t.customer_id = $1 AND m.visibility = $2 ORDER BY m.id",
        )
        .bind(id)
        .bind(Visibility::Public.as_str())
        .fetch_all(pool)
        .await?;
        let mut messages_of = std::collections::HashMap::<i64, Vec<MessageRecord>>::new();
        for message in &messages {
            messages_of
                .entry(int(message, "ticket_id")?)
                .or_default()
                .push(MessageRecord {
                    at: text(message, "created_at")?,
                    from: named(message, "author_kind")?,
                    name: opt_text(message, "name")?,
                    text: text(message, "body_text")?,
                    attachments: files_of.remove(&int(message, "id")?).unwrap_or_default(),
                });
        }
        let tickets = sqlx::query(
            "SELECT id, subject, conversation, problem, created_at FROM tickets WHERE customer_id = $1 ORDER BY id",
        )
        .bind(id)
        .fetch_all(pool)
        .await?
        .iter()
        .map(|ticket| {
            let ticket_id = int(ticket, "id")?;
            Ok(TicketRecord {
                id: ticket_id,
                subject: text(ticket, "subject")?,
                conversation: named(ticket, "conversation")?,
                problem: named(ticket, "problem")?,
                created_at: text(ticket, "created_at")?,
                messages: messages_of.remove(&ticket_id).unwrap_or_default(),
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;

        let surveys = sqlx::query(
            "SELECT ticket_id, kind, score, comment, answered_at FROM surveys \
             WHERE customer_id = $1 AND answered_at IS NOT NULL ORDER BY answered_at, id",
        )
        .bind(id)
        .fetch_all(pool)
        .await?
        .iter()
        .map(|survey| {
            Ok(SurveyRecord {
                ticket_id: opt_int(survey, "ticket_id")?,
                kind: named(survey, "kind")?,
                score: opt_int(survey, "score")?,
                comment: opt_text(survey, "comment")?,
                answered_at: text(survey, "answered_at")?,
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
        let promises = sqlx::query(
            "SELECT ticket_id, what, due_at, status FROM promises WHERE customer_id = $1 ORDER BY due_at, id",
        )
        .bind(id)
        .fetch_all(pool)
        .await?
        .iter()
        .map(|promise| {
            Ok(PromiseRecord {
                ticket_id: opt_int(promise, "ticket_id")?,
                what: text(promise, "what")?,
                due_at: text(promise, "due_at")?,
                status: named(promise, "status")?,
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
        let letters = sqlx::query(
            "SELECT subject, body, created_at FROM letters WHERE customer_id = $1 ORDER BY id",
        )
        .bind(id)
        .fetch_all(pool)
        .await?
        .iter()
        .map(|letter| {
            Ok(LetterRecord {
                subject: text(letter, "subject")?,
                body: text(letter, "body")?,
                created_at: text(letter, "created_at")?,
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;

        Ok(CustomerData {
            exported_at: self.now(),
            customer,
            tickets,
            surveys,
            promises,
            letters,
        })
    }

    /// Erases customer `id` on their request (see the module's comment for what that means),
    /// with `reason` in the audit trail. Customers merged into this one are erased with it.
    pub async fn erase_customer(
        &self,
        id: i64,
        reason: &str,
        actor: Actor,
    ) -> StoreResult<Erasure> {
        let reason = rapport_domain::validate::line("reason", reason, 500)?;
        let now = self.now();
        let mut tx = self.begin_write().await?;
        // Held against a merge into this customer, or a second erasure, at the same time.
        self.lock_row(&mut tx, crate::Locked::Customer, id).await?;
        let row = sqlx::query("SELECT name, merged_into FROM customers WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| StoreError::not_found("customer", id))?;
        if let Some(into) = opt_int(&row, "merged_into")? {
            return Err(StoreError::Conflict {
                code: "customer_merged",
                message: format!("customer {id} was merged into customer {into}; erase that one"),
            });
        }
        let mut erasure = Erasure {
            customer_id: id,
            ..Erasure::default()
        };
        let mut ids = vec![id];
        let merged: Vec<i64> =
            sqlx::query_scalar("SELECT id FROM customers WHERE merged_into = $1")
                .bind(id)
                .fetch_all(&mut *tx)
                .await?;
        ids.extend(merged);
        let mut forgotten = Vec::new();
        for customer in ids {
            erase_one(
                &mut tx,
                &self.files,
                &now,
                customer,
                &mut erasure,
                &mut forgotten,
            )
            .await?;
        }
        events::record(
            &mut tx,
            &now,
            actor,
            "customer",
            id,
            "customer.erased",
            json!({ "reason": reason, "erased": &erasure }),
        )
        .await?;
        tx.commit().await?;
        // Their files' bytes go once no row names them (the rows went with the commit).
        self.remove_files(&forgotten).await;
        Ok(erasure)
    }
}

/// Erases one customer identity inside the erasure's transaction.
async fn erase_one(
    tx: &mut Tx,
    files: &crate::files::Files,
    now: &str,
    id: i64,
    erasure: &mut Erasure,
    forgotten: &mut Vec<String>,
) -> StoreResult<()> {
    let name: String = sqlx::query_scalar("SELECT name FROM customers WHERE id = $1")
        .bind(id)
        .fetch_one(&mut **tx)
        .await?;
    let emails: Vec<String> =
        sqlx::query_scalar("SELECT email FROM customer_emails WHERE customer_id = $1")
            .bind(id)
            .fetch_all(&mut **tx)
            .await?;
    // What names the customer in text others wrote: their full name and every address.
    let mut identifiers: Vec<String> = emails.clone();
    if name.trim().chars().count() >= 3 {
        identifiers.push(name.trim().to_owned());
    }

    // Their own words and files.
    let erased_html = text_to_html(ERASED_TEXT);
    erasure.messages += sqlx::query(
        "UPDATE messages SET body_text = $1, body_html = $2, quoted_text = NULL, insight = NULL, \
         email_from = NULL, email_to = NULL, email_cc = NULL WHERE author_customer_id = $3",
    )
    .bind(ERASED_TEXT)
    .bind(&erased_html)
    .bind(id)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    let their_files: Vec<String> = sqlx::query_scalar(
        "SELECT a.sha256 FROM attachments a JOIN messages m ON m.id = a.message_id WHERE m.author_customer_id = $1",
    )
    .bind(id)
    .fetch_all(&mut **tx)
    .await?;
    erasure.files += sqlx::query(
        "DELETE FROM attachments WHERE message_id IN (SELECT id FROM messages WHERE author_customer_id = $1)",
    )
    .bind(id)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    // Their mail as it arrived: the record stays (ingestion stays idempotent), its bytes go.
    let raw: Vec<String> = sqlx::query_scalar(
        "SELECT raw_sha256 FROM inbound_emails WHERE message_id IN (SELECT id FROM messages WHERE author_customer_id = $1) \
         OR ticket_id IN (SELECT id FROM tickets WHERE customer_id = $1) \
         OR sender IN (SELECT email FROM customer_emails WHERE customer_id = $1)",
    )
    .bind(id)
    .fetch_all(&mut **tx)
    .await?;
    if !raw.is_empty() {
        let placeholder = crate::blobs::store_blob(tx, files, now, ERASED_TEXT.as_bytes()).await?;
        erasure.raw_mails += sqlx::query(
            "UPDATE inbound_emails SET raw_sha256 = $1, reason = NULL, sender = NULL, subject = NULL WHERE message_id IN \
             (SELECT id FROM messages WHERE author_customer_id = $2) OR ticket_id IN (SELECT id FROM tickets WHERE customer_id = $2) \
             OR sender IN (SELECT email FROM customer_emails WHERE customer_id = $2)",
        )
        .bind(&placeholder)
        .bind(id)
        .execute(&mut **tx)
        .await?
        .rows_affected();
    }
    for sha256 in their_files.iter().chain(raw.iter()) {
        if crate::blobs::forget_if_unused(tx, sha256).await? {
            forgotten.push(sha256.clone());
        }
    }

    // Their requests: the subjects are their words; our replies and tasks name them.
    let tickets: Vec<i64> = sqlx::query_scalar("SELECT id FROM tickets WHERE customer_id = $1")
        .bind(id)
        .fetch_all(&mut **tx)
        .await?;
    for ticket in &tickets {
        sqlx::query("UPDATE tickets SET subject = $1, insight = NULL WHERE id = $2")
            .bind(erased_subject(*ticket))
            .bind(ticket)
            .execute(&mut **tx)
            .await?;
    }
    erasure.tickets += tickets.len() as u64;
    sqlx::query(
        "UPDATE messages SET email_to = NULL, email_cc = NULL WHERE ticket_id IN (SELECT id FROM tickets WHERE customer_id = $1)",
    )
    .bind(id)
    .execute(&mut **tx)
    .await?;
    for identifier in &identifiers {
        for sql in [
            "UPDATE messages SET body_text = REPLACE(body_text, $1, $2), body_html = REPLACE(body_html, $1, $2), \
             quoted_text = REPLACE(quoted_text, $1, $2) WHERE ticket_id IN (SELECT id FROM tickets WHERE customer_id = $3)",
            "UPDATE tasks SET title = REPLACE(title, $1, $2), detail = REPLACE(detail, $1, $2), \
             outcome = REPLACE(outcome, $1, $2) WHERE customer_id = $3",
            "UPDATE promises SET what = REPLACE(what, $1, $2) WHERE customer_id = $3",
            "UPDATE events SET changes = REPLACE(changes, $1, $2) WHERE entity = 'ticket' AND entity_id IN \
             (SELECT id FROM tickets WHERE customer_id = $3)",
        ] {
            sqlx::query(sql)
                .bind(identifier)
                .bind(ERASED_NAME)
                .bind(id)
                .execute(&mut **tx)
                .await?;
        }
    }

    // Organization health keeps each customer's score with their name.
    if name.trim().chars().count() >= 3 {
        sqlx::query(
            "UPDATE health_points SET factors = REPLACE(factors, $1, $2) WHERE entity = 'organization'",
        )
        .bind(name.trim())
        .bind(ERASED_NAME)
        .execute(&mut **tx)
        .await?;
    }

    // What agents noted about them, and what they wrote to us elsewhere.
    for sql in [
        "UPDATE moments SET note = $1 WHERE customer_id = $2",
        "UPDATE calls SET summary = $1, agreed = NULL WHERE customer_id = $2",
        "UPDATE letters SET subject = $1, body = $1 WHERE customer_id = $2",
        "UPDATE escalations SET reason = $1 WHERE customer_id = $2",
        "UPDATE complaints SET incident = $1, staff_account = $1 WHERE customer_id = $2",
        "UPDATE recovery_actions SET note = $1 WHERE complaint_id IN (SELECT id FROM complaints WHERE customer_id = $2)",
        // A precedent stays (its policy, outcome and cost); the words about the customer go.
        "UPDATE policy_exceptions SET reason = $1, \
         decision_note = CASE WHEN decision_note IS NULL THEN NULL ELSE $1 END WHERE customer_id = $2",
    ] {
        erasure.notes += sqlx::query(sql)
            .bind(ERASED_TEXT)
            .bind(id)
            .execute(&mut **tx)
            .await?
            .rows_affected();
    }

    // Who they were, how to reach them, and every way to sign in as them.
    for sql in [
        "UPDATE surveys SET comment = NULL WHERE customer_id = $1",
        "UPDATE promises SET phone = NULL WHERE customer_id = $1",
        "DELETE FROM customer_sessions WHERE customer_id = $1",
        "DELETE FROM portal_links WHERE customer_id = $1",
        "DELETE FROM customer_emails WHERE customer_id = $1",
    ] {
        sqlx::query(sql).bind(id).execute(&mut **tx).await?;
    }
    sqlx::query(
        "UPDATE events SET changes = '{}' WHERE entity = 'policy_exception' \
         AND entity_id IN (SELECT id FROM policy_exceptions WHERE customer_id = $1)",
    )
    .bind(id)
    .execute(&mut **tx)
    .await?;
    sqlx::query("UPDATE events SET changes = '{}' WHERE entity = 'customer' AND entity_id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    sqlx::query("UPDATE customers SET name = $1, phone = NULL, notes = NULL WHERE id = $2")
        .bind(erased_customer(id))
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

//! Mail going out: our public messages and notices (sign-in links) queued as mail jobs, and
//! the sender's side of them (claim with a lease, sent, failed and retried). The sender that
//! talks SMTP is `rapport::smtp`. Mail coming in is in [`crate::mail_intake`].

use crate::jobs;
use crate::rows::{int, text};
use crate::tickets::{load_ticket, message_from};
use crate::{Backend, Store, StoreError, StoreResult, Tx, secrets};
use rapport_domain::Message;
use rapport_domain::message::Delivery;
use rapport_domain::wording::Mail;
use rapport_domain::wording::mail as wording;
use rapport_domain::{AuthorKind, Job};
use serde_json::json;

/// The setting that holds the workspace's mail address (written from the configuration at start).
pub const MAIL_FROM_SETTING: &str = "mail_from";
pub const DEFAULT_MAIL_FROM: &str = "support@rapport.localhost";

/// Gives a public message of ours an email identity and queues it for sending: to the
/// customer, keeping the CCs of their last mail on the thread.
pub(crate) async fn queue_outbound(
    tx: &mut Tx,
    now: &str,
    message: Message,
) -> StoreResult<Message> {
    let Some((to, cc)) = recipients(tx, message.ticket_id).await? else {
        return Ok(message);
    };
    let from = mail_from(tx).await?;
    // History being imported went out from the old help desk long ago; nothing is queued.
    let delivery = if jobs::is_writing_history() {
        Delivery::Sent
    } else {
        Delivery::Queued
    };
    let domain = domain_of(&from);
    let nonce = &secrets::generate("")[..12];
    let message_id = format!(
        "rapport-{}-{}-{nonce}@{domain}",
        message.ticket_id, message.id
    );
    sqlx::query(
        "UPDATE messages SET email_message_id = $1, email_from = $2, email_to = $3, email_cc = $4, delivery = $6 WHERE id = $5",
    )
    .bind(&message_id)
    .bind(&from)
    .bind(json!([to]).to_string())
    .bind(json!(cc).to_string())
    .bind(message.id)
    .bind(delivery.as_str())
    .execute(&mut **tx)
    .await?;
    let send = Job::SendEmail {
        message_id: message.id,
    };
    jobs::enqueue(tx, now, &send, now).await?;
    let email = rapport_domain::EmailInfo {
        message_id: Some(message_id),
        from: Some(from),
        to: vec![to],
        cc,
        delivery: Some(delivery.to_string()),
        delivery_detail: None,
        intake_note: None,
    };
    Ok(Message {
        email: Some(email),
        ..message
    })
}

/// Whom our next reply on a ticket goes to: the customer's first address, and the CCs of
/// their last mail on the thread (never our own addresses); `None` when the customer has no
/// address.
async fn recipients(tx: &mut Tx, ticket_id: i64) -> StoreResult<Option<(String, Vec<String>)>> {
    let ticket = load_ticket(tx, ticket_id).await?;
    let to: Option<String> = sqlx::query_scalar(
        "SELECT email FROM customer_emails WHERE customer_id = $1 ORDER BY is_primary DESC, created_at, email LIMIT 1",
    )
    .bind(ticket.customer_id)
    .fetch_optional(&mut **tx)
    .await?;
    let Some(to) = to else {
        return Ok(None);
    };
    let from = mail_from(tx).await?;
    let last_cc: Option<Option<String>> = sqlx::query_scalar(
        "SELECT email_cc FROM messages WHERE ticket_id = $1 AND author_kind = $2 AND email_cc IS NOT NULL ORDER BY id DESC LIMIT 1",
    )
    .bind(ticket_id)
    .bind(AuthorKind::Customer.as_str())
    .fetch_optional(&mut **tx)
    .await?;
    let cc: Vec<String> = last_cc
        .flatten()
        .and_then(|json| serde_json::from_str::<Vec<String>>(&json).ok())
        .unwrap_or_default()
        .into_iter()
        .filter(|address| {
            *address != to && !address.eq_ignore_ascii_case(&from) && !is_ours(address, &from)
        })
        .collect();
    Ok(Some((to, cc)))
}

impl Store {
    /// Whom a reply on the ticket would be mailed to now: `(to, cc)`, for the composer.
    pub async fn reply_recipients(
        &self,
        ticket_id: i64,
    ) -> StoreResult<Option<(String, Vec<String>)>> {
        let mut tx = self.pool().begin().await?;
        let found = recipients(&mut tx, ticket_id).await?;
        tx.rollback().await?;
        Ok(found)
    }
}

/// The address our mail comes from (the `mail_from` setting).
async fn mail_from(tx: &mut Tx) -> StoreResult<String> {
    let from: Option<String> = sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
        .bind(MAIL_FROM_SETTING)
        .fetch_optional(&mut **tx)
        .await?;
    Ok(from.unwrap_or_else(|| DEFAULT_MAIL_FROM.to_owned()))
}

fn domain_of(address: &str) -> String {
    address
        .rsplit_once('@')
        .map_or("rapport.localhost", |(_, d)| d)
        .to_owned()
}

/// Queues a mail that belongs to no ticket, such as a portal sign-in link.
pub(crate) async fn queue_notice(
    tx: &mut Tx,
    now: &str,
    to: &str,
    subject: &str,
    text: &str,
) -> StoreResult<()> {
    let from = mail_from(tx).await?;
    let message_id = format!(
        "rapport-notice-{}@{}",
        &secrets::generate("")[..16],
        domain_of(&from)
    );
    let notice = Job::SendNotice {
        to: to.to_owned(),
        from,
        subject: subject.to_owned(),
        text: text.to_owned(),
        message_id,
    };
    jobs::enqueue(tx, now, &notice, now).await
}

/// Our own plus-addresses (support+t12@...) never get a copy.
fn is_ours(address: &str, from: &str) -> bool {
    let (Some((local, domain)), Some((our_local, our_domain))) =
        (address.split_once('@'), from.split_once('@'))
    else {
        return false;
    };
    domain.eq_ignore_ascii_case(our_domain)
        && local
            .split('+')
            .next()
            .is_some_and(|l| l.eq_ignore_ascii_case(our_local))
}

/// Everything the sender needs to put one message on the wire.
#[derive(Debug, Clone)]
pub struct OutboundEmail {
    pub job_id: i64,
    /// The ticket message this mail carries; `None` for a notice such as a sign-in link.
    pub message_id: Option<i64>,
    /// The Message-ID, stable across retries.
    pub rfc_message_id: String,
    pub from: String,
    pub to: Vec<String>,
    pub cc: Vec<String>,
    pub subject: String,
    pub in_reply_to: Option<String>,
    pub references: Vec<String>,
    /// `support+t<ticket>@domain`: replies come back to the ticket.
    pub reply_to: String,
    pub text: String,
    /// The same as HTML, for a message on a ticket (a mail program shows this part).
    pub html: Option<String>,
    /// The message's files, sent as attachments.
    pub attachments: Vec<OutboundFile>,
    /// Set for messages the system wrote (check-ins, surveys): `Auto-Submitted: auto-generated`.
    pub automatic: bool,
}

/// A file attached to a mail we send.
#[derive(Debug, Clone)]
pub struct OutboundFile {
    pub filename: String,
    pub content_type: String,
    pub data: Vec<u8>,
}

impl Store {
    /// Takes the next due outbound mail for sending, leasing it for `lease_seconds` so no
    /// other sender takes it meanwhile; if the sender dies, the lease runs out and the mail is
    /// sent again with the same Message-ID.
    pub async fn claim_outbound_email(
        &self,
        lease_seconds: i64,
    ) -> StoreResult<Option<OutboundEmail>> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let claim = match self.backend() {
            Backend::Sqlite => {
                "SELECT id, kind, payload FROM jobs WHERE kind IN ($1, $3) AND done_at IS NULL AND run_at <= $2 ORDER BY run_at, id LIMIT 1"
            }
            Backend::Postgres => {
                "SELECT id, kind, payload FROM jobs WHERE kind IN ($1, $3) AND done_at IS NULL AND run_at <= $2 ORDER BY run_at, id LIMIT 1 FOR UPDATE SKIP LOCKED"
            }
        };
        // Run by the web crate's mail sender, not the worker, because they talk to SMTP.
        let [send, notice] = Job::MAIL_KINDS;
        let Some(row) = sqlx::query(claim)
            .bind(send)
            .bind(&now)
            .bind(notice)
            .fetch_optional(&mut *tx)
            .await?
        else {
            return Ok(None);
        };
        let job_id = int(&row, "id")?;
        let job = Job::from_stored(&text(&row, "kind")?, &text(&row, "payload")?)
            .map_err(|err| StoreError::Corrupt(format!("job {job_id}: {err}")))?;
        sqlx::query("UPDATE jobs SET run_at = $1, attempts = attempts + 1 WHERE id = $2")
            .bind(self.from_now(lease_seconds))
            .bind(job_id)
            .execute(&mut *tx)
            .await?;
        let message_id = match job {
            Job::SendNotice {
                to,
                from,
                subject,
                text,
                message_id,
            } => {
                tx.commit().await?;
                return Ok(Some(OutboundEmail {
                    job_id,
                    message_id: None,
                    rfc_message_id: message_id,
                    reply_to: from.clone(),
                    from,
                    to: vec![to],
                    cc: vec![],
                    subject,
                    in_reply_to: None,
                    references: vec![],
                    text,
                    html: None,
                    attachments: vec![],
                    automatic: true,
                }));
            }
            Job::SendEmail { message_id } => message_id,
            other => {
                return Err(StoreError::Corrupt(format!(
                    "job {job_id} is not a mail job: {other:?}"
                )));
            }
        };
        let row = sqlx::query(&format!(
            "SELECT {} FROM messages WHERE id = $1",
            crate::tickets::MESSAGE_COLUMNS
        ))
        .bind(message_id)
        .fetch_one(&mut *tx)
        .await?;
        let message = message_from(&row)?;
        let ticket = load_ticket(&mut tx, message.ticket_id).await?;
        let earlier: Vec<String> = sqlx::query_scalar(
            "SELECT email_message_id FROM messages WHERE ticket_id = $1 AND id < $2 AND email_message_id IS NOT NULL ORDER BY id",
        )
        .bind(message.ticket_id)
        .bind(message.id)
        .fetch_all(&mut *tx)
        .await?;
        let by_agent = message.author.kind == rapport_domain::AuthorKind::Agent;
        let contacts = if by_agent {
            case_lines(&mut tx, &ticket).await?
        } else {
            vec![]
        };
        tx.commit().await?;
        let email = message.email.clone().unwrap_or(rapport_domain::EmailInfo {
            message_id: None,
            from: None,
            to: vec![],
            cc: vec![],
            delivery: None,
            delivery_detail: None,
            intake_note: None,
        });
        let from = email.from.unwrap_or_else(|| DEFAULT_MAIL_FROM.to_owned());
        let (local, domain) = from
            .split_once('@')
            .unwrap_or(("support", "rapport.localhost"));
        let subject = wording::reply_subject(&ticket.subject, ticket.id);
        let references: Vec<String> = earlier.iter().rev().take(20).rev().cloned().collect();
        let portal_url = format!("{}/portal/tickets/{}", self.public_url(), ticket.id);
        let files: Vec<i64> =
            sqlx::query_scalar("SELECT id FROM attachments WHERE message_id = $1 ORDER BY id")
                .bind(message_id)
                .fetch_all(self.pool())
                .await?;
        let mut attachments = Vec::with_capacity(files.len());
        for id in files {
            let (info, mut stream) = self.attachment(id).await?;
            // A mail carries its files whole; attachments are limited in size when sent.
            let mut data = Vec::with_capacity(usize::try_from(info.size).unwrap_or(0));
            while let Some(chunk) = futures_util::StreamExt::next(&mut stream).await {
                let chunk = chunk.map_err(|err| {
                    StoreError::Corrupt(format!(
                        "the file of attachment {id} could not be read: {err}"
                    ))
                })?;
                data.extend_from_slice(&chunk);
            }
            attachments.push(OutboundFile {
                filename: info.filename,
                content_type: info.content_type,
                data,
            });
        }
        let html = if by_agent {
            wording::AgentReplyHtml {
                html: &message.html,
                portal_url: &portal_url,
                contacts: &contacts,
            }
            .text()
        } else {
            // "Did this fix it?" as named links rather than long addresses.
            rapport_domain::message::customer_links(
                &message.html,
                rapport_domain::message::CustomerLinks::Labelled,
            )
        };
        Ok(Some(OutboundEmail {
            job_id,
            message_id: Some(message_id),
            rfc_message_id: email.message_id.unwrap_or_default(),
            reply_to: format!("{local}+t{}@{domain}", ticket.id),
            from,
            to: email.to,
            cc: email.cc,
            subject,
            in_reply_to: references.last().cloned(),
            references,
            text: if by_agent {
                // Where the customer can follow the request, reply with files, or ask for a
                // manager.
                wording::AgentReply {
                    text: message.text.trim_end(),
                    portal_url: &portal_url,
                    contacts: &contacts,
                }
                .text()
            } else {
                message.text
            },
            html: Some(html),
            attachments,
            automatic: message.author.kind == rapport_domain::AuthorKind::System,
        }))
    }

    /// The SMTP server accepted the mail.
    pub async fn outbound_sent(&self, mail: &OutboundEmail) -> StoreResult<()> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        // A notice's content (a sign-in link) is not kept once it has left.
        sqlx::query("UPDATE jobs SET done_at = $1, payload = CASE WHEN kind = $3 THEN '{}' ELSE payload END WHERE id = $2")
            .bind(&now)
            .bind(mail.job_id)
            .bind(Job::MAIL_KINDS[1])
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE messages SET delivery = $2, delivery_detail = NULL WHERE id = $1 AND delivery <> $3")
            .bind(mail.message_id)
            .bind(Delivery::Sent.as_str())
            .bind(Delivery::Bounced.as_str())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Sending failed: try again later, and say why on the message.
    pub async fn outbound_failed(
        &self,
        mail: &OutboundEmail,
        error: &str,
        first_retry_seconds: i64,
    ) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        // Back off while the server stays down: the first wait, doubled with each attempt,
        // at most an hour.
        let attempts: i64 = sqlx::query_scalar("SELECT attempts FROM jobs WHERE id = $1")
            .bind(mail.job_id)
            .fetch_one(&mut *tx)
            .await?;
        let wait = (first_retry_seconds << (attempts - 1).clamp(0, 12)).min(60 * 60);
        sqlx::query("UPDATE jobs SET run_at = $1, last_error = $2 WHERE id = $3")
            .bind(self.from_now(wait))
            .bind(error)
            .bind(mail.job_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE messages SET delivery_detail = $1 WHERE id = $2")
            .bind(wording::retry_detail(error))
            .bind(mail.message_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}

impl Store {
    /// An attachment's metadata and its bytes as a stream (read from the file store while
    /// they are sent, never whole in memory).
    pub async fn attachment(
        &self,
        id: i64,
    ) -> StoreResult<(rapport_domain::AttachmentInfo, crate::files::FileStream)> {
        let row = sqlx::query(
            "SELECT id, filename, content_type, size, sha256 FROM attachments WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(self.pool())
        .await?
        .ok_or_else(|| StoreError::not_found("attachment", id))?;
        let info = rapport_domain::AttachmentInfo {
            id: int(&row, "id")?,
            filename: text(&row, "filename")?,
            content_type: text(&row, "content_type")?,
            size: int(&row, "size")?,
        };
        let stream = self.blob_stream(&text(&row, "sha256")?).await?;
        Ok((info, stream))
    }
}

/// Whom the customer can reach about the ticket, as lines for the foot of our reply: who has
/// the case now (the manager who took an escalation, else the handler) and their supervisor,
/// with the details the workspace publishes, and any call-back we promised with its window.
async fn case_lines(tx: &mut Tx, ticket: &rapport_domain::Ticket) -> StoreResult<Vec<String>> {
    let contacts = crate::case::contacts_in(tx, ticket.id, ticket.customer_id).await?;
    let publishing = crate::settings::staff_publishing_in(tx).await?;
    let calendar = crate::settings::calendar_in(tx).await?;
    let taken: Option<i64> = sqlx::query_scalar(
        "SELECT manager_id FROM escalations WHERE ticket_id = $1 AND acknowledged_at IS NOT NULL ORDER BY id DESC LIMIT 1",
    )
    .bind(ticket.id)
    .fetch_optional(&mut **tx)
    .await?
    .flatten();
    let taken = match taken {
        Some(id) => Some(crate::agents::agent_in(tx, id).await?),
        None => None,
    };
    let said = |agent: &rapport_domain::Agent, part: &str| {
        let contact = publishing.contact(agent, part);
        [
            Some(contact.name),
            contact.title,
            contact.email,
            contact.phone,
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(", ")
    };
    let mut lines = Vec::new();
    match (&taken, &contacts.handler) {
        (Some(manager), _) => {
            lines.push(format!("Your case is with {}", said(manager, "a manager")));
        }
        (None, Some(handler)) => {
            lines.push(format!(
                "Handling your case: {}",
                said(handler, "your support agent")
            ));
            if let Some(supervisor) = &contacts.supervisor {
                lines.push(format!(
                    "Their manager: {}",
                    said(supervisor, "their manager")
                ));
            }
        }
        (None, None) => {}
    }
    let calls = sqlx::query(
        "SELECT what, window_start, due_at FROM promises WHERE ticket_id = $1 AND kind = 'call_back' \
         AND status = 'open' AND accepted_at IS NOT NULL ORDER BY due_at",
    )
    .bind(ticket.id)
    .fetch_all(&mut **tx)
    .await?;
    for call in &calls {
        let when = |column: &str| -> StoreResult<Option<String>> {
            Ok(crate::rows::opt_text(call, column)?
                .and_then(|at| crate::clock::parse(&at))
                .map(|at| calendar.when(at)))
        };
        let window = match (when("window_start")?, when("due_at")?) {
            (Some(from), Some(to)) => format!("between {from} and {to}"),
            (None, Some(to)) => format!("by {to}"),
            _ => String::new(),
        };
        lines.push(
            format!(
                "We will call you back {window}: {}",
                crate::rows::text(call, "what")?
            )
            .replace("back : ", "back: "),
        );
    }
    Ok(lines)
}

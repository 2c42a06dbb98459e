//! Mail coming in: ingesting raw mail (idempotent, threaded, never dropped). Our own mail
//! going out is in [`crate::mail_outbox`].
//!
//! Ingestion runs in one transaction: the inbound record (with the raw message), the customer,
//! the ticket or reply, the attachments. It is committed before the caller acknowledges the
//! mail, and the same mail delivered twice (same Message-ID, or same bytes without one) is
//! recognised by its key and stored once.

use crate::blobs::store_blob;
use crate::conversation::{add_message_in, create_ticket_in};
use crate::files::Files;
use crate::rows::{int, opt_int, opt_text, text};
use crate::tickets::{CustomerRef, NewTicket};
use crate::{Store, StoreError, StoreResult, Tx};
use rapport_domain::AuthorKind;
use rapport_domain::message::Delivery;
use rapport_domain::wording::mail::{self as wording, IntakeNote};
use rapport_domain::{Actor, Channel, Priority, Visibility, validate};
use rapport_mail::{Email, Kind};
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    NewTicket,
    Reply,
    AutoReply,
    Bounce,
    Bulk,
    Rejected,
}

impl Outcome {
    /// Every outcome, in the order the metrics list them.
    pub(crate) const ALL: [Outcome; 6] = [
        Outcome::NewTicket,
        Outcome::Reply,
        Outcome::AutoReply,
        Outcome::Bounce,
        Outcome::Bulk,
        Outcome::Rejected,
    ];

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Outcome::NewTicket => "new_ticket",
            Outcome::Reply => "reply",
            Outcome::AutoReply => "auto_reply",
            Outcome::Bounce => "bounce",
            Outcome::Bulk => "bulk",
            Outcome::Rejected => "rejected",
        }
    }

    pub(crate) fn parse(text: &str) -> Outcome {
        match text {
            "new_ticket" => Outcome::NewTicket,
            "reply" => Outcome::Reply,
            "auto_reply" => Outcome::AutoReply,
            "bounce" => Outcome::Bounce,
            "bulk" => Outcome::Bulk,
            _ => Outcome::Rejected,
        }
    }
}

/// What became of one inbound mail.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Ingested {
    pub inbound_id: i64,
    pub outcome: Outcome,
    /// `null` for auto-replies, bounces, bulk mail and rejected input: they open nothing.
    pub ticket_id: Option<i64>,
    pub message_id: Option<i64>,
    /// The same mail had been ingested before; nothing new was stored.
    pub duplicate: bool,
    /// Why the mail was rejected (kept raw for admins), or what it was recognised as.
    pub reason: Option<String>,
}

/// One inbound mail as admins see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InboundEmail {
    pub id: i64,
    pub received_at: String,
    pub mailbox: Option<String>,
    pub size: i64,
    pub outcome: Outcome,
    pub reason: Option<String>,
    pub ticket_id: Option<i64>,
    pub message_id: Option<i64>,
}

/// What is kept of a mail refused for its size: its header block, cut at this many bytes (or
/// at the limit, if that is smaller). An admin still sees who sent what, and a refused mail
/// cannot fill the disk.
pub const REFUSED_NOTE_BYTES: usize = 16 * 1024;

/// A mail read before its transaction starts, so parsing does not hold the write lock: the
/// HTTP intake reads each mail in its own request task and hands the writer only what to store.
pub struct ParsedMail {
    /// The whole mail, or for one refused for its size only its header block.
    raw: Vec<u8>,
    /// The mail's size in bytes, as far as it is known.
    size: usize,
    mailbox: Option<String>,
    parsed: Result<Email, String>,
    key: String,
}

impl ParsedMail {
    pub fn read(raw: Vec<u8>, mailbox: Option<String>, max_bytes: usize) -> ParsedMail {
        if raw.len() > max_bytes {
            return ParsedMail::too_large(&raw, Some(raw.len()), max_bytes, mailbox);
        }
        let parsed = rapport_mail::read(&raw).map_err(|err| err.to_string());
        let key = rapport_mail::dedupe_key(
            parsed.as_ref().ok().and_then(|e| e.message_id.as_deref()),
            &raw,
        );
        ParsedMail {
            size: raw.len(),
            raw,
            mailbox,
            parsed,
            key,
        }
    }

    /// A mail larger than `limit`, refused: `head` is its beginning (as much as was read),
    /// `size` its whole size when known. Only the header block is kept.
    pub fn too_large(
        head: &[u8],
        size: Option<usize>,
        limit: usize,
        mailbox: Option<String>,
    ) -> ParsedMail {
        let note = rapport_mail::header_block(head, REFUSED_NOTE_BYTES.min(limit)).to_vec();
        let known = size;
        let size = size.unwrap_or(head.len()).max(head.len());
        let key = format!("too_large:{size}:{}", rapport_mail::dedupe_key(None, &note));
        ParsedMail {
            raw: note,
            size,
            mailbox,
            parsed: Err(IntakeNote::TooLarge {
                bytes: known,
                limit,
            }
            .to_string()),
            key,
        }
    }
}

impl ParsedMail {
    /// When the mail says it was written, in the stored format; never later than `now`.
    fn written_at(&self, now: &str) -> String {
        self.parsed
            .as_ref()
            .ok()
            .and_then(|email| email.date)
            .and_then(|seconds| time::OffsetDateTime::from_unix_timestamp(seconds).ok())
            .map(crate::clock::format)
            .filter(|date| date.as_str() < now)
            .unwrap_or_else(|| now.to_owned())
    }
}

/// Mail as live intake takes it, or history imported from an archive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Intake {
    Live,
    /// Imported: stored at the time it was written, scheduling nothing (see
    /// [`crate::jobs::writing_history`]); a customer's words in an old mail ask no manager and
    /// write no letter today, and our own agents' mail is their reply on the ticket it answers.
    History,
}

/// What became of one mail imported from an archive.
#[derive(Debug, Clone)]
pub struct MailImported {
    pub ingested: Ingested,
    /// The sender was not a customer before this mail.
    pub customer_created: bool,
    /// Files stored with the message.
    pub attachments: usize,
}

/// A file to attach to a message.
pub(crate) struct Attached<'a> {
    pub filename: &'a str,
    pub content_type: &'a str,
    pub data: &'a [u8],
    /// Shown inside the message (an image of an HTML mail) rather than listed.
    pub inline: bool,
}

/// Stores a file as an attachment of a message (its bytes once, by content).
pub(crate) async fn attach(
    tx: &mut Tx,
    files: &Files,
    now: &str,
    message_id: i64,
    file: Attached<'_>,
) -> StoreResult<()> {
    let Attached {
        filename,
        content_type,
        data,
        inline,
    } = file;
    let sha = store_blob(tx, files, now, data).await?;
    sqlx::query(
        "INSERT INTO attachments (message_id, filename, content_type, size, sha256, inline, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(message_id)
    .bind(filename)
    .bind(content_type)
    .bind(data.len() as i64)
    .bind(&sha)
    .bind(i64::from(inline))
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

struct Record<'a> {
    key: &'a str,
    mailbox: Option<&'a str>,
    raw: &'a [u8],
    size: usize,
    outcome: Outcome,
    reason: Option<String>,
    ticket_id: Option<i64>,
    message_id: Option<i64>,
    /// The sender and subject as read, for the filtered list.
    sender: Option<&'a str>,
    subject: Option<&'a str>,
    /// The ticket a filtered mail seems to answer (by its threading headers).
    related_ticket_id: Option<i64>,
}

async fn record_inbound(
    tx: &mut Tx,
    files: &Files,
    now: &str,
    record: Record<'_>,
) -> StoreResult<Ingested> {
    let raw_sha = store_blob(tx, files, now, record.raw).await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO inbound_emails (dedupe_key, mailbox, received_at, size, raw_sha256, outcome, reason, ticket_id, message_id, \
         sender, subject, related_ticket_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
    )
    .bind(record.key)
    .bind(record.mailbox)
    .bind(now)
    .bind(record.size as i64)
    .bind(&raw_sha)
    .bind(record.outcome.as_str())
    .bind(&record.reason)
    .bind(record.ticket_id)
    .bind(record.message_id)
    .bind(record.sender)
    .bind(record.subject.map(|s| rapport_domain::wording::one_line(s, validate::MAX_SUBJECT_CHARS)))
    .bind(record.related_ticket_id)
    .fetch_one(&mut **tx)
    .await?;
    Ok(Ingested {
        inbound_id: id,
        outcome: record.outcome,
        ticket_id: record.ticket_id,
        message_id: record.message_id,
        duplicate: false,
        reason: record.reason,
    })
}

async fn already_ingested(tx: &mut Tx, key: &str) -> StoreResult<Option<Ingested>> {
    let row = sqlx::query("SELECT id, outcome, reason, ticket_id, message_id FROM inbound_emails WHERE dedupe_key = $1")
        .bind(key)
        .fetch_optional(&mut **tx)
        .await?;
    row.map(|row| {
        Ok(Ingested {
            inbound_id: int(&row, "id")?,
            outcome: Outcome::parse(&text(&row, "outcome")?),
            reason: opt_text(&row, "reason")?,
            ticket_id: opt_int(&row, "ticket_id")?,
            message_id: opt_int(&row, "message_id")?,
            duplicate: true,
        })
    })
    .transpose()
}

impl Store {
    /// Writes a mail's files (the raw mail, its attachments) to the file store ahead of its
    /// transaction, so that one does not wait for them (on S3, a request per file). Naming
    /// them inside the transaction then finds them written.
    pub async fn keep_files(&self, mail: &ParsedMail) -> StoreResult<()> {
        self.files
            .put(&rapport_mail::sha256_hex(&mail.raw), &mail.raw)
            .await?;
        if let Ok(email) = &mail.parsed {
            for attachment in &email.attachments {
                self.files
                    .put(
                        &rapport_mail::sha256_hex(&attachment.data),
                        &attachment.data,
                    )
                    .await?;
            }
        }
        Ok(())
    }

    /// Ingests one raw mail. Returns what became of it; an error means nothing was committed
    /// and the sender should try again later.
    pub async fn ingest_email(
        &self,
        raw: &[u8],
        mailbox: Option<&str>,
        max_bytes: usize,
    ) -> StoreResult<Ingested> {
        self.ingest_one(&ParsedMail::read(
            raw.to_vec(),
            mailbox.map(str::to_owned),
            max_bytes,
        ))
        .await
    }

    /// Ingests one mail read beforehand (see [`ParsedMail::too_large`] for one refused for its
    /// size).
    pub async fn ingest_one(&self, mail: &ParsedMail) -> StoreResult<Ingested> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        match self.ingest_in(&mut tx, &now, mail, Intake::Live).await {
            Ok(ingested) => {
                tx.commit().await?;
                Ok(ingested)
            }
            // The same mail delivered twice at once on PostgreSQL: the other delivery won.
            Err(error) if error.is_unique_violation() => {
                tx.rollback().await?;
                let mut tx = self.pool().begin().await?;
                let existing = already_ingested(&mut tx, &mail.key).await?;
                tx.commit().await?;
                existing.ok_or(error)
            }
            Err(error) => Err(error),
        }
    }

    /// Ingests several mails in one transaction, so that concurrent deliveries share one
    /// commit (and one disk sync). Each mail gets its own result. If the batch fails as a
    /// whole, each mail is tried again on its own, so one bad mail cannot sink the others.
    pub async fn ingest_emails(&self, mails: &[ParsedMail]) -> Vec<StoreResult<Ingested>> {
        let together = async {
            let now = self.now();
            let mut tx = self.begin_write().await?;
            let mut results = Vec::with_capacity(mails.len());
            for mail in mails {
                results.push(self.ingest_in(&mut tx, &now, mail, Intake::Live).await?);
            }
            tx.commit().await?;
            Ok::<_, StoreError>(results)
        };
        match together.await {
            Ok(results) => results.into_iter().map(Ok).collect(),
            // No mail can be stored now; trying each would only make each wait again.
            Err(error) if error.is_unavailable() => {
                let reason = error.to_string();
                mails
                    .iter()
                    .map(|_| Err(StoreError::Unavailable(reason.clone())))
                    .collect()
            }
            Err(error) => {
                tracing::warn!(%error, mails = mails.len(), "a batch of mail failed; storing each on its own");
                let mut results = Vec::with_capacity(mails.len());
                for mail in mails {
                    results.push(self.ingest_one(mail).await);
                }
                results
            }
        }
    }

    /// Imports mail from an archive (mbox, Maildir) in one transaction: each mail threaded and
    /// stored as live mail is, at the time it was written, as history: nothing is scheduled or
    /// sent, nobody is notified. A mail already here (by its key) is a duplicate, so an import
    /// run again adds nothing. If the batch fails as a whole, each mail is tried on its own.
    pub async fn import_emails(&self, mails: &[ParsedMail]) -> Vec<StoreResult<MailImported>> {
        let together = crate::jobs::writing_history(async {
            let mut tx = self.begin_write().await?;
            let mut results = Vec::with_capacity(mails.len());
            for mail in mails {
                results.push(self.import_in(&mut tx, mail).await?);
            }
            tx.commit().await?;
            Ok::<_, StoreError>(results)
        })
        .await;
        match together {
            Ok(results) => results.into_iter().map(Ok).collect(),
            Err(error) if error.is_unavailable() => {
                let reason = error.to_string();
                mails
                    .iter()
                    .map(|_| Err(StoreError::Unavailable(reason.clone())))
                    .collect()
            }
            Err(error) if mails.len() == 1 => vec![Err(error)],
            Err(_) => {
                let mut results = Vec::with_capacity(mails.len());
                for mail in mails {
                    let one = crate::jobs::writing_history(async {
                        let mut tx = self.begin_write().await?;
                        let imported = self.import_in(&mut tx, mail).await?;
                        tx.commit().await?;
                        Ok::<_, StoreError>(imported)
                    })
                    .await;
                    results.push(one);
                }
                results
            }
        }
    }

    async fn import_in(&self, tx: &mut Tx, mail: &ParsedMail) -> StoreResult<MailImported> {
        let now = mail.written_at(&self.now());
        let sender = mail
            .parsed
            .as_ref()
            .ok()
            .and_then(|email| email.from.as_ref().or(email.reply_to.as_ref()))
            .and_then(|from| validate::email(&from.address).ok());
        let known = match &sender {
            Some(address) => crate::customers::customer_id_by_email(tx, address)
                .await?
                .is_some(),
            None => true,
        };
        let ingested = self.ingest_in(tx, &now, mail, Intake::History).await?;
        let stored = !ingested.duplicate && ingested.message_id.is_some();
        let customer_created = stored
            && !known
            && matches!(ingested.outcome, Outcome::NewTicket | Outcome::Reply)
            && match &sender {
                Some(address) => crate::customers::customer_id_by_email(tx, address)
                    .await?
                    .is_some(),
                None => false,
            };
        let attachments = match (&mail.parsed, stored, ingested.outcome) {
            (Ok(email), true, Outcome::NewTicket | Outcome::Reply) => email.attachments.len(),
            _ => 0,
        };
        Ok(MailImported {
            ingested,
            customer_created,
            attachments,
        })
    }

    async fn ingest_in(
        &self,
        tx: &mut Tx,
        now: &str,
        mail: &ParsedMail,
        intake: Intake,
    ) -> StoreResult<Ingested> {
        if let Some(existing) = already_ingested(tx, &mail.key).await? {
            return Ok(existing);
        }
        match &mail.parsed {
            Err(reason) => {
                let record = Record {
                    key: &mail.key,
                    mailbox: mail.mailbox.as_deref(),
                    raw: &mail.raw,
                    size: mail.size,
                    outcome: Outcome::Rejected,
                    reason: Some(reason.clone()),
                    ticket_id: None,
                    message_id: None,
                    sender: None,
                    subject: None,
                    related_ticket_id: None,
                };
                record_inbound(tx, &self.files, now, record).await
            }
            Ok(email) => {
                self.ingest_parsed(
                    tx,
                    now,
                    &mail.key,
                    mail.mailbox.as_deref(),
                    &mail.raw,
                    email,
                    intake,
                )
                .await
            }
        }
    }

    #[expect(
        clippy::too_many_arguments,
        reason = "one mail's parts as the two ways in share them"
    )]
    async fn ingest_parsed(
        &self,
        tx: &mut Tx,
        now: &str,
        key: &str,
        mailbox: Option<&str>,
        raw: &[u8],
        email: &Email,
        intake: Intake,
    ) -> StoreResult<Ingested> {
        // The ticket a filtered mail seems to answer (a refused one without a sender too), so
        // that an answer to a restricted team's ticket stays with the team.
        let related_ticket_id = match email.kind {
            Kind::Personal if email.from.is_some() => None,
            _ => related_ticket(tx, email).await?,
        };
        let sender = email.from.as_ref().map(|from| from.address.as_str());
        let record = |outcome, reason: Option<String>, ticket_id, message_id| Record {
            key,
            mailbox,
            raw,
            size: raw.len(),
            outcome,
            reason,
            ticket_id,
            message_id,
            sender,
            subject: Some(email.subject.as_str()),
            related_ticket_id,
        };
        let filtered = match email.kind {
            Kind::AutoReply => Some((Outcome::AutoReply, IntakeNote::AutoReply, None)),
            Kind::Bulk => Some((Outcome::Bulk, IntakeNote::Bulk, None)),
            Kind::Bounce => {
                let bounced = mark_bounced(tx, email).await?;
                Some((Outcome::Bounce, IntakeNote::Bounce(bounced), bounced))
            }
            Kind::Personal if email.from.is_none() => {
                Some((Outcome::Rejected, IntakeNote::NoSender, None))
            }
            Kind::Personal => None,
        };
        if let Some((outcome, note, message_id)) = filtered {
            return record_inbound(
                tx,
                &self.files,
                now,
                record(outcome, Some(note.to_string()), None, message_id),
            )
            .await;
        }
        // In an archive, our own agents' mail is their reply on the ticket it answers.
        if let (Intake::History, Some(from)) = (intake, email.from.as_ref()) {
            let agent: Option<i64> =
                sqlx::query_scalar("SELECT id FROM agents WHERE lower(email) = $1")
                    .bind(from.address.to_lowercase())
                    .fetch_optional(&mut **tx)
                    .await?;
            if let Some(agent_id) = agent {
                let Some(ticket_id) = related_ticket_id.or(related_ticket(tx, email).await?) else {
                    let note = IntakeNote::AgentMailOnNoTicket.to_string();
                    return record_inbound(
                        tx,
                        &self.files,
                        now,
                        record(Outcome::Rejected, Some(note), None, None),
                    )
                    .await;
                };
                let message = self
                    .import_agent_mail(tx, now, email, ticket_id, agent_id)
                    .await?;
                return record_inbound(
                    tx,
                    &self.files,
                    now,
                    record(Outcome::Reply, None, Some(ticket_id), Some(message)),
                )
                .await;
            }
        }
        let (outcome, message) = self
            .open_from_email(tx, now, email, Destination::Threaded, intake)
            .await?;
        record_inbound(
            tx,
            &self.files,
            now,
            record(outcome, None, Some(message.ticket_id), Some(message.id)),
        )
        .await
    }

    /// A customer's mail into the conversation: its customer (created if new), a new ticket or
    /// a message on the ticket it answers, its text, HTML, copies and files, what the reader
    /// mended, and what follows (a letter to management, a request for a manager). Refused
    /// with [`StoreError::Invalid`] when no sender could be read.
    pub(crate) async fn open_from_email(
        &self,
        tx: &mut Tx,
        now: &str,
        email: &Email,
        destination: Destination,
        intake: Intake,
    ) -> StoreResult<(Outcome, rapport_domain::Message)> {
        let Some(from) = email.from.as_ref() else {
            return Err(StoreError::Invalid(rapport_domain::Invalid::new(
                "customer_email",
                "No sender address could be found in this mail; say whose mail it is.",
            )));
        };
        // The reader recovered the address leniently; what it mended is noted below.
        let address = from.address.clone();
        let customer_id = match crate::customers::customer_id_by_email(tx, &address).await? {
            Some(id) => id,
            None => {
                let name = from
                    .name
                    .as_deref()
                    .and_then(|n| validate::line("name", n, validate::MAX_NAME_CHARS).ok())
                    .unwrap_or_else(|| address.split('@').next().unwrap_or_default().to_owned());
                crate::customers::insert_customer(tx, now, &name, &address, Actor::System).await?
            }
        };
        let body = if email.text.trim().is_empty() {
            wording::empty_body(!email.attachments.is_empty()).to_owned()
        } else {
            email.text.replace('\0', "")
        };
        let body: String = body.chars().take(validate::MAX_BODY_BYTES / 4).collect();

        let target = match destination {
            Destination::Threaded => thread(tx, email, customer_id).await?,
            Destination::NewTicket => None,
            Destination::Ticket(id) => Some(id),
        };
        let (outcome, message) = match target {
            Some(ticket_id) => {
                let message = add_message_in(
                    tx,
                    now,
                    ticket_id,
                    Actor::Customer(customer_id),
                    Channel::Email,
                    Visibility::Public,
                    &body,
                )
                .await?;
                (Outcome::Reply, message)
            }
            None => {
                let subject = validate::line(
                    "subject",
                    &email.subject.replace(['\r', '\n', '\t', '\0'], " "),
                    validate::MAX_SUBJECT_CHARS,
                )
                .unwrap_or_else(|_| {
                    let cut: String = email
                        .subject
                        .chars()
                        .filter(|c| !c.is_control())
                        .take(validate::MAX_SUBJECT_CHARS)
                        .collect();
                    if cut.trim().is_empty() {
                        "(no subject)".to_owned()
                    } else {
                        cut.trim().to_owned()
                    }
                });
                let new = NewTicket {
                    subject: &subject,
                    body: &body,
                    customer: CustomerRef::Id(customer_id),
                    channel: Channel::Email,
                    priority: Priority::Normal,
                    tags: &[],
                };
                let (_, mut messages) =
                    create_ticket_in(tx, now, new, Actor::Customer(customer_id)).await?;
                (Outcome::NewTicket, messages.remove(0))
            }
        };
        // Mail to the management address is a letter to management too.
        let management =
            crate::settings::setting_in(tx, crate::letters::MANAGEMENT_ADDRESS_SETTING).await?;
        let to_management = management
            .filter(|address| !address.trim().is_empty())
            .is_some_and(|address| {
                email
                    .to
                    .iter()
                    .chain(&email.cc)
                    .any(|m| m.address.eq_ignore_ascii_case(address.trim()))
            });
        // A customer's words in an old mail ask no manager and write no letter today.
        if to_management && intake == Intake::Live {
            crate::escalations::write_letter_in(
                tx,
                now,
                customer_id,
                Some(message.ticket_id),
                &Some(rapport_domain::wording::one_line(
                    &email.subject,
                    validate::MAX_SUBJECT_CHARS,
                ))
                .filter(|subject| !subject.trim().is_empty())
                .unwrap_or_else(|| "A letter to management".to_owned()),
                &body,
            )
            .await?;
        }
        // A customer who writes that they want a manager gets one, as in the portal.
        let wants_manager = message.insight.as_ref().is_some_and(|insight| {
            insight
                .intents
                .contains(&rapport_coach::Intent::WantsManager)
        });
        if wants_manager && intake == Intake::Live {
            crate::escalations::escalate_in(
                tx,
                now,
                message.ticket_id,
                rapport_domain::escalation::EscalationSource::Email,
                &rapport_domain::wording::one_line(&body, 300),
                Actor::Customer(customer_id),
            )
            .await?;
        }
        self.keep_mail_parts(tx, now, email, &address, message.id)
            .await?;
        Ok((outcome, message))
    }

    /// An agent's mail found in an imported archive: their public reply on the ticket it
    /// answers (sent long ago, so nothing is queued). Returns the message's id.
    async fn import_agent_mail(
        &self,
        tx: &mut Tx,
        now: &str,
        email: &Email,
        ticket_id: i64,
        agent_id: i64,
    ) -> StoreResult<i64> {
        let body = if email.text.trim().is_empty() {
            wording::empty_body(!email.attachments.is_empty()).to_owned()
        } else {
            email.text.replace('\0', "")
        };
        let body: String = body.chars().take(validate::MAX_BODY_BYTES / 4).collect();
        let message = add_message_in(
            tx,
            now,
            ticket_id,
            Actor::Agent(agent_id),
            Channel::Email,
            Visibility::Public,
            &body,
        )
        .await?;
        let address = email
            .from
            .as_ref()
            .map(|from| from.address.clone())
            .unwrap_or_default();
        self.keep_mail_parts(tx, now, email, &address, message.id)
            .await?;
        Ok(message.id)
    }

    /// A mail's headers, quoted history, HTML, what the reader mended and its attachments, on
    /// the message it became.
    async fn keep_mail_parts(
        &self,
        tx: &mut Tx,
        now: &str,
        email: &Email,
        address: &str,
        message_id: i64,
    ) -> StoreResult<()> {
        let cc: Vec<&str> = email.cc.iter().map(|m| m.address.as_str()).collect();
        let to: Vec<&str> = email.to.iter().map(|m| m.address.as_str()).collect();
        sqlx::query(
            "UPDATE messages SET email_message_id = $1, email_from = $2, email_to = $3, email_cc = $4, quoted_text = $5, \
             body_html = COALESCE($6, body_html), intake_note = $8 WHERE id = $7",
        )
        .bind(email.message_id.as_deref())
        .bind(address)
        .bind(json!(to).to_string())
        .bind(json!(cc).to_string())
        .bind(Some(email.quoted.as_str()).filter(|q| !q.is_empty()))
        .bind(email.html.as_deref())
        .bind(message_id)
        .bind(mail_notes(email))
        .execute(&mut **tx)
        .await?;
        for attachment in &email.attachments {
            attach(
                tx,
                &self.files,
                now,
                message_id,
                Attached {
                    filename: &attachment.filename,
                    content_type: &attachment.content_type,
                    data: &attachment.data,
                    inline: attachment.inline,
                },
            )
            .await?;
        }
        Ok(())
    }

    /// Inbound mail, newest first, optionally only of one outcome (admins look at `rejected`).
    pub async fn inbound_emails(
        &self,
        outcome: Option<&str>,
        limit: i64,
    ) -> StoreResult<Vec<InboundEmail>> {
        let rows = sqlx::query(
            "SELECT id, received_at, mailbox, size, outcome, reason, ticket_id, message_id FROM inbound_emails \
             WHERE ($1 IS NULL OR outcome = $1) ORDER BY id DESC LIMIT $2",
        )
        .bind(outcome)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(InboundEmail {
                    id: int(row, "id")?,
                    received_at: text(row, "received_at")?,
                    mailbox: opt_text(row, "mailbox")?,
                    size: int(row, "size")?,
                    outcome: Outcome::parse(&text(row, "outcome")?),
                    reason: opt_text(row, "reason")?,
                    ticket_id: opt_int(row, "ticket_id")?,
                    message_id: opt_int(row, "message_id")?,
                })
            })
            .collect()
    }

    /// The raw bytes of an inbound mail, as received, as a stream from the file store.
    pub async fn inbound_raw(&self, id: i64) -> StoreResult<crate::files::FileStream> {
        let sha256: Option<String> =
            sqlx::query_scalar("SELECT raw_sha256 FROM inbound_emails WHERE id = $1")
                .bind(id)
                .fetch_optional(self.pool())
                .await?;
        let sha256 = sha256.ok_or_else(|| StoreError::not_found("inbound email", id))?;
        self.blob_stream(&sha256).await
    }
}

/// Where a customer's mail goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Destination {
    /// As intake threads it: the ticket it answers, else a new one.
    Threaded,
    NewTicket,
    Ticket(i64),
}

/// What the reader mended or guessed, in sentences for the agent; `None` when nothing.
fn mail_notes(email: &Email) -> Option<String> {
    use rapport_domain::wording::mail::MailNote;
    use rapport_mail::ReadNote;
    let notes: Vec<String> = email
        .notes
        .iter()
        .map(|note| {
            match note {
                ReadNote::SenderMended { written, read } => {
                    MailNote::SenderMended { written, read }
                }
                ReadNote::SenderDomainWithoutDot(address) => {
                    MailNote::SenderDomainWithoutDot(address)
                }
                ReadNote::SenderSkipped(written) => MailNote::SenderSkipped(written),
                ReadNote::SenderFromHeader(header) => MailNote::SenderFromHeader(header),
                ReadNote::HeaderCharset { charset, guessed } => MailNote::HeaderCharset {
                    charset,
                    guessed: *guessed,
                },
            }
            .to_string()
        })
        .collect();
    (!notes.is_empty()).then(|| notes.join(" "))
}

/// The ticket a mail answers by its threading headers: a stored Message-ID in In-Reply-To or
/// References, whoever sent it.
async fn related_ticket(tx: &mut Tx, email: &Email) -> StoreResult<Option<i64>> {
    for id in email
        .in_reply_to
        .iter()
        .chain(email.references.iter().rev())
    {
        let ticket: Option<i64> = sqlx::query_scalar(
            "SELECT ticket_id FROM messages WHERE email_message_id = $1 ORDER BY id DESC LIMIT 1",
        )
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?;
        if ticket.is_some() {
            return Ok(ticket);
        }
    }
    Ok(None)
}

/// The ticket a mail belongs to: a stored Message-ID in In-Reply-To or References first, then
/// a ticket token in a recipient address or the subject (only for that ticket's customer, so a
/// stranger cannot write into someone else's case), else none: a new ticket.
async fn thread(tx: &mut Tx, email: &Email, customer_id: i64) -> StoreResult<Option<i64>> {
    if let Some(ticket) = related_ticket(tx, email).await? {
        return Ok(Some(ticket));
    }
    let recipients: Vec<rapport_mail::Mailbox> =
        email.to.iter().chain(email.cc.iter()).cloned().collect();
    if let Some(ticket_id) = rapport_mail::ticket_token(&recipients, &email.subject) {
        let owner: Option<i64> =
            sqlx::query_scalar("SELECT customer_id FROM tickets WHERE id = $1")
                .bind(ticket_id)
                .fetch_optional(&mut **tx)
                .await?;
        if owner == Some(customer_id) {
            return Ok(Some(ticket_id));
        }
    }
    Ok(None)
}

/// Records a bounce on the message of ours it reports, if it names one.
async fn mark_bounced(tx: &mut Tx, email: &Email) -> StoreResult<Option<i64>> {
    for id in email.bounced_ids.iter().chain(email.in_reply_to.iter()) {
        let message: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM messages WHERE email_message_id = $1 AND author_kind <> $2 ORDER BY id DESC LIMIT 1",
        )
        .bind(id)
        .bind(AuthorKind::Customer.as_str())
        .fetch_optional(&mut **tx)
        .await?;
        if let Some(message) = message {
            let detail = wording::bounced_detail(&email.subject);
            sqlx::query("UPDATE messages SET delivery = $3, delivery_detail = $1 WHERE id = $2")
                .bind(detail)
                .bind(message)
                .bind(Delivery::Bounced.as_str())
                .execute(&mut **tx)
                .await?;
            return Ok(Some(message));
        }
    }
    Ok(None)
}

//! The customer portal's side of the store: sign-in by a single-use link sent by email,
//! customer sessions, and which tickets a customer may see (their own, and their
//! organization's where the admin allows it).

use crate::conversation::create_ticket_in;
use crate::customers::load as load_customer;
use crate::rows::{int, text};
use crate::tickets::{CustomerRef, NewTicket};
use crate::{Store, StoreError, StoreResult, events, secrets};
use rapport_domain::ticket::WordsSay;
use rapport_domain::timings::PORTAL_LINK_MINUTES;
use rapport_domain::wording::{self, Mail};
use rapport_domain::{
    Actor, Channel, Customer, Message, Priority, Ticket, Visibility, redirect, validate,
};
use serde_json::json;

/// At most [`MAX_LINKS_PER_WINDOW`] sign-in links are mailed to one customer within this long.
/// (How long each link works is the workspace timing `portal_link_minutes`.)
const LINK_WINDOW_SECONDS: i64 = 30 * 60;
const MAX_LINKS_PER_WINDOW: i64 = 3;
/// A customer session lasts this long without use.
pub const CUSTOMER_SESSION_IDLE_SECONDS: i64 = 7 * 24 * 60 * 60;
/// However busy, a portal session ends this long after signing in: a link mailed once must
/// not open the portal forever on a shared or lost device.
pub const CUSTOMER_SESSION_MAX_SECONDS: i64 = 30 * 24 * 60 * 60;

impl Store {
    /// Sends a sign-in link to a known customer address. Says nothing about whether the
    /// address is known (returns `Ok(false)` when it is not, or when three links went to it in
    /// the last half hour), so the form can neither find out who our customers are nor flood
    /// their mailboxes.
    ///
    /// `next` is a portal path to open after signing in (the request the customer was
    /// trying to reach).
    pub async fn send_portal_link(&self, email: &str, next: Option<&str>) -> StoreResult<bool> {
        let email = validate::email(email)?;
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let Some(customer_id) = crate::customers::customer_id_by_email(&mut tx, &email).await?
        else {
            return Ok(false);
        };
        // A form anyone can post must not become a way to flood someone's mailbox; the lock
        // keeps many requests at once from all counting the same links.
        self.lock_row(&mut tx, crate::Locked::Customer, customer_id)
            .await?;
        let recent: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM portal_links WHERE customer_id = $1 AND created_at > $2",
        )
        .bind(customer_id)
        .bind(self.from_now(-LINK_WINDOW_SECONDS))
        .fetch_one(&mut *tx)
        .await?;
        if recent >= MAX_LINKS_PER_WINDOW {
            return Ok(false);
        }
        let customer = load_customer(&mut tx, customer_id).await?;
        let lifetime = crate::settings::timing_in(&mut tx, PORTAL_LINK_MINUTES).await?;
        let token = insert_link(&mut tx, &now, customer_id, &self.from_now(lifetime * 60)).await?;
        let first = wording::first_name(Some(&customer.name));
        // Checked again here: the target goes into the link as it is.
        let next = match redirect::after_portal_sign_in(next) {
            redirect::PORTAL_HOME => String::new(),
            path => format!("?next={path}"),
        };
        let link = format!("{}/portal/link/{token}{next}", self.public_url());
        let text = wording::mail::SignInLink {
            first_name: &first,
            link: &link,
            minutes: lifetime,
        }
        .text();
        let subject = wording::mail::SIGN_IN_LINK_SUBJECT;
        crate::mail_outbox::queue_notice(&mut tx, &now, &email, subject, &text).await?;
        events::record(
            &mut tx,
            &now,
            Actor::Customer(customer_id),
            "customer",
            customer_id,
            "portal.link_sent",
            json!({}),
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// A sign-in link for a customer, made by an admin (`rapport admin portal-link`) to hand
    /// over in person or to try the portal without mail; it works once, for 30 minutes.
    pub async fn portal_link_for(&self, email: &str) -> StoreResult<String> {
        let email = validate::email(email)?;
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let customer_id = crate::customers::customer_id_by_email(&mut tx, &email)
            .await?
            .ok_or_else(|| StoreError::not_found("customer", &email))?;
        let lifetime = crate::settings::timing_in(&mut tx, PORTAL_LINK_MINUTES).await?;
        let token = insert_link(&mut tx, &now, customer_id, &self.from_now(lifetime * 60)).await?;
        tx.commit().await?;
        Ok(format!("{}/portal/link/{token}", self.public_url()))
    }

    /// Uses a sign-in link: starts a customer session and returns its secret (for the cookie)
    /// and the customer. A link works once and only until it expires.
    pub async fn redeem_portal_link(&self, token: &str) -> StoreResult<(String, i64)> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        // Claimed in one conditional update, so that of many uses at once exactly one finds
        // the link unused; the others find it used.
        let claimed: Option<i64> = sqlx::query_scalar(
            "UPDATE portal_links SET used_at = $1 \
             WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1 RETURNING customer_id",
        )
        .bind(&now)
        .bind(secrets::digest(token))
        .fetch_optional(&mut *tx)
        .await?;
        let Some(customer_id) = claimed else {
            return Err(why_unusable(&mut tx, token).await?);
        };
        let session = secrets::generate("");
        sqlx::query(
            "INSERT INTO customer_sessions (id_hash, customer_id, created_at, last_seen_at, expires_at) VALUES ($1, $2, $3, $3, $4)",
        )
        .bind(secrets::digest(&session))
        .bind(customer_id)
        .bind(&now)
        .bind(self.from_now(CUSTOMER_SESSION_IDLE_SECONDS))
        .execute(&mut *tx)
        .await?;
        events::record(
            &mut tx,
            &now,
            Actor::Customer(customer_id),
            "customer",
            customer_id,
            "portal.signed_in",
            json!({}),
        )
        .await?;
        tx.commit().await?;
        Ok((session, customer_id))
    }

    /// The customer of a live portal session; `None` when unknown or expired.
    pub async fn customer_for_session(&self, session: &str) -> StoreResult<Option<Customer>> {
        let digest = secrets::digest(session);
        let row = sqlx::query(
            "SELECT customer_id, last_seen_at FROM customer_sessions WHERE id_hash = $1 AND expires_at > $2 AND created_at > $3",
        )
        .bind(&digest)
        .bind(self.now())
        .bind(self.from_now(-CUSTOMER_SESSION_MAX_SECONDS))
        .fetch_optional(self.pool())
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        if text(&row, "last_seen_at")? < self.from_now(-60) {
            sqlx::query(
                "UPDATE customer_sessions SET last_seen_at = $1, expires_at = $2 WHERE id_hash = $3",
            )
            .bind(self.now())
            .bind(self.from_now(CUSTOMER_SESSION_IDLE_SECONDS))
            .bind(&digest)
            .execute(self.pool())
            .await?;
        }
        let mut customer = self.customer(int(&row, "customer_id")?).await?;
        // A customer merged into another since signing in now sees as the one they became.
        if let Some(survivor) = customer.merged_into {
            customer = self.customer(survivor).await?;
        }
        Ok(Some(customer))
    }

    pub async fn end_customer_session(&self, session: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM customer_sessions WHERE id_hash = $1")
            .bind(secrets::digest(session))
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// The tickets a customer sees in the portal, newest first: their own, plus their
    /// organization's when the organization shares tickets.
    pub async fn portal_tickets(&self, customer: &Customer) -> StoreResult<Vec<Ticket>> {
        let ids: Vec<i64> = sqlx::query_scalar(
            "SELECT t.id FROM tickets t WHERE t.customer_id = $1 \
             OR (t.organization_id = $2 AND EXISTS (SELECT 1 FROM organizations o WHERE o.id = t.organization_id AND o.portal_shared = 1)) \
             ORDER BY t.id DESC LIMIT 200",
        )
        .bind(customer.id)
        .bind(customer.organization_id.unwrap_or(-1))
        .fetch_all(self.pool())
        .await?;
        crate::tickets::tickets_by_ids(self.pool(), &ids).await
    }

    /// A ticket the customer may see, or not found (the same answer whether it exists or
    /// not, so ids cannot be probed).
    pub async fn portal_ticket(&self, customer: &Customer, ticket_id: i64) -> StoreResult<Ticket> {
        let not_found = || StoreError::not_found("ticket", ticket_id);
        let ticket = self.ticket(ticket_id).await.map_err(|_| not_found())?;
        if ticket.customer_id == customer.id {
            return Ok(ticket);
        }
        let shared: Option<i64> =
            sqlx::query_scalar("SELECT portal_shared FROM organizations WHERE id = $1")
                .bind(ticket.organization_id.unwrap_or(-1))
                .fetch_optional(self.pool())
                .await?;
        let same_org =
            ticket.organization_id.is_some() && ticket.organization_id == customer.organization_id;
        if same_org && shared == Some(1) {
            return Ok(ticket);
        }
        Err(not_found())
    }

    /// Lets the customers of an organization see each other's tickets in the portal.
    pub async fn set_portal_shared(
        &self,
        organization_id: i64,
        shared: bool,
        actor: Actor,
    ) -> StoreResult<()> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let done = sqlx::query("UPDATE organizations SET portal_shared = $1 WHERE id = $2")
            .bind(i64::from(shared))
            .bind(organization_id)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::not_found("organization", organization_id));
        }
        events::record(
            &mut tx,
            &now,
            actor,
            "organization",
            organization_id,
            "organization.portal_sharing",
            json!({ "portal_shared": shared }),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// A customer opens a ticket in the portal, with files.
    pub async fn open_portal_ticket(
        &self,
        customer_id: i64,
        subject: &str,
        body: &str,
        files: &[UploadedFile],
    ) -> StoreResult<Ticket> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let (ticket, messages) = create_ticket_in(
            &mut tx,
            &now,
            NewTicket {
                subject,
                body,
                customer: CustomerRef::Id(customer_id),
                channel: Channel::Portal,
                priority: Priority::Normal,
                tags: &[],
            },
            Actor::Customer(customer_id),
        )
        .await?;
        if let Some(message) = messages.first() {
            attach_all(&mut tx, &self.files, &now, message.id, files).await?;
        }
        tx.commit().await?;
        Ok(ticket)
    }

    /// A customer replies in the portal, with files. While a resolution is proposed, their
    /// words answer it when they are clear (see [`crate::customer_answers`]); what they said
    /// about it comes back with the message (`None` when nothing was proposed).
    pub async fn add_portal_reply(
        &self,
        ticket_id: i64,
        customer_id: i64,
        body: &str,
        files: &[UploadedFile],
    ) -> StoreResult<(Message, Option<WordsSay>)> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let (message, said) = crate::customer_answers::portal_words_in(
            self,
            &mut tx,
            &now,
            ticket_id,
            customer_id,
            body,
        )
        .await?;
        attach_all(&mut tx, &self.files, &now, message.id, files).await?;
        tx.commit().await?;
        Ok((message, said))
    }
}

async fn insert_link(
    tx: &mut crate::Tx,
    now: &str,
    customer_id: i64,
    expires_at: &str,
) -> StoreResult<String> {
    let token = secrets::generate("");
    sqlx::query(
        "INSERT INTO portal_links (token_hash, customer_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(secrets::digest(&token))
    .bind(customer_id)
    .bind(now)
    .bind(expires_at)
    .execute(&mut **tx)
    .await?;
    Ok(token)
}

/// A file sent with a form: a customer's on the portal, an agent's with a reply or a note.
pub struct UploadedFile {
    pub filename: String,
    pub content_type: String,
    pub data: Vec<u8>,
}

/// Attaches every file to a message, inside the caller's transaction.
pub(crate) async fn attach_all(
    tx: &mut crate::Tx,
    store: &crate::files::Files,
    now: &str,
    message_id: i64,
    files: &[UploadedFile],
) -> StoreResult<()> {
    for file in files {
        crate::mail_intake::attach(
            tx,
            store,
            now,
            message_id,
            crate::mail_intake::Attached {
                filename: &file.filename,
                content_type: &file.content_type,
                data: &file.data,
                inline: false,
            },
        )
        .await?;
    }
    Ok(())
}

impl Store {
    /// The ticket an attachment belongs to, and whether the customer can see it (it is on a
    /// public message).
    pub async fn attachment_place(&self, attachment_id: i64) -> StoreResult<(i64, bool)> {
        let row = sqlx::query(
            "SELECT m.ticket_id, m.visibility FROM attachments a JOIN messages m ON m.id = a.message_id WHERE a.id = $1",
        )
        .bind(attachment_id)
        .fetch_optional(self.pool())
        .await?
        .ok_or_else(|| StoreError::not_found("attachment", attachment_id))?;
        Ok((
            int(&row, "ticket_id")?,
            text(&row, "visibility")? == Visibility::Public.as_str(),
        ))
    }
}

/// Why a sign-in link could not be claimed: unknown, used or expired.
async fn why_unusable(tx: &mut crate::Tx, token: &str) -> StoreResult<StoreError> {
    let used: Option<Option<String>> =
        sqlx::query_scalar("SELECT used_at FROM portal_links WHERE token_hash = $1")
            .bind(secrets::digest(token))
            .fetch_optional(&mut **tx)
            .await?;
    Ok(match used {
        None => StoreError::not_found("sign-in link", "given"),
        Some(Some(_)) => StoreError::Conflict {
            code: "link_used",
            message: "This sign-in link has already been used. Ask for a new one below.".into(),
        },
        Some(None) => StoreError::Conflict {
            code: "link_expired",
            message: "This sign-in link has expired. Ask for a new one below.".into(),
        },
    })
}

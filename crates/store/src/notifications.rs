//! Agents' notifications: written by [`notify`] inside the transaction of the change that
//! causes them (an assignment, a customer's message, a promise's reminder, a request for a
//! manager), so none is lost in a crash and every node reads the same ones. A notification
//! goes to the page (a row here) and by mail (a job, mailed by the worker with a link to the
//! ticket) as the agent chose per kind; [`rapport_domain::notification`] holds the defaults
//! and the rule that nobody is told of their own doing.
//!
//! Reading them applies the restricted-team rule of the inbox: a notification about a ticket
//! the agent can no longer see is listed without its text.

use crate::events;
use crate::rows::{int, named, opt_text, text};
use crate::{Store, StoreError, StoreResult, Tx, jobs};
use rapport_domain::notification::{self as rules, Channels, NotificationKind};
use rapport_domain::wording::Mail;
use rapport_domain::wording::notifications as wording;
use rapport_domain::{Actor, Agent, Job};
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;

/// A notification as its agent reads it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Notification {
    pub id: i64,
    pub kind: NotificationKind,
    pub ticket_id: i64,
    /// What happened, in words; `null` when the ticket has moved where the agent cannot see it.
    pub text: Option<String>,
    /// The ticket's subject as it is now; `null` as `text` is.
    pub ticket_subject: Option<String>,
    pub created_at: String,
    /// When the agent marked it read; `null` while unread.
    pub read_at: Option<String>,
}

/// One page of an agent's notifications, newest first.
pub struct NotificationPage {
    pub items: Vec<Notification>,
    /// The id the next page starts below; `None` on the last page.
    pub next_before_id: Option<i64>,
}

/// Tells `agent_id` of a change `actor` made to a ticket, inside the change's transaction:
/// in the page and by mail as the agent chose for `kind`. Nothing for the agent's own doing,
/// nor for an agent who has left.
pub(crate) async fn notify(
    tx: &mut Tx,
    now: &str,
    actor: Actor,
    agent_id: i64,
    kind: NotificationKind,
    ticket_id: i64,
    text: &str,
) -> StoreResult<()> {
    if !rules::tells(agent_id, actor) || jobs::is_writing_history() {
        return Ok(());
    }
    let active: Option<Option<String>> =
        sqlx::query_scalar("SELECT deactivated_at FROM agents WHERE id = $1")
            .bind(agent_id)
            .fetch_optional(&mut **tx)
            .await?;
    if !matches!(active, Some(None)) {
        return Ok(());
    }
    let channels = channels_in(tx, agent_id, kind).await?;
    if channels.in_page {
        sqlx::query(
            "INSERT INTO notifications (agent_id, kind, ticket_id, text, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(agent_id)
        .bind(kind.as_str())
        .bind(ticket_id)
        .bind(text)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    }
    if channels.by_mail {
        let job = Job::MailNotification {
            agent_id,
            ticket_id,
            text: text.to_owned(),
        };
        jobs::enqueue(tx, now, &job, now).await?;
    }
    Ok(())
}

/// The customer wrote on a ticket (by mail, in the portal, or answering "did this fix it?"):
/// its assignee, if any, hears of it.
pub(crate) async fn customer_replied(
    tx: &mut Tx,
    now: &str,
    customer: Actor,
    ticket_id: i64,
    channel: rapport_domain::Channel,
) -> StoreResult<()> {
    let assignee: Option<i64> = sqlx::query_scalar("SELECT assignee_id FROM tickets WHERE id = $1")
        .bind(ticket_id)
        .fetch_optional(&mut **tx)
        .await?
        .flatten();
    let Some(assignee_id) = assignee else {
        return Ok(());
    };
    let text = wording::line(&wording::CustomerReplied {
        ticket_id,
        in_portal: channel == rapport_domain::Channel::Portal,
    });
    notify(
        tx,
        now,
        customer,
        assignee_id,
        NotificationKind::CustomerReplied,
        ticket_id,
        &text,
    )
    .await
}

/// Where `kind` goes for the agent: their choice, else the default.
async fn channels_in(tx: &mut Tx, agent_id: i64, kind: NotificationKind) -> StoreResult<Channels> {
    let row = sqlx::query(
        "SELECT in_page, by_mail FROM notification_settings WHERE agent_id = $1 AND kind = $2",
    )
    .bind(agent_id)
    .bind(kind.as_str())
    .fetch_optional(&mut **tx)
    .await?;
    Ok(match row {
        Some(row) => Channels {
            in_page: int(&row, "in_page")? != 0,
            by_mail: int(&row, "by_mail")? != 0,
        },
        None => kind.default_channels(),
    })
}

/// The worker's step for a notification's mail: queued to the agent with a link to the
/// ticket, unless the agent has left or can no longer see the ticket since.
pub async fn mail(
    store: &Store,
    tx: &mut Tx,
    now: &str,
    agent_id: i64,
    ticket_id: i64,
    text: &str,
) -> StoreResult<()> {
    let row = sqlx::query(&format!(
        "SELECT {}, deactivated_at FROM agents WHERE id = $1",
        crate::agents::COLUMNS
    ))
    .bind(agent_id)
    .fetch_optional(&mut **tx)
    .await?;
    let Some(row) = row else {
        return Ok(());
    };
    if opt_text(&row, "deactivated_at")?.is_some() {
        return Ok(());
    }
    let agent = crate::agents::agent_from(&row)?;
    if !may_see_in(tx, &agent, ticket_id).await? {
        return Ok(());
    }
    let link = format!("{}/tickets/{ticket_id}", store.public_url());
    let account_link = format!("{}/account#notifications", store.public_url());
    let body = wording::NotificationMail {
        first_name: &rapport_domain::wording::first_name(Some(&agent.name)),
        text,
        link: &link,
        account_link: &account_link,
    }
    .text();
    crate::mail_outbox::queue_notice(tx, now, &agent.email, &wording::subject(text), &body).await
}

/// Whether the agent may see the ticket now (the inbox's restricted-team rule).
async fn may_see_in(tx: &mut Tx, agent: &Agent, ticket_id: i64) -> StoreResult<bool> {
    let Some(condition) = crate::inbox::restriction(agent, "$1") else {
        return Ok(true);
    };
    let seen: Option<i64> = sqlx::query_scalar(&format!(
        "SELECT t.id FROM tickets t WHERE t.id = $2 AND {condition}"
    ))
    .bind(agent.id)
    .bind(ticket_id)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(seen.is_some())
}

impl Store {
    /// The agent's notifications, newest first, a page of `limit` below `before_id`; only
    /// the unread ones when asked.
    pub async fn notifications(
        &self,
        agent: &Agent,
        unread_only: bool,
        before_id: Option<i64>,
        limit: u32,
    ) -> StoreResult<NotificationPage> {
        let visible = crate::inbox::visible(agent);
        let unread = if unread_only {
            " AND n.read_at IS NULL"
        } else {
            ""
        };
        let rows = sqlx::query(&format!(
            "SELECT n.id, n.kind, n.ticket_id, n.text, n.created_at, n.read_at, t.subject, \
             CASE WHEN {visible} THEN 1 ELSE 0 END AS visible \
             FROM notifications n JOIN tickets t ON t.id = n.ticket_id \
             WHERE n.agent_id = $1 AND n.id < $2{unread} ORDER BY n.id DESC LIMIT $3"
        ))
        .bind(agent.id)
        .bind(before_id.unwrap_or(i64::MAX))
        .bind(i64::from(limit) + 1)
        .fetch_all(self.pool())
        .await?;
        let mut items = rows
            .iter()
            .map(|row| {
                let visible = int(row, "visible")? != 0;
                Ok(Notification {
                    id: int(row, "id")?,
                    kind: named(row, "kind")?,
                    ticket_id: int(row, "ticket_id")?,
                    text: visible.then(|| text(row, "text")).transpose()?,
                    ticket_subject: visible.then(|| text(row, "subject")).transpose()?,
                    created_at: text(row, "created_at")?,
                    read_at: opt_text(row, "read_at")?,
                })
            })
            .collect::<StoreResult<Vec<_>>>()?;
        let next_before_id = if items.len() > limit as usize {
            items.truncate(limit as usize);
            items.last().map(|n| n.id)
        } else {
            None
        };
        Ok(NotificationPage {
            items,
            next_before_id,
        })
    }

    /// How many of the agent's notifications are unread (the count in the top bar).
    pub async fn unread_notifications(&self, agent_id: i64) -> StoreResult<i64> {
        let count: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM notifications WHERE agent_id = $1 AND read_at IS NULL",
        )
        .bind(agent_id)
        .fetch_one(self.pool())
        .await?;
        Ok(count)
    }

    /// What changes whenever a notification is written or marked read, on any node: the
    /// newest id and the newest read time (each read from its index). Live pages re-read
    /// their counts when it changes.
    pub async fn notifications_version(&self) -> StoreResult<(i64, String)> {
        let row = sqlx::query(
            "SELECT (SELECT MAX(id) FROM notifications) AS id, (SELECT MAX(read_at) FROM notifications) AS read_at",
        )
        .fetch_one(self.pool())
        .await?;
        Ok((
            crate::rows::opt_int(&row, "id")?.unwrap_or(0),
            opt_text(&row, "read_at")?.unwrap_or_default(),
        ))
    }

    /// Marks one of the agent's notifications read (again is fine). Another agent's is not
    /// found, as if it did not exist.
    pub async fn mark_notification_read(&self, agent_id: i64, id: i64) -> StoreResult<()> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let owner: Option<i64> =
            sqlx::query_scalar("SELECT agent_id FROM notifications WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
        if owner != Some(agent_id) {
            return Err(StoreError::not_found("notification", id));
        }
        let marked =
            sqlx::query("UPDATE notifications SET read_at = $1 WHERE id = $2 AND read_at IS NULL")
                .bind(&now)
                .bind(id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
        if marked > 0 {
            events::record(
                &mut tx,
                &now,
                Actor::Agent(agent_id),
                "notification",
                id,
                "notification.read",
                json!({}),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Marks every unread notification of the agent read; returns how many.
    pub async fn mark_all_notifications_read(&self, agent_id: i64) -> StoreResult<u64> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let marked = sqlx::query(
            "UPDATE notifications SET read_at = $1 WHERE agent_id = $2 AND read_at IS NULL",
        )
        .bind(&now)
        .bind(agent_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if marked > 0 {
            events::record(
                &mut tx,
                &now,
                Actor::Agent(agent_id),
                "agent",
                agent_id,
                "notification.all_read",
                json!({ "count": marked }),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(marked)
    }

    /// Where each kind of notification goes for the agent, every kind in order.
    pub async fn notification_settings(
        &self,
        agent_id: i64,
    ) -> StoreResult<Vec<(NotificationKind, Channels)>> {
        let mut tx = self.pool().begin().await?;
        let mut all = Vec::new();
        for kind in NotificationKind::ALL {
            all.push((*kind, channels_in(&mut tx, agent_id, *kind).await?));
        }
        tx.rollback().await?;
        Ok(all)
    }

    /// Changes where kinds of notification go for the agent (`None` leaves that channel as
    /// it is), recording what changed; returns every kind's channels after. Each channel is
    /// written by one upsert, so two changes at once of different channels both hold.
    pub async fn set_notification_settings(
        &self,
        agent_id: i64,
        chosen: &[(NotificationKind, ChannelChoice)],
        actor: Actor,
    ) -> StoreResult<Vec<(NotificationKind, Channels)>> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let mut changes = serde_json::Map::new();
        for (kind, choice) in chosen {
            let before = channels_in(&mut tx, agent_id, *kind).await?;
            let defaults = kind.default_channels();
            sqlx::query(
                "INSERT INTO notification_settings (agent_id, kind, in_page, by_mail) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (agent_id, kind) DO UPDATE SET \
                 in_page = COALESCE($5, notification_settings.in_page), by_mail = COALESCE($6, notification_settings.by_mail)",
            )
            .bind(agent_id)
            .bind(kind.as_str())
            .bind(i64::from(choice.in_page.unwrap_or(defaults.in_page)))
            .bind(i64::from(choice.by_mail.unwrap_or(defaults.by_mail)))
            .bind(choice.in_page.map(i64::from))
            .bind(choice.by_mail.map(i64::from))
            .execute(&mut *tx)
            .await?;
            let after = channels_in(&mut tx, agent_id, *kind).await?;
            if before != after {
                changes.insert(kind.as_str().to_owned(), events::change(before, after));
            }
        }
        if !changes.is_empty() {
            events::record(
                &mut tx,
                &now,
                actor,
                "agent",
                agent_id,
                "agent.notifications_changed",
                serde_json::Value::Object(changes),
            )
            .await?;
        }
        let mut all = Vec::new();
        for kind in NotificationKind::ALL {
            all.push((*kind, channels_in(&mut tx, agent_id, *kind).await?));
        }
        tx.commit().await?;
        Ok(all)
    }
}

/// A change of one kind's channels: `None` leaves a channel as it is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ChannelChoice {
    pub in_page: Option<bool>,
    pub by_mail: Option<bool>,
}

/// Who made a change, as a notification names them: the agent's name, or the domain's words
/// for a change Rapport made by itself.
pub(crate) async fn actor_name(tx: &mut Tx, actor: Actor) -> StoreResult<String> {
    let name = match actor {
        Actor::Agent(id) => {
            sqlx::query_scalar::<_, String>("SELECT name FROM agents WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut **tx)
                .await?
        }
        Actor::Customer(_) | Actor::System => None,
    };
    Ok(wording::by(name.as_deref()).to_owned())
}

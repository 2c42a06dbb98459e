//! The audit trail. Every change writes its event inside the change's own transaction, and
//! with it the webhooks the event stands for (`webhooks::publish`).

use crate::rows::{int, like_escaped, named, opt_int, text};
use crate::{Store, StoreError, StoreResult, Tx};
use rapport_domain::{Actor, Event, EventActor};
use serde_json::{Value, json};

/// Appends one event.
pub async fn record(
    tx: &mut Tx,
    at: &str,
    actor: Actor,
    entity: &str,
    entity_id: i64,
    action: &str,
    changes: Value,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO events (at, actor_kind, actor_id, entity, entity_id, action, changes) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(at)
    .bind(actor.kind().as_str())
    .bind(actor.id())
    .bind(entity)
    .bind(entity_id)
    .bind(action)
    .bind(changes.to_string())
    .execute(&mut **tx)
    .await?;
    crate::webhooks::publish(tx, at, actor, entity, entity_id, action, &changes).await
}

/// `{"before": .., "after": ..}` for one field.
pub fn change(before: impl serde::Serialize, after: impl serde::Serialize) -> Value {
    json!({ "before": before, "after": after })
}

/// One page of the audit trail, newest first.
pub struct AuditPage {
    pub items: Vec<Event>,
    /// The id the next page starts below; `None` on the last page.
    pub next_before_id: Option<i64>,
}

fn event_from(row: &sqlx::any::AnyRow) -> StoreResult<Event> {
    let changes = text(row, "changes")?;
    Ok(Event {
        id: int(row, "id")?,
        at: text(row, "at")?,
        actor: EventActor {
            kind: named(row, "actor_kind")?,
            id: opt_int(row, "actor_id")?,
        },
        entity: text(row, "entity")?,
        entity_id: int(row, "entity_id")?,
        action: text(row, "action")?,
        changes: serde_json::from_str(&changes)
            .map_err(|err| StoreError::Corrupt(format!("event changes are not JSON: {err}")))?,
    })
}

impl Store {
    /// The whole audit trail, newest first, a page at a time: events below `before_id`, whose
    /// action starts with `action_prefix` (such as `token.` or `agent.sign_in`) if given.
    pub async fn audit(
        &self,
        action_prefix: Option<&str>,
        before_id: Option<i64>,
        limit: u32,
    ) -> StoreResult<AuditPage> {
        // LIKE's own characters in a prefix (`_` is in many actions) match only themselves.
        let pattern = format!("{}%", like_escaped(action_prefix.unwrap_or_default()));
        let rows = sqlx::query(
            "SELECT id, at, actor_kind, actor_id, entity, entity_id, action, changes FROM events \
             WHERE action LIKE $1 ESCAPE '\\' AND id < $2 ORDER BY id DESC LIMIT $3",
        )
        .bind(pattern)
        .bind(before_id.unwrap_or(i64::MAX))
        .bind(i64::from(limit) + 1)
        .fetch_all(self.pool())
        .await?;
        let mut items = rows
            .iter()
            .map(event_from)
            .collect::<StoreResult<Vec<_>>>()?;
        let next_before_id = if items.len() > limit as usize {
            items.truncate(limit as usize);
            items.last().map(|event| event.id)
        } else {
            None
        };
        Ok(AuditPage {
            items,
            next_before_id,
        })
    }

    /// The events about one entity, oldest first.
    pub async fn events_for(&self, entity: &str, entity_id: i64) -> StoreResult<Vec<Event>> {
        let rows = sqlx::query(
            "SELECT id, at, actor_kind, actor_id, entity, entity_id, action, changes \
             FROM events WHERE entity = $1 AND entity_id = $2 ORDER BY id",
        )
        .bind(entity)
        .bind(entity_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(event_from).collect()
    }

    /// The newest event's id (0 when there is none).
    pub async fn last_event_id(&self) -> StoreResult<i64> {
        let id: Option<i64> = sqlx::query_scalar("SELECT MAX(id) FROM events")
            .fetch_one(self.pool())
            .await?;
        Ok(id.unwrap_or(0))
    }

    /// Ticket events after an id, oldest first, each with whether its ticket is (now) in a
    /// restricted team, so that live updates reach only those who may see it.
    pub async fn ticket_events_after(&self, after: i64) -> StoreResult<Vec<TicketEvent>> {
        let rows = sqlx::query(
            "SELECT e.id, e.entity_id, e.action, e.actor_kind, e.actor_id, COALESCE(m.restricted, 0) AS restricted \
             FROM events e LEFT JOIN tickets t ON t.id = e.entity_id LEFT JOIN teams m ON m.id = t.team_id \
             WHERE e.id > $1 AND e.entity = $2 ORDER BY e.id LIMIT 1000",
        )
        .bind(after)
        .bind("ticket")
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(TicketEvent {
                    id: crate::rows::int(row, "id")?,
                    ticket_id: crate::rows::int(row, "entity_id")?,
                    action: crate::rows::text(row, "action")?,
                    restricted: crate::rows::int(row, "restricted")? != 0,
                    by_agent: match crate::rows::named(row, "actor_kind")? {
                        rapport_domain::ActorKind::Agent => crate::rows::opt_int(row, "actor_id")?,
                        _ => None,
                    },
                })
            })
            .collect()
    }
}

/// An event of a ticket, as live updates carry it.
#[derive(Debug, Clone)]
pub struct TicketEvent {
    pub id: i64,
    pub ticket_id: i64,
    pub action: String,
    /// The ticket is in a restricted team: only its members and admins hear of it.
    pub restricted: bool,
    /// The agent who made the change, if an agent did.
    pub by_agent: Option<i64>,
}

/// New events told as they commit: on PostgreSQL a trigger on `events` notifies a channel
/// (migration `0008_several_nodes`), heard on a connection of its own (a pooled `Any`
/// connection cannot listen).
pub struct EventNotifications {
    listener: sqlx::postgres::PgListener,
}

/// The channel the `events` trigger notifies.
const EVENTS_CHANNEL: &str = "rapport_events";

impl EventNotifications {
    /// Listens on `database_url`, which must be this store's, or `None` on SQLite (nothing
    /// notifies there; readers poll).
    pub async fn listen(store: &Store, database_url: &str) -> StoreResult<Option<Self>> {
        if store.backend() != crate::Backend::Postgres {
            return Ok(None);
        }
        let mut listener = sqlx::postgres::PgListener::connect(database_url).await?;
        listener.listen(EVENTS_CHANNEL).await?;
        Ok(Some(EventNotifications { listener }))
    }

    /// Completes when events were written. After an error the listener reconnects by itself
    /// on the next call.
    pub async fn next(&mut self) -> StoreResult<()> {
        self.listener.recv().await?;
        Ok(())
    }
}

//! Presence shared by the nodes serving one workspace: each node writes the pages open on it
//! (who has which ticket open, and whether they are writing) with an expiry it keeps renewing,
//! and reads the others'. A node that stops without withdrawing its rows is forgotten once
//! they expire.

use crate::rows::{int, text};
use crate::{Backend, Store, StoreResult, clock};

/// One open ticket page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresenceRow {
    pub ticket_id: i64,
    pub agent_id: i64,
    pub name: String,
    pub composing: bool,
}

impl Store {
    /// Replaces this node's open pages with `pages` (by connection id), valid for `ttl`, and
    /// forgets every node's expired ones. On PostgreSQL the other nodes are told at once.
    pub async fn publish_presence(
        &self,
        node: &str,
        pages: &[(String, PresenceRow)],
        ttl: time::Duration,
    ) -> StoreResult<()> {
        let now = self.clock().now();
        let expires_at = clock::format(now + ttl);
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM presence WHERE node = $1 OR expires_at <= $2")
            .bind(node)
            .bind(clock::format(now))
            .execute(&mut *tx)
            .await?;
        for (connection, page) in pages {
            sqlx::query(
                "INSERT INTO presence \
                 (connection, node, ticket_id, agent_id, name, composing, expires_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(connection)
            .bind(node)
            .bind(page.ticket_id)
            .bind(page.agent_id)
            .bind(&page.name)
            .bind(i64::from(page.composing))
            .bind(&expires_at)
            .execute(&mut *tx)
            .await?;
        }
        if self.backend() == Backend::Postgres {
            // The live-update tails listen there (see `events::EventNotifications`).
            sqlx::query("SELECT pg_notify('rapport_events', '')")
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The pages open on other nodes, not expired.
    pub async fn presence_elsewhere(&self, node: &str) -> StoreResult<Vec<PresenceRow>> {
        let rows = sqlx::query(
            "SELECT ticket_id, agent_id, name, composing FROM presence \
             WHERE node <> $1 AND expires_at > $2 ORDER BY ticket_id, agent_id",
        )
        .bind(node)
        .bind(self.now())
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(PresenceRow {
                    ticket_id: int(row, "ticket_id")?,
                    agent_id: int(row, "agent_id")?,
                    name: text(row, "name")?,
                    composing: int(row, "composing")? != 0,
                })
            })
            .collect()
    }
}

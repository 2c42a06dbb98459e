//! The figures `GET /metrics` reads from the database at each scrape, so they are the same
//! whichever node (or `rapport ingest` pipe, or worker) did the work: the job queue's depth and
//! the mail received. Each is one indexed query.

use crate::rows::{int, text};
use crate::{Store, StoreResult};
use rapport_domain::Job;

/// The job queue as it stands.
#[derive(Debug, Clone, Default)]
pub struct QueueDepth {
    /// Jobs not done, by kind.
    pub waiting: Vec<(String, i64)>,
    /// Of those, the ones due now (the backlog the worker and senders have yet to reach).
    pub due: i64,
    /// Jobs not done that have failed at least once and wait to be tried again, by kind.
    pub retrying: Vec<(String, i64)>,
}

impl Store {
    pub async fn queue_depth(&self) -> StoreResult<QueueDepth> {
        let now = self.now();
        let by_kind = |rows: Vec<sqlx::any::AnyRow>| -> StoreResult<Vec<(String, i64)>> {
            rows.iter()
                .map(|row| Ok((text(row, "kind")?, int(row, "n")?)))
                .collect()
        };
        let waiting = sqlx::query(
            "SELECT kind, COUNT(*) AS n FROM jobs WHERE done_at IS NULL GROUP BY kind ORDER BY kind",
        )
        .fetch_all(self.pool())
        .await?;
        let retrying = sqlx::query(
            "SELECT kind, COUNT(*) AS n FROM jobs WHERE done_at IS NULL AND attempts > 0 GROUP BY kind ORDER BY kind",
        )
        .fetch_all(self.pool())
        .await?;
        let due: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE done_at IS NULL AND run_at <= $1")
                .bind(&now)
                .fetch_one(self.pool())
                .await?;
        let mut waiting = by_kind(waiting)?;
        // Every kind is reported, waiting or not, so a dashboard's series never vanish.
        for kind in Job::KINDS {
            if !waiting.iter().any(|(k, _)| k == kind) {
                waiting.push((kind.to_owned(), 0));
            }
        }
        waiting.sort();
        Ok(QueueDepth {
            waiting,
            due,
            retrying: by_kind(retrying)?,
        })
    }

    /// Inbound mail kept, by what it became (`new_ticket`, `reply`, `auto_reply`, `bounce`,
    /// `bulk`, `rejected`); it only grows.
    pub async fn mail_received(&self) -> StoreResult<Vec<(String, i64)>> {
        let rows = sqlx::query(
            "SELECT outcome, COUNT(*) AS n FROM inbound_emails GROUP BY outcome ORDER BY outcome",
        )
        .fetch_all(self.pool())
        .await?;
        let mut received = rows
            .iter()
            .map(|row| Ok((text(row, "outcome")?, int(row, "n")?)))
            .collect::<StoreResult<Vec<_>>>()?;
        // Every outcome is reported, 0 included, so a dashboard's series never vanish.
        for outcome in crate::mail_intake::Outcome::ALL.map(|outcome| outcome.as_str()) {
            if !received.iter().any(|(o, _)| o == outcome) {
                received.push((outcome.to_owned(), 0));
            }
        }
        received.sort();
        Ok(received)
    }

    /// The pool's connections: open, idle, and the most it opens.
    pub fn pool_state(&self) -> (u32, u32, u32) {
        let pool = self.pool();
        (
            pool.size(),
            u32::try_from(pool.num_idle()).unwrap_or(u32::MAX),
            pool.options().get_max_connections(),
        )
    }
}

//! The durable job queue. A job is enqueued in the same transaction as the change that causes
//! it, so a timer is never lost and never set for a change that did not happen. The worker runs
//! each due job in a transaction of its own together with its effects, so a job's effects are
//! committed exactly once; a job that fails is retried later with backoff.
//!
//! Handlers must be idempotent in the sense that matters here: each checks, when it runs, that
//! the situation that scheduled it still holds (the ticket is still waiting, the promise still
//! open), and does nothing otherwise.

use crate::rows::{int, text};
use crate::{Backend, Store, StoreError, StoreResult, Tx, clock};
use serde_json::Value;

/// Job kinds, as stored.
pub mod kind {
    pub const WAITING_CHECK_IN: &str = "ticket.waiting_check_in";
    pub const RESOLUTION_CHECK_IN: &str = "ticket.resolution_check_in";
    pub const PROMISE_REMINDER: &str = "promise.reminder";
    pub const PROMISE_DUE: &str = "promise.due";
    pub const MOMENT_FOLLOW_UP: &str = "moment.follow_up";
    pub const SURVEYS: &str = "surveys.send";
    pub const HEALTH: &str = "health.recompute";
}

/// Schedules a job at `run_at` (a stored time).
pub async fn enqueue(
    tx: &mut Tx,
    now: &str,
    kind: &str,
    payload: Value,
    run_at: &str,
) -> StoreResult<()> {
    sqlx::query("INSERT INTO jobs (kind, payload, run_at, created_at) VALUES ($1, $2, $3, $4)")
        .bind(kind)
        .bind(payload.to_string())
        .bind(run_at)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Schedules a job unless the same one is already waiting (for recomputations).
pub async fn enqueue_once(tx: &mut Tx, now: &str, kind: &str, payload: Value) -> StoreResult<()> {
    let payload_text = payload.to_string();
    let waiting: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM jobs WHERE kind = $1 AND payload = $2 AND done_at IS NULL",
    )
    .bind(kind)
    .bind(&payload_text)
    .fetch_optional(&mut **tx)
    .await?;
    if waiting.is_none() {
        enqueue(tx, now, kind, payload, now).await?;
    }
    Ok(())
}

/// How long to wait before retrying a job that failed `attempts` times: a minute, doubling, at
/// most a day.
fn backoff_seconds(attempts: i64) -> i64 {
    (60_i64 << attempts.clamp(0, 11)).min(24 * 60 * 60)
}

/// A job that failed this many times stops being retried; its error stays on the row.
const MAX_ATTEMPTS: i64 = 12;

impl Store {
    /// Runs every job that is due by the store's clock; returns how many ran.
    pub async fn run_due_jobs(&self) -> StoreResult<usize> {
        let mut ran = 0;
        // Bounded so one call cannot spin forever; the worker calls again.
        while ran < 10_000 && self.run_one_job().await? {
            ran += 1;
        }
        Ok(ran)
    }

    /// Forgets jobs finished more than `keep_days` ago; returns how many. (What they did is in
    /// the tables they changed and in the audit trail.)
    pub async fn prune_jobs(&self, keep_days: i64) -> StoreResult<u64> {
        let before = crate::clock::format(self.clock().now() - time::Duration::days(keep_days));
        let done = sqlx::query("DELETE FROM jobs WHERE done_at IS NOT NULL AND done_at < $1")
            .bind(before)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected())
    }

    /// Jobs not yet done, for tests and for operators.
    pub async fn pending_jobs(&self) -> StoreResult<Vec<(String, String)>> {
        let rows =
            sqlx::query("SELECT kind, run_at FROM jobs WHERE done_at IS NULL ORDER BY run_at, id")
                .fetch_all(self.pool())
                .await?;
        rows.iter()
            .map(|row| Ok((text(row, "kind")?, text(row, "run_at")?)))
            .collect()
    }

    async fn run_one_job(&self) -> StoreResult<bool> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let claim = match self.backend() {
            Backend::Sqlite => {
                "SELECT id, kind, payload, attempts FROM jobs WHERE done_at IS NULL AND run_at <= $1 AND kind NOT IN ('email.send', 'email.notice') \
                 ORDER BY run_at, id LIMIT 1"
            }
            // Several workers can run against one PostgreSQL: each takes a different job.
            Backend::Postgres => {
                "SELECT id, kind, payload, attempts FROM jobs WHERE done_at IS NULL AND run_at <= $1 AND kind NOT IN ('email.send', 'email.notice') \
                 ORDER BY run_at, id LIMIT 1 FOR UPDATE SKIP LOCKED"
            }
        };
        let Some(row) = sqlx::query(claim)
            .bind(&now)
            .fetch_optional(&mut *tx)
            .await?
        else {
            return Ok(false);
        };
        let (id, kind, attempts) = (
            int(&row, "id")?,
            text(&row, "kind")?,
            int(&row, "attempts")?,
        );
        let payload: Value = serde_json::from_str(&text(&row, "payload")?).map_err(|err| {
            StoreError::Corrupt(format!("job {id} has a payload that is not JSON: {err}"))
        })?;

        match self.dispatch(&mut tx, &now, &kind, &payload).await {
            Ok(()) => {
                sqlx::query("UPDATE jobs SET done_at = $1, attempts = attempts + 1 WHERE id = $2")
                    .bind(&now)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
            }
            Err(error) => {
                tx.rollback().await?;
                tracing::error!(job = id, kind = %kind, %error, "job failed; it will be retried");
                let attempts = attempts + 1;
                let retry_at = clock::format(
                    self.clock().now() + time::Duration::seconds(backoff_seconds(attempts)),
                );
                let given_up = (attempts >= MAX_ATTEMPTS).then(|| now.clone());
                let mut tx = self.begin_write().await?;
                sqlx::query("UPDATE jobs SET attempts = $1, last_error = $2, run_at = $3, done_at = $4 WHERE id = $5")
                    .bind(attempts)
                    .bind(error.to_string())
                    .bind(retry_at)
                    .bind(given_up)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
            }
        }
        Ok(true)
    }

    async fn dispatch(
        &self,
        tx: &mut Tx,
        now: &str,
        kind: &str,
        payload: &Value,
    ) -> StoreResult<()> {
        let id = |field: &str| {
            payload[field]
                .as_i64()
                .ok_or_else(|| StoreError::Corrupt(format!("job {kind} lacks `{field}`")))
        };
        let text_field = |field: &str| {
            payload[field]
                .as_str()
                .map(str::to_owned)
                .ok_or_else(|| StoreError::Corrupt(format!("job {kind} lacks `{field}`")))
        };
        match kind {
            kind::WAITING_CHECK_IN => {
                crate::lifecycle::waiting_check_in(tx, now, id("ticket_id")?, &text_field("since")?)
                    .await
            }
            kind::RESOLUTION_CHECK_IN => {
                let last = payload["last"].as_bool().unwrap_or(false);
                crate::lifecycle::resolution_check_in(
                    tx,
                    now,
                    id("ticket_id")?,
                    &text_field("proposed_at")?,
                    last,
                )
                .await
            }
            kind::PROMISE_REMINDER => crate::promises::remind(tx, now, id("promise_id")?).await,
            kind::PROMISE_DUE => {
                crate::promises::settle_if_overdue(tx, now, id("promise_id")?).await
            }
            kind::MOMENT_FOLLOW_UP => crate::moments::follow_up(tx, now, id("moment_id")?).await,
            kind::SURVEYS => crate::surveys::send(self, tx, now, id("ticket_id")?).await,
            kind::HEALTH => crate::health::recompute(self, tx, now, id("customer_id")?)
                .await
                .map(drop),
            other => Err(StoreError::Corrupt(format!("unknown job kind `{other}`"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_a_day() {
        assert_eq!(backoff_seconds(1), 120);
        assert_eq!(backoff_seconds(2), 240);
        assert_eq!(backoff_seconds(40), 24 * 60 * 60);
    }
}

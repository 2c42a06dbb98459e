//! The durable job queue. A job is enqueued in the same transaction as the change that causes
//! it, so a timer is never lost and never set for a change that did not happen. The worker
//! (`rapport::jobs`) claims each due job in a transaction of its own, runs its handler in that
//! transaction and marks it done there, so a job's effects are committed exactly once; a job
//! that fails is retried later with backoff.
//!
//! This module only stores jobs; it knows no handler. What each [`Job`] does is decided in one
//! place, `rapport::jobs`.

use crate::rows::{int, text};
use crate::{Backend, Store, StoreResult, Tx, clock};
use rapport_domain::Job;
use rapport_domain::job::UnknownJob;

tokio::task_local! {
    /// Set while history is written (an import from another help desk).
    static WRITING_HISTORY: ();
}

/// Runs `work` as the writing of history, such as an import from another help desk: what
/// happened long ago schedules nothing. The jobs its steps would enqueue are left out (no
/// mail, check-in, survey, reminder, service-level check or escalation deadline), except
/// recomputing a customer's health, and no agent is notified. The steps themselves stay the
/// ones live work takes, so imported history is threaded and stored exactly as it would be.
pub async fn writing_history<F: std::future::Future>(work: F) -> F::Output {
    WRITING_HISTORY.scope((), work).await
}

/// Whether the running task writes history (see [`writing_history`]).
pub(crate) fn is_writing_history() -> bool {
    WRITING_HISTORY.try_with(|()| ()).is_ok()
}

/// Schedules `job` at `run_at` (a stored time).
pub async fn enqueue(tx: &mut Tx, now: &str, job: &Job, run_at: &str) -> StoreResult<()> {
    if is_writing_history() && !matches!(job, Job::RecomputeHealth { .. }) {
        return Ok(());
    }
    let (kind, payload) = job.to_stored();
    sqlx::query("INSERT INTO jobs (kind, payload, run_at, created_at) VALUES ($1, $2, $3, $4)")
        .bind(kind)
        .bind(payload)
        .bind(run_at)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Schedules `job` now unless the same one is already waiting (for recomputations).
pub async fn enqueue_once(tx: &mut Tx, now: &str, job: &Job) -> StoreResult<()> {
    let (kind, payload) = job.to_stored();
    let waiting: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM jobs WHERE kind = $1 AND payload = $2 AND done_at IS NULL",
    )
    .bind(kind)
    .bind(payload)
    .fetch_optional(&mut **tx)
    .await?;
    if waiting.is_none() {
        enqueue(tx, now, job, now).await?;
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

/// A due job, claimed inside the caller's transaction.
#[derive(Debug)]
pub struct ClaimedJob {
    pub id: i64,
    pub attempts: i64,
    /// The job, or why its stored row does not read back as one.
    pub job: Result<Job, UnknownJob>,
}

/// Claims the next due job the worker runs (mail jobs are the mail sender's, webhook deliveries
/// the webhook sender's), or `None`.
pub async fn claim_due(store: &Store, tx: &mut Tx, now: &str) -> StoreResult<Option<ClaimedJob>> {
    let [send, notice] = Job::MAIL_KINDS;
    let claim = match store.backend() {
        Backend::Sqlite => {
            "SELECT id, kind, payload, attempts FROM jobs WHERE done_at IS NULL AND run_at <= $1 AND kind NOT IN ($2, $3, $4) \
             ORDER BY run_at, id LIMIT 1"
        }
        // Several workers can run against one PostgreSQL: each takes a different job.
        Backend::Postgres => {
            "SELECT id, kind, payload, attempts FROM jobs WHERE done_at IS NULL AND run_at <= $1 AND kind NOT IN ($2, $3, $4) \
             ORDER BY run_at, id LIMIT 1 FOR UPDATE SKIP LOCKED"
        }
    };
    let Some(row) = sqlx::query(claim)
        .bind(now)
        .bind(send)
        .bind(notice)
        .bind(Job::WEBHOOK_KIND)
        .fetch_optional(&mut **tx)
        .await?
    else {
        return Ok(None);
    };
    Ok(Some(ClaimedJob {
        id: int(&row, "id")?,
        attempts: int(&row, "attempts")?,
        job: Job::from_stored(&text(&row, "kind")?, &text(&row, "payload")?),
    }))
}

/// Marks a claimed job done, in the transaction that holds its effects.
pub async fn finish(tx: &mut Tx, now: &str, id: i64) -> StoreResult<()> {
    sqlx::query("UPDATE jobs SET done_at = $1, attempts = attempts + 1 WHERE id = $2")
        .bind(now)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

impl Store {
    /// Records that a job failed (its effects were rolled back) and when to try again; after
    /// [`MAX_ATTEMPTS`] it is given up, with its error kept on the row.
    pub async fn job_failed(&self, claimed: &ClaimedJob, error: &str) -> StoreResult<()> {
        let now = self.now();
        let attempts = claimed.attempts + 1;
        let retry_at =
            clock::format(self.clock().now() + time::Duration::seconds(backoff_seconds(attempts)));
        let given_up = (attempts >= MAX_ATTEMPTS).then(|| now.clone());
        let mut tx = self.begin_write().await?;
        sqlx::query("UPDATE jobs SET attempts = $1, last_error = $2, run_at = $3, done_at = $4 WHERE id = $5")
            .bind(attempts)
            .bind(error)
            .bind(retry_at)
            .bind(given_up)
            .bind(claimed.id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
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

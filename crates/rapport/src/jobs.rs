//! The worker's one switchboard: each kind of [`Job`] and the step that carries it out. Jobs
//! are stored by `rapport_store::jobs` (enqueued in the same transaction as the change that
//! causes them); here each due job is claimed, its step runs in the claim's transaction, and
//! the job is marked done in that same transaction, so its effects are committed exactly once.
//! A step that fails is rolled back and retried later with backoff.
//!
//! Mail jobs (`SendEmail`, `SendNotice`) are the mail sender's (`crate::smtp`), and webhook
//! deliveries the webhook sender's (`crate::webhooks::send`), since they talk to another
//! server outside any transaction.

use rapport_domain::Job;
use rapport_store::jobs::{self, ClaimedJob};
use rapport_store::{Store, StoreError, StoreResult, Tx};

/// Runs every job that is due by the store's clock; returns how many ran.
pub async fn run_due(store: &Store) -> StoreResult<usize> {
    let mut ran = 0;
    // Bounded so one call cannot spin forever; the worker calls again.
    while ran < 10_000 && run_one(store).await? {
        ran += 1;
    }
    Ok(ran)
}

/// Claims and runs one due job; `false` when none is due.
async fn run_one(store: &Store) -> StoreResult<bool> {
    let now = store.now();
    let mut tx = store.begin_write().await?;
    let Some(claimed) = jobs::claim_due(store, &mut tx, &now).await? else {
        return Ok(false);
    };
    let outcome = match &claimed.job {
        Ok(job) => run(store, &mut tx, &now, job).await,
        Err(unknown) => Err(StoreError::Corrupt(unknown.to_string())),
    };
    match outcome {
        Ok(()) => {
            jobs::finish(&mut tx, &now, claimed.id).await?;
            tx.commit().await?;
        }
        Err(error) => {
            tx.rollback().await?;
            failed(store, &claimed, &error).await?;
        }
    }
    Ok(true)
}

async fn failed(store: &Store, claimed: &ClaimedJob, error: &StoreError) -> StoreResult<()> {
    tracing::error!(job = claimed.id, %error, "job failed; it will be retried");
    crate::metrics::job_failed(
        &claimed
            .job
            .as_ref()
            .map_or_else(|_| "unknown".to_owned(), Job::kind),
    );
    store.job_failed(claimed, &error.to_string()).await
}

/// The step each job carries out, inside the job's transaction.
async fn run(store: &Store, tx: &mut Tx, now: &str, job: &Job) -> StoreResult<()> {
    use rapport_store::{health, lifecycle, moments, notifications, promises, surveys};
    match job {
        Job::WaitingCheckIn { ticket_id, since } => {
            lifecycle::waiting_check_in(tx, now, *ticket_id, since).await
        }
        Job::ResolutionCheckIn {
            ticket_id,
            proposed_at,
            last,
        } => lifecycle::resolution_check_in(tx, now, *ticket_id, proposed_at, *last).await,
        Job::PromiseReminder { promise_id } => promises::remind(tx, now, *promise_id).await,
        Job::PromiseDue { promise_id } => promises::settle_if_overdue(tx, now, *promise_id).await,
        Job::MomentFollowUp { moment_id } => moments::follow_up(tx, now, *moment_id).await,
        Job::SendSurveys { ticket_id } => surveys::send(store, tx, now, *ticket_id).await,
        Job::MailNotification {
            agent_id,
            ticket_id,
            text,
        } => notifications::mail(store, tx, now, *agent_id, *ticket_id, text).await,
        Job::RecomputeHealth { customer_id } => health::recompute(store, tx, now, *customer_id)
            .await
            .map(drop),
        Job::LetterDeadline { letter_id, level } => {
            rapport_store::letters::deadline_passed(tx, now, *letter_id, *level).await
        }
        Job::EscalationDeadline {
            escalation_id,
            level,
        } => rapport_store::escalations::deadline_passed(tx, now, *escalation_id, *level).await,
        Job::SlaCheck { ticket_id } => rapport_store::sla::check(tx, now, *ticket_id)
            .await
            .map(drop),
        Job::SendEmail { .. } | Job::SendNotice { .. } => Err(StoreError::Corrupt(format!(
            "the worker was handed a mail job ({}); the mail sender runs those",
            job.kind()
        ))),
        Job::DeliverWebhook { .. } => Err(StoreError::Corrupt(
            "the worker was handed a webhook delivery; the webhook sender runs those".to_owned(),
        )),
    }
}

//! The background jobs: every kind of work the worker (or the mail sender) does later, with its
//! typed payload. A job is stored as its `kind` and a JSON `payload`, both produced here and
//! nowhere else, so a stored job always reads back as the job that was enqueued.

use serde::{Deserialize, Serialize};

/// One piece of deferred work. Each handler checks, when it runs, that the situation that
/// scheduled it still holds, so running a stale job does nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "payload")]
pub enum Job {
    /// The ticket has waited on the customer since our reply at `since`: check in.
    #[serde(rename = "ticket.waiting_check_in")]
    WaitingCheckIn { ticket_id: i64, since: String },
    /// The customer has not answered the resolution proposed at `proposed_at`; after the
    /// `last` check-in the problem is resolved unconfirmed.
    #[serde(rename = "ticket.resolution_check_in")]
    ResolutionCheckIn {
        ticket_id: i64,
        proposed_at: String,
        #[serde(default)]
        last: bool,
    },
    /// A promise falls due soon: remind the agent who made it.
    #[serde(rename = "promise.reminder")]
    PromiseReminder { promise_id: i64 },
    /// A promise's time is up: if still open, it is broken.
    #[serde(rename = "promise.due")]
    PromiseDue { promise_id: i64 },
    /// A moment's day has come: remind the agent responsible for the customer.
    #[serde(rename = "moment.follow_up")]
    MomentFollowUp { moment_id: i64 },
    /// A problem was resolved: ask the customer how we did.
    #[serde(rename = "surveys.send")]
    SendSurveys { ticket_id: i64 },
    /// A notification an agent chose to receive by mail: mailed with a link to the ticket
    /// (queued as a notice by the worker, which knows the workspace's address).
    #[serde(rename = "notification.mail")]
    MailNotification {
        agent_id: i64,
        ticket_id: i64,
        text: String,
    },
    /// Something about the customer changed: recompute their health.
    #[serde(rename = "health.recompute")]
    RecomputeHealth { customer_id: i64 },
    /// A service level target of the ticket falls due: record it as missed if it still is.
    #[serde(rename = "sla.check")]
    SlaCheck { ticket_id: i64 },
    /// A letter to management is not answered in time: it goes one level up.
    #[serde(rename = "letter.deadline")]
    LetterDeadline { letter_id: i64, level: i64 },
    /// An escalation's time to be acknowledged is up: if nobody did, it goes one level up.
    #[serde(rename = "escalation.deadline")]
    EscalationDeadline { escalation_id: i64, level: i64 },
    /// One event to post to one webhook subscription (the webhook sender runs these, not the
    /// worker, since they wait on another server outside any transaction).
    #[serde(rename = "webhook.deliver")]
    DeliverWebhook { delivery_id: i64 },
    /// A public reply to put on the wire (the mail sender runs these, not the worker).
    #[serde(rename = "email.send")]
    SendEmail { message_id: i64 },
    /// A mail that belongs to no ticket, such as a portal sign-in link (the mail sender runs
    /// these too).
    #[serde(rename = "email.notice")]
    SendNotice {
        to: String,
        from: String,
        subject: String,
        text: String,
        message_id: String,
    },
}

/// A stored job that does not read back as a [`Job`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownJob(pub String);

impl std::fmt::Display for UnknownJob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl Job {
    /// The kinds the mail sender runs; the worker leaves them alone.
    pub const MAIL_KINDS: [&'static str; 2] = ["email.send", "email.notice"];

    /// The kind the webhook sender runs; the worker leaves it alone too.
    pub const WEBHOOK_KIND: &'static str = "webhook.deliver";

    /// Every kind as stored (for the metrics, which report each even when none waits).
    pub const KINDS: [&'static str; 14] = [
        "ticket.waiting_check_in",
        "ticket.resolution_check_in",
        "promise.reminder",
        "promise.due",
        "moment.follow_up",
        "surveys.send",
        "notification.mail",
        "health.recompute",
        "sla.check",
        "letter.deadline",
        "escalation.deadline",
        "webhook.deliver",
        "email.send",
        "email.notice",
    ];

    /// The job as stored: its kind and its payload as JSON text.
    pub fn to_stored(&self) -> (String, String) {
        let mut value = serde_json::to_value(self).unwrap_or_default();
        let kind = value["kind"].as_str().unwrap_or_default().to_owned();
        let payload = value
            .get_mut("payload")
            .map(serde_json::Value::take)
            .unwrap_or_default();
        (kind, payload.to_string())
    }

    /// The kind as stored, such as `promise.due`.
    pub fn kind(&self) -> String {
        self.to_stored().0
    }

    /// Reads a stored job back.
    pub fn from_stored(kind: &str, payload: &str) -> Result<Job, UnknownJob> {
        let payload: serde_json::Value = serde_json::from_str(payload).map_err(|err| {
            UnknownJob(format!("the payload of a `{kind}` job is not JSON: {err}"))
        })?;
        serde_json::from_value(serde_json::json!({ "kind": kind, "payload": payload }))
            .map_err(|err| UnknownJob(format!("a `{kind}` job does not read back: {err}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn every_kind() -> Vec<Job> {
        vec![
            Job::WaitingCheckIn {
                ticket_id: 1,
                since: "2026-11-20T10:00:00.000000Z".into(),
            },
            Job::ResolutionCheckIn {
                ticket_id: 1,
                proposed_at: "2026-11-20T10:00:00.000000Z".into(),
                last: true,
            },
            Job::PromiseReminder { promise_id: 2 },
            Job::PromiseDue { promise_id: 2 },
            Job::MomentFollowUp { moment_id: 3 },
            Job::SendSurveys { ticket_id: 1 },
            Job::RecomputeHealth { customer_id: 4 },
            Job::MailNotification {
                agent_id: 1,
                ticket_id: 2,
                text: "Lee assigned ticket #2 to you.".into(),
            },
            Job::SendEmail { message_id: 5 },
            Job::DeliverWebhook { delivery_id: 6 },
            Job::SendNotice {
                to: "ana@example.com".into(),
                from: "support@example.com".into(),
                subject: "Your sign-in link".into(),
                text: "Hello".into(),
                message_id: "rapport-notice-1@example.com".into(),
            },
        ]
    }

    #[test]
    fn every_job_reads_back_as_it_was_stored() {
        for job in every_kind() {
            let (kind, payload) = job.to_stored();
            assert_eq!(Job::from_stored(&kind, &payload), Ok(job));
        }
    }

    #[test]
    fn stored_kinds_and_payloads_keep_their_spelling() {
        let (kind, payload) = Job::PromiseDue { promise_id: 7 }.to_stored();
        assert_eq!(
            (kind.as_str(), payload.as_str()),
            ("promise.due", r#"{"promise_id":7}"#)
        );
        for kind in Job::MAIL_KINDS {
            assert!(every_kind().iter().any(|job| job.kind() == kind));
        }
        for job in every_kind() {
            assert!(Job::KINDS.contains(&job.kind().as_str()), "{}", job.kind());
        }
        let mut kinds = Job::KINDS.to_vec();
        kinds.sort_unstable();
        kinds.dedup();
        assert_eq!(kinds.len(), Job::KINDS.len());
    }

    #[test]
    fn jobs_stored_before_last_was_written_still_read() {
        let job = Job::from_stored(
            "ticket.resolution_check_in",
            r#"{"ticket_id": 3, "proposed_at": "2026-11-20T10:00:00.000000Z"}"#,
        );
        assert!(matches!(
            job,
            Ok(Job::ResolutionCheckIn { last: false, .. })
        ));
    }

    #[test]
    fn an_unknown_kind_is_an_error_not_a_panic() {
        assert!(Job::from_stored("ticket.vanish", "{}").is_err());
        assert!(Job::from_stored("promise.due", "not json").is_err());
        assert!(Job::from_stored("promise.due", r#"{"id": 1}"#).is_err());
    }
}

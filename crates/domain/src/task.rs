//! Tasks: what Rapport hands to a named agent (check in, keep a promise, follow up).

crate::named_enum! {
    /// Why a task exists; each kind has its wording under `templates/tasks/`.
    TaskKind, "task kind" {
        CheckIn => "check_in",
        PromiseReminder => "promise_reminder",
        PromiseBroken => "promise_broken",
        MomentFollowUp => "moment_follow_up",
        SurveyFollowUp => "survey_follow_up",
        HealthAtRisk => "health_at_risk",
        Escalation => "escalation",
        Letter => "letter",
        /// A policy exception waits for its named decider.
        PolicyException => "policy_exception",
    }
}

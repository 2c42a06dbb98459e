//! A ticket's service level as the workspace shows it: each target with its due time on the
//! team's clock and the time left, marked when it is due soon or missed.

use crate::pages::When;
use rapport_domain::calendar::Calendar;
use rapport_domain::sla::{self, SlaTarget};
use rapport_store::sla::TicketSla;
use time::OffsetDateTime;

/// One target's line.
pub struct SlaLine {
    /// "First reply", "Next reply", "Resolution".
    pub target: String,
    /// The due time, while one runs.
    pub due: Option<When>,
    /// "in 1 h 20 min", "3 h overdue", "met", "paused (waiting on the customer)".
    pub standing: String,
    /// `ok`, `warn` or `bad`, for the mark beside it.
    pub class: &'static str,
    /// "missed twice before", when it was.
    pub missed: Option<String>,
}

/// The policy's name and a line per target.
pub struct SlaView {
    pub policy: String,
    pub lines: Vec<SlaLine>,
}

impl SlaView {
    pub fn new(sla: TicketSla, calendar: &Calendar, now: OffsetDateTime) -> Option<SlaView> {
        let policy = sla.policy?;
        let lines = sla
            .targets
            .into_iter()
            .map(|target| {
                let due_at = target
                    .due_at
                    .as_deref()
                    .and_then(rapport_store::clock::parse);
                let (standing, class) = match (target.state, due_at) {
                    ("met", _) => ("met".to_owned(), "ok"),
                    ("paused", _) => ("paused while we wait on the customer".to_owned(), "ok"),
                    ("breached", Some(due)) => (sla::time_left(due, now), "bad"),
                    ("due_soon", Some(due)) => (sla::time_left(due, now), "warn"),
                    (_, Some(due)) => (sla::time_left(due, now), "ok"),
                    (state, None) => (state.replace('_', " "), "ok"),
                };
                let missed = match target.breaches {
                    0 => None,
                    1 => Some("missed once".to_owned()),
                    n => Some(format!("missed {n} times")),
                };
                let mut words = target.target.words().to_owned();
                words[..1].make_ascii_uppercase();
                SlaLine {
                    target: words,
                    due: target.due_at.as_deref().map(|at| When::on(calendar, at)),
                    standing,
                    class,
                    missed,
                }
            })
            .collect();
        Some(SlaView {
            policy: policy.name,
            lines,
        })
    }
}

/// The first unmet target of an inbox line, said briefly ("first reply in 40 min"), with
/// `ok`, `warn` (due soon: within 30 minutes) or `bad` (missed).
pub fn inbox_line(
    target: SlaTarget,
    due: OffsetDateTime,
    now: OffsetDateTime,
) -> (String, &'static str) {
    let class = if due <= now {
        "bad"
    } else if due - time::Duration::minutes(30) <= now {
        "warn"
    } else {
        "ok"
    };
    (
        format!("{} {}", target.words(), sla::time_left(due, now)),
        class,
    )
}

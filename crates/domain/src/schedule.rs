//! The problem lifecycle's schedule: when silence earns a check-in, and whether a check-in
//! that falls due still has a reason to happen.
//!
//! - While the problem is open and the ticket waits on the customer, the agent gets check-in
//!   tasks some **business days** after their reply (by default 2 and 5), never a closed
//!   ticket. Business days are the workspace calendar's ([`crate::calendar`]): its open
//!   weekdays that are not holidays, in its time zone.
//! - After a proposed resolution the customer gets gentle check-ins some **calendar days**
//!   later (by default 3 and 7); after the last one the problem is resolved unconfirmed.
//!
//! Each check-in is scheduled when the situation begins and checked again when it falls due:
//! if the customer spoke, or the resolution was answered or proposed again, it does nothing.

use crate::{Conversation, Problem};
use time::{Duration, OffsetDateTime};

/// A workspace setting listing days, as `(key, default)`; its stored text is like `2,5`.
pub type DaysSetting = (&'static str, &'static str);

/// Business days of customer silence after which the agent gets a check-in task.
pub const WAITING_CHECK_INS: DaysSetting = ("waiting_check_in_business_days", "2,5");
/// Days after a proposed resolution on which the customer gets a gentle check-in.
pub const RESOLUTION_CHECK_INS: DaysSetting = ("resolution_check_in_days", "3,7");

/// The days a setting lists: its stored text (`None` when never set) read as comma-separated
/// positive numbers. Anything unreadable is skipped; when nothing usable is left, the
/// setting's default applies, so a timer is never silently switched off.
pub fn days((_, default): DaysSetting, stored: Option<&str>) -> Vec<i64> {
    let read = |text: &str| -> Vec<i64> {
        text.split(',')
            .filter_map(|d| d.trim().parse().ok())
            .filter(|d| *d > 0)
            .collect()
    };
    let days = read(stored.unwrap_or(default));
    if days.is_empty() { read(default) } else { days }
}

/// Whether a list of days can be a timing setting: 1 to 10 days from 1 to 90, increasing.
/// Returns the list as stored (`2,5`).
pub fn check_days(days: &[i64]) -> Result<String, &'static str> {
    let increasing = days.windows(2).all(|pair| pair[0] < pair[1]);
    if days.is_empty()
        || days.len() > 10
        || !increasing
        || days.iter().any(|d| !(1..=90).contains(d))
    {
        return Err("must list 1 to 10 days from 1 to 90, in increasing order, such as [2, 5]");
    }
    Ok(days
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(","))
}

/// Whether an agent's reply starts the wait for the customer: the turn is now theirs and the
/// problem is still open (a reply that proposes a resolution has its own check-ins).
pub fn starts_waiting_check_ins(conversation: Conversation, problem: Problem) -> bool {
    conversation == Conversation::WaitingOnCustomer && problem == Problem::Open
}

/// Whether a waiting check-in scheduled after our reply at `since` is still due: the ticket
/// still waits on the customer, the problem is open, and no public message came after that
/// reply (`last_public_at` is the time of the ticket's latest public message).
pub fn waiting_check_in_due(
    conversation: Conversation,
    problem: Problem,
    last_public_at: Option<&str>,
    since: &str,
) -> bool {
    starts_waiting_check_ins(conversation, problem) && last_public_at == Some(since)
}

/// One gentle check-in after a proposed resolution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResolutionCheckIn {
    pub at: OffsetDateTime,
    /// After the last check-in the problem is resolved unconfirmed.
    pub last: bool,
}

/// When the customer's check-ins fall due after a resolution proposed at `proposed_at`: one
/// per listed calendar day, the final one marked `last`.
pub fn resolution_check_ins(proposed_at: OffsetDateTime, days: &[i64]) -> Vec<ResolutionCheckIn> {
    days.iter()
        .enumerate()
        .map(|(index, day)| ResolutionCheckIn {
            at: proposed_at + Duration::days(*day),
            last: index + 1 == days.len(),
        })
        .collect()
}

/// Whether the question "did this fix it?" asked at `asked_at` still stands: the problem
/// still waits for the customer's confirmation, and the resolution now proposed is the same
/// one (`current_proposed_at`, the ticket's latest proposal). A check-in or a link from an
/// earlier proposal no longer applies.
pub fn resolution_question_stands(
    problem: Problem,
    current_proposed_at: Option<&str>,
    asked_at: &str,
) -> bool {
    problem == Problem::ResolutionProposed && current_proposed_at == Some(asked_at)
}

/// Whether a resolution check-in for the proposal made at `proposed_at` is still due.
pub fn resolution_check_in_due(
    problem: Problem,
    current_proposed_at: Option<&str>,
    proposed_at: &str,
) -> bool {
    resolution_question_stands(problem, current_proposed_at, proposed_at)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timing_settings_are_short_increasing_lists_of_days() {
        assert_eq!(check_days(&[2, 5]), Ok("2,5".to_owned()));
        assert!(check_days(&[]).is_err());
        assert!(check_days(&[5, 2]).is_err());
        assert!(check_days(&[2, 2]).is_err());
        assert!(check_days(&[0]).is_err());
        assert!(check_days(&[91]).is_err());
        assert!(check_days(&[1; 11]).is_err());
    }
    use time::macros::datetime;

    #[test]
    fn day_lists_are_read_with_their_default_as_fallback() {
        assert_eq!(days(WAITING_CHECK_INS, None), vec![2, 5]);
        assert_eq!(days(RESOLUTION_CHECK_INS, None), vec![3, 7]);
        assert_eq!(days(WAITING_CHECK_INS, Some("1, 3 ,10")), vec![1, 3, 10]);
        assert_eq!(days(WAITING_CHECK_INS, Some("4,x,0,-2")), vec![4]);
        assert_eq!(days(WAITING_CHECK_INS, Some("")), vec![2, 5]);
        assert_eq!(days(RESOLUTION_CHECK_INS, Some("0,nope")), vec![3, 7]);
    }

    #[test]
    fn only_a_reply_that_hands_over_an_open_problem_starts_the_wait() {
        assert!(starts_waiting_check_ins(
            Conversation::WaitingOnCustomer,
            Problem::Open
        ));
        assert!(!starts_waiting_check_ins(
            Conversation::WaitingOnCustomer,
            Problem::ResolutionProposed
        ));
        assert!(!starts_waiting_check_ins(
            Conversation::WaitingOnUs,
            Problem::Open
        ));
        assert!(!starts_waiting_check_ins(
            Conversation::OnHold,
            Problem::Open
        ));
    }

    #[test]
    fn a_waiting_check_in_is_due_only_while_nothing_has_happened_since_our_reply() {
        let since = "2026-11-19T15:30:00.000000Z";
        let later = "2026-11-20T08:00:00.000000Z";
        let waiting = Conversation::WaitingOnCustomer;
        assert!(waiting_check_in_due(
            waiting,
            Problem::Open,
            Some(since),
            since
        ));
        // The customer (or we) wrote again since.
        assert!(!waiting_check_in_due(
            waiting,
            Problem::Open,
            Some(later),
            since
        ));
        assert!(!waiting_check_in_due(waiting, Problem::Open, None, since));
        // The turn is ours, or the problem moved on.
        assert!(!waiting_check_in_due(
            Conversation::WaitingOnUs,
            Problem::Open,
            Some(since),
            since
        ));
        assert!(!waiting_check_in_due(
            waiting,
            Problem::ResolutionProposed,
            Some(since),
            since
        ));
        assert!(!waiting_check_in_due(
            waiting,
            Problem::Resolved,
            Some(since),
            since
        ));
    }

    #[test]
    fn resolution_check_ins_fall_on_calendar_days_and_the_final_one_is_last() {
        let proposed = datetime!(2026-11-20 10:00 UTC);
        assert_eq!(
            resolution_check_ins(proposed, &[3, 7]),
            vec![
                ResolutionCheckIn {
                    at: datetime!(2026-11-23 10:00 UTC),
                    last: false
                },
                ResolutionCheckIn {
                    at: datetime!(2026-11-27 10:00 UTC),
                    last: true
                },
            ]
        );
        assert_eq!(
            resolution_check_ins(proposed, &[1]),
            vec![ResolutionCheckIn {
                at: datetime!(2026-11-21 10:00 UTC),
                last: true
            }]
        );
        assert!(resolution_check_ins(proposed, &[]).is_empty());
    }

    #[test]
    fn a_resolution_check_in_is_due_only_for_the_standing_proposal() {
        let asked = "2026-11-20T10:00:00.000000Z";
        let again = "2026-11-25T10:00:00.000000Z";
        assert!(resolution_check_in_due(
            Problem::ResolutionProposed,
            Some(asked),
            asked
        ));
        // Proposed again since: the earlier check-ins and links no longer apply.
        assert!(!resolution_check_in_due(
            Problem::ResolutionProposed,
            Some(again),
            asked
        ));
        assert!(!resolution_check_in_due(
            Problem::ResolutionProposed,
            None,
            asked
        ));
        // The customer answered, or the problem moved on.
        for problem in [Problem::Open, Problem::Resolved, Problem::ClosedUnresolved] {
            assert!(!resolution_check_in_due(problem, Some(asked), asked));
            assert!(!resolution_question_stands(problem, Some(asked), asked));
        }
    }
}

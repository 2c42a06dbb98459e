//! Service levels: how soon the team answers and solves, counted in business hours of the
//! workspace calendar.
//!
//! - An [`SlaPolicy`] sets up to three targets, in business minutes: the **first response**
//!   (from the ticket's opening to our first public reply), the **next response** (from the
//!   customer's first message after our last reply to our next one) and the **resolution**
//!   (while the problem is open, paused whenever the conversation waits on the customer).
//! - The policy a ticket follows is the most specific that applies ([`choose`]): one for the
//!   customer, then their organization, then the ticket's priority, then a policy for all.
//! - A target missed is a breach, recorded once per due time; before that the target is "due
//!   soon" ([`Standing`]), which pages show as a warning.

use crate::calendar::Calendar;
use crate::validate::Invalid;
use crate::{Conversation, Priority, Problem, named_enum};
use time::{Duration, OffsetDateTime};

named_enum! {
    /// What a service level measures.
    SlaTarget, "service level target" {
        /// From the ticket's opening to our first public reply.
        FirstResponse => "first_response",
        /// From the customer's first message after our last reply to our next reply.
        NextResponse => "next_response",
        /// While the problem is open, paused while the conversation waits on the customer.
        Resolution => "resolution",
    }
}

impl SlaTarget {
    /// The target as people say it: "first reply".
    pub fn words(self) -> &'static str {
        match self {
            SlaTarget::FirstResponse => "first reply",
            SlaTarget::NextResponse => "next reply",
            SlaTarget::Resolution => "resolution",
        }
    }
}

/// The longest target a policy may set: about a year of business minutes.
pub const MAX_TARGET_MINUTES: i64 = 365 * 24 * 60;

/// A service level policy.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct SlaPolicy {
    pub id: i64,
    pub name: String,
    /// Applies only to tickets of this priority.
    pub priority: Option<Priority>,
    /// Applies only to this organization's customers.
    pub organization_id: Option<i64>,
    /// Applies only to this customer.
    pub customer_id: Option<i64>,
    /// Business minutes to our first public reply.
    pub first_response_minutes: Option<i64>,
    /// Business minutes to our next public reply after the customer writes.
    pub next_response_minutes: Option<i64>,
    /// Business minutes the problem may stay open (not counting time waiting on the customer).
    pub resolution_minutes: Option<i64>,
    pub created_at: String,
}

impl SlaPolicy {
    /// The target's business minutes, if the policy sets one.
    pub fn minutes(&self, target: SlaTarget) -> Option<i64> {
        match target {
            SlaTarget::FirstResponse => self.first_response_minutes,
            SlaTarget::NextResponse => self.next_response_minutes,
            SlaTarget::Resolution => self.resolution_minutes,
        }
    }

    /// How closely the policy fits: a customer's outranks an organization's, which outranks a
    /// priority's, which outranks one for all. `None` when it does not apply.
    fn fit(&self, ticket: &Applies) -> Option<u8> {
        let mut points = 0;
        if let Some(customer) = self.customer_id {
            if customer != ticket.customer_id {
                return None;
            }
            points += 4;
        }
        if let Some(organization) = self.organization_id {
            if Some(organization) != ticket.organization_id {
                return None;
            }
            points += 2;
        }
        if let Some(priority) = self.priority {
            if priority != ticket.priority {
                return None;
            }
            points += 1;
        }
        Some(points)
    }
}

/// What decides which policy a ticket follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Applies {
    pub priority: Priority,
    pub customer_id: i64,
    pub organization_id: Option<i64>,
}

/// The policy a ticket follows: the most specific that applies; among equals, the oldest.
pub fn choose<'a>(policies: &'a [SlaPolicy], ticket: &Applies) -> Option<&'a SlaPolicy> {
    policies
        .iter()
        .filter_map(|policy| policy.fit(ticket).map(|fit| (fit, policy)))
        .max_by(|(a, x), (b, y)| a.cmp(b).then(y.id.cmp(&x.id)))
        .map(|(_, policy)| policy)
}

/// Checks a target's minutes: from 1 to [`MAX_TARGET_MINUTES`].
pub fn check_minutes(field: &'static str, minutes: Option<i64>) -> Result<Option<i64>, Invalid> {
    match minutes {
        Some(m) if !(1..=MAX_TARGET_MINUTES).contains(&m) => Err(Invalid::new(
            field,
            format!("a target is from 1 to {MAX_TARGET_MINUTES} business minutes"),
        )),
        other => Ok(other),
    }
}

/// Whether the resolution clock runs: the problem is open and the turn is not the customer's.
pub fn resolution_clock_runs(conversation: Conversation, problem: Problem) -> bool {
    problem == Problem::Open && conversation != Conversation::WaitingOnCustomer
}

/// The resolution clock of a ticket, as kept between changes: business time used so far, and
/// since when it runs (none while paused or stopped).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ResolutionClock {
    pub used: Duration,
    pub running_since: Option<OffsetDateTime>,
}

impl ResolutionClock {
    /// The clock after the ticket's state at `now`: a running clock that must stop adds its
    /// business time; a stopped one that must run starts now.
    pub fn at(self, now: OffsetDateTime, runs: bool, calendar: &Calendar) -> ResolutionClock {
        match (self.running_since, runs) {
            (Some(since), false) => ResolutionClock {
                used: self.used + calendar.business_time_between(since, now),
                running_since: None,
            },
            (None, true) => ResolutionClock {
                used: self.used,
                running_since: Some(now),
            },
            _ => self,
        }
    }

    /// When a target of `minutes` falls due, while the clock runs.
    pub fn due(&self, minutes: i64, calendar: &Calendar) -> Option<OffsetDateTime> {
        let since = self.running_since?;
        let left = (Duration::minutes(minutes) - self.used).max(Duration::ZERO);
        Some(calendar.add_business_time(since, left))
    }
}

/// Where a target stands at a moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// Met (answered, resolved) or not running.
    Settled,
    /// Due later, and not soon.
    OnTrack,
    /// Due within the warning time: a fifth of the target, at least 15 minutes.
    DueSoon,
    /// Past due.
    Breached,
}

/// Where a target due at `due` (of `minutes`) stands at `now`.
pub fn standing(due: Option<OffsetDateTime>, minutes: i64, now: OffsetDateTime) -> Standing {
    let Some(due) = due else {
        return Standing::Settled;
    };
    let warning = Duration::minutes((minutes / 5).max(15));
    if due <= now {
        Standing::Breached
    } else if due - warning <= now {
        Standing::DueSoon
    } else {
        Standing::OnTrack
    }
}

/// How long until (or since) `due`, as people say it: "in 1 h 20 min", "3 h overdue".
pub fn time_left(due: OffsetDateTime, now: OffsetDateTime) -> String {
    let (span, overdue) = if due >= now {
        (due - now, false)
    } else {
        (now - due, true)
    };
    let minutes = span.whole_minutes();
    let said = if minutes < 60 {
        format!("{} min", minutes.max(1))
    } else if minutes < 48 * 60 {
        let (h, m) = (minutes / 60, minutes % 60);
        if m == 0 {
            format!("{h} h")
        } else {
            format!("{h} h {m} min")
        }
    } else {
        format!("{} days", minutes / (24 * 60))
    };
    if overdue {
        format!("{said} overdue")
    } else {
        format!("in {said}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn policy(id: i64) -> SlaPolicy {
        SlaPolicy {
            id,
            name: format!("Policy {id}"),
            priority: None,
            organization_id: None,
            customer_id: None,
            first_response_minutes: Some(60),
            next_response_minutes: None,
            resolution_minutes: None,
            created_at: String::new(),
        }
    }

    #[test]
    fn the_most_specific_policy_wins() {
        let everyone = policy(1);
        let urgent = SlaPolicy {
            priority: Some(Priority::Urgent),
            ..policy(2)
        };
        let harbor = SlaPolicy {
            organization_id: Some(7),
            ..policy(3)
        };
        let ana = SlaPolicy {
            customer_id: Some(42),
            ..policy(4)
        };
        let all = [everyone, urgent, harbor, ana];
        let ticket = |priority, customer_id, organization_id| Applies {
            priority,
            customer_id,
            organization_id,
        };
        let chosen = |t| choose(&all, &t).map(|p| p.id);
        assert_eq!(chosen(ticket(Priority::Normal, 1, None)), Some(1));
        assert_eq!(chosen(ticket(Priority::Urgent, 1, None)), Some(2));
        assert_eq!(chosen(ticket(Priority::Urgent, 1, Some(7))), Some(3));
        assert_eq!(chosen(ticket(Priority::Urgent, 42, Some(7))), Some(4));
        assert_eq!(choose(&all[1..2], &ticket(Priority::Low, 1, None)), None);
        // Among equals, the oldest.
        let twins = [policy(9), policy(5)];
        assert_eq!(
            choose(&twins, &ticket(Priority::Low, 1, None)).map(|p| p.id),
            Some(5)
        );
    }

    #[test]
    fn the_resolution_clock_pauses_while_the_customer_has_the_turn() {
        let calendar = Calendar::default();
        // Opened Monday 09:00; the customer has the turn from 11:00 to Tuesday 10:00.
        let clock = ResolutionClock::default().at(datetime!(2026-12-07 09:00 UTC), true, &calendar);
        assert_eq!(
            clock.due(8 * 60, &calendar),
            Some(datetime!(2026-12-07 17:00 UTC))
        );
        let paused = clock.at(datetime!(2026-12-07 11:00 UTC), false, &calendar);
        assert_eq!(paused.used, Duration::hours(2));
        assert_eq!(paused.due(8 * 60, &calendar), None);
        let resumed = paused.at(datetime!(2026-12-08 10:00 UTC), true, &calendar);
        assert_eq!(
            resumed.due(8 * 60, &calendar),
            Some(datetime!(2026-12-08 16:00 UTC)),
            "six business hours left"
        );
        assert_eq!(
            resumed.at(datetime!(2026-12-08 12:00 UTC), true, &calendar),
            resumed
        );
    }

    #[test]
    fn a_target_warns_before_it_is_missed() {
        let due = Some(datetime!(2026-12-07 12:00 UTC));
        assert_eq!(
            standing(due, 60, datetime!(2026-12-07 11:00 UTC)),
            Standing::OnTrack
        );
        assert_eq!(
            standing(due, 60, datetime!(2026-12-07 11:50 UTC)),
            Standing::DueSoon
        );
        assert_eq!(
            standing(due, 60, datetime!(2026-12-07 12:00 UTC)),
            Standing::Breached
        );
        assert_eq!(
            standing(None, 60, datetime!(2026-12-07 12:00 UTC)),
            Standing::Settled
        );
        assert_eq!(
            time_left(
                datetime!(2026-12-07 12:00 UTC),
                datetime!(2026-12-07 10:40 UTC)
            ),
            "in 1 h 20 min"
        );
        assert_eq!(
            time_left(
                datetime!(2026-12-07 12:00 UTC),
                datetime!(2026-12-07 15:00 UTC)
            ),
            "3 h overdue"
        );
        assert!(check_minutes("first_response_minutes", Some(0)).is_err());
        assert_eq!(check_minutes("first_response_minutes", None), Ok(None));
    }
}

//! Promises: a promise is a debt. Who promised what to which customer, by when. The rules:
//!
//! - a new promise must be due in the future, a call-back needs a number to call, and a
//!   call-back window must start before it ends ([`check_new`]);
//! - the promiser is reminded some time before it is due ([`reminder_at`]), while it
//!   is still open ([`needs_reminder`]);
//! - a promise still open when its due time has passed is broken ([`is_broken`]), and the
//!   promiser and their supervisor hear of it;
//! - some promises are kept by the act itself: a public reply keeps a `reply` promise, a call
//!   we made keeps a `call_back` promise ([`Act::keeps`]);
//! - an agent may mark an open promise kept or renegotiated, nothing else
//!   ([`PromiseStatus::agent_may_set`]).
//!
//! Times here are in the stored format (`2026-11-24T15:00:00.000000Z`), which orders the same
//! way as text and as time, so they compare as strings.

use crate::named_enum;
use crate::validate::Invalid;
use std::ops::Sub;
use std::time::Duration;

named_enum! {
    /// What kind of promise: some are kept by the act itself.
    PromiseKind, "promise kind" {
        Reply => "reply",
        CallBack => "call_back",
        Other => "other",
    }
}

named_enum! {
    PromiseStatus, "promise status" {
        Open => "open",
        Kept => "kept",
        Broken => "broken",
        Renegotiated => "renegotiated",
    }
}

impl PromiseStatus {
    /// The statuses an agent may mark a promise with by hand. Broken is for the clock to say.
    pub fn agent_may_set(self) -> bool {
        matches!(self, PromiseStatus::Kept | PromiseStatus::Renegotiated)
    }
}

/// When to remind the promiser of a promise due at `due`: `lead` before (the workspace timing
/// `promise_reminder_minutes`, an hour by default), or not at all when that moment is already
/// past (a promise made for the next half hour needs no reminder). Works with any time type
/// that can step back by a [`Duration`].
pub fn reminder_at<T>(due: T, now: T, lead: Duration) -> Option<T>
where
    T: Sub<Duration, Output = T> + PartialOrd,
{
    let at = due - lead;
    (at > now).then_some(at)
}

/// Whether the reminder, when its time comes, still has something to remind of.
pub fn needs_reminder(status: PromiseStatus) -> bool {
    status == PromiseStatus::Open
}

/// Whether a promise is broken when its due job runs at `now`: still open, and due.
pub fn is_broken(status: PromiseStatus, due_at: &str, now: &str) -> bool {
    status == PromiseStatus::Open && due_at <= now
}

/// Checks a new promise's times and number. `window_start` and `due_at` are in the stored
/// format; `due_at` is the end of a call-back window.
pub fn check_new(
    kind: PromiseKind,
    phone: Option<&str>,
    window_start: Option<&str>,
    due_at: &str,
    now: &str,
) -> Result<(), Invalid> {
    if window_start.is_some_and(|start| start >= due_at) {
        return Err(Invalid::new(
            "window_start",
            "the window must start before `due_at`, its end",
        ));
    }
    if kind == PromiseKind::CallBack && phone.is_none_or(|p| p.trim().is_empty()) {
        return Err(Invalid::new(
            "phone",
            "a call-back promise needs the number to call",
        ));
    }
    if due_at <= now {
        return Err(Invalid::new(
            "due_at",
            "a promise must be due in the future",
        ));
    }
    Ok(())
}

/// Something an agent did that may keep a promise by itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Act {
    /// A public reply on a ticket.
    PublicReply,
    /// A call we made to the customer, logged on a ticket.
    OutboundCall,
    /// A call the customer made to us, logged on a ticket.
    InboundCall,
}

impl Act {
    /// The kind of open promise this act keeps. A call the customer made to us is not the
    /// call back we promised, so it keeps nothing.
    pub fn keeps(self) -> Option<PromiseKind> {
        match self {
            Act::PublicReply => Some(PromiseKind::Reply),
            Act::OutboundCall => Some(PromiseKind::CallBack),
            Act::InboundCall => None,
        }
    }
}

/// Why a promise was settled, as the audit trail records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settled {
    /// Kept by an act (see [`Act::keeps`]).
    By(Act),
    /// Its due time passed while it was open.
    DuePassed,
    /// An agent marked it by hand.
    MarkedByAgent,
}

impl Settled {
    /// The reason stored in the `promise.*` event. Events already stored carry these words,
    /// so they are data, not wording to restyle.
    pub fn why(self) -> &'static str {
        match self {
            Settled::By(Act::PublicReply) => "a public reply was sent",
            Settled::By(Act::OutboundCall | Act::InboundCall) => "a call was logged",
            Settled::DuePassed => "not kept by its due time",
            Settled::MarkedByAgent => "marked by an agent",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: &str = "2026-11-24T10:00:00.000000Z";
    const LATER: &str = "2026-11-24T15:00:00.000000Z";
    const EARLIER: &str = "2026-11-24T09:00:00.000000Z";

    #[test]
    fn the_reminder_goes_out_an_hour_before_the_due_time() {
        // Seconds stand in for times: any type that steps back by a Duration will do.
        let now = std::time::UNIX_EPOCH + Duration::from_secs(10_000);
        let due = now + Duration::from_secs(5 * 60 * 60);
        let hour = Duration::from_secs(3600);
        assert_eq!(reminder_at(due, now, hour), Some(due - hour));
        let quarter = Duration::from_secs(15 * 60);
        assert_eq!(reminder_at(due, now, quarter), Some(due - quarter));
    }

    #[test]
    fn no_reminder_when_its_time_has_passed() {
        let now = std::time::UNIX_EPOCH + Duration::from_secs(10_000);
        let soon = now + Duration::from_secs(30 * 60);
        let hour = Duration::from_secs(3600);
        assert_eq!(reminder_at(soon, now, hour), None);
        let exactly_an_hour = now + hour;
        assert_eq!(reminder_at(exactly_an_hour, now, hour), None);
    }

    #[test]
    fn only_open_promises_are_reminded() {
        assert!(needs_reminder(PromiseStatus::Open));
        for settled in [
            PromiseStatus::Kept,
            PromiseStatus::Broken,
            PromiseStatus::Renegotiated,
        ] {
            assert!(!needs_reminder(settled));
        }
    }

    #[test]
    fn an_open_promise_past_its_due_time_is_broken() {
        assert!(is_broken(PromiseStatus::Open, NOW, NOW));
        assert!(is_broken(PromiseStatus::Open, EARLIER, NOW));
        assert!(!is_broken(PromiseStatus::Open, LATER, NOW));
        assert!(!is_broken(PromiseStatus::Kept, EARLIER, NOW));
        assert!(!is_broken(PromiseStatus::Renegotiated, EARLIER, NOW));
    }

    #[test]
    fn a_reply_keeps_a_reply_promise_and_our_call_a_call_back() {
        assert_eq!(Act::PublicReply.keeps(), Some(PromiseKind::Reply));
        assert_eq!(Act::OutboundCall.keeps(), Some(PromiseKind::CallBack));
        assert_eq!(Act::InboundCall.keeps(), None);
        assert_eq!(
            Settled::By(Act::PublicReply).why(),
            "a public reply was sent"
        );
        assert_eq!(Settled::By(Act::OutboundCall).why(), "a call was logged");
    }

    #[test]
    fn agents_mark_promises_kept_or_renegotiated_only() {
        assert!(PromiseStatus::Kept.agent_may_set());
        assert!(PromiseStatus::Renegotiated.agent_may_set());
        assert!(!PromiseStatus::Broken.agent_may_set());
        assert!(!PromiseStatus::Open.agent_may_set());
    }

    #[test]
    fn a_new_promise_is_due_in_the_future() {
        let err = check_new(PromiseKind::Reply, None, None, EARLIER, NOW).expect_err("past");
        assert_eq!(err.field, "due_at");
        let err = check_new(PromiseKind::Reply, None, None, NOW, NOW).expect_err("now");
        assert_eq!(err.field, "due_at");
        assert_eq!(
            check_new(PromiseKind::Reply, None, None, LATER, NOW),
            Ok(())
        );
    }

    #[test]
    fn a_call_back_needs_a_number() {
        for phone in [None, Some(""), Some("  ")] {
            let err =
                check_new(PromiseKind::CallBack, phone, None, LATER, NOW).expect_err("no number");
            assert_eq!(err.field, "phone");
        }
        let phone = Some("+44 20 7946 0000");
        assert_eq!(
            check_new(PromiseKind::CallBack, phone, None, LATER, NOW),
            Ok(())
        );
    }

    #[test]
    fn a_window_starts_before_it_ends() {
        let err =
            check_new(PromiseKind::Other, None, Some(LATER), LATER, NOW).expect_err("empty window");
        assert_eq!(err.field, "window_start");
        assert_eq!(
            check_new(PromiseKind::Other, None, Some(NOW), LATER, NOW),
            Ok(())
        );
    }

    #[test]
    fn kind_and_status_names_parse() {
        assert_eq!(
            "call_back".parse::<PromiseKind>(),
            Ok(PromiseKind::CallBack)
        );
        assert_eq!(PromiseStatus::Open.as_str(), "open");
        assert!("later".parse::<PromiseStatus>().is_err());
    }
}

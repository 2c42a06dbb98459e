//! A ticket carries two states that other help desks fold into one "status":
//!
//! - the **conversation**: who owes the next message;
//! - the **problem**: whether it is solved, as the customer sees it.
//!
//! Keeping them apart is the first principle of DESIGN.md: a quiet ticket is not a solved
//! problem. Every move of either state goes through a function here, and a move that makes no
//! sense is an error that says why.

use crate::message::{AuthorKind, Visibility};
use crate::named_enum;
use std::fmt;

named_enum! {
    /// Who owes the next message.
    Conversation, "conversation state" {
        New => "new",
        WaitingOnUs => "waiting_on_us",
        WaitingOnCustomer => "waiting_on_customer",
        OnHold => "on_hold",
    }
}

named_enum! {
    /// Whether the customer's problem is solved, from the customer's point of view.
    Problem, "problem state" {
        Open => "open",
        ResolutionProposed => "resolution_proposed",
        Resolved => "resolved",
        ClosedUnresolved => "closed_unresolved",
    }
}

named_enum! {
    Priority, "priority" {
        Low => "low",
        Normal => "normal",
        High => "high",
        Urgent => "urgent",
    }
}

/// A state change that is not allowed from where the ticket is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransitionError {
    pub message: String,
}

impl TransitionError {
    fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }
}

impl fmt::Display for TransitionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for TransitionError {}

impl Conversation {
    /// Where the conversation stands after a message. A customer's public message means we owe
    /// the next word (even on hold: the customer spoke, someone must look); an agent's public reply
    /// hands the turn to the customer; internal notes and system messages change nothing.
    pub fn after_message(self, author: AuthorKind, visibility: Visibility) -> Conversation {
        match (author, visibility) {
            (_, Visibility::Internal) | (AuthorKind::System, _) => self,
            (AuthorKind::Customer, Visibility::Public) => Conversation::WaitingOnUs,
            (AuthorKind::Agent, Visibility::Public) => Conversation::WaitingOnCustomer,
        }
    }

    /// Puts the conversation on hold while we wait for someone other than the customer.
    pub fn hold(self) -> Result<Conversation, TransitionError> {
        match self {
            Conversation::OnHold => Err(TransitionError::new("the ticket is already on hold")),
            _ => Ok(Conversation::OnHold),
        }
    }

    /// Takes the conversation off hold: the next move is ours again.
    pub fn release(self) -> Result<Conversation, TransitionError> {
        match self {
            Conversation::OnHold => Ok(Conversation::WaitingOnUs),
            other => Err(TransitionError::new(format!(
                "the ticket is not on hold (it is {}), so there is nothing to release",
                other.describe()
            ))),
        }
    }

    /// A few words a person understands.
    pub fn describe(self) -> &'static str {
        match self {
            Conversation::New => "new",
            Conversation::WaitingOnUs => "waiting on us",
            Conversation::WaitingOnCustomer => "waiting on the customer",
            Conversation::OnHold => "on hold",
        }
    }
}

impl Problem {
    /// An agent believes the problem is fixed and asks the customer to confirm.
    pub fn propose_resolution(self) -> Result<Problem, TransitionError> {
        match self {
            Problem::Open => Ok(Problem::ResolutionProposed),
            Problem::ResolutionProposed => Err(TransitionError::new(
                "a resolution is already proposed; wait for the customer's answer or reopen the problem",
            )),
            Problem::Resolved => Err(TransitionError::new("the problem is already resolved")),
            Problem::ClosedUnresolved => Err(TransitionError::new(
                "the problem was closed unresolved; reopen it before proposing a resolution",
            )),
        }
    }

    /// The customer says the proposed resolution fixed it.
    pub fn confirm_resolution(self) -> Result<Problem, TransitionError> {
        match self {
            Problem::ResolutionProposed => Ok(Problem::Resolved),
            Problem::Resolved => Err(TransitionError::new("the problem is already resolved")),
            other => Err(TransitionError::new(format!(
                "no resolution has been proposed (the problem is {}), so there is nothing to confirm",
                other.describe()
            ))),
        }
    }

    /// The customer says the proposed resolution did not fix it.
    pub fn reject_resolution(self) -> Result<Problem, TransitionError> {
        match self {
            Problem::ResolutionProposed => Ok(Problem::Open),
            other => Err(TransitionError::new(format!(
                "no resolution has been proposed (the problem is {}), so there is nothing to reject",
                other.describe()
            ))),
        }
    }

    /// Someone says the problem is back, or was never solved.
    pub fn reopen(self) -> Result<Problem, TransitionError> {
        match self {
            Problem::Open => Err(TransitionError::new("the problem is already open")),
            _ => Ok(Problem::Open),
        }
    }

    /// An agent gives up on a problem that is not solved. The reason is required because the
    /// customer's history will show it; an unexplained close is exactly what Rapport exists to stop.
    pub fn close_unresolved(self, reason: &str) -> Result<Problem, TransitionError> {
        if reason.trim().is_empty() {
            return Err(TransitionError::new(
                "closing a problem that is not solved needs a written reason; the customer's history will show it",
            ));
        }
        match self {
            Problem::Open | Problem::ResolutionProposed => Ok(Problem::ClosedUnresolved),
            Problem::Resolved => Err(TransitionError::new(
                "the problem is resolved; there is nothing unresolved to close",
            )),
            Problem::ClosedUnresolved => Err(TransitionError::new(
                "the problem is already closed unresolved",
            )),
        }
    }

    /// Any public message from the customer reopens a problem that we thought was settled: a
    /// ticket is never a dead end that forces the customer to start over.
    pub fn after_customer_message(self) -> Problem {
        Problem::Open
    }

    pub fn describe(self) -> &'static str {
        match self {
            Problem::Open => "open",
            Problem::ResolutionProposed => "waiting for the customer to confirm a resolution",
            Problem::Resolved => "resolved",
            Problem::ClosedUnresolved => "closed unresolved",
        }
    }
}

/// The tag that marks a ticket as a complaint (the coach reviews replies on it more strictly).
pub const COMPLAINT_TAG: &str = "complaint";

#[cfg(test)]
mod tests {
    use super::*;
    use AuthorKind::*;
    use Visibility::*;

    #[test]
    fn customer_messages_put_the_turn_on_us() {
        for state in Conversation::ALL {
            assert_eq!(
                state.after_message(Customer, Public),
                Conversation::WaitingOnUs
            );
        }
    }

    #[test]
    fn agent_replies_put_the_turn_on_the_customer() {
        assert_eq!(
            Conversation::New.after_message(Agent, Public),
            Conversation::WaitingOnCustomer
        );
        assert_eq!(
            Conversation::WaitingOnUs.after_message(Agent, Public),
            Conversation::WaitingOnCustomer
        );
    }

    #[test]
    fn notes_and_system_messages_change_nothing() {
        for state in Conversation::ALL {
            assert_eq!(state.after_message(Agent, Internal), *state);
            assert_eq!(state.after_message(Customer, Internal), *state);
            assert_eq!(state.after_message(System, Public), *state);
        }
    }

    #[test]
    fn hold_and_release() {
        assert_eq!(Conversation::WaitingOnUs.hold(), Ok(Conversation::OnHold));
        assert_eq!(
            Conversation::OnHold.release(),
            Ok(Conversation::WaitingOnUs)
        );
        assert!(Conversation::OnHold.hold().is_err());
        let err = Conversation::New.release().expect_err("not on hold");
        assert!(err.message.contains("not on hold"), "{err}");
    }

    #[test]
    fn resolution_is_proposed_then_confirmed_or_rejected() {
        let proposed = Problem::Open
            .propose_resolution()
            .expect("open problems can be proposed");
        assert_eq!(proposed, Problem::ResolutionProposed);
        assert_eq!(proposed.confirm_resolution(), Ok(Problem::Resolved));
        assert_eq!(proposed.reject_resolution(), Ok(Problem::Open));
    }

    #[test]
    fn nothing_to_confirm_without_a_proposal() {
        let err = Problem::Open
            .confirm_resolution()
            .expect_err("open cannot be confirmed");
        assert_eq!(
            err.message,
            "no resolution has been proposed (the problem is open), so there is nothing to confirm"
        );
        assert!(Problem::Open.reject_resolution().is_err());
        assert!(Problem::Resolved.propose_resolution().is_err());
        assert!(Problem::ResolutionProposed.propose_resolution().is_err());
        assert!(Problem::ClosedUnresolved.propose_resolution().is_err());
    }

    #[test]
    fn closing_unresolved_needs_a_reason() {
        let err = Problem::Open.close_unresolved("  ").expect_err("no reason");
        assert!(err.message.contains("reason"));
        assert_eq!(
            Problem::Open.close_unresolved("customer moved to another provider"),
            Ok(Problem::ClosedUnresolved)
        );
        assert!(Problem::Resolved.close_unresolved("why").is_err());
        assert!(Problem::ClosedUnresolved.close_unresolved("why").is_err());
    }

    #[test]
    fn reopening() {
        assert!(Problem::Open.reopen().is_err());
        for state in [
            Problem::ResolutionProposed,
            Problem::Resolved,
            Problem::ClosedUnresolved,
        ] {
            assert_eq!(state.reopen(), Ok(Problem::Open));
        }
    }

    #[test]
    fn a_customer_reply_reopens_any_settled_problem() {
        for state in Problem::ALL {
            assert_eq!(state.after_customer_message(), Problem::Open);
        }
    }

    #[test]
    fn bad_state_names_list_the_good_ones() {
        let err = "closed".parse::<Problem>().expect_err("unknown");
        assert_eq!(
            err.message,
            "`closed` is not a problem state; use one of: open, resolution_proposed, resolved, closed_unresolved"
        );
    }
}

/// A customer's request: one episode in a relationship.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct Ticket {
    pub id: i64,
    pub subject: String,
    pub customer_id: i64,
    pub organization_id: Option<i64>,
    pub team_id: Option<i64>,
    pub assignee_id: Option<i64>,
    pub priority: Priority,
    pub conversation: Conversation,
    pub problem: Problem,
    /// The channel the ticket arrived through.
    pub channel: crate::Channel,
    pub tags: Vec<String>,
    /// What Rapport read in the customer's latest message.
    pub insight: Option<rapport_coach::Insight>,
    /// For a resolved problem: `true` when the customer confirmed the fix, `false` when it was
    /// marked resolved after the customer stayed silent (still reopened by any reply).
    pub resolution_confirmed: Option<bool>,
    /// Why an agent closed the problem unresolved; shown in the customer's history.
    pub closed_reason: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

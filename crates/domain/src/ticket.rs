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

/// A deliberate move of a ticket's conversation or problem state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TicketMove {
    Hold,
    Release,
    ProposeResolution,
    ConfirmResolution,
    RejectResolution,
    Reopen,
    CloseUnresolved { reason: String },
}

impl TicketMove {
    /// The event recorded for the move.
    pub fn action(&self) -> &'static str {
        match self {
            TicketMove::Hold => "ticket.held",
            TicketMove::Release => "ticket.released",
            TicketMove::ProposeResolution => "resolution.proposed",
            TicketMove::ConfirmResolution => "resolution.confirmed",
            TicketMove::RejectResolution => "resolution.rejected",
            TicketMove::Reopen => "problem.reopened",
            TicketMove::CloseUnresolved { .. } => "problem.closed_unresolved",
        }
    }

    /// The ticket after the move, or why the move makes no sense from where it is. A
    /// confirmed resolution is marked confirmed; a close records its (trimmed) reason; a
    /// problem that is open again forgets both.
    pub fn apply(&self, before: &Ticket) -> Result<Ticket, TransitionError> {
        let mut after = before.clone();
        match self {
            TicketMove::Hold => after.conversation = before.conversation.hold()?,
            TicketMove::Release => after.conversation = before.conversation.release()?,
            TicketMove::ProposeResolution => after.problem = before.problem.propose_resolution()?,
            TicketMove::ConfirmResolution => {
                after.problem = before.problem.confirm_resolution()?;
                after.resolution_confirmed = Some(true);
            }
            TicketMove::RejectResolution => after.problem = before.problem.reject_resolution()?,
            TicketMove::Reopen => after.problem = before.problem.reopen()?,
            TicketMove::CloseUnresolved { reason } => {
                after.problem = before.problem.close_unresolved(reason)?;
                after.closed_reason = Some(reason.trim().to_owned());
            }
        }
        if after.problem == Problem::Open {
            after.resolution_confirmed = None;
            after.closed_reason = None;
        }
        Ok(after)
    }
}

/// What a customer's own words say while a resolution is proposed, when they write instead of
/// answering "did this fix it?".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WordsSay {
    /// "That fixed it, thanks": the resolution is confirmed.
    Fixed,
    /// "Still broken", a new problem, a complaint: the problem reopens.
    NotFixed,
    /// Neither ("Thanks, I'll try it tomorrow"): the question stays open for them to answer.
    Unclear,
}

/// Reads a customer's message written while a resolution is proposed. A problem named
/// anywhere, or a complaint, wins over thanks (a "thanks, but it still fails" is not a
/// confirmation); only words that say it is fixed confirm; anything else keeps the question
/// open rather than guess.
pub fn words_say(text: &str) -> WordsSay {
    use rapport_coach::Intent;
    let insight = rapport_coach::analyze_message(text);
    let words = rapport_coach::fix_words(text);
    let troubled = insight.intents.iter().any(|intent| {
        matches!(
            intent,
            Intent::Complaint
                | Intent::WantsManager
                | Intent::WantsToCancel
                | Intent::LegalThreat
                | Intent::Urgent
        )
    });
    if words.names_problem || troubled || insight.frustration >= 0.5 {
        WordsSay::NotFixed
    } else if words.says_fixed {
        WordsSay::Fixed
    } else {
        WordsSay::Unclear
    }
}

/// What the customer chose with a "did this fix it?" link. Each question has one link per
/// answer, stored as `yes` and `no`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    Fixed,
    NotFixed,
}

impl Answer {
    pub const ALL: &'static [Answer] = &[Answer::Fixed, Answer::NotFixed];

    /// The answer as stored with its link.
    pub fn as_str(self) -> &'static str {
        match self {
            Answer::Fixed => "yes",
            Answer::NotFixed => "no",
        }
    }

    /// Reads a stored answer; anything but `yes` counts as "not fixed", the answer that
    /// keeps the problem in our hands.
    pub fn from_stored(text: &str) -> Answer {
        if text == Answer::Fixed.as_str() {
            Answer::Fixed
        } else {
            Answer::NotFixed
        }
    }
}

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
    fn a_customers_words_answer_a_proposed_resolution_only_when_they_are_clear() {
        for (words, said) in [
            ("That fixed it, thanks!", WordsSay::Fixed),
            ("Works now. Thank you so much.", WordsSay::Fixed),
            ("It is still broken.", WordsSay::NotFixed),
            ("Thanks, but it's still not fixed.", WordsSay::NotFixed),
            (
                "That fixed it, but now the scanner fails with an error.",
                WordsSay::NotFixed,
            ),
            ("Thanks, I will try it tomorrow.", WordsSay::Unclear),
            ("Ok.", WordsSay::Unclear),
            ("Danke, das hat geholfen.", WordsSay::Unclear),
            (
                "Thanks, I will try the new settings tomorrow morning.",
                WordsSay::Unclear,
            ),
            ("Great, no more errors since the update.", WordsSay::Fixed),
            ("Your update didn't fix it.", WordsSay::NotFixed),
        ] {
            assert_eq!(words_say(words), said, "{words}");
        }
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

    fn ticket(conversation: Conversation, problem: Problem) -> Ticket {
        Ticket {
            id: 1,
            subject: "Printer jams".into(),
            customer_id: 2,
            organization_id: None,
            team_id: None,
            assignee_id: None,
            priority: Priority::Normal,
            conversation,
            problem,
            channel: crate::Channel::Email,
            tags: vec![],
            insight: None,
            resolution_confirmed: None,
            closed_reason: None,
            created_at: "2026-11-20T10:00:00.000000Z".into(),
            updated_at: "2026-11-20T10:00:00.000000Z".into(),
        }
    }

    #[test]
    fn moves_change_one_state_and_keep_the_rest() {
        let before = ticket(Conversation::WaitingOnUs, Problem::Open);
        let held = TicketMove::Hold.apply(&before).expect("hold");
        assert_eq!(held.conversation, Conversation::OnHold);
        assert_eq!(held.problem, Problem::Open);
        assert_eq!(held.subject, before.subject);
        let released = TicketMove::Release.apply(&held).expect("release");
        assert_eq!(released.conversation, Conversation::WaitingOnUs);
        let proposed = TicketMove::ProposeResolution
            .apply(&before)
            .expect("propose");
        assert_eq!(proposed.problem, Problem::ResolutionProposed);
        assert_eq!(proposed.conversation, Conversation::WaitingOnUs);
        assert_eq!(proposed.resolution_confirmed, None);
    }

    #[test]
    fn a_confirmed_resolution_is_marked_confirmed_until_reopened() {
        let proposed = ticket(Conversation::WaitingOnUs, Problem::ResolutionProposed);
        let confirmed = TicketMove::ConfirmResolution
            .apply(&proposed)
            .expect("confirm");
        assert_eq!(confirmed.problem, Problem::Resolved);
        assert_eq!(confirmed.resolution_confirmed, Some(true));
        let reopened = TicketMove::Reopen.apply(&confirmed).expect("reopen");
        assert_eq!(reopened.problem, Problem::Open);
        assert_eq!(reopened.resolution_confirmed, None);
        let rejected = TicketMove::RejectResolution
            .apply(&proposed)
            .expect("reject");
        assert_eq!(rejected.problem, Problem::Open);
    }

    #[test]
    fn a_close_keeps_its_trimmed_reason_until_reopened() {
        let open = ticket(Conversation::WaitingOnCustomer, Problem::Open);
        let closed = TicketMove::CloseUnresolved {
            reason: "  moved to another provider ".into(),
        }
        .apply(&open)
        .expect("close");
        assert_eq!(closed.problem, Problem::ClosedUnresolved);
        assert_eq!(
            closed.closed_reason.as_deref(),
            Some("moved to another provider")
        );
        let reopened = TicketMove::Reopen.apply(&closed).expect("reopen");
        assert_eq!(reopened.closed_reason, None);
    }

    #[test]
    fn a_move_that_makes_no_sense_says_why() {
        let open = ticket(Conversation::New, Problem::Open);
        let err = TicketMove::ConfirmResolution
            .apply(&open)
            .expect_err("nothing proposed");
        assert!(err.message.contains("nothing to confirm"), "{err}");
        assert!(TicketMove::Release.apply(&open).is_err());
        assert!(
            TicketMove::CloseUnresolved { reason: " ".into() }
                .apply(&open)
                .is_err()
        );
    }

    #[test]
    fn each_move_records_its_own_event() {
        assert_eq!(TicketMove::Hold.action(), "ticket.held");
        assert_eq!(
            TicketMove::CloseUnresolved { reason: "x".into() }.action(),
            "problem.closed_unresolved"
        );
        assert_eq!(
            TicketMove::ConfirmResolution.action(),
            "resolution.confirmed"
        );
    }

    #[test]
    fn link_answers_are_stored_as_yes_and_no() {
        for answer in Answer::ALL {
            assert_eq!(Answer::from_stored(answer.as_str()), *answer);
        }
        assert_eq!(Answer::Fixed.as_str(), "yes");
        assert_eq!(Answer::from_stored("maybe"), Answer::NotFixed);
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

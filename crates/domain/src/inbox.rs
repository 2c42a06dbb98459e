//! The agent's inbox: its views, and what each one lists. The store turns a view's
//! [`Listing`] into a query; the rules of which work belongs in which view live here.

use crate::{Conversation, Problem};

crate::named_enum! {
    /// One view of the inbox.
    View, "inbox view" {
        Mine => "mine",
        Unassigned => "unassigned",
        MyTeam => "team",
        WaitingOnUs => "waiting_on_us",
        WaitingOnCustomer => "waiting_on_customer",
        PromisesToday => "promises",
        MomentsToday => "moments",
        Escalated => "escalated",
    }
}

/// Tickets still being worked on: every ticket view lists only these.
pub const UNFINISHED: [Problem; 2] = [Problem::Open, Problem::ResolutionProposed];

/// What a view lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listing {
    /// Unfinished tickets that match the filter.
    Tickets(TicketFilter),
    /// The agent's open promises due by the end of their day, soonest first.
    PromisesDue,
    /// Moments to follow up by today, for customers the agent owns or noted, not yet followed up.
    MomentsDue,
}

/// Which unfinished tickets a ticket view shows; every condition set must hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TicketFilter {
    pub assignee: Option<Assignee>,
    /// Only tickets of teams the agent belongs to.
    pub my_teams: bool,
    /// Only tickets in one of these conversation states (any state when empty).
    pub conversations: &'static [Conversation],
    /// Only tickets with an escalation not yet answered.
    pub escalated: bool,
    pub order: TicketOrder,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Assignee {
    /// Assigned to the agent looking.
    Me,
    Nobody,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TicketOrder {
    /// Most recently changed first.
    #[default]
    RecentlyUpdated,
    /// Whatever is owed soonest first: a promise's due time, else the customer's oldest wait.
    MostOwedFirst,
}

crate::named_enum! {
    /// How a ticket view is ordered, when the agent chooses.
    TicketSort, "sort" {
        /// Most recently changed first.
        Updated => "updated",
        /// Whatever is owed soonest first.
        Due => "due",
        /// Newest tickets first.
        Newest => "newest",
        /// Oldest tickets first.
        Oldest => "oldest",
        /// Urgent first, then high, normal, low; most recently changed first within each.
        Priority => "priority",
    }
}

crate::named_enum! {
    /// Which tickets a ticket view lists by the state of their problem.
    StateFilter, "state" {
        /// Still being worked on: open, or a resolution proposed (every view's default).
        Unfinished => "unfinished",
        Resolved => "resolved",
        Closed => "closed_unresolved",
        All => "all",
    }
}

#[expect(
    clippy::derivable_impls,
    reason = "named_enum! derives a fixed set of traits; this one's default is said here"
)]
impl Default for StateFilter {
    fn default() -> Self {
        StateFilter::Unfinished
    }
}

impl StateFilter {
    /// The problem states it lists.
    pub fn problems(self) -> &'static [Problem] {
        match self {
            StateFilter::Unfinished => &UNFINISHED,
            StateFilter::Resolved => &[Problem::Resolved],
            StateFilter::Closed => &[Problem::ClosedUnresolved],
            StateFilter::All => &[
                Problem::Open,
                Problem::ResolutionProposed,
                Problem::Resolved,
                Problem::ClosedUnresolved,
            ],
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            StateFilter::Unfinished => "being worked on",
            StateFilter::Resolved => "resolved",
            StateFilter::Closed => "closed unresolved",
            StateFilter::All => "all",
        }
    }
}

impl TicketSort {
    /// The order a view has when the agent chooses none.
    pub fn default_for(order: TicketOrder) -> TicketSort {
        match order {
            TicketOrder::RecentlyUpdated => TicketSort::Updated,
            TicketOrder::MostOwedFirst => TicketSort::Due,
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            TicketSort::Updated => "recently changed",
            TicketSort::Due => "most owed first",
            TicketSort::Newest => "newest",
            TicketSort::Oldest => "oldest",
            TicketSort::Priority => "priority",
        }
    }
}

impl View {
    pub fn title(self) -> &'static str {
        match self {
            View::Mine => "Mine",
            View::Unassigned => "Unassigned",
            View::MyTeam => "My team",
            View::WaitingOnUs => "Waiting on us",
            View::WaitingOnCustomer => "Waiting on the customer",
            View::PromisesToday => "Promises due today",
            View::MomentsToday => "Moments to follow up",
            View::Escalated => "Escalated",
        }
    }

    /// What the view lists.
    pub fn listing(self) -> Listing {
        let tickets = |filter: TicketFilter| Listing::Tickets(filter);
        match self {
            View::Mine => tickets(TicketFilter {
                assignee: Some(Assignee::Me),
                ..TicketFilter::default()
            }),
            View::Unassigned => tickets(TicketFilter {
                assignee: Some(Assignee::Nobody),
                ..TicketFilter::default()
            }),
            View::MyTeam => tickets(TicketFilter {
                my_teams: true,
                ..TicketFilter::default()
            }),
            View::WaitingOnUs => tickets(TicketFilter {
                conversations: &[Conversation::New, Conversation::WaitingOnUs],
                order: TicketOrder::MostOwedFirst,
                ..TicketFilter::default()
            }),
            View::WaitingOnCustomer => tickets(TicketFilter {
                conversations: &[Conversation::WaitingOnCustomer],
                ..TicketFilter::default()
            }),
            View::Escalated => tickets(TicketFilter {
                escalated: true,
                ..TicketFilter::default()
            }),
            View::PromisesToday => Listing::PromisesDue,
            View::MomentsToday => Listing::MomentsDue,
        }
    }
}

/// What is owed on an inbox line, shown beside its time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Due {
    /// A promise on the ticket is due then.
    PromisedBy,
    /// The customer's last message, waiting since then.
    CustomerWrote,
    /// A call-back promise's window ends then.
    CallBackBy,
    /// Another promise is due then.
    PromiseDue,
    /// A moment's follow-up day.
    FollowUpOn,
}

impl Due {
    /// On a ticket line: a promise comes before the customer's wait.
    pub fn of_ticket<T>(promised_by: Option<T>, customer_wrote: Option<T>) -> Option<(Due, T)> {
        match (promised_by, customer_wrote) {
            (Some(at), _) => Some((Due::PromisedBy, at)),
            (None, Some(at)) => Some((Due::CustomerWrote, at)),
            (None, None) => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Due::PromisedBy => "promised by",
            Due::CustomerWrote => "customer wrote",
            Due::CallBackBy => "call back by",
            Due::PromiseDue => "due",
            Due::FollowUpOn => "follow up on",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waiting_on_us_lists_new_and_waiting_tickets_most_owed_first() {
        let Listing::Tickets(filter) = View::WaitingOnUs.listing() else {
            panic!("a ticket view");
        };
        assert_eq!(
            filter.conversations,
            &[Conversation::New, Conversation::WaitingOnUs]
        );
        assert_eq!(filter.order, TicketOrder::MostOwedFirst);
        assert_eq!(filter.assignee, None);
    }

    #[test]
    fn every_view_lists_something_and_has_a_title() {
        for view in View::ALL {
            assert!(!view.title().is_empty());
            if let Listing::Tickets(filter) = view.listing() {
                let narrows = filter.assignee.is_some()
                    || filter.my_teams
                    || !filter.conversations.is_empty()
                    || filter.escalated;
                assert!(narrows, "{view} lists every unfinished ticket");
            }
        }
        assert_eq!(View::PromisesToday.listing(), Listing::PromisesDue);
        assert_eq!(View::MomentsToday.listing(), Listing::MomentsDue);
    }

    #[test]
    fn resolved_and_closed_tickets_leave_the_inbox() {
        assert!(!UNFINISHED.contains(&Problem::Resolved));
        assert!(!UNFINISHED.contains(&Problem::ClosedUnresolved));
    }

    #[test]
    fn a_promise_on_a_ticket_comes_before_the_customers_wait() {
        assert_eq!(Due::of_ticket(Some(1), Some(2)), Some((Due::PromisedBy, 1)));
        assert_eq!(Due::of_ticket(None, Some(2)), Some((Due::CustomerWrote, 2)));
        assert_eq!(Due::of_ticket::<i32>(None, None), None);
    }
}

//! Notifications for agents: the kinds of news that concern an agent, which channels each goes
//! to unless the agent chose otherwise, and who is told. Their wording is under
//! `templates/notifications/` ([`crate::wording::notifications`]).

use crate::Actor;

crate::named_enum! {
    /// What a notification is about.
    NotificationKind, "notification kind" {
        /// A ticket was assigned to the agent by someone else (one at a time, in bulk, or
        /// handed over when a colleague left).
        Assigned => "assigned",
        /// The customer wrote on a ticket assigned to the agent (by mail or in the portal).
        CustomerReplied => "customer_replied",
        /// A promise the agent made falls due soon.
        PromiseDue => "promise_due",
        /// A customer's request for a manager reached the agent as the manager.
        Escalation => "escalation",
        /// A policy exception was asked of the agent as its decider.
        PolicyException => "policy_exception",
    }
}

/// Where a kind of notification goes for one agent.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
pub struct Channels {
    /// Listed on the notifications page and counted in the top bar.
    pub in_page: bool,
    /// Mailed to the agent's address.
    pub by_mail: bool,
}

impl NotificationKind {
    /// Where this kind goes until the agent changes it: every kind in the page; by mail only
    /// what needs the agent even when they are away (an assignment, a request for a manager).
    pub fn default_channels(self) -> Channels {
        Channels {
            in_page: true,
            by_mail: matches!(
                self,
                NotificationKind::Assigned | NotificationKind::Escalation
            ),
        }
    }

    /// The kind in words, as the account page lists it.
    pub fn label(self) -> &'static str {
        match self {
            NotificationKind::Assigned => "A ticket is assigned to me",
            NotificationKind::CustomerReplied => "A customer replies on my ticket",
            NotificationKind::PromiseDue => "A promise of mine is due",
            NotificationKind::Escalation => "A customer's request for a manager reaches me",
            NotificationKind::PolicyException => "A policy exception waits for my decision",
        }
    }
}

/// Whether `agent_id` is told of a change made by `actor`: never of their own doing.
pub fn tells(agent_id: i64, actor: Actor) -> bool {
    actor != Actor::Agent(agent_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_kinds_show_in_the_page_and_only_urgent_ones_are_mailed_by_default() {
        for kind in NotificationKind::ALL {
            assert!(kind.default_channels().in_page, "{kind}");
        }
        let mailed: Vec<_> = NotificationKind::ALL
            .iter()
            .filter(|kind| kind.default_channels().by_mail)
            .collect();
        assert_eq!(
            mailed,
            [&NotificationKind::Assigned, &NotificationKind::Escalation]
        );
    }

    #[test]
    fn nobody_is_told_of_their_own_action() {
        assert!(!tells(3, Actor::Agent(3)));
        assert!(tells(3, Actor::Agent(4)));
        assert!(tells(3, Actor::Customer(3)));
        assert!(tells(3, Actor::System));
    }
}

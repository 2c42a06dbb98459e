//! The short sentences of agents' notifications (one line each, `templates/notifications/`),
//! and the mail that carries one (`templates/mail/notification.txt`). They name the ticket by
//! its number only: the page shows the ticket's subject beside them, read when shown, so
//! nothing the customer wrote is copied into a notification.

use askama::Template;

/// A ticket assigned to the agent by someone else (alone or in bulk).
#[derive(Template)]
#[template(path = "notifications/assigned.txt")]
pub struct Assigned<'a> {
    /// Who assigned it.
    pub by: &'a str,
    pub ticket_id: i64,
}

/// A ticket handed to the agent when its assignee was deactivated.
#[derive(Template)]
#[template(path = "notifications/handed_over.txt")]
pub struct HandedOver<'a> {
    pub by: &'a str,
    pub ticket_id: i64,
    /// The colleague who left.
    pub leaver: &'a str,
}

/// The customer wrote on the agent's ticket.
#[derive(Template)]
#[template(path = "notifications/customer_replied.txt")]
pub struct CustomerReplied {
    pub ticket_id: i64,
    pub in_portal: bool,
}

/// A promise of the agent's falls due soon.
#[derive(Template)]
#[template(path = "notifications/promise_due.txt")]
pub struct PromiseDue {
    pub ticket_id: i64,
    /// When, in words ([`due_in_words`]).
    pub due: String,
}

/// An escalation reached the agent (a request for a manager, an agent, a missed service level,
/// or one that went up unacknowledged).
#[derive(Template)]
#[template(path = "notifications/escalation.txt")]
pub struct Escalation {
    pub ticket_id: i64,
}

/// A policy exception was asked of the agent as its decider.
#[derive(Template)]
#[template(path = "notifications/policy_exception.txt")]
pub struct PolicyException<'a> {
    pub ticket_id: i64,
    /// Who asked.
    pub by: &'a str,
    /// The policy's title.
    pub policy: &'a str,
}

/// The mail that carries a notification.
#[derive(Template)]
#[template(path = "mail/notification.txt")]
pub struct NotificationMail<'a> {
    pub first_name: &'a str,
    pub text: &'a str,
    /// The ticket's page in the workspace.
    pub link: &'a str,
    /// The account page, where the agent chooses what is mailed.
    pub account_link: &'a str,
}

/// Who made a change, as a notification names them: the agent, or Rapport itself.
pub fn by(agent_name: Option<&str>) -> &str {
    agent_name.unwrap_or("Rapport")
}

/// The subject of a notification's mail: the notification itself.
pub fn subject(text: &str) -> String {
    super::one_line(text, 120)
}

/// A notification's sentence, rendered on one line.
pub fn line(template: &impl Template) -> String {
    super::one_line(&template.render().unwrap_or_default(), 300)
}

/// A stored time (`2026-11-24T15:00:00.000000Z`) as a person reads it: "on 2026-11-24 at
/// 15:00 UTC". The page shows the time in the reader's zone beside it.
pub fn due_in_words(stored: &str) -> String {
    match (stored.get(..10), stored.get(11..16)) {
        (Some(day), Some(time)) => format!("on {day} at {time} UTC"),
        _ => format!("at {stored}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentences_read_as_words() {
        assert_eq!(
            line(&Assigned {
                by: "Lee Park",
                ticket_id: 12
            }),
            "Lee Park assigned ticket #12 to you."
        );
        assert_eq!(
            line(&CustomerReplied {
                ticket_id: 3,
                in_portal: true
            }),
            "The customer replied on ticket #3 in the portal."
        );
        assert_eq!(
            line(&PromiseDue {
                ticket_id: 3,
                due: due_in_words("2026-11-24T15:00:00.000000Z")
            }),
            "Your promise on ticket #3 is due on 2026-11-24 at 15:00 UTC."
        );
    }
}

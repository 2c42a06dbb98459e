//! The problem lifecycle's messages: check-ins and "did this fix it?".

use askama::Template;

/// The agent's task when a ticket has waited on the customer, problem open, for a while.
#[derive(Template)]
#[template(path = "tasks/check_in.txt")]
pub struct CheckInTask<'a> {
    pub name: &'a str,
    pub subject: &'a str,
    /// The day of our last reply, such as 2026-11-20.
    pub since_day: &'a str,
}

/// The mail asking the customer "did this fix it?" when an agent proposes a resolution, with
/// a single-use link for each answer.
#[derive(Template)]
#[template(path = "mail/resolution_question.txt")]
pub struct ResolutionQuestionMail<'a> {
    pub name: &'a str,
    pub subject: &'a str,
    pub yes_link: &'a str,
    pub no_link: &'a str,
}

/// A gentle check-in when the customer has not answered "did this fix it?".
#[derive(Template)]
#[template(path = "mail/resolution_check_in.txt")]
pub struct ResolutionCheckInMail<'a> {
    pub name: &'a str,
    pub subject: &'a str,
}

/// The last check-in: the customer stayed silent, so the problem is taken as resolved
/// (unconfirmed), and any reply still reopens it.
#[derive(Template)]
#[template(path = "mail/resolution_check_in_last.txt")]
pub struct LastResolutionCheckInMail<'a> {
    pub name: &'a str,
    pub subject: &'a str,
}

/// The customer's message when they say "not fixed" through a link or the portal without
/// writing anything themselves.
pub const NOT_FIXED_WITHOUT_WORDS: &str = "The customer says it is not fixed yet.";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wording::{Mail, TaskText};

    #[test]
    fn a_check_in_task_names_the_customer_and_the_problem() {
        let task = TaskText::of(&CheckInTask {
            name: "Ana",
            subject: "Printer jams",
            since_day: "2026-11-20",
        });
        assert_eq!(task.title, "Check in with Ana about \"Printer jams\"");
        assert_eq!(
            task.detail,
            "We haven't heard from Ana since our reply on 2026-11-20. The problem is still open: a short note asking \
             how it's going, or a call, shows we haven't forgotten them."
        );
    }

    #[test]
    fn the_resolution_question_offers_both_links_and_a_reply() {
        let text = ResolutionQuestionMail {
            name: "Ana",
            subject: "Printer jams",
            yes_link: "https://help.example/resolution/y",
            no_link: "https://help.example/resolution/n",
        }
        .text();
        assert_eq!(
            text,
            "Hi Ana,\n\nWe believe the problem \"Printer jams\" is fixed. Did this fix it for you?\n\n\
             Yes, it's fixed: https://help.example/resolution/y\nNo, not yet: https://help.example/resolution/n\n\n\
             Or simply reply to this message; your words reach the person handling your case."
        );
    }

    #[test]
    fn a_gentle_check_in_closes_nothing() {
        let text = ResolutionCheckInMail {
            name: "Ana",
            subject: "Printer jams",
        }
        .text();
        assert_eq!(
            text,
            "Hi Ana,\n\nJust checking in: is \"Printer jams\" working for you now? If anything still isn't right, simply \
             reply and we'll pick it up. There's no rush and nothing will be closed on you."
        );
    }

    #[test]
    fn the_last_check_in_keeps_the_door_open() {
        let text = LastResolutionCheckInMail {
            name: "there",
            subject: "Printer <jams> & \"toner\"",
        }
        .text();
        assert_eq!(
            text,
            "Hi there,\n\nWe haven't heard back, so we'll take it that \"Printer <jams> & \"toner\"\" is working for you now. If anything \
             isn't right, just reply, today or months from now, and we'll pick it straight back up."
        );
    }
}

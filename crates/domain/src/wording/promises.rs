//! Promises and moments: the tasks that remind an agent of what we owe a customer and of what
//! we noted about them.

use askama::Template;

/// The promiser's reminder, shortly before a promise is due.
#[derive(Template)]
#[template(path = "tasks/promise_reminder.txt")]
pub struct PromiseReminderTask<'a> {
    /// The customer's first name.
    pub name: &'a str,
    /// What was promised.
    pub what: &'a str,
    pub due_at: &'a str,
    /// `false` for a call-back the customer asked for that nobody has accepted yet.
    pub accepted: bool,
}

/// The promiser's task when their promise was not kept in time.
#[derive(Template)]
#[template(path = "tasks/promise_broken.txt")]
pub struct PromiseBrokenTask<'a> {
    pub name: &'a str,
    pub what: &'a str,
    pub due_at: &'a str,
}

/// The promiser's supervisor's task when the promise was not kept in time.
#[derive(Template)]
#[template(path = "tasks/promise_broken_supervisor.txt")]
pub struct PromiseBrokenSupervisorTask<'a> {
    /// The promiser's name.
    pub agent_name: &'a str,
    pub name: &'a str,
    pub what: &'a str,
    pub due_at: &'a str,
}

/// The relationship owner's task on a moment's follow-up day.
#[derive(Template)]
#[template(path = "tasks/moment_follow_up.txt")]
pub struct MomentFollowUpTask<'a> {
    pub name: &'a str,
    /// The day the moment was noted, such as 2026-11-20.
    pub noted_on: &'a str,
    pub note: &'a str,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wording::TaskText;

    #[test]
    fn a_reminder_of_a_request_nobody_accepted_says_so() {
        let task = TaskText::of(&PromiseReminderTask {
            name: "Ana",
            what: "Call back 2026-11-24 between 12:00 and 15:00 UTC",
            due_at: "2026-11-24T15:00:00.000000Z",
            accepted: false,
        });
        assert_eq!(task.title, "Due soon: Ana asked for a call back");
        assert!(
            task.detail.contains("Nobody has accepted it yet"),
            "{}",
            task.detail
        );
        assert!(!task.detail.contains("promised"), "{}", task.detail);
    }

    #[test]
    fn a_reminder_says_what_was_promised_and_by_when() {
        let task = TaskText::of(&PromiseReminderTask {
            name: "Ana",
            what: "Call back about the invoice",
            due_at: "2026-11-24T15:00:00.000000Z",
            accepted: true,
        });
        assert_eq!(task.title, "Due soon: your promise to Ana");
        assert_eq!(
            task.detail,
            "You promised Ana: \"Call back about the invoice\", by 2026-11-24T15:00:00.000000Z."
        );
    }

    #[test]
    fn a_broken_promise_asks_the_promiser_for_a_new_one() {
        let task = TaskText::of(&PromiseBrokenTask {
            name: "Ana",
            what: "Call <back> & explain",
            due_at: "2026-11-24T15:00:00.000000Z",
        });
        assert_eq!(task.title, "Broken promise to Ana");
        assert_eq!(
            task.detail,
            "You promised Ana \"Call <back> & explain\" by 2026-11-24T15:00:00.000000Z, and it was \
             not kept. Tell Ana where things stand and make a new promise you can keep."
        );
    }

    #[test]
    fn the_supervisor_hears_whose_promise_was_broken() {
        let task = TaskText::of(&PromiseBrokenSupervisorTask {
            agent_name: "Sam O'Neil",
            name: "Ana",
            what: "Call back",
            due_at: "2026-11-24T15:00:00.000000Z",
        });
        assert_eq!(task.title, "Sam O'Neil's promise to Ana was broken");
        assert_eq!(
            task.detail,
            "Sam O'Neil promised Ana \"Call back\" by 2026-11-24T15:00:00.000000Z; it was not kept. \
             Check that Ana has heard from us."
        );
    }

    #[test]
    fn a_moment_comes_back_with_the_day_it_was_noted() {
        let task = TaskText::of(&MomentFollowUpTask {
            name: "Ana",
            noted_on: "2026-11-20",
            note: "Flying to Lisbon on 3 March",
        });
        assert_eq!(task.title, "Today: Ana");
        assert_eq!(
            task.detail,
            "Noted on 2026-11-20: \"Flying to Lisbon on 3 March\". A word about it shows Ana we remember."
        );
    }
}

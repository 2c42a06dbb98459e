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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wording::TaskText;

    #[test]
    fn a_check_in_task_names_the_customer_and_the_problem() {
        let task = TaskText::of(&CheckInTask {
            name: "Ana",
            subject: "Printer jams",
            since_day: "2026-11-20",
        });
        assert_eq!(task.title, "Check in with Ana about \"Printer jams\"");
        assert!(
            task.detail
                .starts_with("We haven't heard from Ana since our reply on 2026-11-20.")
        );
        assert!(!task.detail.contains('\n'));
    }
}

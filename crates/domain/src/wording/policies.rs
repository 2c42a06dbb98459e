//! Policies: the task an exception request hands to its decider.

use askama::Template;

/// The decider's task for an exception waiting on them.
#[derive(Template)]
#[template(path = "tasks/policy_exception.txt")]
pub struct PolicyExceptionTask<'a> {
    pub ticket_id: i64,
    /// Who asked.
    pub by: &'a str,
    /// The policy's title.
    pub policy: &'a str,
    /// The customer's first name.
    pub name: &'a str,
    /// What it costs, in words ("EUR 129.00").
    pub cost: &'a str,
    pub reason: &'a str,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wording::TaskText;

    #[test]
    fn the_decider_reads_what_is_asked_and_why() {
        let task = TaskText::of(&PolicyExceptionTask {
            ticket_id: 7,
            by: "Lee Park",
            policy: "Returns within 30 days",
            name: "Ana",
            cost: "EUR 129.00",
            reason: "The parcel was lost for five weeks.",
        });
        assert_eq!(
            task.title,
            "Decide an exception to \"Returns within 30 days\" on #7"
        );
        assert!(task.detail.contains("Lee Park asks"), "{}", task.detail);
        assert!(
            task.detail.contains("lost for five weeks"),
            "{}",
            task.detail
        );
    }
}

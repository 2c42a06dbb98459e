//! Escalations: the tasks a request for a manager and a letter to management hand to staff.

use crate::wording::TaskText;
use askama::Template;

/// The task of whoever answers a request for a manager (see `escalation::manager`).
#[derive(Template)]
#[template(path = "tasks/manager_request.txt")]
pub struct ManagerRequestTask<'a> {
    /// The customer's first name.
    pub name: &'a str,
    pub ticket_id: i64,
    /// What the customer wrote.
    pub reason: &'a str,
}

/// The handler's task when the request for a manager went to their supervisor.
#[derive(Template)]
#[template(path = "tasks/manager_request_briefing.txt")]
pub struct ManagerRequestBriefingTask<'a> {
    pub name: &'a str,
    pub ticket_id: i64,
    pub reason: &'a str,
}

/// The task a letter to management becomes for the top of the chain. Its detail is the letter.
#[derive(Template)]
#[template(path = "tasks/letter.txt")]
pub struct LetterTask<'a> {
    pub name: &'a str,
    pub subject: &'a str,
    /// The letter as the customer wrote it.
    pub body: &'a str,
}

impl LetterTask<'_> {
    /// The task, with the letter in its detail exactly as written: unlike [`TaskText::of`],
    /// the letter's own leading spaces and blank lines are kept.
    pub fn task_text(&self) -> TaskText {
        let text = self.render().unwrap_or_default();
        let (title, rest) = text.split_once('\n').unwrap_or((&text, ""));
        let detail = rest.strip_prefix('\n').unwrap_or(rest).trim_end();
        TaskText {
            title: title.trim().to_owned(),
            detail: detail.to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_manager_is_told_to_answer_the_customer() {
        let task = TaskText::of(&ManagerRequestTask {
            name: "Ana",
            ticket_id: 42,
            reason: "A week without printing",
        });
        assert_eq!(task.title, "Ana asked for a manager on #42");
        assert_eq!(
            task.detail,
            "Ana wrote: \"A week without printing\". They were told your name. Reply to them \
             yourself on the ticket."
        );
    }

    #[test]
    fn the_handler_is_told_to_brief_their_supervisor() {
        let task = TaskText::of(&ManagerRequestBriefingTask {
            name: "Ana",
            ticket_id: 42,
            reason: "A week\nwithout <printing>",
        });
        assert_eq!(task.title, "Ana asked for your manager on #42");
        assert_eq!(
            task.detail,
            "Ana wrote: \"A week\nwithout <printing>\". Your supervisor has been told; brief them \
             on the case."
        );
    }

    #[test]
    fn a_letter_is_handed_over_as_written() {
        let task = LetterTask {
            name: "Ana",
            subject: "Praise for Sam",
            body: "\n  Dear management,\n\nSam was \"great\" & patient.",
        }
        .task_text();
        assert_eq!(
            task.title,
            "A letter to management from Ana: Praise for Sam"
        );
        assert_eq!(
            task.detail,
            "\n  Dear management,\n\nSam was \"great\" & patient."
        );
    }
}

/// The task of the manager a case is escalated to (by an agent, a missed service level, an
/// email asking for a manager, or for want of an acknowledgement further down).
#[derive(Template)]
#[template(path = "tasks/escalated.txt")]
pub struct EscalatedTask<'a> {
    pub ticket_id: i64,
    /// Why, in words: "Ana Ruiz sent it up", "the first reply target was missed".
    pub why: &'a str,
    pub reason: &'a str,
    /// The deadline, as people read it.
    pub by: &'a str,
}

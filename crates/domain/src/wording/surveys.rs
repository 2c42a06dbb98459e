//! Surveys' messages: the mail that asks for a score, and the task a low score opens.

use crate::survey::SurveyKind;
use askama::Template;

/// The mail sent after a resolution: the CSAT link, and the NPS link when it is due.
#[derive(Template)]
#[template(path = "mail/survey.txt")]
pub struct SurveyMail<'a> {
    pub name: &'a str,
    pub subject: &'a str,
    pub csat_link: &'a str,
    pub nps_link: Option<&'a str>,
}

/// The relationship owner's task after a low score.
#[derive(Template)]
#[template(path = "tasks/survey_follow_up.txt")]
pub struct SurveyFollowUpTask<'a> {
    pub name: &'a str,
    pub kind: SurveyKind,
    pub score: i64,
    /// What the customer wrote with the score, if anything.
    pub comment: Option<&'a str>,
}

/// A complaint as the relationship panel quotes it: on one line, cut after 140 characters.
pub fn complaint_excerpt(body: &str) -> String {
    super::one_line(body, 140)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wording::{Mail, TaskText};

    #[test]
    fn the_survey_mail_asks_nps_only_when_due() {
        let csat_only = SurveyMail {
            name: "Ana",
            subject: "Printer jams",
            csat_link: "https://help.example/survey/c",
            nps_link: None,
        }
        .text();
        assert_eq!(
            csat_only,
            "Hi Ana,\n\nHow did we do with \"Printer jams\"? One click, from 1 (poor) to 5 (excellent), tells us:\n\
             https://help.example/survey/c"
        );
        let both = SurveyMail {
            nps_link: Some("https://help.example/survey/n"),
            name: "Ana",
            subject: "Printer jams",
            csat_link: "https://help.example/survey/c",
        }
        .text();
        assert_eq!(
            both,
            format!(
                "{csat_only}\n\nAnd if you have a moment: how likely are you to recommend us to a friend, from 0 to 10?\n\
                 https://help.example/survey/n"
            )
        );
    }

    #[test]
    fn a_low_score_task_quotes_the_customer() {
        let task = TaskText::of(&SurveyFollowUpTask {
            name: "Ana",
            kind: SurveyKind::Csat,
            score: 2,
            comment: Some("Took three weeks."),
        });
        assert_eq!(task.title, "Ana gave us 2 (CSAT)");
        assert_eq!(
            task.detail,
            "Ana scored us 2 and wrote: \"Took three weeks.\". Call or write to understand what went wrong and what \
             would make it right; record what came of it when you complete this task."
        );
        let silent = TaskText::of(&SurveyFollowUpTask {
            name: "there",
            kind: SurveyKind::Nps,
            score: 0,
            comment: None,
        });
        assert_eq!(silent.title, "there gave us 0 (NPS)");
        assert!(
            silent
                .detail
                .starts_with("there scored us 0. Call or write"),
            "{}",
            silent.detail
        );
    }

    #[test]
    fn complaints_are_quoted_on_one_short_line() {
        assert_eq!(
            complaint_excerpt("Still\n  broken,\tagain."),
            "Still broken, again."
        );
        let long = "word ".repeat(40);
        let excerpt = complaint_excerpt(&long);
        assert_eq!(excerpt.chars().count(), 143);
        assert!(excerpt.ends_with("..."));
        assert_eq!(complaint_excerpt(&"x".repeat(140)), "x".repeat(140));
    }
}

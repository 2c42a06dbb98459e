//! Relationship health's messages: the owner's task when a customer drops into at risk.

use crate::health::{Assessment, Band, what_moved_it};
use askama::Template;

/// The relationship owner's task when a customer's health has just dropped into at risk or
/// critical (see [`crate::health::dropped_into_at_risk`]).
#[derive(Template)]
#[template(path = "tasks/health_at_risk.txt")]
pub struct AtRiskTask<'a> {
    /// The customer's first name.
    pub name: &'a str,
    pub band: Band,
    pub score: i64,
    /// The explanations of what moved it down, largest first.
    pub reasons: Vec<&'a str>,
}

impl<'a> AtRiskTask<'a> {
    pub fn new(name: &'a str, assessment: &'a Assessment) -> AtRiskTask<'a> {
        AtRiskTask {
            name,
            band: assessment.band,
            score: assessment.score,
            reasons: what_moved_it(&assessment.factors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::health::Factor;
    use crate::wording::TaskText;

    #[test]
    fn the_at_risk_task_names_the_band_the_score_and_what_moved_it() {
        let factor = |points: i64, explanation: &str| Factor {
            key: "k".into(),
            points,
            explanation: explanation.into(),
        };
        let assessment = Assessment {
            score: 22,
            band: Band::Critical,
            factors: vec![
                factor(
                    -30,
                    "3 promise(s) broken this year: each one is a debt they remember.",
                ),
                factor(
                    8,
                    "A customer for 4 year(s): long relationships carry trust.",
                ),
                factor(-12, "1 problem(s) we closed without solving them."),
                factor(-6, "They asked for a manager 1 time(s) in 90 days."),
                factor(
                    -2,
                    "2 problem(s) marked resolved after silence, never confirmed.",
                ),
            ],
        };
        let task = TaskText::of(&AtRiskTask::new("Ana", &assessment));
        assert_eq!(task.title, "The relationship with Ana is critical (22)");
        assert_eq!(
            task.detail,
            "What moved it: 3 promise(s) broken this year: each one is a debt they remember. \
             1 problem(s) we closed without solving them. \
             They asked for a manager 1 time(s) in 90 days."
        );

        let at_risk = Assessment {
            score: 48,
            band: Band::AtRisk,
            factors: vec![factor(-12, "1 problem(s) we closed without solving them.")],
        };
        let task = TaskText::of(&AtRiskTask::new("there", &at_risk));
        assert_eq!(task.title, "The relationship with there is at risk (48)");
        assert_eq!(
            task.detail,
            "What moved it: 1 problem(s) we closed without solving them."
        );
    }
}

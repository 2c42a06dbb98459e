//! Surveys: how the customer rates us, each through a single-use link.
//!
//! - **CSAT** (1 to 5) after every resolution, confirmed or not, unless the ticket already has
//!   one waiting for an answer.
//! - **NPS** (0 to 10) with it, at most once per customer in the workspace timing
//!   `nps_every_days` (90 by default).
//! - A **low score** (CSAT 1 or 2, an NPS detractor from 0 to 6) opens a follow-up task for the
//!   relationship owner, whose outcome is recorded when the task is done.

use crate::Problem;
use crate::named_enum;
use crate::validate::Invalid;
use std::ops::RangeInclusive;
use time::{Duration, OffsetDateTime};

named_enum! {
    /// Which question a survey asks.
    SurveyKind, "survey kind" {
        /// Customer satisfaction with one resolved ticket, from 1 (poor) to 5 (excellent).
        Csat => "csat",
        /// Net promoter score: would they recommend us, from 0 to 10.
        Nps => "nps",
    }
}

impl SurveyKind {
    /// The scores a customer can give.
    pub fn scale(self) -> RangeInclusive<i64> {
        match self {
            SurveyKind::Csat => 1..=5,
            SurveyKind::Nps => 0..=10,
        }
    }

    /// Whether a score is low enough that someone should call or write to the customer: CSAT
    /// 1 or 2, or an NPS detractor (0 to 6).
    pub fn is_low(self, score: i64) -> bool {
        match self {
            SurveyKind::Csat => score <= 2,
            SurveyKind::Nps => score <= 6,
        }
    }

    /// Refuses a score off the kind's scale.
    pub fn check_score(self, score: i64) -> Result<(), Invalid> {
        let scale = self.scale();
        if scale.contains(&score) {
            Ok(())
        } else {
            Err(Invalid::new(
                "score",
                format!("the score is from {} to {}", scale.start(), scale.end()),
            ))
        }
    }
}

/// The facts that decide which surveys follow a resolution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AfterResolution {
    pub problem: Problem,
    /// The ticket already has a CSAT waiting for an answer.
    pub csat_unanswered: bool,
    /// The customer was sent an NPS within the last `nps_every_days` days.
    pub nps_sent_recently: bool,
}

/// The surveys to send after a resolution, in the order the mail asks them: none unless the
/// problem is resolved and no CSAT already waits; then the CSAT, and the NPS when it is due.
pub fn surveys_after_resolution(facts: AfterResolution) -> Vec<SurveyKind> {
    if facts.problem != Problem::Resolved || facts.csat_unanswered {
        return vec![];
    }
    let mut kinds = vec![SurveyKind::Csat];
    if !facts.nps_sent_recently {
        kinds.push(SurveyKind::Nps);
    }
    kinds
}

/// An NPS sent after this time counts as recent: the customer is asked at most once in
/// `every_days`.
pub fn nps_recent_since(now: OffsetDateTime, every_days: i64) -> OffsetDateTime {
    now - Duration::days(every_days)
}

/// Whether the customer can rate the ticket from the portal: once its problem is settled,
/// resolved or closed unresolved.
pub fn can_rate(problem: Problem) -> bool {
    matches!(problem, Problem::Resolved | Problem::ClosedUnresolved)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn scores_are_checked_against_the_kind_s_scale() {
        assert!(SurveyKind::Csat.check_score(1).is_ok());
        assert!(SurveyKind::Csat.check_score(5).is_ok());
        let err = SurveyKind::Csat.check_score(0).expect_err("below 1");
        assert_eq!(err.field, "score");
        assert_eq!(err.message, "the score is from 1 to 5");
        assert!(SurveyKind::Nps.check_score(0).is_ok());
        assert!(SurveyKind::Nps.check_score(10).is_ok());
        let err = SurveyKind::Nps.check_score(11).expect_err("above 10");
        assert_eq!(err.message, "the score is from 0 to 10");
    }

    #[test]
    fn low_scores_are_csat_one_or_two_and_nps_detractors() {
        assert!(SurveyKind::Csat.is_low(1));
        assert!(SurveyKind::Csat.is_low(2));
        assert!(!SurveyKind::Csat.is_low(3));
        assert!(SurveyKind::Nps.is_low(0));
        assert!(SurveyKind::Nps.is_low(6));
        assert!(!SurveyKind::Nps.is_low(7));
    }

    #[test]
    fn a_resolution_brings_csat_and_nps_when_it_is_due() {
        let facts = AfterResolution {
            problem: Problem::Resolved,
            csat_unanswered: false,
            nps_sent_recently: false,
        };
        assert_eq!(
            surveys_after_resolution(facts),
            vec![SurveyKind::Csat, SurveyKind::Nps]
        );
        let nps_recent = AfterResolution {
            nps_sent_recently: true,
            ..facts
        };
        assert_eq!(surveys_after_resolution(nps_recent), vec![SurveyKind::Csat]);
    }

    #[test]
    fn no_survey_unless_resolved_or_while_one_waits() {
        for problem in [
            Problem::Open,
            Problem::ResolutionProposed,
            Problem::ClosedUnresolved,
        ] {
            let facts = AfterResolution {
                problem,
                csat_unanswered: false,
                nps_sent_recently: false,
            };
            assert!(surveys_after_resolution(facts).is_empty(), "{problem}");
        }
        let waiting = AfterResolution {
            problem: Problem::Resolved,
            csat_unanswered: true,
            nps_sent_recently: false,
        };
        assert!(surveys_after_resolution(waiting).is_empty());
    }

    #[test]
    fn nps_is_recent_for_ninety_days() {
        assert_eq!(
            nps_recent_since(datetime!(2026-11-20 10:00 UTC), 90),
            datetime!(2026-08-22 10:00 UTC)
        );
    }

    #[test]
    fn a_ticket_is_rated_once_its_problem_is_settled() {
        assert!(can_rate(Problem::Resolved));
        assert!(can_rate(Problem::ClosedUnresolved));
        assert!(!can_rate(Problem::Open));
        assert!(!can_rate(Problem::ResolutionProposed));
    }

    #[test]
    fn kinds_are_stored_by_name() {
        assert_eq!(SurveyKind::Csat.as_str(), "csat");
        assert_eq!("nps".parse::<SurveyKind>(), Ok(SurveyKind::Nps));
        assert!("ces".parse::<SurveyKind>().is_err());
    }
}

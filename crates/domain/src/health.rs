//! Relationship health: a score from 0 to 100 per customer (and per organization), a band, and
//! the factors that moved it, each with its points and a sentence an agent understands.
//!
//! The store loads the [`Facts`] about a customer; [`assess`] turns them into an
//! [`Assessment`]. Every number of the model is a named constant here, and `docs/health.md`
//! explains them; a test below reads that page and checks it against these constants, so the
//! two cannot drift apart.

use crate::message::AuthorKind;
use crate::named_enum;
use rapport_coach::{Insight, Intent};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Where every customer starts: a new relationship is steady, not thriving.
pub const BASE: i64 = 60;
/// The lowest score of each band above critical.
pub const THRIVING_FROM: i64 = 75;
pub const STEADY_FROM: i64 = 55;
pub const AT_RISK_FROM: i64 = 35;

// The order of the variants is the order of the bands: `band <= Band::AtRisk` means "at risk
// or worse".
named_enum! {
    #[derive(PartialOrd, Ord)]
    Band, "health band" {
        Critical => "critical",
        AtRisk => "at_risk",
        Steady => "steady",
        Thriving => "thriving",
    }
}

impl Band {
    pub fn of(score: i64) -> Band {
        match score {
            s if s >= THRIVING_FROM => Band::Thriving,
            s if s >= STEADY_FROM => Band::Steady,
            s if s >= AT_RISK_FROM => Band::AtRisk,
            _ => Band::Critical,
        }
    }

    /// A band as kept in the history. A name the model does not know reads as critical, so a
    /// damaged point never looks healthier than it was.
    pub fn parse(text: &str) -> Band {
        text.parse().unwrap_or(Band::Critical)
    }

    /// The band in words, such as "at risk".
    pub fn words(self) -> String {
        self.as_str().replace('_', " ")
    }
}

named_enum! {
    /// The factors of a customer's health, in the order they are weighed.
    FactorKey, "health factor" {
        Tenure => "tenure",
        Partnership => "partnership",
        PromisesKept => "promises_kept",
        PromisesBroken => "promises_broken",
        ProblemsConfirmedResolved => "problems_confirmed_resolved",
        ProblemsUnconfirmed => "problems_unconfirmed",
        ProblemsClosedUnresolved => "problems_closed_unresolved",
        ProblemsReopened => "problems_reopened",
        RepeatedContacts => "repeated_contacts",
        Sentiment => "sentiment",
        Frustration => "frustration",
        AskedForManager => "asked_for_manager",
        ComplaintsOpen => "complaints_open",
        ComplaintsRecovered => "complaints_recovered",
        ServiceLevelsMissed => "service_levels_missed",
        Csat => "csat",
        Nps => "nps",
        ResponseTime => "response_time",
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Factor {
    /// A stable name, such as `promises_broken`.
    pub key: String,
    /// Points added to (or taken from) the score.
    pub points: i64,
    /// One sentence for the agent.
    pub explanation: String,
}

/// A factor counted in units (years, promises, problems, messages): so many points each, and
/// no more than `cap` in all, so that no single thing decides everything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PerUnit {
    pub key: FactorKey,
    pub each: i64,
    /// The most it can add (or, when negative, take).
    pub cap: i64,
}

impl PerUnit {
    pub fn points(self, units: i64) -> i64 {
        let total = self.each * units;
        if self.cap >= 0 {
            total.min(self.cap)
        } else {
            total.max(self.cap)
        }
    }
}

/// A factor that, when it applies, adds (or takes) a fixed number of points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fixed {
    pub key: FactorKey,
    pub points: i64,
}

pub const TENURE: PerUnit = PerUnit {
    key: FactorKey::Tenure,
    each: 2,
    cap: 8,
};
/// Tenure counts full years of this many days.
pub const DAYS_IN_YEAR: i64 = 365;
pub const PARTNERSHIP: Fixed = Fixed {
    key: FactorKey::Partnership,
    points: 4,
};
pub const PROMISES_KEPT: PerUnit = PerUnit {
    key: FactorKey::PromisesKept,
    each: 3,
    cap: 12,
};
pub const PROMISES_BROKEN: PerUnit = PerUnit {
    key: FactorKey::PromisesBroken,
    each: -10,
    cap: -30,
};
pub const PROBLEMS_CONFIRMED_RESOLVED: PerUnit = PerUnit {
    key: FactorKey::ProblemsConfirmedResolved,
    each: 4,
    cap: 12,
};
pub const PROBLEMS_UNCONFIRMED: PerUnit = PerUnit {
    key: FactorKey::ProblemsUnconfirmed,
    each: -1,
    cap: -3,
};
pub const PROBLEMS_CLOSED_UNRESOLVED: PerUnit = PerUnit {
    key: FactorKey::ProblemsClosedUnresolved,
    each: -12,
    cap: -24,
};
pub const PROBLEMS_REOPENED: PerUnit = PerUnit {
    key: FactorKey::ProblemsReopened,
    each: -4,
    cap: -12,
};
/// Counted per new ticket beyond [`FREE_CONTACTS`] in [`window::RECENT_TICKETS`] days.
pub const REPEATED_CONTACTS: PerUnit = PerUnit {
    key: FactorKey::RepeatedContacts,
    each: -4,
    cap: -12,
};
/// New tickets in a month that are just normal life, not a sign of trouble.
pub const FREE_CONTACTS: i64 = 2;
/// The sentiment factor is the average sentiment (-1..1) of the latest analysed messages
/// times this scale, rounded.
pub const SENTIMENT_SCALE: f32 = 10.0;
/// How many of the customer's latest analysed messages the tone is read from.
pub const LATEST_MESSAGES: usize = 5;
/// An average sentiment at or above this reads warm; at or below its opposite, negative.
pub const WARM_FROM: f32 = 0.2;
pub const FRUSTRATION: Fixed = Fixed {
    key: FactorKey::Frustration,
    points: -6,
};
/// The average frustration (0..1) of the latest messages from which the customer is frustrated.
pub const FRUSTRATED_FROM: f32 = 0.5;
pub const ASKED_FOR_MANAGER: PerUnit = PerUnit {
    key: FactorKey::AskedForManager,
    each: -6,
    cap: -12,
};
/// Counted per complaint still open (no outcome yet), however old.
pub const COMPLAINTS_OPEN: PerUnit = PerUnit {
    key: FactorKey::ComplaintsOpen,
    each: -6,
    cap: -18,
};
/// Counted per complaint recovered (fully) in [`window::COMPLAINTS`] days: a problem owned and
/// made right deepens the relationship (seed 002).
pub const COMPLAINTS_RECOVERED: PerUnit = PerUnit {
    key: FactorKey::ComplaintsRecovered,
    each: 4,
    cap: 8,
};
/// Counted per service level target missed on their tickets in [`window::SERVICE_LEVELS`]
/// days: each late reply or resolution is a promise of ours they felt broken.
pub const SERVICE_LEVELS_MISSED: PerUnit = PerUnit {
    key: FactorKey::ServiceLevelsMissed,
    each: -3,
    cap: -12,
};
/// The CSAT factor is (average rating - [`CSAT_MIDDLE`]) times this scale, rounded; ratings
/// go from 1 to 5.
pub const CSAT_SCALE: f32 = 5.0;
pub const CSAT_MIDDLE: f32 = 3.0;
/// The latest NPS answer of this or more: a promoter.
pub const PROMOTER_FROM: i64 = 9;
pub const PROMOTER: Fixed = Fixed {
    key: FactorKey::Nps,
    points: 6,
};
/// The latest NPS answer of this or less: a detractor.
pub const DETRACTOR_UP_TO: i64 = 6;
pub const DETRACTOR: Fixed = Fixed {
    key: FactorKey::Nps,
    points: -8,
};

/// One step of the response-time factor: a median wait of at most `within_hours`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ResponseStep {
    pub within_hours: f64,
    pub points: i64,
    /// How long we take, in words, for the explanation.
    pub how: &'static str,
}

/// The response-time steps, quickest first; the last one takes any wait.
pub const RESPONSE_STEPS: [ResponseStep; 4] = [
    ResponseStep {
        within_hours: 4.0,
        points: 5,
        how: "within a few hours",
    },
    ResponseStep {
        within_hours: 24.0,
        points: 2,
        how: "within a day",
    },
    ResponseStep {
        within_hours: 72.0,
        points: -3,
        how: "in two or three days",
    },
    ResponseStep {
        within_hours: f64::INFINITY,
        points: -8,
        how: "after more than three days",
    },
];

/// How far back, in days, each kind of fact is looked for (the store loads the facts of these
/// windows).
pub mod window {
    /// Promises kept or broken.
    pub const PROMISES: i64 = 365;
    /// Tickets whose problems count (by their last update).
    pub const TICKETS: i64 = 365;
    /// Problems reopened.
    pub const REOPENINGS: i64 = 180;
    /// New tickets counted as repeated contacts.
    pub const RECENT_TICKETS: i64 = 30;
    /// The customer's messages read for tone and manager requests.
    pub const WORDS: i64 = 90;
    /// Complaints recovered (by when).
    pub const COMPLAINTS: i64 = 365;
    /// Service level targets missed (by when).
    pub const SERVICE_LEVELS: i64 = 90;
    /// Survey answers.
    pub const SURVEYS: i64 = 365;
    /// Messages whose waits make the median response time.
    pub const RESPONSES: i64 = 90;
}

/// Everything the model needs to know about one customer, as plain data.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Facts {
    /// Whole days since the customer was created.
    pub days_as_customer: i64,
    /// Whether their organization is a partnership.
    pub partnership: bool,
    pub promises_kept: i64,
    pub promises_broken: i64,
    /// Resolved problems the customer confirmed as fixed.
    pub problems_confirmed: i64,
    /// Problems marked resolved without the customer's confirmation.
    pub problems_unconfirmed: i64,
    pub problems_closed_unresolved: i64,
    /// Times a problem was reopened (a rejected resolution, a reopening, a message that
    /// reopened it).
    pub problems_reopened: i64,
    /// New tickets in the last [`window::RECENT_TICKETS`] days.
    pub recent_tickets: i64,
    pub words: Words,
    /// Their complaints with no outcome yet.
    pub complaints_open: i64,
    /// Their complaints recovered in the last [`window::COMPLAINTS`] days.
    pub complaints_recovered: i64,
    /// Service level targets missed on their tickets in the last [`window::SERVICE_LEVELS`]
    /// days.
    pub service_levels_missed: i64,
    /// Their CSAT ratings (1 to 5).
    pub csat_scores: Vec<i64>,
    /// Their latest NPS answer (0 to 10), if it has a score.
    pub latest_nps: Option<i64>,
    /// Each time they waited for our reply, in seconds (see [`response_waits`]).
    pub response_waits: Vec<f64>,
}

/// How one analysed message of the customer reads.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Feeling {
    /// From -1 (very negative) to 1 (very positive).
    pub sentiment: f32,
    /// From 0 (calm) to 1 (exasperated).
    pub frustration: f32,
}

/// What the customer's own recent words say.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Words {
    /// Their latest analysed messages, newest first, at most [`LATEST_MESSAGES`].
    pub latest: Vec<Feeling>,
    pub asked_for_manager: i64,
}

impl Words {
    /// Sums up the insights of the customer's messages, newest first.
    pub fn of(insights: &[Insight]) -> Words {
        let latest = insights
            .iter()
            .filter(|i| i.language.analysed)
            .take(LATEST_MESSAGES)
            .map(|i| Feeling {
                sentiment: i.sentiment,
                frustration: i.frustration,
            })
            .collect();
        let with = |intent: Intent| {
            insights
                .iter()
                .filter(|i| i.intents.contains(&intent))
                .count() as i64
        };
        Words {
            latest,
            asked_for_manager: with(Intent::WantsManager),
        }
    }
}

/// A score, its band and the factors that moved it.
#[derive(Debug, Clone, PartialEq)]
pub struct Assessment {
    pub score: i64,
    pub band: Band,
    /// A customer's: largest effect first. An organization's: one per customer, in the order
    /// given.
    pub factors: Vec<Factor>,
}

struct Factors(Vec<Factor>);

impl Factors {
    /// Keeps a factor that moved the score; one worth nothing is left out.
    fn add(&mut self, key: FactorKey, points: i64, explanation: String) {
        if points != 0 {
            self.0.push(Factor {
                key: key.as_str().to_owned(),
                points,
                explanation,
            });
        }
    }
}

/// A customer's health from the facts about them: [`BASE`] plus every factor, clamped to
/// 0..100, with the factors largest effect first.
pub fn assess(facts: &Facts) -> Assessment {
    let mut factors = Factors(Vec::new());

    let years = facts.days_as_customer / DAYS_IN_YEAR;
    factors.add(
        TENURE.key,
        TENURE.points(years),
        format!("A customer for {years} year(s): long relationships carry trust."),
    );
    if facts.partnership {
        factors.add(
            PARTNERSHIP.key,
            PARTNERSHIP.points,
            "A partnership: both sides have invested in this relationship.".into(),
        );
    }

    let kept = facts.promises_kept;
    factors.add(
        PROMISES_KEPT.key,
        PROMISES_KEPT.points(kept),
        format!("{kept} promise(s) kept this year: they know we do what we say."),
    );
    let broken = facts.promises_broken;
    factors.add(
        PROMISES_BROKEN.key,
        PROMISES_BROKEN.points(broken),
        format!("{broken} promise(s) broken this year: each one is a debt they remember."),
    );

    let confirmed = facts.problems_confirmed;
    factors.add(
        PROBLEMS_CONFIRMED_RESOLVED.key,
        PROBLEMS_CONFIRMED_RESOLVED.points(confirmed),
        format!("{confirmed} problem(s) the customer confirmed as fixed."),
    );
    let unconfirmed = facts.problems_unconfirmed;
    factors.add(
        PROBLEMS_UNCONFIRMED.key,
        PROBLEMS_UNCONFIRMED.points(unconfirmed),
        format!("{unconfirmed} problem(s) marked resolved after silence, never confirmed."),
    );
    let unresolved = facts.problems_closed_unresolved;
    factors.add(
        PROBLEMS_CLOSED_UNRESOLVED.key,
        PROBLEMS_CLOSED_UNRESOLVED.points(unresolved),
        format!("{unresolved} problem(s) we closed without solving them."),
    );
    let reopened = facts.problems_reopened;
    factors.add(
        PROBLEMS_REOPENED.key,
        PROBLEMS_REOPENED.points(reopened),
        format!("{reopened} time(s) a problem we thought solved came back."),
    );
    let recent = facts.recent_tickets;
    if recent > FREE_CONTACTS {
        factors.add(
            REPEATED_CONTACTS.key,
            REPEATED_CONTACTS.points(recent - FREE_CONTACTS),
            format!("{recent} new tickets in 30 days: they keep having to come back to us."),
        );
    }

    // What the customer's own words say.
    let latest = &facts.words.latest;
    if !latest.is_empty() {
        let n = latest.len() as f32;
        let sentiment = latest.iter().map(|f| f.sentiment).sum::<f32>() / n;
        let frustration = latest.iter().map(|f| f.frustration).sum::<f32>() / n;
        let tone = if sentiment >= WARM_FROM {
            "warm"
        } else if sentiment <= -WARM_FROM {
            "negative"
        } else {
            "neutral"
        };
        factors.add(
            FactorKey::Sentiment,
            (sentiment * SENTIMENT_SCALE).round() as i64,
            format!("Their recent messages read {tone} (average sentiment {sentiment:.2})."),
        );
        if frustration >= FRUSTRATED_FROM {
            factors.add(
                FRUSTRATION.key,
                FRUSTRATION.points,
                "Their recent messages show frustration: repetition, shouting or exasperation."
                    .into(),
            );
        }
    }
    let manager = facts.words.asked_for_manager;
    factors.add(
        ASKED_FOR_MANAGER.key,
        ASKED_FOR_MANAGER.points(manager),
        format!("They asked for a manager {manager} time(s) in 90 days."),
    );
    let open = facts.complaints_open;
    factors.add(
        COMPLAINTS_OPEN.key,
        COMPLAINTS_OPEN.points(open),
        format!("{open} complaint(s) still open: not yet made right."),
    );
    let recovered = facts.complaints_recovered;
    factors.add(
        COMPLAINTS_RECOVERED.key,
        COMPLAINTS_RECOVERED.points(recovered),
        format!("{recovered} complaint(s) made right this year: a problem owned builds trust."),
    );
    let missed = facts.service_levels_missed;
    factors.add(
        SERVICE_LEVELS_MISSED.key,
        SERVICE_LEVELS_MISSED.points(missed),
        format!(
            "{missed} reply or resolution target(s) missed on their tickets in {} days: they waited longer than we promise.",
            window::SERVICE_LEVELS
        ),
    );

    let csat = &facts.csat_scores;
    if !csat.is_empty() {
        let average = csat.iter().sum::<i64>() as f32 / csat.len() as f32;
        factors.add(
            FactorKey::Csat,
            ((average - CSAT_MIDDLE) * CSAT_SCALE).round() as i64,
            format!("Their satisfaction ratings average {average:.1} out of 5."),
        );
    }
    match facts.latest_nps {
        Some(score) if score >= PROMOTER_FROM => factors.add(
            PROMOTER.key,
            PROMOTER.points,
            format!("They would recommend us ({score} out of 10)."),
        ),
        Some(score) if score <= DETRACTOR_UP_TO => factors.add(
            DETRACTOR.key,
            DETRACTOR.points,
            format!("They would not recommend us ({score} out of 10)."),
        ),
        _ => {}
    }

    if let Some(hours) = median_hours(&facts.response_waits) {
        let step = response_step(hours);
        factors.add(
            FactorKey::ResponseTime,
            step.points,
            format!("We usually answer them {} (median {hours:.0} h).", step.how),
        );
    }

    let mut factors = factors.0;
    factors.sort_by_key(|f| std::cmp::Reverse(f.points.abs()));
    let score = (BASE + factors.iter().map(|f| f.points).sum::<i64>()).clamp(0, 100);
    Assessment {
        score,
        band: Band::of(score),
        factors,
    }
}

/// The response-time step a median wait of `hours` falls in.
pub fn response_step(hours: f64) -> ResponseStep {
    let last = RESPONSE_STEPS[RESPONSE_STEPS.len() - 1];
    RESPONSE_STEPS
        .into_iter()
        .find(|step| hours <= step.within_hours)
        .unwrap_or(last)
}

/// One public message on one of the customer's tickets, as the response time sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Said {
    pub ticket_id: i64,
    pub author: AuthorKind,
    /// When, in nanoseconds since 1970.
    pub at: i128,
}

/// How long the customer waited for us, in seconds, each time: from a customer's message to
/// our next reply on the same ticket. A message still unanswered (no reply before the ticket's
/// messages end) counts with its age so far. `messages` are ordered by ticket, then as written;
/// `now` is in nanoseconds since 1970.
pub fn response_waits(messages: &[Said], now: i128) -> Vec<f64> {
    let seconds = |from: i128, to: i128| (to - from) as f64 / 1e9;
    let mut waits = Vec::new();
    let mut waiting: Option<(i64, i128)> = None;
    for said in messages {
        if let Some((_, since)) = waiting.filter(|(ticket, _)| *ticket != said.ticket_id) {
            waits.push(seconds(since, now));
            waiting = None;
        }
        match said.author {
            AuthorKind::Customer => {
                if waiting.is_none() {
                    waiting = Some((said.ticket_id, said.at));
                }
            }
            _ => {
                if let Some((_, since)) = waiting.take() {
                    waits.push(seconds(since, said.at));
                }
            }
        }
    }
    if let Some((_, since)) = waiting {
        waits.push(seconds(since, now));
    }
    waits
}

/// The median of the waits, in hours (of an even count, the upper of the two middle ones).
pub fn median_hours(waits: &[f64]) -> Option<f64> {
    if waits.is_empty() {
        return None;
    }
    let mut waits = waits.to_vec();
    waits.sort_by(f64::total_cmp);
    Some(waits[waits.len() / 2] / 3600.0)
}

/// One customer of an organization, with their score.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Member<'a> {
    pub id: i64,
    pub name: &'a str,
    pub score: i64,
}

/// An organization's health: the average of its customers' scores ([`BASE`] without any),
/// with each customer as a factor worth their distance from [`BASE`].
pub fn organization(members: &[Member]) -> Assessment {
    let factors = members
        .iter()
        .map(|m| Factor {
            key: format!("customer_{}", m.id),
            points: m.score - BASE,
            explanation: format!("{}: {} ({}).", m.name, m.score, Band::of(m.score).words()),
        })
        .collect();
    let score = if members.is_empty() {
        BASE
    } else {
        members.iter().map(|m| m.score).sum::<i64>() / members.len() as i64
    };
    Assessment {
        score,
        band: Band::of(score),
        factors,
    }
}

/// Whether a customer has just dropped into at risk or below, so that their owner is told once
/// per drop: `band` is the new band, `earlier_today` the band kept earlier the same day, and
/// `before_today` the last band kept on an earlier day. It is a drop when the band kept last
/// (today's, else the earlier day's) was steady or thriving, or when none was kept yet.
pub fn dropped_into_at_risk(
    band: Band,
    earlier_today: Option<Band>,
    before_today: Option<Band>,
) -> bool {
    let was_healthy = |b: Option<Band>| b.is_none_or(|b| b >= Band::Steady);
    band <= Band::AtRisk
        && was_healthy(earlier_today)
        && (earlier_today.is_some() || was_healthy(before_today))
}

/// What moved a customer's health down, for their owner: the explanations of the (up to) three
/// largest negative factors. `factors` are largest effect first, as [`assess`] gives them.
pub fn what_moved_it(factors: &[Factor]) -> Vec<&str> {
    factors
        .iter()
        .filter(|f| f.points < 0)
        .take(3)
        .map(|f| f.explanation.as_str())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rapport_coach::Language;

    fn factor(assessment: &Assessment, key: FactorKey) -> Option<&Factor> {
        assessment.factors.iter().find(|f| f.key == key.as_str())
    }

    /// The one factor these facts produce, with its points and explanation.
    fn only(facts: Facts) -> (String, i64, String) {
        let assessment = assess(&facts);
        assert_eq!(assessment.factors.len(), 1, "{assessment:?}");
        let f = assessment.factors[0].clone();
        assert_eq!(assessment.score, (BASE + f.points).clamp(0, 100));
        (f.key, f.points, f.explanation)
    }

    fn hours(h: f64) -> f64 {
        h * 3600.0
    }

    #[test]
    fn bands_start_at_their_thresholds() {
        assert_eq!(Band::of(BASE), Band::Steady);
        assert_eq!(Band::of(100), Band::Thriving);
        assert_eq!(Band::of(75), Band::Thriving);
        assert_eq!(Band::of(74), Band::Steady);
        assert_eq!(Band::of(55), Band::Steady);
        assert_eq!(Band::of(54), Band::AtRisk);
        assert_eq!(Band::of(35), Band::AtRisk);
        assert_eq!(Band::of(34), Band::Critical);
        assert_eq!(Band::of(0), Band::Critical);
        assert_eq!(Band::of(-5), Band::Critical);
    }

    #[test]
    fn bands_are_ordered_from_critical_to_thriving() {
        assert!(Band::Critical < Band::AtRisk);
        assert!(Band::AtRisk < Band::Steady);
        assert!(Band::Steady < Band::Thriving);
        let mut sorted = Band::ALL.to_vec();
        sorted.sort();
        assert_eq!(sorted, Band::ALL);
    }

    #[test]
    fn bands_read_and_write_their_names() {
        for band in Band::ALL {
            assert_eq!(Band::parse(band.as_str()), *band);
            assert_eq!(band.as_str().parse::<Band>().ok(), Some(*band));
        }
        assert_eq!(Band::AtRisk.as_str(), "at_risk");
        assert_eq!(Band::AtRisk.words(), "at risk");
        assert_eq!(Band::Thriving.words(), "thriving");
        assert_eq!(
            Band::parse("glowing"),
            Band::Critical,
            "unknown reads as worst"
        );
        assert!("glowing".parse::<Band>().is_err());
        assert_eq!(
            serde_json::to_string(&Band::AtRisk).ok().as_deref(),
            Some("\"at_risk\"")
        );
    }

    #[test]
    fn per_unit_factors_stop_at_their_cap() {
        assert_eq!(PROMISES_KEPT.points(0), 0);
        assert_eq!(PROMISES_KEPT.points(3), 9);
        assert_eq!(PROMISES_KEPT.points(10), 12);
        assert_eq!(PROMISES_BROKEN.points(1), -10);
        assert_eq!(PROMISES_BROKEN.points(5), -30);
        assert_eq!(TENURE.points(4), 8);
        assert_eq!(TENURE.points(40), 8);
    }

    #[test]
    fn a_new_customer_is_steady_with_nothing_to_explain() {
        let assessment = assess(&Facts::default());
        assert_eq!(assessment.score, BASE);
        assert_eq!(assessment.band, Band::Steady);
        assert!(assessment.factors.is_empty(), "{assessment:?}");
    }

    #[test]
    fn tenure_counts_full_years_up_to_its_cap() {
        let years = |days| Facts {
            days_as_customer: days,
            ..Facts::default()
        };
        assert!(assess(&years(364)).factors.is_empty());
        assert_eq!(
            only(years(365)),
            (
                "tenure".into(),
                2,
                "A customer for 1 year(s): long relationships carry trust.".into()
            )
        );
        assert_eq!(only(years(3 * 365 + 100)).1, 6);
        let (_, points, explanation) = only(years(10 * 365));
        assert_eq!(points, 8);
        assert_eq!(
            explanation,
            "A customer for 10 year(s): long relationships carry trust."
        );
    }

    #[test]
    fn a_partnership_adds_its_points() {
        assert_eq!(
            only(Facts {
                partnership: true,
                ..Facts::default()
            }),
            (
                "partnership".into(),
                4,
                "A partnership: both sides have invested in this relationship.".into()
            )
        );
    }

    #[test]
    fn promises_kept_and_broken() {
        assert_eq!(
            only(Facts {
                promises_kept: 2,
                ..Facts::default()
            }),
            (
                "promises_kept".into(),
                6,
                "2 promise(s) kept this year: they know we do what we say.".into()
            )
        );
        assert_eq!(
            only(Facts {
                promises_kept: 9,
                ..Facts::default()
            })
            .1,
            12
        );
        assert_eq!(
            only(Facts {
                promises_broken: 1,
                ..Facts::default()
            }),
            (
                "promises_broken".into(),
                -10,
                "1 promise(s) broken this year: each one is a debt they remember.".into()
            )
        );
        let broken = assess(&Facts {
            promises_broken: 4,
            ..Facts::default()
        });
        assert_eq!(broken.score, 30);
        assert_eq!(broken.band, Band::Critical);
    }

    #[test]
    fn problems_count_by_how_they_ended() {
        assert_eq!(
            only(Facts {
                problems_confirmed: 2,
                ..Facts::default()
            }),
            (
                "problems_confirmed_resolved".into(),
                8,
                "2 problem(s) the customer confirmed as fixed.".into()
            )
        );
        assert_eq!(
            only(Facts {
                problems_confirmed: 5,
                ..Facts::default()
            })
            .1,
            12
        );
        assert_eq!(
            only(Facts {
                problems_unconfirmed: 2,
                ..Facts::default()
            }),
            (
                "problems_unconfirmed".into(),
                -2,
                "2 problem(s) marked resolved after silence, never confirmed.".into()
            )
        );
        assert_eq!(
            only(Facts {
                problems_unconfirmed: 7,
                ..Facts::default()
            })
            .1,
            -3
        );
        assert_eq!(
            only(Facts {
                problems_closed_unresolved: 1,
                ..Facts::default()
            }),
            (
                "problems_closed_unresolved".into(),
                -12,
                "1 problem(s) we closed without solving them.".into()
            )
        );
        assert_eq!(
            only(Facts {
                problems_closed_unresolved: 3,
                ..Facts::default()
            })
            .1,
            -24
        );
        assert_eq!(
            only(Facts {
                problems_reopened: 2,
                ..Facts::default()
            }),
            (
                "problems_reopened".into(),
                -8,
                "2 time(s) a problem we thought solved came back.".into()
            )
        );
        assert_eq!(
            only(Facts {
                problems_reopened: 4,
                ..Facts::default()
            })
            .1,
            -12
        );
    }

    #[test]
    fn two_new_tickets_a_month_are_free_then_each_one_counts() {
        let recent = |n| Facts {
            recent_tickets: n,
            ..Facts::default()
        };
        assert!(assess(&recent(2)).factors.is_empty());
        assert_eq!(
            only(recent(3)),
            (
                "repeated_contacts".into(),
                -4,
                "3 new tickets in 30 days: they keep having to come back to us.".into()
            )
        );
        assert_eq!(only(recent(5)).1, -12);
        assert_eq!(only(recent(12)).1, -12);
    }

    fn feelings(values: &[(f32, f32)]) -> Facts {
        Facts {
            words: Words {
                latest: values
                    .iter()
                    .map(|&(sentiment, frustration)| Feeling {
                        sentiment,
                        frustration,
                    })
                    .collect(),
                ..Words::default()
            },
            ..Facts::default()
        }
    }

    #[test]
    fn the_tone_of_their_messages_counts_ten_times_its_sentiment() {
        assert_eq!(
            only(feelings(&[(0.5, 0.0), (0.3, 0.0)])),
            (
                "sentiment".into(),
                4,
                "Their recent messages read warm (average sentiment 0.40).".into()
            )
        );
        assert_eq!(
            only(feelings(&[(-0.6, 0.2)])),
            (
                "sentiment".into(),
                -6,
                "Their recent messages read negative (average sentiment -0.60).".into()
            )
        );
        assert_eq!(
            only(feelings(&[(0.1, 0.0)])),
            (
                "sentiment".into(),
                1,
                "Their recent messages read neutral (average sentiment 0.10).".into()
            )
        );
        assert_eq!(only(feelings(&[(1.0, 0.0)])).1, 10);
        assert!(
            assess(&feelings(&[(0.02, 0.0)])).factors.is_empty(),
            "a neutral tone rounding to no points is left out"
        );
        assert!(assess(&feelings(&[])).factors.is_empty());
    }

    #[test]
    fn frustration_counts_from_half() {
        let frustrated = assess(&feelings(&[(0.0, 0.6), (0.0, 0.4)]));
        let f = factor(&frustrated, FactorKey::Frustration).cloned();
        assert_eq!(
            f,
            Some(Factor {
                key: "frustration".into(),
                points: -6,
                explanation:
                    "Their recent messages show frustration: repetition, shouting or exasperation."
                        .into()
            })
        );
        let calm = assess(&feelings(&[(0.0, 0.6), (0.0, 0.3)]));
        assert_eq!(factor(&calm, FactorKey::Frustration), None);
    }

    fn insight(analysed: bool, sentiment: f32, intents: &[Intent]) -> Insight {
        Insight {
            sentiment,
            frustration: sentiment.abs(),
            intents: intents.to_vec(),
            concerns: vec![],
            language: Language {
                language: if analysed { "en" } else { "und" }.into(),
                analysed,
                note: None,
            },
        }
    }

    #[test]
    fn words_read_the_latest_five_analysed_messages_and_count_every_request() {
        let insights = vec![
            insight(true, 0.1, &[Intent::Complaint]),
            insight(false, 0.0, &[Intent::WantsManager]),
            insight(true, 0.2, &[]),
            insight(true, 0.3, &[Intent::WantsManager, Intent::Complaint]),
            insight(true, 0.4, &[]),
            insight(true, 0.5, &[]),
            insight(true, 0.6, &[Intent::Complaint]),
        ];
        let words = Words::of(&insights);
        let sentiments: Vec<f32> = words.latest.iter().map(|f| f.sentiment).collect();
        assert_eq!(sentiments, [0.1, 0.2, 0.3, 0.4, 0.5]);
        assert_eq!(words.asked_for_manager, 2);
        assert_eq!(Words::of(&[]), Words::default());
    }

    #[test]
    fn asking_for_a_manager_and_complaining_cost_points() {
        let words = |manager, complaints_open| Facts {
            words: Words {
                asked_for_manager: manager,
                ..Words::default()
            },
            complaints_open,
            ..Facts::default()
        };
        assert_eq!(
            only(words(1, 0)),
            (
                "asked_for_manager".into(),
                -6,
                "They asked for a manager 1 time(s) in 90 days.".into()
            )
        );
        assert_eq!(only(words(3, 0)).1, -12);
        assert_eq!(
            only(words(0, 2)),
            (
                "complaints_open".into(),
                -12,
                "2 complaint(s) still open: not yet made right.".into()
            )
        );
        assert_eq!(only(words(0, 4)).1, -18);
        let made_right = |recovered| Facts {
            complaints_recovered: recovered,
            ..Facts::default()
        };
        assert_eq!(only(made_right(1)).1, 4);
        assert_eq!(only(made_right(5)).1, 8);
    }

    #[test]
    fn csat_counts_five_points_per_star_from_three() {
        let rated = |scores: &[i64]| Facts {
            csat_scores: scores.to_vec(),
            ..Facts::default()
        };
        assert_eq!(
            only(rated(&[5, 4])),
            (
                "csat".into(),
                8,
                "Their satisfaction ratings average 4.5 out of 5.".into()
            )
        );
        assert_eq!(only(rated(&[1])).1, -10);
        assert_eq!(only(rated(&[5])).1, 10);
        assert!(assess(&rated(&[3, 3])).factors.is_empty());
        assert!(assess(&rated(&[])).factors.is_empty());
    }

    #[test]
    fn nps_counts_promoters_and_detractors_only() {
        let nps = |score| Facts {
            latest_nps: score,
            ..Facts::default()
        };
        assert_eq!(
            only(nps(Some(9))),
            (
                "nps".into(),
                6,
                "They would recommend us (9 out of 10).".into()
            )
        );
        assert_eq!(only(nps(Some(10))).1, 6);
        assert!(assess(&nps(Some(8))).factors.is_empty());
        assert!(assess(&nps(Some(7))).factors.is_empty());
        assert_eq!(
            only(nps(Some(6))),
            (
                "nps".into(),
                -8,
                "They would not recommend us (6 out of 10).".into()
            )
        );
        assert_eq!(only(nps(Some(0))).1, -8);
        assert!(assess(&nps(None)).factors.is_empty());
    }

    #[test]
    fn response_time_steps_by_the_median_wait() {
        let waits = |w: &[f64]| Facts {
            response_waits: w.to_vec(),
            ..Facts::default()
        };
        assert_eq!(
            only(waits(&[hours(1.0), hours(2.0), hours(30.0)])),
            (
                "response_time".into(),
                5,
                "We usually answer them within a few hours (median 2 h).".into()
            )
        );
        assert_eq!(only(waits(&[hours(4.0)])).1, 5, "4 h is still a few hours");
        assert_eq!(only(waits(&[hours(4.01)])).1, 2);
        assert_eq!(
            only(waits(&[hours(6.0)])),
            (
                "response_time".into(),
                2,
                "We usually answer them within a day (median 6 h).".into()
            )
        );
        assert_eq!(only(waits(&[hours(24.0)])).1, 2);
        assert_eq!(
            only(waits(&[hours(48.0)])),
            (
                "response_time".into(),
                -3,
                "We usually answer them in two or three days (median 48 h).".into()
            )
        );
        assert_eq!(only(waits(&[hours(72.0)])).1, -3);
        assert_eq!(
            only(waits(&[hours(100.0)])),
            (
                "response_time".into(),
                -8,
                "We usually answer them after more than three days (median 100 h).".into()
            )
        );
        assert!(assess(&waits(&[])).factors.is_empty());
    }

    #[test]
    fn the_median_of_an_even_count_is_the_upper_middle() {
        assert_eq!(median_hours(&[]), None);
        assert_eq!(median_hours(&[hours(3.0)]), Some(3.0));
        assert_eq!(
            median_hours(&[hours(10.0), hours(1.0), hours(5.0), hours(2.0)]),
            Some(5.0)
        );
        assert_eq!(
            median_hours(&[hours(9.0), hours(1.0), hours(5.0)]),
            Some(5.0)
        );
    }

    const NS: i128 = 1_000_000_000;
    const HOUR: i128 = 3600 * NS;

    fn said(ticket_id: i64, author: AuthorKind, hour: i128) -> Said {
        Said {
            ticket_id,
            author,
            at: hour * HOUR,
        }
    }

    #[test]
    fn a_wait_runs_from_the_first_unanswered_message_to_our_reply() {
        use AuthorKind::{Agent, Customer};
        let messages = [
            said(1, Customer, 0),
            said(1, Customer, 1),
            said(1, Agent, 3),
            said(1, Agent, 4),
            said(1, Customer, 10),
            said(1, Agent, 11),
        ];
        assert_eq!(
            response_waits(&messages, 100 * HOUR),
            [hours(3.0), hours(1.0)]
        );
    }

    #[test]
    fn an_unanswered_message_waits_until_now() {
        use AuthorKind::{Agent, Customer};
        let now = 50 * HOUR;
        // Unanswered on ticket 1 when ticket 2's messages start, and at the end on ticket 2.
        let messages = [
            said(1, Customer, 0),
            said(2, Agent, 1),
            said(2, Customer, 2),
        ];
        assert_eq!(response_waits(&messages, now), [hours(50.0), hours(48.0)]);
        // A reply that opens a ticket waits for nobody.
        assert!(response_waits(&[said(3, Agent, 0)], now).is_empty());
        assert!(response_waits(&[], now).is_empty());
        // Seconds keep their fraction.
        let half = [Said {
            ticket_id: 1,
            author: Customer,
            at: 0,
        }];
        assert_eq!(response_waits(&half, NS / 2), [0.5]);
    }

    #[test]
    fn factors_come_largest_effect_first_and_ties_keep_their_order() {
        let assessment = assess(&Facts {
            days_as_customer: 365,
            partnership: true,
            promises_kept: 1,
            promises_broken: 1,
            problems_unconfirmed: 2,
            latest_nps: Some(10),
            ..Facts::default()
        });
        let keys: Vec<&str> = assessment.factors.iter().map(|f| f.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "promises_broken",
                "nps",
                "partnership",
                "promises_kept",
                "tenure",
                "problems_unconfirmed"
            ]
        );
        assert_eq!(assessment.score, 60 + 2 + 4 + 3 - 10 - 2 + 6);
    }

    #[test]
    fn the_score_stays_between_0_and_100() {
        let worst = assess(&Facts {
            promises_broken: 10,
            problems_closed_unresolved: 10,
            problems_reopened: 10,
            recent_tickets: 10,
            ..Facts::default()
        });
        assert_eq!(worst.score, 0);
        assert_eq!(worst.band, Band::Critical);
        let best = assess(&Facts {
            days_as_customer: 20 * 365,
            partnership: true,
            promises_kept: 10,
            problems_confirmed: 10,
            csat_scores: vec![5],
            latest_nps: Some(10),
            ..Facts::default()
        });
        assert_eq!(best.score, 100);
        assert_eq!(best.band, Band::Thriving);
    }

    #[test]
    fn an_organization_averages_its_customers() {
        let members = [
            Member {
                id: 7,
                name: "Ana Ruiz",
                score: 80,
            },
            Member {
                id: 9,
                name: "Lee",
                score: 41,
            },
        ];
        let org = organization(&members);
        assert_eq!(org.score, 60, "(80 + 41) / 2, rounded down");
        assert_eq!(org.band, Band::Steady);
        assert_eq!(
            org.factors,
            [
                Factor {
                    key: "customer_7".into(),
                    points: 20,
                    explanation: "Ana Ruiz: 80 (thriving).".into()
                },
                Factor {
                    key: "customer_9".into(),
                    points: -19,
                    explanation: "Lee: 41 (at risk).".into()
                },
            ]
        );
        let empty = organization(&[]);
        assert_eq!((empty.score, empty.band), (BASE, Band::Steady));
        assert!(empty.factors.is_empty());
    }

    #[test]
    fn a_drop_into_at_risk_is_told_once() {
        use Band::{AtRisk, Critical, Steady, Thriving};
        // First computation of the day: compared with the last day before.
        assert!(dropped_into_at_risk(AtRisk, None, None));
        assert!(dropped_into_at_risk(AtRisk, None, Some(Steady)));
        assert!(dropped_into_at_risk(Critical, None, Some(Thriving)));
        assert!(!dropped_into_at_risk(AtRisk, None, Some(AtRisk)));
        assert!(!dropped_into_at_risk(Critical, None, Some(AtRisk)));
        // Later the same day: compared with earlier today, whatever came before.
        assert!(dropped_into_at_risk(AtRisk, Some(Steady), Some(Critical)));
        assert!(!dropped_into_at_risk(Critical, Some(AtRisk), Some(Steady)));
        assert!(!dropped_into_at_risk(AtRisk, Some(AtRisk), None));
        // Healthy is never a drop.
        for band in [Steady, Thriving] {
            assert!(!dropped_into_at_risk(band, None, None));
            assert!(!dropped_into_at_risk(band, Some(Thriving), Some(Thriving)));
        }
    }

    #[test]
    fn what_moved_it_names_the_three_largest_negatives() {
        let f = |points: i64, explanation: &str| Factor {
            key: "k".into(),
            points,
            explanation: explanation.into(),
        };
        let factors = [
            f(-30, "a."),
            f(12, "good."),
            f(-12, "b."),
            f(-10, "c."),
            f(-6, "d."),
        ];
        assert_eq!(what_moved_it(&factors), ["a.", "b.", "c."]);
        assert!(what_moved_it(&[f(4, "good.")]).is_empty());
    }

    /// The rows of the factor table in docs/health.md: key, points, cap.
    fn documented_factors(doc: &str) -> Vec<(String, String, String)> {
        doc.lines()
            .filter(|line| line.starts_with("| `"))
            .map(|line| {
                let cells: Vec<&str> = line.split('|').map(str::trim).collect();
                (
                    cells[1].trim_matches('`').to_owned(),
                    cells[2].to_owned(),
                    cells[3].to_owned(),
                )
            })
            .collect()
    }

    #[test]
    fn docs_health_md_says_what_the_code_does() {
        let doc = include_str!("../../../docs/health.md");
        let prose = doc.split_whitespace().collect::<Vec<_>>().join(" ");
        let rows = documented_factors(doc);
        let row = |key: FactorKey| {
            rows.iter()
                .find(|(k, _, _)| k == key.as_str())
                .map(|(_, points, cap)| (points.as_str(), cap.as_str()))
                .unwrap_or_else(|| panic!("docs/health.md has no row for `{key}`"))
        };

        let keys: Vec<&str> = rows.iter().map(|(k, _, _)| k.as_str()).collect();
        let expected: Vec<&str> = FactorKey::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(keys, expected, "the table lists every factor, in order");

        assert!(prose.contains(&format!("Everyone starts at **{BASE}**")));
        assert!(prose.contains("clamped to 0..100"));
        assert!(
            prose.contains(&format!(
                "Bands: **thriving** {THRIVING_FROM} and up, **steady** {STEADY_FROM}-{}, \
                 **at_risk** {AT_RISK_FROM}-{}, **critical** below {AT_RISK_FROM}.",
                THRIVING_FROM - 1,
                STEADY_FROM - 1
            )),
            "the bands"
        );
        assert!(prose.contains(&format!(
            "the average of its customers' scores ({BASE} when it has none), rounded down"
        )));
        assert!(prose.contains(&format!("worth their score minus {BASE}")));

        let per_unit = [
            (TENURE, None),
            (PROMISES_KEPT, Some(window::PROMISES)),
            (PROMISES_BROKEN, Some(window::PROMISES)),
            (PROBLEMS_CONFIRMED_RESOLVED, Some(window::TICKETS)),
            (PROBLEMS_UNCONFIRMED, Some(window::TICKETS)),
            (PROBLEMS_CLOSED_UNRESOLVED, Some(window::TICKETS)),
            (PROBLEMS_REOPENED, Some(window::REOPENINGS)),
            (REPEATED_CONTACTS, Some(window::RECENT_TICKETS)),
            (ASKED_FOR_MANAGER, Some(window::WORDS)),
            (COMPLAINTS_OPEN, None),
            (COMPLAINTS_RECOVERED, Some(window::COMPLAINTS)),
            (SERVICE_LEVELS_MISSED, Some(window::SERVICE_LEVELS)),
        ];
        for (factor, days) in per_unit {
            let (points, cap) = row(factor.key);
            assert!(
                points.starts_with(&format!("{:+} ", factor.each)),
                "`{}` is {:+} per unit, the page says {points}",
                factor.key,
                factor.each
            );
            assert_eq!(cap, format!("{:+}", factor.cap), "`{}`'s cap", factor.key);
            if let Some(days) = days {
                assert!(
                    points.ends_with(&format!("last {days} days")),
                    "`{}` counts {days} days, the page says {points}",
                    factor.key
                );
            }
        }
        assert!(
            row(FactorKey::Tenure)
                .0
                .contains(&format!("per full year ({DAYS_IN_YEAR} days)"))
        );
        assert!(
            row(FactorKey::RepeatedContacts)
                .0
                .contains(&format!("beyond {FREE_CONTACTS},"))
        );

        for fixed in [PARTNERSHIP, FRUSTRATION] {
            let (points, cap) = row(fixed.key);
            assert!(points.starts_with(&format!("{:+} when", fixed.points)));
            assert_eq!(cap, "", "`{}` has no cap", fixed.key);
        }
        assert!(
            row(FactorKey::Frustration)
                .0
                .contains(&format!("frustration of {FRUSTRATED_FROM} or more"))
        );

        let (sentiment, range) = row(FactorKey::Sentiment);
        assert!(sentiment.starts_with(&format!(
            "{SENTIMENT_SCALE} x average VADER sentiment of their last {LATEST_MESSAGES} analysed messages, last {} days",
            window::WORDS
        )));
        assert_eq!(
            range,
            format!("{:+}..{:+}", -SENTIMENT_SCALE, SENTIMENT_SCALE)
        );
        assert!(prose.contains(&format!(
            "(warm from {WARM_FROM}, negative from {})",
            -WARM_FROM
        )));

        let (csat, range) = row(FactorKey::Csat);
        assert_eq!(
            csat,
            format!(
                "{CSAT_SCALE} x (average CSAT - {CSAT_MIDDLE}), last {} days",
                window::SURVEYS
            )
        );
        assert_eq!(
            range,
            format!(
                "{:+}..{:+}",
                (1.0 - CSAT_MIDDLE) * CSAT_SCALE,
                (5.0 - CSAT_MIDDLE) * CSAT_SCALE
            )
        );

        let (nps, cap) = row(FactorKey::Nps);
        assert_eq!(
            nps,
            format!(
                "{:+} for {PROMOTER_FROM}-10, {:+} for 0-{DETRACTOR_UP_TO} (latest answer), last {} days",
                PROMOTER.points,
                DETRACTOR.points,
                window::SURVEYS
            )
        );
        assert_eq!(cap, "");

        let [first, day, days, beyond] = RESPONSE_STEPS;
        let (response, cap) = row(FactorKey::ResponseTime);
        assert_eq!(
            response,
            format!(
                "{:+} median reply within {} h, {:+} within {} h, {:+} within {} h, {:+} beyond, last {} days",
                first.points,
                first.within_hours,
                day.points,
                day.within_hours,
                days.points,
                days.within_hours,
                beyond.points,
                window::RESPONSES
            )
        );
        assert_eq!(cap, "");
    }
}

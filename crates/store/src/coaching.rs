//! Coaching trends: the coach's reviews of agents' replies, counted per period.

use crate::rows::{int, opt_int, placeholders, text};
use crate::{Store, StoreError, StoreResult, Tx};
use rapport_coach::Review;
use serde::Serialize;
use std::collections::BTreeMap;
use time::{Date, Duration, Weekday};
use utoipa::ToSchema;

/// Keeps a reply's review in countable form.
pub(crate) async fn record_review(
    tx: &mut Tx,
    message_id: i64,
    agent_id: i64,
    review: &Review,
    at: &str,
) -> StoreResult<()> {
    sqlx::query("INSERT INTO reply_reviews (message_id, agent_id, score, created_at) VALUES ($1, $2, $3, $4)")
        .bind(message_id)
        .bind(agent_id)
        .bind(review.score.map(i64::from))
        .bind(at)
        .execute(&mut **tx)
        .await?;
    for finding in &review.findings {
        let severity = match finding.severity {
            rapport_coach::Severity::Info => "info",
            rapport_coach::Severity::Warning => "warning",
            rapport_coach::Severity::Serious => "serious",
        };
        sqlx::query(
            "INSERT INTO reply_findings (message_id, agent_id, kind, severity, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(message_id)
        .bind(agent_id)
        .bind(finding.kind.as_str())
        .bind(severity)
        .bind(at)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bucket {
    Day,
    Week,
}

/// Replies reviewed in one period, with the findings counted by kind.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct Period {
    /// The first day of the period (a Monday for weeks).
    pub start: String,
    pub replies: i64,
    /// The mean score of the replies that were analysed; `null` when none were.
    pub average_score: Option<f64>,
    pub findings: BTreeMap<String, i64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CoachingReport {
    pub agent_ids: Vec<i64>,
    pub from: String,
    pub to: String,
    pub replies: i64,
    pub average_score: Option<f64>,
    /// All findings in the range, by kind (problems and things done well).
    pub findings: BTreeMap<String, i64>,
    /// Oldest first; periods without replies are left out.
    pub periods: Vec<Period>,
    /// Letters in which customers thanked these agents, newest first.
    pub compliments: Vec<crate::letters::Letter>,
}

/// One reviewed reply, as an example of an agent's work.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReplyExample {
    pub message_id: i64,
    pub ticket_id: i64,
    pub score: i64,
    pub created_at: String,
    /// The start of the reply's text.
    pub excerpt: String,
}

/// The coach's facets of some replies, averaged (each 0 to 100).
#[derive(Debug, Clone, Copy, Default, Serialize, ToSchema)]
pub struct FacetAverages {
    pub politeness: f64,
    pub empathy: f64,
    pub ownership: f64,
    pub clarity: f64,
}

/// An agent's best and worst scored replies of a period.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct CoachingExamples {
    pub best: Vec<ReplyExample>,
    pub worst: Vec<ReplyExample>,
}

impl Store {
    /// Coaching trends for some agents between two days (`from` inclusive, `to` exclusive).
    pub async fn coaching(
        &self,
        agent_ids: &[i64],
        from: Date,
        to: Date,
        bucket: Bucket,
    ) -> StoreResult<CoachingReport> {
        let from_text = format!("{from}");
        let to_text = format!("{to}");
        let mut report = CoachingReport {
            agent_ids: agent_ids.to_vec(),
            from: from_text.clone(),
            to: to_text.clone(),
            replies: 0,
            average_score: None,
            findings: BTreeMap::new(),
            periods: vec![],
            compliments: vec![],
        };
        if agent_ids.is_empty() {
            return Ok(report);
        }
        report.compliments = self.compliments(agent_ids, &from_text, &to_text).await?;
        let ids = placeholders(3, agent_ids.len());
        let reviews_sql = format!(
            "SELECT created_at, score FROM reply_reviews WHERE created_at >= $1 AND created_at < $2 AND agent_id IN ({ids})"
        );
        let findings_sql = format!(
            "SELECT created_at, kind FROM reply_findings WHERE created_at >= $1 AND created_at < $2 AND agent_id IN ({ids})"
        );
        let mut reviews = sqlx::query(&reviews_sql).bind(&from_text).bind(&to_text);
        let mut findings = sqlx::query(&findings_sql).bind(&from_text).bind(&to_text);
        for id in agent_ids {
            reviews = reviews.bind(*id);
            findings = findings.bind(*id);
        }

        let mut periods: BTreeMap<String, (Period, i64, i64)> = BTreeMap::new();
        let (mut total_score, mut scored) = (0_i64, 0_i64);
        for row in reviews.fetch_all(self.pool()).await? {
            let start = period_start(&text(&row, "created_at")?, bucket)?;
            let entry = periods.entry(start.clone()).or_insert_with(|| {
                (
                    Period {
                        start,
                        ..Period::default()
                    },
                    0,
                    0,
                )
            });
            entry.0.replies += 1;
            report.replies += 1;
            if let Some(score) = opt_int(&row, "score")? {
                entry.1 += score;
                entry.2 += 1;
                total_score += score;
                scored += 1;
            }
        }
        for row in findings.fetch_all(self.pool()).await? {
            let start = period_start(&text(&row, "created_at")?, bucket)?;
            let kind = text(&row, "kind")?;
            let entry = periods.entry(start.clone()).or_insert_with(|| {
                (
                    Period {
                        start,
                        ..Period::default()
                    },
                    0,
                    0,
                )
            });
            *entry.0.findings.entry(kind.clone()).or_default() += 1;
            *report.findings.entry(kind).or_default() += 1;
        }
        report.average_score = average(total_score, scored);
        report.periods = periods
            .into_values()
            .map(|(mut period, sum, count)| {
                period.average_score = average(sum, count);
                period
            })
            .collect();
        Ok(report)
    }

    /// An agent's best and worst scored replies between two days, `limit` of each (best:
    /// highest score first; worst: lowest first), with their tickets so a page can link them.
    /// Reads `reply_reviews` through its (agent, time) index.
    pub async fn coaching_examples(
        &self,
        agent_id: i64,
        from: Date,
        to: Date,
        limit: usize,
    ) -> StoreResult<CoachingExamples> {
        let (from, to) = (format!("{from}"), format!("{to}"));
        let mut examples = CoachingExamples::default();
        for (order, list) in [("DESC", &mut examples.best), ("ASC", &mut examples.worst)] {
            let sql = format!(
                "SELECT r.message_id AS message_id, r.score AS score, r.created_at AS created_at, \
                 m.ticket_id AS ticket_id, m.body_text AS body_text \
                 FROM reply_reviews r JOIN messages m ON m.id = r.message_id \
                 WHERE r.agent_id = $1 AND r.created_at >= $2 AND r.created_at < $3 AND r.score IS NOT NULL \
                 ORDER BY r.score {order}, r.message_id DESC LIMIT {limit}"
            );
            let rows = sqlx::query(&sql)
                .bind(agent_id)
                .bind(&from)
                .bind(&to)
                .fetch_all(self.pool())
                .await?;
            for row in rows {
                list.push(ReplyExample {
                    message_id: int(&row, "message_id")?,
                    ticket_id: int(&row, "ticket_id")?,
                    score: int(&row, "score")?,
                    created_at: text(&row, "created_at")?,
                    excerpt: excerpt(&text(&row, "body_text")?, 160),
                });
            }
        }
        Ok(examples)
    }

    /// The coach's four facets averaged per week for some agents between two days (`from`
    /// inclusive, `to` exclusive), keyed by the week's Monday; weeks without an analysed reply
    /// are left out. Reads `reply_reviews` through its (agent, time) index and each reply's
    /// stored review.
    pub async fn facet_trend(
        &self,
        agent_ids: &[i64],
        from: Date,
        to: Date,
    ) -> StoreResult<BTreeMap<String, FacetAverages>> {
        let mut sums: BTreeMap<String, ([i64; 4], i64)> = BTreeMap::new();
        if agent_ids.is_empty() {
            return Ok(BTreeMap::new());
        }
        let sql = format!(
            "SELECT r.created_at AS created_at, m.review AS review \
             FROM reply_reviews r JOIN messages m ON m.id = r.message_id \
             WHERE r.created_at >= $1 AND r.created_at < $2 AND r.score IS NOT NULL AND r.agent_id IN ({})",
            placeholders(3, agent_ids.len())
        );
        let mut query = sqlx::query(&sql)
            .bind(format!("{from}"))
            .bind(format!("{to}"));
        for id in agent_ids {
            query = query.bind(*id);
        }
        for row in query.fetch_all(self.pool()).await? {
            let Some(review) = crate::rows::opt_text(&row, "review")? else {
                continue;
            };
            let review: Review = serde_json::from_str(&review)
                .map_err(|error| StoreError::Corrupt(format!("a stored review: {error}")))?;
            let Some(facets) = review.facets else {
                continue;
            };
            let start = period_start(&text(&row, "created_at")?, Bucket::Week)?;
            let entry = sums.entry(start).or_default();
            for (sum, value) in entry.0.iter_mut().zip([
                facets.politeness,
                facets.empathy,
                facets.ownership,
                facets.clarity,
            ]) {
                *sum += i64::from(value);
            }
            entry.1 += 1;
        }
        Ok(sums
            .into_iter()
            .map(|(start, (sum, count))| {
                let mean = |i: usize| average(sum[i], count).unwrap_or_default();
                (
                    start,
                    FacetAverages {
                        politeness: mean(0),
                        empathy: mean(1),
                        ownership: mean(2),
                        clarity: mean(3),
                    },
                )
            })
            .collect())
    }

    /// The ids of a team's members.
    pub async fn team_member_ids(&self, team_id: i64) -> StoreResult<Vec<i64>> {
        let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM teams WHERE id = $1")
            .bind(team_id)
            .fetch_optional(self.pool())
            .await?;
        exists.ok_or_else(|| StoreError::not_found("team", team_id))?;
        let rows =
            sqlx::query("SELECT agent_id FROM team_members WHERE team_id = $1 ORDER BY agent_id")
                .bind(team_id)
                .fetch_all(self.pool())
                .await?;
        rows.iter().map(|row| int(row, "agent_id")).collect()
    }
}

/// The first `chars` characters of `body` on one line, with an ellipsis when cut.
fn excerpt(body: &str, chars: usize) -> String {
    let flat = body.split_whitespace().collect::<Vec<_>>().join(" ");
    match flat.char_indices().nth(chars) {
        Some((cut, _)) => format!("{}…", &flat[..cut]),
        None => flat,
    }
}

fn average(sum: i64, count: i64) -> Option<f64> {
    (count > 0).then(|| (sum as f64 / count as f64 * 10.0).round() / 10.0)
}

fn period_start(at: &str, bucket: Bucket) -> StoreResult<String> {
    let day = at
        .get(..10)
        .ok_or_else(|| StoreError::Corrupt(format!("`{at}` is not a stored time")))?;
    match bucket {
        Bucket::Day => Ok(day.to_owned()),
        Bucket::Week => {
            let date = parse_day(day)
                .map_err(|_| StoreError::Corrupt(format!("`{at}` is not a stored time")))?;
            let monday = date - Duration::days(i64::from(date.weekday().number_days_from_monday()));
            debug_assert_eq!(monday.weekday(), Weekday::Monday);
            Ok(format!("{monday}"))
        }
    }
}

/// Parses `YYYY-MM-DD`.
pub fn parse_day(day: &str) -> Result<Date, time::error::Parse> {
    Date::parse(
        day,
        time::macros::format_description!("[year]-[month]-[day]"),
    )
}

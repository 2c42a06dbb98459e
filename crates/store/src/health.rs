//! Relationship health: a score from 0 to 100 per customer (and per organization), a band, and
//! the factors that moved it, each with its points and a sentence an agent understands. The
//! model is documented in `docs/health.md`; change both together.

use crate::rows::{int, opt_int, opt_text, text};
use crate::tasks::{self, NewTask};
use crate::{Store, StoreError, StoreResult, Tx, clock};
use rapport_domain::TaskKind;
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};
use utoipa::ToSchema;

/// Where every customer starts: a new relationship is steady, not thriving.
pub const BASE: i64 = 60;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Band {
    Critical,
    AtRisk,
    Steady,
    Thriving,
}

impl Band {
    pub fn of(score: i64) -> Band {
        match score {
            75.. => Band::Thriving,
            55..=74 => Band::Steady,
            35..=54 => Band::AtRisk,
            _ => Band::Critical,
        }
    }

    fn parse(text: &str) -> Band {
        match text {
            "thriving" => Band::Thriving,
            "steady" => Band::Steady,
            "at_risk" => Band::AtRisk,
            _ => Band::Critical,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Band::Critical => "critical",
            Band::AtRisk => "at_risk",
            Band::Steady => "steady",
            Band::Thriving => "thriving",
        }
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

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HealthPoint {
    pub day: String,
    pub score: i64,
    pub band: Band,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Health {
    pub score: i64,
    pub band: Band,
    /// Largest effect first.
    pub factors: Vec<Factor>,
    /// One point per day it was recomputed, oldest first.
    pub history: Vec<HealthPoint>,
}

fn capped(each: i64, count: i64, cap: i64) -> i64 {
    let total = each * count;
    if cap >= 0 {
        total.min(cap)
    } else {
        total.max(cap)
    }
}

struct Factors(Vec<Factor>);

impl Factors {
    fn add(&mut self, key: &str, points: i64, explanation: String) {
        if points != 0 {
            self.0.push(Factor {
                key: key.to_owned(),
                points,
                explanation,
            });
        }
    }
}

/// Computes a customer's health from what the database holds, as of `now`.
pub(crate) async fn compute(
    tx: &mut Tx,
    now: OffsetDateTime,
    customer_id: i64,
) -> StoreResult<(i64, Band, Vec<Factor>)> {
    let ago = |days: i64| clock::format(now - Duration::days(days));
    let row = sqlx::query(
        "SELECT c.created_at, o.relationship_kind FROM customers c LEFT JOIN organizations o ON o.id = c.organization_id WHERE c.id = $1",
    )
    .bind(customer_id)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or_else(|| StoreError::not_found("customer", customer_id))?;
    let mut factors = Factors(Vec::new());

    let since = clock::parse(&text(&row, "created_at")?).unwrap_or(now);
    let years = (now - since).whole_days() / 365;
    factors.add(
        "tenure",
        capped(2, years, 8),
        format!("A customer for {years} year(s): long relationships carry trust."),
    );
    if opt_text(&row, "relationship_kind")?.as_deref() == Some("partnership") {
        factors.add(
            "partnership",
            4,
            "A partnership: both sides have invested in this relationship.".into(),
        );
    }

    let kept: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM promises WHERE customer_id = $1 AND status = 'kept' AND settled_at > $2")
        .bind(customer_id)
        .bind(ago(365))
        .fetch_one(&mut **tx)
        .await?;
    let broken: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM promises WHERE customer_id = $1 AND status = 'broken' AND settled_at > $2")
        .bind(customer_id)
        .bind(ago(365))
        .fetch_one(&mut **tx)
        .await?;
    factors.add(
        "promises_kept",
        capped(3, kept, 12),
        format!("{kept} promise(s) kept this year: they know we do what we say."),
    );
    factors.add(
        "promises_broken",
        capped(-10, broken, -30),
        format!("{broken} promise(s) broken this year: each one is a debt they remember."),
    );

    let tickets = sqlx::query(
        "SELECT id, problem, resolution_confirmed, created_at FROM tickets WHERE customer_id = $1 AND updated_at > $2",
    )
    .bind(customer_id)
    .bind(ago(365))
    .fetch_all(&mut **tx)
    .await?;
    let (mut confirmed, mut unconfirmed, mut unresolved, mut recent) = (0, 0, 0, 0);
    let month_ago = ago(30);
    for ticket in &tickets {
        match (
            text(ticket, "problem")?.as_str(),
            opt_int(ticket, "resolution_confirmed")?,
        ) {
            ("resolved", Some(1)) => confirmed += 1,
            ("resolved", _) => unconfirmed += 1,
            ("closed_unresolved", _) => unresolved += 1,
            _ => {}
        }
        if text(ticket, "created_at")? > month_ago {
            recent += 1;
        }
    }
    factors.add(
        "problems_confirmed_resolved",
        capped(4, confirmed, 12),
        format!("{confirmed} problem(s) the customer confirmed as fixed."),
    );
    factors.add(
        "problems_unconfirmed",
        capped(-1, unconfirmed, -3),
        format!("{unconfirmed} problem(s) marked resolved after silence, never confirmed."),
    );
    factors.add(
        "problems_closed_unresolved",
        capped(-12, unresolved, -24),
        format!("{unresolved} problem(s) we closed without solving them."),
    );

    let reopened: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM events e JOIN tickets t ON t.id = e.entity_id AND e.entity = 'ticket' \
         WHERE t.customer_id = $1 AND e.at > $2 AND (e.action IN ('resolution.rejected', 'problem.reopened') \
         OR (e.action = 'message.added' AND e.changes LIKE '%\"problem\"%'))",
    )
    .bind(customer_id)
    .bind(ago(180))
    .fetch_one(&mut **tx)
    .await?;
    factors.add(
        "problems_reopened",
        capped(-4, reopened, -12),
        format!("{reopened} time(s) a problem we thought solved came back."),
    );
    if recent > 2 {
        factors.add(
            "repeated_contacts",
            capped(-4, recent - 2, -12),
            format!("{recent} new tickets in 30 days: they keep having to come back to us."),
        );
    }

    // What the customer's own words say.
    let messages = sqlx::query(
        "SELECT m.insight FROM messages m JOIN tickets t ON t.id = m.ticket_id WHERE t.customer_id = $1 \
         AND m.author_kind = 'customer' AND m.insight IS NOT NULL AND m.created_at > $2 ORDER BY m.id DESC",
    )
    .bind(customer_id)
    .bind(ago(90))
    .fetch_all(&mut **tx)
    .await?;
    let insights: Vec<rapport_coach::Insight> = messages
        .iter()
        .filter_map(|row| opt_text(row, "insight").ok().flatten())
        .filter_map(|j| serde_json::from_str(&j).ok())
        .collect();
    let latest: Vec<&rapport_coach::Insight> = insights
        .iter()
        .filter(|i| i.language.analysed)
        .take(5)
        .collect();
    if !latest.is_empty() {
        let n = latest.len() as f32;
        let sentiment = latest.iter().map(|i| i.sentiment).sum::<f32>() / n;
        let frustration = latest.iter().map(|i| i.frustration).sum::<f32>() / n;
        let points = (sentiment * 10.0).round() as i64;
        let tone = if sentiment >= 0.2 {
            "warm"
        } else if sentiment <= -0.2 {
            "negative"
        } else {
            "neutral"
        };
        factors.add(
            "sentiment",
            points,
            format!("Their recent messages read {tone} (average sentiment {sentiment:.2})."),
        );
        if frustration >= 0.5 {
            factors.add(
                "frustration",
                -6,
                "Their recent messages show frustration: repetition, shouting or exasperation."
                    .into(),
            );
        }
    }
    let manager = insights
        .iter()
        .filter(|i| i.intents.contains(&rapport_coach::Intent::WantsManager))
        .count() as i64;
    factors.add(
        "asked_for_manager",
        capped(-6, manager, -12),
        format!("They asked for a manager {manager} time(s) in 90 days."),
    );
    let complaints = insights
        .iter()
        .filter(|i| i.intents.contains(&rapport_coach::Intent::Complaint))
        .count() as i64;
    factors.add(
        "complaints",
        capped(-5, complaints, -15),
        format!("{complaints} message(s) of complaint in 90 days."),
    );

    let surveys = sqlx::query("SELECT kind, score FROM surveys WHERE customer_id = $1 AND answered_at > $2 ORDER BY answered_at DESC")
        .bind(customer_id)
        .bind(ago(365))
        .fetch_all(&mut **tx)
        .await?;
    let csat: Vec<i64> = surveys
        .iter()
        .filter(|r| text(r, "kind").is_ok_and(|k| k == "csat"))
        .filter_map(|r| opt_int(r, "score").ok().flatten())
        .collect();
    if !csat.is_empty() {
        let average = csat.iter().sum::<i64>() as f32 / csat.len() as f32;
        factors.add(
            "csat",
            ((average - 3.0) * 5.0).round() as i64,
            format!("Their satisfaction ratings average {average:.1} out of 5."),
        );
    }
    let nps = surveys
        .iter()
        .find(|r| text(r, "kind").is_ok_and(|k| k == "nps"))
        .and_then(|r| opt_int(r, "score").ok().flatten());
    match nps {
        Some(score) if score >= 9 => factors.add(
            "nps",
            6,
            format!("They would recommend us ({score} out of 10)."),
        ),
        Some(score) if score <= 6 => factors.add(
            "nps",
            -8,
            format!("They would not recommend us ({score} out of 10)."),
        ),
        _ => {}
    }

    if let Some(hours) = median_response_hours(tx, now, customer_id).await? {
        let (points, how) = match hours {
            h if h <= 4.0 => (5, "within a few hours"),
            h if h <= 24.0 => (2, "within a day"),
            h if h <= 72.0 => (-3, "in two or three days"),
            _ => (-8, "after more than three days"),
        };
        factors.add(
            "response_time",
            points,
            format!("We usually answer them {how} (median {hours:.0} h)."),
        );
    }

    let mut list = factors.0;
    list.sort_by_key(|f| std::cmp::Reverse(f.points.abs()));
    let score = (BASE + list.iter().map(|f| f.points).sum::<i64>()).clamp(0, 100);
    Ok((score, Band::of(score), list))
}

/// The median time from a customer's public message to our next public reply on the same
/// ticket, over 90 days; a message still unanswered counts with its age so far.
async fn median_response_hours(
    tx: &mut Tx,
    now: OffsetDateTime,
    customer_id: i64,
) -> StoreResult<Option<f64>> {
    let rows = sqlx::query(
        "SELECT m.ticket_id, m.author_kind, m.created_at FROM messages m JOIN tickets t ON t.id = m.ticket_id \
         WHERE t.customer_id = $1 AND m.visibility = 'public' AND m.author_kind <> 'system' AND m.created_at > $2 \
         ORDER BY m.ticket_id, m.id",
    )
    .bind(customer_id)
    .bind(clock::format(now - Duration::days(90)))
    .fetch_all(&mut **tx)
    .await?;
    let mut waits = Vec::new();
    let mut waiting: Option<(i64, OffsetDateTime)> = None;
    for row in &rows {
        let ticket = int(row, "ticket_id")?;
        let at = clock::parse(&text(row, "created_at")?).unwrap_or(now);
        if let Some((_, since)) = waiting.filter(|(open_ticket, _)| *open_ticket != ticket) {
            waits.push((now - since).as_seconds_f64());
            waiting = None;
        }
        match text(row, "author_kind")?.as_str() {
            "customer" => {
                if waiting.is_none() {
                    waiting = Some((ticket, at));
                }
            }
            _ => {
                if let Some((_, since)) = waiting.take() {
                    waits.push((at - since).as_seconds_f64());
                }
            }
        }
    }
    if let Some((_, since)) = waiting {
        waits.push((now - since).as_seconds_f64());
    }
    if waits.is_empty() {
        return Ok(None);
    }
    waits.sort_by(f64::total_cmp);
    Ok(Some(waits[waits.len() / 2] / 3600.0))
}

/// Recomputes a customer's health, keeps today's point, and tells the owner when the
/// relationship has just dropped into `at_risk` or below. Returns what it computed, or `None`
/// for a customer merged into another (its history lives there).
pub async fn recompute(
    store: &Store,
    tx: &mut Tx,
    now: &str,
    customer_id: i64,
) -> StoreResult<Option<(i64, Band, Vec<Factor>)>> {
    let merged: Option<Option<i64>> =
        sqlx::query_scalar("SELECT merged_into FROM customers WHERE id = $1")
            .bind(customer_id)
            .fetch_optional(&mut **tx)
            .await?;
    if !matches!(merged, Some(None)) {
        return Ok(None);
    }
    let (score, band, factors) = compute(tx, store.clock().now(), customer_id).await?;
    let day = &now[..10];
    let previous: Option<String> = sqlx::query_scalar(
        "SELECT band FROM health_points WHERE entity = 'customer' AND entity_id = $1 AND day < $2 ORDER BY day DESC LIMIT 1",
    )
    .bind(customer_id)
    .bind(day)
    .fetch_optional(&mut **tx)
    .await?;
    let today: Option<String> = sqlx::query_scalar(
        "SELECT band FROM health_points WHERE entity = 'customer' AND entity_id = $1 AND day = $2",
    )
    .bind(customer_id)
    .bind(day)
    .fetch_optional(&mut **tx)
    .await?;
    keep_point(tx, "customer", customer_id, day, score, band, &factors).await?;
    let was_healthy = |b: Option<&str>| matches!(b, None | Some("steady") | Some("thriving"));
    let dropped = band <= Band::AtRisk
        && was_healthy(today.as_deref())
        && (today.is_some() || was_healthy(previous.as_deref()));
    if dropped {
        let owner = tasks::owner_of(tx, customer_id).await?;
        let name = crate::lifecycle::customer_first_name(tx, customer_id).await?;
        let reasons: Vec<String> = factors
            .iter()
            .filter(|f| f.points < 0)
            .take(3)
            .map(|f| f.explanation.clone())
            .collect();
        tasks::create(
            tx,
            now,
            NewTask {
                agent_id: owner,
                kind: TaskKind::HealthAtRisk,
                ticket_id: None,
                customer_id: Some(customer_id),
                title: format!(
                    "The relationship with {name} is {} ({score})",
                    band.as_str().replace('_', " ")
                ),
                detail: format!("What moved it: {}", reasons.join(" ")),
                due_at: now,
            },
        )
        .await?;
    }
    Ok(Some((score, band, factors)))
}

/// Keeps one day's point of the history (the latest computation of the day wins).
async fn keep_point(
    tx: &mut Tx,
    entity: &str,
    id: i64,
    day: &str,
    score: i64,
    band: Band,
    factors: &[Factor],
) -> StoreResult<()> {
    let factors =
        serde_json::to_string(factors).map_err(|err| StoreError::Corrupt(err.to_string()))?;
    sqlx::query("DELETE FROM health_points WHERE entity = $1 AND entity_id = $2 AND day = $3")
        .bind(entity)
        .bind(id)
        .bind(day)
        .execute(&mut **tx)
        .await?;
    sqlx::query("INSERT INTO health_points (entity, entity_id, day, score, band, factors) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(entity)
        .bind(id)
        .bind(day)
        .bind(score)
        .bind(band.as_str())
        .bind(factors)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

impl Store {
    /// A customer's health now, with its history. Recomputes and keeps today's point.
    pub async fn customer_health(&self, customer_id: i64) -> StoreResult<Health> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let (score, band, factors) = match recompute(self, &mut tx, &now, customer_id).await? {
            Some(computed) => computed,
            None => compute(&mut tx, self.clock().now(), customer_id).await?,
        };
        let history = history(&mut tx, "customer", customer_id).await?;
        tx.commit().await?;
        Ok(Health {
            score,
            band,
            factors,
            history,
        })
    }

    /// A customer's health as it stands, computed in a read-only transaction: for pages,
    /// which must not take the write lock on every view. The daily history is kept by the
    /// worker's recomputation and by [`Store::customer_health`].
    pub async fn customer_health_now(
        &self,
        customer_id: i64,
    ) -> StoreResult<(i64, Band, Vec<Factor>)> {
        let mut tx = self.pool().begin().await?;
        compute(&mut tx, self.clock().now(), customer_id).await
    }

    /// An organization's health: the average of its customers', with each customer's score as
    /// a factor, and the relationship kind.
    pub async fn organization_health(&self, organization_id: i64) -> StoreResult<Health> {
        let customers: Vec<i64> = {
            let rows = sqlx::query("SELECT id FROM customers WHERE organization_id = $1 AND merged_into IS NULL ORDER BY id")
                .bind(organization_id)
                .fetch_all(self.pool())
                .await?;
            rows.iter()
                .map(|row| int(row, "id"))
                .collect::<StoreResult<_>>()?
        };
        self.organization(organization_id).await?;
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let mut factors = Vec::new();
        let mut total = 0;
        for &customer in &customers {
            let (score, band, _) = compute(&mut tx, self.clock().now(), customer).await?;
            let name: String = sqlx::query_scalar("SELECT name FROM customers WHERE id = $1")
                .bind(customer)
                .fetch_one(&mut *tx)
                .await?;
            total += score;
            factors.push(Factor {
                key: format!("customer_{customer}"),
                points: score - BASE,
                explanation: format!("{name}: {score} ({}).", band.as_str().replace('_', " ")),
            });
        }
        let score = if customers.is_empty() {
            BASE
        } else {
            total / customers.len() as i64
        };
        let band = Band::of(score);
        keep_point(
            &mut tx,
            "organization",
            organization_id,
            &now[..10],
            score,
            band,
            &factors,
        )
        .await?;
        let history = history(&mut tx, "organization", organization_id).await?;
        tx.commit().await?;
        factors.sort_by_key(|f| f.points);
        Ok(Health {
            score,
            band,
            factors,
            history,
        })
    }
}

async fn history(tx: &mut Tx, entity: &str, id: i64) -> StoreResult<Vec<HealthPoint>> {
    let rows = sqlx::query("SELECT day, score, band FROM health_points WHERE entity = $1 AND entity_id = $2 ORDER BY day DESC LIMIT 365")
        .bind(entity)
        .bind(id)
        .fetch_all(&mut **tx)
        .await?;
    let mut points: Vec<HealthPoint> = rows
        .iter()
        .map(|row| {
            let band = Band::parse(&text(row, "band")?);
            Ok(HealthPoint {
                day: text(row, "day")?,
                score: int(row, "score")?,
                band,
            })
        })
        .collect::<StoreResult<_>>()?;
    points.reverse();
    Ok(points)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bands() {
        assert_eq!(Band::of(BASE), Band::Steady);
        assert_eq!(Band::of(80), Band::Thriving);
        assert_eq!(Band::of(40), Band::AtRisk);
        assert_eq!(Band::of(10), Band::Critical);
    }

    #[test]
    fn caps_limit_each_factor() {
        assert_eq!(capped(3, 10, 12), 12);
        assert_eq!(capped(-10, 5, -30), -30);
        assert_eq!(capped(-10, 1, -30), -10);
    }
}

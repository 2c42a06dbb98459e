//! Relationship health, stored: the facts the model needs, loaded with queries, and the daily
//! points of its history. The model itself (factors, points, caps, bands, the drop into at
//! risk) is `rapport_domain::health`, documented in `docs/health.md`.

use crate::promises::PromiseStatus;
use crate::rows::{int, named, opt_int, opt_text, text};
use crate::tasks::{self, NewTask};
use crate::{Store, StoreError, StoreResult, Tx, clock};
use rapport_domain::health::{Facts, Member, Said, Words, window};
use rapport_domain::survey::SurveyKind;
use rapport_domain::ticket::TicketMove;
use rapport_domain::wording::health::AtRiskTask;
use rapport_domain::wording::{TaskText, first_name};
use rapport_domain::{AuthorKind, Problem, RelationshipKind, TaskKind, Visibility};
use serde::Serialize;
use time::{Duration, OffsetDateTime};
use utoipa::ToSchema;

pub use rapport_domain::health::{Assessment, BASE, Band, Factor};

/// Whose health a point of `health_points` is.
const CUSTOMER: &str = "customer";
const ORGANIZATION: &str = "organization";

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

impl Health {
    fn of(assessment: Assessment, history: Vec<HealthPoint>) -> Health {
        Health {
            score: assessment.score,
            band: assessment.band,
            factors: assessment.factors,
            history,
        }
    }
}

/// Computes a customer's health from what the database holds, as of `now`.
pub(crate) async fn compute(
    tx: &mut Tx,
    now: OffsetDateTime,
    customer_id: i64,
) -> StoreResult<Assessment> {
    let facts = facts(tx, now, customer_id).await?;
    Ok(rapport_domain::health::assess(&facts))
}

/// Loads what the health model needs to know about a customer, as of `now`.
async fn facts(tx: &mut Tx, now: OffsetDateTime, customer_id: i64) -> StoreResult<Facts> {
    let ago = |days: i64| clock::format(now - Duration::days(days));
    // Everything countable in one statement: the ticket page and the panel read health on
    // every view.
    let row = sqlx::query(
        "SELECT c.created_at, o.relationship_kind, \
         (SELECT COUNT(*) FROM promises WHERE customer_id = $1 AND status = $2 AND settled_at > $4) AS promises_kept, \
         (SELECT COUNT(*) FROM promises WHERE customer_id = $1 AND status = $3 AND settled_at > $4) AS promises_broken, \
         (SELECT COALESCE(SUM(CASE WHEN problem = $6 AND resolution_confirmed = 1 THEN 1 ELSE 0 END), 0) \
            FROM tickets WHERE customer_id = $1 AND updated_at > $5) AS confirmed, \
         (SELECT COALESCE(SUM(CASE WHEN problem = $6 AND (resolution_confirmed IS NULL OR resolution_confirmed <> 1) THEN 1 ELSE 0 END), 0) \
            FROM tickets WHERE customer_id = $1 AND updated_at > $5) AS unconfirmed, \
         (SELECT COALESCE(SUM(CASE WHEN problem = $7 THEN 1 ELSE 0 END), 0) \
            FROM tickets WHERE customer_id = $1 AND updated_at > $5) AS closed_unresolved, \
         (SELECT COALESCE(SUM(CASE WHEN created_at > $8 THEN 1 ELSE 0 END), 0) \
            FROM tickets WHERE customer_id = $1 AND updated_at > $5) AS recent, \
         (SELECT COUNT(*) FROM events e WHERE e.entity = $10 \
            AND e.entity_id IN (SELECT t.id FROM tickets t WHERE t.customer_id = $1) AND e.at > $9 AND (e.action IN ($11, $12) \
            OR (e.action = $13 AND e.changes LIKE '%\"problem\"%'))) AS reopened, \
         (SELECT score FROM surveys WHERE customer_id = $1 AND kind = $14 AND answered_at > $15 \
            ORDER BY answered_at DESC LIMIT 1) AS latest_nps, \
         (SELECT COUNT(*) FROM complaints WHERE customer_id = $1 AND outcome IS NULL) AS complaints_open, \
         (SELECT COUNT(*) FROM complaints WHERE customer_id = $1 AND outcome = $16 AND recovered_at > $17) AS complaints_recovered, \
         (SELECT COUNT(*) FROM sla_breaches b JOIN tickets t ON t.id = b.ticket_id \
            WHERE t.customer_id = $1 AND b.breached_at > $18) AS service_levels_missed \
         FROM customers c LEFT JOIN organizations o ON o.id = c.organization_id WHERE c.id = $1",
    )
    .bind(customer_id)
    .bind(PromiseStatus::Kept.as_str())
    .bind(PromiseStatus::Broken.as_str())
    .bind(ago(window::PROMISES))
    .bind(ago(window::TICKETS))
    .bind(Problem::Resolved.as_str())
    .bind(Problem::ClosedUnresolved.as_str())
    .bind(ago(window::RECENT_TICKETS))
    .bind(ago(window::REOPENINGS))
    .bind("ticket")
    .bind(TicketMove::RejectResolution.action())
    .bind(TicketMove::Reopen.action())
    .bind(crate::conversation::MESSAGE_ADDED)
    .bind(SurveyKind::Nps.as_str())
    .bind(ago(window::SURVEYS))
    .bind(rapport_domain::complaint::Outcome::Recovered.as_str())
    .bind(ago(window::COMPLAINTS))
    .bind(ago(window::SERVICE_LEVELS))
    .fetch_optional(&mut **tx)
    .await?
    .ok_or_else(|| StoreError::not_found("customer", customer_id))?;
    let since = clock::parse(&text(&row, "created_at")?).unwrap_or(now);
    let partnership = opt_text(&row, "relationship_kind")?.as_deref()
        == Some(RelationshipKind::Partnership.as_str());

    // What the customer's own words say, newest first.
    let insights: Vec<String> = sqlx::query_scalar(
        "SELECT m.insight FROM messages m JOIN tickets t ON t.id = m.ticket_id WHERE t.customer_id = $1 \
         AND m.author_kind = $2 AND m.insight IS NOT NULL AND m.created_at > $3 ORDER BY m.id DESC",
    )
    .bind(customer_id)
    .bind(AuthorKind::Customer.as_str())
    .bind(ago(window::WORDS))
    .fetch_all(&mut **tx)
    .await?;
    let insights: Vec<rapport_coach::Insight> = insights
        .iter()
        .filter_map(|json| serde_json::from_str(json).ok())
        .collect();

    let csat_scores: Vec<i64> = sqlx::query_scalar(
        "SELECT score FROM surveys WHERE customer_id = $1 AND kind = $2 AND answered_at > $3 AND score IS NOT NULL ORDER BY answered_at DESC",
    )
    .bind(customer_id)
    .bind(SurveyKind::Csat.as_str())
    .bind(ago(window::SURVEYS))
    .fetch_all(&mut **tx)
    .await?;
    Ok(Facts {
        days_as_customer: (now - since).whole_days(),
        partnership,
        promises_kept: int(&row, "promises_kept")?,
        promises_broken: int(&row, "promises_broken")?,
        problems_confirmed: int(&row, "confirmed")?,
        problems_unconfirmed: int(&row, "unconfirmed")?,
        problems_closed_unresolved: int(&row, "closed_unresolved")?,
        problems_reopened: int(&row, "reopened")?,
        recent_tickets: int(&row, "recent")?,
        words: Words::of(&insights),
        complaints_open: int(&row, "complaints_open")?,
        complaints_recovered: int(&row, "complaints_recovered")?,
        service_levels_missed: int(&row, "service_levels_missed")?,
        csat_scores,
        latest_nps: opt_int(&row, "latest_nps")?,
        response_waits: response_waits(tx, now, customer_id).await?,
    })
}

/// The customer's waits for our replies (see `rapport_domain::health::response_waits`), from
/// the public messages on their tickets.
async fn response_waits(
    tx: &mut Tx,
    now: OffsetDateTime,
    customer_id: i64,
) -> StoreResult<Vec<f64>> {
    let rows = sqlx::query(
        "SELECT m.ticket_id, m.author_kind, m.created_at FROM messages m JOIN tickets t ON t.id = m.ticket_id \
         WHERE t.customer_id = $1 AND m.visibility = $2 AND m.author_kind <> $3 AND m.created_at > $4 \
         ORDER BY m.ticket_id, m.id",
    )
    .bind(customer_id)
    .bind(Visibility::Public.as_str())
    .bind(AuthorKind::System.as_str())
    .bind(clock::format(now - Duration::days(window::RESPONSES)))
    .fetch_all(&mut **tx)
    .await?;
    let messages = rows
        .iter()
        .map(|row| {
            Ok(Said {
                ticket_id: int(row, "ticket_id")?,
                author: named(row, "author_kind")?,
                at: clock::parse(&text(row, "created_at")?)
                    .unwrap_or(now)
                    .unix_timestamp_nanos(),
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
    Ok(rapport_domain::health::response_waits(
        &messages,
        now.unix_timestamp_nanos(),
    ))
}

/// Recomputes a customer's health, keeps today's point, and tells the owner when the
/// relationship has just dropped into `at_risk` or below. Returns what it computed, or `None`
/// for a customer merged into another (its history lives there).
pub async fn recompute(
    store: &Store,
    tx: &mut Tx,
    now: &str,
    customer_id: i64,
) -> StoreResult<Option<Assessment>> {
    let merged: Option<Option<i64>> =
        sqlx::query_scalar("SELECT merged_into FROM customers WHERE id = $1")
            .bind(customer_id)
            .fetch_optional(&mut **tx)
            .await?;
    if !matches!(merged, Some(None)) {
        return Ok(None);
    }
    let assessment = compute(tx, store.clock().now(), customer_id).await?;
    let day = &now[..10];
    let before_today: Option<String> = sqlx::query_scalar(
        "SELECT band FROM health_points WHERE entity = $1 AND entity_id = $2 AND day < $3 ORDER BY day DESC LIMIT 1",
    )
    .bind(CUSTOMER)
    .bind(customer_id)
    .bind(day)
    .fetch_optional(&mut **tx)
    .await?;
    let earlier_today: Option<String> = sqlx::query_scalar(
        "SELECT band FROM health_points WHERE entity = $1 AND entity_id = $2 AND day = $3",
    )
    .bind(CUSTOMER)
    .bind(customer_id)
    .bind(day)
    .fetch_optional(&mut **tx)
    .await?;
    keep_point(tx, CUSTOMER, customer_id, day, &assessment).await?;
    if let Some(before) = earlier_today.as_deref().or(before_today.as_deref()) {
        crate::webhooks::publish_health_band(
            tx,
            now,
            customer_id,
            Band::parse(before),
            assessment.band,
            assessment.score,
        )
        .await?;
    }
    if rapport_domain::health::dropped_into_at_risk(
        assessment.band,
        earlier_today.as_deref().map(Band::parse),
        before_today.as_deref().map(Band::parse),
    ) {
        let owner = crate::escalations::owner_of(tx, customer_id).await?;
        let name: Option<String> = sqlx::query_scalar("SELECT name FROM customers WHERE id = $1")
            .bind(customer_id)
            .fetch_optional(&mut **tx)
            .await?;
        let name = first_name(name.as_deref());
        let TaskText { title, detail } = TaskText::of(&AtRiskTask::new(&name, &assessment));
        tasks::create(
            tx,
            now,
            NewTask {
                agent_id: owner,
                kind: TaskKind::HealthAtRisk,
                ticket_id: None,
                customer_id: Some(customer_id),
                title,
                detail,
                due_at: now,
            },
        )
        .await?;
    }
    Ok(Some(assessment))
}

/// Keeps one day's point of the history (the latest computation of the day wins).
async fn keep_point(
    tx: &mut Tx,
    entity: &str,
    id: i64,
    day: &str,
    assessment: &Assessment,
) -> StoreResult<()> {
    let factors = serde_json::to_string(&assessment.factors)
        .map_err(|err| StoreError::Corrupt(err.to_string()))?;
    // One statement, so two computations at once (two agents opening the same customer on
    // PostgreSQL) cannot both find no point and both insert one.
    const KEEP: &str = "INSERT INTO health_points (entity, entity_id, day, score, band, factors) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (entity, entity_id, day) \
         DO UPDATE SET score = excluded.score, band = excluded.band, factors = excluded.factors";
    sqlx::query(KEEP)
        .bind(entity)
        .bind(id)
        .bind(day)
        .bind(assessment.score)
        .bind(assessment.band.as_str())
        .bind(factors)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

impl Store {
    /// Recomputes the health of every customer, `batch` customers per transaction, calling
    /// `progress` with how many are done; returns how many were recomputed. (The nightly
    /// job does it one customer per job; this is the same step, for the benchmark and for
    /// an admin who changed the health model.)
    pub async fn recompute_all_health(
        &self,
        batch: i64,
        mut progress: impl FnMut(u64),
    ) -> StoreResult<u64> {
        let mut after = 0i64;
        let mut done = 0u64;
        loop {
            let ids: Vec<i64> = sqlx::query_scalar(
                "SELECT id FROM customers WHERE id > $1 AND merged_into IS NULL ORDER BY id LIMIT $2",
            )
            .bind(after)
            .bind(batch.max(1))
            .fetch_all(self.pool())
            .await?;
            let Some(&last) = ids.last() else {
                return Ok(done);
            };
            let now = self.now();
            let mut tx = self.begin_write().await?;
            for id in &ids {
                recompute(self, &mut tx, &now, *id).await?;
            }
            tx.commit().await?;
            done += ids.len() as u64;
            after = last;
            progress(done);
        }
    }

    /// A customer's health now, with its history. Recomputes and keeps today's point.
    pub async fn customer_health(&self, customer_id: i64) -> StoreResult<Health> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let assessment = match recompute(self, &mut tx, &now, customer_id).await? {
            Some(computed) => computed,
            None => compute(&mut tx, self.clock().now(), customer_id).await?,
        };
        let history = history(&mut tx, CUSTOMER, customer_id).await?;
        tx.commit().await?;
        Ok(Health::of(assessment, history))
    }

    /// A customer's health as it stands, computed in a read-only transaction: for pages,
    /// which must not take the write lock on every view. The daily history is kept by the
    /// worker's recomputation and by [`Store::customer_health`].
    pub async fn customer_health_now(&self, customer_id: i64) -> StoreResult<Assessment> {
        let mut tx = self.pool().begin().await?;
        compute(&mut tx, self.clock().now(), customer_id).await
    }

    /// An organization's health: the average of its customers', with each customer's score as
    /// a factor (see `rapport_domain::health::organization`), lowest first.
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
        let mut scored = Vec::new();
        for &customer in &customers {
            let assessment = compute(&mut tx, self.clock().now(), customer).await?;
            let name: String = sqlx::query_scalar("SELECT name FROM customers WHERE id = $1")
                .bind(customer)
                .fetch_one(&mut *tx)
                .await?;
            scored.push((customer, name, assessment.score));
        }
        let members: Vec<Member> = scored
            .iter()
            .map(|(id, name, score)| Member {
                id: *id,
                name,
                score: *score,
            })
            .collect();
        let mut assessment = rapport_domain::health::organization(&members);
        keep_point(
            &mut tx,
            ORGANIZATION,
            organization_id,
            &now[..10],
            &assessment,
        )
        .await?;
        let history = history(&mut tx, ORGANIZATION, organization_id).await?;
        tx.commit().await?;
        assessment.factors.sort_by_key(|f| f.points);
        Ok(Health::of(assessment, history))
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
            Ok(HealthPoint {
                day: text(row, "day")?,
                score: int(row, "score")?,
                band: Band::parse(&text(row, "band")?),
            })
        })
        .collect::<StoreResult<_>>()?;
    points.reverse();
    Ok(points)
}

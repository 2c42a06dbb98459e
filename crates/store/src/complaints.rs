//! Complaints and their recovery, stored: a complaint on a customer (usually on a ticket), the
//! recovery actions taken with their cost, the outcome, and the recovery report over a period.
//! The rules (what closing needs, amounts, the median) are `rapport_domain::complaint`.

use crate::rows::{int, named, opt_int, opt_named, opt_text, text};
use crate::{Store, StoreError, StoreResult, Tx, clock, events};
use rapport_domain::complaint::{self, Cause, ComplaintChannel, Outcome, RecoveryKind, Severity};
use rapport_domain::{Actor, Agent, Job};
use serde::Serialize;
use serde_json::json;
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// What the events of a complaint are recorded on.
const ENTITY: &str = "complaint";

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RecoveryAction {
    pub id: i64,
    pub complaint_id: i64,
    pub kind: RecoveryKind,
    /// Who did it.
    pub agent_id: Option<i64>,
    pub agent_name: Option<String>,
    pub done_at: String,
    pub note: String,
    /// What it cost, in minor units (cents) of `currency`.
    pub cost_minor: i64,
    /// A three-letter currency code.
    pub currency: String,
}

/// A survey the customer answered.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SurveyScore {
    /// `csat` (1 to 5) or `nps` (0 to 10).
    pub kind: String,
    pub score: i64,
    pub answered_at: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Complaint {
    pub id: i64,
    pub customer_id: i64,
    pub customer_name: String,
    pub ticket_id: Option<i64>,
    pub ticket_subject: Option<String>,
    /// What it is about.
    pub cause: Cause,
    /// The staff member it is about, when known.
    pub staff_agent_id: Option<i64>,
    pub staff_agent_name: Option<String>,
    pub severity: Severity,
    /// How it reached us.
    pub channel: ComplaintChannel,
    /// The incident as the customer told it.
    pub incident: String,
    /// The account of the staff member involved.
    pub staff_account: String,
    /// How it ended; none while open.
    pub outcome: Option<Outcome>,
    /// When it was closed with its outcome.
    pub recovered_at: Option<String>,
    pub opened_by: Option<i64>,
    pub opened_at: String,
    pub updated_at: String,
    /// Oldest first.
    pub actions: Vec<RecoveryAction>,
    /// The first survey the customer answered after the complaint was opened.
    pub survey_after: Option<SurveyScore>,
}

/// A new complaint. The customer is the ticket's when a ticket is named.
#[derive(Debug, Clone)]
pub struct NewComplaint {
    pub customer_id: i64,
    pub ticket_id: Option<i64>,
    pub cause: Cause,
    pub staff_agent_id: Option<i64>,
    pub severity: Severity,
    pub channel: ComplaintChannel,
    pub incident: String,
    pub staff_account: String,
}

/// Changes to a complaint; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct ComplaintChanges {
    pub cause: Option<Cause>,
    /// `Some(None)` clears the staff member.
    pub staff_agent_id: Option<Option<i64>>,
    pub severity: Option<Severity>,
    pub channel: Option<ComplaintChannel>,
    pub incident: Option<String>,
    pub staff_account: Option<String>,
}

#[derive(Debug, Clone)]
pub struct NewAction {
    pub kind: RecoveryKind,
    /// Who did it; the person recording it when none.
    pub agent_id: Option<i64>,
    pub note: String,
    pub cost_minor: i64,
    pub currency: Option<String>,
}

const COLUMNS: &str = "k.id, k.customer_id, c.name AS customer_name, k.ticket_id, t.subject AS ticket_subject, \
     k.cause, k.staff_agent_id, s.name AS staff_agent_name, k.severity, k.channel, k.incident, k.staff_account, \
     k.outcome, k.recovered_at, k.opened_by, k.opened_at, k.updated_at \
     FROM complaints k JOIN customers c ON c.id = k.customer_id LEFT JOIN tickets t ON t.id = k.ticket_id \
     LEFT JOIN agents s ON s.id = k.staff_agent_id";

fn complaint_from(row: &sqlx::any::AnyRow) -> StoreResult<Complaint> {
    Ok(Complaint {
        id: int(row, "id")?,
        customer_id: int(row, "customer_id")?,
        customer_name: text(row, "customer_name")?,
        ticket_id: opt_int(row, "ticket_id")?,
        ticket_subject: opt_text(row, "ticket_subject")?,
        cause: named(row, "cause")?,
        staff_agent_id: opt_int(row, "staff_agent_id")?,
        staff_agent_name: opt_text(row, "staff_agent_name")?,
        severity: named(row, "severity")?,
        channel: named(row, "channel")?,
        incident: text(row, "incident")?,
        staff_account: text(row, "staff_account")?,
        outcome: opt_named(row, "outcome")?,
        recovered_at: opt_text(row, "recovered_at")?,
        opened_by: opt_int(row, "opened_by")?,
        opened_at: text(row, "opened_at")?,
        updated_at: text(row, "updated_at")?,
        actions: Vec::new(),
        survey_after: None,
    })
}

async fn load(tx: &mut Tx, id: i64) -> StoreResult<Complaint> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} WHERE k.id = $1"))
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or_else(|| StoreError::not_found("complaint", id))?;
    let mut complaint = complaint_from(&row)?;
    complaint.actions = actions(tx, id).await?;
    complaint.survey_after = survey_after(tx, complaint.customer_id, &complaint.opened_at).await?;
    Ok(complaint)
}

async fn actions(tx: &mut Tx, complaint_id: i64) -> StoreResult<Vec<RecoveryAction>> {
    let rows = sqlx::query(
        "SELECT r.id, r.complaint_id, r.kind, r.agent_id, a.name AS agent_name, r.done_at, r.note, r.cost_minor, r.currency \
         FROM recovery_actions r LEFT JOIN agents a ON a.id = r.agent_id WHERE r.complaint_id = $1 ORDER BY r.id",
    )
    .bind(complaint_id)
    .fetch_all(&mut **tx)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(RecoveryAction {
                id: int(row, "id")?,
                complaint_id: int(row, "complaint_id")?,
                kind: named(row, "kind")?,
                agent_id: opt_int(row, "agent_id")?,
                agent_name: opt_text(row, "agent_name")?,
                done_at: text(row, "done_at")?,
                note: text(row, "note")?,
                cost_minor: int(row, "cost_minor")?,
                currency: text(row, "currency")?,
            })
        })
        .collect()
}

/// The first survey the customer answered after `at` (or the last before it, `before`).
async fn survey_near(
    tx: &mut Tx,
    customer_id: i64,
    at: &str,
    before: bool,
) -> StoreResult<Option<SurveyScore>> {
    let sql = if before {
        "SELECT kind, score, answered_at FROM surveys WHERE customer_id = $1 AND answered_at IS NOT NULL \
         AND score IS NOT NULL AND answered_at < $2 ORDER BY answered_at DESC, id DESC LIMIT 1"
    } else {
        "SELECT kind, score, answered_at FROM surveys WHERE customer_id = $1 AND answered_at IS NOT NULL \
         AND score IS NOT NULL AND answered_at > $2 ORDER BY answered_at, id LIMIT 1"
    };
    let row = sqlx::query(sql)
        .bind(customer_id)
        .bind(at)
        .fetch_optional(&mut **tx)
        .await?;
    row.map(|row| {
        Ok(SurveyScore {
            kind: text(&row, "kind")?,
            score: int(&row, "score")?,
            answered_at: text(&row, "answered_at")?,
        })
    })
    .transpose()
}

async fn survey_after(
    tx: &mut Tx,
    customer_id: i64,
    opened_at: &str,
) -> StoreResult<Option<SurveyScore>> {
    survey_near(tx, customer_id, opened_at, false).await
}

/// The health point nearest a day: the last one before it (`before`), else the first one on
/// or after it.
async fn health_near(
    tx: &mut Tx,
    customer_id: i64,
    day: &str,
    before: bool,
) -> StoreResult<Option<i64>> {
    let sql = if before {
        "SELECT score FROM health_points WHERE entity = $1 AND entity_id = $2 AND day < $3 ORDER BY day DESC LIMIT 1"
    } else {
        "SELECT score FROM health_points WHERE entity = $1 AND entity_id = $2 AND day >= $3 ORDER BY day LIMIT 1"
    };
    Ok(sqlx::query_scalar(sql)
        .bind("customer")
        .bind(customer_id)
        .bind(day)
        .fetch_optional(&mut **tx)
        .await?)
}

async fn ensure_agent(tx: &mut Tx, field: &str, id: i64) -> StoreResult<()> {
    let found: Option<i64> = sqlx::query_scalar("SELECT id FROM agents WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?;
    match found {
        Some(_) => Ok(()),
        None => Err(StoreError::unknown("agent", field, id)),
    }
}

async fn recompute_health(tx: &mut Tx, now: &str, customer_id: i64) -> StoreResult<()> {
    crate::jobs::enqueue_once(tx, now, &Job::RecomputeHealth { customer_id }).await
}

/// One line of the report's table of customers: health and surveys either side of a complaint.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BeforeAfter {
    pub complaint_id: i64,
    pub customer_id: i64,
    pub customer_name: String,
    pub outcome: Option<Outcome>,
    /// The last daily health point before the day the complaint was opened.
    pub health_before: Option<i64>,
    /// The first daily health point on or after the day it was closed.
    pub health_after: Option<i64>,
    /// The last survey answered before it was opened.
    pub survey_before: Option<SurveyScore>,
    /// The first survey answered after it was opened.
    pub survey_after: Option<SurveyScore>,
}

/// How many complaints had one cause, severity, or kind of action.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Count {
    pub name: String,
    pub count: i64,
}

/// What one kind of recovery action cost in one currency.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Cost {
    pub kind: RecoveryKind,
    pub currency: String,
    pub actions: i64,
    /// In minor units (cents).
    pub cost_minor: i64,
}

/// A sum in one currency.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Total {
    pub currency: String,
    pub cost_minor: i64,
}

/// The recovery report over the complaints opened in a period.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RecoveryReport {
    pub from: String,
    pub to: String,
    pub complaints: i64,
    pub open: i64,
    pub recovered: i64,
    pub partly: i64,
    pub lost: i64,
    /// Recovered fully or partly, of those closed, in whole percent.
    pub recovery_rate: Option<i64>,
    /// From opening to recovery (fully or partly), the median, in hours.
    pub median_hours_to_recovery: Option<i64>,
    /// Every cause, in order, with its count (zero included).
    pub by_cause: Vec<Count>,
    /// Every severity, lowest first, with its count (zero included).
    pub by_severity: Vec<Count>,
    /// Per kind of action and currency.
    pub cost_by_kind: Vec<Cost>,
    pub total_cost: Vec<Total>,
    /// Average health before and after, over the complaints with both points.
    pub average_health_before: Option<i64>,
    pub average_health_after: Option<i64>,
    /// One line per complaint, oldest first.
    pub customers: Vec<BeforeAfter>,
}

impl Store {
    /// Opens a complaint; the customer's health counts it until it is closed.
    pub async fn open_complaint(&self, new: NewComplaint, actor: Actor) -> StoreResult<Complaint> {
        let incident = complaint::told(
            "incident",
            "the incident as the customer told it",
            &new.incident,
            true,
        )?;
        let staff_account = complaint::told(
            "staff_account",
            "the staff member's account",
            &new.staff_account,
            false,
        )?;
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let customer: Option<i64> = sqlx::query_scalar("SELECT id FROM customers WHERE id = $1")
            .bind(new.customer_id)
            .fetch_optional(&mut *tx)
            .await?;
        if customer.is_none() {
            return Err(StoreError::not_found("customer", new.customer_id));
        }
        if let Some(ticket_id) = new.ticket_id {
            let owner: Option<i64> =
                sqlx::query_scalar("SELECT customer_id FROM tickets WHERE id = $1")
                    .bind(ticket_id)
                    .fetch_optional(&mut *tx)
                    .await?;
            match owner {
                None => return Err(StoreError::unknown("ticket", "ticket_id", ticket_id)),
                Some(owner) if owner != new.customer_id => {
                    return Err(StoreError::Invalid(rapport_domain::Invalid::new(
                        "ticket_id",
                        format!(
                            "Ticket {ticket_id} is another customer's: a complaint names the ticket of the customer who complained."
                        ),
                    )));
                }
                Some(_) => {}
            }
        }
        if let Some(staff) = new.staff_agent_id {
            ensure_agent(&mut tx, "staff_agent_id", staff).await?;
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO complaints (customer_id, ticket_id, cause, staff_agent_id, severity, channel, incident, \
             staff_account, opened_by, opened_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING id",
        )
        .bind(new.customer_id)
        .bind(new.ticket_id)
        .bind(new.cause.as_str())
        .bind(new.staff_agent_id)
        .bind(new.severity.as_str())
        .bind(new.channel.as_str())
        .bind(&incident)
        .bind(&staff_account)
        .bind(actor.id())
        .bind(&now)
        .fetch_one(&mut *tx)
        .await?;
        events::record(
            &mut tx,
            &now,
            actor,
            ENTITY,
            id,
            "complaint.opened",
            json!({
                "customer_id": new.customer_id,
                "ticket_id": new.ticket_id,
                "cause": new.cause,
                "severity": new.severity,
                "channel": new.channel,
                "staff_agent_id": new.staff_agent_id,
            }),
        )
        .await?;
        recompute_health(&mut tx, &now, new.customer_id).await?;
        let complaint = load(&mut tx, id).await?;
        tx.commit().await?;
        Ok(complaint)
    }

    pub async fn complaint(&self, id: i64) -> StoreResult<Complaint> {
        let mut tx = self.begin_write().await?;
        let complaint = load(&mut tx, id).await?;
        tx.commit().await?;
        Ok(complaint)
    }

    /// Complaints, newest first (at most 500), of one customer or one ticket or all, without
    /// those on tickets the agent may not see.
    pub async fn complaints(
        &self,
        agent: &Agent,
        customer_id: Option<i64>,
        ticket_id: Option<i64>,
    ) -> StoreResult<Vec<Complaint>> {
        // Only the conditions given, so that the database looks the customer's or the
        // ticket's complaints up by their index rather than reading every complaint.
        let mut conditions = vec!["1 = 1".to_owned()];
        let mut values = Vec::new();
        for (column, value) in [("k.customer_id", customer_id), ("k.ticket_id", ticket_id)] {
            if let Some(value) = value {
                values.push(value);
                conditions.push(format!("{column} = ${}", values.len()));
            }
        }
        let sql = format!(
            "SELECT {COLUMNS} WHERE {} ORDER BY k.id DESC LIMIT 500",
            conditions.join(" AND ")
        );
        let mut query = sqlx::query(&sql);
        for value in values {
            query = query.bind(value);
        }
        let rows = query.fetch_all(self.pool()).await?;
        let mut complaints = rows
            .iter()
            .map(complaint_from)
            .collect::<StoreResult<Vec<_>>>()?;
        self.retain_visible(agent, &mut complaints, |c| c.ticket_id)
            .await?;
        Ok(complaints)
    }

    /// Changes what a complaint says. Each field changed is in the event.
    pub async fn update_complaint(
        &self,
        id: i64,
        changes: ComplaintChanges,
        actor: Actor,
    ) -> StoreResult<Complaint> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let before = load(&mut tx, id).await?;
        self.lock_row(&mut tx, crate::Locked::Customer, before.customer_id)
            .await?;
        let before = load(&mut tx, id).await?;
        let mut changed = serde_json::Map::new();
        let mut after = before.clone();
        if let Some(cause) = changes.cause.filter(|c| *c != before.cause) {
            changed.insert("cause".into(), events::change(before.cause, cause));
            after.cause = cause;
        }
        if let Some(severity) = changes.severity.filter(|s| *s != before.severity) {
            changed.insert("severity".into(), events::change(before.severity, severity));
            after.severity = severity;
        }
        if let Some(channel) = changes.channel.filter(|c| *c != before.channel) {
            changed.insert("channel".into(), events::change(before.channel, channel));
            after.channel = channel;
        }
        if let Some(staff) = changes
            .staff_agent_id
            .filter(|s| *s != before.staff_agent_id)
        {
            if let Some(staff) = staff {
                ensure_agent(&mut tx, "staff_agent_id", staff).await?;
            }
            changed.insert(
                "staff_agent_id".into(),
                events::change(before.staff_agent_id, staff),
            );
            after.staff_agent_id = staff;
        }
        if let Some(incident) = changes.incident {
            let incident = complaint::told(
                "incident",
                "the incident as the customer told it",
                &incident,
                true,
            )?;
            if incident != before.incident {
                changed.insert("incident".into(), json!(true));
                after.incident = incident;
            }
        }
        if let Some(account) = changes.staff_account {
            let account = complaint::told(
                "staff_account",
                "the staff member's account",
                &account,
                false,
            )?;
            if account != before.staff_account {
                changed.insert("staff_account".into(), json!(true));
                after.staff_account = account;
            }
        }
        if changed.is_empty() {
            return Ok(before);
        }
        sqlx::query(
            "UPDATE complaints SET cause = $1, severity = $2, channel = $3, staff_agent_id = $4, incident = $5, \
             staff_account = $6, updated_at = $7 WHERE id = $8",
        )
        .bind(after.cause.as_str())
        .bind(after.severity.as_str())
        .bind(after.channel.as_str())
        .bind(after.staff_agent_id)
        .bind(&after.incident)
        .bind(&after.staff_account)
        .bind(&now)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        events::record(
            &mut tx,
            &now,
            actor,
            ENTITY,
            id,
            "complaint.updated",
            serde_json::Value::Object(changed),
        )
        .await?;
        let complaint = load(&mut tx, id).await?;
        tx.commit().await?;
        Ok(complaint)
    }

    /// Records something done to make the complaint right, with its cost.
    pub async fn add_recovery_action(
        &self,
        id: i64,
        action: NewAction,
        actor: Actor,
    ) -> StoreResult<RecoveryAction> {
        let note = complaint::told("note", "the note", &action.note, false)?;
        let cost = complaint::cost(action.cost_minor)?;
        let currency = complaint::currency(action.currency.as_deref())?;
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let found = load(&mut tx, id).await?;
        self.lock_row(&mut tx, crate::Locked::Customer, found.customer_id)
            .await?;
        let agent_id = action.agent_id.or(actor.id());
        if let Some(agent_id) = action.agent_id {
            ensure_agent(&mut tx, "agent_id", agent_id).await?;
        }
        let action_id: i64 = sqlx::query_scalar(
            "INSERT INTO recovery_actions (complaint_id, kind, agent_id, done_at, note, cost_minor, currency, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $4) RETURNING id",
        )
        .bind(id)
        .bind(action.kind.as_str())
        .bind(agent_id)
        .bind(&now)
        .bind(&note)
        .bind(cost)
        .bind(&currency)
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query("UPDATE complaints SET updated_at = $1 WHERE id = $2")
            .bind(&now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        events::record(
            &mut tx,
            &now,
            actor,
            ENTITY,
            id,
            "complaint.action_added",
            json!({
                "action_id": action_id,
                "kind": action.kind,
                "agent_id": agent_id,
                "cost_minor": cost,
                "currency": currency,
            }),
        )
        .await?;
        let recorded = actions(&mut tx, id)
            .await?
            .into_iter()
            .find(|a| a.id == action_id)
            .ok_or_else(|| {
                StoreError::Corrupt("the recovery action just written is gone".into())
            })?;
        tx.commit().await?;
        Ok(recorded)
    }

    /// Closes a complaint with its outcome (or changes the outcome of a closed one): recovered
    /// or partly needs a recovery action on record (see
    /// [`rapport_domain::complaint::check_outcome`]). The same outcome twice changes nothing.
    pub async fn close_complaint(
        &self,
        id: i64,
        outcome: Outcome,
        actor: Actor,
    ) -> StoreResult<Complaint> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let found = load(&mut tx, id).await?;
        self.lock_row(&mut tx, crate::Locked::Customer, found.customer_id)
            .await?;
        let before = load(&mut tx, id).await?;
        if before.outcome == Some(outcome) {
            return Ok(before);
        }
        complaint::check_outcome(outcome, before.actions.len())?;
        let updated = sqlx::query(
            "UPDATE complaints SET outcome = $1, recovered_at = $2, updated_at = $2 WHERE id = $3 \
             AND (outcome IS NULL OR outcome <> $1)",
        )
        .bind(outcome.as_str())
        .bind(&now)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() == 0 {
            return Ok(before);
        }
        events::record(
            &mut tx,
            &now,
            actor,
            ENTITY,
            id,
            "complaint.closed",
            json!({ "outcome": events::change(before.outcome, outcome) }),
        )
        .await?;
        recompute_health(&mut tx, &now, before.customer_id).await?;
        let complaint = load(&mut tx, id).await?;
        tx.commit().await?;
        Ok(complaint)
    }

    /// The recovery report over the complaints opened from `from` up to `to` (both
    /// timestamps), those on tickets the agent may not see left out.
    pub async fn recovery_report(
        &self,
        agent: &Agent,
        from: &str,
        to: &str,
    ) -> StoreResult<RecoveryReport> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} WHERE k.opened_at >= $1 AND k.opened_at < $2 ORDER BY k.opened_at, k.id LIMIT 5000"
        ))
        .bind(from)
        .bind(to)
        .fetch_all(self.pool())
        .await?;
        let mut complaints = rows
            .iter()
            .map(complaint_from)
            .collect::<StoreResult<Vec<_>>>()?;
        self.retain_visible(agent, &mut complaints, |c| c.ticket_id)
            .await?;

        let mut tx = self.begin_write().await?;
        let mut by_cause: BTreeMap<&str, i64> = BTreeMap::new();
        let mut by_severity: BTreeMap<&str, i64> = BTreeMap::new();
        let mut costs: BTreeMap<(String, String), (i64, i64)> = BTreeMap::new();
        let mut hours = Vec::new();
        let mut customers = Vec::new();
        for c in &complaints {
            *by_cause.entry(c.cause.as_str()).or_insert(0) += 1;
            *by_severity.entry(c.severity.as_str()).or_insert(0) += 1;
            for action in actions(&mut tx, c.id).await? {
                let entry = costs
                    .entry((action.kind.as_str().to_owned(), action.currency.clone()))
                    .or_insert((0, 0));
                entry.0 += 1;
                entry.1 += action.cost_minor;
            }
            if let (Some(outcome), Some(at)) = (c.outcome, c.recovered_at.as_deref())
                && outcome.recovered()
                && let (Some(opened), Some(closed)) = (clock::parse(&c.opened_at), clock::parse(at))
            {
                hours.push((closed - opened).whole_hours());
            }
            let opened_day = c.opened_at.get(..10).unwrap_or(&c.opened_at);
            let health_before = health_near(&mut tx, c.customer_id, opened_day, true).await?;
            let health_after = match c.recovered_at.as_deref() {
                Some(at) => {
                    health_near(&mut tx, c.customer_id, at.get(..10).unwrap_or(at), false).await?
                }
                None => None,
            };
            customers.push(BeforeAfter {
                complaint_id: c.id,
                customer_id: c.customer_id,
                customer_name: c.customer_name.clone(),
                outcome: c.outcome,
                health_before,
                health_after,
                survey_before: survey_near(&mut tx, c.customer_id, &c.opened_at, true).await?,
                survey_after: survey_after(&mut tx, c.customer_id, &c.opened_at).await?,
            });
        }
        tx.commit().await?;

        let with = |outcome: Option<Outcome>| {
            complaints.iter().filter(|c| c.outcome == outcome).count() as i64
        };
        let (recovered, partly, lost) = (
            with(Some(Outcome::Recovered)),
            with(Some(Outcome::Partly)),
            with(Some(Outcome::Lost)),
        );
        let both: Vec<(i64, i64)> = customers
            .iter()
            .filter_map(|line| Some((line.health_before?, line.health_after?)))
            .collect();
        let average = |values: Vec<i64>| {
            (!values.is_empty()).then(|| values.iter().sum::<i64>() / values.len() as i64)
        };
        let totals = complaint::sum_by_currency(
            costs
                .iter()
                .map(|((_, currency), (_, minor))| (currency.as_str(), *minor)),
        );
        let cost_by_kind = RecoveryKind::ALL
            .iter()
            .flat_map(|kind| {
                costs
                    .iter()
                    .filter(move |((k, _), _)| k == kind.as_str())
                    .map(move |((_, currency), (count, minor))| Cost {
                        kind: *kind,
                        currency: currency.clone(),
                        actions: *count,
                        cost_minor: *minor,
                    })
            })
            .collect();
        Ok(RecoveryReport {
            from: from.to_owned(),
            to: to.to_owned(),
            complaints: complaints.len() as i64,
            open: with(None),
            recovered,
            partly,
            lost,
            recovery_rate: complaint::recovery_rate(recovered + partly, recovered + partly + lost),
            median_hours_to_recovery: complaint::median(&hours),
            by_cause: Cause::ALL
                .iter()
                .map(|cause| Count {
                    name: cause.as_str().to_owned(),
                    count: by_cause.get(cause.as_str()).copied().unwrap_or(0),
                })
                .collect(),
            by_severity: Severity::ALL
                .iter()
                .map(|severity| Count {
                    name: severity.as_str().to_owned(),
                    count: by_severity.get(severity.as_str()).copied().unwrap_or(0),
                })
                .collect(),
            cost_by_kind,
            total_cost: totals
                .into_iter()
                .map(|(currency, cost_minor)| Total {
                    currency,
                    cost_minor,
                })
                .collect(),
            average_health_before: average(both.iter().map(|(b, _)| *b).collect()),
            average_health_after: average(both.iter().map(|(_, a)| *a).collect()),
            customers,
        })
    }
}

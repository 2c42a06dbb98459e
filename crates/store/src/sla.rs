//! Service levels in the store: the policies, each ticket's clocks (`ticket_sla`), refreshed in
//! the transaction of every change that moves them, and the breaches, recorded once per target
//! and due time by the job that falls due with them. The rules are in
//! [`rapport_domain::sla`]; the business hours in the workspace calendar.

use crate::events::{self, change};
use crate::rows::{int, opt_int, opt_named, opt_text, text};
use crate::tickets::load_ticket;
use crate::{Store, StoreError, StoreResult, Tx, clock};
use rapport_domain::contract::Contract;
use rapport_domain::sla::{self, Applies, ResolutionClock, SlaPolicy, SlaTarget};
use rapport_domain::{Actor, Job, Priority, validate};
use serde::Serialize;
use serde_json::{Map, Value, json};
use sqlx::any::AnyRow;
use time::{Duration, OffsetDateTime};

const COLUMNS: &str = "id, name, priority, organization_id, customer_id, first_response_minutes, \
                       next_response_minutes, resolution_minutes, created_at";

fn policy_from(row: &AnyRow) -> StoreResult<SlaPolicy> {
    Ok(SlaPolicy {
        id: int(row, "id")?,
        name: text(row, "name")?,
        priority: opt_named(row, "priority")?,
        organization_id: opt_int(row, "organization_id")?,
        customer_id: opt_int(row, "customer_id")?,
        first_response_minutes: opt_int(row, "first_response_minutes")?,
        next_response_minutes: opt_int(row, "next_response_minutes")?,
        resolution_minutes: opt_int(row, "resolution_minutes")?,
        created_at: text(row, "created_at")?,
    })
}

/// A policy as an admin writes it.
#[derive(Debug, Clone, Default)]
pub struct PolicyFields {
    pub name: String,
    pub priority: Option<Priority>,
    pub organization_id: Option<i64>,
    pub customer_id: Option<i64>,
    pub first_response_minutes: Option<i64>,
    pub next_response_minutes: Option<i64>,
    pub resolution_minutes: Option<i64>,
}

impl PolicyFields {
    fn checked(mut self) -> StoreResult<PolicyFields> {
        self.name = validate::line("name", &self.name, validate::MAX_NAME_CHARS)?;
        self.first_response_minutes =
            sla::check_minutes("first_response_minutes", self.first_response_minutes)?;
        self.next_response_minutes =
            sla::check_minutes("next_response_minutes", self.next_response_minutes)?;
        self.resolution_minutes =
            sla::check_minutes("resolution_minutes", self.resolution_minutes)?;
        if self.first_response_minutes.is_none()
            && self.next_response_minutes.is_none()
            && self.resolution_minutes.is_none()
        {
            return Err(validate::Invalid::new(
                "first_response_minutes",
                "a policy sets at least one target: first reply, next reply or resolution",
            )
            .into());
        }
        Ok(self)
    }
}

/// One target of a ticket's service level, as pages and the API show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct TargetState {
    pub target: SlaTarget,
    /// The target, in business minutes.
    pub minutes: i64,
    /// When it falls due; `null` when met, paused or not started.
    pub due_at: Option<String>,
    /// When it was met (the first reply, the resolution), if it was.
    pub met_at: Option<String>,
    /// `on_track`, `due_soon`, `breached`, `met` or `paused`.
    pub state: &'static str,
    /// How many times this target was missed on the ticket.
    pub breaches: i64,
}

/// A ticket's service level: the policy it follows and where each target stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct TicketSla {
    pub policy: Option<SlaPolicy>,
    pub targets: Vec<TargetState>,
}

/// The live policies, oldest first.
async fn policies_in(conn: &mut sqlx::AnyConnection) -> StoreResult<Vec<SlaPolicy>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM sla_policies WHERE removed_at IS NULL ORDER BY id"
    ))
    .fetch_all(conn)
    .await?;
    rows.iter().map(policy_from).collect()
}

/// The targets a ticket follows: a running contract's promise (its first reply and
/// resolution) over the policy's, and the policy's for the rest. Named after the contract when
/// one promises anything.
fn targets(policy: Option<&SlaPolicy>, contract: Option<&Contract>) -> Option<SlaPolicy> {
    let contract =
        contract.filter(|c| c.first_response_minutes.is_some() || c.resolution_minutes.is_some());
    match (policy, contract) {
        (policy, Some(contract)) => Some(SlaPolicy {
            id: policy.map_or(0, |p| p.id),
            name: format!("{} ({})", contract.name, contract.kind.words()),
            priority: None,
            organization_id: contract.organization_id,
            customer_id: contract.customer_id,
            first_response_minutes: contract
                .first_response_minutes
                .or(policy.and_then(|p| p.first_response_minutes)),
            next_response_minutes: policy.and_then(|p| p.next_response_minutes),
            resolution_minutes: contract
                .resolution_minutes
                .or(policy.and_then(|p| p.resolution_minutes)),
            created_at: contract.created_at.clone(),
        }),
        (Some(policy), None) => Some(policy.clone()),
        (None, None) => None,
    }
}

fn parse(field: &str, value: &str) -> StoreResult<OffsetDateTime> {
    clock::parse(value).ok_or_else(|| StoreError::Corrupt(format!("{field}: {value}")))
}

fn parse_opt(field: &str, value: Option<&str>) -> StoreResult<Option<OffsetDateTime>> {
    value.map(|v| parse(field, v)).transpose()
}

/// Recomputes a ticket's service level clocks at `now`, after whatever changed it (a message,
/// a move, a change of priority or customer), and schedules the check of the next due time.
pub(crate) async fn refresh(tx: &mut Tx, now: &str, ticket_id: i64) -> StoreResult<()> {
    let ticket = load_ticket(tx, ticket_id).await?;
    let policies = policies_in(tx).await?;
    let policy = sla::choose(
        &policies,
        &Applies {
            priority: ticket.priority,
            customer_id: ticket.customer_id,
            organization_id: ticket.organization_id,
        },
    );
    let row = sqlx::query(
        "SELECT policy_id, resolution_used_seconds, resolution_running_since, resolution_met_at \
         FROM ticket_sla WHERE ticket_id = $1",
    )
    .bind(ticket_id)
    .fetch_optional(&mut **tx)
    .await?;
    // Every message passes here: a workspace without service levels, for a customer without
    // contracts, pays for two key look-ups and nothing more.
    if policy.is_none() && row.is_none() {
        let contracts: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM contracts WHERE customer_id = $1 OR organization_id = $2 LIMIT 1",
        )
        .bind(ticket.customer_id)
        .bind(ticket.organization_id.unwrap_or(0))
        .fetch_optional(&mut **tx)
        .await?;
        if contracts.is_none() {
            return Ok(());
        }
    }
    let calendar = crate::settings::calendar_in(tx).await?;
    let today = calendar.today(parse("now", now)?);
    let entitlement =
        crate::contracts::entitlement_in(tx, ticket_id, ticket.customer_id, today).await?;
    let contract = entitlement
        .contract
        .filter(|_| entitlement.state == "covered");
    let policy_id = policy.map(|p| p.id);
    let chosen = targets(policy, contract.as_ref());
    let contract_id = contract
        .as_ref()
        .filter(|c| c.first_response_minutes.is_some() || c.resolution_minutes.is_some())
        .map(|c| c.id);
    let Some(policy) = chosen else {
        if row.is_some() {
            // The policy no longer applies (removed, or the ticket changed): nothing is due.
            sqlx::query(
                "UPDATE ticket_sla SET policy_id = NULL, contract_id = NULL, first_response_due = NULL, next_response_due = NULL, \
                 resolution_due = NULL, updated_at = $1 WHERE ticket_id = $2",
            )
            .bind(now)
            .bind(ticket_id)
            .execute(&mut **tx)
            .await?;
        }
        return Ok(());
    };
    let at = parse("now", now)?;
    let created = parse("created_at", &ticket.created_at)?;

    // The resolution clock: carried over from the last change, moved by this one.
    let before = match &row {
        Some(row) => ResolutionClock {
            used: Duration::seconds(int(row, "resolution_used_seconds")?),
            running_since: parse_opt(
                "resolution_running_since",
                opt_text(row, "resolution_running_since")?.as_deref(),
            )?,
        },
        // A ticket's clock starts when it opens (a policy made later starts it now).
        None => ResolutionClock::default(),
    };
    let started = if row.is_none() && at - created < Duration::minutes(1) {
        created
    } else {
        at
    };
    let runs = sla::resolution_clock_runs(ticket.conversation, ticket.problem);
    let clock = before.at(started, runs, &calendar);
    let resolved = matches!(
        ticket.problem,
        rapport_domain::Problem::ResolutionProposed | rapport_domain::Problem::Resolved
    );
    let met_before = match &row {
        Some(row) => opt_text(row, "resolution_met_at")?,
        None => None,
    };
    let resolution_met_at = match (resolved, met_before) {
        (true, Some(met)) => Some(met),
        (true, None) => Some(now.to_owned()),
        (false, _) => None,
    };
    let resolution_due = policy
        .resolution_minutes
        .and_then(|minutes| clock.due(minutes, &calendar));

    // Replies: the first one, and the customer's first message since our last.
    let first_reply: Option<String> = sqlx::query_scalar(
        "SELECT MIN(created_at) FROM messages WHERE ticket_id = $1 AND author_kind = 'agent' AND visibility = 'public'",
    )
    .bind(ticket_id)
    .fetch_one(&mut **tx)
    .await?;
    let waiting_since: Option<String> = match &first_reply {
        None => None,
        Some(_) => sqlx::query_scalar(
            "SELECT MIN(c.created_at) FROM messages c WHERE c.ticket_id = $1 AND c.author_kind = 'customer' \
             AND c.visibility = 'public' AND c.created_at > (SELECT MAX(a.created_at) FROM messages a \
             WHERE a.ticket_id = $1 AND a.author_kind = 'agent' AND a.visibility = 'public')",
        )
        .bind(ticket_id)
        .fetch_one(&mut **tx)
        .await?,
    };
    let first_response_due = policy
        .first_response_minutes
        .map(|minutes| calendar.add_business_time(created, Duration::minutes(minutes)));
    let next_response_due = match (policy.next_response_minutes, waiting_since.as_deref()) {
        (Some(minutes), Some(since)) => {
            Some(calendar.add_business_time(parse("message", since)?, Duration::minutes(minutes)))
        }
        _ => None,
    };
    let format = |at: Option<OffsetDateTime>| at.map(clock::format);
    let (first_due, next_due, resolution_due) = (
        format(first_response_due),
        format(next_response_due),
        format(resolution_due),
    );
    sqlx::query(
        "INSERT INTO ticket_sla (ticket_id, policy_id, first_response_due, first_response_at, next_response_due, \
         resolution_due, resolution_used_seconds, resolution_running_since, resolution_met_at, updated_at, contract_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
         ON CONFLICT (ticket_id) DO UPDATE SET policy_id = excluded.policy_id, contract_id = excluded.contract_id, \
         first_response_due = excluded.first_response_due, first_response_at = excluded.first_response_at, \
         next_response_due = excluded.next_response_due, resolution_due = excluded.resolution_due, \
         resolution_used_seconds = excluded.resolution_used_seconds, \
         resolution_running_since = excluded.resolution_running_since, \
         resolution_met_at = excluded.resolution_met_at, updated_at = excluded.updated_at",
    )
    .bind(ticket_id)
    .bind(policy_id)
    .bind(&first_due)
    .bind(&first_reply)
    .bind(&next_due)
    .bind(&resolution_due)
    .bind(clock.used.whole_seconds())
    .bind(format(clock.running_since))
    .bind(&resolution_met_at)
    .bind(now)
    .bind(contract_id)
    .execute(&mut **tx)
    .await?;

    // The check runs when each unmet target falls due (a later change reschedules; a check
    // that finds its target met or moved does nothing).
    let unmet = [
        first_due.filter(|_| first_reply.is_none()),
        next_due,
        resolution_due,
    ];
    for due in unmet.into_iter().flatten() {
        let job = Job::SlaCheck { ticket_id };
        let (kind, payload) = job.to_stored();
        let waiting: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM jobs WHERE kind = $1 AND payload = $2 AND run_at = $3 AND done_at IS NULL",
        )
        .bind(kind)
        .bind(&payload)
        .bind(&due)
        .fetch_optional(&mut **tx)
        .await?;
        if waiting.is_none() {
            crate::jobs::enqueue(tx, now, &job, &due).await?;
        }
    }
    Ok(())
}

/// What the check of a ticket's service level found: the targets it missed just now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Missed {
    pub target: SlaTarget,
    pub due_at: String,
}

/// The job: refreshes the clocks and records each target past due and unmet as a breach,
/// once per due time, with a `sla.breached` event. Returns the breaches recorded now.
pub async fn check(tx: &mut Tx, now: &str, ticket_id: i64) -> StoreResult<Vec<Missed>> {
    refresh(tx, now, ticket_id).await?;
    let row = sqlx::query(
        "SELECT first_response_due, first_response_at, next_response_due, resolution_due \
         FROM ticket_sla WHERE ticket_id = $1 AND (policy_id IS NOT NULL OR contract_id IS NOT NULL)",
    )
    .bind(ticket_id)
    .fetch_optional(&mut **tx)
    .await?;
    let Some(row) = row else {
        return Ok(vec![]);
    };
    let first = opt_text(&row, "first_response_due")?
        .filter(|_| matches!(opt_text(&row, "first_response_at"), Ok(None)));
    let candidates = [
        (SlaTarget::FirstResponse, first),
        (
            SlaTarget::NextResponse,
            opt_text(&row, "next_response_due")?,
        ),
        (SlaTarget::Resolution, opt_text(&row, "resolution_due")?),
    ];
    let calendar = crate::settings::calendar_in(tx).await?;
    let mut missed = Vec::new();
    for (target, due) in candidates {
        let Some(due) = due.filter(|due| due.as_str() <= now) else {
            continue;
        };
        let inserted = sqlx::query(
            "INSERT INTO sla_breaches (ticket_id, target, due_at, breached_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (ticket_id, target, due_at) DO NOTHING",
        )
        .bind(ticket_id)
        .bind(target.as_str())
        .bind(&due)
        .bind(now)
        .execute(&mut **tx)
        .await?;
        if inserted.rows_affected() == 0 {
            continue;
        }
        events::record(
            tx,
            now,
            Actor::System,
            "ticket",
            ticket_id,
            "sla.breached",
            json!({ "target": target, "due_at": due }),
        )
        .await?;
        // A missed target sends the case up, unless it is already escalated.
        crate::escalations::escalate_in(
            tx,
            now,
            ticket_id,
            rapport_domain::escalation::EscalationSource::ServiceLevel,
            &format!(
                "The {} target was missed (due {}).",
                target.words(),
                clock::parse(&due).map_or_else(|| due.clone(), |at| calendar.when(at))
            ),
            Actor::System,
        )
        .await?;
        // A missed target counts against the relationship.
        let customer_id: i64 = sqlx::query_scalar("SELECT customer_id FROM tickets WHERE id = $1")
            .bind(ticket_id)
            .fetch_one(&mut **tx)
            .await?;
        crate::jobs::enqueue_once(tx, now, &Job::RecomputeHealth { customer_id }).await?;
        missed.push(Missed {
            target,
            due_at: due,
        });
    }
    Ok(missed)
}

impl Store {
    /// The live service level policies, oldest first.
    pub async fn sla_policies(&self) -> StoreResult<Vec<SlaPolicy>> {
        let mut conn = self.pool().acquire().await?;
        policies_in(&mut conn).await
    }

    pub async fn sla_policy(&self, id: i64) -> StoreResult<SlaPolicy> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM sla_policies WHERE id = $1 AND removed_at IS NULL"
        ))
        .bind(id)
        .fetch_optional(self.pool())
        .await?
        .ok_or_else(|| StoreError::not_found("service level policy", id))?;
        policy_from(&row)
    }

    /// Adds a policy. It applies to tickets from their next change; open tickets it now fits
    /// are refreshed at once.
    pub async fn create_sla_policy(
        &self,
        fields: PolicyFields,
        actor: Actor,
    ) -> StoreResult<SlaPolicy> {
        let fields = fields.checked()?;
        let now = self.now();
        let mut tx = self.begin_write().await?;
        ensure_refs(&mut tx, &fields).await?;
        let row = sqlx::query(&format!(
            "INSERT INTO sla_policies (name, priority, organization_id, customer_id, first_response_minutes, \
             next_response_minutes, resolution_minutes, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             RETURNING {COLUMNS}"
        ))
        .bind(&fields.name)
        .bind(fields.priority.map(|p| p.as_str()))
        .bind(fields.organization_id)
        .bind(fields.customer_id)
        .bind(fields.first_response_minutes)
        .bind(fields.next_response_minutes)
        .bind(fields.resolution_minutes)
        .bind(&now)
        .fetch_one(&mut *tx)
        .await?;
        let policy = policy_from(&row)?;
        events::record(
            &mut tx,
            &now,
            actor,
            "sla_policy",
            policy.id,
            "sla_policy.created",
            serde_json::to_value(&policy).unwrap_or(Value::Null),
        )
        .await?;
        refresh_open_tickets(&mut tx, &now).await?;
        tx.commit().await?;
        Ok(policy)
    }

    /// Changes a policy, with an event saying what changed; open tickets are refreshed.
    pub async fn update_sla_policy(
        &self,
        id: i64,
        fields: PolicyFields,
        actor: Actor,
    ) -> StoreResult<SlaPolicy> {
        let fields = fields.checked()?;
        let before = self.sla_policy(id).await?;
        let now = self.now();
        let mut tx = self.begin_write().await?;
        ensure_refs(&mut tx, &fields).await?;
        let row = sqlx::query(&format!(
            "UPDATE sla_policies SET name = $1, priority = $2, organization_id = $3, customer_id = $4, \
             first_response_minutes = $5, next_response_minutes = $6, resolution_minutes = $7 \
             WHERE id = $8 AND removed_at IS NULL RETURNING {COLUMNS}"
        ))
        .bind(&fields.name)
        .bind(fields.priority.map(|p| p.as_str()))
        .bind(fields.organization_id)
        .bind(fields.customer_id)
        .bind(fields.first_response_minutes)
        .bind(fields.next_response_minutes)
        .bind(fields.resolution_minutes)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| StoreError::not_found("service level policy", id))?;
        let after = policy_from(&row)?;
        let (was, is) = (
            serde_json::to_value(&before).unwrap_or(Value::Null),
            serde_json::to_value(&after).unwrap_or(Value::Null),
        );
        let mut changes = Map::new();
        if let (Value::Object(was), Value::Object(is)) = (&was, &is) {
            for (key, value) in is {
                if was.get(key) != Some(value) {
                    changes.insert(key.clone(), change(was.get(key), value));
                }
            }
        }
        if !changes.is_empty() {
            events::record(
                &mut tx,
                &now,
                actor,
                "sla_policy",
                id,
                "sla_policy.updated",
                Value::Object(changes),
            )
            .await?;
            refresh_open_tickets(&mut tx, &now).await?;
        }
        tx.commit().await?;
        Ok(after)
    }

    /// Removes a policy: it no longer applies; tickets that followed it are refreshed.
    pub async fn remove_sla_policy(&self, id: i64, actor: Actor) -> StoreResult<()> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(
            "UPDATE sla_policies SET removed_at = $1 WHERE id = $2 AND removed_at IS NULL",
        )
        .bind(&now)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::not_found("service level policy", id));
        }
        events::record(
            &mut tx,
            &now,
            actor,
            "sla_policy",
            id,
            "sla_policy.removed",
            json!({}),
        )
        .await?;
        refresh_open_tickets(&mut tx, &now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Where a ticket's service level stands now.
    pub async fn ticket_sla(&self, ticket_id: i64) -> StoreResult<TicketSla> {
        let row = sqlx::query(
            "SELECT s.first_response_due, s.first_response_at, s.next_response_due, s.resolution_due, \
             s.resolution_met_at, s.policy_id, s.contract_id FROM ticket_sla s WHERE s.ticket_id = $1",
        )
        .bind(ticket_id)
        .fetch_optional(self.pool())
        .await?;
        let Some(row) = row else {
            return Ok(TicketSla {
                policy: None,
                targets: vec![],
            });
        };
        let policy = match opt_int(&row, "policy_id")? {
            Some(id) => match self.sla_policy(id).await {
                Ok(policy) => Some(policy),
                Err(StoreError::NotFound { .. }) => None,
                Err(err) => return Err(err),
            },
            None => None,
        };
        let contract = match opt_int(&row, "contract_id")? {
            Some(id) => Some(self.contract(id).await?),
            None => None,
        };
        let Some(policy) = targets(policy.as_ref(), contract.as_ref()) else {
            return Ok(TicketSla {
                policy: None,
                targets: vec![],
            });
        };
        let breaches: Vec<(String, i64)> = sqlx::query_as(
            "SELECT target, COUNT(*) FROM sla_breaches WHERE ticket_id = $1 GROUP BY target",
        )
        .bind(ticket_id)
        .fetch_all(self.pool())
        .await?;
        let now = self.clock().now();
        let first_at = opt_text(&row, "first_response_at")?;
        let mut targets = Vec::new();
        for target in SlaTarget::ALL {
            let Some(minutes) = policy.minutes(*target) else {
                continue;
            };
            let (due, met_at) = match target {
                SlaTarget::FirstResponse => (
                    opt_text(&row, "first_response_due")?.filter(|_| first_at.is_none()),
                    first_at.clone(),
                ),
                SlaTarget::NextResponse => (opt_text(&row, "next_response_due")?, None),
                SlaTarget::Resolution => (
                    opt_text(&row, "resolution_due")?,
                    opt_text(&row, "resolution_met_at")?,
                ),
            };
            let state = match (&due, &met_at) {
                (Some(due), _) => match sla::standing(Some(parse("due", due)?), minutes, now) {
                    sla::Standing::Breached => "breached",
                    sla::Standing::DueSoon => "due_soon",
                    _ => "on_track",
                },
                (None, Some(_)) => "met",
                (None, None) if *target == SlaTarget::NextResponse => "met",
                (None, None) => "paused",
            };
            targets.push(TargetState {
                target: *target,
                minutes,
                due_at: due,
                met_at,
                state,
                breaches: breaches
                    .iter()
                    .find(|(t, _)| t == target.as_str())
                    .map_or(0, |(_, n)| *n),
            });
        }
        Ok(TicketSla {
            policy: Some(policy),
            targets,
        })
    }
}

/// The organization and customer a policy names must exist.
async fn ensure_refs(tx: &mut Tx, fields: &PolicyFields) -> StoreResult<()> {
    if let Some(id) = fields.organization_id {
        let found: Option<i64> = sqlx::query_scalar("SELECT id FROM organizations WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut **tx)
            .await?;
        if found.is_none() {
            return Err(validate::Invalid::new("organization_id", "no such organization").into());
        }
    }
    if let Some(id) = fields.customer_id {
        let found: Option<i64> = sqlx::query_scalar("SELECT id FROM customers WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut **tx)
            .await?;
        if found.is_none() {
            return Err(validate::Invalid::new("customer_id", "no such customer").into());
        }
    }
    Ok(())
}

/// After a change of policies: every ticket whose problem is open or whose first reply is
/// still owed gets its clocks refreshed. At most [`REFRESH_LIMIT`] at once, newest first; the
/// rest pick the change up at their next change.
async fn refresh_open_tickets(tx: &mut Tx, now: &str) -> StoreResult<()> {
    let ids: Vec<i64> = sqlx::query_scalar(&format!(
        "SELECT id FROM tickets WHERE problem = 'open' ORDER BY id DESC LIMIT {REFRESH_LIMIT}"
    ))
    .fetch_all(&mut **tx)
    .await?;
    for id in ids {
        refresh(tx, now, id).await?;
    }
    Ok(())
}

/// How many open tickets a change of policies refreshes at once.
const REFRESH_LIMIT: i64 = 2_000;

//! Phone calls logged on a ticket: who called whom, when, for how long, what was said and
//! what the customer agreed to. A call we made keeps the customer's open call-back promises.

use crate::events::{self, change};
use crate::promises::{keep_by_act, parse_time};
use crate::rows::{int, opt_int, opt_text, text};
use crate::{Store, StoreError, StoreResult};
use rapport_domain::promise::Act;
use rapport_domain::{Actor, Job, validate};
use serde::Serialize;
use serde_json::json;
use sqlx::any::AnyRow;
use utoipa::ToSchema;

rapport_domain::named_enum! {
    CallDirection, "call direction" {
        Inbound => "inbound",
        Outbound => "outbound",
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Call {
    pub id: i64,
    pub ticket_id: Option<i64>,
    pub customer_id: i64,
    pub agent_id: i64,
    pub direction: CallDirection,
    pub started_at: String,
    pub duration_seconds: i64,
    pub summary: String,
    /// What the customer agreed to.
    pub agreed: Option<String>,
    pub created_at: String,
}

pub struct NewCall<'a> {
    pub ticket_id: i64,
    pub agent_id: i64,
    pub direction: CallDirection,
    pub started_at: &'a str,
    pub duration_seconds: i64,
    pub summary: &'a str,
    pub agreed: Option<&'a str>,
}

fn call_from(row: &AnyRow) -> StoreResult<Call> {
    Ok(Call {
        id: int(row, "id")?,
        ticket_id: opt_int(row, "ticket_id")?,
        customer_id: int(row, "customer_id")?,
        agent_id: int(row, "agent_id")?,
        direction: crate::rows::named(row, "direction")?,
        started_at: text(row, "started_at")?,
        duration_seconds: int(row, "duration_seconds")?,
        summary: text(row, "summary")?,
        agreed: opt_text(row, "agreed")?,
        created_at: text(row, "created_at")?,
    })
}

impl Store {
    /// Logs a phone call on a ticket. A call keeps the customer's open call-back promises.
    pub async fn log_call(&self, new: NewCall<'_>) -> StoreResult<Call> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let call = log_call_in(&mut tx, &now, new).await?;
        tx.commit().await?;
        Ok(call)
    }
}

/// Logs a call inside the caller's transaction (see [`Store::log_call`]).
pub(crate) async fn log_call_in(
    tx: &mut crate::Tx,
    now: &str,
    new: NewCall<'_>,
) -> StoreResult<Call> {
    let summary = validate::body(new.summary).map_err(|err| {
        validate::Invalid::new("summary", err.message.replace("`body`", "`summary`"))
    })?;
    let started_at = parse_time("started_at", new.started_at)?;
    if !(0..=24 * 60 * 60).contains(&new.duration_seconds) {
        return Err(validate::Invalid::new(
            "duration_seconds",
            "a call lasts between 0 seconds and a day",
        )
        .into());
    }
    let customer_id: Option<i64> =
        sqlx::query_scalar("SELECT customer_id FROM tickets WHERE id = $1")
            .bind(new.ticket_id)
            .fetch_optional(&mut **tx)
            .await?;
    let customer_id = customer_id.ok_or_else(|| StoreError::not_found("ticket", new.ticket_id))?;
    let row = sqlx::query(
            "INSERT INTO calls (ticket_id, customer_id, agent_id, direction, started_at, duration_seconds, summary, agreed, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             RETURNING id, ticket_id, customer_id, agent_id, direction, started_at, duration_seconds, summary, agreed, created_at",
        )
        .bind(new.ticket_id)
        .bind(customer_id)
        .bind(new.agent_id)
        .bind(new.direction.as_str())
        .bind(&started_at)
        .bind(new.duration_seconds)
        .bind(&summary)
        .bind(new.agreed.map(str::trim).filter(|a| !a.is_empty()))
        .bind(now)
        .fetch_one(&mut **tx)
        .await?;
    let call = call_from(&row)?;
    let actor = Actor::Agent(new.agent_id);
    events::record(tx, now, actor, "ticket", new.ticket_id, "call.logged", json!({ "call_id": change(None::<i64>, call.id), "direction": change(None::<String>, call.direction) }))
            .await?;
    let act = match call.direction {
        CallDirection::Outbound => Act::OutboundCall,
        CallDirection::Inbound => Act::InboundCall,
    };
    keep_by_act(tx, now, customer_id, None, act, actor).await?;
    crate::jobs::enqueue_once(tx, now, &Job::RecomputeHealth { customer_id }).await?;
    Ok(call)
}

//! Moments and calls: the small things that make a relationship, and the conversations held
//! by phone.
//!
//! A moment is a personal note about a customer ("flying to Lisbon on 3 March") with an
//! optional follow-up day, on which it comes back as a task for the relationship owner.

use crate::events::{self, change};
use crate::promises::{PromiseKind, keep_by_act, parse_time};
use crate::rows::{int, opt_int, opt_text, text};
use crate::tasks::{self, NewTask};
use crate::{Store, StoreError, StoreResult, Tx};
use rapport_domain::Job;
use rapport_domain::TaskKind;
use rapport_domain::{Actor, validate};
use serde::Serialize;
use serde_json::json;
use sqlx::any::AnyRow;
use utoipa::ToSchema;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Moment {
    pub id: i64,
    pub customer_id: i64,
    /// Who noted it.
    pub agent_id: i64,
    pub note: String,
    /// The day to come back to it, `YYYY-MM-DD`.
    pub follow_up_on: Option<String>,
    pub created_at: String,
}

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

fn moment_from(row: &AnyRow) -> StoreResult<Moment> {
    Ok(Moment {
        id: int(row, "id")?,
        customer_id: int(row, "customer_id")?,
        agent_id: int(row, "agent_id")?,
        note: text(row, "note")?,
        follow_up_on: opt_text(row, "follow_up_on")?,
        created_at: text(row, "created_at")?,
    })
}

pub(crate) fn call_from(row: &AnyRow) -> StoreResult<Call> {
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

/// A moment's follow-up day has come: hand it to the relationship owner.
pub async fn follow_up(tx: &mut Tx, now: &str, id: i64) -> StoreResult<()> {
    let row = sqlx::query("SELECT id, customer_id, agent_id, note, follow_up_on, created_at FROM moments WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or_else(|| StoreError::not_found("moment", id))?;
    let moment = moment_from(&row)?;
    let name = crate::lifecycle::customer_first_name(tx, moment.customer_id).await?;
    let owner = tasks::owner_of(tx, moment.customer_id)
        .await
        .unwrap_or(moment.agent_id);
    tasks::create(
        tx,
        now,
        NewTask {
            agent_id: owner,
            kind: TaskKind::MomentFollowUp,
            ticket_id: None,
            customer_id: Some(moment.customer_id),
            title: format!("Today: {name}"),
            detail: format!(
                "Noted on {}: \"{}\". A word about it shows {name} we remember.",
                &moment.created_at[..10],
                moment.note
            ),
            due_at: now,
        },
    )
    .await?;
    Ok(())
}

impl Store {
    pub async fn create_moment(
        &self,
        customer_id: i64,
        agent_id: i64,
        note: &str,
        follow_up_on: Option<&str>,
    ) -> StoreResult<Moment> {
        let note = validate::body(note).map_err(|err| {
            validate::Invalid::new("note", err.message.replace("`body`", "`note`"))
        })?;
        let follow_up_on = match follow_up_on {
            Some(day) => {
                let date = crate::coaching::parse_day(day.trim()).map_err(|_| {
                    validate::Invalid::new(
                        "follow_up_on",
                        format!("`{day}` is not a day such as 2027-03-03"),
                    )
                })?;
                Some(date)
            }
            None => None,
        };
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM customers WHERE id = $1")
            .bind(customer_id)
            .fetch_optional(&mut *tx)
            .await?;
        exists.ok_or_else(|| StoreError::not_found("customer", customer_id))?;
        let row = sqlx::query(
            "INSERT INTO moments (customer_id, agent_id, note, follow_up_on, created_at) VALUES ($1, $2, $3, $4, $5) \
             RETURNING id, customer_id, agent_id, note, follow_up_on, created_at",
        )
        .bind(customer_id)
        .bind(agent_id)
        .bind(&note)
        .bind(follow_up_on.map(|d| d.to_string()))
        .bind(&now)
        .fetch_one(&mut *tx)
        .await?;
        let moment = moment_from(&row)?;
        if let Some(day) = follow_up_on {
            // Early in the day, so it is on the list when the owner starts work.
            let run_at = format!("{day}T07:00:00.000000Z");
            crate::jobs::enqueue(
                &mut tx,
                &now,
                &Job::MomentFollowUp {
                    moment_id: moment.id,
                },
                &run_at,
            )
            .await?;
        }
        events::record(
            &mut tx,
            &now,
            Actor::Agent(agent_id),
            "customer",
            customer_id,
            "moment.noted",
            json!({ "moment_id": change(None::<i64>, moment.id) }),
        )
        .await?;
        tx.commit().await?;
        Ok(moment)
    }

    pub async fn moments_for(&self, customer_id: i64) -> StoreResult<Vec<Moment>> {
        let rows = sqlx::query(
            "SELECT id, customer_id, agent_id, note, follow_up_on, created_at FROM moments WHERE customer_id = $1 ORDER BY id DESC",
        )
        .bind(customer_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(moment_from).collect()
    }

    /// Logs a phone call on a ticket. A call keeps the customer's open call-back promises.
    pub async fn log_call(&self, new: NewCall<'_>) -> StoreResult<Call> {
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
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let customer_id: Option<i64> =
            sqlx::query_scalar("SELECT customer_id FROM tickets WHERE id = $1")
                .bind(new.ticket_id)
                .fetch_optional(&mut *tx)
                .await?;
        let customer_id =
            customer_id.ok_or_else(|| StoreError::not_found("ticket", new.ticket_id))?;
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
        .bind(&now)
        .fetch_one(&mut *tx)
        .await?;
        let call = call_from(&row)?;
        let actor = Actor::Agent(new.agent_id);
        events::record(&mut tx, &now, actor, "ticket", new.ticket_id, "call.logged", json!({ "call_id": change(None::<i64>, call.id), "direction": change(None::<String>, call.direction) }))
            .await?;
        if call.direction == CallDirection::Outbound {
            keep_by_act(
                &mut tx,
                &now,
                customer_id,
                None,
                PromiseKind::CallBack,
                actor,
                "a call was logged",
            )
            .await?;
        }
        crate::jobs::enqueue_once(&mut tx, &now, &Job::RecomputeHealth { customer_id }).await?;
        tx.commit().await?;
        Ok(call)
    }
}

impl Store {
    /// The calls logged on a ticket, oldest first.
    pub async fn calls_for_ticket(&self, ticket_id: i64) -> StoreResult<Vec<Call>> {
        let rows = sqlx::query(
            "SELECT id, ticket_id, customer_id, agent_id, direction, started_at, duration_seconds, summary, agreed, created_at \
             FROM calls WHERE ticket_id = $1 ORDER BY started_at, id",
        )
        .bind(ticket_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(call_from).collect()
    }
}

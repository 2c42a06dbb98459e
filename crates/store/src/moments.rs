//! Moments: the small things that make a relationship.
//!
//! A moment is a personal note about a customer ("flying to Lisbon on 3 March") with an
//! optional follow-up day, on which it comes back as a task for the relationship owner.

use crate::events::{self, change};
use crate::rows::{int, opt_text, text};
use crate::tasks::{self, NewTask};
use crate::{Store, StoreError, StoreResult, Tx};
use rapport_domain::wording::TaskText;
use rapport_domain::wording::promises::MomentFollowUpTask;
use rapport_domain::{Actor, Job, TaskKind, validate};
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

/// A moment's follow-up day has come: hand it to the relationship owner.
pub async fn follow_up(tx: &mut Tx, now: &str, id: i64) -> StoreResult<()> {
    let row = sqlx::query("SELECT id, customer_id, agent_id, note, follow_up_on, created_at FROM moments WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or_else(|| StoreError::not_found("moment", id))?;
    let moment = moment_from(&row)?;
    let name = crate::customers::customer_first_name(tx, moment.customer_id).await?;
    let owner = crate::escalations::owner_of(tx, moment.customer_id)
        .await
        .unwrap_or(moment.agent_id);
    let TaskText { title, detail } = TaskText::of(&MomentFollowUpTask {
        name: &name,
        noted_on: &moment.created_at[..10],
        note: &moment.note,
    });
    tasks::create(
        tx,
        now,
        NewTask {
            agent_id: owner,
            kind: TaskKind::MomentFollowUp,
            ticket_id: None,
            customer_id: Some(moment.customer_id),
            title,
            detail,
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
}

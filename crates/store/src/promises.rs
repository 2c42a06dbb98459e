//! Promises: a promise is a debt. Who promised what to which customer, by when, through which
//! channel. Reminded before it is due; broken automatically when it is not kept in time, which
//! alerts the promiser and their supervisor; kept automatically by the act itself (a public
//! reply keeps a "reply" promise, a call we made a "call back" promise). The rules are in
//! [`rapport_domain::promise`]; here promises are loaded, settled and their jobs enqueued.

use crate::events::{self, change};
use crate::rows::{int, named, opt_int, opt_text, text};
use crate::tasks::{self, NewTask};
use crate::{Store, StoreError, StoreResult, Tx, clock};
use rapport_domain::promise::{self as rules, Act, Settled};
use rapport_domain::timings::PROMISE_REMINDER_MINUTES;
use rapport_domain::wording::TaskText;
use rapport_domain::wording::notifications as notification_words;
use rapport_domain::wording::promises::{
    PromiseBrokenSupervisorTask, PromiseBrokenTask, PromiseReminderTask,
};
use rapport_domain::{Actor, Job, NotificationKind, TaskKind, validate};
use serde::Serialize;
use serde_json::json;
use sqlx::any::AnyRow;
use utoipa::ToSchema;

pub use rapport_domain::promise::{PromiseKind, PromiseStatus};

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Promise {
    pub id: i64,
    pub customer_id: i64,
    pub ticket_id: Option<i64>,
    /// The agent who made the promise.
    pub agent_id: i64,
    pub kind: PromiseKind,
    pub what: String,
    /// How it will be kept: `phone`, `email`, ...
    pub channel: String,
    /// For a call-back: the number to call.
    pub phone: Option<String>,
    /// For a call-back: the start of the window the customer chose; `due_at` is its end.
    pub window_start: Option<String>,
    pub due_at: String,
    pub status: PromiseStatus,
    pub settled_at: Option<String>,
    /// When an agent took it on. A call-back the customer asked for in the portal is a request
    /// (`null`) until an agent accepts it; only then is it promised in their name.
    pub accepted_at: Option<String>,
    pub created_at: String,
}

pub struct NewPromise<'a> {
    pub customer_id: i64,
    pub ticket_id: Option<i64>,
    pub agent_id: i64,
    pub kind: PromiseKind,
    pub what: &'a str,
    pub channel: &'a str,
    pub phone: Option<&'a str>,
    pub window_start: Option<&'a str>,
    pub due_at: &'a str,
}

const COLUMNS: &str = "id, customer_id, ticket_id, agent_id, kind, what, channel, phone, window_start, due_at, status, settled_at, accepted_at, created_at";

fn promise_from(row: &AnyRow) -> StoreResult<Promise> {
    Ok(Promise {
        id: int(row, "id")?,
        customer_id: int(row, "customer_id")?,
        ticket_id: opt_int(row, "ticket_id")?,
        agent_id: int(row, "agent_id")?,
        kind: named(row, "kind")?,
        what: text(row, "what")?,
        channel: text(row, "channel")?,
        phone: opt_text(row, "phone")?,
        window_start: opt_text(row, "window_start")?,
        due_at: text(row, "due_at")?,
        status: named(row, "status")?,
        settled_at: opt_text(row, "settled_at")?,
        accepted_at: opt_text(row, "accepted_at")?,
        created_at: text(row, "created_at")?,
    })
}

/// A time a person typed, normalized to the stored format.
pub fn parse_time(field: &'static str, value: &str) -> StoreResult<String> {
    clock::parse(value.trim())
        .map(clock::format)
        .ok_or_else(|| {
            validate::Invalid::new(
                field,
                format!("`{value}` is not a time such as 2026-11-24T15:00:00Z"),
            )
            .into()
        })
}

async fn load(tx: &mut Tx, id: i64) -> StoreResult<Promise> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM promises WHERE id = $1"))
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or_else(|| StoreError::not_found("promise", id))?;
    promise_from(&row)
}

/// Settles an open promise; `false` when another change settled it first (the update is
/// conditional, so of several at once exactly one settles it and records why).
async fn settle(
    tx: &mut Tx,
    now: &str,
    promise: &Promise,
    status: PromiseStatus,
    actor: Actor,
    why: Settled,
    outcome: Option<&str>,
) -> StoreResult<bool> {
    let settled = sqlx::query(
        "UPDATE promises SET status = $1, settled_at = $2 WHERE id = $3 AND status = $4",
    )
    .bind(status.as_str())
    .bind(now)
    .bind(promise.id)
    .bind(PromiseStatus::Open.as_str())
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if settled == 0 {
        return Ok(false);
    }
    events::record(
        tx,
        now,
        actor,
        "promise",
        promise.id,
        &format!("promise.{}", status.as_str()),
        match outcome {
            Some(outcome) => json!({
                "status": change(promise.status, status),
                "why": change(None::<String>, why.why()),
                "outcome": change(None::<String>, outcome),
            }),
            None => json!({ "status": change(promise.status, status), "why": change(None::<String>, why.why()) }),
        },
    )
    .await?;
    crate::jobs::enqueue_once(
        tx,
        now,
        &Job::RecomputeHealth {
            customer_id: promise.customer_id,
        },
    )
    .await?;
    Ok(true)
}

/// Keeps the open promises to a customer (on a ticket, when given) that `act` keeps by itself.
pub(crate) async fn keep_by_act(
    tx: &mut Tx,
    now: &str,
    customer_id: i64,
    ticket_id: Option<i64>,
    act: Act,
    actor: Actor,
) -> StoreResult<()> {
    let Some(kind) = act.keeps() else {
        return Ok(());
    };
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM promises WHERE customer_id = $1 AND kind = $2 AND status = $3 AND ($4 IS NULL OR ticket_id = $4)"
    ))
    .bind(customer_id)
    .bind(kind.as_str())
    .bind(PromiseStatus::Open.as_str())
    .bind(ticket_id)
    .fetch_all(&mut **tx)
    .await?;
    for row in rows {
        let promise = promise_from(&row)?;
        let why = Settled::By(act);
        // Already settled by another change at the same moment: nothing left to keep.
        settle(tx, now, &promise, PromiseStatus::Kept, actor, why, None).await?;
    }
    Ok(())
}

/// Shortly before the due time: remind the promiser.
pub async fn remind(tx: &mut Tx, now: &str, id: i64) -> StoreResult<()> {
    let promise = load(tx, id).await?;
    if !rules::needs_reminder(promise.status) {
        return Ok(());
    }
    let name = crate::customers::customer_first_name(tx, promise.customer_id).await?;
    let TaskText { title, detail } = TaskText::of(&PromiseReminderTask {
        name: &name,
        what: &promise.what,
        due_at: &promise.due_at,
        accepted: promise.accepted_at.is_some(),
    });
    tasks::create(
        tx,
        now,
        NewTask {
            agent_id: promise.agent_id,
            kind: TaskKind::PromiseReminder,
            ticket_id: promise.ticket_id,
            customer_id: Some(promise.customer_id),
            title,
            detail,
            due_at: &promise.due_at,
        },
    )
    .await?;
    if let Some(ticket_id) = promise.ticket_id {
        let text = notification_words::line(&notification_words::PromiseDue {
            ticket_id,
            due: notification_words::due_in_words(&promise.due_at),
        });
        crate::notifications::notify(
            tx,
            now,
            Actor::System,
            promise.agent_id,
            NotificationKind::PromiseDue,
            ticket_id,
            &text,
        )
        .await?;
    }
    Ok(())
}

/// At the due time: a promise still open is broken. The promiser and their supervisor hear of it.
pub async fn settle_if_overdue(tx: &mut Tx, now: &str, id: i64) -> StoreResult<()> {
    let promise = load(tx, id).await?;
    if !rules::is_broken(promise.status, &promise.due_at, now) {
        return Ok(());
    }
    let (status, actor) = (PromiseStatus::Broken, Actor::System);
    if !settle(tx, now, &promise, status, actor, Settled::DuePassed, None).await? {
        return Ok(());
    }
    let name = crate::customers::customer_first_name(tx, promise.customer_id).await?;
    let staff = crate::agents::load_staff(tx).await?;
    let promiser = staff
        .get(promise.agent_id)
        .ok_or_else(|| StoreError::not_found("agent", promise.agent_id))?;
    let broken = |agent_id: i64, TaskText { title, detail }| NewTask {
        agent_id,
        kind: TaskKind::PromiseBroken,
        ticket_id: promise.ticket_id,
        customer_id: Some(promise.customer_id),
        title,
        detail,
        due_at: now,
    };
    let text = TaskText::of(&PromiseBrokenTask {
        name: &name,
        what: &promise.what,
        due_at: &promise.due_at,
    });
    tasks::create(tx, now, broken(promiser.id, text)).await?;
    if let Some(supervisor) = staff.supervisor_of(promiser.id) {
        let text = TaskText::of(&PromiseBrokenSupervisorTask {
            agent_name: &promiser.name,
            name: &name,
            what: &promise.what,
            due_at: &promise.due_at,
        });
        tasks::create(tx, now, broken(supervisor.id, text)).await?;
    }
    Ok(())
}

impl Store {
    pub async fn create_promise(&self, new: NewPromise<'_>, actor: Actor) -> StoreResult<Promise> {
        let what = validate::line("what", new.what, 500)?;
        let channel = validate::line("channel", new.channel, 50)?;
        let due_at = parse_time("due_at", new.due_at)?;
        let window_start = new
            .window_start
            .map(|w| parse_time("window_start", w))
            .transpose()?;
        let now = self.now();
        rules::check_new(new.kind, new.phone, window_start.as_deref(), &due_at, &now)?;
        let mut tx = self.begin_write().await?;
        let customer: Option<i64> = sqlx::query_scalar("SELECT id FROM customers WHERE id = $1")
            .bind(new.customer_id)
            .fetch_optional(&mut *tx)
            .await?;
        customer.ok_or_else(|| StoreError::unknown("customer", "customer_id", new.customer_id))?;
        let row = sqlx::query(&format!(
            "INSERT INTO promises (customer_id, ticket_id, agent_id, kind, what, channel, phone, window_start, due_at, status, accepted_at, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING {COLUMNS}"
        ))
        .bind(new.customer_id)
        .bind(new.ticket_id)
        .bind(new.agent_id)
        .bind(new.kind.as_str())
        .bind(&what)
        .bind(&channel)
        .bind(new.phone.map(str::trim))
        .bind(&window_start)
        .bind(&due_at)
        .bind(PromiseStatus::Open.as_str())
        // What a customer asks for is a request until an agent accepts it.
        .bind((!matches!(actor, Actor::Customer(_))).then_some(&now))
        .bind(&now)
        .fetch_one(&mut *tx)
        .await?;
        let promise = promise_from(&row)?;
        let due = clock::parse(&due_at).ok_or_else(|| StoreError::Corrupt("due_at".into()))?;
        let now_at = clock::parse(&now).ok_or_else(|| StoreError::Corrupt("now".into()))?;
        let lead = crate::settings::timing_in(&mut tx, PROMISE_REMINDER_MINUTES).await?;
        let lead = std::time::Duration::from_secs(lead.unsigned_abs() * 60);
        if let Some(remind_at) = rules::reminder_at(due, now_at, lead).map(clock::format) {
            crate::jobs::enqueue(
                &mut tx,
                &now,
                &Job::PromiseReminder {
                    promise_id: promise.id,
                },
                &remind_at,
            )
            .await?;
        }
        crate::jobs::enqueue(
            &mut tx,
            &now,
            &Job::PromiseDue {
                promise_id: promise.id,
            },
            &due_at,
        )
        .await?;
        events::record(
            &mut tx,
            &now,
            actor,
            "promise",
            promise.id,
            "promise.made",
            json!({ "what": change(None::<String>, &what), "due_at": change(None::<String>, &due_at), "kind": change(None::<String>, promise.kind) }),
        )
        .await?;
        tx.commit().await?;
        Ok(promise)
    }

    /// An agent takes on a call-back the customer asked for: from now on it is their promise,
    /// shown to the customer in their name. Once only: of several at once, one accepts it.
    pub async fn accept_promise(&self, id: i64, agent_id: i64) -> StoreResult<Promise> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let before = load(&mut tx, id).await?;
        let accepted = sqlx::query(
            "UPDATE promises SET accepted_at = $1, agent_id = $2 WHERE id = $3 AND accepted_at IS NULL AND status = $4",
        )
        .bind(&now)
        .bind(agent_id)
        .bind(id)
        .bind(PromiseStatus::Open.as_str())
        .execute(&mut *tx)
        .await?;
        if accepted.rows_affected() == 0 {
            let promise = load(&mut tx, id).await?;
            let message = if promise.status != PromiseStatus::Open {
                format!(
                    "This call-back is already {}; there is nothing to accept.",
                    promise.status
                )
            } else {
                "This was already accepted; it is promised in the name of whoever accepted it."
                    .to_owned()
            };
            return Err(StoreError::Conflict {
                code: "promise_accepted",
                message,
            });
        }
        events::record(
            &mut tx,
            &now,
            Actor::Agent(agent_id),
            "promise",
            id,
            "promise.accepted",
            json!({
                "accepted_at": change(None::<String>, &now),
                "agent_id": change(before.agent_id, agent_id),
            }),
        )
        .await?;
        let promise = load(&mut tx, id).await?;
        tx.commit().await?;
        Ok(promise)
    }

    pub async fn promise(&self, id: i64) -> StoreResult<Promise> {
        let mut tx = self.pool().begin().await?;
        let promise = load(&mut tx, id).await?;
        tx.commit().await?;
        Ok(promise)
    }

    /// A customer's promises, soonest due first; only open ones when `open_only`.
    pub async fn promises_for(
        &self,
        customer_id: i64,
        open_only: bool,
    ) -> StoreResult<Vec<Promise>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM promises WHERE customer_id = $1 AND ($2 = 0 OR status = $3) ORDER BY due_at, id"
        ))
        .bind(customer_id)
        .bind(i64::from(open_only))
        .bind(PromiseStatus::Open.as_str())
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(promise_from).collect()
    }

    /// Marks a promise kept (or renegotiated, with a new promise made separately), with what
    /// was done when the agent says (kept in the promise's event).
    pub async fn settle_promise(
        &self,
        id: i64,
        status: PromiseStatus,
        outcome: Option<&str>,
        actor: Actor,
    ) -> StoreResult<Promise> {
        if !status.agent_may_set() {
            return Err(validate::Invalid::new(
                "status",
                "a promise can be marked `kept` or `renegotiated`",
            )
            .into());
        }
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let promise = load(&mut tx, id).await?;
        if promise.status != PromiseStatus::Open {
            return Err(StoreError::Conflict {
                code: "promise_settled",
                message: format!("promise {id} is already {}", promise.status),
            });
        }
        let why = Settled::MarkedByAgent;
        let outcome = outcome.map(str::trim).filter(|o| !o.is_empty());
        if !settle(&mut tx, &now, &promise, status, actor, why, outcome).await? {
            let settled = load(&mut tx, id).await?;
            return Err(StoreError::Conflict {
                code: "promise_settled",
                message: format!("promise {id} is already {}", settled.status),
            });
        }
        let promise = load(&mut tx, id).await?;
        tx.commit().await?;
        Ok(promise)
    }
}

//! Webhooks: the subscriptions admins keep, the deliveries queued for them, and the sender's
//! side (claim with a lease, record the attempt, retry or give up). What a change means to a
//! webhook, the payloads, the signature and the retry schedule are the domain's
//! (`rapport_domain::webhook`); the HTTP call is `rapport::webhooks`.
//!
//! [`publish`] runs inside the change's own transaction (called by `events::record` for every
//! audit event, and by the health recompute when a band changes): for each active subscription
//! to the event's type it writes a delivery, with its body fixed once so a retry sends the same
//! bytes, and a `webhook.deliver` job. A change that rolls back therefore never reaches a
//! receiver, and a committed one always does (or its failure is on the delivery log).

use crate::jobs;
use crate::rows::{int, named, opt_int, opt_text, text};
use crate::tickets::{load_message, load_ticket};
use crate::{Backend, Store, StoreError, StoreResult, Tx, events, secrets};
use rapport_domain::webhook::{
    self, DeliveryStatus, EscalationData, EventType, HealthBandChangedData, MessageAddedData,
    PromiseBrokenData, StateChange, StateChangedData, SurveyAnsweredData, TestEventData,
    TicketCreatedData, WebhookData, WebhookEnvelope, WebhookMessage, WebhookTicket,
};
use rapport_domain::{Actor, Job, health::Band};
use serde::Serialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

/// A subscription as admins see it (its secret is shown apart: [`Store::webhook_secret`]).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Subscription {
    pub id: i64,
    /// Where deliveries are posted.
    pub url: String,
    /// What it is for, in the admin's words.
    pub description: String,
    pub event_types: Vec<EventType>,
    /// A paused subscription gets no new events; deliveries already queued wait until it is
    /// active again.
    pub active: bool,
    pub created_at: String,
    pub updated_at: String,
}

/// What an admin sets on a subscription.
#[derive(Debug, Clone, Default)]
pub struct SubscriptionFields {
    pub url: String,
    pub description: String,
    pub event_types: Vec<EventType>,
    pub active: bool,
}

/// One try at posting a delivery.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DeliveryAttempt {
    pub attempted_at: String,
    /// The receiver's HTTP status; none when it could not be reached or did not answer in time.
    pub response_status: Option<i64>,
    pub duration_ms: i64,
    /// The first part of the receiver's answer (at most 1,000 characters).
    pub response_excerpt: String,
    /// Why the attempt failed, when it did without an answer (refused, timed out, not allowed).
    pub error: Option<String>,
}

/// One event on its way to one subscription.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Delivery {
    pub id: i64,
    pub subscription_id: i64,
    /// The envelope's `id`.
    pub event_id: String,
    pub event_type: EventType,
    pub status: DeliveryStatus,
    pub attempts: i64,
    /// When it is tried next, while pending.
    pub next_attempt_at: Option<String>,
    pub created_at: String,
    /// When it was delivered or given up.
    pub finished_at: Option<String>,
    /// The latest attempt, if any.
    pub last_attempt: Option<DeliveryAttempt>,
}

/// A delivery with the body it sends and every attempt, oldest first.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DeliveryDetail {
    #[serde(flatten)]
    pub delivery: Delivery,
    /// The JSON body posted (a [`WebhookEnvelope`]).
    #[schema(value_type = WebhookEnvelope)]
    pub body: Value,
    pub attempt_log: Vec<DeliveryAttempt>,
}

/// A delivery claimed by a sender, with everything it needs to post it.
#[derive(Debug, Clone)]
pub struct DueDelivery {
    pub job_id: i64,
    pub delivery_id: i64,
    pub url: String,
    pub secret: String,
    pub body: String,
    /// This attempt's number, 1 for the first.
    pub attempt: i64,
}

/// What an attempt came to.
#[derive(Debug, Clone)]
pub struct AttemptOutcome {
    pub response_status: Option<u16>,
    pub duration_ms: i64,
    pub response_excerpt: String,
    pub error: Option<String>,
}

impl AttemptOutcome {
    /// A 2xx answer delivers; anything else (a redirect too) is tried again.
    pub fn delivered(&self) -> bool {
        self.response_status
            .is_some_and(|status| (200..300).contains(&status))
    }
}

const COLUMNS: &str = "id, url, description, event_types, active, created_at, updated_at";

fn subscription_from(row: &sqlx::any::AnyRow) -> StoreResult<Subscription> {
    Ok(Subscription {
        id: int(row, "id")?,
        url: text(row, "url")?,
        description: text(row, "description")?,
        event_types: types_from(&text(row, "event_types")?),
        active: int(row, "active")? != 0,
        created_at: text(row, "created_at")?,
        updated_at: text(row, "updated_at")?,
    })
}

fn types_from(stored: &str) -> Vec<EventType> {
    stored
        .split(',')
        .filter_map(|name| name.trim().parse().ok())
        .collect()
}

fn types_to(types: &[EventType]) -> String {
    EventType::SUBSCRIBABLE
        .iter()
        .filter(|kind| types.contains(kind))
        .map(|kind| kind.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

impl SubscriptionFields {
    fn checked(mut self) -> StoreResult<SubscriptionFields> {
        self.url = webhook::check_url(&self.url)?;
        self.description = self.description.trim().to_owned();
        if self.description.chars().count() > 200 {
            return Err(rapport_domain::Invalid::new(
                "description",
                "A webhook's description can be at most 200 characters long.".to_owned(),
            )
            .into());
        }
        self.event_types.retain(|kind| *kind != EventType::Test);
        if self.event_types.is_empty() {
            return Err(rapport_domain::Invalid::new(
                "event_types",
                format!(
                    "Choose at least one event to send: {}.",
                    EventType::SUBSCRIBABLE.map(EventType::as_str).join(", ")
                ),
            )
            .into());
        }
        Ok(self)
    }
}

const DELIVERY_COLUMNS: &str = "d.id, d.subscription_id, d.event_id, d.event_type, d.status, d.attempts, \
     d.next_attempt_at, d.created_at, d.finished_at, a.attempted_at, a.response_status, a.duration_ms, \
     a.response_excerpt, a.error";

/// The latest attempt of each delivery, joined beside it.
const LAST_ATTEMPT_JOIN: &str = "LEFT JOIN webhook_attempts a ON a.id = \
     (SELECT MAX(x.id) FROM webhook_attempts x WHERE x.delivery_id = d.id)";

fn delivery_from(row: &sqlx::any::AnyRow) -> StoreResult<Delivery> {
    let last_attempt = match opt_text(row, "attempted_at")? {
        Some(attempted_at) => Some(DeliveryAttempt {
            attempted_at,
            response_status: opt_int(row, "response_status")?,
            duration_ms: opt_int(row, "duration_ms")?.unwrap_or_default(),
            response_excerpt: opt_text(row, "response_excerpt")?.unwrap_or_default(),
            error: opt_text(row, "error")?,
        }),
        None => None,
    };
    Ok(Delivery {
        id: int(row, "id")?,
        subscription_id: int(row, "subscription_id")?,
        event_id: text(row, "event_id")?,
        event_type: text(row, "event_type")?
            .parse()
            .map_err(|err: rapport_domain::Invalid| StoreError::Corrupt(err.to_string()))?,
        status: named(row, "status")?,
        attempts: int(row, "attempts")?,
        next_attempt_at: opt_text(row, "next_attempt_at")?,
        created_at: text(row, "created_at")?,
        finished_at: opt_text(row, "finished_at")?,
        last_attempt,
    })
}

/// The ids of the active subscriptions to `kind`.
async fn subscribers(tx: &mut Tx, kind: EventType) -> StoreResult<Vec<i64>> {
    let rows = sqlx::query("SELECT id, event_types FROM webhook_subscriptions WHERE active = 1")
        .fetch_all(&mut **tx)
        .await?;
    let mut ids = Vec::new();
    for row in rows {
        if types_from(&text(&row, "event_types")?).contains(&kind) {
            ids.push(int(&row, "id")?);
        }
    }
    Ok(ids)
}

/// Writes one delivery of `data` per subscription in `to`, each with its job.
async fn queue(
    tx: &mut Tx,
    now: &str,
    kind: EventType,
    data: WebhookData,
    to: &[i64],
) -> StoreResult<Vec<i64>> {
    let envelope = WebhookEnvelope {
        id: secrets::generate("evt_")[..28].to_owned(),
        kind,
        occurred_at: now.to_owned(),
        data,
    };
    let body = serde_json::to_string(&envelope)
        .map_err(|err| StoreError::Corrupt(format!("a webhook body: {err}")))?;
    let mut deliveries = Vec::with_capacity(to.len());
    for subscription_id in to {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO webhook_deliveries (subscription_id, event_id, event_type, body, status, attempts, next_attempt_at, created_at) \
             VALUES ($1, $2, $3, $4, $5, 0, $6, $6) RETURNING id",
        )
        .bind(subscription_id)
        .bind(&envelope.id)
        .bind(kind.as_str())
        .bind(&body)
        .bind(DeliveryStatus::Pending.as_str())
        .bind(now)
        .fetch_one(&mut **tx)
        .await?;
        jobs::enqueue(tx, now, &Job::DeliverWebhook { delivery_id: id }, now).await?;
        deliveries.push(id);
    }
    Ok(deliveries)
}

/// Queues the webhooks an audit event stands for (most stand for none), inside the change's
/// transaction. Called by [`events::record`].
pub(crate) async fn publish(
    tx: &mut Tx,
    at: &str,
    actor: Actor,
    entity: &str,
    entity_id: i64,
    action: &str,
    changes: &Value,
) -> StoreResult<()> {
    for kind in webhook::types_of(entity, action, changes) {
        let to = subscribers(tx, kind).await?;
        if to.is_empty() {
            continue;
        }
        let data = match kind {
            EventType::TicketCreated => {
                let message = match changes["message_id"]["after"].as_i64() {
                    Some(id) => Some(WebhookMessage::from(&load_message(tx, id).await?)),
                    None => None,
                };
                WebhookData::TicketCreated(TicketCreatedData {
                    ticket: ticket(tx, entity_id).await?,
                    message,
                    actor: actor.into(),
                })
            }
            EventType::MessageAdded => {
                let Some(message_id) = changes["message_id"]["after"].as_i64() else {
                    continue;
                };
                let message = load_message(tx, message_id).await?;
                WebhookData::MessageAdded(MessageAddedData {
                    ticket: ticket(tx, entity_id).await?,
                    message: WebhookMessage::from(&message),
                })
            }
            EventType::StateChanged => {
                let state = |field: &str| {
                    let change = &changes[field];
                    Some(StateChange {
                        before: change["before"].as_str()?.to_owned(),
                        after: change["after"].as_str()?.to_owned(),
                    })
                };
                WebhookData::StateChanged(StateChangedData {
                    ticket: ticket(tx, entity_id).await?,
                    cause: action.to_owned(),
                    conversation: state("conversation"),
                    problem: state("problem"),
                    actor: actor.into(),
                })
            }
            EventType::PromiseBroken => {
                let row = sqlx::query(
                    "SELECT id, customer_id, ticket_id, agent_id, kind, what, due_at FROM promises WHERE id = $1",
                )
                .bind(entity_id)
                .fetch_one(&mut **tx)
                .await?;
                WebhookData::PromiseBroken(PromiseBrokenData {
                    promise_id: int(&row, "id")?,
                    customer_id: int(&row, "customer_id")?,
                    ticket_id: opt_int(&row, "ticket_id")?,
                    agent_id: int(&row, "agent_id")?,
                    kind: named(&row, "kind")?,
                    what: text(&row, "what")?,
                    due_at: text(&row, "due_at")?,
                })
            }
            EventType::Escalation => {
                let moved_up = action == "escalation.moved_up";
                let to_agent_id = if moved_up {
                    changes["manager_id"]["after"].as_i64()
                } else {
                    changes["manager_id"]
                        .as_i64()
                        .or_else(|| changes["handler_id"].as_i64())
                };
                WebhookData::Escalation(EscalationData {
                    ticket: ticket(tx, entity_id).await?,
                    step: if moved_up { "moved_up" } else { "escalated" }.to_owned(),
                    source: changes["source"].as_str().map(str::to_owned),
                    reason: changes["reason"].as_str().map(str::to_owned),
                    to_agent_id,
                    actor: actor.into(),
                })
            }
            EventType::SurveyAnswered => WebhookData::SurveyAnswered(SurveyAnsweredData {
                customer_id: entity_id,
                kind: changes["kind"]["after"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                score: changes["score"]["after"].as_i64().unwrap_or_default(),
            }),
            // Not audit events: see `publish_health_band` and `Store::queue_test_webhook`.
            EventType::HealthBandChanged | EventType::Test => continue,
        };
        queue(tx, at, kind, data, &to).await?;
    }
    Ok(())
}

async fn ticket(tx: &mut Tx, id: i64) -> StoreResult<WebhookTicket> {
    Ok(WebhookTicket::from(&load_ticket(tx, id).await?))
}

/// Queues `customer.health_band_changed` when a recompute moved a customer to another band.
pub(crate) async fn publish_health_band(
    tx: &mut Tx,
    now: &str,
    customer_id: i64,
    before: Band,
    after: Band,
    score: i64,
) -> StoreResult<()> {
    if before == after {
        return Ok(());
    }
    let to = subscribers(tx, EventType::HealthBandChanged).await?;
    if to.is_empty() {
        return Ok(());
    }
    let data = WebhookData::HealthBandChanged(HealthBandChangedData {
        customer_id,
        before,
        after,
        score,
    });
    queue(tx, now, EventType::HealthBandChanged, data, &to).await?;
    Ok(())
}

impl Store {
    /// Adds a subscription with a new secret; returns it and the secret.
    pub async fn create_webhook(
        &self,
        fields: SubscriptionFields,
        actor: Actor,
    ) -> StoreResult<(Subscription, String)> {
        let fields = fields.checked()?;
        let now = self.now();
        let secret = secrets::generate("whsec_");
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(&format!(
            "INSERT INTO webhook_subscriptions (url, description, secret, event_types, active, created_by, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING {COLUMNS}"
        ))
        .bind(&fields.url)
        .bind(&fields.description)
        .bind(&secret)
        .bind(types_to(&fields.event_types))
        .bind(i64::from(fields.active))
        .bind(match actor {
            Actor::Agent(id) => Some(id),
            _ => None,
        })
        .bind(&now)
        .fetch_one(&mut *tx)
        .await?;
        let subscription = subscription_from(&row)?;
        events::record(
            &mut tx,
            &now,
            actor,
            "webhook",
            subscription.id,
            "webhook.created",
            json!({
                "url": events::change(None::<String>, &subscription.url),
                "event_types": events::change(None::<String>, types_to(&subscription.event_types)),
                "active": events::change(None::<bool>, subscription.active),
            }),
        )
        .await?;
        tx.commit().await?;
        Ok((subscription, secret))
    }

    /// Every subscription, oldest first.
    pub async fn webhooks(&self) -> StoreResult<Vec<Subscription>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM webhook_subscriptions ORDER BY id"
        ))
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(subscription_from).collect()
    }

    pub async fn webhook(&self, id: i64) -> StoreResult<Subscription> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM webhook_subscriptions WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(self.pool())
        .await?
        .ok_or_else(|| StoreError::not_found("webhook", id))?;
        subscription_from(&row)
    }

    /// The secret deliveries are signed with (for admins to copy into the receiver).
    pub async fn webhook_secret(&self, id: i64) -> StoreResult<String> {
        sqlx::query_scalar("SELECT secret FROM webhook_subscriptions WHERE id = $1")
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .ok_or_else(|| StoreError::not_found("webhook", id))
    }

    /// Changes a subscription's address, description, events or whether it is active.
    pub async fn update_webhook(
        &self,
        id: i64,
        fields: SubscriptionFields,
        actor: Actor,
    ) -> StoreResult<Subscription> {
        let fields = fields.checked()?;
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let before = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM webhook_subscriptions WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| StoreError::not_found("webhook", id))?;
        let before = subscription_from(&before)?;
        let row = sqlx::query(&format!(
            "UPDATE webhook_subscriptions SET url = $1, description = $2, event_types = $3, active = $4, updated_at = $5 \
             WHERE id = $6 RETURNING {COLUMNS}"
        ))
        .bind(&fields.url)
        .bind(&fields.description)
        .bind(types_to(&fields.event_types))
        .bind(i64::from(fields.active))
        .bind(&now)
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
        let after = subscription_from(&row)?;
        let mut changes = serde_json::Map::new();
        if before.url != after.url {
            changes.insert("url".into(), events::change(&before.url, &after.url));
        }
        if before.event_types != after.event_types {
            changes.insert(
                "event_types".into(),
                events::change(types_to(&before.event_types), types_to(&after.event_types)),
            );
        }
        if before.active != after.active {
            changes.insert("active".into(), events::change(before.active, after.active));
        }
        if before.description != after.description {
            changes.insert(
                "description".into(),
                events::change(&before.description, &after.description),
            );
        }
        events::record(
            &mut tx,
            &now,
            actor,
            "webhook",
            id,
            "webhook.updated",
            Value::Object(changes),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Removes a subscription with its delivery log; its queued deliveries are dropped.
    pub async fn delete_webhook(&self, id: i64, actor: Actor) -> StoreResult<()> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let url: Option<String> =
            sqlx::query_scalar("SELECT url FROM webhook_subscriptions WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
        let Some(url) = url else {
            return Err(StoreError::not_found("webhook", id));
        };
        // The attempts and deliveries go with it (ON DELETE CASCADE); their jobs find nothing
        // to send and finish.
        sqlx::query(
            "DELETE FROM webhook_attempts WHERE delivery_id IN (SELECT id FROM webhook_deliveries WHERE subscription_id = $1)",
        )
        .bind(id)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM webhook_deliveries WHERE subscription_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM webhook_subscriptions WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        events::record(
            &mut tx,
            &now,
            actor,
            "webhook",
            id,
            "webhook.deleted",
            json!({ "url": events::change(url, None::<String>) }),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Queues a `webhook.test` event for one subscription (active or paused); returns the
    /// delivery's id.
    pub async fn queue_test_webhook(&self, id: i64, actor: Actor) -> StoreResult<i64> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let found: Option<i64> =
            sqlx::query_scalar("SELECT id FROM webhook_subscriptions WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
        if found.is_none() {
            return Err(StoreError::not_found("webhook", id));
        }
        let data = WebhookData::Test(TestEventData {
            subscription_id: id,
            message: "A test event from Rapport: if you can read this, deliveries reach you."
                .to_owned(),
        });
        let delivery = queue(&mut tx, &now, EventType::Test, data, &[id]).await?;
        events::record(
            &mut tx,
            &now,
            actor,
            "webhook",
            id,
            "webhook.test_sent",
            json!({}),
        )
        .await?;
        tx.commit().await?;
        delivery
            .first()
            .copied()
            .ok_or_else(|| StoreError::Corrupt("a test delivery was not written".to_owned()))
    }

    /// A subscription's deliveries, newest first, a page at a time (below `before_id`).
    pub async fn webhook_deliveries(
        &self,
        subscription_id: i64,
        before_id: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<Delivery>> {
        self.webhook(subscription_id).await?;
        let rows = sqlx::query(&format!(
            "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries d {LAST_ATTEMPT_JOIN} \
             WHERE d.subscription_id = $1 AND d.id < $2 ORDER BY d.id DESC LIMIT $3"
        ))
        .bind(subscription_id)
        .bind(before_id.unwrap_or(i64::MAX))
        .bind(i64::from(limit))
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(delivery_from).collect()
    }

    /// One delivery of a subscription, with its body and every attempt.
    pub async fn webhook_delivery(
        &self,
        subscription_id: i64,
        id: i64,
    ) -> StoreResult<DeliveryDetail> {
        let row = sqlx::query(&format!(
            "SELECT {DELIVERY_COLUMNS}, d.body FROM webhook_deliveries d {LAST_ATTEMPT_JOIN} \
             WHERE d.id = $1 AND d.subscription_id = $2"
        ))
        .bind(id)
        .bind(subscription_id)
        .fetch_optional(self.pool())
        .await?
        .ok_or_else(|| StoreError::not_found("webhook delivery", id))?;
        let delivery = delivery_from(&row)?;
        let body = serde_json::from_str(&text(&row, "body")?)
            .map_err(|err| StoreError::Corrupt(format!("a webhook body: {err}")))?;
        let attempts = sqlx::query(
            "SELECT attempted_at, response_status, duration_ms, response_excerpt, error FROM webhook_attempts \
             WHERE delivery_id = $1 ORDER BY id",
        )
        .bind(id)
        .fetch_all(self.pool())
        .await?;
        let attempt_log = attempts
            .iter()
            .map(|row| {
                Ok(DeliveryAttempt {
                    attempted_at: text(row, "attempted_at")?,
                    response_status: opt_int(row, "response_status")?,
                    duration_ms: int(row, "duration_ms")?,
                    response_excerpt: text(row, "response_excerpt")?,
                    error: opt_text(row, "error")?,
                })
            })
            .collect::<StoreResult<Vec<_>>>()?;
        Ok(DeliveryDetail {
            delivery,
            body,
            attempt_log,
        })
    }

    /// Takes the next due delivery (or the one named by `only`), leasing its job for
    /// `lease_seconds` so no other sender takes it meanwhile; if the sender dies, the lease
    /// runs out and it is sent again (same event id, so the receiver can tell).
    pub async fn claim_webhook_delivery(
        &self,
        lease_seconds: i64,
        only: Option<i64>,
    ) -> StoreResult<Option<DueDelivery>> {
        loop {
            let now = self.now();
            let mut tx = self.begin_write().await?;
            let lock = match self.backend() {
                Backend::Sqlite => "",
                Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            };
            let row = match only {
                None => {
                    sqlx::query(&format!(
                        "SELECT id, payload FROM jobs WHERE kind = $1 AND done_at IS NULL AND run_at <= $2 \
                         ORDER BY run_at, id LIMIT 1{lock}"
                    ))
                    .bind(Job::WEBHOOK_KIND)
                    .bind(&now)
                    .fetch_optional(&mut *tx)
                    .await?
                }
                Some(delivery_id) => {
                    // Due only: a delivery another sender has leased (its time moved on) is
                    // that sender's to post, so a test event is not posted twice.
                    sqlx::query(&format!(
                        "SELECT id, payload FROM jobs WHERE kind = $1 AND done_at IS NULL AND payload = $2 \
                         AND run_at <= $3 ORDER BY id LIMIT 1{lock}"
                    ))
                    .bind(Job::WEBHOOK_KIND)
                    .bind(Job::DeliverWebhook { delivery_id }.to_stored().1)
                    .bind(&now)
                    .fetch_optional(&mut *tx)
                    .await?
                }
            };
            let Some(row) = row else {
                return Ok(None);
            };
            let job_id = int(&row, "id")?;
            let delivery_id = match Job::from_stored(Job::WEBHOOK_KIND, &text(&row, "payload")?) {
                Ok(Job::DeliverWebhook { delivery_id }) => delivery_id,
                _ => {
                    return Err(StoreError::Corrupt(format!(
                        "job {job_id} is not a webhook delivery"
                    )));
                }
            };
            let found = sqlx::query(
                "SELECT d.attempts, d.body, d.status, s.url, s.secret, s.active FROM webhook_deliveries d \
                 JOIN webhook_subscriptions s ON s.id = d.subscription_id WHERE d.id = $1",
            )
            .bind(delivery_id)
            .fetch_optional(&mut *tx)
            .await?;
            let found = match found {
                Some(row)
                    if named::<DeliveryStatus>(&row, "status")? == DeliveryStatus::Pending =>
                {
                    row
                }
                // Its subscription was deleted, or it was settled already: nothing to send.
                _ => {
                    jobs::finish(&mut tx, &now, job_id).await?;
                    tx.commit().await?;
                    continue;
                }
            };
            if int(&found, "active")? == 0 && only.is_none() {
                // Paused: it waits, and is looked at again in a while.
                sqlx::query("UPDATE jobs SET run_at = $1 WHERE id = $2")
                    .bind(self.from_now(PAUSED_RECHECK_SECONDS))
                    .bind(job_id)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                continue;
            }
            sqlx::query("UPDATE jobs SET run_at = $1 WHERE id = $2")
                .bind(self.from_now(lease_seconds))
                .bind(job_id)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            return Ok(Some(DueDelivery {
                job_id,
                delivery_id,
                url: text(&found, "url")?,
                secret: text(&found, "secret")?,
                body: text(&found, "body")?,
                attempt: int(&found, "attempts")? + 1,
            }));
        }
    }

    /// Records an attempt: delivered, or tried again on the domain's schedule, or given up
    /// after the last attempt. Returns where the delivery stands.
    pub async fn webhook_attempted(
        &self,
        due: &DueDelivery,
        outcome: &AttemptOutcome,
    ) -> StoreResult<DeliveryStatus> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let excerpt: String = outcome.response_excerpt.chars().take(1000).collect();
        sqlx::query(
            "INSERT INTO webhook_attempts (delivery_id, attempted_at, response_status, duration_ms, response_excerpt, error) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(due.delivery_id)
        .bind(&now)
        .bind(outcome.response_status.map(i64::from))
        .bind(outcome.duration_ms)
        .bind(excerpt)
        .bind(&outcome.error)
        .execute(&mut *tx)
        .await?;
        let retry = webhook::retry_after_seconds(due.attempt);
        let (status, next) = if outcome.delivered() {
            (DeliveryStatus::Delivered, None)
        } else if let Some(seconds) = retry {
            (DeliveryStatus::Pending, Some(self.from_now(seconds)))
        } else {
            (DeliveryStatus::Failed, None)
        };
        let finished = (status != DeliveryStatus::Pending).then_some(&now);
        sqlx::query(
            "UPDATE webhook_deliveries SET attempts = $1, status = $2, next_attempt_at = $3, finished_at = $4 WHERE id = $5",
        )
        .bind(due.attempt)
        .bind(status.as_str())
        .bind(&next)
        .bind(finished)
        .bind(due.delivery_id)
        .execute(&mut *tx)
        .await?;
        match &next {
            Some(run_at) => {
                sqlx::query(
                    "UPDATE jobs SET run_at = $1, attempts = $2, last_error = $3 WHERE id = $4",
                )
                .bind(run_at)
                .bind(due.attempt)
                .bind(outcome.error.clone().or_else(|| {
                    outcome
                        .response_status
                        .map(|status| format!("the receiver answered {status}"))
                }))
                .bind(due.job_id)
                .execute(&mut *tx)
                .await?;
            }
            None => {
                sqlx::query("UPDATE jobs SET done_at = $1, attempts = $2 WHERE id = $3")
                    .bind(&now)
                    .bind(due.attempt)
                    .bind(due.job_id)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        tx.commit().await?;
        Ok(status)
    }

    /// Deliveries waiting to be sent (for the metrics' queue depth).
    pub async fn pending_webhook_deliveries(&self) -> StoreResult<i64> {
        Ok(
            sqlx::query_scalar("SELECT COUNT(*) FROM webhook_deliveries WHERE status = $1")
                .bind(DeliveryStatus::Pending.as_str())
                .fetch_one(self.pool())
                .await?,
        )
    }
}

/// How long a paused subscription's queued delivery waits before it is looked at again.
const PAUSED_RECHECK_SECONDS: i64 = 300;

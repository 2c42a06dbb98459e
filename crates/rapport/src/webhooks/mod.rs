//! Webhooks in the API (admins only): subscriptions (an address, the events chosen, active or
//! paused, a secret we generate), their delivery log, and a test event. The bodies and the
//! signature are described in `rapport_domain::webhook`; the sender is [`send`].

pub mod send;

use crate::app::App;
use crate::cursor;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{AuthAgent, Json, Path, Query};
use axum::extract::State;
use axum::http::StatusCode;
use rapport_domain::Role;
use rapport_domain::webhook::EventType;
use rapport_store::webhooks::{Delivery, DeliveryDetail, Subscription, SubscriptionFields};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub use send::Sender;

pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(list_webhooks, create_webhook))
        .routes(routes!(show_webhook, update_webhook, delete_webhook))
        .routes(routes!(test_webhook))
        .routes(routes!(list_deliveries))
        .routes(routes!(show_delivery))
}

const DOING: &str = "Managing webhooks";

#[derive(Serialize, ToSchema)]
pub struct WebhookList {
    items: Vec<Subscription>,
}

/// A subscription with the secret its deliveries are signed with.
#[derive(Serialize, ToSchema)]
pub struct WebhookWithSecret {
    #[serde(flatten)]
    subscription: Subscription,
    /// HMAC-SHA256 key: each delivery carries `Rapport-Signature: t=<unix seconds>,v1=<hex of
    /// HMAC(secret, "<t>.<body>")>`.
    secret: String,
}

/// A new subscription.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookInput {
    /// `https://` (or `http://`) address that receives a POST per event.
    url: String,
    /// What it is for, such as "Slack #support".
    #[serde(default)]
    description: String,
    /// At least one of: `ticket.created`, `message.added`, `ticket.state_changed`,
    /// `promise.broken`, `ticket.escalated`, `survey.answered`, `customer.health_band_changed`.
    event_types: Vec<EventType>,
    /// `false` to add it paused; `true` unless given.
    active: Option<bool>,
}

/// A change to a subscription: fields left out stay as they are.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookChange {
    url: Option<String>,
    description: Option<String>,
    event_types: Option<Vec<EventType>>,
    /// `false` pauses it (no new events are queued; queued ones wait), `true` resumes it.
    active: Option<bool>,
}

impl App {
    /// The fields of a subscription, its address checked against where webhooks may go.
    fn webhook_fields(&self, fields: SubscriptionFields) -> ApiResult<SubscriptionFields> {
        let url = self
            .webhooks
            .check_url(&fields.url)
            .map_err(|invalid| ApiError::invalid(invalid.message))?;
        Ok(SubscriptionFields { url, ..fields })
    }
}

/// The webhook subscriptions. Needs the admin role.
#[utoipa::path(get, path = "/api/v1/webhooks", tag = "webhooks", security(("bearer" = [])),
    responses((status = 200, body = WebhookList), (status = 403, body = ErrorBody)))]
pub async fn list_webhooks(
    State(app): State<App>,
    auth: AuthAgent,
) -> ApiResult<Json<WebhookList>> {
    auth.require(Role::Admin, DOING)?;
    Ok(Json(WebhookList {
        items: app.store.webhooks().await?,
    }))
}

/// Add a subscription. The answer carries the new secret; the receiver checks each delivery's
/// signature with it. Needs the admin role.
#[utoipa::path(post, path = "/api/v1/webhooks", tag = "webhooks", security(("bearer" = [])),
    request_body = WebhookInput,
    responses((status = 201, body = WebhookWithSecret), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_webhook(
    State(app): State<App>,
    auth: AuthAgent,
    Json(input): Json<WebhookInput>,
) -> ApiResult<(StatusCode, Json<WebhookWithSecret>)> {
    auth.require(Role::Admin, DOING)?;
    let fields = app.webhook_fields(SubscriptionFields {
        url: input.url,
        description: input.description,
        event_types: input.event_types,
        active: input.active.unwrap_or(true),
    })?;
    let (subscription, secret) = app.store.create_webhook(fields, auth.actor()).await?;
    Ok((
        StatusCode::CREATED,
        Json(WebhookWithSecret {
            subscription,
            secret,
        }),
    ))
}

/// One subscription with its secret. Needs the admin role.
#[utoipa::path(get, path = "/api/v1/webhooks/{id}", tag = "webhooks", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Webhook id")),
    responses((status = 200, body = WebhookWithSecret), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn show_webhook(
    State(app): State<App>,
    auth: AuthAgent,
    Path(id): Path<i64>,
) -> ApiResult<Json<WebhookWithSecret>> {
    auth.require(Role::Admin, DOING)?;
    Ok(Json(WebhookWithSecret {
        subscription: app.store.webhook(id).await?,
        secret: app.store.webhook_secret(id).await?,
    }))
}

/// Change a subscription's address, description, events, or pause and resume it. Needs the
/// admin role.
#[utoipa::path(patch, path = "/api/v1/webhooks/{id}", tag = "webhooks", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Webhook id")),
    request_body = WebhookChange,
    responses((status = 200, body = Subscription), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_webhook(
    State(app): State<App>,
    auth: AuthAgent,
    Path(id): Path<i64>,
    Json(change): Json<WebhookChange>,
) -> ApiResult<Json<Subscription>> {
    auth.require(Role::Admin, DOING)?;
    let now = app.store.webhook(id).await?;
    let fields = app.webhook_fields(SubscriptionFields {
        url: change.url.unwrap_or(now.url),
        description: change.description.unwrap_or(now.description),
        event_types: change.event_types.unwrap_or(now.event_types),
        active: change.active.unwrap_or(now.active),
    })?;
    Ok(Json(
        app.store.update_webhook(id, fields, auth.actor()).await?,
    ))
}

/// Remove a subscription with its delivery log; deliveries still queued are dropped. Needs
/// the admin role.
#[utoipa::path(delete, path = "/api/v1/webhooks/{id}", tag = "webhooks", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Webhook id")),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_webhook(
    State(app): State<App>,
    auth: AuthAgent,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    auth.require(Role::Admin, DOING)?;
    app.store.delete_webhook(id, auth.actor()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Send a `webhook.test` event now (paused or not) and answer with what the receiver said. A
/// failed test is retried like any delivery. Needs the admin role.
#[utoipa::path(post, path = "/api/v1/webhooks/{id}/test", tag = "webhooks", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Webhook id")),
    responses((status = 200, body = DeliveryDetail), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn test_webhook(
    State(app): State<App>,
    auth: AuthAgent,
    Path(id): Path<i64>,
) -> ApiResult<Json<DeliveryDetail>> {
    auth.require(Role::Admin, DOING)?;
    let delivery = app.store.queue_test_webhook(id, auth.actor()).await?;
    send::send_now(&app, delivery).await?;
    Ok(Json(app.store.webhook_delivery(id, delivery).await?))
}

const DEFAULT_LIMIT: u32 = 50;
const MAX_LIMIT: u32 = 200;

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct DeliveriesQuery {
    /// 1 to 200; 50 unless given.
    limit: Option<u32>,
    /// `next_cursor` from the previous page.
    cursor: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct DeliveryList {
    items: Vec<Delivery>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    next_cursor: Option<String>,
}

/// A subscription's delivery log, newest first: each event's status, attempts and the last
/// answer (status, time taken, the first part of the body). Needs the admin role.
#[utoipa::path(get, path = "/api/v1/webhooks/{id}/deliveries", tag = "webhooks", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Webhook id"), DeliveriesQuery),
    responses((status = 200, body = DeliveryList), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_deliveries(
    State(app): State<App>,
    auth: AuthAgent,
    Path(id): Path<i64>,
    Query(query): Query<DeliveriesQuery>,
) -> ApiResult<Json<DeliveryList>> {
    auth.require(Role::Admin, DOING)?;
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::bad_request(
            "invalid_query",
            format!("`limit` must be between 1 and {MAX_LIMIT}, not {limit}."),
        ));
    }
    let before_id = query
        .cursor
        .as_deref()
        .map(|given| cursor::decode('w', given))
        .transpose()?;
    let mut items = app
        .store
        .webhook_deliveries(id, before_id, limit + 1)
        .await?;
    let next_cursor = if items.len() > limit as usize {
        items.truncate(limit as usize);
        items
            .last()
            .map(|delivery| cursor::encode('w', delivery.id))
    } else {
        None
    };
    Ok(Json(DeliveryList { items, next_cursor }))
}

/// One delivery: the body sent and every attempt with the receiver's answer. Needs the admin
/// role.
#[utoipa::path(get, path = "/api/v1/webhooks/{id}/deliveries/{delivery_id}", tag = "webhooks", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Webhook id"), ("delivery_id" = i64, Path, description = "Delivery id")),
    responses((status = 200, body = DeliveryDetail), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn show_delivery(
    State(app): State<App>,
    auth: AuthAgent,
    Path((id, delivery_id)): Path<(i64, i64)>,
) -> ApiResult<Json<DeliveryDetail>> {
    auth.require(Role::Admin, DOING)?;
    Ok(Json(app.store.webhook_delivery(id, delivery_id).await?))
}

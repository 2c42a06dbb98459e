//! `/admin/webhooks`: the webhook subscriptions (add, change, pause and resume, delete), each
//! with its secret, its delivery log and a button that sends a test event. The same store
//! steps as `/api/v1/webhooks`.

use super::{Fields, admin_only, back};
use crate::app::App;
use crate::pages::{Id, PageResult, SignedIn, Submitted, When, correctable, render_with};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use rapport_domain::webhook::EventType;
use rapport_domain::{Actor, Agent};
use rapport_store::webhooks::{Delivery, Subscription, SubscriptionFields};

#[derive(Template)]
#[template(path = "admin/webhooks.html")]
struct WebhooksPage {
    agent: Agent,
    csrf: String,
    query: String,
    webhooks: Vec<Subscription>,
    choices: Vec<(&'static str, &'static str)>,
    flash: Option<String>,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "admin/webhook.html")]
struct WebhookPage {
    agent: Agent,
    csrf: String,
    query: String,
    webhook: Subscription,
    secret: String,
    choices: Vec<(&'static str, &'static str)>,
    deliveries: Vec<DeliveryLine>,
    flash: Option<String>,
    error: Option<String>,
}

/// A delivery as the log lists it.
struct DeliveryLine {
    delivery: Delivery,
    created: When,
    /// The latest answer in words: "200 in 35 ms", "not reached: ...".
    answer: String,
    excerpt: String,
}

fn choices() -> Vec<(&'static str, &'static str)> {
    EventType::SUBSCRIBABLE
        .iter()
        .map(|kind| (kind.as_str(), kind.label()))
        .collect()
}

impl WebhooksPage {
    fn events_of(&self, webhook: &Subscription) -> String {
        webhook
            .event_types
            .iter()
            .map(|kind| kind.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl WebhookPage {
    fn chosen(&self, name: &str) -> bool {
        self.webhook
            .event_types
            .iter()
            .any(|kind| kind.as_str() == name)
    }
}

async fn list_page(
    app: &App,
    signed_in: SignedIn,
    status: StatusCode,
    flash: Option<String>,
    error: Option<String>,
) -> PageResult {
    Ok(render_with(
        status,
        &WebhooksPage {
            agent: signed_in.agent,
            csrf: signed_in.csrf,
            query: String::new(),
            webhooks: app.store.webhooks().await?,
            choices: choices(),
            flash,
            error,
        },
    ))
}

async fn detail_page(
    app: &App,
    signed_in: SignedIn,
    id: i64,
    status: StatusCode,
    flash: Option<String>,
    error: Option<String>,
) -> PageResult {
    let webhook = app.store.webhook(id).await?;
    let secret = app.store.webhook_secret(id).await?;
    let calendar = app.store.calendar().await?;
    let deliveries = app
        .store
        .webhook_deliveries(id, None, 50)
        .await?
        .into_iter()
        .map(|delivery| {
            let (answer, excerpt) = match &delivery.last_attempt {
                None => ("not tried yet".to_owned(), String::new()),
                Some(attempt) => {
                    let answer = match (attempt.response_status, &attempt.error) {
                        (Some(status), _) => {
                            format!("{status} in {} ms", attempt.duration_ms)
                        }
                        (None, Some(error)) => format!("no answer: {error}"),
                        (None, None) => "no answer".to_owned(),
                    };
                    (answer, attempt.response_excerpt.chars().take(200).collect())
                }
            };
            DeliveryLine {
                created: When::on(&calendar, &delivery.created_at),
                delivery,
                answer,
                excerpt,
            }
        })
        .collect();
    Ok(render_with(
        status,
        &WebhookPage {
            agent: signed_in.agent,
            csrf: signed_in.csrf,
            query: String::new(),
            webhook,
            secret,
            choices: choices(),
            deliveries,
            flash,
            error,
        },
    ))
}

pub async fn show_webhooks(
    State(app): State<App>,
    signed_in: SignedIn,
    Query(query): Query<super::Done>,
) -> PageResult {
    admin_only(&signed_in)?;
    list_page(&app, signed_in, StatusCode::OK, query.done, None).await
}

pub async fn show_webhook(
    State(app): State<App>,
    signed_in: SignedIn,
    Id(id): Id,
    Query(query): Query<super::Done>,
) -> PageResult {
    admin_only(&signed_in)?;
    detail_page(&app, signed_in, id, StatusCode::OK, query.done, None).await
}

/// The subscription a form describes; an event name it does not know is said in words.
fn fields_in(app: &App, fields: &Fields, active: bool) -> Result<SubscriptionFields, String> {
    let url = app
        .webhooks
        .check_url(&fields.text("url"))
        .map_err(|invalid| invalid.message)?;
    let event_types = fields
        .0
        .iter()
        .filter(|(name, _)| name == "event_types")
        .map(|(_, value)| {
            value
                .parse::<EventType>()
                .map_err(|invalid| invalid.message)
        })
        .collect::<Result<Vec<_>, _>>()?;
    if event_types.is_empty() {
        return Err("Choose at least one event to send.".to_owned());
    }
    let description = fields.text("description");
    if description.chars().count() > 200 {
        return Err("What the webhook is for can be at most 200 characters long.".to_owned());
    }
    Ok(SubscriptionFields {
        url,
        description,
        event_types,
        active,
    })
}

pub async fn create_webhook(
    State(app): State<App>,
    signed_in: SignedIn,
    Submitted(fields): Submitted<Vec<(String, String)>>,
) -> PageResult {
    admin_only(&signed_in)?;
    let fields = Fields::new(fields);
    let refused = match fields_in(&app, &fields, true) {
        Ok(webhook) => {
            match app
                .store
                .create_webhook(webhook, Actor::Agent(signed_in.agent.id))
                .await
            {
                Ok((webhook, _)) => {
                    return Ok(back(
                        &format!("/admin/webhooks/{}", webhook.id),
                        "Added the webhook. Copy its secret into the receiver, then send a test event.",
                    ));
                }
                Err(error) => correctable(error)?,
            }
        }
        Err(message) => (StatusCode::UNPROCESSABLE_ENTITY, message),
    };
    list_page(&app, signed_in, refused.0, None, Some(refused.1)).await
}

pub async fn update_webhook(
    State(app): State<App>,
    signed_in: SignedIn,
    Id(id): Id,
    Submitted(fields): Submitted<Vec<(String, String)>>,
) -> PageResult {
    admin_only(&signed_in)?;
    let fields = Fields::new(fields);
    let now = app.store.webhook(id).await?;
    let refused = match fields_in(&app, &fields, now.active) {
        Ok(webhook) => {
            match app
                .store
                .update_webhook(id, webhook, Actor::Agent(signed_in.agent.id))
                .await
            {
                Ok(_) => return Ok(back(&format!("/admin/webhooks/{id}"), "Saved the webhook.")),
                Err(error) => correctable(error)?,
            }
        }
        Err(message) => (StatusCode::UNPROCESSABLE_ENTITY, message),
    };
    detail_page(&app, signed_in, id, refused.0, None, Some(refused.1)).await
}

/// Pauses (`active` empty or `0`) or resumes (`active=1`) a subscription.
pub async fn set_active(
    State(app): State<App>,
    signed_in: SignedIn,
    Id(id): Id,
    Submitted(fields): Submitted<Vec<(String, String)>>,
) -> PageResult {
    admin_only(&signed_in)?;
    let active = Fields::new(fields).one("active") == Some("1");
    let now = app.store.webhook(id).await?;
    app.store
        .update_webhook(
            id,
            SubscriptionFields {
                url: now.url,
                description: now.description,
                event_types: now.event_types,
                active,
            },
            Actor::Agent(signed_in.agent.id),
        )
        .await?;
    let done = if active {
        "Resumed the webhook: new events are sent again, and deliveries that waited go out."
    } else {
        "Paused the webhook: no new events are queued; deliveries already queued wait until it is resumed."
    };
    Ok(back(&format!("/admin/webhooks/{id}"), done))
}

pub async fn test_webhook(
    State(app): State<App>,
    signed_in: SignedIn,
    Id(id): Id,
    Submitted(_): Submitted<Vec<(String, String)>>,
) -> PageResult {
    admin_only(&signed_in)?;
    let delivery = app
        .store
        .queue_test_webhook(id, Actor::Agent(signed_in.agent.id))
        .await?;
    crate::webhooks::send::send_now(&app, delivery).await?;
    let detail = app.store.webhook_delivery(id, delivery).await?;
    let done = match detail.delivery.last_attempt {
        Some(attempt)
            if detail.delivery.status == rapport_domain::webhook::DeliveryStatus::Delivered =>
        {
            format!(
                "Sent a test event: the receiver answered {} in {} ms.",
                attempt.response_status.unwrap_or_default(),
                attempt.duration_ms
            )
        }
        Some(attempt) => format!(
            "Sent a test event, but it did not arrive ({}). It will be tried again; see the deliveries below.",
            match (attempt.response_status, attempt.error) {
                (Some(status), _) => format!("the receiver answered {status}"),
                (None, Some(error)) => error,
                (None, None) => "no answer".to_owned(),
            }
        ),
        None => "Queued a test event; it goes out in a moment.".to_owned(),
    };
    Ok(back(&format!("/admin/webhooks/{id}"), &done))
}

pub async fn delete_webhook(
    State(app): State<App>,
    signed_in: SignedIn,
    Id(id): Id,
    Submitted(_): Submitted<Vec<(String, String)>>,
) -> PageResult {
    admin_only(&signed_in)?;
    let webhook = app.store.webhook(id).await?;
    app.store
        .delete_webhook(id, Actor::Agent(signed_in.agent.id))
        .await?;
    Ok(back(
        "/admin/webhooks",
        &format!("Deleted the webhook to {}.", webhook.url),
    ))
}

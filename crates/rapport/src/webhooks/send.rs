//! The webhook sender: takes due deliveries from the queue (the worker's loop calls
//! [`send_due`]; the "send a test event" action calls [`send_now`]), posts each signed body
//! outside any transaction, and records the answer. Retries follow
//! `rapport_domain::webhook::retry_after_seconds`.
//!
//! Where a delivery may go: `http` and `https` only; redirects are not followed (a 3xx is a
//! failed attempt); and unless `webhooks_allow_private` is set, never to a loopback, private
//! or link-local address. Names are resolved by our own resolver, which drops such addresses,
//! so a name that points inside (or is changed to, after the check) cannot be used to reach
//! what only the inside network should.

use crate::app::App;
use rapport_domain::webhook::{self, DeliveryStatus};
use rapport_store::StoreResult;
use rapport_store::webhooks::{AttemptOutcome, DueDelivery};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long one delivery may take, connecting included.
const TIMEOUT: Duration = Duration::from_secs(10);

/// How long a claimed delivery is reserved for one sender before another may try.
const LEASE_SECONDS: i64 = 60;

/// At most this many deliveries per round, so the worker's other work is not held up.
const PER_ROUND: usize = 200;

/// How much of a receiver's answer is kept on the delivery log.
const EXCERPT_BYTES: usize = 1000;

/// An HTTP client for webhooks, built once per process.
#[derive(Clone)]
pub struct Sender {
    client: reqwest::Client,
    allow_private: bool,
}

impl Sender {
    pub fn new(allow_private: bool) -> anyhow::Result<Sender> {
        let client = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .connect_timeout(Duration::from_secs(5))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("Rapport-Webhooks/", env!("CARGO_PKG_VERSION")))
            .dns_resolver(Arc::new(Resolver { allow_private }))
            .no_proxy()
            .build()?;
        Ok(Sender {
            client,
            allow_private,
        })
    }

    /// Whether an address typed by an admin may be used: an `http(s)` URL whose host, if it is
    /// an IP address, is public (or private ones are allowed). Names are checked when resolved.
    pub fn check_url(&self, url: &str) -> Result<String, rapport_domain::Invalid> {
        let url = webhook::check_url(url)?;
        let parsed = reqwest::Url::parse(&url).map_err(|err| {
            rapport_domain::Invalid::new("url", format!("This address cannot be read: {err}."))
        })?;
        if !self.host_allowed(&parsed) {
            return Err(rapport_domain::Invalid::new(
                "url",
                "This address is on this machine or a private network, which webhooks may not reach here. \
                 A server admin can allow it with webhooks_allow_private in the configuration."
                    .to_owned(),
            ));
        }
        Ok(url)
    }

    fn host_allowed(&self, url: &reqwest::Url) -> bool {
        if self.allow_private {
            return true;
        }
        let Some(host) = url.host_str() else {
            return false;
        };
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        match bare.parse::<std::net::IpAddr>() {
            Ok(ip) => webhook::is_public(ip),
            // Names are checked as they are resolved (see `Resolver`).
            Err(_) => !bare.eq_ignore_ascii_case("localhost"),
        }
    }

    /// Posts one delivery and says what came of it.
    async fn post(&self, due: &DueDelivery, timestamp: i64, event_type: &str) -> AttemptOutcome {
        let started = Instant::now();
        let elapsed =
            |started: Instant| i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
        let refused = |error: String| AttemptOutcome {
            response_status: None,
            duration_ms: elapsed(started),
            response_excerpt: String::new(),
            error: Some(error),
        };
        let url = match reqwest::Url::parse(&due.url) {
            Ok(url) if matches!(url.scheme(), "http" | "https") => url,
            _ => return refused("the address is not an http or https URL".to_owned()),
        };
        if !self.host_allowed(&url) {
            return refused(
                "the address is on this machine or a private network, which webhooks may not reach"
                    .to_owned(),
            );
        }
        let signature = webhook::signature_header(&due.secret, timestamp, due.body.as_bytes());
        let sent = self
            .client
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(webhook::SIGNATURE_HEADER, signature)
            .header("Rapport-Event", event_type)
            .header("Rapport-Delivery", due.delivery_id.to_string())
            .body(due.body.clone())
            .send()
            .await;
        let mut response = match sent {
            Ok(response) => response,
            Err(error) => return refused(describe(&error)),
        };
        let status = response.status().as_u16();
        let mut excerpt = Vec::new();
        while excerpt.len() < EXCERPT_BYTES {
            match response.chunk().await {
                Ok(Some(chunk)) => excerpt.extend_from_slice(&chunk),
                // The status is what counts; a body cut short is no reason to retry.
                Ok(None) | Err(_) => break,
            }
        }
        excerpt.truncate(EXCERPT_BYTES);
        AttemptOutcome {
            response_status: Some(status),
            duration_ms: elapsed(started),
            response_excerpt: String::from_utf8_lossy(&excerpt).into_owned(),
            error: None,
        }
    }

    /// Claims, posts and records one delivery (the next due, or the one named by `only`).
    async fn send_one(&self, app: &App, only: Option<i64>) -> StoreResult<Option<DeliveryStatus>> {
        let Some(due) = app
            .store
            .claim_webhook_delivery(LEASE_SECONDS, only)
            .await?
        else {
            return Ok(None);
        };
        let event_type = serde_json::from_str::<serde_json::Value>(&due.body)
            .ok()
            .and_then(|body| body["type"].as_str().map(str::to_owned))
            .unwrap_or_default();
        let timestamp = app.store.clock().now().unix_timestamp();
        let outcome = self.post(&due, timestamp, &event_type).await;
        if !outcome.delivered() {
            tracing::warn!(
                delivery = due.delivery_id,
                attempt = due.attempt,
                status = ?outcome.response_status,
                error = outcome.error.as_deref().unwrap_or_default(),
                "a webhook delivery failed"
            );
        }
        crate::metrics::webhook_attempt(outcome.delivered());
        app.store.webhook_attempted(&due, &outcome).await.map(Some)
    }
}

/// Posts every due delivery; returns how many attempts were made.
pub async fn send_due(app: &App) -> StoreResult<usize> {
    let mut attempts = 0;
    while attempts < PER_ROUND && app.webhooks.send_one(app, None).await?.is_some() {
        attempts += 1;
    }
    Ok(attempts)
}

/// Posts one delivery at once (the test event), whether or not it is due.
pub async fn send_now(app: &App, delivery_id: i64) -> StoreResult<()> {
    app.webhooks
        .send_one(app, Some(delivery_id))
        .await
        .map(drop)
}

/// An error in words for the delivery log, without the address (it is on the page already).
fn describe(error: &reqwest::Error) -> String {
    let what = if error.is_timeout() {
        "the receiver did not answer in time"
    } else if error.is_connect() {
        "the receiver could not be reached"
    } else {
        "the request failed"
    };
    let mut detail = String::new();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        detail = cause.to_string();
        source = cause.source();
    }
    if detail.is_empty() {
        what.to_owned()
    } else {
        format!("{what}: {detail}")
    }
}

/// Resolves names with the system's resolver, keeping only the addresses a webhook may reach.
struct Resolver {
    allow_private: bool,
}

impl reqwest::dns::Resolve for Resolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow_private = self.allow_private;
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|address| allow_private || webhook::is_public(address.ip()))
                .collect();
            if found.is_empty() {
                return Err(format!(
                    "{host} resolves only to addresses on this machine or a private network, which webhooks may not reach"
                )
                .into());
            }
            let addresses: reqwest::dns::Addrs = Box::new(found.into_iter());
            Ok(addresses)
        })
    }
}

//! `GET /metrics`: Prometheus' text format (version 0.0.4), written here by hand (a few
//! counters and one histogram do not need a crate).
//!
//! Two kinds of figure. This process's own, counted as they happen: HTTP requests by matched
//! route (the template, such as `/api/v1/tickets/{id}`, never the raw path, so ids cannot
//! blow up the series) and status, with a latency histogram; jobs that failed; mail sent or
//! refused by the SMTP server; webhook attempts. And the database's, read at each scrape so
//! every node reports the same: the job queue's depth (waiting by kind, due now, retrying),
//! inbound mail by outcome, webhook deliveries pending; plus this process's connection pool.
//!
//! The endpoint is off unless `metrics_token` is configured; then it asks for
//! `Authorization: Bearer <metrics_token>` (401 without it), which a Prometheus scrape job
//! sends with `authorization: {credentials: ...}`.

use crate::app::App;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{LazyLock, Mutex, PoisonError};
use std::time::Instant;

/// Upper bounds of the latency histogram's buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

#[derive(Default)]
struct Histogram {
    /// Counts per bucket (not cumulative; summed when written).
    buckets: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

impl Histogram {
    fn observe(&mut self, seconds: f64) {
        if let Some(i) = BUCKETS.iter().position(|bound| seconds <= *bound) {
            self.buckets[i] += 1;
        }
        self.count += 1;
        self.sum += seconds;
    }
}

/// This process's counters.
#[derive(Default)]
struct Counters {
    /// (method, route, status) -> requests.
    requests: BTreeMap<(String, String, u16), u64>,
    /// (method, route) -> latency.
    latency: BTreeMap<(String, String), Histogram>,
    /// job kind -> failures.
    job_failures: BTreeMap<String, u64>,
    /// "sent" or "failed" -> mails.
    mail_out: BTreeMap<&'static str, u64>,
    /// "delivered" or "failed" -> webhook attempts.
    webhook_attempts: BTreeMap<&'static str, u64>,
}

static COUNTERS: LazyLock<Mutex<Counters>> = LazyLock::new(Default::default);

fn counters() -> std::sync::MutexGuard<'static, Counters> {
    // A panic while counting leaves nothing half-written that matters.
    COUNTERS.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Counts a job that failed (it will be retried, or was given up).
pub fn job_failed(kind: &str) {
    *counters().job_failures.entry(kind.to_owned()).or_default() += 1;
}

/// Counts a mail the SMTP server accepted (`true`) or refused or could not take.
pub fn mail_sent(accepted: bool) {
    *counters()
        .mail_out
        .entry(if accepted { "sent" } else { "failed" })
        .or_default() += 1;
}

/// Counts a webhook attempt.
pub fn webhook_attempt(delivered: bool) {
    *counters()
        .webhook_attempts
        .entry(if delivered { "delivered" } else { "failed" })
        .or_default() += 1;
}

/// The middleware that counts every request by its matched route and status, and times it.
pub async fn track(request: Request, next: Next) -> Response {
    let method = request.method().as_str().to_owned();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", MatchedPath::as_str)
        .to_owned();
    let started = Instant::now();
    let response = next.run(request).await;
    let seconds = started.elapsed().as_secs_f64();
    let status = response.status().as_u16();
    let mut counters = counters();
    *counters
        .requests
        .entry((method.clone(), route.clone(), status))
        .or_default() += 1;
    counters
        .latency
        .entry((method, route))
        .or_default()
        .observe(seconds);
    response
}

/// `GET /metrics`.
pub async fn serve(State(app): State<App>, headers: HeaderMap) -> Response {
    let Some(token) = app.config.metrics_token.as_deref() else {
        return (
            StatusCode::NOT_FOUND,
            "Metrics are off: set metrics_token (or RAPPORT_METRICS_TOKEN) to turn them on.\n",
        )
            .into_response();
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .unwrap_or_default();
    if !same(given.trim().as_bytes(), token.as_bytes()) {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
            "Send the metrics token as Authorization: Bearer <token>.\n",
        )
            .into_response();
    }
    match render(&app).await {
        Ok(text) => (
            [(
                header::CONTENT_TYPE,
                "text/plain; version=0.0.4; charset=utf-8",
            )],
            text,
        )
            .into_response(),
        Err(error) => {
            tracing::error!(%error, "could not read the metrics from the database");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "The database could not be read for the metrics; try again in a moment.\n",
            )
                .into_response()
        }
    }
}

/// Compares in constant time (for equal lengths), so the token cannot be guessed byte by byte.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |diff, (x, y)| diff | (x ^ y)) == 0
}

/// A label value, escaped as the text format wants.
fn label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// Every figure, as the text format.
async fn render(app: &App) -> rapport_store::StoreResult<String> {
    let queue = app.store.queue_depth().await?;
    let received = app.store.mail_received().await?;
    let webhooks_pending = app.store.pending_webhook_deliveries().await?;
    let (open, idle, max) = app.store.pool_state();

    let mut out = String::new();
    {
        let counters = counters();
        header(
            &mut out,
            "rapport_http_requests_total",
            "counter",
            "HTTP requests answered by this process, by method, matched route and status.",
        );
        for ((method, route, status), n) in &counters.requests {
            let _ = writeln!(
                out,
                "rapport_http_requests_total{{method=\"{}\",route=\"{}\",status=\"{status}\"}} {n}",
                label(method),
                label(route)
            );
        }
        header(
            &mut out,
            "rapport_http_request_duration_seconds",
            "histogram",
            "Time to answer HTTP requests, by method and matched route.",
        );
        for ((method, route), histogram) in &counters.latency {
            let labels = format!("method=\"{}\",route=\"{}\"", label(method), label(route));
            let mut cumulative = 0;
            for (bound, n) in BUCKETS.iter().zip(histogram.buckets) {
                cumulative += n;
                let _ = writeln!(
                    out,
                    "rapport_http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {cumulative}"
                );
            }
            let _ = writeln!(
                out,
                "rapport_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
                histogram.count
            );
            let _ = writeln!(
                out,
                "rapport_http_request_duration_seconds_sum{{{labels}}} {}",
                histogram.sum
            );
            let _ = writeln!(
                out,
                "rapport_http_request_duration_seconds_count{{{labels}}} {}",
                histogram.count
            );
        }
        header(
            &mut out,
            "rapport_job_failures_total",
            "counter",
            "Jobs that failed in this process (each is retried with backoff, or given up), by kind.",
        );
        for (kind, n) in &counters.job_failures {
            let _ = writeln!(
                out,
                "rapport_job_failures_total{{kind=\"{}\"}} {n}",
                label(kind)
            );
        }
        header(
            &mut out,
            "rapport_mail_sent_total",
            "counter",
            "Mail this process handed to the SMTP server: sent (accepted) or failed (stays queued).",
        );
        for result in ["sent", "failed"] {
            let n = counters.mail_out.get(result).copied().unwrap_or_default();
            let _ = writeln!(out, "rapport_mail_sent_total{{result=\"{result}\"}} {n}");
        }
        header(
            &mut out,
            "rapport_webhook_attempts_total",
            "counter",
            "Webhook deliveries this process tried: delivered (a 2xx answer) or failed.",
        );
        for result in ["delivered", "failed"] {
            let n = counters
                .webhook_attempts
                .get(result)
                .copied()
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "rapport_webhook_attempts_total{{result=\"{result}\"}} {n}"
            );
        }
    }
    header(
        &mut out,
        "rapport_jobs_waiting",
        "gauge",
        "Jobs in the queue not yet done (due or scheduled later), by kind; from the database.",
    );
    for (kind, n) in &queue.waiting {
        let _ = writeln!(out, "rapport_jobs_waiting{{kind=\"{}\"}} {n}", label(kind));
    }
    header(
        &mut out,
        "rapport_jobs_due",
        "gauge",
        "Jobs due now and not yet done: the backlog; from the database.",
    );
    let _ = writeln!(out, "rapport_jobs_due {}", queue.due);
    header(
        &mut out,
        "rapport_jobs_retrying",
        "gauge",
        "Jobs not done that failed at least once and wait to be tried again, by kind; from the database.",
    );
    for (kind, n) in &queue.retrying {
        let _ = writeln!(out, "rapport_jobs_retrying{{kind=\"{}\"}} {n}", label(kind));
    }
    header(
        &mut out,
        "rapport_mail_received_total",
        "counter",
        "Inbound mail kept, by what it became (new_ticket, reply, auto_reply, bounce, bulk, rejected); from the database.",
    );
    for (outcome, n) in &received {
        let _ = writeln!(
            out,
            "rapport_mail_received_total{{outcome=\"{}\"}} {n}",
            label(outcome)
        );
    }
    header(
        &mut out,
        "rapport_webhook_deliveries_pending",
        "gauge",
        "Webhook deliveries waiting for their first or next attempt; from the database.",
    );
    let _ = writeln!(out, "rapport_webhook_deliveries_pending {webhooks_pending}");
    header(
        &mut out,
        "rapport_db_pool_connections",
        "gauge",
        "Database connections this process holds open.",
    );
    let _ = writeln!(out, "rapport_db_pool_connections {open}");
    header(
        &mut out,
        "rapport_db_pool_idle",
        "gauge",
        "Of those, the idle ones.",
    );
    let _ = writeln!(out, "rapport_db_pool_idle {idle}");
    header(
        &mut out,
        "rapport_db_pool_max",
        "gauge",
        "The most connections this process opens (max_connections).",
    );
    let _ = writeln!(out, "rapport_db_pool_max {max}");
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_histogram_puts_each_time_in_its_bucket() {
        let mut histogram = Histogram::default();
        histogram.observe(0.001);
        histogram.observe(0.3);
        histogram.observe(100.0);
        assert_eq!(histogram.buckets[0], 1);
        assert_eq!(histogram.buckets[6], 1);
        assert_eq!(histogram.buckets.iter().sum::<u64>(), 2);
        assert_eq!(histogram.count, 3);
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }

    #[test]
    fn tokens_compare_whole() {
        assert!(same(b"secret", b"secret"));
        assert!(!same(b"secret", b"secreT"));
        assert!(!same(b"secret", b"secret2"));
    }
}

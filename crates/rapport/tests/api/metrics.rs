//! `GET /metrics`: off without a token, refused with a wrong one, and in Prometheus' text
//! format with one: requests by matched route (not the raw path) and status with latency
//! buckets, the job queue, mail received, webhooks and the connection pool.

use crate::helpers::{Api, TestApp};
use reqwest::{Method, StatusCode};

const TOKEN: &str = "scrape-me-please";

async fn scrape(app: &TestApp, token: Option<&str>) -> (StatusCode, String) {
    let mut request = app.client().get(app.url("/metrics"));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("an answer");
    let status = response.status();
    (status, response.text().await.expect("text"))
}

/// The value of the one line that starts with `series` (name and labels).
fn value(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

#[tokio::test]
async fn metrics_are_off_without_a_token_in_the_configuration() {
    let app = TestApp::spawn().await;
    let (status, text) = scrape(&app, Some("anything")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(text.contains("metrics_token"), "{text}");
}

#[tokio::test]
async fn a_scrape_needs_the_token_and_reads_routes_queue_mail_and_pool() {
    let app = TestApp::spawn_with(|config| config.metrics_token = Some(TOKEN.to_owned())).await;
    assert_eq!(scrape(&app, None).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(
        scrape(&app, Some("scrape-me-pleasE")).await.0,
        StatusCode::UNAUTHORIZED
    );

    let ticket = app.ticket("Counted", "mo@example.com").await;
    for _ in 0..3 {
        let (status, _) = app
            .api()
            .get(&format!("/api/v1/tickets/{}", ticket["id"]))
            .await;
        assert_eq!(status, StatusCode::OK);
    }
    let (status, _) = app.api().get("/api/v1/tickets/999999").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let mail = "From: Lou <lou@example.com>\r\nTo: support@rapport.localhost\r\nSubject: Hello\r\n\
                Message-ID: <metrics-1@example.com>\r\nDate: Mon, 23 Nov 2026 09:00:00 +0000\r\n\
                Content-Type: text/plain; charset=utf-8\r\n\r\nMy order is late.\r\n";
    let request = app
        .intake()
        .request(Method::POST, "/api/v1/inbound/email")
        .header("content-type", "message/rfc822")
        .body(mail);
    let (status, body) = Api::send(request).await;
    assert!(status.is_success(), "{body}");

    let (status, text) = scrape(&app, Some(TOKEN)).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    // Counters are the process's (tests share one), so at least what this test did.
    let route = r#"method="GET",route="/api/v1/tickets/{id}""#;
    assert!(
        value(
            &text,
            &format!("rapport_http_requests_total{{{route},status=\"200\"}}")
        )
        .is_some_and(|n| n >= 3.0),
        "{text}"
    );
    assert!(
        value(
            &text,
            &format!("rapport_http_requests_total{{{route},status=\"404\"}}")
        )
        .is_some_and(|n| n >= 1.0)
    );
    assert!(
        !text.contains("/api/v1/tickets/999999"),
        "raw paths never become series"
    );
    let inf = value(
        &text,
        &format!("rapport_http_request_duration_seconds_bucket{{{route},le=\"+Inf\"}}"),
    )
    .expect("the histogram's last bucket");
    let count = value(
        &text,
        &format!("rapport_http_request_duration_seconds_count{{{route}}}"),
    )
    .expect("the histogram's count");
    assert!(inf >= 4.0 && inf == count);
    assert!(text.contains("# TYPE rapport_http_request_duration_seconds histogram"));
    assert_eq!(
        value(
            &text,
            r#"rapport_mail_received_total{outcome="new_ticket"}"#
        ),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        value(&text, r#"rapport_mail_received_total{outcome="bounce"}"#),
        Some(0.0),
        "every outcome is reported, 0 included"
    );
    assert!(value(&text, r#"rapport_jobs_waiting{kind="webhook.deliver"}"#).is_some());
    assert!(value(&text, "rapport_jobs_due").is_some());
    assert_eq!(value(&text, "rapport_db_pool_max"), Some(5.0));
    assert!(value(&text, "rapport_db_pool_connections").is_some_and(|n| n >= 1.0));
    assert!(value(&text, r#"rapport_mail_sent_total{result="sent"}"#).is_some());
    assert!(value(&text, "rapport_webhook_deliveries_pending").is_some());
    // Every sample line is `name{labels} number` or `name number`.
    for line in text.lines().filter(|line| !line.starts_with('#')) {
        let (_, number) = line.rsplit_once(' ').expect("a value");
        assert!(number.parse::<f64>().is_ok(), "{line}");
    }
}

use crate::helpers::{TestApp, error_code, error_message};
use reqwest::StatusCode;

#[tokio::test]
async fn healthz_answers_without_a_token_when_the_database_does() {
    let app = TestApp::spawn().await;

    let (status, body) = app.api_as(None).get("/healthz").await;

    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], "ok");
}

#[tokio::test]
async fn readyz_answers_without_a_token_when_the_database_takes_writes() {
    let app = TestApp::spawn().await;

    let (status, body) = app.api_as(None).get("/readyz").await;

    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "ready");
    let (_, settings) = app.api().get("/api/v1/settings").await;
    assert!(
        !settings.to_string().contains("readiness"),
        "the probe leaves nothing"
    );
}

#[tokio::test]
async fn the_start_page_leads_to_signing_in_the_portal_and_the_api() {
    let app = TestApp::spawn().await;

    let response = app.client().get(app.url("/")).send().await.expect("answer");

    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.url().path().ends_with("/sign-in"));
    let page = response.text().await.expect("text");
    assert!(page.contains("Sign in to Rapport"));
    assert!(page.contains("/portal"));
    assert!(page.contains("/api/v1/openapi.json"));
}

/// Sets SQLite's `max_page_count` on every connection of the server's pool, so the database
/// cannot grow past `pages`: to SQLite that is a full disk (`SQLITE_FULL`). The limit belongs
/// to each connection, so this holds all the pool's connections (5 in tests) at once.
async fn limit_pages(app: &TestApp, pages: i64) {
    let pool = app.app.store.pool();
    let mut held = Vec::new();
    for _ in 0..5 {
        let mut conn = pool.acquire().await.expect("a connection");
        sqlx::query(&format!("PRAGMA max_page_count = {pages}"))
            .execute(&mut *conn)
            .await
            .expect("set max_page_count");
        held.push(conn);
    }
}

async fn page_count(app: &TestApp) -> i64 {
    sqlx::query_scalar::<_, i64>("PRAGMA page_count")
        .fetch_one(app.app.store.pool())
        .await
        .expect("page_count")
}

#[tokio::test]
async fn after_the_disk_fills_and_space_is_freed_writes_work_again_and_readiness_said_why() {
    if std::env::var("RAPPORT_TEST_DATABASE_URL").is_ok_and(|url| !url.is_empty()) {
        // A full disk is simulated with SQLite's page limit; on PostgreSQL the fault test
        // with a server of its own (stopped and restarted under load) covers recovery.
        return;
    }
    let app = TestApp::spawn().await;
    app.ticket("Before the disk fills", "before@example.com")
        .await;
    let (status, _) = app.api_as(None).get("/readyz").await;
    assert_eq!(status, StatusCode::OK);

    // The disk fills: the database may not grow by a single page.
    let full = page_count(&app).await;
    limit_pages(&app, full).await;
    let mut refused = 0;
    for i in 0..10 {
        let (status, _) = app
            .api()
            .post(
                "/api/v1/tickets",
                serde_json::json!({"subject": format!("Filling {i}"), "body": "x".repeat(5000),
                    "customer": {"email": format!("fill{i}@example.com")}}),
            )
            .await;
        if status != StatusCode::CREATED {
            refused += 1;
        }
    }
    assert!(refused > 0, "writes fail on a full disk");
    let (status, body) = app.api_as(None).get("/readyz").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(error_code(&body), "database_full", "{body}");
    assert!(error_message(&body).contains("full"), "{body}");
    // Liveness stays up: the process is fine, restarting it would not help.
    let (status, _) = app.api_as(None).get("/healthz").await;
    assert_eq!(status, StatusCode::OK);

    // Space is freed; without a restart, every write works again, on every connection.
    limit_pages(&app, 1_000_000).await;
    for i in 0..10 {
        let (status, body) = app
            .api()
            .post(
                "/api/v1/tickets",
                serde_json::json!({"subject": format!("After {i}"), "body": "Back again.",
                    "customer": {"email": format!("after{i}@example.com")}}),
            )
            .await;
        assert_eq!(
            status,
            StatusCode::CREATED,
            "write {i} after space was freed: {body}"
        );
    }
    let admin = app.api();
    let writes = (0..10).map(|i| {
        admin.post(
            "/api/v1/tickets",
            serde_json::json!({"subject": format!("Together {i}"), "body": "Together.",
                "customer": {"email": format!("together{i}@example.com")}}),
        )
    });
    for (status, body) in futures_util::future::join_all(writes).await {
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let (status, body) = app.api_as(None).get("/readyz").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "ready");
}

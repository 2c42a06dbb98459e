use crate::helpers::{TestApp, error_code};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn a_ticket_comes_with_its_messages_oldest_first() {
    let app = TestApp::spawn().await;
    let ticket = app.ticket("Backup fails", "dan@example.com").await;
    let id = ticket["id"].as_i64().expect("id");
    for (body, visibility) in [
        ("Looking into it.", "public"),
        ("Checked the route.", "internal"),
    ] {
        let (status, _) = app
            .api()
            .post(
                &format!("/api/v1/tickets/{id}/messages"),
                json!({"body": body, "visibility": visibility}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED);
    }

    let (status, body) = app.api().get(&format!("/api/v1/tickets/{id}")).await;

    assert_eq!(status, StatusCode::OK);
    let texts: Vec<&str> = body["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .filter_map(|m| m["text"].as_str())
        .collect();
    assert_eq!(
        texts,
        ["Please help.", "Looking into it.", "Checked the route."]
    );
    assert_eq!(body["subject"], "Backup fails");
}

#[tokio::test]
async fn unknown_and_malformed_ticket_ids() {
    let app = TestApp::spawn().await;

    let (status, body) = app.api().get("/api/v1/tickets/999").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(error_code(&body), "ticket_not_found");

    let (status, body) = app.api().get("/api/v1/tickets/abc").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&body), "invalid_id");

    let (status, body) = app.api().get("/api/v1/tickets/99999999999999999999").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&body), "invalid_id");
}

#[tokio::test]
async fn a_long_ticket_comes_a_page_of_its_latest_messages_at_a_time() {
    let app = TestApp::spawn().await;
    let ticket = app.ticket("A long story", "lee@example.com").await;
    let id = ticket["id"].as_i64().expect("id");
    // Written straight into the store: 120 requests would only slow the test.
    for n in 1..=119 {
        app.app
            .store
            .add_message(
                id,
                rapport_domain::Actor::Agent(app.admin.id),
                rapport_domain::Channel::Api,
                rapport_domain::Visibility::Internal,
                &format!("Note {n}"),
            )
            .await
            .expect("a message");
    }
    let texts = |body: &serde_json::Value| -> Vec<String> {
        body["messages"]
            .as_array()
            .expect("messages")
            .iter()
            .filter_map(|m| m["text"].as_str().map(str::to_owned))
            .collect()
    };

    // The latest 50, oldest first, and a cursor for the ones before.
    let (status, first) = app.api().get(&format!("/api/v1/tickets/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert_eq!(first["message_count"], 120);
    let expected: Vec<String> = (70..=119).map(|n| format!("Note {n}")).collect();
    assert_eq!(texts(&first), expected);
    assert_eq!(first["subject"], "A long story");

    // Walking back with the cursor and a limit gives every message once.
    let mut seen = texts(&first);
    let mut cursor = first["earlier_cursor"].as_str().map(str::to_owned);
    let mut pages = 1;
    while let Some(given) = cursor {
        let (status, page) = app
            .api()
            .get(&format!("/api/v1/tickets/{id}?limit=30&cursor={given}"))
            .await;
        assert_eq!(status, StatusCode::OK, "{page}");
        assert!(texts(&page).len() <= 30);
        let mut earlier = texts(&page);
        earlier.append(&mut seen);
        seen = earlier;
        cursor = page["earlier_cursor"].as_str().map(str::to_owned);
        pages += 1;
    }
    let all: Vec<String> = std::iter::once("Please help.".to_owned())
        .chain((1..=119).map(|n| format!("Note {n}")))
        .collect();
    assert_eq!(seen, all);
    assert_eq!(pages, 1 + 3, "50, then 30, 30 and the last 10");

    // A short ticket has no earlier page.
    let short = app.ticket("Short", "kim@example.com").await;
    let (_, body) = app
        .api()
        .get(&format!("/api/v1/tickets/{}", short["id"]))
        .await;
    assert_eq!(body["earlier_cursor"], serde_json::Value::Null);
    assert_eq!(body["message_count"], 1);

    // Bad limits and cursors are refused with a sentence.
    for query in ["limit=0", "limit=201", "cursor=t5", "cursor=m0", "cursor=x"] {
        let (status, body) = app
            .api()
            .get(&format!("/api/v1/tickets/{id}?{query}"))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
        assert!(
            matches!(error_code(&body), "invalid_query" | "invalid_cursor"),
            "{query}: {body}"
        );
    }
}

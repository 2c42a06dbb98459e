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

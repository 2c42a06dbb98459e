use crate::helpers::{TestApp, error_code, error_message};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn a_public_reply_hands_the_turn_to_the_customer() {
    let app = TestApp::spawn().await;
    let ticket = app.ticket("Backup fails", "dan@example.com").await;
    let id = ticket["id"].as_i64().expect("id");

    let (status, message) = app
        .api()
        .post(
            &format!("/api/v1/tickets/{id}/messages"),
            json!({"body": "I'll call you <tomorrow>.", "visibility": "public"}),
        )
        .await;

    assert_eq!(status, StatusCode::CREATED, "{message}");
    assert_eq!(
        message["author"],
        json!({"kind": "agent", "id": app.admin.id})
    );
    assert_eq!(message["channel"], "api");
    assert_eq!(
        message["html"],
        "<p>I&#39;ll call you &lt;tomorrow&gt;.</p>"
    );
    let (_, ticket) = app.api().get(&format!("/api/v1/tickets/{id}")).await;
    assert_eq!(ticket["conversation"], "waiting_on_customer");
    assert_eq!(
        ticket["problem"], "open",
        "a reply does not solve the problem"
    );
}

#[tokio::test]
async fn an_internal_note_changes_no_state() {
    let app = TestApp::spawn().await;
    let ticket = app.ticket("Backup fails", "dan@example.com").await;
    let id = ticket["id"].as_i64().expect("id");

    let (status, message) = app
        .api()
        .post(
            &format!("/api/v1/tickets/{id}/messages"),
            json!({"body": "Customer is travelling.", "visibility": "internal"}),
        )
        .await;

    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(message["visibility"], "internal");
    assert_eq!(message["channel"], "note");
    let (_, ticket) = app.api().get(&format!("/api/v1/tickets/{id}")).await;
    assert_eq!(ticket["conversation"], "new");
}

#[tokio::test]
async fn bad_messages_are_refused() {
    let app = TestApp::spawn().await;
    let ticket = app.ticket("Backup fails", "dan@example.com").await;
    let path = format!("/api/v1/tickets/{}/messages", ticket["id"]);

    let (status, body) = app
        .api()
        .post(&path, json!({"body": "Hi", "visibility": "secret"}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        error_message(&body).contains("expected `public` or `internal`"),
        "{body}"
    );

    let (status, body) = app
        .api()
        .post(&path, json!({"body": "", "visibility": "public"}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        error_message(&body).contains("`body` must not be empty"),
        "{body}"
    );

    let (status, body) = app.api().post(&path, json!({"body": "Hi"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        error_message(&body).contains("missing field `visibility`"),
        "{body}"
    );

    let (status, body) = app
        .api()
        .post(
            "/api/v1/tickets/404/messages",
            json!({"body": "Hi", "visibility": "public"}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(error_code(&body), "ticket_not_found");

    let (_, ticket) = app
        .api()
        .get(&format!("/api/v1/tickets/{}", ticket["id"]))
        .await;
    assert_eq!(
        ticket["messages"].as_array().map(Vec::len),
        Some(1),
        "no refused message was stored"
    );
}

#[tokio::test]
async fn a_reply_through_the_api_carries_files_and_refuses_what_is_not_a_file() {
    use base64::Engine as _;
    let app = TestApp::spawn().await;
    let ticket = app.ticket("Invoice copy", "ana@example.com").await;
    let path = format!("/api/v1/tickets/{}/messages", ticket["id"]);
    let pdf = b"%PDF-1.4\n%%EOF\n".to_vec();
    let encoded = base64::engine::general_purpose::STANDARD.encode(&pdf);
    let (status, message) = app
        .api()
        .post(
            &path,
            json!({"body": "Here it is.", "visibility": "public", "cc": [], "attachments": [
                {"filename": "../../invoice.pdf", "content_type": "application/pdf", "content_base64": encoded}
            ]}),
        )
        .await;
    assert_eq!(status, 201, "{message}");
    assert_eq!(
        message["attachments"][0]["filename"], "invoice.pdf",
        "{message}"
    );
    assert_eq!(message["attachments"][0]["size"], pdf.len());
    assert_eq!(message["email"]["cc"], json!([]));
    let id = message["attachments"][0]["id"]
        .as_i64()
        .expect("as the test set it up");
    let response = app
        .api()
        .request(reqwest::Method::GET, &format!("/api/v1/attachments/{id}"))
        .send()
        .await
        .expect("as the test set it up");
    assert_eq!(response.status(), 200);
    assert_eq!(
        response
            .bytes()
            .await
            .expect("as the test set it up")
            .to_vec(),
        pdf
    );

    for bad in [
        json!({"body": "x", "visibility": "internal", "attachments": [{"filename": "a.txt", "content_base64": "not base64!"}]}),
        json!({"body": "x", "visibility": "internal", "attachments": [{"filename": " ", "content_base64": "aGk="}]}),
        json!({"body": "x", "visibility": "internal", "attachments": [{"filename": "a.txt"}]}),
    ] {
        let (status, body) = app.api().post(&path, bad.clone()).await;
        assert!(status == 422 || status == 400, "{bad}: {status} {body}");
    }
    let (_, after) = app
        .api()
        .get(&format!("/api/v1/tickets/{}", ticket["id"]))
        .await;
    assert_eq!(
        after["messages"]
            .as_array()
            .expect("as the test set it up")
            .len(),
        2,
        "nothing half-added"
    );
}

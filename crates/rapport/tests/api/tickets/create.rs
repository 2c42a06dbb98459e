use crate::helpers::{TestApp, error_code, error_message};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn a_ticket_for_a_new_address_creates_the_customer() {
    let app = TestApp::spawn().await;

    let (status, ticket) = app
        .api()
        .post(
            "/api/v1/tickets",
            json!({
                "subject": "Good mail marked as spam",
                "body": "Our clients' mail lands in spam, and real spam gets through.",
                "customer": {"email": "ana@example.com", "name": "Ana Silva"},
                "tags": ["Spam", "email"],
            }),
        )
        .await;

    assert_eq!(status, StatusCode::CREATED, "{ticket}");
    assert_eq!(ticket["subject"], "Good mail marked as spam");
    assert_eq!(ticket["conversation"], "new");
    assert_eq!(ticket["problem"], "open");
    assert_eq!(ticket["priority"], "normal");
    assert_eq!(ticket["channel"], "api");
    assert_eq!(ticket["tags"], json!(["email", "spam"]));
    assert_eq!(ticket["assignee_id"], json!(null));
    let messages = ticket["messages"].as_array().expect("messages");
    assert_eq!(messages.len(), 1);
    assert_eq!(
        messages[0]["author"],
        json!({"kind": "customer", "id": ticket["customer_id"]})
    );
    assert_eq!(messages[0]["visibility"], "public");
    assert_eq!(
        messages[0]["text"],
        "Our clients' mail lands in spam, and real spam gets through."
    );
    assert_eq!(
        messages[0]["html"],
        "<p>Our clients&#39; mail lands in spam, and real spam gets through.</p>"
    );

    let (_, customers) = app
        .api()
        .get("/api/v1/customers?email=ana@example.com")
        .await;
    assert_eq!(customers["items"][0]["id"], ticket["customer_id"]);
    assert_eq!(customers["items"][0]["name"], "Ana Silva");
}

#[tokio::test]
async fn a_known_address_reuses_the_customer() {
    let app = TestApp::spawn().await;
    let first = app.ticket("First", "ana@example.com").await;

    let second = app.ticket("Second", "ANA@example.com").await;

    assert_eq!(first["customer_id"], second["customer_id"]);
}

#[tokio::test]
async fn a_ticket_by_customer_id() {
    let app = TestApp::spawn().await;
    let (_, customer) = app
        .api()
        .post(
            "/api/v1/customers",
            json!({"name": "Lee", "email": "lee@example.com"}),
        )
        .await;

    let (status, ticket) = app
        .api()
        .post("/api/v1/tickets", json!({"subject": "Hi", "body": "Hello", "customer_id": customer["id"], "priority": "urgent"}))
        .await;

    assert_eq!(status, StatusCode::CREATED, "{ticket}");
    assert_eq!(ticket["customer_id"], customer["id"]);
    assert_eq!(ticket["priority"], "urgent");
}

#[tokio::test]
async fn who_the_ticket_is_for_must_be_clear() {
    let app = TestApp::spawn().await;

    let (status, body) = app
        .api()
        .post("/api/v1/tickets", json!({"subject": "Hi", "body": "Hello"}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        error_message(&body).contains("who the ticket is for"),
        "{body}"
    );

    let (status, body) = app
        .api()
        .post("/api/v1/tickets", json!({"subject": "Hi", "body": "Hello", "customer_id": 1, "customer": {"email": "a@b.example"}}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(error_message(&body).contains("not both"), "{body}");

    let (status, body) = app
        .api()
        .post(
            "/api/v1/tickets",
            json!({"subject": "Hi", "body": "Hello", "customer_id": 99}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_code(&body), "unknown_customer");
}

#[tokio::test]
async fn bad_ticket_input_gets_a_message_that_says_what_is_wrong() {
    let app = TestApp::spawn().await;
    let customer = json!({"email": "ana@example.com"});
    let cases = [
        (
            json!({"body": "x", "customer": customer}),
            "missing field `subject`",
        ),
        (
            json!({"subject": 5, "body": "x", "customer": customer}),
            "subject: invalid type",
        ),
        (
            json!({"subject": "s", "body": "x", "customer": customer, "sujet": "typo"}),
            "unknown field `sujet`",
        ),
        (
            json!({"subject": "s", "body": "x", "customer": customer, "priority": "asap"}),
            "unknown variant `asap`",
        ),
        (
            json!({"subject": "", "body": "x", "customer": customer}),
            "`subject` must not be empty",
        ),
        (
            json!({"subject": "s", "body": "   ", "customer": customer}),
            "`body` must not be empty",
        ),
        (
            json!({"subject": "s", "body": "x", "customer": {"email": "nope"}}),
            "not an email address",
        ),
        (
            json!({"subject": "s".repeat(251), "body": "x", "customer": customer}),
            "longer than 250",
        ),
        (
            json!({"subject": "s", "body": "x", "customer": customer, "tags": ["<b>"]}),
            "contains `<`",
        ),
        (
            json!({"subject": "s", "body": "a\0b", "customer": customer}),
            "NUL character",
        ),
        (
            json!({"subject": "a\0b", "body": "x", "customer": customer}),
            "single line",
        ),
        (
            json!({"subject": "s", "body": "x", "customer": {"email": "a@b.example", "name": "A\0"}}),
            "single line",
        ),
    ];

    for (input, expected) in cases {
        let (status, body) = app.api().post("/api/v1/tickets", input.clone()).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{input} -> {body}"
        );
        assert_eq!(error_code(&body), "invalid_request");
        assert!(
            error_message(&body).contains(expected),
            "{input}: expected {expected:?} in {body}"
        );
    }

    let (_, tickets) = app.api().get("/api/v1/tickets").await;
    assert_eq!(
        tickets["items"],
        json!([]),
        "nothing was created by bad input"
    );
}

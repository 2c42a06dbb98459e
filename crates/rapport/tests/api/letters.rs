//! Letters to management: each must be answered in business time or it goes one level up;
//! the management inbox lists them; a letter that thanks someone reaches them and their
//! coaching report.

use crate::helpers::{START, TestApp, error_code};
use rapport_domain::Role;
use reqwest::StatusCode;
use serde_json::json;
use time::Duration;

#[tokio::test]
async fn an_unanswered_letter_goes_up_and_is_answered_once() {
    let app = TestApp::spawn().await;
    // Priya reports to nobody: the top of Sam's chain, whom letters reach.
    let (_, priya_token) = app
        .agent("priya@rapport.test", Role::Supervisor, None)
        .await;
    let (sam, sam_token) = app
        .agent("sam@rapport.test", Role::Agent, Some("priya@rapport.test"))
        .await;
    let ticket = app.ticket("Refund", "kai@example.com").await;
    let id = ticket["id"].as_i64().expect("id");
    let customer = ticket["customer_id"].as_i64().expect("customer");
    app.api()
        .patch(
            &format!("/api/v1/tickets/{id}"),
            json!({"assignee_id": sam.id}),
        )
        .await;
    let (letter, to) = app
        .app
        .store
        .write_letter(
            customer,
            Some(id),
            "Still no refund",
            "Three weeks and nothing.",
        )
        .await
        .expect("letter");
    assert_eq!(to.map(|a| a.email), Some("priya@rapport.test".to_owned()));
    let (_, inbox) = app.api_as(Some(&priya_token)).get("/api/v1/letters").await;
    assert_eq!(inbox["items"][0]["id"], letter);
    assert_eq!(
        inbox["items"][0]["answer_by"],
        rapport_store::clock::format(START + Duration::days(1) + Duration::hours(8)),
        "two business days of eight hours"
    );
    let (status, _) = app
        .api_as(Some(&sam_token))
        .get(&format!("/api/v1/letters/{letter}"))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "not Sam's to read");

    // Two business days pass: it goes up to an admin.
    app.advance(Duration::days(2)).await;
    let (_, now) = app.api().get(&format!("/api/v1/letters/{letter}")).await;
    assert_eq!(now["addressed_to"], app.admin.id);
    assert_eq!(now["level"], 1);
    let (_, inbox) = app.api().get("/api/v1/letters").await;
    assert_eq!(inbox["items"].as_array().map(Vec::len), Some(1));

    let path = format!("/api/v1/letters/{letter}/answer");
    let (status, _) = app
        .api_as(Some(&priya_token))
        .post(&path, json!({"answer": "Called Kai."}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "it waits on the admin now");
    let (status, body) = app.api().post(&path, json!({"answer": " "})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, body) = app
        .api()
        .post(
            &path,
            json!({"answer": "Called Kai; the refund went out today."}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["answered_by"], app.admin.id);
    let (status, body) = app.api().post(&path, json!({"answer": "Again."})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(error_code(&body), "letter_answered");
    app.advance(Duration::days(5)).await;
    let (_, after) = app.api().get(&format!("/api/v1/letters/{letter}")).await;
    assert_eq!(after["level"], 1, "answered: it stays");
}

#[tokio::test]
async fn a_letter_of_thanks_reaches_the_agent_and_their_coaching_report() {
    let app = TestApp::spawn().await;
    let (sam, sam_token) = app.agent("sam@rapport.test", Role::Agent, None).await;
    let ticket = app.ticket("Broken screen", "lu@example.com").await;
    let id = ticket["id"].as_i64().expect("id");
    app.api()
        .patch(
            &format!("/api/v1/tickets/{id}"),
            json!({"assignee_id": sam.id}),
        )
        .await;
    let (letter, _) = app
        .app
        .store
        .write_letter(
            ticket["customer_id"].as_i64().expect("customer"),
            Some(id),
            "Thank you",
            "Thank you so much: Sam was wonderful and the screen was replaced the next day.",
        )
        .await
        .expect("letter");
    assert!(
        app.tasks_of(sam.id)
            .await
            .iter()
            .any(|t| t.title.contains("wrote to management to thank you")),
        "Sam hears of it"
    );
    let (status, body) = app
        .api_as(Some(&sam_token))
        .get(&format!("/api/v1/letters/{letter}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["compliment"], true);
    let (_, report) = app
        .api_as(Some(&sam_token))
        .get(&format!("/api/v1/agents/{}/coaching", sam.id))
        .await;
    assert_eq!(report["compliments"][0]["id"], letter, "{report}");
}

#[tokio::test]
async fn mail_to_the_management_address_is_a_letter_as_well_as_a_message() {
    let app = TestApp::spawn().await;
    let (status, body) = app
        .api()
        .patch(
            "/api/v1/settings",
            json!({"mail": {"management_address": "board at example"}}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, body) = app
        .api()
        .patch(
            "/api/v1/settings",
            json!({"mail": {"management_address": "Board@Harbor.example"}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["mail"]["management_address"], "board@harbor.example");
    let raw = "From: Oli <oli@example.com>\r\nTo: board@harbor.example\r\nSubject: Your support\r\n\
               Message-ID: <oli-1@example.com>\r\nDate: Mon, 23 Nov 2026 09:00:00 +0000\r\n\
               Content-Type: text/plain; charset=utf-8\r\n\r\nI have waited a month for my refund.\r\n";
    let request = app
        .intake()
        .request(reqwest::Method::POST, "/api/v1/inbound/email")
        .header("content-type", "message/rfc822")
        .body(raw.as_bytes().to_vec());
    let (status, ingested) = crate::helpers::Api::send(request).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{ingested}");
    let (_, inbox) = app.api().get("/api/v1/letters").await;
    let letter = &inbox["items"][0];
    assert_eq!(letter["subject"], "Your support", "{inbox}");
    assert_eq!(letter["ticket_id"], ingested["ticket_id"]);
    assert!(letter["answer_by"].is_string());
}

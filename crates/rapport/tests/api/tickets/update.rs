use crate::helpers::{TestApp, error_code, error_message};
use rapport_domain::Role;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn patch_priority_tags_assignee_and_team() {
    let app = TestApp::spawn().await;
    let (sam, _) = app.agent("sam@rapport.test", Role::Agent, None).await;
    let (_, team) = app
        .api()
        .post("/api/v1/teams", json!({"name": "Support"}))
        .await;
    let ticket = app.ticket("Backup fails", "dan@example.com").await;
    let path = format!("/api/v1/tickets/{}", ticket["id"]);

    let (status, updated) = app
        .api()
        .patch(&path, json!({"priority": "high", "tags": ["Backup", "network"], "assignee_id": sam.id, "team_id": team["id"]}))
        .await;

    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!(updated["priority"], "high");
    assert_eq!(updated["tags"], json!(["backup", "network"]));
    assert_eq!(updated["assignee_id"], sam.id);
    assert_eq!(updated["team_id"], team["id"]);
    let (_, fetched) = app.api().get(&path).await;
    assert_eq!(fetched["tags"], json!(["backup", "network"]));
    assert_eq!(fetched["assignee_id"], sam.id);
}

#[tokio::test]
async fn null_clears_and_absent_keeps() {
    let app = TestApp::spawn().await;
    let ticket = app.ticket("Backup fails", "dan@example.com").await;
    let path = format!("/api/v1/tickets/{}", ticket["id"]);
    app.api()
        .patch(&path, json!({"assignee_id": app.admin.id, "tags": ["a"]}))
        .await;

    let (_, kept) = app.api().patch(&path, json!({"priority": "low"})).await;
    assert_eq!(kept["assignee_id"], app.admin.id);
    assert_eq!(kept["tags"], json!(["a"]));

    let (_, cleared) = app
        .api()
        .patch(
            &path,
            json!({"assignee_id": null, "tags": [], "handover_note": "Back to the queue."}),
        )
        .await;
    assert_eq!(cleared["assignee_id"], json!(null));
    assert_eq!(cleared["tags"], json!([]));
}

#[tokio::test]
async fn unknown_references_and_bad_values_are_refused() {
    let app = TestApp::spawn().await;
    let ticket = app.ticket("Backup fails", "dan@example.com").await;
    let path = format!("/api/v1/tickets/{}", ticket["id"]);

    let (status, body) = app.api().patch(&path, json!({"assignee_id": 999})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_code(&body), "unknown_agent");
    assert!(error_message(&body).contains("assignee_id"));

    let (status, body) = app.api().patch(&path, json!({"team_id": 999})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_code(&body), "unknown_team");

    let (status, body) = app.api().patch(&path, json!({"priority": "asap"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        error_message(&body).contains("`low`, `normal`, `high`, `urgent`"),
        "{body}"
    );

    let (status, body) = app
        .api()
        .patch(&path, json!({"conversation": "on_hold"}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        error_message(&body).contains("unknown field `conversation`"),
        "{body}"
    );

    let (status, body) = app
        .api()
        .patch("/api/v1/tickets/999", json!({"priority": "low"}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(error_code(&body), "ticket_not_found");

    let (_, unchanged) = app.api().get(&path).await;
    assert_eq!(unchanged["priority"], "normal");
    assert_eq!(unchanged["assignee_id"], json!(null));
}

#[tokio::test]
async fn reassigning_needs_a_handover_note_that_stays_in_the_history() {
    let app = TestApp::spawn().await;
    let (sam, _) = app.agent("sam@rapport.test", Role::Agent, None).await;
    let ticket = app.ticket("Backup fails", "dan@example.com").await;
    let path = format!("/api/v1/tickets/{}", ticket["id"]);
    let (status, _) = app
        .api()
        .patch(&path, json!({"assignee_id": app.admin.id}))
        .await;
    assert_eq!(status, StatusCode::OK, "a first assignment needs no note");

    let (status, body) = app.api().patch(&path, json!({"assignee_id": sam.id})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(error_message(&body).contains("hand-over note"), "{body}");

    let note = "Dan's second backup job fails nightly; I promised a call before Friday.";
    let (status, updated) = app
        .api()
        .patch(&path, json!({"assignee_id": sam.id, "handover_note": note}))
        .await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    let (_, fetched) = app.api().get(&path).await;
    let last = fetched["messages"]
        .as_array()
        .and_then(|m| m.last())
        .expect("a message");
    assert_eq!(last["visibility"], "internal");
    assert_eq!(last["text"], format!("Hand-over: {note}"));
    let (_, events) = app.api().get(&format!("{path}/events")).await;
    let handover = events["items"]
        .as_array()
        .expect("events")
        .iter()
        .find(|e| e["action"] == "ticket.handed_over")
        .expect("event");
    assert_eq!(handover["changes"]["note"]["after"], note);
}

use crate::helpers::{TestApp, error_code};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn every_change_is_in_the_audit_trail_with_before_and_after() {
    let app = TestApp::spawn().await;
    let ticket = app.ticket("Backup fails", "dan@example.com").await;
    let id = ticket["id"].as_i64().expect("id");
    app.api()
        .post(
            &format!("/api/v1/tickets/{id}/messages"),
            json!({"body": "On it", "visibility": "public"}),
        )
        .await;
    app.api()
        .post(
            &format!("/api/v1/tickets/{id}/messages"),
            json!({"body": "Note", "visibility": "internal"}),
        )
        .await;
    app.api()
        .patch(
            &format!("/api/v1/tickets/{id}"),
            json!({"priority": "urgent", "tags": ["vip"]}),
        )
        .await;
    app.api()
        .patch(
            &format!("/api/v1/tickets/{id}"),
            json!({"priority": "urgent"}),
        )
        .await;

    let (status, body) = app.api().get(&format!("/api/v1/tickets/{id}/events")).await;

    assert_eq!(status, StatusCode::OK);
    let events = body["items"].as_array().expect("items");
    let actions: Vec<&str> = events.iter().filter_map(|e| e["action"].as_str()).collect();
    assert_eq!(
        actions,
        [
            "ticket.created",
            "message.added",
            "message.added",
            "ticket.updated"
        ],
        "a no-op patch records nothing"
    );
    for event in events {
        assert_eq!(event["actor"], json!({"kind": "agent", "id": app.admin.id}));
        assert_eq!(event["entity"], "ticket");
        assert_eq!(event["entity_id"], id);
    }
    assert_eq!(
        events[0]["changes"]["subject"],
        json!({"before": null, "after": "Backup fails"})
    );
    assert_eq!(
        events[1]["changes"]["conversation"],
        json!({"before": "new", "after": "waiting_on_customer"})
    );
    assert!(
        events[2]["changes"].get("conversation").is_none(),
        "a note moves no state"
    );
    assert_eq!(
        events[3]["changes"]["priority"],
        json!({"before": "normal", "after": "urgent"})
    );
    assert_eq!(
        events[3]["changes"]["tags"],
        json!({"before": [], "after": ["vip"]})
    );
}

#[tokio::test]
async fn events_of_an_unknown_ticket_are_404() {
    let app = TestApp::spawn().await;

    let (status, body) = app.api().get("/api/v1/tickets/5/events").await;

    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(error_code(&body), "ticket_not_found");
}

#[tokio::test]
async fn state_moves_follow_the_domain_rules_and_are_recorded() {
    use rapport_domain::Actor;
    use rapport_store::tickets::TicketMove;
    let app = TestApp::spawn().await;
    let ticket = app.ticket("Backup fails", "dan@example.com").await;
    let id = ticket["id"].as_i64().expect("id");
    let store = &app.app.store;
    let admin = Actor::Agent(app.admin.id);

    let refused = store
        .move_ticket(id, TicketMove::ConfirmResolution, admin)
        .await
        .expect_err("nothing proposed");
    assert!(
        refused
            .to_string()
            .contains("no resolution has been proposed")
    );
    store
        .move_ticket(id, TicketMove::ProposeResolution, admin)
        .await
        .expect("propose");
    let customer = Actor::Customer(ticket["customer_id"].as_i64().expect("customer"));
    store
        .add_message(
            id,
            customer,
            rapport_domain::Channel::Email,
            rapport_domain::Visibility::Public,
            "Still broken",
        )
        .await
        .expect("reply");

    let (_, fetched) = app.api().get(&format!("/api/v1/tickets/{id}")).await;
    assert_eq!(
        fetched["problem"], "open",
        "the customer's reply reopened the problem"
    );
    assert_eq!(fetched["conversation"], "waiting_on_us");
    let (_, body) = app.api().get(&format!("/api/v1/tickets/{id}/events")).await;
    let last = &body["items"][2];
    assert_eq!(last["action"], "message.added");
    assert_eq!(
        last["actor"],
        json!({"kind": "customer", "id": fetched["customer_id"]})
    );
    assert_eq!(
        last["changes"]["problem"],
        json!({"before": "resolution_proposed", "after": "open"})
    );
}

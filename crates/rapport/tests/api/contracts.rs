//! Contracts, assets and warranties: a running contract's response promise sets the service
//! level of its holder's tickets; the ticket shows the entitlement, expired or missing ones
//! too; an asset keeps its repair history.

use crate::helpers::{START, TestApp, error_message, get_page, post_form};
use rapport_domain::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};
use time::Duration;

async fn entitlement(app: &TestApp, ticket: i64) -> Value {
    let (status, body) = app
        .api()
        .get(&format!("/api/v1/tickets/{ticket}/entitlement"))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

async fn first_reply_due(app: &TestApp, ticket: i64) -> Value {
    let (_, sla) = app
        .api()
        .get(&format!("/api/v1/tickets/{ticket}/sla"))
        .await;
    sla["targets"]
        .as_array()
        .and_then(|t| t.iter().find(|t| t["target"] == "first_response"))
        .map(|t| t["due_at"].clone())
        .unwrap_or(Value::Null)
}

#[tokio::test]
async fn a_customer_with_a_next_business_day_contract_gets_that_service_level() {
    let app = TestApp::spawn().await;
    let (status, _) = app
        .api()
        .post(
            "/api/v1/sla-policies",
            json!({"name": "Everyone", "first_response_minutes": 960}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    // Ana bought an extended warranty: the next business day (8 business hours).
    let ana = app.ticket("Screen flickers", "ana@example.com").await;
    let (status, contract) = app
        .api()
        .post(
            "/api/v1/contracts",
            json!({
                "kind": "extended_warranty", "name": "Extended warranty 3 years",
                "customer_id": ana["customer_id"], "starts_on": "2026-01-01", "ends_on": "2028-12-31",
                "first_response_minutes": 480
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{contract}");
    let id = ana["id"].as_i64().expect("id");
    let covered = entitlement(&app, id).await;
    assert_eq!(covered["state"], "covered");
    assert_eq!(covered["contract"]["name"], "Extended warranty 3 years");
    assert_eq!(
        first_reply_due(&app, id).await,
        rapport_store::clock::format(START + Duration::hours(8)),
        "her open ticket follows the contract at once"
    );
    let (_, sla) = app.api().get(&format!("/api/v1/tickets/{id}/sla")).await;
    assert!(
        sla["policy"]["name"]
            .as_str()
            .is_some_and(|n| n.contains("Extended warranty 3 years")),
        "{sla}"
    );

    // Ben's warranty ended last year: shown as expired, and the general policy applies.
    let ben = app.ticket("Fan noise", "ben@example.com").await;
    let (status, _) = app
        .api()
        .post(
            "/api/v1/contracts",
            json!({
                "kind": "warranty", "name": "Maker's warranty",
                "customer_id": ben["customer_id"], "starts_on": "2024-01-01", "ends_on": "2025-12-31",
                "first_response_minutes": 60
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let ben_id = ben["id"].as_i64().expect("id");
    assert_eq!(entitlement(&app, ben_id).await["state"], "expired");
    assert_eq!(
        first_reply_due(&app, ben_id).await,
        rapport_store::clock::format(START + Duration::days(1) + Duration::hours(8))
    );
    // Cy has nothing: said, not hidden.
    let cy = app.ticket("Login", "cy@example.com").await["id"]
        .as_i64()
        .expect("id");
    assert_eq!(entitlement(&app, cy).await["state"], "none");
    let (_, cookie, _) = crate::workspace::signed_in(&app, "maya@rapport.test", Role::Agent).await;
    let (_, page) = get_page(&app, &cookie, &format!("/tickets/{cy}")).await;
    assert!(
        page.contains("No contract or warranty on record."),
        "{page}"
    );
    let (_, page) = get_page(&app, &cookie, &format!("/tickets/{ben_id}")).await;
    assert!(page.contains("Expired on 2025-12-31"), "{page}");
    let (_, page) = get_page(&app, &cookie, &format!("/tickets/{id}")).await;
    assert!(
        page.contains("Covered: Extended warranty 3 years"),
        "{page}"
    );
}

#[tokio::test]
async fn a_contract_for_one_asset_covers_the_tickets_about_it_and_the_asset_keeps_its_history() {
    let app = TestApp::spawn().await;
    let ticket = app.ticket("Laptop will not boot", "dee@example.com").await;
    let id = ticket["id"].as_i64().expect("id");
    let customer = ticket["customer_id"].clone();
    let (status, laptop) = app
        .api()
        .post(
            "/api/v1/assets",
            json!({"name": "Laptop", "serial_number": "SN-4411", "customer_id": customer}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{laptop}");
    let (_, contract) = app
        .api()
        .post(
            "/api/v1/contracts",
            json!({
                "kind": "service_contract", "name": "Laptop care", "customer_id": customer,
                "starts_on": "2026-01-01", "ends_on": "2026-12-31",
                "first_response_minutes": 120, "asset_ids": [laptop["id"]]
            }),
        )
        .await;
    assert_eq!(contract["asset_ids"], json!([laptop["id"]]));
    assert_eq!(
        entitlement(&app, id).await["state"],
        "none",
        "not about the laptop yet"
    );
    let (status, body) = app
        .api()
        .post(
            &format!("/api/v1/tickets/{id}/assets"),
            json!({"asset_id": laptop["id"]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["state"], "covered");
    assert_eq!(
        first_reply_due(&app, id).await,
        rapport_store::clock::format(START + Duration::hours(2))
    );
    let (_, asset) = app
        .api()
        .get(&format!("/api/v1/assets/{}", laptop["id"]))
        .await;
    assert_eq!(asset["repairs"][0]["ticket_id"], id);

    // Another customer's ticket cannot be about Dee's laptop.
    let other = app.ticket("Mine too", "eli@example.com").await["id"]
        .as_i64()
        .expect("id");
    let (status, body) = app
        .api()
        .post(
            &format!("/api/v1/tickets/{other}/assets"),
            json!({"asset_id": laptop["id"]}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        error_message(&body).contains("not the customer's"),
        "{body}"
    );
}

#[tokio::test]
async fn contracts_are_recorded_by_supervisors_with_periods_that_make_sense() {
    let app = TestApp::spawn().await;
    let customer = app.ticket("Hello", "fin@example.com").await["customer_id"].clone();
    let (_, sam) = app.agent("sam@rapport.test", Role::Agent, None).await;
    let body = json!({"kind": "warranty", "name": "W", "customer_id": customer, "starts_on": "2026-01-01", "ends_on": "2026-12-31"});
    let (status, _) = app.api_as(Some(&sam)).post("/api/v1/contracts", body).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    for (body, words) in [
        (
            json!({"kind": "warranty", "name": "W", "customer_id": customer, "starts_on": "2026-12-31", "ends_on": "2026-01-01"}),
            "ends before it starts",
        ),
        (
            json!({"kind": "warranty", "name": "W", "customer_id": customer, "starts_on": "soon", "ends_on": "2026-01-01"}),
            "is not a date",
        ),
        (
            json!({"kind": "warranty", "name": "W", "starts_on": "2026-01-01", "ends_on": "2026-12-31"}),
            "either `customer_id` or `organization_id`",
        ),
    ] {
        let (status, answer) = app.api().post("/api/v1/contracts", body.clone()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {answer}");
        assert!(error_message(&answer).contains(words), "{body}: {answer}");
    }
    // The customer page records an asset, and a supervisor a contract.
    let (_, cookie, csrf) =
        crate::workspace::signed_in(&app, "pia@rapport.test", Role::Supervisor).await;
    let path = format!("/customers/{customer}");
    let (status, _) = post_form(
        &app,
        &cookie,
        &format!("{path}/assets"),
        &[
            ("name", "Printer"),
            ("serial_number", "PR-1"),
            ("csrf", &csrf),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, _) = post_form(
        &app,
        &cookie,
        &format!("{path}/contracts"),
        &[
            ("kind", "service_contract"),
            ("name", "Printer care"),
            ("starts_on", "2026-01-01"),
            ("ends_on", "2026-12-31"),
            ("first_response_minutes", "240"),
            ("csrf", &csrf),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, page) = get_page(&app, &cookie, &path).await;
    assert!(page.contains("Printer care (service contract, 2026-01-01 to 2026-12-31; first reply within 4 business hours)"), "{page}");
    assert!(page.contains("PR-1"));
}

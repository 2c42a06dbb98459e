//! The audit trail over HTTP: settings changes with their values before and after, tokens
//! made (never the secret), sign-ins and refused sign-ins (never the password), read by admins
//! at `GET /api/v1/audit`.

use crate::helpers::{TestApp, browser, error_code, form_token};
use rapport_domain::{Actor, Role};
use rapport_store::agents::NewAgent;
use reqwest::StatusCode;
use serde_json::{Value, json};

const PASSWORD: &str = "a long enough password";

async fn agent_with_password(app: &TestApp, email: &str) -> i64 {
    app.app
        .store
        .create_agent(
            NewAgent {
                email,
                name: "Pat",
                role: Role::Agent,
                reports_to: None,
                password: Some(PASSWORD),
            },
            Actor::System,
        )
        .await
        .expect("agent")
        .id
}

/// The admin's view of the audit trail for actions starting with `prefix`, newest first.
async fn audit(app: &TestApp, prefix: &str) -> Vec<Value> {
    let (status, body) = app
        .api()
        .get(&format!("/api/v1/audit?action={prefix}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["items"].as_array().expect("items").clone()
}

#[tokio::test]
async fn a_settings_change_is_audited_with_the_values_before_and_after() {
    let app = TestApp::spawn().await;

    let (status, body) = app
        .api()
        .patch(
            "/api/v1/settings",
            json!({"waiting_check_in_business_days": [3, 6]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let events = audit(&app, "settings.").await;
    assert_eq!(events.len(), 1, "{events:?}");
    let event = &events[0];
    assert_eq!(event["action"], "settings.updated");
    assert_eq!(event["actor"], json!({"kind": "agent", "id": app.admin.id}));
    assert_eq!(
        event["changes"],
        json!({"waiting_check_in_business_days": {"before": [2, 5], "after": [3, 6]}})
    );

    // Sending the values in force changes nothing, and records nothing.
    app.api()
        .patch(
            "/api/v1/settings",
            json!({"waiting_check_in_business_days": [3, 6]}),
        )
        .await;
    assert_eq!(audit(&app, "settings.").await.len(), 1);
}

#[tokio::test]
async fn making_a_token_is_audited_without_the_token() {
    let app = TestApp::spawn().await;

    let (status, created) = app
        .api()
        .post("/api/v1/tokens", json!({"label": "CRM sync"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let secret = created["token"].as_str().expect("the secret, once");

    let events = audit(&app, "token.created").await;
    // The harness's own token (made on the command line's path, by the system) and this one.
    assert_eq!(events.len(), 2, "{events:?}");
    let event = &events[0];
    assert_eq!(event["entity"], "api_token");
    assert_eq!(event["entity_id"], created["id"]);
    assert_eq!(event["actor"], json!({"kind": "agent", "id": app.admin.id}));
    assert_eq!(event["changes"]["label"]["after"], "CRM sync");
    assert_eq!(events[1]["actor"], json!({"kind": "system", "id": null}));
    let (_, everything) = app.api().get("/api/v1/audit").await;
    assert!(!everything.to_string().contains(secret));
    assert!(!everything.to_string().contains(&app.admin_token));
}

#[tokio::test]
async fn sign_ins_and_refused_sign_ins_are_audited_never_with_the_password() {
    let app = TestApp::spawn().await;
    let pat = agent_with_password(&app, "pat@rapport.test").await;
    let client = app.client();
    let sign_in = |email: &'static str, password: &'static str| {
        client
            .post(app.url("/api/v1/session"))
            .json(&json!({"email": email, "password": password}))
            .send()
    };

    assert_eq!(
        sign_in("pat@rapport.test", PASSWORD)
            .await
            .expect("answer")
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        sign_in("pat@rapport.test", "wrong horse battery")
            .await
            .expect("answer")
            .status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        sign_in("nobody@rapport.test", "guessing-password-1")
            .await
            .expect("answer")
            .status(),
        StatusCode::UNAUTHORIZED
    );
    // The workspace's sign-in page.
    let (cookie, token) = form_token(&app, "/sign-in").await;
    let page = browser()
        .post(app.url("/sign-in"))
        .header("cookie", cookie)
        .form(&[
            ("email", "pat@rapport.test"),
            ("password", PASSWORD),
            ("csrf", &token),
        ])
        .send()
        .await
        .expect("answer");
    assert_eq!(page.status(), StatusCode::SEE_OTHER);

    let signed_in = audit(&app, "agent.signed_in").await;
    assert_eq!(signed_in.len(), 2, "{signed_in:?}");
    for (event, via) in signed_in.iter().zip(["workspace", "api"]) {
        assert_eq!(event["entity"], "agent");
        assert_eq!(event["entity_id"], pat);
        assert_eq!(event["actor"], json!({"kind": "agent", "id": pat}));
        assert_eq!(event["changes"]["via"], via);
    }

    let failed = audit(&app, "agent.sign_in_failed").await;
    assert_eq!(failed.len(), 2, "{failed:?}");
    // Nobody is known to have tried: the system records it; an unknown address is about no agent.
    assert_eq!(failed[0]["actor"], json!({"kind": "system", "id": null}));
    assert_eq!(failed[0]["entity_id"], 0);
    assert_eq!(failed[0]["changes"]["email"], "nobody@rapport.test");
    assert_eq!(failed[1]["entity_id"], pat);
    assert_eq!(failed[1]["changes"]["email"], "pat@rapport.test");
    let (_, everything) = app.api().get("/api/v1/audit").await;
    for secret in [PASSWORD, "wrong horse battery", "guessing-password-1"] {
        assert!(!everything.to_string().contains(secret), "{secret}");
    }
}

#[tokio::test]
async fn a_customer_signing_in_with_a_portal_link_is_audited() {
    let app = TestApp::spawn().await;
    let ticket = app.ticket("Printer jams", "ana@example.com").await;
    let link = app
        .app
        .store
        .portal_link_for("ana@example.com")
        .await
        .expect("link");
    let path = link.split("/portal/").nth(1).expect("path");
    let path = format!("/portal/{path}");
    let (cookie, token) = form_token(&app, &path).await;
    let response = browser()
        .post(app.url(&path))
        .header("cookie", cookie)
        .form(&[("csrf", token.as_str())])
        .send()
        .await
        .expect("answer");
    assert_eq!(response.status(), StatusCode::SEE_OTHER);

    let events = audit(&app, "portal.signed_in").await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(
        events[0]["actor"],
        json!({"kind": "customer", "id": ticket["customer_id"]})
    );
}

#[tokio::test]
async fn the_audit_trail_is_for_admins_pages_newest_first_and_filters_by_action() {
    let app = TestApp::spawn().await;
    let (_, agent) = app.agent("sam@rapport.test", Role::Agent, None).await;
    let (_, supervisor) = app
        .agent("priya@rapport.test", Role::Supervisor, None)
        .await;
    for token in [&agent, &supervisor] {
        let (status, body) = app.api_as(Some(token)).get("/api/v1/audit").await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        assert_eq!(error_code(&body), "forbidden");
    }
    let (status, _) = app.api_as(None).get("/api/v1/audit").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    for subject in ["One", "Two", "Three"] {
        app.ticket(subject, "ana@example.com").await;
    }
    let (status, first) = app
        .api()
        .get("/api/v1/audit?action=ticket.created&limit=2")
        .await;
    assert_eq!(status, StatusCode::OK, "{first}");
    let items = first["items"].as_array().expect("items");
    assert_eq!(items.len(), 2);
    assert!(
        items[0]["id"].as_i64() > items[1]["id"].as_i64(),
        "newest first"
    );
    let cursor = first["next_cursor"].as_str().expect("a next page");
    let (_, second) = app
        .api()
        .get(&format!(
            "/api/v1/audit?action=ticket.created&limit=2&cursor={cursor}"
        ))
        .await;
    assert_eq!(second["items"].as_array().expect("items").len(), 1);
    assert!(second["next_cursor"].is_null());
    // `_` in a prefix is itself, not "any character".
    assert!(audit(&app, "ticket_created").await.is_empty());

    for bad in ["action=Ticket%25", "limit=0", "cursor=nonsense"] {
        let (status, body) = app.api().get(&format!("/api/v1/audit?{bad}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
    }
}

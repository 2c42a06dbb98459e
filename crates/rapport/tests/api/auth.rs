use crate::helpers::{TestApp, error_code, error_message};
use rapport_domain::Role;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn no_token_is_401_with_directions() {
    let app = TestApp::spawn().await;

    let (status, body) = app.api_as(None).get("/api/v1/tickets").await;

    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(error_code(&body), "unauthenticated");
    assert!(error_message(&body).contains("Authorization: Bearer"));
}

#[tokio::test]
async fn a_wrong_or_malformed_token_is_401() {
    let app = TestApp::spawn().await;

    let (status, body) = app
        .api_as(Some("rpt_not-a-real-token"))
        .get("/api/v1/tickets")
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(error_code(&body), "invalid_token");

    let request = app
        .client()
        .get(app.url("/api/v1/tickets"))
        .header("authorization", "Basic abc");
    let (status, body) = crate::helpers::Api::send(request).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(error_code(&body), "invalid_token");
}

#[tokio::test]
async fn a_revoked_token_stops_working() {
    let app = TestApp::spawn().await;
    let issued = app
        .app
        .store
        .create_token(app.admin.id, "short-lived")
        .await
        .expect("token");
    assert_eq!(
        app.api_as(Some(&issued.token))
            .get("/api/v1/agents/me")
            .await
            .0,
        StatusCode::OK
    );

    app.app
        .store
        .revoke_token(rapport_domain::Actor::System, issued.id, None)
        .await
        .expect("revoke");

    let (status, body) = app
        .api_as(Some(&issued.token))
        .get("/api/v1/agents/me")
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(error_code(&body), "invalid_token");
}

#[tokio::test]
async fn roles_that_may_not_do_a_thing_get_403_naming_the_role_needed() {
    let app = TestApp::spawn().await;
    let (_, agent_token) = app.agent("sam@rapport.test", Role::Agent, None).await;
    let (_, supervisor_token) = app
        .agent("priya@rapport.test", Role::Supervisor, None)
        .await;

    let (status, body) = app
        .api_as(Some(&agent_token))
        .post("/api/v1/organizations", json!({"name": "Acme"}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(error_code(&body), "forbidden");
    assert!(
        error_message(&body).contains("supervisor or admin"),
        "{body}"
    );

    let (status, _) = app
        .api_as(Some(&supervisor_token))
        .post("/api/v1/organizations", json!({"name": "Acme"}))
        .await;
    assert_eq!(status, StatusCode::CREATED);

    let (status, body) = app
        .api_as(Some(&supervisor_token))
        .post("/api/v1/teams", json!({"name": "Billing"}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(error_message(&body).contains("admin role"), "{body}");
}

#[tokio::test]
async fn agents_can_work_tickets() {
    let app = TestApp::spawn().await;
    let (agent, token) = app.agent("sam@rapport.test", Role::Agent, None).await;
    let api = app.api_as(Some(&token));

    let (status, ticket) = api
        .post("/api/v1/tickets", json!({"subject": "Printer", "body": "It jams.", "customer": {"email": "lee@example.com"}}))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let id = ticket["id"].as_i64().expect("id");
    let (status, message) = api
        .post(
            &format!("/api/v1/tickets/{id}/messages"),
            json!({"body": "On it.", "visibility": "public"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(message["author"], json!({"kind": "agent", "id": agent.id}));
}

#[tokio::test]
async fn passwords_and_sessions() {
    let app = TestApp::spawn().await;
    let store = &app.app.store;
    store
        .create_agent(
            rapport_store::agents::NewAgent {
                email: "pat@rapport.test",
                name: "Pat",
                role: Role::Agent,
                reports_to: None,
                password: Some("a long enough password"),
            },
            rapport_domain::Actor::System,
        )
        .await
        .expect("agent with password");

    assert!(
        store
            .verify_agent_password("PAT@rapport.test", "a long enough password")
            .await
            .expect("query")
            .is_some()
    );
    assert!(
        store
            .verify_agent_password("pat@rapport.test", "wrong")
            .await
            .expect("query")
            .is_none()
    );
    assert!(
        store
            .verify_agent_password("nobody@rapport.test", "a long enough password")
            .await
            .expect("query")
            .is_none()
    );

    let pat = store.agent_by_email("pat@rapport.test").await.expect("pat");
    let session = store
        .create_session(pat.id, rapport_store::auth::SignInVia::Api)
        .await
        .expect("session");
    assert_eq!(
        store
            .agent_for_session(&session)
            .await
            .expect("query")
            .map(|a| a.id),
        Some(pat.id)
    );
    store.end_session(&session).await.expect("end");
    assert!(
        store
            .agent_for_session(&session)
            .await
            .expect("query")
            .is_none()
    );
}

#[tokio::test]
async fn short_passwords_are_refused() {
    let app = TestApp::spawn().await;
    let result = app
        .app
        .store
        .create_agent(
            rapport_store::agents::NewAgent {
                email: "pat@rapport.test",
                name: "Pat",
                role: Role::Agent,
                reports_to: None,
                password: Some("short"),
            },
            rapport_domain::Actor::System,
        )
        .await;
    let error = result.expect_err("a short password");
    assert!(
        error.to_string().contains("at least 10 characters"),
        "{error}"
    );
}

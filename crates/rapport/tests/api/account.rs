//! An agent's own sessions and password: ending the other sessions, changing the password
//! (which ends them too), and the absolute lifetime of a session however busy.

use crate::helpers::{Api, TestApp, error_code};
use rapport_domain::{Actor, Role};
use rapport_store::agents::NewAgent;
use reqwest::StatusCode;
use serde_json::json;

const PASSWORD: &str = "a long enough password";

async fn agent_with_password(app: &TestApp) -> i64 {
    app.app
        .store
        .create_agent(
            NewAgent {
                email: "pat@rapport.test",
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

/// A browser signed in as pat: its cookie and CSRF token.
struct Browser {
    cookie: String,
    csrf: String,
}

async fn sign_in(app: &TestApp, password: &str) -> Option<Browser> {
    let response = app
        .client()
        .post(app.url("/api/v1/session"))
        .json(&json!({"email": "pat@rapport.test", "password": password}))
        .send()
        .await
        .expect("answer");
    if response.status() != StatusCode::OK {
        return None;
    }
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .expect("ascii")
        .split(';')
        .next()
        .expect("pair")
        .to_owned();
    let body: serde_json::Value = response.json().await.expect("json");
    let csrf = body["csrf_token"].as_str().expect("csrf").to_owned();
    Some(Browser { cookie, csrf })
}

impl Browser {
    async fn get(&self, app: &TestApp, path: &str) -> StatusCode {
        let request = app
            .client()
            .get(app.url(path))
            .header("cookie", &self.cookie);
        Api::send(request).await.0
    }

    async fn post(
        &self,
        app: &TestApp,
        path: &str,
        body: serde_json::Value,
    ) -> (StatusCode, serde_json::Value) {
        let request = app
            .client()
            .post(app.url(path))
            .header("cookie", &self.cookie)
            .header("x-csrf-token", &self.csrf)
            .json(&body);
        Api::send(request).await
    }
}

#[tokio::test]
async fn an_agent_ends_their_other_sessions_and_keeps_this_one() {
    let app = TestApp::spawn().await;
    let pat = agent_with_password(&app).await;
    let laptop = sign_in(&app, PASSWORD).await.expect("signed in");
    let phone = sign_in(&app, PASSWORD).await.expect("signed in");
    let kiosk = sign_in(&app, PASSWORD).await.expect("signed in");

    let (status, body) = laptop
        .post(&app, "/api/v1/session/end-others", json!({}))
        .await;

    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["sessions_ended"], 2);
    assert_eq!(laptop.get(&app, "/api/v1/agents/me").await, StatusCode::OK);
    for other in [&phone, &kiosk] {
        assert_eq!(
            other.get(&app, "/api/v1/agents/me").await,
            StatusCode::UNAUTHORIZED
        );
    }
    let (_, audit) = app
        .api()
        .get("/api/v1/audit?action=session.ended_others")
        .await;
    let event = &audit["items"][0];
    assert_eq!(event["actor"], json!({"kind": "agent", "id": pat}));
    assert_eq!(event["changes"]["sessions_ended"], 2);
}

#[tokio::test]
async fn changing_the_password_needs_the_current_one_and_ends_the_other_sessions() {
    let app = TestApp::spawn().await;
    let pat = agent_with_password(&app).await;
    let here = sign_in(&app, PASSWORD).await.expect("signed in");
    let elsewhere = sign_in(&app, PASSWORD).await.expect("signed in");
    let new_password = "a brand new passphrase";

    let (status, body) = here
        .post(
            &app,
            "/api/v1/me/password",
            json!({"current_password": "not the password", "new_password": new_password}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(error_code(&body), "wrong_password");
    let (status, body) = here
        .post(
            &app,
            "/api/v1/me/password",
            json!({"current_password": PASSWORD, "new_password": "short"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(
        elsewhere.get(&app, "/api/v1/agents/me").await,
        StatusCode::OK
    );

    let (status, body) = here
        .post(
            &app,
            "/api/v1/me/password",
            json!({"current_password": PASSWORD, "new_password": new_password}),
        )
        .await;

    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["sessions_ended"], 1);
    assert_eq!(here.get(&app, "/api/v1/agents/me").await, StatusCode::OK);
    assert_eq!(
        elsewhere.get(&app, "/api/v1/agents/me").await,
        StatusCode::UNAUTHORIZED
    );
    assert!(sign_in(&app, PASSWORD).await.is_none(), "the old password");
    assert!(sign_in(&app, new_password).await.is_some(), "the new one");
    let (_, audit) = app
        .api()
        .get("/api/v1/audit?action=agent.password_changed")
        .await;
    assert_eq!(audit["items"][0]["entity_id"], pat, "{audit}");
    assert!(!audit.to_string().contains(new_password));
}

#[tokio::test]
async fn a_session_ends_after_its_absolute_lifetime_however_busy() {
    let app = TestApp::spawn().await;
    agent_with_password(&app).await;
    let browser = sign_in(&app, PASSWORD).await.expect("signed in");

    // Used every 9 days, it never sits idle for the 14 days that end an unused session...
    for _ in 0..3 {
        app.advance(time::Duration::days(9)).await;
        assert_eq!(browser.get(&app, "/api/v1/agents/me").await, StatusCode::OK);
    }
    // ...but 30 days after signing in it ends all the same.
    app.advance(time::Duration::days(4)).await;
    let request = app
        .client()
        .get(app.url("/api/v1/agents/me"))
        .header("cookie", &browser.cookie);
    let (status, body) = Api::send(request).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(error_code(&body), "session_expired");
    assert!(
        sign_in(&app, PASSWORD).await.is_some(),
        "signing in again works"
    );
}

#[tokio::test]
async fn a_session_unused_for_14_days_ends() {
    let app = TestApp::spawn().await;
    agent_with_password(&app).await;
    let browser = sign_in(&app, PASSWORD).await.expect("signed in");

    app.advance(time::Duration::days(13)).await;
    assert_eq!(browser.get(&app, "/api/v1/agents/me").await, StatusCode::OK);
    app.advance(time::Duration::days(15)).await;
    assert_eq!(
        browser.get(&app, "/api/v1/agents/me").await,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn guessing_the_current_password_is_limited_like_signing_in() {
    let app = TestApp::spawn().await;
    let agent = agent_with_password(&app).await;
    let token = app.agent_token(agent).await;
    let change = |current: String| {
        let api = app.api_as(Some(&token));
        async move {
            api.post(
                "/api/v1/me/password",
                json!({"current_password": current, "new_password": "marmalade under the lighthouse"}),
            )
            .await
        }
    };
    for n in 0..5 {
        let (status, body) = change(format!("guess {n}")).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    }
    let (status, body) = change(PASSWORD.to_owned()).await;
    assert_eq!(
        status,
        StatusCode::TOO_MANY_REQUESTS,
        "even the right password after five wrong ones: {body}"
    );
    assert_eq!(error_code(&body), "too_many_attempts");
}

//! Two-factor sign-in through the real server: setting it up, confirming it (recovery codes),
//! signing in with a code (wrong, replayed, a recovery code once), turning it off, an admin
//! requiring it and resetting it, the limiter, one code racing itself, the workspace's pages,
//! and every change in the audit trail.

use crate::helpers::{Api, TestApp, browser, error_code, form_token, get_page, post_form};
use crate::workspace::between;
use rapport_domain::two_factor::{code_at, from_base32};
use rapport_domain::{Actor, Role};
use rapport_store::agents::NewAgent;
use reqwest::StatusCode;
use serde_json::{Value, json};
use time::Duration;

const PASSWORD: &str = "a long enough password";
const EMAIL: &str = "pat@rapport.test";

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

/// The code an authenticator app shows now (by the test app's clock) for a base32 secret.
fn code_now(app: &TestApp, secret: &str) -> String {
    let secret = from_base32(secret).expect("a base32 secret");
    code_at(&secret, app.clock.now().unix_timestamp())
}

/// A code that is not the one of now, nor of a step either side.
fn wrong_code(app: &TestApp, secret: &str) -> String {
    let bytes = from_base32(secret).expect("base32");
    let now = app.clock.now().unix_timestamp();
    let near: Vec<String> = [-30, 0, 30]
        .iter()
        .map(|offset| code_at(&bytes, now + offset))
        .collect();
    (0..1_000_000)
        .map(|n| format!("{n:06}"))
        .find(|code| !near.contains(code))
        .expect("a wrong code")
}

/// `name=value` of a cookie the response sets.
fn set_cookie(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find(|value| value.starts_with(&format!("{name}=")))
        .and_then(|value| value.split(';').next())
        .map(str::to_owned)
}

/// `POST /api/v1/session`: the status, the body and the session cookie if one was set.
async fn password_step(
    app: &TestApp,
    email: &str,
    password: &str,
) -> (StatusCode, Value, Option<String>) {
    let response = app
        .client()
        .post(app.url("/api/v1/session"))
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .expect("answer");
    let cookie = set_cookie(&response, "rapport_session");
    let status = response.status();
    (status, response.json().await.expect("json"), cookie)
}

/// `POST /api/v1/session/two-factor`.
async fn code_step(
    app: &TestApp,
    pending: &str,
    code: &str,
) -> (StatusCode, Value, Option<String>) {
    let response = app
        .client()
        .post(app.url("/api/v1/session/two-factor"))
        .json(&json!({"pending_token": pending, "code": code}))
        .send()
        .await
        .expect("answer");
    let cookie = set_cookie(&response, "rapport_session");
    let status = response.status();
    (status, response.json().await.expect("json"), cookie)
}

/// Signs in with the password alone and answers the pending token of the second step.
async fn pending_token(app: &TestApp, email: &str) -> String {
    let (status, body, cookie) = password_step(app, email, PASSWORD).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert!(cookie.is_none(), "no session before the code");
    body["pending_token"]
        .as_str()
        .expect("a pending token")
        .to_owned()
}

/// Sets two-factor sign-in up for an agent with their token; answers the secret and the
/// recovery codes. The clock moves on a step, so the confirming code is not the next one.
async fn enroll(app: &TestApp, token: &str) -> (String, Vec<String>) {
    let api = app.api_as(Some(token));
    let (status, body) = api.post("/api/v1/me/two-factor", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let secret = body["secret"].as_str().expect("secret").to_owned();
    let (status, body) = api
        .post(
            "/api/v1/me/two-factor/confirm",
            json!({"code": code_now(app, &secret)}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let codes = body["recovery_codes"]
        .as_array()
        .expect("codes")
        .iter()
        .map(|code| code.as_str().expect("text").to_owned())
        .collect();
    app.clock.advance(Duration::seconds(30));
    (secret, codes)
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
async fn an_agent_sets_it_up_and_then_signs_in_with_a_code() {
    let app = TestApp::spawn().await;
    let id = agent_with_password(&app, EMAIL).await;
    let token = app.agent_token(id).await;
    let api = app.api_as(Some(&token));

    let (status, state) = api.get("/api/v1/me/two-factor").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(state["enabled"], false);
    let (status, setup) = api.post("/api/v1/me/two-factor", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{setup}");
    let secret = setup["secret"].as_str().expect("secret").to_owned();
    assert_eq!(secret.len(), 32, "160 bits in base32");
    assert_eq!(
        setup["otpauth_uri"],
        format!("otpauth://totp/Rapport:{EMAIL}?secret={secret}&issuer=Rapport")
    );
    let (_, state) = api.get("/api/v1/me/two-factor").await;
    assert_eq!(state["setup_pending"], true);
    assert_eq!(state["enabled"], false);
    let (status, _, cookie) = password_step(&app, EMAIL, PASSWORD).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "a set-up not confirmed does not count"
    );
    assert!(cookie.is_some());

    let (status, body) = api
        .post(
            "/api/v1/me/two-factor/confirm",
            json!({"code": wrong_code(&app, &secret)}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_code(&body), "wrong_code");
    let used_to_confirm = code_now(&app, &secret);
    let (status, body) = api
        .post(
            "/api/v1/me/two-factor/confirm",
            json!({"code": used_to_confirm}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let codes = body["recovery_codes"].as_array().expect("codes");
    assert_eq!(codes.len(), 10);
    let distinct: std::collections::HashSet<_> = codes.iter().collect();
    assert_eq!(distinct.len(), 10);
    let (_, state) = api.get("/api/v1/me/two-factor").await;
    assert_eq!(state["enabled"], true);
    assert_eq!(state["recovery_codes_left"], 10);
    let (status, body) = api.post("/api/v1/me/two-factor", json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(error_code(&body), "two_factor_already_on");

    // The password alone no longer signs in.
    let (status, body, cookie) = password_step(&app, EMAIL, PASSWORD).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert!(cookie.is_none());
    assert_eq!(body["second_step"], "code");
    assert!(body.get("enrollment").is_none());
    let pending = body["pending_token"].as_str().expect("token").to_owned();

    // The code that confirmed the set-up is spent: a replay within its step is refused.
    let (status, body, cookie) = code_step(&app, &pending, &used_to_confirm).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(error_code(&body), "code_already_used");
    assert!(cookie.is_none());
    app.clock.advance(Duration::seconds(30));
    let (status, body, _) = code_step(&app, &pending, &wrong_code(&app, &secret)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(error_code(&body), "wrong_code");
    let (status, body, _) = code_step(&app, "rps_not-a-real-one", &code_now(&app, &secret)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(error_code(&body), "sign_in_expired");

    let code = code_now(&app, &secret);
    let (status, body, cookie) = code_step(&app, &pending, &code).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["agent"]["email"], EMAIL);
    assert!(body.get("recovery_codes").is_none());
    let cookie = cookie.expect("a session cookie");
    let (status, me) = Api::send(
        app.client()
            .get(app.url("/api/v1/agents/me"))
            .header("cookie", &cookie),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{me}");
    let (status, body, _) = code_step(&app, &pending, &code).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "a pending sign-in completes once"
    );
    assert_eq!(error_code(&body), "sign_in_expired");

    // The same code in a new sign-in, in the same step: refused.
    let again = pending_token(&app, EMAIL).await;
    let (status, body, _) = code_step(&app, &again, &code).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(error_code(&body), "code_already_used");

    let actions: Vec<String> = audit(&app, "two_factor.")
        .await
        .iter()
        .map(|event| event["action"].as_str().expect("action").to_owned())
        .collect();
    assert_eq!(
        actions,
        [
            "two_factor.code_refused",
            "two_factor.code_refused",
            "two_factor.code_refused",
            "two_factor.enabled",
            "two_factor.code_refused",
            "two_factor.setup_started",
        ]
    );
    let refused = audit(&app, "two_factor.code_refused").await;
    assert_eq!(
        refused[0]["changes"],
        json!({"reason": "reused", "during": "api"})
    );
    assert_eq!(
        refused[1]["changes"],
        json!({"reason": "wrong", "during": "api"})
    );
    assert_eq!(
        refused[3]["changes"],
        json!({"reason": "wrong", "during": "setup"})
    );
    let signed_in = audit(&app, "agent.signed_in").await;
    assert_eq!(
        signed_in[0]["changes"],
        json!({"via": "api", "second_factor": "app_code"})
    );
    let everything = serde_json::to_string(&audit(&app, "").await).expect("json");
    assert!(
        !everything.contains(&secret),
        "the secret is never in the audit trail"
    );
}

#[tokio::test]
async fn a_recovery_code_signs_in_once() {
    let app = TestApp::spawn().await;
    let id = agent_with_password(&app, EMAIL).await;
    let token = app.agent_token(id).await;
    let (_, codes) = enroll(&app, &token).await;

    let pending = pending_token(&app, EMAIL).await;
    // Typed in capitals and without the dash, it is the same code.
    let typed = codes[3].replace('-', "").to_uppercase();
    let (status, body, cookie) = code_step(&app, &pending, &typed).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(cookie.is_some());
    let (_, state) = app.api_as(Some(&token)).get("/api/v1/me/two-factor").await;
    assert_eq!(state["recovery_codes_left"], 9);

    let pending = pending_token(&app, EMAIL).await;
    let (status, body, cookie) = code_step(&app, &pending, &codes[3]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(error_code(&body), "code_already_used");
    assert!(cookie.is_none());
    let (status, _, _) = code_step(&app, &pending, &codes[4]).await;
    assert_eq!(status, StatusCode::OK, "another recovery code still works");

    let used = audit(&app, "two_factor.recovery_code_used").await;
    assert_eq!(used.len(), 2);
    assert_eq!(used[0]["changes"], json!({"recovery_codes_left": 8}));
    let signed_in = audit(&app, "agent.signed_in").await;
    assert_eq!(signed_in[0]["changes"]["second_factor"], "recovery_code");
    let everything = serde_json::to_string(&audit(&app, "").await).expect("json");
    assert!(
        !everything.contains(&codes[3]),
        "codes are never in the audit trail"
    );
}

#[tokio::test]
async fn wrong_codes_count_as_failed_sign_ins_and_a_waiting_sign_in_expires() {
    let app = TestApp::spawn().await;
    let id = agent_with_password(&app, EMAIL).await;
    let token = app.agent_token(id).await;
    let (secret, _) = enroll(&app, &token).await;

    let pending = pending_token(&app, EMAIL).await;
    app.clock.advance(Duration::minutes(6));
    let (status, body, _) = code_step(&app, &pending, &code_now(&app, &secret)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "after 5 minutes");
    assert_eq!(error_code(&body), "sign_in_expired");

    let pending = pending_token(&app, EMAIL).await;
    for _ in 0..5 {
        let (status, body, _) = code_step(&app, &pending, "000000x").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
        assert_eq!(error_code(&body), "wrong_code");
    }
    let (status, body, _) = code_step(&app, &pending, &code_now(&app, &secret)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(
        error_code(&body),
        "sign_in_expired",
        "a waiting sign-in takes 5 attempts"
    );
    let (status, body, _) = password_step(&app, EMAIL, PASSWORD).await;
    assert_eq!(error_code(&body), "too_many_attempts");
    assert_eq!(
        status,
        StatusCode::TOO_MANY_REQUESTS,
        "the password step shares the limit"
    );
    let refused = audit(&app, "two_factor.code_refused").await;
    assert_eq!(refused.len(), 5);
    assert_eq!(refused[0]["changes"]["reason"], "malformed");
}

#[tokio::test]
async fn one_code_signs_in_once_however_many_use_it_at_once() {
    let app = TestApp::spawn().await;
    let id = agent_with_password(&app, EMAIL).await;
    let token = app.agent_token(id).await;
    let (secret, _) = enroll(&app, &token).await;

    let mut pendings = Vec::new();
    for _ in 0..20 {
        pendings.push(pending_token(&app, EMAIL).await);
    }
    let code = code_now(&app, &secret);
    let attempts = pendings
        .iter()
        .map(|pending| code_step(&app, pending, &code));
    let answers = futures_util::future::join_all(attempts).await;

    let signed_in = answers
        .iter()
        .filter(|(status, _, _)| *status == StatusCode::OK)
        .count();
    assert_eq!(signed_in, 1, "{answers:?}");
    for (status, body, _) in &answers {
        assert!(
            [
                StatusCode::OK,
                StatusCode::UNAUTHORIZED,
                StatusCode::TOO_MANY_REQUESTS
            ]
            .contains(status),
            "{status} {body}"
        );
    }
    assert_eq!(audit(&app, "agent.signed_in").await.len(), 1);
}

#[tokio::test]
async fn turning_it_off_takes_the_password_and_a_code() {
    let app = TestApp::spawn().await;
    let id = agent_with_password(&app, EMAIL).await;
    let token = app.agent_token(id).await;
    let api = app.api_as(Some(&token));
    let (status, body) = Api::send(
        api.request(reqwest::Method::DELETE, "/api/v1/me/two-factor")
            .json(&json!({"password": PASSWORD, "code": "123456"})),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "nothing to turn off");
    assert_eq!(error_code(&body), "two_factor_not_on");
    let (secret, _) = enroll(&app, &token).await;
    let turn_off = |password: &str, code: String| {
        Api::send(
            api.request(reqwest::Method::DELETE, "/api/v1/me/two-factor")
                .json(&json!({"password": password, "code": code})),
        )
    };

    let (status, body) = turn_off("not the password", code_now(&app, &secret)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(error_code(&body), "wrong_password");
    let (status, body) = turn_off(PASSWORD, wrong_code(&app, &secret)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_code(&body), "wrong_code");
    let (status, body) = turn_off(PASSWORD, code_now(&app, &secret)).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");

    let (_, state) = api.get("/api/v1/me/two-factor").await;
    assert_eq!(state["enabled"], false);
    assert_eq!(state["recovery_codes_left"], 0);
    let (status, _, cookie) = password_step(&app, EMAIL, PASSWORD).await;
    assert_eq!(status, StatusCode::OK, "the password alone signs in again");
    assert!(cookie.is_some());
    let disabled = audit(&app, "two_factor.disabled").await;
    assert_eq!(disabled.len(), 1);
    assert_eq!(disabled[0]["actor"], json!({"kind": "agent", "id": id}));
}

#[tokio::test]
async fn admins_can_require_it_and_agents_then_set_it_up_to_sign_in() {
    let app = TestApp::spawn().await;
    let id = agent_with_password(&app, EMAIL).await;
    let token = app.agent_token(id).await;

    let (status, _) = app
        .api_as(Some(&token))
        .patch("/api/v1/settings", json!({"require_two_factor": true}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "admins only");
    let (status, settings) = app
        .api()
        .patch("/api/v1/settings", json!({"require_two_factor": true}))
        .await;
    assert_eq!(status, StatusCode::OK, "{settings}");
    assert_eq!(settings["require_two_factor"], true);
    let changed = audit(&app, "settings.updated").await;
    assert_eq!(
        changed[0]["changes"],
        json!({"require_two_factor": {"before": false, "after": true}})
    );

    // API tokens are not affected.
    let (status, _) = app.api_as(Some(&token)).get("/api/v1/agents/me").await;
    assert_eq!(status, StatusCode::OK);

    // The password step answers that the agent must set it up, with the secret.
    let (status, body, cookie) = password_step(&app, EMAIL, PASSWORD).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert!(cookie.is_none());
    assert_eq!(body["second_step"], "enroll");
    let secret = body["enrollment"]["secret"]
        .as_str()
        .expect("secret")
        .to_owned();
    assert!(
        body["enrollment"]["otpauth_uri"]
            .as_str()
            .expect("uri")
            .starts_with("otpauth://totp/Rapport:")
    );
    let pending = body["pending_token"].as_str().expect("token").to_owned();
    let (status, body, _) = code_step(&app, &pending, &wrong_code(&app, &secret)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(error_code(&body), "wrong_code");
    let (status, body, cookie) = code_step(&app, &pending, &code_now(&app, &secret)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(cookie.is_some());
    assert_eq!(body["recovery_codes"].as_array().expect("codes").len(), 10);
    let enabled = audit(&app, "two_factor.enabled").await;
    assert_eq!(enabled[0]["changes"]["via"], "api");

    // Required, it cannot be turned off by the agent.
    app.clock.advance(Duration::seconds(30));
    let (status, body) = Api::send(
        app.api_as(Some(&token))
            .request(reqwest::Method::DELETE, "/api/v1/me/two-factor")
            .json(&json!({"password": PASSWORD, "code": code_now(&app, &secret)})),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(error_code(&body), "two_factor_required");

    // An admin resets it (a lost phone): the agent sets it up again at the next sign-in.
    let (status, _) = app
        .api_as(Some(&token))
        .delete(&format!("/api/v1/agents/{id}/two-factor"))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "admins only");
    let (status, body) = app
        .api()
        .delete(&format!("/api/v1/agents/{id}/two-factor"))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (status, body, _) = password_step(&app, EMAIL, PASSWORD).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert_eq!(body["second_step"], "enroll");
    assert_ne!(body["enrollment"]["secret"], secret, "a new secret");
    let reset = audit(&app, "two_factor.reset").await;
    assert_eq!(
        reset[0]["actor"],
        json!({"kind": "agent", "id": app.admin.id})
    );

    // Lifted, the password alone signs in again those who never set it up.
    let (status, _) = app
        .api()
        .patch("/api/v1/settings", json!({"require_two_factor": false}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, _) = password_step(&app, EMAIL, PASSWORD).await;
    assert_eq!(status, StatusCode::OK);
}

/// The browser's cookies so far, as one `Cookie` header.
fn with(cookies: &[&str]) -> String {
    cookies.join("; ")
}

/// The sign-in page's password step: the form cookie and the redirect to the code page with
/// the waiting sign-in's cookie.
async fn sign_in_page(app: &TestApp, email: &str) -> (String, String) {
    let (form_cookie, form) = form_token(app, "/sign-in?next=/tasks").await;
    let response = browser()
        .post(app.url("/sign-in"))
        .header("cookie", &form_cookie)
        .form(&[
            ("email", email),
            ("password", PASSWORD),
            ("csrf", &form),
            ("next", "/tasks"),
        ])
        .send()
        .await
        .expect("answer");
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()["location"], "/sign-in/code?next=/tasks");
    assert!(set_cookie(&response, "rapport_session").is_none());
    let pending = set_cookie(&response, "rapport_pending").expect("a pending cookie");
    (with(&[&form_cookie, &pending]), form)
}

async fn submit_code(app: &TestApp, cookies: &str, form: &str, code: &str) -> reqwest::Response {
    browser()
        .post(app.url("/sign-in/code"))
        .header("cookie", cookies)
        .form(&[("code", code), ("csrf", form), ("next", "/tasks")])
        .send()
        .await
        .expect("answer")
}

#[tokio::test]
async fn the_workspace_asks_for_the_code_after_the_password() {
    let app = TestApp::spawn().await;
    let id = agent_with_password(&app, EMAIL).await;
    let token = app.agent_token(id).await;
    let (secret, codes) = enroll(&app, &token).await;

    let (cookies, form) = sign_in_page(&app, EMAIL).await;
    let (status, page) = get_page(&app, &cookies, "/sign-in/code?next=/tasks").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Enter your code"), "{page}");
    assert!(!page.contains(&secret));

    let response = submit_code(&app, &cookies, "forged", &code_now(&app, &secret)).await;
    assert_eq!(
        response.status(),
        StatusCode::FORBIDDEN,
        "the form token is checked"
    );
    let response = submit_code(&app, &cookies, &form, &wrong_code(&app, &secret)).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(set_cookie(&response, "rapport_session").is_none());
    let page = response.text().await.expect("page");
    assert!(page.contains("That code is not right"), "{page}");

    let response = submit_code(&app, &cookies, &form, &code_now(&app, &secret)).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()["location"], "/tasks");
    let session = set_cookie(&response, "rapport_session").expect("a session");
    assert_eq!(
        set_cookie(&response, "rapport_pending").as_deref(),
        Some("rapport_pending="),
        "the waiting sign-in's cookie is cleared"
    );
    let (status, _) = get_page(&app, &session, "/tasks").await;
    assert_eq!(status, StatusCode::OK);

    // A recovery code, once; then the waiting sign-in is over for that cookie.
    let (cookies, form) = sign_in_page(&app, EMAIL).await;
    let response = submit_code(&app, &cookies, &form, &codes[0]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let response = submit_code(&app, &cookies, &form, &codes[1]).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let page = response.text().await.expect("page");
    assert!(page.contains("Sign in again"), "{page}");
    let (status, location) = get_page(&app, &cookies, "/sign-in/code").await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{location}");
    let refused = audit(&app, "two_factor.code_refused").await;
    assert_eq!(refused[0]["changes"]["during"], "workspace");
}

#[tokio::test]
async fn the_workspace_makes_agents_set_it_up_when_required() {
    let app = TestApp::spawn().await;
    agent_with_password(&app, EMAIL).await;
    let (status, _) = app
        .api()
        .patch("/api/v1/settings", json!({"require_two_factor": true}))
        .await;
    assert_eq!(status, StatusCode::OK);

    let (cookies, form) = sign_in_page(&app, EMAIL).await;
    let (status, page) = get_page(&app, &cookies, "/sign-in/code?next=/tasks").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Set up two-factor sign-in"), "{page}");
    let secret = between(&page, "id=\"secret\">", "</code>").replace(' ', "");
    let uri = format!("otpauth://totp/Rapport:{EMAIL}?secret={secret}&#38;issuer=Rapport");
    assert!(page.contains(&uri), "{uri} in {page}");

    let response = submit_code(&app, &cookies, &form, &code_now(&app, &secret)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let session = set_cookie(&response, "rapport_session").expect("a session");
    let page = response.text().await.expect("page");
    assert!(page.contains("Your recovery codes"), "{page}");
    assert_eq!(page.matches("<li><code>").count(), 10);
    assert!(page.contains("href=\"/tasks\""));
    let (status, _) = get_page(&app, &session, "/tasks").await;
    assert_eq!(status, StatusCode::OK);
    let enabled = audit(&app, "two_factor.enabled").await;
    assert_eq!(enabled[0]["changes"]["via"], "workspace");
}

#[tokio::test]
async fn the_account_page_sets_it_up_and_turns_it_off() {
    let app = TestApp::spawn().await;
    agent_with_password(&app, EMAIL).await;
    let (status, body, cookie) = password_step(&app, EMAIL, PASSWORD).await;
    assert_eq!(status, StatusCode::OK);
    let cookie = cookie.expect("session");
    let csrf = body["csrf_token"].as_str().expect("csrf").to_owned();

    let (status, page) = get_page(&app, &cookie, "/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("href=\"/account\""), "linked from the layout");
    let (status, page) = get_page(&app, &cookie, "/account").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Set up two-factor sign-in"), "{page}");

    let (status, _) = post_form(&app, &cookie, "/account/two-factor", &[("csrf", "forged")]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, location) =
        post_form(&app, &cookie, "/account/two-factor", &[("csrf", &csrf)]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location, "/account#two-factor");
    let (_, page) = get_page(&app, &cookie, "/account").await;
    let secret = between(&page, "id=\"secret\">", "</code>").replace(' ', "");
    assert_eq!(secret.len(), 32);

    let (status, page) = post_form(
        &app,
        &cookie,
        "/account/two-factor/confirm",
        &[("csrf", &csrf), ("code", &wrong_code(&app, &secret))],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("That code is not right"));
    let (status, page) = post_form(
        &app,
        &cookie,
        "/account/two-factor/confirm",
        &[("csrf", &csrf), ("code", &code_now(&app, &secret))],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page.matches("<li><code>").count(), 10, "{page}");
    let (_, page) = get_page(&app, &cookie, "/account").await;
    assert!(page.contains("<strong>On</strong>"), "{page}");
    assert!(page.contains("10 of your recovery codes are left"));
    assert!(
        !page.contains(&secret[..8]),
        "the secret is not shown once on"
    );

    app.clock.advance(Duration::seconds(30));
    let (status, page) = post_form(
        &app,
        &cookie,
        "/account/two-factor/off",
        &[
            ("csrf", &csrf),
            ("password", "wrong password"),
            ("code", &code_now(&app, &secret)),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(page.contains("The password is not right"));
    let (status, location) = post_form(
        &app,
        &cookie,
        "/account/two-factor/off",
        &[
            ("csrf", &csrf),
            ("password", PASSWORD),
            ("code", &code_now(&app, &secret)),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(location.starts_with("/account?done="), "{location}");
    let (_, page) = get_page(&app, &cookie, "/account").await;
    assert!(page.contains("<strong>Off.</strong>"));
    let (status, _, _) = password_step(&app, EMAIL, PASSWORD).await;
    assert_eq!(status, StatusCode::OK);
}

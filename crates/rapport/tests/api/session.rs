//! Browser sessions: the cookie, its flags, the CSRF token, signing out, and the brake on
//! password guessing.

use crate::helpers::{
    Api, TestApp, all_at_once, browser_from, count_status, error_code, error_message,
};
use rapport_domain::{Actor, Role};
use rapport_store::agents::NewAgent;
use reqwest::{Method, StatusCode};
use serde_json::json;

async fn agent_with_password(app: &TestApp) {
    app.app
        .store
        .create_agent(
            NewAgent {
                email: "pat@rapport.test",
                name: "Pat",
                role: Role::Agent,
                reports_to: None,
                password: Some("a long enough password"),
            },
            Actor::System,
        )
        .await
        .expect("agent");
}

fn cookie_of(response: &reqwest::Response) -> String {
    let header = response.headers()["set-cookie"]
        .to_str()
        .expect("ascii")
        .to_owned();
    header.split(';').next().expect("pair").to_owned()
}

#[tokio::test]
async fn signing_in_sets_a_safe_cookie_that_works_with_its_csrf_token() {
    let app = TestApp::spawn().await;
    agent_with_password(&app).await;
    let client = app.client();

    let response = client
        .post(app.url("/api/v1/session"))
        .json(&json!({"email": "PAT@rapport.test", "password": "a long enough password"}))
        .send()
        .await
        .expect("answer");

    assert_eq!(response.status(), StatusCode::OK);
    let set_cookie = response.headers()["set-cookie"]
        .to_str()
        .expect("ascii")
        .to_owned();
    for flag in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(set_cookie.contains(flag), "{flag} in {set_cookie}");
    }
    assert!(!set_cookie.contains("Secure"), "plain HTTP on localhost");
    let cookie = cookie_of(&response);
    let body: serde_json::Value = response.json().await.expect("json");
    assert_eq!(body["agent"]["email"], "pat@rapport.test");
    let csrf = body["csrf_token"].as_str().expect("csrf").to_owned();

    let me = client
        .get(app.url("/api/v1/agents/me"))
        .header("cookie", &cookie)
        .send()
        .await
        .expect("me");
    assert_eq!(me.status(), StatusCode::OK, "reading needs only the cookie");

    let ticket = json!({"subject": "From the browser", "body": "Hello", "customer": {"email": "ana@example.com"}});
    let (status, body) = Api::send(
        client
            .post(app.url("/api/v1/tickets"))
            .header("cookie", &cookie)
            .json(&ticket),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "changing something needs the CSRF token"
    );
    assert!(error_message(&body).contains("X-CSRF-Token"));
    let (status, _) = Api::send(
        client
            .post(app.url("/api/v1/tickets"))
            .header("cookie", &cookie)
            .header("x-csrf-token", "forged")
            .json(&ticket),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, created) = Api::send(
        client
            .post(app.url("/api/v1/tickets"))
            .header("cookie", &cookie)
            .header("x-csrf-token", &csrf)
            .json(&ticket),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");

    let (status, session) = Api::send(
        client
            .get(app.url("/api/v1/session"))
            .header("cookie", &cookie),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(session["csrf_token"], csrf);

    let signed_out = client
        .delete(app.url("/api/v1/session"))
        .header("cookie", &cookie)
        .header("x-csrf-token", &csrf)
        .send()
        .await
        .expect("sign out");
    assert_eq!(signed_out.status(), StatusCode::NO_CONTENT);
    assert!(
        signed_out.headers()["set-cookie"]
            .to_str()
            .expect("ascii")
            .contains("Max-Age=0")
    );
    let (status, body) = Api::send(
        client
            .get(app.url("/api/v1/agents/me"))
            .header("cookie", &cookie),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(error_code(&body), "session_expired");
}

#[tokio::test]
async fn the_cookie_is_secure_behind_https() {
    let app = TestApp::spawn().await;
    agent_with_password(&app).await;

    let response = app
        .client()
        .post(app.url("/api/v1/session"))
        .header("x-forwarded-proto", "https")
        .json(&json!({"email": "pat@rapport.test", "password": "a long enough password"}))
        .send()
        .await
        .expect("answer");

    assert!(
        response.headers()["set-cookie"]
            .to_str()
            .expect("ascii")
            .contains("Secure")
    );
}

#[tokio::test]
async fn wrong_passwords_say_nothing_about_who_exists_and_repeated_guesses_are_refused() {
    let app = TestApp::spawn().await;
    agent_with_password(&app).await;
    let sign_in = |email: &'static str, password: &'static str| {
        app.api_as(None)
            .request(Method::POST, "/api/v1/session")
            .json(&json!({"email": email, "password": password}))
    };

    let (status, unknown) = Api::send(sign_in("nobody@rapport.test", "whatever")).await;
    let (_, wrong) = Api::send(sign_in("pat@rapport.test", "wrong password")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        unknown, wrong,
        "the same answer whether or not the address exists"
    );

    for _ in 0..4 {
        Api::send(sign_in("pat@rapport.test", "wrong password")).await;
    }
    let (status, body) = Api::send(sign_in("pat@rapport.test", "a long enough password")).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(error_code(&body), "too_many_attempts");
    assert!(error_message(&body).contains("minutes"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_guesses_at_once_check_five_passwords_and_lock_out_only_the_guessers_machine() {
    let app = TestApp::spawn().await;
    agent_with_password(&app).await;
    let guesser = browser_from("127.0.0.1");
    let guess = |password: &str| {
        guesser
            .post(app.url("/api/v1/session"))
            .json(&json!({"email": "pat@rapport.test", "password": password}))
    };
    let checked_before = app.app.store.password_checks();

    let answers = all_at_once(
        (0..50)
            .map(|i| guess(&format!("guess number {i}")))
            .collect(),
    )
    .await;

    let checked = app.app.store.password_checks() - checked_before;
    assert!(checked <= 5, "{checked} passwords were checked");
    assert_eq!(count_status(&answers, StatusCode::UNAUTHORIZED), 5);
    assert_eq!(count_status(&answers, StatusCode::TOO_MANY_REQUESTS), 45);
    let (status, body) = Api::send(guess("a long enough password")).await;
    assert_eq!(
        status,
        StatusCode::TOO_MANY_REQUESTS,
        "even the right password, from the guessing machine: {body}"
    );
    assert_eq!(error_code(&body), "too_many_attempts");

    let (status, body) = Api::send(
        browser_from("127.0.0.2")
            .post(app.url("/api/v1/session"))
            .json(&json!({"email": "pat@rapport.test", "password": "a long enough password"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "Pat on her own machine: {body}");
}

#[tokio::test]
async fn an_unknown_address_costs_the_same_password_check_as_an_agents() {
    let app = TestApp::spawn().await;
    agent_with_password(&app).await;
    let store = &app.app.store;

    for email in [
        "pat@rapport.test",
        "nobody@rapport.test",
        "admin@rapport.test",
        "not an address",
    ] {
        let before = store.password_checks();
        let (status, _) = Api::send(
            app.api_as(None)
                .request(Method::POST, "/api/v1/session")
                .json(&json!({"email": email, "password": "wrong password"})),
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(
            store.password_checks() - before,
            1,
            "one password check for {email}"
        );
    }
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_client_is_limited_by_its_own_address() {
    let app = TestApp::spawn_with(|config| {
        config.trusted_proxies = vec!["127.0.0.1".parse().expect("ip")];
    })
    .await;
    agent_with_password(&app).await;
    let through_proxy = |client: &str, password: &str| {
        browser_from("127.0.0.1")
            .post(app.url("/api/v1/session"))
            .header("x-forwarded-for", client)
            .json(&json!({"email": "pat@rapport.test", "password": password}))
    };
    for n in 0..6 {
        Api::send(through_proxy("203.0.113.9", &format!("guess {n}"))).await;
    }
    let (status, _) = Api::send(through_proxy("203.0.113.9", "a long enough password")).await;
    assert_eq!(
        status,
        StatusCode::TOO_MANY_REQUESTS,
        "the guesser is held back"
    );
    // A forged address on the left changes nothing: the proxy's own entry counts.
    let (status, _) = Api::send(through_proxy(
        "192.0.2.44, 203.0.113.9",
        "a long enough password",
    ))
    .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);

    let (status, body) = Api::send(through_proxy("198.51.100.20", "a long enough password")).await;
    assert_eq!(status, StatusCode::OK, "Pat, behind the same proxy: {body}");
    // Not from a trusted proxy: the header is the client's word and is ignored.
    let untrusted = browser_from("127.0.0.2")
        .post(app.url("/api/v1/session"))
        .header("x-forwarded-for", "198.51.100.20")
        .json(&json!({"email": "pat@rapport.test", "password": "wrong one"}));
    assert_eq!(Api::send(untrusted).await.0, StatusCode::UNAUTHORIZED);
}

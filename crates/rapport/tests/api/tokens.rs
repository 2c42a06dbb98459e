//! API tokens over HTTP: an agent lists, makes and revokes their own; an admin sees and
//! revokes anyone's; a revoked token is refused at once; revoking is audited.

use crate::helpers::{TestApp, error_code};
use rapport_domain::Role;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn agents_list_their_own_tokens_and_admins_everyones_never_the_secret() {
    let app = TestApp::spawn().await;
    let (sam, sam_token) = app.agent("sam@rapport.test", Role::Agent, None).await;
    let (_, lee_token) = app.agent("lee@rapport.test", Role::Agent, None).await;
    let (status, made) = app
        .api_as(Some(&sam_token))
        .post("/api/v1/tokens", json!({"label": "Laptop script"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    let secret = made["token"].as_str().expect("the secret, once").to_owned();
    assert_eq!(
        app.api_as(Some(&secret)).get("/api/v1/agents/me").await.0,
        StatusCode::OK,
        "the new token works"
    );

    let (status, own) = app.api_as(Some(&sam_token)).get("/api/v1/tokens").await;
    assert_eq!(status, StatusCode::OK, "{own}");
    let items = own["items"].as_array().expect("items");
    assert_eq!(items.len(), 2, "sam's harness token and the new one: {own}");
    assert!(items.iter().all(|t| t["agent_id"] == sam.id));
    assert_eq!(items[0]["label"], "Laptop script");
    assert!(items[0]["revoked_at"].is_null());

    let (_, all) = app.api().get("/api/v1/tokens").await;
    assert_eq!(all["items"].as_array().expect("items").len(), 4, "{all}");
    for listing in [own.to_string(), all.to_string()] {
        for secret in [&secret, &sam_token, &lee_token, &app.admin_token] {
            assert!(!listing.contains(secret.as_str()), "a secret in {listing}");
        }
    }
    let (status, body) = app
        .api_as(Some(&sam_token))
        .post("/api/v1/tokens", json!({"label": "  "}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
}

#[tokio::test]
async fn a_revoked_token_is_refused_at_once_and_only_its_owner_or_an_admin_may_revoke_it() {
    let app = TestApp::spawn().await;
    let (sam, sam_token) = app.agent("sam@rapport.test", Role::Agent, None).await;
    let (_, lee_token) = app.agent("lee@rapport.test", Role::Agent, None).await;
    let (_, made) = app
        .api_as(Some(&sam_token))
        .post("/api/v1/tokens", json!({"label": "CI"}))
        .await;
    let id = made["id"].as_i64().expect("id");
    let secret = made["token"].as_str().expect("secret").to_owned();

    // Another agent cannot even see that it exists.
    let (status, body) = app
        .api_as(Some(&lee_token))
        .delete(&format!("/api/v1/tokens/{id}"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(error_code(&body), "token_not_found");
    assert_eq!(
        app.api_as(Some(&secret)).get("/api/v1/agents/me").await.0,
        StatusCode::OK
    );

    let (status, body) = app
        .api_as(Some(&sam_token))
        .delete(&format!("/api/v1/tokens/{id}"))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (status, body) = app.api_as(Some(&secret)).get("/api/v1/agents/me").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(error_code(&body), "invalid_token");
    let (_, listed) = app.api_as(Some(&sam_token)).get("/api/v1/tokens").await;
    assert!(listed["items"][0]["revoked_at"].is_string(), "{listed}");

    // An admin may revoke anyone's token, here sam's last one.
    let sams = app.api_as(Some(&sam_token)).get("/api/v1/tokens").await.1;
    let harness_id = sams["items"][1]["id"].as_i64().expect("id");
    let (status, _) = app
        .api()
        .delete(&format!("/api/v1/tokens/{harness_id}"))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        app.api_as(Some(&sam_token))
            .get("/api/v1/agents/me")
            .await
            .0,
        StatusCode::UNAUTHORIZED
    );

    let (_, audit) = app.api().get("/api/v1/audit?action=token.revoked").await;
    let events = audit["items"].as_array().expect("items");
    assert_eq!(events.len(), 2, "{audit}");
    assert_eq!(events[1]["entity_id"], id);
    assert_eq!(events[1]["actor"], json!({"kind": "agent", "id": sam.id}));
    assert_eq!(
        events[0]["actor"],
        json!({"kind": "agent", "id": app.admin.id})
    );
    let (status, _) = app.api().delete("/api/v1/tokens/999999").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_token_revoked_twenty_times_at_once_is_revoked_and_recorded_once() {
    let app = TestApp::spawn().await;
    let (sam, _) = app.agent("sam@rapport.test", Role::Agent, None).await;
    let token = app
        .app
        .store
        .create_token(sam.id, "laptop")
        .await
        .expect("token");
    let requests = (0..20)
        .map(|_| {
            app.api().request(
                reqwest::Method::DELETE,
                &format!("/api/v1/tokens/{}", token.id),
            )
        })
        .collect();
    let answers = crate::helpers::all_at_once(requests).await;
    assert!(
        answers
            .iter()
            .all(|(status, _)| *status == StatusCode::NO_CONTENT),
        "{answers:?}"
    );
    let (_, audit) = app.api().get("/api/v1/audit?action=token.revoked").await;
    assert_eq!(audit["items"].as_array().map(Vec::len), Some(1), "{audit}");
}

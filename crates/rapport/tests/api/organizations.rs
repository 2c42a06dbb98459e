use crate::helpers::{TestApp, error_code, error_message};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn create_then_read_an_organization() {
    let app = TestApp::spawn().await;

    let (status, created) = app
        .api()
        .post(
            "/api/v1/organizations",
            json!({
                "name": "Harbor & Pine Architects",
                "domains": ["HarborPine.example", "@hp.example"],
                "relationship_kind": "partnership",
                "owner_id": app.admin.id,
            }),
        )
        .await;

    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(
        created["domains"],
        json!(["harborpine.example", "hp.example"])
    );
    assert_eq!(created["relationship_kind"], "partnership");
    assert_eq!(created["owner_id"], app.admin.id);
    let id = created["id"].as_i64().expect("id");
    let (status, fetched) = app.api().get(&format!("/api/v1/organizations/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(fetched, created);
}

#[tokio::test]
async fn the_relationship_kind_defaults_to_transactional() {
    let app = TestApp::spawn().await;

    let (_, created) = app
        .api()
        .post("/api/v1/organizations", json!({"name": "Lumen Bakery"}))
        .await;

    assert_eq!(created["relationship_kind"], "transactional");
    assert_eq!(created["domains"], json!([]));
}

#[tokio::test]
async fn a_domain_belongs_to_one_organization() {
    let app = TestApp::spawn().await;
    app.api()
        .post(
            "/api/v1/organizations",
            json!({"name": "A", "domains": ["a.example"]}),
        )
        .await;

    let (status, body) = app
        .api()
        .post(
            "/api/v1/organizations",
            json!({"name": "B", "domains": ["A.example"]}),
        )
        .await;

    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(error_code(&body), "domain_taken");
}

#[tokio::test]
async fn bad_organization_input_is_refused_with_reasons() {
    let app = TestApp::spawn().await;

    let (status, body) = app
        .api()
        .post(
            "/api/v1/organizations",
            json!({"name": "A", "relationship_kind": "friends"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(error_message(&body).contains("transactional"), "{body}");

    let (status, body) = app
        .api()
        .post(
            "/api/v1/organizations",
            json!({"name": "A", "owner_id": 999}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_code(&body), "unknown_agent");

    let (status, body) = app
        .api()
        .post(
            "/api/v1/organizations",
            json!({"name": "A", "domains": ["not a domain"]}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(error_message(&body).contains("not a mail domain"), "{body}");

    let (status, body) = app.api().get("/api/v1/organizations/77").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(error_code(&body), "organization_not_found");
}

use crate::helpers::{TestApp, error_code, error_message};
use rapport_domain::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

#[tokio::test]
async fn create_then_read_a_customer() {
    let app = TestApp::spawn().await;

    let (status, created) = app
        .api()
        .post(
            "/api/v1/customers",
            json!({"name": "Ana Silva", "email": " Ana@Example.COM "}),
        )
        .await;

    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["name"], "Ana Silva");
    assert_eq!(created["emails"], json!(["ana@example.com"]));
    assert_eq!(created["organization_id"], json!(null));
    assert!(
        created["created_at"]
            .as_str()
            .is_some_and(|at| at.ends_with('Z'))
    );

    let id = created["id"].as_i64().expect("id");
    let (status, fetched) = app.api().get(&format!("/api/v1/customers/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(fetched, created);
}

#[tokio::test]
async fn find_a_customer_by_email_in_any_case() {
    let app = TestApp::spawn().await;
    app.api()
        .post(
            "/api/v1/customers",
            json!({"name": "Ana", "email": "ana@example.com"}),
        )
        .await;

    let (status, body) = app
        .api()
        .get("/api/v1/customers?email=ANA@example.com")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["items"][0]["emails"], json!(["ana@example.com"]));

    let (status, body) = app
        .api()
        .get("/api/v1/customers?email=nobody@example.com")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["items"], json!([]));

    let (status, body) = app.api().get("/api/v1/customers").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&body), "missing_filter");
}

#[tokio::test]
async fn an_address_belongs_to_one_customer() {
    let app = TestApp::spawn().await;
    app.api()
        .post(
            "/api/v1/customers",
            json!({"name": "Ana", "email": "ana@example.com"}),
        )
        .await;

    let (status, body) = app
        .api()
        .post(
            "/api/v1/customers",
            json!({"name": "Other Ana", "email": "ANA@example.com"}),
        )
        .await;

    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(error_code(&body), "email_taken");
    assert!(error_message(&body).contains("ana@example.com"));
}

#[tokio::test]
async fn bad_customer_input_says_what_is_wrong() {
    let app = TestApp::spawn().await;

    let (status, body) = app
        .api()
        .post("/api/v1/customers", json!({"name": "Ana", "email": "ana"}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_code(&body), "invalid_request");
    assert!(error_message(&body).contains("`email`"), "{body}");

    let (status, body) = app
        .api()
        .post(
            "/api/v1/customers",
            json!({"name": "  ", "email": "ana@example.com"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        error_message(&body).contains("`name` must not be empty"),
        "{body}"
    );

    let (status, body) = app
        .api()
        .post("/api/v1/customers", json!({"email": "ana@example.com"}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        error_message(&body).contains("missing field `name`"),
        "{body}"
    );
}

#[tokio::test]
async fn an_unknown_customer_is_404() {
    let app = TestApp::spawn().await;

    let (status, body) = app.api().get("/api/v1/customers/4242").await;

    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(error_code(&body), "customer_not_found");
}

#[tokio::test]
async fn customers_join_the_organization_of_their_mail_domain() {
    let app = TestApp::spawn().await;
    let (_, org) = app
        .api()
        .post(
            "/api/v1/organizations",
            json!({"name": "Harbor & Pine", "domains": ["harborpine.example"]}),
        )
        .await;

    let (_, customer) = app
        .api()
        .post(
            "/api/v1/customers",
            json!({"name": "Lee", "email": "lee@HarborPine.example"}),
        )
        .await;

    assert_eq!(customer["organization_id"], org["id"]);
}

#[tokio::test]
async fn only_supervisors_and_admins_change_a_customers_owner() {
    let app = TestApp::spawn().await;
    let (sam, sam_token) = app.agent("sam@rapport.test", Role::Agent, None).await;
    let (_, sue_token) = app.agent("sue@rapport.test", Role::Supervisor, None).await;
    let ticket = app.ticket("Invoice twice", "ana@example.com").await;
    let path = format!("/api/v1/customers/{}", ticket["customer_id"]);

    let (by_agent, refused) = app
        .api_as(Some(&sam_token))
        .patch(&path, json!({"owner_id": sam.id}))
        .await;
    let (_, unchanged) = app.api().get(&path).await;
    let (by_supervisor, owned) = app
        .api_as(Some(&sue_token))
        .patch(&path, json!({"owner_id": sam.id}))
        .await;

    assert_eq!(by_agent, StatusCode::FORBIDDEN, "{refused}");
    assert_eq!(error_code(&refused), "forbidden");
    assert!(
        error_message(&refused)
            .starts_with("Changing a customer's owner needs the supervisor or admin role"),
        "{refused}"
    );
    assert_eq!(unchanged["owner_id"], Value::Null);
    assert_eq!(by_supervisor, StatusCode::OK, "{owned}");
    assert_eq!(owned["owner_id"], sam.id);
}

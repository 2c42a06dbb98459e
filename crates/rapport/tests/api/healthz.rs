use crate::helpers::TestApp;
use reqwest::StatusCode;

#[tokio::test]
async fn healthz_answers_without_a_token_when_the_database_does() {
    let app = TestApp::spawn().await;

    let (status, body) = app.api_as(None).get("/healthz").await;

    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], "ok");
}

#[tokio::test]
async fn the_start_page_leads_to_signing_in_the_portal_and_the_api() {
    let app = TestApp::spawn().await;

    let response = app.client().get(app.url("/")).send().await.expect("answer");

    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.url().path().ends_with("/sign-in"));
    let page = response.text().await.expect("text");
    assert!(page.contains("Sign in to Rapport"));
    assert!(page.contains("/portal"));
    assert!(page.contains("/api/v1/openapi.json"));
}

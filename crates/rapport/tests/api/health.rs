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
async fn the_home_page_tells_a_newcomer_where_to_start() {
    let app = TestApp::spawn().await;

    let response = app.client().get(app.url("/")).send().await.expect("answer");

    assert_eq!(response.status(), StatusCode::OK);
    let page = response.text().await.expect("text");
    assert!(page.contains("rapport admin create-token"));
    assert!(page.contains("/api/v1/openapi.json"));
}

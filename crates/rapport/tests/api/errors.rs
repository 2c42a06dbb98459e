use crate::helpers::{Api, TestApp, error_code, error_message};
use reqwest::{Method, StatusCode};

#[tokio::test]
async fn malformed_json_is_400() {
    let app = TestApp::spawn().await;

    let (status, body) = app
        .api()
        .post_raw("/api/v1/tickets", "{\"subject\": ")
        .await;

    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&body), "invalid_json");
    assert!(error_message(&body).contains("not valid JSON"), "{body}");
}

#[tokio::test]
async fn a_body_that_is_not_json_is_415() {
    let app = TestApp::spawn().await;

    let request = app
        .api()
        .request(Method::POST, "/api/v1/tickets")
        .header("content-type", "text/plain")
        .body("hi");
    let (status, body) = Api::send(request).await;

    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(error_code(&body), "unsupported_media_type");
}

#[tokio::test]
async fn an_oversized_body_is_413() {
    let app = TestApp::spawn().await;
    let huge = format!(
        "{{\"subject\": \"s\", \"body\": \"{}\"}}",
        "x".repeat(3 * 1024 * 1024)
    );

    let (status, body) = app.api().post_raw("/api/v1/tickets", &huge).await;

    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(body.get("error").is_some(), "{body}");
}

#[tokio::test]
async fn unknown_routes_and_methods_get_the_envelope() {
    let app = TestApp::spawn().await;

    let (status, body) = app.api().get("/api/v1/nothing-here").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(error_code(&body), "route_not_found");

    let (status, body) = Api::send(app.api().request(Method::DELETE, "/api/v1/tickets")).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(error_code(&body), "method_not_allowed");
}

#[tokio::test]
async fn a_body_that_is_json_but_not_an_object_is_422() {
    let app = TestApp::spawn().await;

    for raw in ["[null, null]", "\"text\"", "42", "null"] {
        let (status, body) = app.api().post_raw("/api/v1/customers", raw).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{raw}: {body}");
        assert!(error_message(&body).contains("JSON object"), "{body}");
    }
}

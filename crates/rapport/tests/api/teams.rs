use crate::helpers::{TestApp, error_code};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn admins_create_teams_and_everyone_lists_them() {
    let app = TestApp::spawn().await;

    let (status, team) = app
        .api()
        .post(
            "/api/v1/teams",
            json!({"name": "Billing", "member_ids": [app.admin.id]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{team}");
    assert_eq!(team["member_ids"], json!([app.admin.id]));

    let (status, body) = app.api().get("/api/v1/teams").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["items"][0]["name"], "Billing");

    let (status, body) = app
        .api()
        .post("/api/v1/teams", json!({"name": "Billing"}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(error_code(&body), "team_exists");

    let (status, body) = app
        .api()
        .post(
            "/api/v1/teams",
            json!({"name": "Sales", "member_ids": [999]}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_code(&body), "unknown_agent");
}

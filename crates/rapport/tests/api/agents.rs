use crate::helpers::TestApp;
use rapport_domain::Role;
use reqwest::StatusCode;

#[tokio::test]
async fn agents_are_listed_with_their_reporting_line() {
    let app = TestApp::spawn().await;
    let (priya, _) = app
        .agent(
            "priya@rapport.test",
            Role::Supervisor,
            Some("admin@rapport.test"),
        )
        .await;
    let (sam, token) = app
        .agent("sam@rapport.test", Role::Agent, Some("priya@rapport.test"))
        .await;

    let (status, body) = app.api_as(Some(&token)).get("/api/v1/agents").await;

    assert_eq!(status, StatusCode::OK);
    let items = body["items"].as_array().expect("items");
    assert_eq!(items.len(), 3);
    let sam_json = items
        .iter()
        .find(|a| a["id"] == sam.id)
        .expect("sam listed");
    assert_eq!(sam_json["reports_to"], priya.id);
    assert_eq!(sam_json["role"], "agent");
    assert!(sam_json.get("password_hash").is_none());

    let (_, me) = app.api_as(Some(&token)).get("/api/v1/agents/me").await;
    assert_eq!(me["email"], "sam@rapport.test");
}

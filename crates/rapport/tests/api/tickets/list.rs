use crate::helpers::{TestApp, error_code, error_message};
use reqwest::StatusCode;
use serde_json::{Value, json};

fn ids(body: &Value) -> Vec<i64> {
    body["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|t| t["id"].as_i64())
        .collect()
}

#[tokio::test]
async fn pages_are_newest_first_and_stable_while_tickets_arrive() {
    let app = TestApp::spawn().await;
    let mut created = Vec::new();
    for n in 0..7 {
        created.push(
            app.ticket(&format!("Ticket {n}"), "ana@example.com").await["id"]
                .as_i64()
                .expect("id"),
        );
    }
    created.reverse();

    let (status, first) = app.api().get("/api/v1/tickets?limit=3").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ids(&first), created[0..3]);
    let cursor = first["next_cursor"]
        .as_str()
        .expect("a next page")
        .to_owned();

    // New tickets arriving between pages must not shift what comes next.
    app.ticket("Late arrival", "lee@example.com").await;
    app.ticket("Another late arrival", "lee@example.com").await;

    let (_, second) = app
        .api()
        .get(&format!("/api/v1/tickets?limit=3&cursor={cursor}"))
        .await;
    assert_eq!(ids(&second), created[3..6]);
    let cursor = second["next_cursor"]
        .as_str()
        .expect("a next page")
        .to_owned();
    let (_, third) = app
        .api()
        .get(&format!("/api/v1/tickets?limit=3&cursor={cursor}"))
        .await;
    assert_eq!(ids(&third), created[6..7]);
    assert_eq!(third["next_cursor"], json!(null));
}

#[tokio::test]
async fn filters_by_state_assignee_and_tag() {
    let app = TestApp::spawn().await;
    let a = app.ticket("A", "ana@example.com").await["id"]
        .as_i64()
        .expect("id");
    let b = app.ticket("B", "ana@example.com").await["id"]
        .as_i64()
        .expect("id");
    let c = app.ticket("C", "lee@example.com").await["id"]
        .as_i64()
        .expect("id");
    app.api()
        .post(
            &format!("/api/v1/tickets/{b}/messages"),
            json!({"body": "Reply", "visibility": "public"}),
        )
        .await;
    app.api()
        .patch(
            &format!("/api/v1/tickets/{c}"),
            json!({"assignee_id": app.admin.id, "tags": ["vip"]}),
        )
        .await;

    let (_, body) = app
        .api()
        .get("/api/v1/tickets?conversation=waiting_on_customer")
        .await;
    assert_eq!(ids(&body), [b]);
    let (_, body) = app.api().get("/api/v1/tickets?conversation=new").await;
    assert_eq!(ids(&body), [c, a]);
    let (_, body) = app
        .api()
        .get(&format!("/api/v1/tickets?assignee_id={}", app.admin.id))
        .await;
    assert_eq!(ids(&body), [c]);
    let (_, body) = app.api().get("/api/v1/tickets?tag=VIP").await;
    assert_eq!(ids(&body), [c]);
    let (_, body) = app
        .api()
        .get("/api/v1/tickets?problem=open&tag=vip&conversation=new")
        .await;
    assert_eq!(ids(&body), [c]);
    let (_, body) = app.api().get("/api/v1/tickets?problem=resolved").await;
    assert_eq!(ids(&body), Vec::<i64>::new());
}

#[tokio::test]
async fn bad_list_parameters_say_what_is_allowed() {
    let app = TestApp::spawn().await;

    let (status, body) = app.api().get("/api/v1/tickets?conversation=closed").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&body), "invalid_query");
    assert!(
        error_message(&body).contains("waiting_on_customer"),
        "{body}"
    );

    let (status, body) = app.api().get("/api/v1/tickets?limit=0").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(error_message(&body).contains("between 1 and 100"), "{body}");

    let (status, body) = app.api().get("/api/v1/tickets?limit=many").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&body), "invalid_query");

    let (status, body) = app.api().get("/api/v1/tickets?tag=a%00b").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&body), "invalid_query");

    let (status, body) = app.api().get("/api/v1/tickets?cursor=garbage").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&body), "invalid_cursor");

    let (status, body) = app.api().get("/api/v1/tickets?assigne_id=3").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(error_message(&body).contains("assigne_id"), "{body}");
}

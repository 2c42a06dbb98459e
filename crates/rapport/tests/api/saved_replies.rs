//! Saved replies: one's own and the shared ones, the coach's review where they are written,
//! placeholders filled for a ticket, and their actions applied when the reply is sent, in the
//! API and on the pages.

use crate::helpers::{TestApp, error_message, get_page, post_form};
use crate::workspace::signed_in;
use rapport_domain::Role;
use serde_json::{Value, json};

const COLD: &str = "Hi {{customer.first_name}}, per policy we cannot do that. If you don't respond within four days, the ticket will close.";
const WARM: &str = "Hi {{customer.first_name}}, I'm sorry the wait has been this long. I have asked our billing team to refund the charge today and will write to you by Friday with the confirmation. {{agent.name}}";

fn kinds(review: &Value) -> Vec<String> {
    review["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["positive"] == false)
        .map(|f| f["kind"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
async fn saved_replies_are_ones_own_or_shared_by_a_supervisor_and_the_coach_reviews_them() {
    let app = TestApp::spawn().await;
    let (_, sam) = app.agent("sam@rapport.test", Role::Agent, None).await;
    let (_, kim) = app.agent("kim@rapport.test", Role::Agent, None).await;
    let (_, priya) = app
        .agent("priya@rapport.test", Role::Supervisor, None)
        .await;
    let sam_api = app.api_as(Some(&sam));

    let (status, cold) = sam_api
        .post(
            "/api/v1/saved-replies",
            json!({"title": "Refund refused", "body": COLD}),
        )
        .await;
    assert_eq!(status, 201, "{cold}");
    assert!(cold["owner_id"].is_number(), "{cold}");
    assert!(
        !kinds(&cold["review"]).is_empty(),
        "a cold template is flagged where it is written: {cold}"
    );
    let id = cold["id"].as_i64().expect("as the test set it up");
    let (status, warm) = sam_api
        .patch(
            &format!("/api/v1/saved-replies/{id}"),
            json!({"body": WARM}),
        )
        .await;
    assert_eq!(status, 200, "{warm}");
    assert!(
        warm["review"]["score"].as_i64() > cold["review"]["score"].as_i64(),
        "fixed once for everyone: {} then {}",
        cold["review"]["score"],
        warm["review"]["score"]
    );

    // Another agent does not see Sam's own; sharing needs a supervisor.
    let kim_api = app.api_as(Some(&kim));
    let (status, _) = kim_api.get(&format!("/api/v1/saved-replies/{id}")).await;
    assert_eq!(status, 404);
    let (status, body) = kim_api
        .post(
            "/api/v1/saved-replies",
            json!({"title": "Mine for all", "body": "Hello", "shared": true}),
        )
        .await;
    assert_eq!(status, 403, "{body}");
    let (status, shared) = app
        .api_as(Some(&priya))
        .post(
            "/api/v1/saved-replies",
            json!({"title": "Welcome", "body": "Welcome, {{customer.first_name}}!", "shared": true}),
        )
        .await;
    assert_eq!(status, 201, "{shared}");
    let (_, list) = kim_api.get("/api/v1/saved-replies").await;
    let titles: Vec<&str> = list["items"]
        .as_array()
        .expect("as the test set it up")
        .iter()
        .map(|s| s["title"].as_str().expect("as the test set it up"))
        .collect();
    assert_eq!(titles, vec!["Welcome"]);
    let shared_path = format!("/api/v1/saved-replies/{}", shared["id"]);
    let (status, _) = kim_api.patch(&shared_path, json!({"title": "Mine"})).await;
    assert_eq!(status, 403);
    let (status, _) = kim_api.delete(&shared_path).await;
    assert_eq!(status, 403);

    // Bad input says what is wrong.
    let (status, body) = sam_api
        .post(
            "/api/v1/saved-replies",
            json!({"title": "X", "body": "Hi {{customer.name}}"}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert!(
        error_message(&body).contains("{{customer.first_name}}"),
        "{body}"
    );
    let (status, _) = sam_api
        .post(
            "/api/v1/saved-replies",
            json!({"title": " ", "body": "Hello"}),
        )
        .await;
    assert_eq!(status, 422);
    let (status, _) = sam_api
        .post("/api/v1/saved-replies", json!({"title": "T", "body": "Hello", "actions": {"add_tags": ["a b c d e f g h i j k l m n o p q r s t u v w x y z aa bb cc dd ee ff gg hh ii jj kk ll mm nn oo pp qq rr ss tt uu vv ww xx yy zz"]}}))
        .await;
    assert_eq!(status, 422, "a tag longer than 50 characters is refused");
    let (status, _) = sam_api.delete(&format!("/api/v1/saved-replies/{id}")).await;
    assert_eq!(status, 204);
    let (status, _) = sam_api.get(&format!("/api/v1/saved-replies/{id}")).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn a_saved_reply_is_filled_for_the_ticket_and_its_actions_follow_the_send() {
    let app = TestApp::spawn().await;
    app.agent("priya@rapport.test", Role::Supervisor, None)
        .await;
    let (sam, sam_token) = app
        .agent("sam@rapport.test", Role::Agent, Some("priya@rapport.test"))
        .await;
    let (_, ticket) = app
        .api()
        .post(
            "/api/v1/tickets",
            json!({"subject": "Refund", "body": "Where is it?", "customer": {"email": "lena@example.com", "name": "Lena Berg"}}),
        )
        .await;
    let ticket_id = ticket["id"].as_i64().expect("as the test set it up");
    let (status, _) = app
        .api()
        .patch(
            &format!("/api/v1/tickets/{ticket_id}"),
            json!({"assignee_id": sam.id}),
        )
        .await;
    assert_eq!(status, 200);
    let sam_api = app.api_as(Some(&sam_token));
    let (status, saved) = sam_api
        .post(
            "/api/v1/saved-replies",
            json!({
                "title": "Refund done",
                "body": "Hi {{customer.first_name}}, the refund for #{{ticket.number}} is on its way. {{supervisor.name}} approved it. {{agent.name}}",
                "actions": {"add_tags": ["refund"], "priority": "low", "propose_resolution": true},
            }),
        )
        .await;
    assert_eq!(status, 201, "{saved}");
    let id = saved["id"].as_i64().expect("as the test set it up");
    let (status, filled) = sam_api
        .get(&format!(
            "/api/v1/saved-replies/{id}/fill?ticket_id={ticket_id}"
        ))
        .await;
    assert_eq!(status, 200, "{filled}");
    assert_eq!(
        filled["text"],
        format!(
            "Hi Lena, the refund for #{ticket_id} is on its way. priya@rapport.test approved it. sam@rapport.test"
        )
    );
    let (status, message) = sam_api
        .post(
            &format!("/api/v1/tickets/{ticket_id}/messages"),
            json!({"body": filled["text"], "visibility": "public", "saved_reply_id": id}),
        )
        .await;
    assert_eq!(status, 201, "{message}");
    let (_, after) = app.api().get(&format!("/api/v1/tickets/{ticket_id}")).await;
    assert_eq!(after["tags"], json!(["refund"]));
    assert_eq!(after["priority"], "low");
    assert_eq!(after["problem"], "resolution_proposed");
    let (status, _) = sam_api
        .get(&format!("/api/v1/saved-replies/{id}/fill?ticket_id=999999"))
        .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn the_pages_insert_a_saved_reply_into_the_composer_and_show_the_coach_where_it_is_edited() {
    let app = TestApp::spawn().await;
    let (_, cookie, csrf) = signed_in(&app, "sam@rapport.test", Role::Agent).await;
    let (status, location) = post_form(
        &app,
        &cookie,
        "/saved-replies",
        &[
            ("title", "Closing"),
            ("body", COLD),
            ("add_tags", "followup"),
            ("priority", ""),
            ("csrf", &csrf),
        ],
    )
    .await;
    assert_eq!(status, 303, "{location}");
    let (status, page) = get_page(&app, &cookie, &location).await;
    assert_eq!(status, 200);
    assert!(page.contains("What the coach finds in it"));
    assert!(
        page.contains("data-kind=\"closure_threat\"")
            || page.contains("class=\"serious\"")
            || page.contains("class=\"warning\""),
        "{page}"
    );
    let id = location
        .trim_start_matches("/saved-replies/")
        .split('?')
        .next()
        .expect("as the test set it up")
        .to_owned();
    // Sharing is for supervisors.
    let (status, _) = post_form(
        &app,
        &cookie,
        "/saved-replies",
        &[
            ("title", "For all"),
            ("body", "Hello"),
            ("shared", "1"),
            ("priority", ""),
            ("csrf", &csrf),
        ],
    )
    .await;
    assert_eq!(status, 403);
    let (status, page) = post_form(
        &app,
        &cookie,
        "/saved-replies",
        &[
            ("title", "Bad"),
            ("body", "Hi {{order}}"),
            ("priority", ""),
            ("csrf", &csrf),
        ],
    )
    .await;
    assert_eq!(status, 422);
    assert!(page.contains("is not a placeholder"), "{page}");

    let (_, ticket) = app
        .api()
        .post(
            "/api/v1/tickets",
            json!({"subject": "Printer", "body": "It jams.", "customer": {"email": "omar@example.com", "name": "Omar Said"}}),
        )
        .await;
    let ticket_id = ticket["id"].as_i64().expect("as the test set it up");
    let (status, page) =
        get_page(&app, &cookie, &format!("/tickets/{ticket_id}?insert={id}")).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("Hi Omar, per policy"),
        "the draft is filled: {page}"
    );
    assert!(page.contains(&format!(
        "name=\"saved_reply_id\" id=\"saved-reply-id\" value=\"{id}\""
    )));
    assert!(page.contains("adds the tags followup"));
    let (status, location) = post_form(
        &app,
        &cookie,
        &format!("/tickets/{ticket_id}/reply"),
        &[
            ("body", "Hi Omar, the printer driver is fixed."),
            ("visibility", "public"),
            ("seen_message_id", "999999"),
            ("saved_reply_id", &id),
            ("csrf", &csrf),
        ],
    )
    .await;
    assert_eq!(status, 303, "{location}");
    let (_, after) = app.api().get(&format!("/api/v1/tickets/{ticket_id}")).await;
    assert_eq!(after["tags"], json!(["followup"]));
    let (status, _) = post_form(
        &app,
        &cookie,
        &format!("/saved-replies/{id}/delete"),
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(status, 303);
    let (status, _) = get_page(&app, &cookie, &format!("/tickets/{ticket_id}?insert={id}")).await;
    assert_eq!(status, 404);
}

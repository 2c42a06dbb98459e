use crate::helpers::{TestApp, error_code, error_message};
use rapport_domain::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

const COLD: &str = "SpamAssassin uses a scoring mechanism. Forward the spam to the appliance engineers. \
                    If you don't respond within four days, the ticket will close.";
const WARM: &str = "Hi Ana, I'm sorry about the mail being tagged as spam, and about the real spam getting through. \
                    I'll call you this afternoon to go through the settings together.";

fn kinds(review: &Value) -> Vec<&str> {
    review["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["kind"].as_str())
        .collect()
}

#[tokio::test]
async fn a_draft_gets_facets_findings_and_a_score() {
    let app = TestApp::spawn().await;

    let (status, review) = app
        .api()
        .post("/api/v1/coach/reply", json!({"text": COLD}))
        .await;

    assert_eq!(status, StatusCode::OK, "{review}");
    assert!(kinds(&review).contains(&"closure_threat"), "{review}");
    assert!(kinds(&review).contains(&"deflection"));
    let threat = review["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["kind"] == "closure_threat")
        .expect("threat");
    assert_eq!(threat["severity"], "serious");
    let (start, end) = (
        threat["span"]["start"].as_u64().expect("start") as usize,
        threat["span"]["end"].as_u64().expect("end") as usize,
    );
    let excerpt: String = COLD.chars().skip(start).take(end - start).collect();
    assert_eq!(excerpt, threat["excerpt"]);
    for facet in ["politeness", "empathy", "ownership", "clarity"] {
        assert!(
            review["facets"][facet].as_u64().is_some_and(|v| v <= 100),
            "{facet}"
        );
    }
    assert_eq!(review["language"], "en");

    let (_, warm) = app
        .api()
        .post(
            "/api/v1/coach/reply",
            json!({"text": WARM, "customer_name": "Ana"}),
        )
        .await;
    assert!(warm["score"].as_u64() > review["score"].as_u64());
}

#[tokio::test]
async fn the_ticket_fills_in_the_context() {
    let app = TestApp::spawn().await;
    let (_, ticket) = app
        .api()
        .post(
            "/api/v1/tickets",
            json!({
                "subject": "Spam",
                "body": "SpamAssassin tags valid mail from our clients as spam. Also, much more real spam is getting through than normal. This is the third time I ask!!",
                "customer": {"email": "ana@example.com", "name": "Ana Silva"},
            }),
        )
        .await;

    let (status, review) = app
        .api()
        .post("/api/v1/coach/reply", json!({"text": "The clients' mail will no longer be tagged. I'll check tomorrow.", "ticket_id": ticket["id"]}))
        .await;

    assert_eq!(status, StatusCode::OK, "{review}");
    let found = kinds(&review);
    assert!(found.contains(&"unanswered_concern"), "{found:?}");
    assert!(found.contains(&"no_empathy_when_upset"), "{found:?}");
    let address = review["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["kind"] == "no_personal_address")
        .expect("name");
    assert!(
        address["explanation"]
            .as_str()
            .is_some_and(|e| e.contains("Ana")),
        "{address}"
    );
}

#[tokio::test]
async fn bad_coach_requests() {
    let app = TestApp::spawn().await;

    let (status, body) = app
        .api()
        .post(
            "/api/v1/coach/reply",
            json!({"text": "Hi", "ticket_id": 99}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_code(&body), "unknown_ticket");

    let (status, body) = app
        .api()
        .post("/api/v1/coach/reply", json!({"text": "  "}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(error_message(&body).contains("empty"));

    let (status, body) = app
        .api()
        .post("/api/v1/coach/reply", json!({"draft": "Hi"}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        error_message(&body).contains("unknown field `draft`"),
        "{body}"
    );

    let (status, _) = app
        .api_as(None)
        .post("/api/v1/coach/reply", json!({"text": "Hi"}))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let (status, body) = app
        .api()
        .post("/api/v1/coach/reply", json!({"text": "x".repeat(300_000)}))
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(error_code(&body), "text_too_large");
}

#[tokio::test]
async fn insight_on_a_message() {
    let app = TestApp::spawn().await;

    let (status, insight) = app
        .api()
        .post(
            "/api/v1/insight/message",
            json!({"text": "Still broken after a week. I want to speak to your manager!"}),
        )
        .await;

    assert_eq!(status, StatusCode::OK, "{insight}");
    assert!(
        insight["intents"]
            .as_array()
            .expect("intents")
            .contains(&json!("wants_manager"))
    );
    assert!(insight["sentiment"].as_f64().expect("sentiment") < 0.0);
    assert!(insight["frustration"].as_f64().expect("frustration") > 0.2);
    assert_eq!(insight["concerns"].as_array().map(Vec::len), Some(1));

    let (status, _) = app
        .api()
        .post("/api/v1/insight/message", json!({"text": ""}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn inbound_messages_keep_their_insight_and_replies_their_review() {
    let app = TestApp::spawn().await;
    let (_, ticket) = app
        .api()
        .post(
            "/api/v1/tickets",
            json!({"subject": "Backup", "body": "The backup failed AGAIN. Third time this month!!", "customer": {"email": "dan@example.com"}}),
        )
        .await;
    let id = ticket["id"].as_i64().expect("id");
    assert!(
        ticket["insight"]["frustration"]
            .as_f64()
            .expect("frustration")
            > 0.4,
        "{ticket}"
    );
    assert!(ticket["messages"][0]["insight"].is_object());

    let (_, reply) = app
        .api()
        .post(
            &format!("/api/v1/tickets/{id}/messages"),
            json!({"body": COLD, "visibility": "public"}),
        )
        .await;
    let (_, note) = app
        .api()
        .post(
            &format!("/api/v1/tickets/{id}/messages"),
            json!({"body": "Obviously a disk issue.", "visibility": "internal"}),
        )
        .await;

    assert!(
        kinds(&reply["review"]).contains(&"closure_threat"),
        "{reply}"
    );
    assert!(
        kinds(&reply["review"]).contains(&"no_empathy_when_upset"),
        "the review saw the customer's message: {reply}"
    );
    assert_eq!(reply["insight"], Value::Null);
    assert_eq!(note["review"], Value::Null, "notes are not reviewed");
    let (_, fetched) = app.api().get(&format!("/api/v1/tickets/{id}")).await;
    assert_eq!(fetched["messages"][1]["review"], reply["review"]);
    let (_, listed) = app.api().get("/api/v1/tickets").await;
    assert_eq!(listed["items"][0]["insight"], ticket["insight"]);
}

#[tokio::test]
async fn coaching_trends_per_agent_and_team() {
    let app = TestApp::spawn().await;
    let (sam, sam_token) = app.agent("sam@rapport.test", Role::Agent, None).await;
    let (_, other_token) = app.agent("kim@rapport.test", Role::Agent, None).await;
    let (_, team) = app
        .api()
        .post(
            "/api/v1/teams",
            json!({"name": "Support", "member_ids": [sam.id]}),
        )
        .await;
    let ticket = app.ticket("Spam", "ana@example.com").await;
    let path = format!("/api/v1/tickets/{}/messages", ticket["id"]);
    for body in [COLD, WARM] {
        let (status, _) = app
            .api_as(Some(&sam_token))
            .post(&path, json!({"body": body, "visibility": "public"}))
            .await;
        assert_eq!(status, StatusCode::CREATED);
    }

    let (status, report) = app
        .api_as(Some(&sam_token))
        .get(&format!("/api/v1/agents/{}/coaching", sam.id))
        .await;

    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["replies"], 2);
    assert_eq!(report["findings"]["closure_threat"], 1);
    assert_eq!(report["findings"]["apology"], 1);
    assert!(report["average_score"].as_f64().is_some());
    let periods = report["periods"].as_array().expect("periods");
    assert_eq!(periods.len(), 1);
    assert_eq!(periods[0]["replies"], 2);

    let (_, daily) = app
        .api()
        .get(&format!("/api/v1/agents/{}/coaching?bucket=day", sam.id))
        .await;
    assert_eq!(
        daily["periods"][0]["start"].as_str().map(str::len),
        Some(10)
    );

    let (status, _) = app
        .api_as(Some(&other_token))
        .get(&format!("/api/v1/agents/{}/coaching", sam.id))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let (status, body) = app
        .api()
        .get(&format!("/api/v1/agents/{}/coaching?bucket=month", sam.id))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(error_message(&body).contains("week"));
    let (status, _) = app
        .api()
        .get(&format!(
            "/api/v1/agents/{}/coaching?from=2026-13-01",
            sam.id
        ))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = app
        .api()
        .get(&format!(
            "/api/v1/agents/{}/coaching?from=2020-01-01&to=2020-01-08",
            sam.id
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = app.api().get("/api/v1/agents/999/coaching").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(error_code(&body), "agent_not_found");

    let (status, team_report) = app
        .api()
        .get(&format!("/api/v1/teams/{}/coaching", team["id"]))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(team_report["replies"], 2);
    let (status, _) = app
        .api_as(Some(&sam_token))
        .get(&format!("/api/v1/teams/{}/coaching", team["id"]))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_coach_knows_the_cases_open_promises_and_whether_it_is_escalated() {
    let app = TestApp::spawn().await;
    let ticket = app.ticket("Backup fails", "dan@example.com").await;
    let id = ticket["id"].as_i64().expect("id");
    let review = |text: &'static str| {
        let app = &app;
        async move {
            let (status, review) = app
                .api()
                .post(
                    "/api/v1/coach/reply",
                    json!({"text": text, "ticket_id": id}),
                )
                .await;
            assert_eq!(status, 200, "{review}");
            review
        }
    };
    let kinds = |review: &Value| -> Vec<String> {
        review["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .map(|f| f["kind"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    let draft = "Hi Dan, thanks for your patience. I checked the logs and the disk was full; I cleared it and the backup ran tonight.";
    assert!(!kinds(&review(draft).await).contains(&"promise_unmentioned".to_owned()));
    let (status, promise) = app
        .api()
        .post(
            "/api/v1/promises",
            json!({"ticket_id": id, "kind": "other", "what": "send the replacement router", "due_at": "2026-11-25T10:00:00Z"}),
        )
        .await;
    assert_eq!(status, 201, "{promise}");
    let flagged = review(draft).await;
    assert!(
        kinds(&flagged).contains(&"promise_unmentioned".to_owned()),
        "{flagged}"
    );
    let severity = |review: &Value| {
        review["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .find(|f| f["kind"] == "promise_unmentioned")
            .map(|f| f["severity"].as_str().unwrap_or_default().to_owned())
    };
    assert_eq!(severity(&flagged).as_deref(), Some("info"));
    // Once the customer asked for a manager, every shortcoming weighs more.
    app.app
        .store
        .ask_for_manager(
            id,
            ticket["customer_id"].as_i64().expect("customer"),
            "Nobody calls back.",
        )
        .await
        .expect("escalated");
    assert_eq!(severity(&review(draft).await).as_deref(), Some("warning"));
}

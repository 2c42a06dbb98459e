//! Escalation with names and deadlines: a case goes to a named manager, who must acknowledge
//! it in business time or it goes one level up the reporting line; a missed service level, an
//! agent, the portal and a customer's email asking for a manager all send a case up.

use crate::helpers::{Api, TestApp, error_code};
use rapport_domain::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use time::Duration;

/// Ada (admin, top) ← Priya (supervisor) ← Sam (agent): `(priya, priya's token, sam, sam's
/// token)`.
async fn chain(app: &TestApp) -> (i64, String, i64, String) {
    let (priya, priya_token) = app
        .agent(
            "priya@rapport.test",
            Role::Supervisor,
            Some("admin@rapport.test"),
        )
        .await;
    let (sam, sam_token) = app
        .agent("sam@rapport.test", Role::Agent, Some("priya@rapport.test"))
        .await;
    (priya.id, priya_token, sam.id, sam_token)
}

async fn assign(app: &TestApp, ticket: i64, to: i64) {
    let (status, body) = app
        .api()
        .patch(
            &format!("/api/v1/tickets/{ticket}"),
            json!({"assignee_id": to}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

async fn waiting_on(app: &TestApp, token: &str) -> Vec<Value> {
    let (status, list) = app.api_as(Some(token)).get("/api/v1/escalations").await;
    assert_eq!(status, StatusCode::OK, "{list}");
    list["items"].as_array().cloned().unwrap_or_default()
}

async fn actions(app: &TestApp, ticket: i64) -> Vec<String> {
    let (_, events) = app
        .api()
        .get(&format!("/api/v1/tickets/{ticket}/events"))
        .await;
    events["items"]
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|e| e["action"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn a_missed_first_reply_goes_to_the_supervisor_then_up_the_chain_until_acknowledged() {
    let app = TestApp::spawn().await;
    let (priya, priya_token, sam, sam_token) = chain(&app).await;
    let (status, _) = app
        .api()
        .post(
            "/api/v1/sla-policies",
            json!({"name": "Urgent", "priority": "urgent", "first_response_minutes": 30}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let id = app.ticket("Line down", "lee@example.com").await["id"]
        .as_i64()
        .expect("id");
    app.api()
        .patch(
            &format!("/api/v1/tickets/{id}"),
            json!({"priority": "urgent", "assignee_id": sam}),
        )
        .await;

    // 09:30 Monday: the target is missed and the case goes to Sam's supervisor.
    app.advance(Duration::minutes(30)).await;
    let waiting = waiting_on(&app, &priya_token).await;
    assert_eq!(waiting.len(), 1, "{waiting:?}");
    assert_eq!(waiting[0]["source"], "service_level");
    assert_eq!(waiting[0]["manager_id"], priya);
    assert_eq!(
        waiting[0]["acknowledge_by"],
        rapport_store::clock::format(crate::helpers::START + Duration::minutes(90)),
        "an hour of business time to acknowledge"
    );
    assert!(
        waiting_on(&app, &sam_token).await.is_empty(),
        "not Sam's to see"
    );
    assert!(
        app.tasks_of(priya)
            .await
            .iter()
            .any(|t| t.title.contains("escalated to you")),
        "Priya has a task"
    );

    // Nobody acknowledges: at 10:30 it goes up to Ada, and Priya still sees it as her report's.
    app.advance(Duration::hours(1)).await;
    let waiting = waiting_on(&app, &app.admin_token).await;
    assert_eq!(waiting.len(), 1);
    assert_eq!(waiting[0]["manager_id"], app.admin.id);
    assert_eq!(waiting[0]["level"], 1);
    assert!(
        actions(&app, id)
            .await
            .contains(&"escalation.moved_up".to_owned())
    );

    // Sam may not acknowledge it; Ada does, and it stops going up.
    let escalation = waiting[0]["id"].as_i64().expect("id");
    let path = format!("/api/v1/escalations/{escalation}/acknowledge");
    let (status, body) = app.api_as(Some(&sam_token)).post(&path, json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, body) = app.api().post(&path, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["acknowledged_by"], app.admin.id);
    app.advance(Duration::hours(3)).await;
    let after = waiting_on(&app, &app.admin_token).await;
    assert_eq!(after[0]["level"], 1, "acknowledged: it stays");
    assert_eq!(after[0]["manager_id"], app.admin.id);
    let (status, again) = app.api().post(&path, json!({})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(again["acknowledged_at"], body["acknowledged_at"], "once");
}

#[tokio::test]
async fn an_agent_escalates_once_and_the_deadline_counts_business_hours() {
    let app = TestApp::spawn().await;
    let (priya, priya_token, sam, sam_token) = chain(&app).await;
    let id = app.ticket("Refund", "mia@example.com").await["id"]
        .as_i64()
        .expect("id");
    assert_eq!(
        app.api_as(Some(&sam_token))
            .patch(
                &format!("/api/v1/tickets/{id}"),
                json!({"assignee_id": sam})
            )
            .await
            .0,
        StatusCode::OK
    );
    // Monday 16:30: an hour of business time runs out Tuesday at 09:30.
    app.advance(Duration::hours(7) + Duration::minutes(30))
        .await;
    let path = format!("/api/v1/tickets/{id}/escalate");
    let (status, body) = app
        .api_as(Some(&sam_token))
        .post(&path, json!({"reason": "  "}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, escalation) = app
        .api_as(Some(&sam_token))
        .post(
            &path,
            json!({"reason": "She asks for a refund outside our policy."}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{escalation}");
    assert_eq!(escalation["source"], "agent");
    assert_eq!(escalation["manager_id"], priya);
    assert_eq!(
        escalation["acknowledge_by"],
        rapport_store::clock::format(
            crate::helpers::START + Duration::days(1) + Duration::minutes(30)
        )
    );
    let (status, body) = app
        .api_as(Some(&sam_token))
        .post(&path, json!({"reason": "Again."}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(error_code(&body), "already_escalated");
    // Overnight nothing moves.
    app.advance(Duration::hours(16)).await;
    assert_eq!(waiting_on(&app, &priya_token).await[0]["level"], 0);
    let (status, _) = app
        .api_as(Some(&priya_token))
        .post(
            &format!("/api/v1/escalations/{}/acknowledge", escalation["id"]),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = app
        .api()
        .post("/api/v1/escalations/424242/acknowledge", json!({}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_customers_email_asking_for_a_manager_escalates_and_the_portal_names_the_supervisor() {
    let app = TestApp::spawn().await;
    let (priya, priya_token, sam, _) = chain(&app).await;
    let ticket = app.ticket("Plotter", "ana@example.com").await;
    let id = ticket["id"].as_i64().expect("id");
    assign(&app, id, sam).await;
    let raw = format!(
        "From: Ana <ana@example.com>\r\nTo: support@rapport.localhost\r\nSubject: Re: Plotter [#{id}]\r\n\
         Message-ID: <wants-manager@example.com>\r\nDate: Mon, 23 Nov 2026 09:00:00 +0000\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\nThis is the third week. I want to speak to a manager today.\r\n"
    );
    let request = app
        .intake()
        .request(Method::POST, "/api/v1/inbound/email")
        .header("content-type", "message/rfc822")
        .body(raw.into_bytes());
    let (status, body) = Api::send(request).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(body["ticket_id"], id);
    let waiting = waiting_on(&app, &priya_token).await;
    assert_eq!(waiting.len(), 1, "{waiting:?}");
    assert_eq!(waiting[0]["source"], "email");
    assert_eq!(waiting[0]["manager_id"], priya);

    // Priya acknowledges on the ticket page; the customer reads her name in the portal.
    let (cookie, csrf) = crate::workspace::signed_in_as(&app, "priya@rapport.test").await;
    let (_, page) = crate::helpers::get_page(&app, &cookie, &format!("/tickets/{id}")).await;
    assert!(page.contains("email asks for a manager"), "{page}");
    let (status, _) = crate::helpers::post_form(
        &app,
        &cookie,
        &format!("/escalations/{}/acknowledge", waiting[0]["id"]),
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, list) = crate::helpers::get_page(&app, &cookie, "/escalations").await;
    assert!(list.contains("acknowledged"), "{list}");
    let page = crate::portal::ticket_page_of(&app, "ana@example.com", id).await;
    assert!(
        page.contains("Priya") && page.contains("has taken your case"),
        "{page}"
    );
}

#[tokio::test]
async fn the_customers_history_shows_escalations_and_a_merge_brings_them_along() {
    let app = TestApp::spawn().await;
    let (_, _, sam, _) = chain(&app).await;
    let first = app.ticket("Router", "gia@example.com").await;
    let id = first["id"].as_i64().expect("id");
    assign(&app, id, sam).await;
    let (status, _) = app
        .api()
        .post(
            &format!("/api/v1/tickets/{id}/escalate"),
            json!({"reason": "Third router in a month."}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    // The same person wrote from another address: merged into the first record.
    let dup = app.ticket("Router again", "gia.home@example.com").await;
    let (status, body) = app
        .api()
        .post(
            &format!("/api/v1/customers/{}/merge", first["customer_id"]),
            json!({"duplicate_id": dup["customer_id"]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, timeline) = app
        .api()
        .get(&format!(
            "/api/v1/customers/{}/timeline",
            first["customer_id"]
        ))
        .await;
    let said: Vec<&str> = timeline["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|i| i["summary"].as_str())
        .collect();
    assert!(
        said.iter()
            .any(|s| s.contains("(sent up by an agent): Third router in a month.")),
        "{said:?}"
    );
    let moved: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM escalations WHERE customer_id = $1")
        .bind(dup["customer_id"].as_i64().expect("id"))
        .fetch_one(app.app.store.pool())
        .await
        .expect("count");
    assert_eq!(moved, 0, "nothing stays with the merged record");
}

/// The text of the next mail our sender would put on the wire.
async fn next_mail_text(app: &TestApp) -> String {
    let mail = app
        .app
        .store
        .claim_outbound_email(300)
        .await
        .expect("claim")
        .expect("a mail is queued");
    app.app.store.outbound_sent(&mail).await.expect("sent");
    mail.text
}

#[tokio::test]
async fn our_mail_tells_the_customer_who_has_the_case_and_any_call_back_promised() {
    let app = TestApp::spawn().await;
    let (priya, priya_token, sam, sam_token) = chain(&app).await;
    app.api()
        .patch(
            &format!("/api/v1/agents/{sam}"),
            json!({"title": "Customer care", "phone": "+44 20 7946 0001"}),
        )
        .await;
    app.api()
        .patch("/api/v1/settings", json!({"publish_staff_phones": true}))
        .await;
    let ticket = app.ticket("Printer", "ivy@example.com").await;
    let id = ticket["id"].as_i64().expect("id");
    assign(&app, id, sam).await;
    let window = crate::helpers::START + Duration::hours(5);
    let (status, promise) = app
        .api_as(Some(&sam_token))
        .post(
            "/api/v1/promises",
            json!({
                "ticket_id": id, "kind": "call_back", "what": "Call Ivy about the toner",
                "phone": "+44 20 7946 0999",
                "window_start": rapport_store::clock::format(window),
                "due_at": rapport_store::clock::format(window + Duration::hours(1)),
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{promise}");
    app.api_as(Some(&sam_token))
        .post(
            &format!("/api/v1/tickets/{id}/messages"),
            json!({"body": "Ivy, the toner is on its way.", "visibility": "public"}),
        )
        .await;
    let text = next_mail_text(&app).await;
    assert!(
        text.contains("Handling your case: sam@rapport.test, Customer care, sam@rapport.test, +44 20 7946 0001"),
        "{text}"
    );
    assert!(text.contains("Their manager: priya@rapport.test"), "{text}");
    assert!(
        text.contains("We will call you back between Mon 23 Nov, 14:00 UTC and Mon 23 Nov, 15:00 UTC: Call Ivy about the toner"),
        "{text}"
    );

    // Once Priya takes the escalation, our mail says the case is with her.
    let (_, escalation) = app
        .api_as(Some(&sam_token))
        .post(
            &format!("/api/v1/tickets/{id}/escalate"),
            json!({"reason": "Third toner."}),
        )
        .await;
    app.api_as(Some(&priya_token))
        .post(
            &format!("/api/v1/escalations/{}/acknowledge", escalation["id"]),
            json!({}),
        )
        .await;
    app.api_as(Some(&priya_token))
        .post(
            &format!("/api/v1/tickets/{id}/messages"),
            json!({"body": "Ivy, I am looking into this myself.", "visibility": "public"}),
        )
        .await;
    let text = next_mail_text(&app).await;
    assert!(
        text.contains("Your case is with priya@rapport.test"),
        "{text}"
    );
    let _ = priya;
}

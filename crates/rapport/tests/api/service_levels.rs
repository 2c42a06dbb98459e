//! Service levels on business hours: targets fall due on the workspace calendar, the
//! resolution clock pauses while the customer has the turn, a miss is recorded once as a
//! breach, and the policy that fits best applies.

use crate::helpers::{START, TestApp, error_message};
use rapport_domain::{Actor, Channel, Role, Visibility};
use reqwest::StatusCode;
use serde_json::{Value, json};
use time::Duration;

async fn policy(app: &TestApp, body: Value) -> Value {
    let (status, policy) = app.api().post("/api/v1/sla-policies", body).await;
    assert_eq!(status, StatusCode::CREATED, "{policy}");
    policy
}

async fn sla(app: &TestApp, ticket: i64) -> Value {
    let (status, sla) = app
        .api()
        .get(&format!("/api/v1/tickets/{ticket}/sla"))
        .await;
    assert_eq!(status, StatusCode::OK, "{sla}");
    sla
}

fn target<'a>(sla: &'a Value, name: &str) -> &'a Value {
    sla["targets"]
        .as_array()
        .and_then(|targets| targets.iter().find(|t| t["target"] == name))
        .unwrap_or(&Value::Null)
}

async fn breaches(app: &TestApp, ticket: i64) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM sla_breaches WHERE ticket_id = $1")
        .bind(ticket)
        .fetch_one(app.app.store.pool())
        .await
        .expect("count")
}

fn at(offset: Duration) -> String {
    rapport_store::clock::format(START + offset)
}

#[tokio::test]
async fn a_ticket_arriving_friday_evening_is_not_breached_over_the_weekend_or_a_holiday() {
    let app = TestApp::spawn().await;
    let (status, body) = app
        .api()
        .patch(
            "/api/v1/settings",
            json!({"holidays": [{"date": "2026-11-30", "name": "St Andrew's Day"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    policy(
        &app,
        json!({"name": "Everyone", "first_response_minutes": 60}),
    )
    .await;
    // Friday 27 November, 18:00: after hours.
    app.advance(Duration::days(4) + Duration::hours(9)).await;
    let id = app.ticket("Invoice missing", "fay@example.com").await["id"]
        .as_i64()
        .expect("id");
    let due = at(Duration::days(8) + Duration::hours(1)); // Tuesday 1 December, 10:00
    assert_eq!(
        target(&sla(&app, id).await, "first_response")["due_at"],
        due
    );

    // Saturday, Sunday, the holiday Monday: never breached.
    for _ in 0..3 {
        app.advance(Duration::days(1)).await;
        assert_eq!(breaches(&app, id).await, 0);
    }
    app.advance(Duration::hours(15) + Duration::minutes(50))
        .await; // Tuesday 09:50: due soon
    assert_eq!(
        target(&sla(&app, id).await, "first_response")["state"],
        "due_soon"
    );
    app.advance(Duration::minutes(10)).await; // 10:00: missed
    let now = sla(&app, id).await;
    assert_eq!(target(&now, "first_response")["state"], "breached");
    assert_eq!(target(&now, "first_response")["breaches"], 1);
    assert_eq!(breaches(&app, id).await, 1);
    let (_, events) = app.api().get(&format!("/api/v1/tickets/{id}/events")).await;
    assert!(
        events["items"]
            .as_array()
            .expect("events")
            .iter()
            .any(|e| e["action"] == "sla.breached" && e["changes"]["target"] == "first_response"),
        "{events}"
    );
    // Running the checks again records nothing more.
    app.advance(Duration::hours(1)).await;
    assert_eq!(breaches(&app, id).await, 1);
    // It counts against the relationship.
    let (_, ticket) = app.api().get(&format!("/api/v1/tickets/{id}")).await;
    let (_, health) = app
        .api()
        .get(&format!(
            "/api/v1/customers/{}/health",
            ticket["customer_id"]
        ))
        .await;
    assert!(
        health["factors"]
            .as_array()
            .expect("factors")
            .iter()
            .any(|f| f["key"] == "service_levels_missed" && f["points"] == -3),
        "{health}"
    );

    // The reply settles the target; it was missed once.
    let (status, _) = app
        .api()
        .post(
            &format!("/api/v1/tickets/{id}/messages"),
            json!({"body": "Fay, here is the invoice.", "visibility": "public"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let after = sla(&app, id).await;
    assert_eq!(target(&after, "first_response")["state"], "met");
    assert_eq!(target(&after, "first_response")["breaches"], 1);
}

#[tokio::test]
async fn the_resolution_clock_pauses_while_the_customer_has_the_turn_and_next_replies_are_due() {
    let app = TestApp::spawn().await;
    policy(
        &app,
        json!({"name": "Everyone", "next_response_minutes": 120, "resolution_minutes": 480}),
    )
    .await;
    let ticket = app.ticket("VPN drops", "gus@example.com").await;
    let id = ticket["id"].as_i64().expect("id");
    let customer = ticket["customer_id"].as_i64().expect("customer");
    // Monday 09:00, 8 business hours: due at 17:00.
    assert_eq!(
        target(&sla(&app, id).await, "resolution")["due_at"],
        at(Duration::hours(8))
    );
    assert_eq!(
        target(&sla(&app, id).await, "next_response")["state"],
        "met"
    );

    app.advance(Duration::hours(2)).await; // 11:00, our reply: the customer has the turn
    app.api()
        .post(
            &format!("/api/v1/tickets/{id}/messages"),
            json!({"body": "Gus, could you send the VPN log?", "visibility": "public"}),
        )
        .await;
    let paused = sla(&app, id).await;
    assert_eq!(target(&paused, "resolution")["state"], "paused");
    assert_eq!(target(&paused, "resolution")["due_at"], Value::Null);

    // Tuesday 10:00 the customer writes: six business hours left, due at 16:00; our next
    // reply is due in two business hours.
    app.advance(Duration::hours(23)).await;
    app.app
        .store
        .add_message(
            id,
            Actor::Customer(customer),
            Channel::Email,
            Visibility::Public,
            "Here is the log.",
        )
        .await
        .expect("customer writes");
    let resumed = sla(&app, id).await;
    assert_eq!(
        target(&resumed, "resolution")["due_at"],
        at(Duration::days(1) + Duration::hours(7))
    );
    assert_eq!(
        target(&resumed, "next_response")["due_at"],
        at(Duration::days(1) + Duration::hours(3))
    );
    // Nobody answers: the next reply is missed at 12:00, the resolution at 16:00.
    app.advance(Duration::hours(2)).await;
    assert_eq!(
        target(&sla(&app, id).await, "next_response")["state"],
        "breached"
    );
    app.advance(Duration::hours(4)).await;
    let late = sla(&app, id).await;
    assert_eq!(target(&late, "resolution")["state"], "breached");
    assert_eq!(breaches(&app, id).await, 2);

    // Proposing the resolution settles it.
    app.api()
        .post(
            &format!("/api/v1/tickets/{id}/state"),
            json!({"action": "propose_resolution"}),
        )
        .await;
    assert_eq!(target(&sla(&app, id).await, "resolution")["state"], "met");
}

#[tokio::test]
async fn the_policy_that_fits_best_applies_and_only_admins_write_policies() {
    let app = TestApp::spawn().await;
    policy(
        &app,
        json!({"name": "Everyone", "first_response_minutes": 480}),
    )
    .await;
    let urgent = policy(
        &app,
        json!({"name": "Urgent", "priority": "urgent", "first_response_minutes": 30}),
    )
    .await;
    let (_, org) = app
        .api()
        .post("/api/v1/organizations", json!({"name": "Harbor Pine"}))
        .await;
    let ticket = app.ticket("Line down", "hal@example.com").await;
    let id = ticket["id"].as_i64().expect("id");
    assert_eq!(sla(&app, id).await["policy"]["name"], "Everyone");
    let (status, _) = app
        .api()
        .patch(
            &format!("/api/v1/tickets/{id}"),
            json!({"priority": "urgent"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let now = sla(&app, id).await;
    assert_eq!(now["policy"]["id"], urgent["id"]);
    assert_eq!(
        target(&now, "first_response")["due_at"],
        at(Duration::minutes(30)),
        "counted from the opening"
    );
    // A customer's own policy outranks the priority's.
    let customer = policy(
        &app,
        json!({"name": "Hal's contract", "customer_id": ticket["customer_id"], "first_response_minutes": 15}),
    )
    .await;
    assert_eq!(sla(&app, id).await["policy"]["id"], customer["id"]);
    let (status, _) = app
        .api()
        .delete(&format!("/api/v1/sla-policies/{}", customer["id"]))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(sla(&app, id).await["policy"]["id"], urgent["id"]);

    for (body, words) in [
        (json!({"name": "Nothing"}), "at least one target"),
        (
            json!({"name": "Zero", "first_response_minutes": 0}),
            "from 1 to",
        ),
        (
            json!({"name": "Ghost", "organization_id": 999, "first_response_minutes": 5}),
            "no such organization",
        ),
        (json!({"name": " ", "first_response_minutes": 5}), "name"),
    ] {
        let (status, answer) = app.api().post("/api/v1/sla-policies", body.clone()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {answer}");
        assert!(error_message(&answer).contains(words), "{body}: {answer}");
    }
    let (_, sam) = app.agent("sam@rapport.test", Role::Supervisor, None).await;
    let (status, _) = app
        .api_as(Some(&sam))
        .post(
            "/api/v1/sla-policies",
            json!({"name": "Mine", "organization_id": org["id"], "first_response_minutes": 5}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, list) = app.api_as(Some(&sam)).get("/api/v1/sla-policies").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["items"].as_array().map(Vec::len), Some(2));
    let (status, _) = app.api().get("/api/v1/sla-policies/424242").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_pages_show_each_target_and_admins_write_policies_in_words() {
    let app = TestApp::spawn().await;
    let (_, cookie, csrf) =
        crate::workspace::signed_in(&app, "maya@rapport.test", Role::Admin).await;
    let (status, page) = crate::helpers::post_form(
        &app,
        &cookie,
        "/admin/service-levels",
        &[
            ("name", "Everyone"),
            ("first_response_minutes", "an hour"),
            ("csrf", &csrf),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.contains("“an hour” is not a whole number of business minutes"),
        "{page}"
    );
    let (status, page) = crate::helpers::post_form(
        &app,
        &cookie,
        "/admin/service-levels",
        &[
            ("name", "Everyone"),
            ("customer", "nobody@example.com"),
            ("first_response_minutes", "60"),
            ("csrf", &csrf),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("no customer with the address"), "{page}");
    let (status, _) = crate::helpers::post_form(
        &app,
        &cookie,
        "/admin/service-levels",
        &[
            ("name", "Everyone"),
            ("first_response_minutes", "60"),
            ("resolution_minutes", "960"),
            ("csrf", &csrf),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, page) = crate::helpers::get_page(&app, &cookie, "/admin/service-levels").await;
    assert!(
        page.contains("every ticket") && page.contains("16 h"),
        "{page}"
    );

    let id = app.ticket("Printer offline", "ivy@example.com").await["id"]
        .as_i64()
        .expect("id");
    app.advance(Duration::minutes(50)).await;
    let (_, page) = crate::helpers::get_page(&app, &cookie, &format!("/tickets/{id}")).await;
    assert!(
        page.contains("id=\"service-level\"") && page.contains("Everyone"),
        "{page}"
    );
    assert!(page.contains("First reply</strong>: in 10 min"), "{page}");
    assert!(page.contains("sla-warn"), "due soon is marked");
    let (_, inbox) = crate::helpers::get_page(&app, &cookie, "/?view=unassigned").await;
    assert!(inbox.contains("first reply in 10 min"), "{inbox}");
    app.advance(Duration::minutes(20)).await;
    let (_, inbox) = crate::helpers::get_page(&app, &cookie, "/?view=unassigned").await;
    assert!(inbox.contains("first reply 10 min overdue"), "{inbox}");
}

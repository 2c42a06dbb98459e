//! Complaints and recovery: a complaint opened on a ticket, what was done to make it right with
//! its cost, its outcome; the recovery report over a period; health counting open complaints
//! against the relationship and recovered ones for it; restricted tickets and roles.

use crate::helpers::{
    TestApp, all_at_once, count_status, error_code, error_message, get_page, post_form,
};
use crate::workspace::signed_in;
use rapport_domain::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};
use time::Duration;

fn id(value: &Value) -> i64 {
    value["id"].as_i64().expect("an id")
}

async fn open_on(app: &TestApp, ticket: i64) -> Value {
    let (status, complaint) = app
        .api()
        .post(
            &format!("/api/v1/tickets/{ticket}/complaints"),
            json!({
                "cause": "service",
                "severity": "high",
                "channel": "letter",
                "incident": "I was billed twice and nobody answered my emails for a week.",
                "staff_account": "The second charge came from a retry; the mails sat in a queue."
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{complaint}");
    complaint
}

async fn health_factors(app: &TestApp, customer: i64) -> Vec<(String, i64)> {
    let (status, health) = app
        .api()
        .get(&format!("/api/v1/customers/{customer}/health"))
        .await;
    assert_eq!(status, StatusCode::OK, "{health}");
    health["factors"]
        .as_array()
        .expect("factors")
        .iter()
        .map(|f| {
            (
                f["key"].as_str().expect("key").to_owned(),
                f["points"].as_i64().expect("points"),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_complaint_with_a_refund_and_an_apology_shows_in_the_recovery_report_with_its_cost() {
    let app = TestApp::spawn().await;
    let ticket = app.ticket("Billed twice", "bea@example.com").await;
    let customer = ticket["customer_id"].as_i64().expect("customer");
    // A health point before the complaint.
    health_factors(&app, customer).await;
    app.advance(Duration::days(2)).await;

    let complaint = open_on(&app, id(&ticket)).await;
    let complaint_id = id(&complaint);
    assert_eq!(complaint["customer_id"], customer);
    assert_eq!(complaint["outcome"], Value::Null);
    app.advance(Duration::hours(3)).await;
    for action in [
        json!({"kind": "refund", "cost_minor": 2500, "note": "The second charge, back."}),
        json!({"kind": "apology", "note": "Wrote to say sorry, by name."}),
        json!({"kind": "credit", "cost_minor": 1000, "currency": "usd"}),
    ] {
        let (status, body) = app
            .api()
            .post(
                &format!("/api/v1/complaints/{complaint_id}/actions"),
                action,
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    app.advance(Duration::hours(2)).await;
    let (status, closed) = app
        .api()
        .post(
            &format!("/api/v1/complaints/{complaint_id}/outcome"),
            json!({"outcome": "recovered"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{closed}");
    assert_eq!(closed["outcome"], "recovered");
    assert!(closed["recovered_at"].is_string());
    assert_eq!(closed["actions"].as_array().map(Vec::len), Some(3));
    assert_eq!(closed["actions"][2]["currency"], "USD");

    // The customer answers a survey afterwards, and their health is kept the next day.
    app.advance(Duration::days(1)).await;
    let now = rapport_store::clock::format(app.app.store.clock().now());
    sqlx::query(
        "INSERT INTO surveys (customer_id, ticket_id, kind, token_hash, sent_at, answered_at, score) \
         VALUES ($1, $2, 'csat', 'after-the-complaint', $3, $3, 5)",
    )
    .bind(customer)
    .bind(id(&ticket))
    .bind(&now)
    .execute(app.app.store.pool())
    .await
    .expect("a survey answered");
    health_factors(&app, customer).await;
    let (_, again) = app
        .api()
        .get(&format!("/api/v1/complaints/{complaint_id}"))
        .await;
    assert_eq!(again["survey_after"]["score"], 5, "{again}");

    let (_, supervisor) = app.agent("sue@rapport.test", Role::Supervisor, None).await;
    let (status, report) = app
        .api_as(Some(&supervisor))
        .get("/api/v1/reports/recovery")
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["complaints"], 1);
    assert_eq!(report["recovered"], 1);
    assert_eq!(report["recovery_rate"], 100);
    assert_eq!(report["median_hours_to_recovery"], 5);
    let service = report["by_cause"]
        .as_array()
        .expect("causes")
        .iter()
        .find(|c| c["name"] == "service")
        .expect("service");
    assert_eq!(service["count"], 1);
    let costs = report["cost_by_kind"].as_array().expect("costs");
    let refund = costs
        .iter()
        .find(|c| c["kind"] == "refund")
        .expect("the refund");
    assert_eq!(refund["cost_minor"], 2500);
    assert_eq!(refund["currency"], "EUR");
    assert!(
        costs
            .iter()
            .any(|c| c["kind"] == "apology" && c["cost_minor"] == 0)
    );
    assert_eq!(
        report["total_cost"],
        json!([{"currency": "EUR", "cost_minor": 2500}, {"currency": "USD", "cost_minor": 1000}])
    );
    let line = &report["customers"][0];
    assert_eq!(line["customer_id"], customer);
    assert!(line["health_before"].is_i64(), "{line}");
    assert!(line["health_after"].is_i64(), "{line}");
    assert_eq!(line["survey_after"]["score"], 5);

    // A period before the complaint has none.
    let (_, empty) = app
        .api_as(Some(&supervisor))
        .get("/api/v1/reports/recovery?from=2020-01-01&to=2020-02-01")
        .await;
    assert_eq!(empty["complaints"], 0);

    // The page: bars drawn as SVG with a title, and a table of the same numbers.
    let (_, cookie, _) = signed_in(&app, "sid@rapport.test", Role::Supervisor).await;
    let (status, page) = get_page(&app, &cookie, "/reports/recovery").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("<svg role=\"img\""), "{page}");
    assert!(page.contains("<title id=\"cost-svg-title\">Cost by kind of action</title>"));
    assert!(page.contains("25.00 EUR"));
    assert!(page.contains("10.00 USD"));
    assert!(page.contains("100%"));
    let (status, page) = get_page(&app, &cookie, "/reports/recovery?from=2026-13-01").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("must be a day such as"));
}

#[tokio::test]
async fn recovered_needs_an_action_first_and_every_change_is_an_event() {
    let app = TestApp::spawn().await;
    let ticket = app.ticket("Rude reply", "cal@example.com").await;
    let complaint = open_on(&app, id(&ticket)).await;
    let complaint_id = id(&complaint);
    let outcome = |outcome: &'static str| {
        let app = &app;
        async move {
            app.api()
                .post(
                    &format!("/api/v1/complaints/{complaint_id}/outcome"),
                    json!({ "outcome": outcome }),
                )
                .await
        }
    };
    for refused in ["recovered", "partly"] {
        let (status, body) = outcome(refused).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert!(
            error_message(&body).contains("record at least one recovery action first"),
            "{body}"
        );
    }
    // Lost needs nothing: they may leave before anything could be done.
    let (status, body) = outcome("lost").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["outcome"], "lost");
    // Twice the same changes nothing; after an action it can still be won back.
    let (status, _) = outcome("lost").await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = app
        .api()
        .post(
            &format!("/api/v1/complaints/{complaint_id}/actions"),
            json!({"kind": "manager_call"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, body) = outcome("partly").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = app
        .api()
        .patch(
            &format!("/api/v1/complaints/{complaint_id}"),
            json!({"severity": "critical", "cause": "staff", "staff_agent_id": app.admin.id}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["severity"], "critical");
    assert_eq!(body["staff_agent_id"], app.admin.id);

    let events = app
        .app
        .store
        .events_for("complaint", complaint_id)
        .await
        .expect("events");
    let actions: Vec<&str> = events.iter().map(|e| e.action.as_str()).collect();
    for expected in [
        "complaint.opened",
        "complaint.closed",
        "complaint.action_added",
        "complaint.updated",
    ] {
        assert!(actions.contains(&expected), "{actions:?}");
    }
    assert_eq!(
        actions.iter().filter(|a| **a == "complaint.closed").count(),
        2
    );
    assert!(
        events.iter().all(|e| e.actor.id == Some(app.admin.id)),
        "every change names who made it"
    );
}

#[tokio::test]
async fn a_complaint_on_a_restricted_ticket_is_for_those_who_may_see_the_ticket() {
    let app = TestApp::spawn().await;
    let (member, member_token) = app.agent("lee@rapport.test", Role::Agent, None).await;
    let (_, outsider) = app.agent("kim@rapport.test", Role::Agent, None).await;
    let (status, team) = app
        .api()
        .post(
            "/api/v1/teams",
            json!({"name": "Legal", "member_ids": [member.id], "restricted": true}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{team}");
    let ticket = app.ticket("Subpoena", "dora@example.com").await;
    let customer = ticket["customer_id"].as_i64().expect("customer");
    app.api()
        .patch(
            &format!("/api/v1/tickets/{}", id(&ticket)),
            json!({"team_id": id(&team)}),
        )
        .await;
    let complaint = open_on(&app, id(&ticket)).await;
    let path = format!("/api/v1/complaints/{}", id(&complaint));

    let (status, body) = app.api_as(Some(&outsider)).get(&path).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, body) = app
        .api_as(Some(&outsider))
        .post(&format!("{path}/actions"), json!({"kind": "apology"}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, body) = app
        .api_as(Some(&outsider))
        .post(
            &format!("/api/v1/tickets/{}/complaints", id(&ticket)),
            json!({"cause": "policy", "severity": "low", "channel": "email", "incident": "No."}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, list) = app
        .api_as(Some(&outsider))
        .get(&format!("/api/v1/customers/{customer}/complaints"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["items"], json!([]));
    let (_, list) = app
        .api_as(Some(&member_token))
        .get(&format!("/api/v1/customers/{customer}/complaints"))
        .await;
    assert_eq!(list["items"].as_array().map(Vec::len), Some(1));
    let (status, _) = app.api_as(Some(&member_token)).get(&path).await;
    assert_eq!(status, StatusCode::OK);

    // The report is for supervisors and admins; unknown complaints are not found.
    let (status, body) = app
        .api_as(Some(&member_token))
        .get("/api/v1/reports/recovery")
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, body) = app.api().get("/api/v1/complaints/999999").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (_, cookie, _) = signed_in(&app, "kit@rapport.test", Role::Agent).await;
    let (status, _) = get_page(&app, &cookie, &format!("/complaints/{}", id(&complaint))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = get_page(&app, &cookie, "/reports/recovery").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn bad_input_is_refused_in_words() {
    let app = TestApp::spawn().await;
    let ticket = app.ticket("Broken lid", "eve@example.com").await;
    let other = app.ticket("Another", "fay@example.com").await;
    let customer = ticket["customer_id"].as_i64().expect("customer");
    let base = json!({"cause": "product", "severity": "low", "channel": "phone", "incident": "The lid broke."});
    let with = |change: Value| {
        let mut body = base.clone();
        for (key, value) in change.as_object().expect("an object") {
            body[key] = value.clone();
        }
        body
    };
    for (body, status) in [
        (
            with(json!({"severity": "apocalyptic"})),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            with(json!({"incident": "   "})),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            with(json!({"incident": "x".repeat(10_001)})),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            with(json!({"customer_id": customer, "ticket_id": id(&other)})),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (with(json!({"ticket_id": 999999})), StatusCode::NOT_FOUND),
        (
            with(json!({"customer_id": customer, "staff_agent_id": 999999})),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (base.clone(), StatusCode::UNPROCESSABLE_ENTITY),
    ] {
        let (got, answer) = app.api().post("/api/v1/complaints", body.clone()).await;
        assert!(
            got == status || (got.is_client_error() && status.is_client_error()),
            "{body} → {got} {answer}"
        );
        assert!(got.is_client_error(), "{body} → {got}");
        error_code(&answer);
        assert!(!error_message(&answer).is_empty());
    }
    let complaint = open_on(&app, id(&ticket)).await;
    let actions = format!("/api/v1/complaints/{}/actions", id(&complaint));
    for action in [
        json!({"kind": "refund", "cost_minor": -5}),
        json!({"kind": "refund", "cost_minor": 5, "currency": "euro"}),
        json!({"kind": "bribe"}),
        json!({"kind": "refund", "agent_id": 999999}),
    ] {
        let (status, body) = app.api().post(&actions, action.clone()).await;
        assert!(status.is_client_error(), "{action} → {status} {body}");
        error_code(&body);
    }
    let (status, body) = app
        .api()
        .post(
            &actions,
            json!({"kind": "refund", "cost_minor": 5, "currency": "euro"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(error_message(&body).contains("three letters"), "{body}");
    let (status, body) = app
        .api()
        .get("/api/v1/reports/recovery?from=2026-12-01&to=2026-11-01")
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(error_message(&body).contains("before the last"));

    // The page's forms say it in words too.
    let (_, cookie, csrf) = signed_in(&app, "gil@rapport.test", Role::Agent).await;
    let path = format!("/complaints/{}/actions", id(&complaint));
    let (status, page) = post_form(
        &app,
        &cookie,
        &path,
        &[
            ("csrf", &csrf),
            ("kind", "refund"),
            ("cost", "twelve"),
            ("currency", "EUR"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("is not an amount"), "{page}");
    let (status, page) = post_form(
        &app,
        &cookie,
        &format!("/complaints/{}/outcome", id(&complaint)),
        &[("csrf", &csrf), ("outcome", "recovered")],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.contains("record at least one recovery action first"),
        "{page}"
    );
}

#[tokio::test]
async fn health_counts_open_complaints_against_and_recovered_ones_for_the_relationship() {
    let app = TestApp::spawn().await;
    let ticket = app.ticket("Late delivery", "gus@example.com").await;
    let customer = ticket["customer_id"].as_i64().expect("customer");
    let before = health_factors(&app, customer).await;
    assert!(!before.iter().any(|(k, _)| k.starts_with("complaints")));

    let complaint = open_on(&app, id(&ticket)).await;
    let open = health_factors(&app, customer).await;
    assert!(
        open.contains(&("complaints_open".to_owned(), -6)),
        "{open:?}"
    );

    // Opened and made right from the workspace pages.
    let (_, cookie, csrf) = signed_in(&app, "hal@rapport.test", Role::Agent).await;
    let (status, page) = get_page(&app, &cookie, &format!("/tickets/{}", id(&ticket))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("id=\"complaint\""));
    assert!(page.contains(&format!("/complaints/{}", id(&complaint))));
    let (status, location) = post_form(
        &app,
        &cookie,
        &format!("/complaints/{}/actions", id(&complaint)),
        &[
            ("csrf", &csrf),
            ("kind", "replacement"),
            ("cost", "12.50"),
            ("currency", "EUR"),
            ("note", "A new one, sent express."),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{location}");
    let (status, _) = post_form(
        &app,
        &cookie,
        &format!("/complaints/{}/outcome", id(&complaint)),
        &[("csrf", &csrf), ("outcome", "recovered")],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, page) = get_page(&app, &cookie, &format!("/complaints/{}", id(&complaint))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("12.50 EUR"), "{page}");
    assert!(page.contains("Recovered"));

    let after = health_factors(&app, customer).await;
    assert!(
        !after.iter().any(|(k, _)| k == "complaints_open"),
        "{after:?}"
    );
    assert!(
        after.contains(&("complaints_recovered".to_owned(), 4)),
        "{after:?}"
    );

    // The customer page lists it.
    let (_, page) = get_page(&app, &cookie, &format!("/customers/{customer}")).await;
    assert!(page.contains(&format!("/complaints/{}", id(&complaint))));
    // A complaint opened from the ticket page.
    let (status, location) = post_form(
        &app,
        &cookie,
        &format!("/tickets/{}/complaints", id(&ticket)),
        &[
            ("csrf", &csrf),
            ("cause", "staff"),
            ("staff_agent_id", ""),
            ("severity", "medium"),
            ("channel", "phone"),
            ("incident", "The courier was rude."),
            ("staff_account", ""),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{location}");
    assert!(location.starts_with("/complaints/"), "{location}");
}

#[tokio::test]
async fn a_complaint_closed_twenty_times_at_once_is_closed_once() {
    let app = TestApp::spawn().await;
    let ticket = app.ticket("Twice charged", "ida@example.com").await;
    let complaint = open_on(&app, id(&ticket)).await;
    let complaint_id = id(&complaint);
    let (status, _) = app
        .api()
        .post(
            &format!("/api/v1/complaints/{complaint_id}/actions"),
            json!({"kind": "apology"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let path = format!("/api/v1/complaints/{complaint_id}/outcome");
    let requests = (0..20)
        .map(|_| {
            app.api()
                .request(reqwest::Method::POST, &path)
                .json(&json!({"outcome": "recovered"}))
        })
        .collect();
    let answers = all_at_once(requests).await;
    assert_eq!(count_status(&answers, StatusCode::OK), 20, "{answers:?}");
    let events = app
        .app
        .store
        .events_for("complaint", complaint_id)
        .await
        .expect("events");
    assert_eq!(
        events
            .iter()
            .filter(|e| e.action == "complaint.closed")
            .count(),
        1
    );
}

#[tokio::test]
async fn erasing_a_customer_erases_what_their_complaints_say() {
    let app = TestApp::spawn().await;
    let ticket = app.ticket("Billed twice", "jo@example.com").await;
    let customer = ticket["customer_id"].as_i64().expect("customer");
    let complaint = open_on(&app, id(&ticket)).await;
    let path = format!("/api/v1/complaints/{}", id(&complaint));
    app.api()
        .post(
            &format!("{path}/actions"),
            json!({"kind": "refund", "cost_minor": 900, "note": "Refunded to Jo's card ending 4242."}),
        )
        .await;
    let (status, body) = app
        .api()
        .post(
            &format!("/api/v1/customers/{customer}/erase"),
            json!({"reason": "Asked by mail."}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, after) = app.api().get(&path).await;
    let text = after.to_string();
    assert!(!text.contains("billed twice and nobody"), "{text}");
    assert!(!text.contains("4242"), "{text}");
    // What it cost stays, for the report.
    assert_eq!(after["actions"][0]["cost_minor"], 900);
}

#[tokio::test]
async fn the_customers_history_tells_the_complaint_its_recovery_and_its_outcome() {
    let app = TestApp::spawn().await;
    let ticket = app.ticket("Billed twice", "nia@example.com").await;
    let complaint = open_on(&app, id(&ticket)).await;
    let path = format!("/api/v1/complaints/{}", id(&complaint));
    let (status, body) = app
        .api()
        .post(
            &format!("{path}/actions"),
            json!({"kind": "refund", "cost_minor": 1500}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = app
        .api()
        .post(&format!("{path}/outcome"), json!({"outcome": "recovered"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, timeline) = app
        .api()
        .get(&format!(
            "/api/v1/customers/{}/timeline",
            ticket["customer_id"]
        ))
        .await;
    let said: Vec<&str> = timeline["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|i| i["summary"].as_str())
        .collect();
    for words in [
        "Complaint recorded: about",
        "Recovery: refund",
        "Complaint closed: recovered",
    ] {
        assert!(said.iter().any(|s| s.contains(words)), "{words}: {said:?}");
    }
}

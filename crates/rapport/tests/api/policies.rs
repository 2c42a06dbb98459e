//! Policies with reasons: the library admins write and every agent reads, and exceptions
//! asked on tickets, decided once by a named supervisor, limited per customer, and found
//! again as precedent.

use crate::helpers::{
    Api, TestApp, all_at_once, count_status, error_code, error_message, get_page, post_form,
};
use crate::workspace::signed_in_as;
use rapport_domain::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// Ada (admin) ← Priya (supervisor) ← Sam (agent): `(priya, priya's token, sam's token)`.
async fn chain(app: &TestApp) -> (i64, String, String) {
    let (priya, priya_token) = app
        .agent(
            "priya@rapport.test",
            Role::Supervisor,
            Some("admin@rapport.test"),
        )
        .await;
    let (_, sam_token) = app
        .agent("sam@rapport.test", Role::Agent, Some("priya@rapport.test"))
        .await;
    (priya.id, priya_token, sam_token)
}

/// The returns policy: at most `limit` exceptions per customer a year.
async fn returns_policy(app: &TestApp, limit: Option<i64>) -> i64 {
    let (status, policy) = app
        .api()
        .post(
            "/api/v1/policies",
            json!({
                "title": "Returns within 30 days",
                "text": "Items may be returned for a refund within 30 days of delivery.",
                "rationale": "After a month most items cannot be sold again, and the price we offer everyone counts on that.",
                "alternatives": ["Store credit for the full price", "A repair at our cost"],
                "keywords": ["return", "refund", "30 days"],
                "limit_count": limit,
                "limit_days": limit.map(|_| 365),
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{policy}");
    assert_eq!(policy["alternatives"][1], "A repair at our cost");
    policy["id"].as_i64().expect("id")
}

async fn ask(
    app: &TestApp,
    token: &str,
    ticket: i64,
    policy: i64,
    reason: &str,
) -> (StatusCode, Value) {
    app.api_as(Some(token))
        .post(
            &format!("/api/v1/tickets/{ticket}/policy-exceptions"),
            json!({"policy_id": policy, "reason": reason, "cost_minor": 12900, "currency": "eur"}),
        )
        .await
}

async fn found(app: &TestApp, token: &str, query: &str) -> Vec<Value> {
    let (status, list) = app
        .api_as(Some(token))
        .get(&format!("/api/v1/policy-exceptions?{query}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{list}");
    list["items"].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn a_returns_exception_is_approved_by_the_supervisor_and_found_again_as_precedent() {
    let app = TestApp::spawn().await;
    let (priya, priya_token, sam_token) = chain(&app).await;
    let policy = returns_policy(&app, Some(1)).await;
    let ticket = app
        .ticket("Refund for the lost parcel", "ana@example.com")
        .await;
    let ticket_id = ticket["id"].as_i64().expect("id");

    // Sam asks; his supervisor is named to decide, with a task and a notification.
    let (status, exception) = ask(
        &app,
        &sam_token,
        ticket_id,
        policy,
        "The courier lost the parcel for five weeks, so Ana could not return it within 30 days.",
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{exception}");
    assert_eq!(exception["decider_id"], priya);
    assert_eq!(exception["status"], "pending");
    assert_eq!(exception["currency"], "EUR");
    let id = exception["id"].as_i64().expect("id");
    assert!(
        app.tasks_of(priya)
            .await
            .iter()
            .any(|t| t.title.contains("Returns within 30 days") && t.detail.contains("EUR 129.00")),
        "Priya has a task"
    );
    let (_, notes) = app
        .api_as(Some(&priya_token))
        .get("/api/v1/notifications")
        .await;
    assert_eq!(notes["items"][0]["kind"], "policy_exception", "{notes}");
    assert_eq!(
        found(&app, &priya_token, "waiting_on_me=true").await.len(),
        1
    );

    // Sam may not decide his own request; Priya approves it.
    let decide = format!("/api/v1/policy-exceptions/{id}/decide");
    let (status, body) = app
        .api_as(Some(&sam_token))
        .post(&decide, json!({"outcome": "approved"}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(
        error_message(&body).contains("someone else decides"),
        "{body}"
    );
    let (status, decided) = app
        .api_as(Some(&priya_token))
        .post(
            &decide,
            json!({"outcome": "approved", "note": "The delay was ours to own; refund in full."}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{decided}");
    assert_eq!(decided["status"], "approved");
    assert_eq!(decided["decided_by"], priya);

    // Found again: by words of the reason and of the note, by policy, outcome and day.
    let day = &decided["created_at"].as_str().expect("time")[..10];
    for query in [
        "q=30 days courier".to_owned(),
        "q=ours to own".to_owned(),
        format!("policy_id={policy}&outcome=approved"),
        format!("from={day}&to={day}&q=parcel"),
    ] {
        let items = found(&app, &sam_token, &query).await;
        assert_eq!(items.len(), 1, "{query}: {items:?}");
        assert_eq!(items[0]["id"], id);
        assert_eq!(items[0]["policy_title"], "Returns within 30 days");
    }
    for query in ["q=warranty", "outcome=declined", "to=2000-01-01"] {
        assert!(found(&app, &sam_token, query).await.is_empty(), "{query}");
    }

    // The decision is in the audit trail with its actor.
    let events = app
        .app
        .store
        .events_for("policy_exception", id)
        .await
        .expect("events");
    let approved = events
        .iter()
        .find(|e| e.action == "policy_exception.approved")
        .expect("approved event");
    assert_eq!(approved.actor.id, Some(priya));

    // The limit (one a year per customer) is counted: the next is refused, in words.
    let (status, body) = ask(&app, &sam_token, ticket_id, policy, "Another late return.").await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(error_code(&body), "policy_limit_reached");
    assert!(error_message(&body).contains("1 exception"), "{body}");
    // Another customer's is not counted against Ana.
    let other = app.ticket("Late return", "bo@example.com").await["id"]
        .as_i64()
        .expect("id");
    let (status, body) = ask(&app, &sam_token, other, policy, "Bo was in hospital.").await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

#[tokio::test]
async fn deciding_twice_at_once_decides_once() {
    let app = TestApp::spawn().await;
    let (_, priya_token, sam_token) = chain(&app).await;
    let policy = returns_policy(&app, None).await;
    let ticket = app.ticket("Late return", "ana@example.com").await["id"]
        .as_i64()
        .expect("id");
    let (_, exception) = ask(&app, &sam_token, ticket, policy, "Parcel stuck in customs.").await;
    let path = format!("/api/v1/policy-exceptions/{}/decide", exception["id"]);
    let requests = (0..6)
        .map(|n| {
            let (token, outcome) = match n % 2 {
                0 => (priya_token.as_str(), "approved"),
                _ => (app.admin_token.as_str(), "declined"),
            };
            app.api_as(Some(token))
                .request(Method::POST, &path)
                .json(&json!({"outcome": outcome, "note": format!("Decision {n}")}))
        })
        .collect();
    let answers = all_at_once(requests).await;
    assert_eq!(count_status(&answers, StatusCode::OK), 1, "{answers:?}");
    assert_eq!(
        count_status(&answers, StatusCode::CONFLICT),
        5,
        "{answers:?}"
    );
    let decided = app
        .app
        .store
        .events_for("policy_exception", exception["id"].as_i64().expect("id"))
        .await
        .expect("events")
        .iter()
        .filter(|e| e.action != "policy_exception.requested")
        .count();
    assert_eq!(decided, 1);
}

#[tokio::test]
async fn approvals_at_once_stay_within_the_limit() {
    let app = TestApp::spawn().await;
    let (_, priya_token, sam_token) = chain(&app).await;
    let policy = returns_policy(&app, Some(2)).await;
    let ticket = app.ticket("Returns", "ana@example.com").await["id"]
        .as_i64()
        .expect("id");
    let mut paths = Vec::new();
    for n in 0..4 {
        let (status, body) = ask(&app, &sam_token, ticket, policy, &format!("Return {n}")).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        paths.push(format!("/api/v1/policy-exceptions/{}/decide", body["id"]));
    }
    let requests = paths
        .iter()
        .map(|path| {
            app.api_as(Some(&priya_token))
                .request(Method::POST, path)
                .json(&json!({"outcome": "approved"}))
        })
        .collect();
    let answers = all_at_once(requests).await;
    assert_eq!(count_status(&answers, StatusCode::OK), 2, "{answers:?}");
    assert_eq!(
        count_status(&answers, StatusCode::CONFLICT),
        2,
        "{answers:?}"
    );
}

#[tokio::test]
async fn roles_and_restricted_teams_hold() {
    let app = TestApp::spawn().await;
    let (_, priya_token, sam_token) = chain(&app).await;
    let (member, member_token) = app.agent("lee@rapport.test", Role::Agent, None).await;

    // Admins write; everyone reads.
    let (status, body) = app
        .api_as(Some(&priya_token))
        .post(
            "/api/v1/policies",
            json!({"title": "T", "text": "T", "rationale": "R"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let policy = returns_policy(&app, None).await;
    let (status, body) = app
        .api_as(Some(&sam_token))
        .patch(
            &format!("/api/v1/policies/{policy}"),
            json!({"title": "T", "text": "T", "rationale": "R"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, list) = app
        .api_as(Some(&sam_token))
        .get("/api/v1/policies?q=refund month")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["items"].as_array().map(Vec::len), Some(1), "{list}");
    let (status, _) = app
        .api_as(Some(&sam_token))
        .get("/api/v1/policies/9999")
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, changed) = app
        .api()
        .patch(
            &format!("/api/v1/policies/{policy}"),
            json!({"title": "Returns within 30 days", "text": "Within 30 days.", "rationale": "Stock loses value.", "alternatives": ["Store credit"]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    let events = app
        .app
        .store
        .events_for("policy", policy)
        .await
        .expect("events");
    let updated = events
        .iter()
        .find(|e| e.action == "policy.updated")
        .expect("updated");
    assert_eq!(updated.actor.id, Some(app.admin.id));
    assert!(
        updated.changes.get("rationale").is_some(),
        "{:?}",
        updated.changes
    );

    // A restricted team's ticket: its exceptions are for its members and admins.
    let (status, team) = app
        .api()
        .post(
            "/api/v1/teams",
            json!({"name": "Legal", "member_ids": [member.id], "restricted": true}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{team}");
    let secret = app.ticket("Subpoena", "cy@example.com").await["id"]
        .as_i64()
        .expect("id");
    app.api()
        .patch(
            &format!("/api/v1/tickets/{secret}"),
            json!({"team_id": team["id"]}),
        )
        .await;
    let (status, _) = ask(&app, &sam_token, secret, policy, "Quillfeather case.").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, exception) = app
        .api_as(Some(&member_token))
        .post(
            &format!("/api/v1/tickets/{secret}/policy-exceptions"),
            json!({"policy_id": policy, "reason": "Quillfeather case.", "currency": "EUR", "decider_id": app.admin.id}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{exception}");
    let id = exception["id"].as_i64().expect("id");
    let (status, _) = app
        .api_as(Some(&sam_token))
        .get(&format!("/api/v1/policy-exceptions/{id}"))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app
        .api_as(Some(&priya_token))
        .post(
            &format!("/api/v1/policy-exceptions/{id}/decide"),
            json!({"outcome": "approved"}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "neither visible to nor named for Priya"
    );
    assert!(found(&app, &sam_token, "q=quillfeather").await.is_empty());
    assert_eq!(found(&app, &member_token, "q=quillfeather").await.len(), 1);
    assert_eq!(
        found(&app, &app.admin_token, "q=quillfeather").await.len(),
        1
    );
    let (status, _) = app
        .api_as(Some(&sam_token))
        .get("/api/v1/policy-exceptions/9999")
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = Api::send(
        app.api_as(None)
            .request(Method::GET, "/api/v1/policy-exceptions"),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn bad_input_is_refused_in_words() {
    let app = TestApp::spawn().await;
    let (_, _, sam_token) = chain(&app).await;
    let (kim, _) = app.agent("kim@rapport.test", Role::Agent, None).await;
    let policy = returns_policy(&app, None).await;
    let ticket = app.ticket("Late return", "ana@example.com").await["id"]
        .as_i64()
        .expect("id");

    for (body, words) in [
        (
            json!({"title": "Returns", "text": "Within 30 days.", "rationale": " "}),
            "why the policy exists",
        ),
        (json!({"title": "", "text": "x", "rationale": "y"}), "title"),
        (
            json!({"title": "Returns", "text": "x", "rationale": "y", "limit_count": 3}),
            "period",
        ),
        (
            json!({"title": "Returns", "text": "x", "rationale": "y", "limit_count": 0, "limit_days": 30}),
            "from 1",
        ),
    ] {
        let (status, answer) = app.api().post("/api/v1/policies", body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
        assert!(error_message(&answer).contains(words), "{answer}");
    }

    let path = format!("/api/v1/tickets/{ticket}/policy-exceptions");
    for (body, words) in [
        (
            json!({"policy_id": policy, "reason": "", "currency": "EUR"}),
            "why this case",
        ),
        (
            json!({"policy_id": policy, "reason": "Late", "currency": "EURO"}),
            "three-letter",
        ),
        (
            json!({"policy_id": policy, "reason": "Late", "currency": "EUR", "cost_minor": -5}),
            "minor units",
        ),
        (
            json!({"policy_id": 9999, "reason": "Late", "currency": "EUR"}),
            "9999",
        ),
        (
            json!({"policy_id": policy, "reason": "Late", "currency": "EUR", "decider_id": kim.id}),
            "supervisor or admin",
        ),
    ] {
        let (status, answer) = app.api_as(Some(&sam_token)).post(&path, body).await;
        assert!(status.is_client_error(), "{status} {answer}");
        assert!(error_message(&answer).contains(words), "{answer}");
    }
    // The lone admin cannot name themselves.
    let (status, answer) = app
        .api()
        .post(
            &path,
            json!({"policy_id": policy, "reason": "Late", "currency": "EUR", "decider_id": app.admin.id}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert!(
        error_message(&answer).contains("your own request"),
        "{answer}"
    );

    for (query, words) in [
        ("outcome=maybe", "pending, approved or declined"),
        ("from=2026-13-01", "year-month-day"),
        ("from=2026-11-02&to=2026-11-01", "after it ends"),
        ("policy_id=abc", "not a number"),
    ] {
        let (status, answer) = app
            .api_as(Some(&sam_token))
            .get(&format!("/api/v1/policy-exceptions?{query}"))
            .await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{query}: {answer}"
        );
        assert!(error_message(&answer).contains(words), "{answer}");
    }

    let (_, exception) = ask(&app, &sam_token, ticket, policy, "Late").await;
    let (status, answer) = app
        .api()
        .post(
            &format!("/api/v1/policy-exceptions/{}/decide", exception["id"]),
            json!({"outcome": "pending"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert!(
        error_message(&answer).contains("approved or declined"),
        "{answer}"
    );
}

#[tokio::test]
async fn the_coach_suggests_the_cited_policys_rationale_and_alternatives() {
    let app = TestApp::spawn().await;
    returns_policy(&app, None).await;
    let ticket = app
        .ticket("Can I return the blender?", "ana@example.com")
        .await;
    let (status, review) = app
        .api()
        .post(
            "/api/v1/coach/reply",
            json!({"text": "Hi Ana, our policy does not allow that after 30 days.", "ticket_id": ticket["id"]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{review}");
    let wall = review["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["kind"] == "policy_wall")
        .cloned()
        .expect("a policy wall");
    let suggestion = wall["suggestion"].as_str().expect("suggestion");
    assert!(
        suggestion.contains("After a month most items cannot be sold again")
            && suggestion.contains("Store credit for the full price"),
        "{suggestion}"
    );
}

#[tokio::test]
async fn the_pages_ask_decide_and_find_an_exception() {
    let app = TestApp::spawn().await;
    let (priya, _, _) = chain(&app).await;
    let (admin_cookie, admin_csrf) = signed_in_as(&app, "admin@rapport.test").await;
    let (sam_cookie, sam_csrf) = signed_in_as(&app, "sam@rapport.test").await;
    let (priya_cookie, priya_csrf) = signed_in_as(&app, "priya@rapport.test").await;

    // An admin writes the policy in the page; an agent may not.
    let form = [
        ("csrf", admin_csrf.as_str()),
        ("title", "Returns within 30 days"),
        ("text", "Items may be returned within 30 days."),
        (
            "rationale",
            "After a month most items cannot be sold again.",
        ),
        ("alternatives", "Store credit\nA repair at our cost"),
        ("keywords", "return, refund"),
        ("limit_count", "2"),
        ("limit_days", "365"),
    ];
    let (status, location) = post_form(&app, &admin_cookie, "/policies", &form).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{location}");
    let policy: i64 = location
        .trim_start_matches("/policies/")
        .split('?')
        .next()
        .and_then(|id| id.parse().ok())
        .expect("the policy's page");
    let mut sam_form = form;
    sam_form[0].1 = &sam_csrf;
    let (status, _) = post_form(&app, &sam_cookie, "/policies", &sam_form).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, page) = get_page(&app, &sam_cookie, "/policies?q=refund").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Returns within 30 days"), "{page}");
    let (status, page) = get_page(&app, &sam_cookie, &format!("/policies/{policy}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("A repair at our cost")
            && page.contains("At most 2 exceptions per customer in 365 days"),
        "{page}"
    );
    assert!(
        !page.contains("Change the policy"),
        "only admins see the form"
    );

    // Sam asks on the ticket page; it names Priya.
    let ticket = app.ticket("Late return", "ana@example.com").await["id"]
        .as_i64()
        .expect("id");
    let (_, page) = get_page(&app, &sam_cookie, &format!("/tickets/{ticket}")).await;
    assert!(
        page.contains("Ask for an exception"),
        "the card is on the ticket page"
    );
    let (status, location) = post_form(
        &app,
        &sam_cookie,
        &format!("/tickets/{ticket}/policy-exceptions"),
        &[
            ("csrf", &sam_csrf),
            ("policy", &policy.to_string()),
            ("reason", "The courier held the parcel for five weeks."),
            ("cost", "129.50"),
            ("currency", "EUR"),
            ("decider", ""),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{location}");
    assert!(location.contains("priya"), "{location}");
    let exception = found(&app, &app.admin_token, "q=courier").await[0]["id"]
        .as_i64()
        .expect("id");
    assert_eq!(
        found(&app, &app.admin_token, "q=courier").await[0]["cost_minor"],
        12950
    );
    let (_, page) = get_page(&app, &sam_cookie, &format!("/tickets/{ticket}")).await;
    assert!(page.contains("waiting for a decision"), "{page}");

    // A cost that is not money is refused in words.
    let (status, page) = post_form(
        &app,
        &sam_cookie,
        &format!("/tickets/{ticket}/policy-exceptions"),
        &[
            ("csrf", &sam_csrf),
            ("policy", &policy.to_string()),
            ("reason", "Again."),
            ("cost", "a lot"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("such as 129 or 129.50"), "{page}");

    // Sam sees no decision form; Priya decides in the page.
    let path = format!("/exceptions/{exception}");
    let (_, page) = get_page(&app, &sam_cookie, &path).await;
    assert!(!page.contains("Your decision"), "{page}");
    let (status, _) = post_form(
        &app,
        &sam_cookie,
        &format!("{path}/decide"),
        &[("csrf", &sam_csrf), ("outcome", "approved")],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, page) = get_page(&app, &priya_cookie, &path).await;
    assert!(page.contains("Your decision"), "{page}");
    let (status, location) = post_form(
        &app,
        &priya_cookie,
        &format!("{path}/decide"),
        &[
            ("csrf", &priya_csrf),
            ("outcome", "approved"),
            ("note", "Our courier, our delay."),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{location}");
    let (status, _) = post_form(
        &app,
        &priya_cookie,
        &format!("{path}/decide"),
        &[("csrf", &priya_csrf), ("outcome", "declined")],
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "decided once");
    let exception_json = app
        .api()
        .get(&format!("/api/v1/policy-exceptions/{exception}"))
        .await
        .1;
    assert_eq!(exception_json["decided_by"], priya);

    // Found again as precedent.
    let (status, page) = get_page(
        &app,
        &sam_cookie,
        "/exceptions?q=courier delay&outcome=approved",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("five weeks") && page.contains("Our courier, our delay."),
        "{page}"
    );
    let (status, page) = get_page(&app, &sam_cookie, "/exceptions?from=2026-99-01").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("year-month-day"), "{page}");
}

#[tokio::test]
async fn an_erased_customers_words_leave_the_precedent() {
    let app = TestApp::spawn().await;
    let (_, _, sam_token) = chain(&app).await;
    let policy = returns_policy(&app, None).await;
    let ticket = app.ticket("Late return", "ana@example.com").await;
    let ticket_id = ticket["id"].as_i64().expect("id");
    let (status, exception) = ask(
        &app,
        &sam_token,
        ticket_id,
        policy,
        "Ana Marquez was in hospital in Lisbon.",
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{exception}");
    let (status, body) = app
        .api()
        .post(
            &format!("/api/v1/customers/{}/erase", ticket["customer_id"]),
            json!({"reason": "Asked by mail."}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(found(&app, &app.admin_token, "q=lisbon").await.is_empty());
    let kept = found(&app, &app.admin_token, &format!("policy_id={policy}")).await;
    assert_eq!(kept.len(), 1, "the precedent stays");
    assert!(
        !kept[0]["reason"]
            .as_str()
            .expect("reason")
            .contains("Lisbon")
    );
    let events = app
        .app
        .store
        .events_for("policy_exception", exception["id"].as_i64().expect("id"))
        .await
        .expect("events");
    assert!(
        events
            .iter()
            .all(|e| !e.changes.to_string().contains("Lisbon"))
    );
}

#[tokio::test]
async fn a_merge_brings_the_duplicates_exceptions_to_the_limit() {
    let app = TestApp::spawn().await;
    let (_, priya_token, sam_token) = chain(&app).await;
    let policy = returns_policy(&app, Some(1)).await;
    let kept = app.ticket("Late return", "ana@example.com").await;
    let duplicate = app.ticket("Another return", "ana.work@example.com").await;
    let (_, exception) = ask(
        &app,
        &sam_token,
        duplicate["id"].as_i64().expect("id"),
        policy,
        "Lost parcel.",
    )
    .await;
    let (status, body) = app
        .api_as(Some(&priya_token))
        .post(
            &format!("/api/v1/policy-exceptions/{}/decide", exception["id"]),
            json!({"outcome": "approved"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = app
        .api()
        .post(
            &format!("/api/v1/customers/{}/merge", kept["customer_id"]),
            json!({"duplicate_id": duplicate["customer_id"]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = ask(
        &app,
        &sam_token,
        kept["id"].as_i64().expect("id"),
        policy,
        "Late again.",
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(error_code(&body), "policy_limit_reached");
}

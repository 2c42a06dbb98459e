//! Scenario tests for the relationship memory, walking through the seeds' stories on a real
//! database with a hand-moved clock.

use crate::helpers::{START, TestApp, all_at_once, count_status, error_code, error_message};
use rapport_domain::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};
use time::Duration;

async fn reply(app: &TestApp, token: Option<&str>, ticket: i64, body: &str) {
    let api = match token {
        Some(token) => app.api_as(Some(token)),
        None => app.api(),
    };
    let (status, body) = api
        .post(
            &format!("/api/v1/tickets/{ticket}/messages"),
            json!({"body": body, "visibility": "public"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

async fn customer_says(app: &TestApp, ticket: i64, body: &str) {
    let ticket_json = app.api().get(&format!("/api/v1/tickets/{ticket}")).await.1;
    let customer = ticket_json["customer_id"].as_i64().expect("customer");
    app.app
        .store
        .add_message(
            ticket,
            rapport_domain::Actor::Customer(customer),
            rapport_domain::Channel::Email,
            rapport_domain::Visibility::Public,
            body,
        )
        .await
        .expect("customer message");
}

fn links(message: &Value) -> Vec<String> {
    message["text"]
        .as_str()
        .expect("text")
        .split_whitespace()
        .filter(|word| word.starts_with("http"))
        .map(|link| link.rsplit('/').next().expect("token").to_owned())
        .collect()
}

async fn last_message(app: &TestApp, ticket: i64) -> Value {
    let (_, fetched) = app.api().get(&format!("/api/v1/tickets/{ticket}")).await;
    fetched["messages"]
        .as_array()
        .and_then(|m| m.last())
        .cloned()
        .expect("a message")
}

#[tokio::test]
async fn four_days_of_silence_close_nothing_and_bring_check_ins() {
    let app = TestApp::spawn().await;
    let (sam, sam_token) = app.agent("sam@rapport.test", Role::Agent, None).await;
    let ticket = app
        .ticket("Backup over the private network fails", "dan@example.com")
        .await;
    let id = ticket["id"].as_i64().expect("id");
    app.api()
        .patch(
            &format!("/api/v1/tickets/{id}"),
            json!({"assignee_id": sam.id}),
        )
        .await;
    reply(
        &app,
        Some(&sam_token),
        id,
        "Hi Dan, I've changed the route; could you try tonight's backup?",
    )
    .await;

    app.advance(Duration::days(1)).await;
    assert!(
        app.tasks_of(sam.id).await.is_empty(),
        "no check-in after one day"
    );

    app.advance(Duration::days(1)).await; // Wednesday: two business days.
    let tasks = app.tasks_of(sam.id).await;
    assert_eq!(tasks.len(), 1, "{tasks:?}");
    assert_eq!(tasks[0].kind, "check_in");
    assert!(
        tasks[0].title.contains("Check in with dan"),
        "{}",
        tasks[0].title
    );
    assert!(
        !tasks[0].detail.contains("close"),
        "worded as care, not a countdown: {}",
        tasks[0].detail
    );

    app.advance(Duration::days(3)).await; // Saturday: four days of silence, and then some.
    let (_, fetched) = app.api().get(&format!("/api/v1/tickets/{id}")).await;
    assert_eq!(
        fetched["problem"], "open",
        "silence never closes the problem"
    );
    assert_eq!(fetched["conversation"], "waiting_on_customer");

    app.advance(Duration::days(2)).await; // Monday: five business days.
    assert_eq!(app.tasks_of(sam.id).await.len(), 2);

    // A customer's answer stops further check-ins for that reply.
    reply(
        &app,
        Some(&sam_token),
        id,
        "Dan, did last night's backup run?",
    )
    .await;
    customer_says(&app, id, "Yes, it ran fine.").await;
    app.advance(Duration::days(10)).await;
    assert_eq!(
        app.tasks_of(sam.id).await.len(),
        2,
        "no check-ins once the customer has answered"
    );
}

#[tokio::test]
async fn did_this_fix_it_yes_confirms_and_each_link_works_once() {
    let app = TestApp::spawn().await;
    let ticket = app
        .ticket("Invoice shows the wrong VAT number", "rosa@example.com")
        .await;
    let id = ticket["id"].as_i64().expect("id");
    reply(&app, None, id, "Rosa, here is the corrected invoice.").await;

    let (status, proposed) = app
        .api()
        .post(
            &format!("/api/v1/tickets/{id}/state"),
            json!({"action": "propose_resolution"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{proposed}");
    assert_eq!(proposed["problem"], "resolution_proposed");
    let question = last_message(&app, id).await;
    assert_eq!(question["author"]["kind"], "system");
    assert_eq!(question["visibility"], "public");
    assert!(
        question["text"]
            .as_str()
            .is_some_and(|t| t.contains("Did this fix it"))
    );
    let tokens = links(&question);
    assert_eq!(tokens.len(), 2);

    let (status, answered) = app
        .api_as(None)
        .post(
            &format!("/api/v1/public/resolution/{}", tokens[0]),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answered}");
    assert_eq!(answered["fixed"], true);
    assert_eq!(answered["ticket"]["problem"], "resolved");
    assert_eq!(answered["ticket"]["resolution_confirmed"], true);

    for token in &tokens {
        let (status, body) = app
            .api_as(None)
            .post(&format!("/api/v1/public/resolution/{token}"), json!({}))
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "single use: {body}");
        assert_eq!(error_code(&body), "link_used");
    }
    let (status, body) = app
        .api_as(None)
        .post("/api/v1/public/resolution/not-a-token", json!({}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(error_code(&body), "link_not_found");

    // Answering used up the other link of the same question too.
    let page = page(&app, &tokens[1]).await;
    assert!(page.contains("already been used"), "{page}");
}

#[tokio::test]
async fn did_this_fix_it_no_reopens_with_the_customers_words() {
    let app = TestApp::spawn().await;
    let id = app
        .ticket("USB port drops the connection", "lee@example.com")
        .await["id"]
        .as_i64()
        .expect("id");
    app.api()
        .post(
            &format!("/api/v1/tickets/{id}/state"),
            json!({"action": "propose_resolution"}),
        )
        .await;
    let tokens = links(&last_message(&app, id).await);

    let (status, answered) = app
        .api_as(None)
        .post(
            &format!("/api/v1/public/resolution/{}", tokens[1]),
            json!({"comment": "It dropped again this morning."}),
        )
        .await;

    assert_eq!(status, StatusCode::OK, "{answered}");
    assert_eq!(answered["fixed"], false);
    assert_eq!(answered["ticket"]["problem"], "open");
    assert_eq!(answered["ticket"]["conversation"], "waiting_on_us");
    let words = last_message(&app, id).await;
    assert_eq!(words["text"], "It dropped again this morning.");
    assert_eq!(words["author"]["kind"], "customer");
}

#[tokio::test]
async fn silence_after_a_proposal_brings_gentle_check_ins_then_an_unconfirmed_resolution() {
    let app = TestApp::spawn().await;
    let id = app
        .ticket("Printer jams every morning", "ana@example.com")
        .await["id"]
        .as_i64()
        .expect("id");
    app.api()
        .post(
            &format!("/api/v1/tickets/{id}/state"),
            json!({"action": "propose_resolution"}),
        )
        .await;

    app.advance(Duration::days(3)).await;
    let check_in = last_message(&app, id).await;
    assert!(
        check_in["text"]
            .as_str()
            .is_some_and(|t| t.contains("Just checking in")),
        "{check_in}"
    );
    assert!(
        check_in["text"]
            .as_str()
            .is_some_and(|t| t.contains("nothing will be closed on you"))
    );
    let (_, fetched) = app.api().get(&format!("/api/v1/tickets/{id}")).await;
    assert_eq!(fetched["problem"], "resolution_proposed");

    app.advance(Duration::days(4)).await;
    let (_, fetched) = app.api().get(&format!("/api/v1/tickets/{id}")).await;
    assert_eq!(fetched["problem"], "resolved");
    assert_eq!(
        fetched["resolution_confirmed"], false,
        "resolved, but unconfirmed"
    );
    let texts: Vec<String> = fetched["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .filter_map(|m| m["text"].as_str().map(str::to_owned))
        .collect();
    assert!(
        texts.iter().any(|t| t.contains("How did we do")),
        "a survey follows the resolution"
    );

    // Any reply, even weeks later, reopens it: no ticket is a dead end.
    app.advance(Duration::days(30)).await;
    customer_says(&app, id, "It's jamming again.").await;
    let (_, fetched) = app.api().get(&format!("/api/v1/tickets/{id}")).await;
    assert_eq!(fetched["problem"], "open");
    assert_eq!(fetched["resolution_confirmed"], Value::Null);
}

#[tokio::test]
async fn closing_an_open_problem_needs_a_reason_that_the_history_shows() {
    let app = TestApp::spawn().await;
    let ticket = app
        .ticket("Feature request: dark mode", "kim@example.com")
        .await;
    let id = ticket["id"].as_i64().expect("id");

    let (status, body) = app
        .api()
        .post(
            &format!("/api/v1/tickets/{id}/state"),
            json!({"action": "close_unresolved"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(error_message(&body).contains("reason"));

    let reason = "Not on our roadmap this year; Kim knows and will hear first if it changes.";
    let (status, closed) = app
        .api()
        .post(
            &format!("/api/v1/tickets/{id}/state"),
            json!({"action": "close_unresolved", "reason": reason}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(closed["problem"], "closed_unresolved");
    assert_eq!(closed["closed_reason"], reason);

    let (_, timeline) = app
        .api()
        .get(&format!(
            "/api/v1/customers/{}/timeline",
            ticket["customer_id"]
        ))
        .await;
    assert!(
        timeline["items"]
            .as_array()
            .expect("items")
            .iter()
            .any(|i| i["summary"].as_str().is_some_and(|s| s.contains(reason)))
    );

    let (status, body) = app
        .api()
        .post(
            &format!("/api/v1/tickets/{id}/state"),
            json!({"action": "close_unresolved", "reason": "again"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(error_code(&body), "invalid_transition");
}

#[tokio::test]
async fn a_missed_call_back_is_broken_and_the_supervisor_hears_of_it() {
    let app = TestApp::spawn().await;
    let (priya, _) = app
        .agent("priya@rapport.test", Role::Supervisor, None)
        .await;
    let (sam, sam_token) = app
        .agent("sam@rapport.test", Role::Agent, Some("priya@rapport.test"))
        .await;
    let ticket = app
        .ticket("Supervisor call-back please", "ed@example.com")
        .await;
    let due = START + Duration::days(1) + Duration::hours(6); // Tuesday 15:00
    let window = START + Duration::days(1) + Duration::hours(5);
    let (status, promise) = app
        .api_as(Some(&sam_token))
        .post(
            "/api/v1/promises",
            json!({
                "ticket_id": ticket["id"],
                "kind": "call_back",
                "what": "Call Ed back about the escalation",
                "phone": "+1 828 555 0100",
                "window_start": rapport_store::clock::format(window),
                "due_at": rapport_store::clock::format(due),
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{promise}");
    assert_eq!(promise["status"], "open");
    let (_, open) = app
        .api()
        .get(&format!(
            "/api/v1/customers/{}/promises?status=open",
            ticket["customer_id"]
        ))
        .await;
    assert_eq!(
        open["items"].as_array().map(Vec::len),
        Some(1),
        "the customer's open promises are visible"
    );

    app.advance(Duration::days(1) + Duration::hours(5) + Duration::minutes(5))
        .await; // 14:05, an hour before
    let reminders = app.tasks_of(sam.id).await;
    assert_eq!(reminders.len(), 1);
    assert_eq!(reminders[0].kind, "promise_reminder");

    app.advance(Duration::hours(1)).await; // 15:05: missed
    let (_, promises) = app
        .api()
        .get(&format!(
            "/api/v1/customers/{}/promises",
            ticket["customer_id"]
        ))
        .await;
    assert_eq!(promises["items"][0]["status"], "broken");
    let sam_tasks = app.tasks_of(sam.id).await;
    assert!(
        sam_tasks.iter().any(|t| t.kind == "promise_broken"),
        "{sam_tasks:?}"
    );
    let priya_tasks = app.tasks_of(priya.id).await;
    assert_eq!(priya_tasks.len(), 1, "{priya_tasks:?}");
    assert_eq!(priya_tasks[0].kind, "promise_broken");
    assert!(
        priya_tasks[0].title.contains("sam@rapport.test"),
        "{}",
        priya_tasks[0].title
    );

    // The supervisor records what came of it.
    let (status, done) = app
        .api_as(Some(&app.agent_token(priya.id).await))
        .post(
            &format!("/api/v1/tasks/{}/complete", priya_tasks[0].id),
            json!({"outcome": "Called Ed myself and apologized."}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(done["outcome"], "Called Ed myself and apologized.");
}

#[tokio::test]
async fn promises_are_kept_by_the_act_itself() {
    let app = TestApp::spawn().await;
    let ticket = app.ticket("Where is my refund?", "jo@example.com").await;
    let due = rapport_store::clock::format(START + Duration::days(2));
    for (kind, extra) in [
        ("reply", json!({})),
        ("call_back", json!({"phone": "+44 20 7946 0000"})),
    ] {
        let mut body = json!({"ticket_id": ticket["id"], "kind": kind, "what": format!("{kind} about the refund"), "due_at": due});
        body.as_object_mut()
            .expect("object")
            .extend(extra.as_object().expect("object").clone());
        let (status, created) = app.api().post("/api/v1/promises", body).await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
    }
    reply(
        &app,
        None,
        ticket["id"].as_i64().expect("id"),
        "Jo, the refund left our bank this morning.",
    )
    .await;
    let (status, call) = app
        .api()
        .post(
            &format!("/api/v1/tickets/{}/calls", ticket["id"]),
            json!({"direction": "outbound", "started_at": rapport_store::clock::format(START), "duration_seconds": 240,
                   "summary": "Explained the refund timing.", "agreed": "Jo will check on Friday"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{call}");

    let (_, promises) = app
        .api()
        .get(&format!(
            "/api/v1/customers/{}/promises",
            ticket["customer_id"]
        ))
        .await;
    let statuses: Vec<&str> = promises["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|p| p["status"].as_str())
        .collect();
    assert_eq!(statuses, ["kept", "kept"]);
    app.advance(Duration::days(3)).await;
    assert!(
        app.tasks_of(app.admin.id)
            .await
            .iter()
            .all(|t| t.kind != "promise_broken")
    );
}

#[tokio::test]
async fn bad_promises_are_refused() {
    let app = TestApp::spawn().await;
    let ticket = app.ticket("Hello", "x@example.com").await;
    let past = rapport_store::clock::format(START - Duration::hours(1));
    let cases = [
        (
            json!({"ticket_id": ticket["id"], "kind": "reply", "what": "Reply", "due_at": past}),
            "future",
        ),
        (
            json!({"ticket_id": ticket["id"], "kind": "reply", "what": "Reply", "due_at": "tomorrow"}),
            "not a time",
        ),
        (
            json!({"ticket_id": ticket["id"], "kind": "call_back", "what": "Call", "due_at": "2026-11-24T10:00:00Z"}),
            "number to call",
        ),
        (
            json!({"kind": "reply", "what": "Reply", "due_at": "2026-11-24T10:00:00Z"}),
            "who the promise is to",
        ),
    ];
    for (body, expected) in cases {
        let (status, response) = app.api().post("/api/v1/promises", body.clone()).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {response}"
        );
        assert!(
            error_message(&response).contains(expected),
            "{expected:?} in {response}"
        );
    }
}

#[tokio::test]
async fn a_personal_moment_comes_back_on_its_day() {
    let app = TestApp::spawn().await;
    let (priya, priya_token) = app
        .agent("priya@rapport.test", Role::Supervisor, None)
        .await;
    let (_, customer) = app
        .api()
        .post(
            "/api/v1/customers",
            json!({"name": "Ana Silva", "email": "ana@example.com"}),
        )
        .await;
    let path = format!("/api/v1/customers/{}", customer["id"]);
    app.api().patch(&path, json!({"owner_id": priya.id})).await;

    let (status, moment) = app
        .api()
        .post(&format!("{path}/moments"), json!({"note": "Flying to Lisbon on 3 December for her sister's wedding", "follow_up_on": "2026-12-04"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{moment}");

    app.advance(Duration::days(10)).await; // 3 December
    assert!(app.tasks_of(priya.id).await.is_empty());
    app.advance(Duration::days(1)).await; // 4 December
    let tasks = app.tasks_of(priya.id).await;
    assert_eq!(tasks.len(), 1);
    assert_eq!(tasks[0].kind, "moment_follow_up");
    assert!(tasks[0].detail.contains("Lisbon"));
    let (_, today) = app.api_as(Some(&priya_token)).get("/api/v1/tasks").await;
    assert_eq!(
        today["items"].as_array().map(Vec::len),
        Some(1),
        "it is on today's list"
    );

    let (status, body) = app
        .api()
        .post(
            &format!("{path}/moments"),
            json!({"note": "x", "follow_up_on": "soon"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(error_message(&body).contains("not a day"));
}

#[tokio::test]
async fn a_new_agent_sees_the_whole_history() {
    let app = TestApp::spawn().await;
    let (sam, sam_token) = app.agent("sam@rapport.test", Role::Agent, None).await;
    let (kim, kim_token) = app.agent("kim@rapport.test", Role::Agent, None).await;
    let first = app
        .ticket("Spam filter tags good mail", "ana@example.com")
        .await;
    let id = first["id"].as_i64().expect("id");
    let customer = first["customer_id"].as_i64().expect("customer");
    app.api()
        .patch(
            &format!("/api/v1/tickets/{id}"),
            json!({"assignee_id": sam.id}),
        )
        .await;
    reply(
        &app,
        Some(&sam_token),
        id,
        "Hi Ana, I've adjusted the filter.",
    )
    .await;
    app.api_as(Some(&sam_token))
        .post(&format!("/api/v1/tickets/{id}/calls"), json!({"direction": "outbound", "started_at": "2026-11-23T10:00:00Z", "duration_seconds": 600, "summary": "Went through the settings together."}))
        .await;
    app.api_as(Some(&sam_token))
        .post(
            &format!("/api/v1/customers/{customer}/moments"),
            json!({"note": "Trip to Lisbon next month"}),
        )
        .await;
    app.api()
        .patch(
            &format!("/api/v1/tickets/{id}"),
            json!({"assignee_id": kim.id, "handover_note": "Sam moved teams; Ana prefers calls."}),
        )
        .await;
    app.ticket("Second problem: real spam gets through", "ana@example.com")
        .await;

    let (status, page) = app
        .api_as(Some(&kim_token))
        .get(&format!("/api/v1/customers/{customer}/timeline?limit=4"))
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let mut kinds: Vec<String> = page["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|i| i["kind"].as_str().map(str::to_owned))
        .collect();
    let mut cursor = page["next_cursor"].as_str().map(str::to_owned);
    while let Some(next) = cursor {
        let (_, more) = app
            .api_as(Some(&kim_token))
            .get(&format!(
                "/api/v1/customers/{customer}/timeline?limit=4&cursor={next}"
            ))
            .await;
        kinds.extend(
            more["items"]
                .as_array()
                .expect("items")
                .iter()
                .filter_map(|i| i["kind"].as_str().map(str::to_owned)),
        );
        cursor = more["next_cursor"].as_str().map(str::to_owned);
    }
    for kind in ["ticket", "message", "note", "call", "moment", "event"] {
        assert!(kinds.iter().any(|k| k == kind), "{kind} in {kinds:?}");
    }
    assert_eq!(
        kinds.iter().filter(|k| *k == "ticket").count(),
        2,
        "both tickets, across agents"
    );

    let (status, body) = app
        .api()
        .get(&format!(
            "/api/v1/customers/{customer}/timeline?cursor=nonsense"
        ))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&body), "invalid_cursor");
}

#[tokio::test]
async fn owners_change_with_a_handover_note() {
    let app = TestApp::spawn().await;
    let (sam, _) = app.agent("sam@rapport.test", Role::Agent, None).await;
    let (kim, _) = app.agent("kim@rapport.test", Role::Agent, None).await;
    let (_, customer) = app
        .api()
        .post(
            "/api/v1/customers",
            json!({"name": "Ana", "email": "ana@example.com"}),
        )
        .await;
    let path = format!("/api/v1/customers/{}", customer["id"]);

    let (status, owned) = app.api().patch(&path, json!({"owner_id": sam.id})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(owned["owner_id"], sam.id);
    let (status, body) = app.api().patch(&path, json!({"owner_id": kim.id})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(error_message(&body).contains("hand-over note"));
    let (status, owned) = app
        .api()
        .patch(
            &path,
            json!({"owner_id": kim.id, "handover_note": "Ana is a partner; quarterly call due."}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(owned["owner_id"], kim.id);
    let events = app
        .app
        .store
        .events_for("customer", customer["id"].as_i64().expect("id"))
        .await
        .expect("events");
    assert!(events.iter().any(|e| e.action == "customer.owner_changed"
        && e.changes["note"]["after"] == "Ana is a partner; quarterly call due."));
}

#[tokio::test]
async fn merging_duplicates_moves_everything_and_is_audited() {
    let app = TestApp::spawn().await;
    let first = app.ticket("Laptop USB", "lee@example.com").await;
    let second = app
        .ticket("Laptop USB again", "lee.chen@home.example")
        .await;
    let keep = first["customer_id"].as_i64().expect("keep");
    let duplicate = second["customer_id"].as_i64().expect("duplicate");
    app.api()
        .post(
            &format!("/api/v1/customers/{duplicate}/moments"),
            json!({"note": "New baby in January"}),
        )
        .await;

    let (status, merged) = app
        .api()
        .post(
            &format!("/api/v1/customers/{keep}/merge"),
            json!({"duplicate_id": duplicate}),
        )
        .await;

    assert_eq!(status, StatusCode::OK, "{merged}");
    assert_eq!(merged["emails"].as_array().map(Vec::len), Some(2));
    let (_, tickets) = app
        .api()
        .get(&format!("/api/v1/tickets?customer_id={keep}"))
        .await;
    assert_eq!(tickets["items"].as_array().map(Vec::len), Some(2));
    let (_, moments) = app
        .api()
        .get(&format!("/api/v1/customers/{keep}/moments"))
        .await;
    assert_eq!(moments["items"].as_array().map(Vec::len), Some(1));
    let (_, old) = app
        .api()
        .get(&format!("/api/v1/customers/{duplicate}"))
        .await;
    assert_eq!(old["merged_into"], keep);
    let (_, found) = app
        .api()
        .get("/api/v1/customers?email=lee.chen@home.example")
        .await;
    assert_eq!(found["items"][0]["id"], keep);
    let events = app
        .app
        .store
        .events_for("customer", keep)
        .await
        .expect("events");
    assert!(events.iter().any(|e| e.action == "customer.merged"));

    let (status, body) = app
        .api()
        .post(
            &format!("/api/v1/customers/{keep}/merge"),
            json!({"duplicate_id": duplicate}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(error_code(&body), "customer_merged");
    let (_, sam_token) = app.agent("sam@rapport.test", Role::Agent, None).await;
    let (status, _) = app
        .api_as(Some(&sam_token))
        .post(
            &format!("/api/v1/customers/{keep}/merge"),
            json!({"duplicate_id": 999}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_low_survey_score_opens_a_follow_up_and_nps_waits_ninety_days() {
    let app = TestApp::spawn().await;
    let (priya, _) = app
        .agent("priya@rapport.test", Role::Supervisor, None)
        .await;
    let ticket = app.ticket("Slow wifi", "max@example.com").await;
    let id = ticket["id"].as_i64().expect("id");
    app.api()
        .patch(
            &format!("/api/v1/customers/{}", ticket["customer_id"]),
            json!({"owner_id": priya.id}),
        )
        .await;
    app.api()
        .post(
            &format!("/api/v1/tickets/{id}/state"),
            json!({"action": "propose_resolution"}),
        )
        .await;
    let yes = links(&last_message(&app, id).await)[0].clone();
    app.api_as(None)
        .post(&format!("/api/v1/public/resolution/{yes}"), json!({}))
        .await;
    app.run_jobs().await;

    let survey = last_message(&app, id).await;
    let tokens = links(&survey);
    assert_eq!(tokens.len(), 2, "CSAT and, the first time, NPS: {survey}");

    let (status, body) = app
        .api_as(None)
        .post(
            &format!("/api/v1/public/surveys/{}", tokens[0]),
            json!({"score": 9}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "CSAT is 1 to 5: {body}"
    );
    let (status, answer) = app
        .api_as(None)
        .post(
            &format!("/api/v1/public/surveys/{}", tokens[0]),
            json!({"score": 2, "comment": "Took a week."}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let task_id = answer["follow_up_task_id"]
        .as_i64()
        .expect("a follow-up task");
    let task = app
        .tasks_of(priya.id)
        .await
        .into_iter()
        .find(|t| t.id == task_id)
        .expect("for the owner");
    assert_eq!(task.kind, "survey_follow_up");
    assert!(task.detail.contains("Took a week."));
    let (status, _) = app
        .api_as(None)
        .post(
            &format!("/api/v1/public/surveys/{}", tokens[0]),
            json!({"score": 3}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);

    // Another resolution within 90 days: CSAT only.
    customer_says(&app, id, "It's slow again.").await;
    app.api()
        .post(
            &format!("/api/v1/tickets/{id}/state"),
            json!({"action": "propose_resolution"}),
        )
        .await;
    let yes = links(&last_message(&app, id).await)[0].clone();
    app.api_as(None)
        .post(&format!("/api/v1/public/resolution/{yes}"), json!({}))
        .await;
    app.run_jobs().await;
    assert_eq!(links(&last_message(&app, id).await).len(), 1);
}

#[tokio::test]
async fn timers_survive_a_restart() {
    let app = TestApp::spawn().await;
    let id = app.ticket("Backup fails", "dan@example.com").await["id"]
        .as_i64()
        .expect("id");
    reply(&app, None, id, "Dan, could you try tonight's backup?").await;

    let restarted = app.restarted().await;
    app.clock.advance(Duration::days(2));
    let ran = rapport::jobs::run_due(&restarted.store)
        .await
        .expect("jobs run");

    assert!(ran >= 1);
    let tasks = restarted
        .store
        .tasks_for(app.admin.id, None)
        .await
        .expect("tasks");
    assert_eq!(
        tasks.len(),
        1,
        "the check-in scheduled before the restart came due after it"
    );
}

#[tokio::test]
async fn health_falls_with_broken_promises_and_rises_with_a_complaint_made_right() {
    let app = TestApp::spawn().await;
    let (priya, _) = app
        .agent("priya@rapport.test", Role::Supervisor, None)
        .await;

    // Neglected: promises broken, the problem closed unresolved, the customer upset.
    let neglected = app.ticket("Backups fail", "neglected@example.com").await;
    let neglected_id = neglected["id"].as_i64().expect("id");
    let neglected_customer = neglected["customer_id"].as_i64().expect("customer");
    app.api()
        .patch(
            &format!("/api/v1/customers/{neglected_customer}"),
            json!({"owner_id": priya.id}),
        )
        .await;
    let (_, baseline) = app
        .api()
        .get(&format!("/api/v1/customers/{neglected_customer}/health"))
        .await;
    assert_eq!(
        baseline["band"], "steady",
        "a new relationship starts steady: {baseline}"
    );
    for hours in [3, 5] {
        let due = rapport_store::clock::format(START + Duration::hours(hours));
        app.api().post("/api/v1/promises", json!({"ticket_id": neglected_id, "kind": "other", "what": "Send the fix", "due_at": due})).await;
    }
    customer_says(
        &app,
        neglected_id,
        "This is the third time I write. Still broken!! I want to speak to your manager.",
    )
    .await;
    app.advance(Duration::hours(6)).await;
    app.api()
        .post(
            &format!("/api/v1/tickets/{neglected_id}/state"),
            json!({"action": "close_unresolved", "reason": "Could not reproduce."}),
        )
        .await;
    app.run_jobs().await;

    // Made right: a complaint owned, a promise kept, the fix confirmed, a good rating.
    let recovered = app
        .ticket("Complaint: billed twice", "recovered@example.com")
        .await;
    let recovered_id = recovered["id"].as_i64().expect("id");
    let recovered_customer = recovered["customer_id"].as_i64().expect("customer");
    let due = rapport_store::clock::format(START + Duration::days(2));
    app.api().post("/api/v1/promises", json!({"ticket_id": recovered_id, "kind": "reply", "what": "Explain the refund", "due_at": due})).await;
    reply(
        &app,
        None,
        recovered_id,
        "I'm so sorry about the double charge. I've refunded it today and added a credit.",
    )
    .await;
    customer_says(
        &app,
        recovered_id,
        "Thank you so much, that was quick and really appreciated!",
    )
    .await;
    app.api()
        .post(
            &format!("/api/v1/tickets/{recovered_id}/state"),
            json!({"action": "propose_resolution"}),
        )
        .await;
    let yes = links(&last_message(&app, recovered_id).await)[0].clone();
    app.api_as(None)
        .post(&format!("/api/v1/public/resolution/{yes}"), json!({}))
        .await;
    app.run_jobs().await;
    let csat = links(&last_message(&app, recovered_id).await)[0].clone();
    app.api_as(None)
        .post(
            &format!("/api/v1/public/surveys/{csat}"),
            json!({"score": 5}),
        )
        .await;
    app.run_jobs().await;

    let (status, low) = app
        .api()
        .get(&format!("/api/v1/customers/{neglected_customer}/health"))
        .await;
    assert_eq!(status, StatusCode::OK, "{low}");
    let (_, high) = app
        .api()
        .get(&format!("/api/v1/customers/{recovered_customer}/health"))
        .await;
    let (low_score, high_score) = (
        low["score"].as_i64().expect("score"),
        high["score"].as_i64().expect("score"),
    );
    assert!(
        high_score >= low_score + 40,
        "recovered {high_score} vs neglected {low_score}: {low} {high}"
    );
    assert!(
        matches!(low["band"].as_str(), Some("at_risk" | "critical")),
        "{low}"
    );
    assert!(
        matches!(high["band"].as_str(), Some("thriving" | "steady")),
        "{high}"
    );

    let factor_keys = |health: &Value| -> Vec<String> {
        health["factors"]
            .as_array()
            .expect("factors")
            .iter()
            .filter_map(|f| f["key"].as_str().map(str::to_owned))
            .collect()
    };
    for key in [
        "promises_broken",
        "problems_closed_unresolved",
        "asked_for_manager",
    ] {
        assert!(factor_keys(&low).iter().any(|k| k == key), "{key} in {low}");
    }
    for key in ["promises_kept", "problems_confirmed_resolved", "csat"] {
        assert!(
            factor_keys(&high).iter().any(|k| k == key),
            "{key} in {high}"
        );
    }
    for factor in low["factors"].as_array().expect("factors") {
        assert!(
            factor["explanation"]
                .as_str()
                .is_some_and(|e| e.ends_with('.')),
            "one sentence each: {factor}"
        );
    }
    assert!(
        low["history"].as_array().is_some_and(|h| !h.is_empty()),
        "the history is kept"
    );

    // The drop into at-risk reached the owner.
    let alerts: Vec<_> = app
        .tasks_of(priya.id)
        .await
        .into_iter()
        .filter(|t| t.kind == "health_at_risk")
        .collect();
    assert_eq!(alerts.len(), 1, "{alerts:?}");

    let (status, _) = app.api().get("/api/v1/customers/999/health").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn organization_health_and_timeline_cover_its_customers() {
    let app = TestApp::spawn().await;
    let (_, org) = app
        .api()
        .post("/api/v1/organizations", json!({"name": "Harbor & Pine", "domains": ["harborpine.example"], "relationship_kind": "partnership"}))
        .await;
    app.ticket("Plotter driver", "ana@harborpine.example").await;
    app.ticket("VPN drops", "lee@harborpine.example").await;

    let (status, health) = app
        .api()
        .get(&format!("/api/v1/organizations/{}/health", org["id"]))
        .await;
    assert_eq!(status, StatusCode::OK, "{health}");
    assert_eq!(
        health["factors"].as_array().map(Vec::len),
        Some(2),
        "one factor per customer"
    );
    let (_, timeline) = app
        .api()
        .get(&format!("/api/v1/organizations/{}/timeline", org["id"]))
        .await;
    let tickets = timeline["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|i| i["kind"] == "ticket")
        .count();
    assert_eq!(tickets, 2);
}

#[tokio::test]
async fn admins_set_the_lifecycle_timings() {
    let app = TestApp::spawn().await;
    let (_, defaults) = app.api().get("/api/v1/settings").await;
    for (key, value) in [
        ("workspace_name", json!("Rapport")),
        ("waiting_check_in_business_days", json!([2, 5])),
        ("resolution_check_in_days", json!([3, 7])),
        ("require_two_factor", json!(false)),
    ] {
        assert_eq!(defaults[key], value, "{key}");
    }

    let (status, body) = app
        .api()
        .patch(
            "/api/v1/settings",
            json!({"waiting_check_in_business_days": [5, 2]}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(error_message(&body).contains("increasing order"));
    let (_, sam_token) = app.agent("sam@rapport.test", Role::Agent, None).await;
    let (status, _) = app
        .api_as(Some(&sam_token))
        .patch("/api/v1/settings", json!({"resolution_check_in_days": [1]}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let (status, changed) = app
        .api()
        .patch(
            "/api/v1/settings",
            json!({"waiting_check_in_business_days": [1]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(changed["waiting_check_in_business_days"], json!([1]));
    assert_eq!(changed["resolution_check_in_days"], json!([3, 7]));

    let id = app.ticket("Backup fails", "dan@example.com").await["id"]
        .as_i64()
        .expect("id");
    reply(&app, None, id, "Dan, could you try tonight's backup?").await;
    app.advance(Duration::days(1)).await;
    assert_eq!(
        app.tasks_of(app.admin.id).await.len(),
        1,
        "a check-in after one business day"
    );
}

#[tokio::test]
async fn an_organizations_owner_changes_with_a_handover_note() {
    let app = TestApp::spawn().await;
    let (sam, _) = app.agent("sam@rapport.test", Role::Agent, None).await;
    let (_, org) = app
        .api()
        .post(
            "/api/v1/organizations",
            json!({"name": "Lumen Bakery", "owner_id": app.admin.id}),
        )
        .await;
    let path = format!("/api/v1/organizations/{}", org["id"]);

    let (status, body) = app.api().patch(&path, json!({"owner_id": sam.id})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(error_message(&body).contains("hand-over note"));
    let (status, updated) = app
        .api()
        .patch(
            &path,
            json!({"owner_id": sam.id, "handover_note": "Dan runs the shop; prefers phone."}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!(updated["owner_id"], sam.id);
}

#[tokio::test]
async fn the_link_page_says_which_answer_it_gives() {
    let app = TestApp::spawn().await;
    let id = app.ticket("Printer", "ana@example.com").await["id"]
        .as_i64()
        .expect("id");
    app.api()
        .post(
            &format!("/api/v1/tickets/{id}/state"),
            json!({"action": "propose_resolution"}),
        )
        .await;
    let tokens = links(&last_message(&app, id).await);
    let yes_page = page(&app, &tokens[0]).await;
    assert!(yes_page.contains("Yes, it's fixed</button>"), "{yes_page}");
    assert!(
        yes_page.contains("<form method=\"post\""),
        "opening the page changes nothing; the button posts"
    );
    assert!(
        page(&app, &tokens[1])
            .await
            .contains("No, it's not fixed yet</button>")
    );
    assert!(page(&app, "unknown").await.contains("not valid"));

    let answered = app
        .client()
        .post(app.url(&format!("/resolution/{}", tokens[1])))
        .form(&[("comment", "Still jams.")])
        .send()
        .await
        .expect("post");
    assert!(answered.text().await.expect("html").contains("open again"));
    assert!(page(&app, &tokens[0]).await.contains("already been used"));
    assert_eq!(last_message(&app, id).await["text"], "Still jams.");
}

async fn page(app: &TestApp, token: &str) -> String {
    let url = app.url(&format!("/resolution/{token}"));
    app.client()
        .get(url)
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html")
}

#[tokio::test]
async fn finished_jobs_are_forgotten_after_thirty_days_and_waiting_ones_never() {
    let app = TestApp::spawn().await;
    let id = app.ticket("Backup fails", "dan@example.com").await["id"]
        .as_i64()
        .expect("id");
    reply(&app, None, id, "Dan, could you try tonight's backup?").await;
    app.advance(Duration::days(3)).await; // the first check-in has run; the second waits
    let waiting = app.app.store.pending_jobs().await.expect("jobs").len();
    assert!(waiting >= 1);

    assert_eq!(
        app.app.store.prune_jobs(30).await.expect("prune"),
        0,
        "nothing is old enough yet"
    );
    app.clock.advance(Duration::days(31));
    let pruned = app.app.store.prune_jobs(30).await.expect("prune");

    assert!(pruned >= 1, "the finished check-in was forgotten");
    assert_eq!(
        app.app.store.pending_jobs().await.expect("jobs").len(),
        waiting,
        "waiting jobs are kept"
    );
}

#[tokio::test]
async fn a_survey_link_opens_a_page_of_scores_and_a_bad_link_says_so() {
    let app = TestApp::spawn().await;
    let survey = app
        .client()
        .get(app.url("/survey/not-a-token"))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(survey.contains("How did we do?"), "{survey}");
    assert!(survey.contains(r#"name="score" value="0">0</button>"#));
    assert!(survey.contains(r#"name="score" value="10">10</button>"#));

    let answered = app
        .client()
        .post(app.url("/survey/not-a-token"))
        .form(&[("score", "5")])
        .send()
        .await
        .expect("post");
    assert_eq!(answered.status(), reqwest::StatusCode::OK);
    let text = answered.text().await.expect("html");
    assert!(text.contains("<h1>That didn&#39;t work</h1>"), "{text}");
    assert!(text.contains("not valid"), "{text}");
}

/// The error codes of the answers that were refused, each once, sorted.
fn refusal_codes(answers: &[(StatusCode, String)]) -> Vec<(u16, String)> {
    let mut codes: Vec<(u16, String)> = answers
        .iter()
        .filter(|(status, _)| *status != StatusCode::OK)
        .map(|(status, body)| {
            let body: Value = serde_json::from_str(body).expect("json");
            (status.as_u16(), error_code(&body).to_owned())
        })
        .collect();
    codes.sort();
    codes.dedup();
    codes
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_did_this_fix_it_link_used_many_times_at_once_answers_once() {
    let app = TestApp::spawn().await;
    let id = app.ticket("Scanner offline", "lee@example.com").await["id"]
        .as_i64()
        .expect("id");
    app.api()
        .post(
            &format!("/api/v1/tickets/{id}/state"),
            json!({"action": "propose_resolution"}),
        )
        .await;
    let tokens = links(&last_message(&app, id).await);
    let (yes, no) = (&tokens[0], &tokens[1]);

    // Twenty presses of "No, not yet" and four of "Yes" from the same mail, all at once.
    let client = app.client().clone();
    let answers = all_at_once(
        (0..24)
            .map(|i| {
                let token = if i % 6 == 5 { yes } else { no };
                client
                    .post(app.url(&format!("/api/v1/public/resolution/{token}")))
                    .json(&json!({"comment": "Still offline."}))
            })
            .collect(),
    )
    .await;

    assert_eq!(count_status(&answers, StatusCode::OK), 1);
    assert_eq!(refusal_codes(&answers), vec![(409, "link_used".to_owned())]);
    let (_, ticket) = app.api().get(&format!("/api/v1/tickets/{id}")).await;
    let from_lee = ticket["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .filter(|m| m["author"]["kind"] == "customer")
        .count();
    assert_eq!(from_lee, 2, "the first message and one answer: {ticket}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_survey_link_used_twenty_times_at_once_answers_once() {
    let app = TestApp::spawn().await;
    let ticket = app.ticket("Slow wifi", "max@example.com").await;
    let id = ticket["id"].as_i64().expect("id");
    app.api()
        .post(
            &format!("/api/v1/tickets/{id}/state"),
            json!({"action": "propose_resolution"}),
        )
        .await;
    let yes = links(&last_message(&app, id).await)[0].clone();
    app.api_as(None)
        .post(&format!("/api/v1/public/resolution/{yes}"), json!({}))
        .await;
    app.run_jobs().await;
    let csat = links(&last_message(&app, id).await)[0].clone();

    let client = app.client().clone();
    let answers = all_at_once(
        (0..20)
            .map(|_| {
                client
                    .post(app.url(&format!("/api/v1/public/surveys/{csat}")))
                    .json(&json!({"score": 1, "comment": "Still slow."}))
            })
            .collect(),
    )
    .await;

    assert_eq!(count_status(&answers, StatusCode::OK), 1);
    assert_eq!(
        refusal_codes(&answers),
        vec![(409, "survey_answered".to_owned())]
    );
    let follow_ups = app
        .tasks_of(app.admin.id)
        .await
        .into_iter()
        .filter(|t| t.kind == "survey_follow_up")
        .count();
    assert_eq!(follow_ups, 1, "one low score, one follow-up");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_promise_settled_twenty_times_at_once_is_settled_once() {
    let app = TestApp::spawn().await;
    let ticket = app.ticket("Where is my refund?", "jo@example.com").await;
    let due = rapport_store::clock::format(START + Duration::days(2));
    let (status, promise) = app
        .api()
        .post(
            "/api/v1/promises",
            json!({"ticket_id": ticket["id"], "kind": "reply", "what": "Tell Jo when it left", "due_at": due}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{promise}");
    let path = format!("/api/v1/promises/{}/settle", promise["id"]);

    let client = app.client().clone();
    let answers = all_at_once(
        (0..20)
            .map(|_| {
                client
                    .post(app.url(&path))
                    .bearer_auth(&app.admin_token)
                    .json(&json!({"status": "kept"}))
            })
            .collect(),
    )
    .await;

    assert_eq!(count_status(&answers, StatusCode::OK), 1);
    assert_eq!(
        refusal_codes(&answers),
        vec![(409, "promise_settled".to_owned())]
    );
    let kept: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM events WHERE action = 'promise.kept'")
        .fetch_one(app.app.store.pool())
        .await
        .expect("count");
    assert_eq!(kept, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_task_completed_twenty_times_at_once_is_completed_once() {
    let app = TestApp::spawn().await;
    let ticket = app.ticket("Slow wifi", "max@example.com").await;
    let id = ticket["id"].as_i64().expect("id");
    app.api()
        .post(
            &format!("/api/v1/tickets/{id}/state"),
            json!({"action": "propose_resolution"}),
        )
        .await;
    let yes = links(&last_message(&app, id).await)[0].clone();
    app.api_as(None)
        .post(&format!("/api/v1/public/resolution/{yes}"), json!({}))
        .await;
    app.run_jobs().await;
    let csat = links(&last_message(&app, id).await)[0].clone();
    let (_, answer) = app
        .api_as(None)
        .post(
            &format!("/api/v1/public/surveys/{csat}"),
            json!({"score": 1}),
        )
        .await;
    let task = answer["follow_up_task_id"].as_i64().expect("a task");

    let client = app.client().clone();
    let answers = all_at_once(
        (0..20)
            .map(|i| {
                client
                    .post(app.url(&format!("/api/v1/tasks/{task}/complete")))
                    .bearer_auth(&app.admin_token)
                    .json(&json!({"outcome": format!("Called Max ({i}).")}))
            })
            .collect(),
    )
    .await;

    assert_eq!(count_status(&answers, StatusCode::OK), 1);
    assert_eq!(refusal_codes(&answers), vec![(409, "task_done".to_owned())]);
    let completed: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM events WHERE action = 'task.completed'")
            .fetch_one(app.app.store.pool())
            .await
            .expect("count");
    assert_eq!(completed, 1);
}

#[tokio::test]
async fn a_link_of_an_earlier_question_says_so_before_asking_anything() {
    let app = TestApp::spawn().await;
    let ticket = app.ticket("Printer jams", "rosa@example.com").await;
    let id = ticket["id"].as_i64().expect("id");
    reply(&app, None, id, "Rosa, the roller is replaced.").await;
    let propose = || {
        let app = &app;
        async move {
            let (status, body) = app
                .api()
                .post(
                    &format!("/api/v1/tickets/{id}/state"),
                    json!({"action": "propose_resolution"}),
                )
                .await;
            assert_eq!(status, StatusCode::OK, "{body}");
        }
    };
    propose().await;
    let first = links(&last_message(&app, id).await);
    let (status, body) = app
        .api()
        .post(
            &format!("/api/v1/tickets/{id}/state"),
            json!({"action": "reopen"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // The problem moved on: the old link's page says so at once, with no question.
    let body = page(&app, &first[0]).await;
    assert!(body.contains("belongs to an earlier question"), "{body}");
    assert!(!body.contains("<form"), "nothing to press: {body}");
    propose().await;
    let second = links(&last_message(&app, id).await);
    let body = page(&app, &second[0]).await;
    assert!(body.contains("<form"), "the current question asks: {body}");
}

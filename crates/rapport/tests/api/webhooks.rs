//! Webhooks against a real HTTP receiver started by each test on 127.0.0.1: the receiver keeps
//! every request and answers with the statuses it is told to, so retries, backoff, giving up,
//! signatures and the delivery log are seen from the outside.

use crate::helpers::{TestApp, get_page, post_form};
use crate::workspace::signed_in;
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode as AxumStatus};
use rapport_domain::Role;
use rapport_domain::webhook;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use time::Duration;

/// One request the receiver got.
#[derive(Clone, Debug)]
struct Received {
    signature: String,
    event: String,
    body: Vec<u8>,
}

impl Received {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }
}

#[derive(Clone, Default)]
struct Receiver {
    got: Arc<Mutex<Vec<Received>>>,
    /// The statuses to answer with, in turn; 200 once they run out (or always, with `always`).
    answers: Arc<Mutex<VecDeque<u16>>>,
    always: Option<u16>,
    url: String,
}

impl Receiver {
    /// Starts a receiver that answers `answers` in turn, then 200.
    async fn start(answers: &[u16], always: Option<u16>) -> Receiver {
        let mut receiver = Receiver {
            answers: Arc::new(Mutex::new(answers.iter().copied().collect())),
            always,
            ..Receiver::default()
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the receiver");
        receiver.url = format!(
            "http://{}/hooks/rapport",
            listener.local_addr().expect("address")
        );
        let state = receiver.clone();
        let router = axum::Router::new().route(
            "/hooks/rapport",
            axum::routing::post(move |headers: HeaderMap, body: Bytes| {
                let state = state.clone();
                async move {
                    let header = |name: &str| {
                        headers
                            .get(name)
                            .and_then(|value| value.to_str().ok())
                            .unwrap_or_default()
                            .to_owned()
                    };
                    state.got.lock().expect("lock").push(Received {
                        signature: header("rapport-signature"),
                        event: header("rapport-event"),
                        body: body.to_vec(),
                    });
                    let status = state.always.unwrap_or_else(|| {
                        state
                            .answers
                            .lock()
                            .expect("lock")
                            .pop_front()
                            .unwrap_or(200)
                    });
                    (
                        AxumStatus::from_u16(status).expect("a status"),
                        format!("receiver says {status}"),
                    )
                }
            }),
        );
        tokio::spawn(async move { axum::serve(listener, router).await });
        receiver
    }

    fn got(&self) -> Vec<Received> {
        self.got.lock().expect("lock").clone()
    }
}

async fn spawn() -> TestApp {
    TestApp::spawn_with(|config| config.webhooks_allow_private = true).await
}

/// Subscribes `url` to `events`; returns the webhook's id and secret.
async fn subscribe(app: &TestApp, url: &str, events: &[&str]) -> (i64, String) {
    let (status, body) = app
        .api()
        .post(
            "/api/v1/webhooks",
            json!({"url": url, "description": "tests", "event_types": events}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert!(
        body["secret"]
            .as_str()
            .is_some_and(|s| s.starts_with("whsec_"))
    );
    (
        body["id"].as_i64().expect("id"),
        body["secret"].as_str().expect("secret").to_owned(),
    )
}

async fn send(app: &TestApp) -> usize {
    rapport::webhooks::send::send_due(&app.app)
        .await
        .expect("the sender runs")
}

fn now(app: &TestApp) -> i64 {
    app.clock.now().unix_timestamp()
}

#[tokio::test]
async fn events_are_signed_and_a_failed_delivery_is_retried_after_a_minute() {
    let app = spawn().await;
    let receiver = Receiver::start(&[500], None).await;
    let (id, secret) = subscribe(
        &app,
        &receiver.url,
        &["ticket.created", "message.added", "ticket.state_changed"],
    )
    .await;

    let ticket = app.ticket("The printer jams", "ana@example.com").await;
    assert_eq!(
        send(&app).await,
        1,
        "ticket.created went out, with its first message"
    );
    let got = receiver.got();
    let first = got[0].json();
    assert_eq!(first["type"], "ticket.created");
    assert_eq!(got[0].event, "ticket.created");
    assert!(
        first["id"]
            .as_str()
            .is_some_and(|id| id.starts_with("evt_"))
    );
    assert!(first["occurred_at"].as_str().is_some());
    assert_eq!(first["data"]["ticket"]["id"], ticket["id"]);
    assert_eq!(first["data"]["ticket"]["subject"], "The printer jams");
    assert_eq!(first["data"]["ticket"]["conversation"], "new");
    assert_eq!(first["data"]["message"]["text"], "Please help.");
    assert_eq!(first["data"]["message"]["author"]["kind"], "customer");
    for request in &got {
        assert!(
            webhook::verify(&secret, &request.signature, &request.body, now(&app), 300),
            "the signature checks: {}",
            request.signature
        );
        assert!(!webhook::verify(
            "whsec_wrong",
            &request.signature,
            &request.body,
            now(&app),
            300
        ));
    }

    // The first answer was a 500: the log says so, and it waits a minute.
    let (_, log) = app
        .api()
        .get(&format!("/api/v1/webhooks/{id}/deliveries"))
        .await;
    let items = log["items"].as_array().expect("items");
    let failed = items
        .iter()
        .find(|d| d["event_type"] == "ticket.created")
        .expect("the ticket.created delivery");
    assert_eq!(failed["status"], "pending", "{failed}");
    assert_eq!(failed["attempts"], 1);
    assert_eq!(failed["last_attempt"]["response_status"], 500);
    assert_eq!(
        failed["last_attempt"]["response_excerpt"],
        "receiver says 500"
    );
    assert!(failed["last_attempt"]["duration_ms"].as_i64().is_some());
    assert_eq!(
        failed["next_attempt_at"],
        rapport_store::clock::format(app.clock.now() + Duration::seconds(60))
    );
    assert_eq!(send(&app).await, 0, "not due again before the minute is up");

    app.advance(Duration::seconds(61)).await;
    assert_eq!(send(&app).await, 1);
    let again = receiver.got().last().cloned().expect("the retry");
    assert_eq!(
        again.body, got[0].body,
        "a retry sends the same body (same event id)"
    );
    assert!(webhook::verify(
        &secret,
        &again.signature,
        &again.body,
        now(&app),
        300
    ));

    let delivery = failed["id"].as_i64().expect("id");
    let (status, detail) = app
        .api()
        .get(&format!("/api/v1/webhooks/{id}/deliveries/{delivery}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{detail}");
    assert_eq!(detail["status"], "delivered");
    assert_eq!(detail["attempts"], 2);
    assert_eq!(detail["body"]["type"], "ticket.created");
    let answers: Vec<_> = detail["attempt_log"]
        .as_array()
        .expect("attempts")
        .iter()
        .map(|a| a["response_status"].clone())
        .collect();
    assert_eq!(answers, [json!(500), json!(200)]);

    // An agent's public reply moves the conversation: message.added and ticket.state_changed.
    let (status, _) = app
        .api()
        .post(
            &format!("/api/v1/tickets/{}/messages", ticket["id"]),
            json!({"body": "We are on it.", "visibility": "public"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(send(&app).await, 2);
    let message = receiver
        .got()
        .iter()
        .map(Received::json)
        .find(|body| body["type"] == "message.added")
        .expect("message.added");
    assert_eq!(message["data"]["message"]["text"], "We are on it.");
    assert_eq!(message["data"]["message"]["visibility"], "public");
    let state = receiver
        .got()
        .iter()
        .map(Received::json)
        .find(|body| body["type"] == "ticket.state_changed")
        .expect("a state change");
    assert_eq!(state["data"]["cause"], "message.added");
    assert_eq!(state["data"]["conversation"]["before"], "new");
    assert_eq!(
        state["data"]["conversation"]["after"],
        "waiting_on_customer"
    );
    assert_eq!(state["data"]["actor"]["kind"], "agent");
}

#[tokio::test]
async fn a_delivery_is_given_up_after_the_last_attempt_on_the_documented_schedule() {
    let app = spawn().await;
    let receiver = Receiver::start(&[], Some(503)).await;
    let (id, _) = subscribe(&app, &receiver.url, &["ticket.created"]).await;
    app.ticket("Nobody listens", "bo@example.com").await;

    let mut waits = Vec::new();
    for _ in 0..webhook::MAX_ATTEMPTS {
        assert_eq!(send(&app).await, 1);
        let (_, log) = app
            .api()
            .get(&format!("/api/v1/webhooks/{id}/deliveries"))
            .await;
        let delivery = &log["items"][0];
        if let Some(next) = delivery["next_attempt_at"].as_str() {
            let next = rapport_store::clock::parse(next).expect("a time");
            let wait = next - app.clock.now();
            waits.push(wait.whole_seconds());
            app.advance(wait + Duration::seconds(1)).await;
        }
    }
    assert_eq!(waits, [60, 120, 240, 480, 960, 1920, 3840]);
    let (_, log) = app
        .api()
        .get(&format!("/api/v1/webhooks/{id}/deliveries"))
        .await;
    assert_eq!(log["items"][0]["status"], "failed");
    assert_eq!(log["items"][0]["attempts"], webhook::MAX_ATTEMPTS);
    assert!(log["items"][0]["finished_at"].as_str().is_some());
    app.advance(Duration::days(1)).await;
    assert_eq!(send(&app).await, 0, "a failed delivery is not tried again");
    assert_eq!(receiver.got().len() as i64, webhook::MAX_ATTEMPTS);
}

#[tokio::test]
async fn paused_webhooks_queue_nothing_and_the_test_event_reports_the_answer() {
    let app = spawn().await;
    let receiver = Receiver::start(&[], None).await;
    let (id, secret) = subscribe(&app, &receiver.url, &["ticket.created"]).await;

    let (status, paused) = app
        .api()
        .patch(&format!("/api/v1/webhooks/{id}"), json!({"active": false}))
        .await;
    assert_eq!(status, StatusCode::OK, "{paused}");
    assert_eq!(paused["active"], false);
    app.ticket("While paused", "cy@example.com").await;
    assert_eq!(send(&app).await, 0);

    // The test event goes out even while paused, at once, and says what the receiver answered.
    let (status, tested) = app
        .api()
        .post(&format!("/api/v1/webhooks/{id}/test"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{tested}");
    assert_eq!(tested["status"], "delivered");
    assert_eq!(tested["last_attempt"]["response_status"], 200);
    assert_eq!(tested["body"]["type"], "webhook.test");
    let got = receiver.got();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].json()["data"]["subscription_id"], id);
    assert!(webhook::verify(
        &secret,
        &got[0].signature,
        &got[0].body,
        now(&app),
        300
    ));

    // The secret can be read again by admins only.
    let (_, shown) = app.api().get(&format!("/api/v1/webhooks/{id}")).await;
    assert_eq!(shown["secret"], secret);
    let (_, supervisor) = app.agent("sue@rapport.test", Role::Supervisor, None).await;
    let (status, _) = app
        .api_as(Some(&supervisor))
        .get(&format!("/api/v1/webhooks/{id}"))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let (status, _) = app.api().delete(&format!("/api/v1/webhooks/{id}")).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = app.api().get(&format!("/api/v1/webhooks/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn addresses_must_be_http_and_private_ones_need_the_setting() {
    let app = TestApp::spawn().await;
    for (url, says) in [
        ("ftp://example.com/hooks", "https://"),
        ("file:///etc/passwd", "https://"),
        ("http://127.0.0.1:9/hooks", "private network"),
        ("http://169.254.169.254/latest/meta-data", "private network"),
        ("http://[::1]:8080/", "private network"),
        ("http://localhost:8080/", "private network"),
        ("https://user:secret@example.com/", "password"),
    ] {
        let (status, body) = app
            .api()
            .post(
                "/api/v1/webhooks",
                json!({"url": url, "event_types": ["ticket.created"]}),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{url}: {body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains(says)),
            "{url}: {body}"
        );
    }
    let (status, body) = app
        .api()
        .post(
            "/api/v1/webhooks",
            json!({"url": "https://example.com/hooks", "event_types": []}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, body) = app
        .api()
        .post(
            "/api/v1/webhooks",
            json!({"url": "https://example.com/hooks", "event_types": ["ticket.deleted"]}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
}

#[tokio::test]
async fn a_broken_promise_and_an_escalation_reach_their_subscribers() {
    let app = spawn().await;
    let receiver = Receiver::start(&[], None).await;
    subscribe(&app, &receiver.url, &["promise.broken", "ticket.escalated"]).await;
    let ticket = app.ticket("Call me back", "di@example.com").await;
    let due = crate::helpers::START + Duration::hours(2);
    let (status, promise) = app
        .api()
        .post(
            "/api/v1/promises",
            json!({
                "ticket_id": ticket["id"],
                "kind": "other",
                "what": "Send the replacement part",
                "due_at": rapport_store::clock::format(due),
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{promise}");
    app.advance(Duration::hours(3)).await;
    send(&app).await;
    let broken = receiver
        .got()
        .iter()
        .map(Received::json)
        .find(|body| body["type"] == "promise.broken")
        .expect("promise.broken");
    assert_eq!(broken["data"]["promise_id"], promise["id"]);
    assert_eq!(broken["data"]["what"], "Send the replacement part");
    assert_eq!(broken["data"]["ticket_id"], ticket["id"]);

    let (status, body) = app
        .api()
        .post(
            &format!("/api/v1/tickets/{}/escalate", ticket["id"]),
            json!({"reason": "Three weeks without a part"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(send(&app).await, 1);
    let escalated = receiver.got().last().expect("escalation").json();
    assert_eq!(escalated["type"], "ticket.escalated");
    assert_eq!(escalated["data"]["step"], "escalated");
    assert_eq!(escalated["data"]["reason"], "Three weeks without a part");
    assert_eq!(escalated["data"]["ticket"]["id"], ticket["id"]);
    assert!(
        receiver.got().iter().all(|r| r.event != "ticket.created"),
        "only the chosen events"
    );
}

#[tokio::test]
async fn admins_manage_webhooks_from_their_pages() {
    let app = spawn().await;
    let receiver = Receiver::start(&[], None).await;
    let (_, cookie, csrf) = signed_in(&app, "ada2@rapport.test", Role::Admin).await;
    let (status, page) = get_page(&app, &cookie, "/admin/webhooks").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("No webhooks yet"), "{page}");

    let (status, location) = post_form(
        &app,
        &cookie,
        "/admin/webhooks",
        &[
            ("csrf", &csrf),
            ("url", &receiver.url),
            ("description", "Slack #support"),
            ("event_types", "ticket.created"),
            ("event_types", "survey.answered"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{location}");
    let path = location.split('?').next().expect("path").to_owned();
    let (_, page) = get_page(&app, &cookie, &path).await;
    assert!(page.contains("whsec_"), "the secret can be shown");
    assert!(page.contains("Nothing was sent yet"));

    let (status, location) =
        post_form(&app, &cookie, &format!("{path}/test"), &[("csrf", &csrf)]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(
        location.contains("answered%20200") || location.contains("answered+200"),
        "{location}"
    );
    let (_, page) = get_page(&app, &cookie, &path).await;
    assert!(
        page.contains("webhook.test") && page.contains("200 in"),
        "{page}"
    );

    let (status, _) = post_form(
        &app,
        &cookie,
        &format!("{path}/active"),
        &[("csrf", &csrf), ("active", "0")],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, page) = get_page(&app, &cookie, &path).await;
    assert!(page.contains("Paused"), "{page}");

    // A bad address is refused on the page, in words.
    let (status, page) = post_form(
        &app,
        &cookie,
        &path,
        &[
            ("csrf", &csrf),
            ("url", "ftp://example.com"),
            ("event_types", "ticket.created"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("must start with https://"), "{page}");
    let (status, page) = post_form(
        &app,
        &cookie,
        &path,
        &[("csrf", &csrf), ("url", &receiver.url)],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("Choose at least one event"), "{page}");
    assert!(!page.contains('`'), "no field names in backticks on pages");

    let (status, _) = post_form(&app, &cookie, &format!("{path}/delete"), &[("csrf", &csrf)]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, page) = get_page(&app, &cookie, "/admin/webhooks").await;
    assert!(page.contains("No webhooks yet"));
}

#[tokio::test]
async fn the_openapi_document_describes_the_envelope_and_every_payload() {
    let app = TestApp::spawn().await;
    let (_, document) = app.api().get("/api/v1/openapi.json").await;
    let schemas = &document["components"]["schemas"];
    let envelope = &schemas["WebhookEnvelope"]["properties"];
    for field in ["id", "type", "occurred_at", "data"] {
        assert!(
            envelope.get(field).is_some(),
            "the envelope has {field}: {envelope}"
        );
    }
    for payload in [
        "TicketCreatedData",
        "MessageAddedData",
        "StateChangedData",
        "PromiseBrokenData",
        "EscalationData",
        "SurveyAnsweredData",
        "HealthBandChangedData",
        "TestEventData",
    ] {
        assert!(schemas.get(payload).is_some(), "{payload} is documented");
    }
    let types = schemas["EventType"]["enum"]
        .as_array()
        .expect("event types");
    assert!(
        types.contains(&json!("customer.health_band_changed")),
        "{types:?}"
    );
}

#[tokio::test]
async fn a_relationship_dropping_a_band_is_told() {
    let app = spawn().await;
    let receiver = Receiver::start(&[], None).await;
    subscribe(&app, &receiver.url, &["customer.health_band_changed"]).await;
    let ticket = app.ticket("Backups fail", "neglected@example.com").await;
    let (id, customer) = (
        ticket["id"].as_i64().expect("id"),
        ticket["customer_id"].as_i64().expect("customer"),
    );
    let (_, baseline) = app
        .api()
        .get(&format!("/api/v1/customers/{customer}/health"))
        .await;
    assert_eq!(baseline["band"], "steady", "{baseline}");
    for hours in [3, 5] {
        let due = rapport_store::clock::format(crate::helpers::START + Duration::hours(hours));
        app.api()
            .post(
                "/api/v1/promises",
                json!({"ticket_id": id, "kind": "other", "what": "Send the fix", "due_at": due}),
            )
            .await;
    }
    app.app
        .store
        .add_message(
            id,
            rapport_domain::Actor::Customer(customer),
            rapport_domain::Channel::Email,
            rapport_domain::Visibility::Public,
            "This is the third time I write. Still broken!! I want to speak to your manager.",
        )
        .await
        .expect("the customer's message");
    app.advance(Duration::hours(6)).await;
    app.api()
        .post(
            &format!("/api/v1/tickets/{id}/state"),
            json!({"action": "close_unresolved", "reason": "Could not reproduce."}),
        )
        .await;
    app.run_jobs().await;
    let (_, low) = app
        .api()
        .get(&format!("/api/v1/customers/{customer}/health"))
        .await;
    send(&app).await;
    let told: Vec<Value> = receiver.got().iter().map(Received::json).collect();
    let last = told.last().expect("a band change was told");
    assert!(
        told.iter()
            .all(|body| body["type"] == "customer.health_band_changed")
    );
    assert_eq!(told[0]["data"]["before"], "steady", "{told:?}");
    assert_eq!(last["data"]["customer_id"], customer);
    assert_eq!(last["data"]["after"], low["band"], "{told:?} {low}");
    assert_eq!(last["data"]["score"], low["score"]);
    for pair in told.windows(2) {
        assert_eq!(
            pair[0]["data"]["after"], pair[1]["data"]["before"],
            "{told:?}"
        );
        assert_ne!(pair[1]["data"]["before"], pair[1]["data"]["after"]);
    }
}

/// The tokens of the links in a ticket's last message.
async fn last_links(app: &TestApp, ticket: i64) -> Vec<String> {
    let (_, fetched) = app.api().get(&format!("/api/v1/tickets/{ticket}")).await;
    let text = fetched["messages"]
        .as_array()
        .and_then(|m| m.last())
        .and_then(|m| m["text"].as_str())
        .expect("a message")
        .to_owned();
    text.split_whitespace()
        .filter(|word| word.starts_with("http"))
        .map(|link| link.rsplit('/').next().expect("token").to_owned())
        .collect()
}

#[tokio::test]
async fn a_survey_answer_and_the_resolution_moves_are_told() {
    let app = spawn().await;
    let receiver = Receiver::start(&[], None).await;
    subscribe(
        &app,
        &receiver.url,
        &["survey.answered", "ticket.state_changed"],
    )
    .await;
    let ticket = app.ticket("Billed twice", "rae@example.com").await;
    let id = ticket["id"].as_i64().expect("id");
    let (status, _) = app
        .api()
        .post(
            &format!("/api/v1/tickets/{id}/state"),
            json!({"action": "propose_resolution"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let yes = last_links(&app, id).await[0].clone();
    app.api_as(None)
        .post(&format!("/api/v1/public/resolution/{yes}"), json!({}))
        .await;
    app.run_jobs().await;
    let csat = last_links(&app, id).await[0].clone();
    let (status, body) = app
        .api_as(None)
        .post(
            &format!("/api/v1/public/surveys/{csat}"),
            json!({"score": 5}),
        )
        .await;
    assert!(status.is_success(), "{body}");
    send(&app).await;
    let told: Vec<Value> = receiver.got().iter().map(Received::json).collect();
    let causes: Vec<&str> = told
        .iter()
        .filter(|body| body["type"] == "ticket.state_changed")
        .filter_map(|body| body["data"]["cause"].as_str())
        .collect();
    assert!(causes.contains(&"resolution.proposed"), "{causes:?}");
    assert!(causes.contains(&"resolution.confirmed"), "{causes:?}");
    let survey = told
        .iter()
        .find(|body| body["type"] == "survey.answered")
        .expect("survey.answered");
    assert_eq!(survey["data"]["customer_id"], ticket["customer_id"]);
    assert_eq!(survey["data"]["kind"], "csat");
    assert_eq!(survey["data"]["score"], 5);
}

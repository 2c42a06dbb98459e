//! Agents' notifications: each kind written with the change that causes it (and never for
//! one's own doing), the switches per kind for the page and for mail, the mail in the outbox
//! with its link, marking read (one's own only), restricted teams, and the pages.

use crate::helpers::{Api, TestApp, get_page, post_form};
use crate::workspace::signed_in;
use rapport_domain::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// The agent's notifications through the API, newest first.
async fn notifications_of(app: &TestApp, token: &str) -> Vec<Value> {
    let (status, body) = app.api_as(Some(token)).get("/api/v1/notifications").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["items"].as_array().expect("items").clone()
}

fn kinds(items: &[Value]) -> Vec<&str> {
    items
        .iter()
        .map(|n| n["kind"].as_str().expect("kind"))
        .collect()
}

/// The notification mails queued for `to`, after the worker has run: their texts.
async fn mails_to(app: &TestApp, to: &str) -> Vec<String> {
    app.run_jobs().await;
    let payloads: Vec<String> =
        sqlx::query_scalar("SELECT payload FROM jobs WHERE kind = 'email.notice' ORDER BY id")
            .fetch_all(app.app.store.pool())
            .await
            .expect("jobs");
    payloads
        .into_iter()
        .map(|p| serde_json::from_str::<Value>(&p).expect("json"))
        .filter(|p| p["to"] == to)
        .map(|p| format!("{}\n{}", p["subject"], p["text"].as_str().expect("text")))
        .collect()
}

async fn assign(app: &TestApp, token: Option<&str>, ticket: i64, to: i64) {
    let api = match token {
        Some(token) => app.api_as(Some(token)),
        None => app.api(),
    };
    let (status, body) = api
        .patch(
            &format!("/api/v1/tickets/{ticket}"),
            json!({"assignee_id": to, "handover_note": "Over to you: the customer waits on a fix."}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

fn id(value: &Value) -> i64 {
    value["id"].as_i64().expect("id")
}

#[tokio::test]
async fn each_kind_reaches_the_agent_concerned_and_nobody_hears_of_their_own_doing() {
    let app = TestApp::spawn().await;
    let (priya, priya_token) = app
        .agent("priya@rapport.test", Role::Supervisor, None)
        .await;
    let (sam, sam_token) = app
        .agent("sam@rapport.test", Role::Agent, Some("priya@rapport.test"))
        .await;
    let ticket = app.ticket("Plotter jams", "ana@example.com").await;
    let (ticket_id, customer_id) = (id(&ticket), ticket["customer_id"].as_i64().expect("c"));

    // Assigned by the admin: Sam hears of it. Sam taking a ticket himself: nothing.
    assign(&app, None, ticket_id, sam.id).await;
    let own = app.ticket("Scanner", "bo@example.com").await;
    assign(&app, Some(&sam_token), id(&own), sam.id).await;
    let items = notifications_of(&app, &sam_token).await;
    assert_eq!(kinds(&items), ["assigned"], "{items:?}");
    assert_eq!(items[0]["ticket_id"], ticket_id);
    assert_eq!(
        items[0]["text"],
        format!("Ada Admin assigned ticket #{ticket_id} to you.")
    );
    assert_eq!(items[0]["ticket_subject"], "Plotter jams");
    assert!(items[0]["read_at"].is_null());

    // In bulk too.
    let bulk = app.ticket("Toner", "cy@example.com").await;
    let (status, body) = app
        .api()
        .post(
            "/api/v1/tickets/bulk",
            json!({"ticket_ids": [id(&bulk)], "change": {"action": "assign", "assignee_id": sam.id}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let items = notifications_of(&app, &sam_token).await;
    assert_eq!(kinds(&items), ["assigned", "assigned"], "{items:?}");

    // The customer replies by mail, then in the portal: the assignee hears of both.
    let raw = format!(
        "From: Ana <ana@example.com>\r\nTo: support@rapport.localhost\r\nSubject: Re: Plotter jams [#{ticket_id}]\r\n\
         Message-ID: <reply-1@example.com>\r\nContent-Type: text/plain\r\n\r\nStill jams on page two.\r\n"
    );
    let request = app
        .intake()
        .request(Method::POST, "/api/v1/inbound/email")
        .header("content-type", "message/rfc822")
        .body(raw.into_bytes());
    let (status, ingested) = Api::send(request).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{ingested}");
    assert_eq!(ingested["ticket_id"], ticket_id, "{ingested}");
    app.app
        .store
        .add_portal_reply(ticket_id, customer_id, "And the tray squeaks.", &[])
        .await
        .expect("portal reply");
    let items = notifications_of(&app, &sam_token).await;
    assert_eq!(
        kinds(&items)[..2],
        ["customer_replied", "customer_replied"],
        "{items:?}"
    );
    assert!(
        items[0]["text"]
            .as_str()
            .is_some_and(|t| t.ends_with("in the portal.")),
        "{items:?}"
    );
    assert!(
        items[1]["text"]
            .as_str()
            .is_some_and(|t| t.ends_with("by mail.")),
        "{items:?}"
    );
    // Sam's own reply and note tell nobody.
    let (status, _) = app
        .api_as(Some(&sam_token))
        .post(
            &format!("/api/v1/tickets/{ticket_id}/messages"),
            json!({"body": "Could you try the other tray?", "visibility": "public"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(notifications_of(&app, &sam_token).await.len(), 4);

    // Sam's promise falls due: the reminder job tells him.
    let due = rapport_store::clock::format(crate::helpers::START + time::Duration::hours(5));
    let (status, promise) = app
        .api_as(Some(&sam_token))
        .post(
            "/api/v1/promises",
            json!({"ticket_id": ticket_id, "kind": "other", "what": "Send the new driver", "due_at": due}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{promise}");
    assert_eq!(notifications_of(&app, &sam_token).await.len(), 4);
    app.advance(time::Duration::hours(4) + time::Duration::minutes(30))
        .await;
    let items = notifications_of(&app, &sam_token).await;
    assert_eq!(kinds(&items)[0], "promise_due", "{items:?}");
    assert!(
        items[0]["text"]
            .as_str()
            .is_some_and(|t| t.contains("is due on") && t.contains("14:00 UTC")),
        "{items:?}"
    );

    // The customer asks for a manager: Priya, Sam's supervisor, is asked; Sam is not told here.
    app.app
        .store
        .ask_for_manager(ticket_id, customer_id, "Nobody fixes it.")
        .await
        .expect("escalation");
    let items = notifications_of(&app, &priya_token).await;
    assert_eq!(kinds(&items), ["escalation"], "{items:?}");
    assert_eq!(items[0]["ticket_id"], ticket_id);
    assert_eq!(notifications_of(&app, &sam_token).await.len(), 5);

    // By default assignments and requests for a manager are mailed, with the ticket's link.
    let sam_mail = mails_to(&app, &sam.email).await;
    assert_eq!(sam_mail.len(), 2, "two assignments: {sam_mail:?}");
    assert!(
        sam_mail[0].contains(&format!("/tickets/{ticket_id}")),
        "{sam_mail:?}"
    );
    assert!(
        sam_mail[0].contains("/account#notifications"),
        "{sam_mail:?}"
    );
    let priya_mail = mails_to(&app, &priya.email).await;
    assert_eq!(priya_mail.len(), 1, "{priya_mail:?}");
    assert!(
        priya_mail[0].contains("was escalated to you"),
        "{priya_mail:?}"
    );

    // Every one of them is unread, and counted.
    let (_, listed) = app
        .api_as(Some(&sam_token))
        .get("/api/v1/notifications?unread=true&limit=2")
        .await;
    assert_eq!(listed["unread"], 5, "{listed}");
    assert_eq!(listed["items"].as_array().expect("items").len(), 2);
    let cursor = listed["next_cursor"].as_str().expect("a next page");
    let (_, rest) = app
        .api_as(Some(&sam_token))
        .get(&format!(
            "/api/v1/notifications?unread=true&limit=10&cursor={cursor}"
        ))
        .await;
    assert_eq!(rest["items"].as_array().expect("items").len(), 3, "{rest}");
    assert!(rest["next_cursor"].is_null());
}

#[tokio::test]
async fn handing_over_a_leavers_tickets_tells_whoever_takes_them() {
    let app = TestApp::spawn().await;
    let (leaver, _) = app.agent("lee@rapport.test", Role::Agent, None).await;
    let (sam, sam_token) = app.agent("sam@rapport.test", Role::Agent, None).await;
    let ticket = app.ticket("Router", "ana@example.com").await;
    assign(&app, None, id(&ticket), leaver.id).await;

    let (status, body) = app
        .api()
        .post(
            &format!("/api/v1/agents/{}/deactivate", leaver.id),
            json!({"hand_to_id": sam.id, "note": "Lee has left; the router case waits on a part."}),
        )
        .await;

    assert_eq!(status, StatusCode::OK, "{body}");
    let items = notifications_of(&app, &sam_token).await;
    assert_eq!(kinds(&items), ["assigned"], "{items:?}");
    assert_eq!(
        items[0]["text"],
        format!(
            "Ada Admin handed ticket #{} to you from lee@rapport.test, who has left.",
            id(&ticket)
        )
    );
}

#[tokio::test]
async fn the_switches_stop_the_page_and_the_mail_each_on_their_own() {
    let app = TestApp::spawn().await;
    let (sam, sam_token) = app.agent("sam@rapport.test", Role::Agent, None).await;
    let sam_api = app.api_as(Some(&sam_token));

    let (status, settings) = sam_api.get("/api/v1/notifications/settings").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        settings,
        json!({
            "assigned": {"in_page": true, "by_mail": true},
            "customer_replied": {"in_page": true, "by_mail": false},
            "promise_due": {"in_page": true, "by_mail": false},
            "escalation": {"in_page": true, "by_mail": true},
            "policy_exception": {"in_page": true, "by_mail": false},
        })
    );

    // Assignments: in the page off, mail still on.
    let (status, settings) = sam_api
        .patch(
            "/api/v1/notifications/settings",
            json!({"assigned": {"in_page": false}, "customer_replied": {"by_mail": true}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{settings}");
    assert_eq!(
        settings["assigned"],
        json!({"in_page": false, "by_mail": true})
    );
    assert_eq!(
        settings["customer_replied"],
        json!({"in_page": true, "by_mail": true})
    );
    let first = app.ticket("First", "ana@example.com").await;
    assign(&app, None, id(&first), sam.id).await;
    assert!(notifications_of(&app, &sam_token).await.is_empty());
    assert_eq!(mails_to(&app, &sam.email).await.len(), 1);

    // Now mail off too: nothing at all.
    sam_api
        .patch(
            "/api/v1/notifications/settings",
            json!({"assigned": {"by_mail": false}}),
        )
        .await;
    let second = app.ticket("Second", "bo@example.com").await;
    assign(&app, None, id(&second), sam.id).await;
    assert!(notifications_of(&app, &sam_token).await.is_empty());
    assert_eq!(mails_to(&app, &sam.email).await.len(), 1);

    // A customer's reply, switched on for mail: both the page and the mail.
    app.app
        .store
        .add_portal_reply(
            id(&first),
            first["customer_id"].as_i64().expect("customer"),
            "Any news?",
            &[],
        )
        .await
        .expect("reply");
    assert_eq!(
        kinds(&notifications_of(&app, &sam_token).await),
        ["customer_replied"]
    );
    let mail = mails_to(&app, &sam.email).await;
    assert_eq!(mail.len(), 2, "{mail:?}");
    assert!(mail[1].contains("replied on ticket"), "{mail:?}");

    // The changes are in the audit trail, and nonsense is refused in words.
    let changed: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM events WHERE action = 'agent.notifications_changed'",
    )
    .fetch_one(app.app.store.pool())
    .await
    .expect("count");
    assert_eq!(changed, 2);
    let (status, _) = sam_api
        .patch(
            "/api/v1/notifications/settings",
            json!({"assigned": {"by_pigeon": true}}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn an_agent_marks_only_their_own_notifications_read() {
    let app = TestApp::spawn().await;
    let (sam, sam_token) = app.agent("sam@rapport.test", Role::Agent, None).await;
    let (_, lee_token) = app.agent("lee@rapport.test", Role::Admin, None).await;
    for n in 0..3 {
        let ticket = app.ticket(&format!("Case {n}"), "ana@example.com").await;
        assign(&app, None, id(&ticket), sam.id).await;
    }
    let items = notifications_of(&app, &sam_token).await;
    let first = id(&items[0]);

    let (status, body) = app
        .api_as(Some(&lee_token))
        .post(&format!("/api/v1/notifications/{first}/read"), json!({}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, _) = app
        .api_as(Some(&sam_token))
        .post("/api/v1/notifications/999999/read", json!({}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, listed) = app
        .api_as(Some(&sam_token))
        .get("/api/v1/notifications")
        .await;
    assert_eq!(listed["unread"], 3);

    for _ in 0..2 {
        let (status, _) = app
            .api_as(Some(&sam_token))
            .post(&format!("/api/v1/notifications/{first}/read"), json!({}))
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT, "again is fine");
    }
    let (_, listed) = app
        .api_as(Some(&sam_token))
        .get("/api/v1/notifications?unread=true")
        .await;
    assert_eq!(listed["unread"], 2);
    assert_eq!(listed["items"].as_array().expect("items").len(), 2);

    // Another agent's "read all" leaves Sam's alone.
    let (_, marked) = app
        .api_as(Some(&lee_token))
        .post("/api/v1/notifications/read-all", json!({}))
        .await;
    assert_eq!(marked["marked"], 0);
    let (_, marked) = app
        .api_as(Some(&sam_token))
        .post("/api/v1/notifications/read-all", json!({}))
        .await;
    assert_eq!(marked["marked"], 2);
    let (_, listed) = app
        .api_as(Some(&sam_token))
        .get("/api/v1/notifications")
        .await;
    assert_eq!(listed["unread"], 0);
    assert!(
        listed["items"]
            .as_array()
            .expect("items")
            .iter()
            .all(|n| n["read_at"].is_string())
    );
    let (status, _) = app
        .api_as(Some(&sam_token))
        .get("/api/v1/notifications?limit=0")
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = app
        .api_as(Some(&sam_token))
        .get("/api/v1/notifications?cursor=t12")
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_ticket_moved_to_a_restricted_team_keeps_its_notification_text_from_outsiders() {
    let app = TestApp::spawn().await;
    let (sam, sam_token) = app.agent("sam@rapport.test", Role::Agent, None).await;
    let ticket = app.ticket("Subpoena for records", "ana@example.com").await;
    assign(&app, None, id(&ticket), sam.id).await;
    let (status, team) = app
        .api()
        .post(
            "/api/v1/teams",
            json!({"name": "Legal", "restricted": true}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{team}");
    let (status, _) = app
        .api()
        .patch(
            &format!("/api/v1/tickets/{}", id(&ticket)),
            json!({"team_id": id(&team)}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    let items = notifications_of(&app, &sam_token).await;
    assert_eq!(items.len(), 1);
    assert!(items[0]["text"].is_null(), "{items:?}");
    assert!(items[0]["ticket_subject"].is_null(), "{items:?}");
    // Nor is the mail sent once the ticket is out of sight.
    assert!(mails_to(&app, &sam.email).await.is_empty());
}

#[tokio::test]
async fn the_pages_list_notifications_mark_them_read_and_save_the_choices() {
    let app = TestApp::spawn().await;
    let (sam, cookie, csrf) = signed_in(&app, "sam@rapport.test", Role::Agent).await;
    let ticket = app.ticket("Invoice twice", "ana@example.com").await;
    assign(&app, None, id(&ticket), sam).await;

    let (status, page) = get_page(&app, &cookie, "/notifications").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains(&format!("href=\"/tickets/{}\"", id(&ticket))),
        "{page}"
    );
    assert!(page.contains("assigned ticket #"), "{page}");
    assert!(page.contains("Invoice twice"));
    assert!(page.contains("One unread."));
    assert!(
        page.contains("id=\"notifications-link\""),
        "the top bar links here"
    );
    let notification = sqlx::query_scalar::<_, i64>("SELECT id FROM notifications")
        .fetch_one(app.app.store.pool())
        .await
        .expect("id");

    let (status, location) = post_form(
        &app,
        &cookie,
        &format!("/notifications/{notification}/read"),
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, page) = get_page(&app, &cookie, &location).await;
    assert!(page.contains("Marked read."));
    assert!(page.contains("Nothing unread."));
    let (status, _) = post_form(
        &app,
        &cookie,
        "/notifications/read-all",
        &[("csrf", "forged")],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // The account page shows the defaults and saves what is ticked.
    let (_, account) = get_page(&app, &cookie, "/account").await;
    assert!(account.contains("A customer replies on my ticket"));
    assert!(account.contains("name=\"assigned_mail\" value=\"on\" checked"));
    assert!(!account.contains("name=\"customer_replied_mail\" value=\"on\" checked"));
    let (status, _) = post_form(
        &app,
        &cookie,
        "/account/notifications",
        &[
            ("csrf", &csrf),
            ("assigned_page", "on"),
            ("customer_replied_page", "on"),
            ("customer_replied_mail", "on"),
            ("escalation_page", "on"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let settings = app
        .app
        .store
        .notification_settings(sam)
        .await
        .expect("settings");
    let named: Vec<(&str, bool, bool)> = settings
        .iter()
        .map(|(kind, c)| (kind.as_str(), c.in_page, c.by_mail))
        .collect();
    assert_eq!(
        named,
        [
            ("assigned", true, false),
            ("customer_replied", true, true),
            ("promise_due", false, false),
            ("escalation", true, false),
            ("policy_exception", false, false),
        ]
    );
}

#[tokio::test]
async fn a_customer_saying_it_is_not_fixed_is_a_reply_the_assignee_hears_of() {
    let app = TestApp::spawn().await;
    let (sam, sam_token) = app.agent("sam@rapport.test", Role::Agent, None).await;
    let ticket = app.ticket("Wi-Fi drops", "ana@example.com").await;
    let (ticket_id, customer_id) = (id(&ticket), ticket["customer_id"].as_i64().expect("c"));
    assign(&app, None, ticket_id, sam.id).await;
    let (status, body) = app
        .api_as(Some(&sam_token))
        .post(
            &format!("/api/v1/tickets/{ticket_id}/state"),
            json!({"action": "propose_resolution"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    app.app
        .store
        .customer_not_fixed(ticket_id, customer_id, "It dropped again this morning.")
        .await
        .expect("not fixed");

    let items = notifications_of(&app, &sam_token).await;
    assert_eq!(kinds(&items), ["customer_replied", "assigned"], "{items:?}");
}

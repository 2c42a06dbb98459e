//! The agent workspace as HTML over HTTP: signing in with a form, the CSRF token on every
//! form, restricted teams, the collision check, the inbox views and the security headers.
//! (What needs a browser, such as live updates and the coach as one types, is in
//! `tests/browser`.)

use crate::helpers::{TestApp, browser, browser_from, form_token, get_page as page, post_form};
use rapport_domain::{Actor, Role};
use rapport_store::agents::NewAgent;
use reqwest::StatusCode;
use serde_json::json;

/// An agent with a password, signed in through the form: `(cookie, csrf token)`.
pub async fn signed_in(app: &TestApp, email: &str, role: Role) -> (i64, String, String) {
    let agent = app
        .app
        .store
        .create_agent(
            NewAgent {
                email,
                name: email,
                role,
                reports_to: None,
                password: Some("a long enough password"),
            },
            Actor::System,
        )
        .await
        .expect("agent");
    let (cookie, csrf) = signed_in_as(app, email).await;
    (agent.id, cookie, csrf)
}

/// An existing agent (made with [`TestApp::agent`], without a password) signed in to the
/// workspace: `(cookie, csrf)`.
pub async fn signed_in_as(app: &TestApp, email: &str) -> (String, String) {
    sqlx::query("UPDATE agents SET password_hash = $1 WHERE email = $2")
        .bind(rapport_store::secrets::hash_password(
            "a long enough password",
        ))
        .bind(email)
        .execute(app.app.store.pool())
        .await
        .expect("password");
    let (form_cookie, form) = form_token(app, "/sign-in").await;
    let response = browser()
        .post(app.url("/sign-in"))
        .header("cookie", form_cookie)
        .form(&[
            ("email", email),
            ("password", "a long enough password"),
            ("csrf", &form),
        ])
        .send()
        .await
        .expect("answer");
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .expect("ascii")
        .split(';')
        .next()
        .expect("pair")
        .to_owned();
    let page = page(app, &cookie, "/").await.1;
    let csrf = between(&page, "name=\"csrf\" value=\"", "\"").to_owned();
    (cookie, csrf)
}

pub fn between<'a>(text: &'a str, start: &str, end: &str) -> &'a str {
    let from = text
        .find(start)
        .unwrap_or_else(|| panic!("{start} in the page"))
        + start.len();
    let to = text[from..].find(end).expect("end") + from;
    &text[from..to]
}

#[tokio::test]
async fn the_start_page_sends_a_stranger_to_sign_in_and_every_page_forbids_inline_script() {
    let app = TestApp::spawn().await;

    let response = browser().get(app.url("/")).send().await.expect("answer");

    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()["location"], "/sign-in");
    let response = browser()
        .get(app.url("/tickets/1"))
        .send()
        .await
        .expect("answer");
    assert_eq!(response.headers()["location"], "/sign-in?next=/tickets/1");
    let response = browser()
        .get(app.url("/sign-in"))
        .send()
        .await
        .expect("answer");
    let csp = response.headers()["content-security-policy"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(csp.contains("script-src 'self'"), "{csp}");
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert_eq!(response.headers()["x-frame-options"], "DENY");
    let page = response.text().await.expect("text");
    assert!(page.contains("Sign in to Rapport"));
    assert!(page.contains("/portal"));
    assert!(!page.contains("<script>"), "no inline script anywhere");
}

#[tokio::test]
async fn signing_in_with_the_form_opens_the_inbox_and_wrong_passwords_are_slowed_down() {
    let app = TestApp::spawn().await;
    let (_, cookie, _) = signed_in(&app, "pat@rapport.test", Role::Agent).await;

    let (status, inbox) = page(&app, &cookie, "/").await;

    assert_eq!(status, StatusCode::OK);
    for view in [
        "Mine",
        "Unassigned",
        "My team",
        "Waiting on us",
        "Waiting on the customer",
        "Promises due today",
        "Moments to follow up",
        "Escalated",
    ] {
        assert!(inbox.contains(view), "{view} in the inbox");
    }
    let (form_cookie, form) = form_token(&app, "/sign-in").await;
    let (status, page) = post_form(
        &app,
        &form_cookie,
        "/sign-in",
        &[
            ("email", "pat@rapport.test"),
            ("password", "a long enough password"),
        ],
    )
    .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "a sign-in form without its token"
    );
    assert!(page.contains("did not come from this site"));
    for attempt in 1..=6 {
        let (status, page) = post_form(
            &app,
            &form_cookie,
            "/sign-in",
            &[
                ("email", "pat@rapport.test"),
                ("password", "wrong"),
                ("csrf", &form),
            ],
        )
        .await;
        if attempt <= 5 {
            assert_eq!(status, StatusCode::UNAUTHORIZED);
            assert!(page.contains("do not match"));
        } else {
            assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
            assert!(page.contains("Too many failed sign-ins"));
        }
    }
    // The guesses locked out the guessing machine, not the agent on their own.
    let response = browser_from("127.0.0.2")
        .post(app.url("/sign-in"))
        .header("cookie", &form_cookie)
        .form(&[
            ("email", "pat@rapport.test"),
            ("password", "a long enough password"),
            ("csrf", &form),
        ])
        .send()
        .await
        .expect("answer");
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn a_form_without_the_csrf_token_changes_nothing() {
    let app = TestApp::spawn().await;
    let (_, cookie, csrf) = signed_in(&app, "pat@rapport.test", Role::Agent).await;
    let ticket = app.ticket("Printer jam", "ana@example.com").await;
    let id = ticket["id"].as_i64().expect("id");
    let path = format!("/tickets/{id}/reply");

    let (status, page) = post_form(
        &app,
        &cookie,
        &path,
        &[("body", "Hello Ana"), ("visibility", "public")],
    )
    .await;
    let (forged, _) = post_form(
        &app,
        &cookie,
        &path,
        &[
            ("body", "Hello Ana"),
            ("visibility", "public"),
            ("csrf", "guess"),
        ],
    )
    .await;

    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(page.contains("did not come from this site"));
    assert_eq!(forged, StatusCode::FORBIDDEN);
    assert_eq!(
        app.app
            .store
            .ticket_messages(id)
            .await
            .expect("messages")
            .len(),
        1
    );
    let (sent, _) = post_form(
        &app,
        &cookie,
        &path,
        &[
            ("body", "Hello Ana"),
            ("visibility", "public"),
            ("csrf", &csrf),
            ("seen_message_id", "999999"),
        ],
    )
    .await;
    assert_eq!(sent, StatusCode::SEE_OTHER);
    assert_eq!(
        app.app
            .store
            .ticket_messages(id)
            .await
            .expect("messages")
            .len(),
        2
    );
}

#[tokio::test]
async fn a_restricted_teams_ticket_is_closed_to_other_agents_in_pages_and_the_api() {
    let app = TestApp::spawn().await;
    let (member, member_token) = app.agent("lee@rapport.test", Role::Agent, None).await;
    let (_, outsider_token) = app.agent("kim@rapport.test", Role::Agent, None).await;
    let (_, cookie, _) = signed_in(&app, "pat@rapport.test", Role::Supervisor).await;
    let (status, team) = app
        .api()
        .post(
            "/api/v1/teams",
            json!({"name": "Legal", "member_ids": [member.id], "restricted": true}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{team}");
    assert_eq!(team["restricted"], true);
    let ticket = app
        .ticket("Subpoena for our records", "counsel@example.com")
        .await;
    let id = ticket["id"].as_i64().expect("id");
    let (status, _) = app
        .api()
        .patch(
            &format!("/api/v1/tickets/{id}"),
            json!({"team_id": team["id"]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    let (page_status, page_body) = page(&app, &cookie, &format!("/tickets/{id}")).await;
    let (api_status, _) = app
        .api_as(Some(&outsider_token))
        .get(&format!("/api/v1/tickets/{id}"))
        .await;
    let (_, outsider_list) = app
        .api_as(Some(&outsider_token))
        .get("/api/v1/tickets")
        .await;
    let (member_status, _) = app
        .api_as(Some(&member_token))
        .get(&format!("/api/v1/tickets/{id}"))
        .await;
    let (admin_status, _) = app.api().get(&format!("/api/v1/tickets/{id}")).await;
    let (_, search) = page(&app, &cookie, "/?q=subpoena").await;

    assert_eq!(page_status, StatusCode::FORBIDDEN);
    assert!(page_body.contains("restricted team"));
    assert_eq!(api_status, StatusCode::FORBIDDEN);
    assert!(
        outsider_list["items"]
            .as_array()
            .expect("items")
            .iter()
            .all(|t| t["id"] != id),
        "the list leaves it out"
    );
    assert!(search.contains("Nothing matches"), "search leaves it out");
    assert_eq!(member_status, StatusCode::OK);
    assert_eq!(admin_status, StatusCode::OK);
    let (reply_status, _) = app
        .api_as(Some(&outsider_token))
        .post(
            &format!("/api/v1/tickets/{id}/messages"),
            json!({"body": "hi", "visibility": "internal"}),
        )
        .await;
    assert_eq!(reply_status, StatusCode::FORBIDDEN);
    let timeline = format!("/api/v1/customers/{}/timeline", ticket["customer_id"]);
    let mentions = |body: &serde_json::Value| {
        body["items"]
            .as_array()
            .expect("items")
            .iter()
            .any(|item| item["ticket_id"] == id)
    };
    let (_, outsiders) = app.api_as(Some(&outsider_token)).get(&timeline).await;
    let (_, members) = app.api_as(Some(&member_token)).get(&timeline).await;
    assert!(
        !mentions(&outsiders),
        "the customer's history leaves it out: {outsiders}"
    );
    assert!(mentions(&members));
}

#[tokio::test]
async fn a_reply_crossing_someone_elses_message_comes_back_with_a_warning_and_the_draft() {
    let app = TestApp::spawn().await;
    let (_, cookie, csrf) = signed_in(&app, "pat@rapport.test", Role::Agent).await;
    let ticket = app.ticket("Invoice twice", "ana@example.com").await;
    let id = ticket["id"].as_i64().expect("id");
    let (_, ticket_page) = page(&app, &cookie, &format!("/tickets/{id}")).await;
    let seen = between(&ticket_page, "name=\"seen_message_id\" value=\"", "\"").to_owned();
    // While Pat writes, a colleague adds a note.
    let (status, _) = app
        .api()
        .post(
            &format!("/api/v1/tickets/{id}/messages"),
            json!({"body": "She was charged a third time this morning.", "visibility": "internal"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let path = format!("/tickets/{id}/reply");
    let draft = "Hi Ana, I have refunded the second charge.";

    let (status, warned) = post_form(
        &app,
        &cookie,
        &path,
        &[
            ("body", draft),
            ("visibility", "public"),
            ("csrf", &csrf),
            ("seen_message_id", &seen),
        ],
    )
    .await;

    assert_eq!(status, StatusCode::CONFLICT);
    assert!(warned.contains("wrote on this ticket while you were writing"));
    assert!(warned.contains(draft), "the draft is kept");
    assert_eq!(
        app.app
            .store
            .ticket_messages(id)
            .await
            .expect("messages")
            .len(),
        2
    );
    let (status, _) = post_form(
        &app,
        &cookie,
        &path,
        &[
            ("body", draft),
            ("visibility", "public"),
            ("csrf", &csrf),
            ("seen_message_id", &seen),
            ("send_anyway", "yes"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        app.app
            .store
            .ticket_messages(id)
            .await
            .expect("messages")
            .len(),
        3
    );
}

#[tokio::test]
async fn the_inbox_views_hold_what_is_due_today() {
    let app = TestApp::spawn().await;
    let (agent_id, cookie, csrf) = signed_in(&app, "pat@rapport.test", Role::Agent).await;
    let ticket = app
        .ticket("Call me about the renewal", "ana@example.com")
        .await;
    let id = ticket["id"].as_i64().expect("id");
    let (status, _) = post_form(
        &app,
        &cookie,
        &format!("/tickets/{id}/assign"),
        &[("assignee", &agent_id.to_string()), ("csrf", &csrf)],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    // The test clock stands at 09:00 UTC: a promise at 15:00 is due today.
    let (status, _) = post_form(
        &app,
        &cookie,
        &format!("/tickets/{id}/promise"),
        &[
            ("kind", "call_back"),
            ("what", "Call about the renewal"),
            ("due", "2026-11-23T15:00"),
            ("phone", "+44 20 7946 0000"),
            ("csrf", &csrf),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, _) = post_form(
        &app,
        &cookie,
        &format!("/tickets/{id}/moment"),
        &[
            ("note", "Her daughter starts school today"),
            ("follow_up_on", "2026-11-23"),
            ("csrf", &csrf),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);

    let (status, _) = post_form(
        &app,
        &cookie,
        &format!("/tickets/{id}/moment"),
        &[
            ("note", "Back from Lisbon next week"),
            ("follow_up_on", "2026-11-24"),
            ("csrf", &csrf),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);

    let (_, mine) = page(&app, &cookie, "/?view=mine").await;
    let (_, promises) = page(&app, &cookie, "/?view=promises").await;
    let (_, moments) = page(&app, &cookie, "/?view=moments").await;
    let (_, ticket_page) = page(&app, &cookie, &format!("/tickets/{id}")).await;

    assert!(mine.contains("Call me about the renewal"));
    assert!(promises.contains("Call about the renewal"));
    assert!(moments.contains("Her daughter starts school today"));
    assert!(
        !moments.contains("Back from Lisbon"),
        "tomorrow's moment waits for tomorrow"
    );
    assert!(
        moments.contains(
            "data-view=\"moments\"><span>Moments to follow up</span> <span class=\"count\">1</span>"
        ),
        "the count agrees with the list"
    );
    assert!(
        ticket_page.contains("Promised: Call about the renewal"),
        "the promise is in the timeline"
    );
    assert!(
        ticket_page.contains("Her daughter starts school today"),
        "the moment is in the panel"
    );
}

#[tokio::test]
async fn a_request_for_a_manager_reaches_the_handlers_tasks_and_the_escalated_view() {
    let app = TestApp::spawn().await;
    let (agent_id, cookie, csrf) = signed_in(&app, "pat@rapport.test", Role::Agent).await;
    let ticket = app.ticket("Broken again", "ana@example.com").await;
    let id = ticket["id"].as_i64().expect("id");
    let customer_id = ticket["customer_id"].as_i64().expect("customer");
    let (status, _) = app
        .api()
        .patch(
            &format!("/api/v1/tickets/{id}"),
            json!({"assignee_id": agent_id}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    app.app
        .store
        .ask_for_manager(id, customer_id, "Third time this month.")
        .await
        .expect("escalation");

    let (_, escalated) = page(&app, &cookie, "/?view=escalated").await;
    let (_, ticket_page) = page(&app, &cookie, &format!("/tickets/{id}")).await;
    let (_, tasks) = page(&app, &cookie, "/tasks").await;
    assert!(escalated.contains("Broken again"));
    assert!(ticket_page.contains("Escalated: the customer asked for a manager"));
    assert!(tasks.contains("asked for a manager") && tasks.contains("Third time this month."));

    let task_id = app.tasks_of(agent_id).await[0].id;
    let (status, _) = post_form(
        &app,
        &cookie,
        &format!("/tasks/{task_id}/complete"),
        &[
            ("outcome", "Called her; the supervisor writes today."),
            ("csrf", &csrf),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(app.tasks_of(agent_id).await.is_empty());
    let (status, _) = post_form(
        &app,
        &cookie,
        &format!("/tickets/{id}/escalation/answered"),
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, escalated) = page(&app, &cookie, "/?view=escalated").await;
    assert!(!escalated.contains("Broken again"));
    let (status, missing) = page(&app, &cookie, "/tickets/not-a-number").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(missing.contains("There is no such page"));
}

#[tokio::test]
async fn without_script_the_coach_reviews_a_draft_on_request_and_nothing_is_sent() {
    let app = TestApp::spawn().await;
    let (_, cookie, csrf) = signed_in(&app, "pat@rapport.test", Role::Agent).await;
    let ticket = app.ticket("Printer jam", "ana@example.com").await;
    let id = ticket["id"].as_i64().expect("id");
    let draft = "You should have read the manual. If you don't respond within four days, the ticket will close.";

    let (status, page) = post_form(
        &app,
        &cookie,
        &format!("/tickets/{id}/reply"),
        &[
            ("body", draft),
            ("visibility", "public"),
            ("intent", "check"),
            ("csrf", &csrf),
        ],
    )
    .await;

    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("data-kind=\"closure_threat\""), "{page}");
    assert!(page.contains("class=\"serious\""));
    assert!(page.contains("Score "));
    assert!(
        page.contains("You should have read the manual."),
        "the draft is kept"
    );
    assert_eq!(
        app.app
            .store
            .ticket_messages(id)
            .await
            .expect("messages")
            .len(),
        1,
        "nothing was sent"
    );
}

#[tokio::test]
async fn an_open_page_hears_of_every_ticket_change_and_who_else_is_there() {
    let app = TestApp::spawn().await;
    let (_, cookie, _) = signed_in(&app, "pat@rapport.test", Role::Agent).await;
    let ticket = app.ticket("Invoice twice", "ana@example.com").await;
    let id = ticket["id"].as_i64().expect("id");
    let mut stream = browser()
        .get(app.url(&format!("/live?ticket={id}")))
        .header("cookie", &cookie)
        .send()
        .await
        .expect("answer");
    assert_eq!(stream.status(), StatusCode::OK);
    assert_eq!(stream.headers()["content-type"], "text/event-stream");

    // A change made elsewhere (here, through the API) reaches the open page.
    let (status, _) = app
        .api()
        .post(
            &format!("/api/v1/tickets/{id}/messages"),
            json!({"body": "Looking into it.", "visibility": "internal"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);

    let mut heard = String::new();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    while !heard.contains("message.added") {
        let chunk = tokio::time::timeout_at(deadline, stream.chunk())
            .await
            .expect("the change arrives within seconds")
            .expect("read")
            .expect("the stream stays open");
        heard.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(heard.contains("event: presence"), "{heard}");
    assert!(
        heard.contains("pat@rapport.test"),
        "the page is listed among the viewers: {heard}"
    );
    assert!(heard.contains(&format!("\"ticket_id\":{id}")), "{heard}");
}

/// Where a `Location` header sends a browser, resolved as a browser does (the WHATWG URL
/// parser drops tabs and line breaks and reads `/\` like `//`): true when it stays with us.
pub fn stays_on_our_origin(app: &TestApp, location: &str) -> bool {
    let base = reqwest::Url::parse(&app.url("/sign-in")).expect("base");
    base.join(location)
        .is_ok_and(|target| target.origin() == base.origin())
}

/// What people type after `next=` to send a freshly signed-in browser elsewhere.
pub const HOSTILE_NEXT: &[&str] = &[
    "/\t/evil.example/",
    "/\n/evil.example/",
    "/\r\n/evil.example/",
    "/\r\nSet-Cookie: x=1",
    "//evil.example/",
    "/\\evil.example/",
    "\\/evil.example/",
    "/ /evil.example/",
    "https://evil.example/",
    "javascript:alert(1)",
    " /\t/evil.example/",
    "/\u{2215}evil.example/",
    "/\u{ff0f}evil.example/",
    "/\u{200b}/evil.example/",
    "",
];

#[tokio::test]
async fn signing_in_with_a_hostile_next_stays_on_our_site_and_never_fails() {
    let app = TestApp::spawn().await;
    signed_in(&app, "pat@rapport.test", Role::Agent).await;

    for next in HOSTILE_NEXT {
        let (form_cookie, form) = form_token(&app, "/sign-in").await;
        let response = browser()
            .post(app.url("/sign-in"))
            .header("cookie", form_cookie)
            .form(&[
                ("email", "pat@rapport.test"),
                ("password", "a long enough password"),
                ("next", next),
                ("csrf", &form),
            ])
            .send()
            .await
            .expect("answer");

        assert_eq!(response.status(), StatusCode::SEE_OTHER, "next={next:?}");
        let location = response.headers()["location"].to_str().expect("ascii");
        assert!(
            stays_on_our_origin(&app, location),
            "next={next:?} sent the browser to {location:?}"
        );
        assert_eq!(location, "/", "next={next:?}");
        let page = browser()
            .get(app.url("/sign-in"))
            .query(&[("next", next)])
            .send()
            .await
            .expect("answer");
        assert_eq!(page.status(), StatusCode::OK, "the form with next={next:?}");
    }
    // The probe's own request: `next=/%09/evil.example/` as the browser sends it.
    let (form_cookie, form) = form_token(&app, "/sign-in?next=/%09/evil.example/").await;
    let response = browser()
        .post(app.url("/sign-in"))
        .header("cookie", form_cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "email=pat%40rapport.test&password=a+long+enough+password&csrf={form}\
             &next=/%09/evil.example/"
        ))
        .send()
        .await
        .expect("answer");
    assert_eq!(response.headers()["location"], "/");
    // A path of ours, with its query, is where the browser goes back to.
    let (form_cookie, form) = form_token(&app, "/sign-in").await;
    let (status, location) = post_form(
        &app,
        &form_cookie,
        "/sign-in",
        &[
            ("email", "pat@rapport.test"),
            ("password", "a long enough password"),
            ("next", "/tickets/1?done=Saved%20it"),
            ("csrf", &form),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location, "/tickets/1?done=Saved%20it");
}

#[tokio::test]
async fn what_depends_on_a_session_or_a_token_is_never_cached_and_assets_are() {
    let app = TestApp::spawn().await;
    let (_, cookie, _) = signed_in(&app, "pat@rapport.test", Role::Agent).await;
    let ticket = app.ticket("Printer jam", "ana@example.com").await;
    let id = ticket["id"].as_i64().expect("id");

    for path in ["/", &format!("/tickets/{id}"), "/tasks", "/api/v1/tickets"] {
        let response = browser()
            .get(app.url(path))
            .header("cookie", &cookie)
            .send()
            .await
            .expect("answer");
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert_eq!(response.headers()["cache-control"], "no-store", "{path}");
    }
    for path in ["/api/v1/tickets", &format!("/api/v1/tickets/{id}")] {
        let response = app
            .api()
            .request(reqwest::Method::GET, path)
            .send()
            .await
            .expect("answer");
        assert_eq!(response.headers()["cache-control"], "no-store", "{path}");
    }
    let denied = browser()
        .get(app.url("/api/v1/tickets"))
        .send()
        .await
        .expect("answer");
    assert_eq!(denied.headers()["cache-control"], "no-store");
    let asset = browser()
        .get(app.url("/assets/rapport.css"))
        .send()
        .await
        .expect("answer");
    assert_eq!(asset.status(), StatusCode::OK);
    assert_ne!(asset.headers()["cache-control"], "no-store");
}

#[tokio::test]
async fn the_account_page_changes_the_password_signs_out_elsewhere_and_revokes_tokens() {
    let app = TestApp::spawn().await;
    let (agent, cookie, csrf) = signed_in(&app, "sam@rapport.test", Role::Agent).await;
    // A second browser of Sam's, and a token of Sam's and one of someone else's.
    let (form_cookie, form) = form_token(&app, "/sign-in").await;
    let other_browser = browser()
        .post(app.url("/sign-in"))
        .header("cookie", form_cookie)
        .form(&[
            ("email", "sam@rapport.test"),
            ("password", "a long enough password"),
            ("csrf", &form),
        ])
        .send()
        .await
        .expect("answer");
    let other_cookie = other_browser.headers()["set-cookie"]
        .to_str()
        .expect("ascii")
        .split(';')
        .next()
        .expect("pair")
        .to_owned();
    let token = app.agent_token(agent).await;
    let (_, tokens) = app.api_as(Some(&token)).get("/api/v1/tokens").await;
    let token_id = tokens["items"][0]["id"].as_i64().expect("id");
    let (_, admins) = app.api().get("/api/v1/tokens").await;
    let admin_token_id = admins["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|t| t["agent_id"] == app.admin.id)
        .expect("the admin's token")["id"]
        .as_i64()
        .expect("id");

    let (status, account) = page(&app, &cookie, "/account").await;
    assert_eq!(status, StatusCode::OK);
    assert!(account.contains("Your API tokens"), "{account}");
    assert!(account.contains(&format!("/account/tokens/{token_id}/revoke")));
    assert!(
        !account.contains(&format!("/account/tokens/{admin_token_id}/revoke")),
        "an agent sees only their own tokens"
    );

    // Someone else's token cannot be revoked from Sam's page.
    let path = format!("/account/tokens/{admin_token_id}/revoke");
    let (status, _) = post_form(&app, &cookie, &path, &[("csrf", csrf.as_str())]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app.api().get("/api/v1/tickets").await;
    assert_eq!(status, StatusCode::OK, "the admin's token still works");

    let path = format!("/account/tokens/{token_id}/revoke");
    let (status, location) = post_form(&app, &cookie, &path, &[("csrf", csrf.as_str())]).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{location}");
    let (status, _) = app.api_as(Some(&token)).get("/api/v1/tickets").await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "a revoked token is refused at once"
    );

    // A guessable new password is refused with the reason; a good one signs out elsewhere.
    let (status, body) = post_form(
        &app,
        &cookie,
        "/account/password",
        &[
            ("csrf", csrf.as_str()),
            ("current_password", "a long enough password"),
            ("new_password", "aaaaaaaaaa"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body.contains("the password only repeats one or a few characters"),
        "{body}"
    );
    let (status, location) = post_form(
        &app,
        &cookie,
        "/account/password",
        &[
            ("csrf", csrf.as_str()),
            ("current_password", "a long enough password"),
            ("new_password", "marmalade under the lighthouse"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{location}");
    assert_eq!(
        page(&app, &other_cookie, "/").await.0,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        page(&app, &cookie, "/").await.0,
        StatusCode::OK,
        "this one stays"
    );

    let (status, location) = post_form(
        &app,
        &cookie,
        "/account/sessions/end-others",
        &[("csrf", csrf.as_str())],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    // The password change already signed the other browser out: nothing else to end.
    assert_eq!(
        location,
        "/account?done=You%20were%20not%20signed%20in%20anywhere%20else."
    );
}

#[tokio::test]
async fn the_ticket_page_shows_what_the_insight_read_and_the_concerns_to_answer() {
    let app = TestApp::spawn().await;
    let (_, cookie, _) = signed_in(&app, "sam@rapport.test", Role::Agent).await;
    let (status, ticket) = app
        .api()
        .post(
            "/api/v1/tickets",
            serde_json::json!({
                "subject": "Still no refund",
                "body": "This is the THIRD time I write!!! Where is my refund for order 1182? Also the invoice shows the wrong address. I want to speak to your manager.",
                "customer": {"email": "ines@example.com"},
            }),
        )
        .await;
    assert_eq!(status, 201, "{ticket}");
    let (status, page) = page(&app, &cookie, &format!("/tickets/{}", ticket["id"])).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("class=\"insight small\""), "{page}");
    assert!(page.contains("wants a manager"), "the intent is shown");
    assert!(page.contains("mood upset"), "high frustration is marked");
    assert!(
        page.contains("id=\"concerns\""),
        "the composer lists the concerns"
    );
    assert!(page.contains("data-keywords="));
    let (_, inbox) = crate::helpers::get_page(&app, &cookie, "/?view=unassigned").await;
    assert!(
        inbox.contains("class=\"badge upset\""),
        "the inbox marks the upset customer: {inbox}"
    );
    assert!(inbox.contains("<span class=\"badge intent\">wants a manager</span>"));
}

#[tokio::test]
async fn what_a_new_user_tripped_over_reads_right_now() {
    let app = TestApp::spawn().await;
    let (_, cookie, csrf) = signed_in(&app, "sam@rapport.test", Role::Agent).await;
    // An unknown view says so instead of showing "Mine".
    let (status, body) = page(&app, &cookie, "/?view=everything").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(
        body.contains("There is no inbox view called “everything”"),
        "{body}"
    );
    assert!(
        body.contains("<h1>Not found</h1>"),
        "titled in words: {body}"
    );
    // States read as words on the badges.
    let ticket = app.ticket("Printer", "ana@example.com").await;
    let id = ticket["id"].as_i64().expect("id");
    let (status, _) = app
        .api()
        .post(
            &format!("/api/v1/tickets/{id}/state"),
            json!({"action": "propose_resolution"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, ticket_page) = page(&app, &cookie, &format!("/tickets/{id}")).await;
    assert!(
        !ticket_page.contains("/resolution/"),
        "the customer's single-use links are not shown to staff: {ticket_page}"
    );
    assert!(
        ticket_page.contains("fixed: [the customer's single-use link]"),
        "{ticket_page}"
    );
    let (_, inbox) = page(&app, &cookie, "/?view=unassigned").await;
    assert!(inbox.contains("problem resolution proposed"), "{inbox}");
    assert!(!inbox.contains(">problem resolution_proposed<"));
    // An empty reply with "Send anyway" ticked says it was empty, not that someone wrote.
    let (status, body) = post_form(
        &app,
        &cookie,
        &format!("/tickets/{id}/reply"),
        &[
            ("body", "   "),
            ("visibility", "public"),
            ("send_anyway", "yes"),
            ("csrf", &csrf),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("id=\"composer-note\""), "{body}");
    assert!(!body.contains("id=\"collision\""));
    // A page error speaks in words, without field names in backticks.
    let (status, body) = post_form(
        &app,
        &cookie,
        &format!("/tickets/{id}/promise"),
        &[
            ("kind", "other"),
            ("what", "Send it"),
            ("due", "tomorrow"),
            ("csrf", &csrf),
        ],
    )
    .await;
    assert!(status.is_client_error(), "{status}");
    assert!(!body.contains('`'), "{body}");
    assert!(!body.contains("Unprocessable Entity"));
    // The icon is there.
    let (status, _) = page(&app, &cookie, "/assets/favicon.svg").await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn timelines_name_the_team_the_people_and_the_time_and_show_a_call_once() {
    let app = TestApp::spawn().await;
    let (_, cookie, csrf) = signed_in(&app, "sam@rapport.test", Role::Agent).await;
    let (status, team) = app
        .api()
        .post("/api/v1/teams", json!({"name": "Billing"}))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let ticket = app.ticket("Invoice", "ana@example.com").await;
    let id = ticket["id"].as_i64().expect("id");
    let (status, _) = app
        .api()
        .patch(
            &format!("/api/v1/tickets/{id}"),
            json!({"team_id": team["id"]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = post_form(
        &app,
        &cookie,
        &format!("/tickets/{id}/call"),
        &[
            ("direction", "outbound"),
            ("minutes", "5"),
            ("summary", "Walked through the invoice."),
            ("csrf", &csrf),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, body) = page(&app, &cookie, &format!("/tickets/{id}")).await;
    assert!(body.contains("moved to the team Billing"), "{body}");
    assert_eq!(
        body.matches("outbound call").count(),
        1,
        "the call is shown once: {body}"
    );
    let (status, _) = app
        .api()
        .post(
            "/api/v1/promises",
            json!({"ticket_id": id, "kind": "other", "what": "Send the corrected invoice", "due_at": "2026-12-02T10:00:00Z"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, body) = page(
        &app,
        &cookie,
        &format!("/customers/{}", ticket["customer_id"]),
    )
    .await;
    assert!(
        !body.contains("2026-12-02T10:00:00.000000Z)"),
        "no raw time in a sentence: {body}"
    );
    assert!(body.contains("due Wed 2 Dec, 10:00 UTC"), "{body}");
    assert!(body.contains("ana (api):"), "the customer by name: {body}");
}

#[tokio::test]
async fn a_promise_is_marked_kept_from_the_ticket_page_with_what_was_done() {
    let app = TestApp::spawn().await;
    let (_, cookie, csrf) = signed_in(&app, "sam@rapport.test", Role::Agent).await;
    let ticket = app.ticket("Guide", "ana@example.com").await;
    let id = ticket["id"].as_i64().expect("id");
    let (status, promise) = app
        .api()
        .post(
            "/api/v1/promises",
            json!({"ticket_id": id, "kind": "other", "what": "Send the setup guide", "due_at": "2026-11-25T10:00:00Z"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{promise}");
    let (_, body) = page(&app, &cookie, &format!("/tickets/{id}")).await;
    let action = format!("/promises/{}/kept", promise["id"]);
    assert!(
        body.contains(&action),
        "the panel offers to mark it kept: {body}"
    );
    let (status, location) = post_form(
        &app,
        &cookie,
        &action,
        &[("outcome", "Mailed the PDF guide."), ("csrf", &csrf)],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{location}");
    let (_, promises) = app
        .api()
        .get(&format!(
            "/api/v1/customers/{}/promises",
            ticket["customer_id"]
        ))
        .await;
    assert_eq!(promises["items"][0]["status"], "kept", "{promises}");
    let (_, audit) = app.api().get("/api/v1/audit?action=promise.").await;
    assert!(
        audit.to_string().contains("Mailed the PDF guide."),
        "{audit}"
    );
    let (status, _) = post_form(
        &app,
        &cookie,
        &action,
        &[("outcome", "Again."), ("csrf", &csrf)],
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "kept once");
}

/// A call-back the customer asked for waits in the panel with an Accept button; accepting it
/// makes it the agent's promise, once.
#[tokio::test]
async fn an_agent_accepts_a_call_back_the_customer_asked_for() {
    let app = TestApp::spawn().await;
    let (agent_id, cookie, csrf) = signed_in(&app, "sam@rapport.test", Role::Agent).await;
    let ticket = app.ticket("Call me", "ana@example.com").await;
    let id = ticket["id"].as_i64().expect("id");
    let customer_id = ticket["customer_id"].as_i64().expect("customer");
    let asked = app
        .app
        .store
        .create_promise(
            rapport_store::promises::NewPromise {
                customer_id,
                ticket_id: Some(id),
                agent_id: app.admin.id,
                kind: rapport_store::promises::PromiseKind::CallBack,
                what: "Call back in the morning",
                channel: "phone",
                phone: Some("+44 20 7946 0000"),
                window_start: None,
                due_at: "2030-01-01T10:00:00Z",
            },
            Actor::Customer(customer_id),
        )
        .await
        .expect("request");

    let (_, html) = page(&app, &cookie, &format!("/tickets/{id}")).await;
    assert!(
        html.contains(&format!("action=\"/promises/{}/accept\"", asked.id)),
        "{html}"
    );
    assert!(html.contains("nobody has accepted it yet"), "{html}");
    let (status, location) = post_form(
        &app,
        &cookie,
        &format!("/promises/{}/accept", asked.id),
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{location}");
    let promise = app.app.store.promise(asked.id).await.expect("promise");
    assert_eq!(promise.agent_id, agent_id);
    assert!(promise.accepted_at.is_some());
    let (_, html) = page(&app, &cookie, &format!("/tickets/{id}")).await;
    assert!(!html.contains(&format!("/promises/{}/accept", asked.id)));
    let (status, _) = post_form(
        &app,
        &cookie,
        &format!("/promises/{}/accept", asked.id),
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "accepted once");
}

#[tokio::test]
async fn writing_belongs_to_the_page_so_closing_it_ends_it_though_another_tab_stays_open() {
    use crate::several_nodes::{presence_until, read_until};
    let app = TestApp::spawn().await;
    let (_, pat, pat_csrf) = signed_in(&app, "pat@rapport.test", Role::Agent).await;
    let (_, lee, _) = signed_in(&app, "lee@rapport.test", Role::Agent).await;
    let ticket = app.ticket("Invoice twice", "ana@example.com").await;
    let id = ticket["id"].as_i64().expect("id");
    let open = |cookie: &str| {
        browser()
            .get(app.url(&format!("/live?ticket={id}")))
            .header("cookie", cookie)
            .send()
    };

    // Pat has the ticket open in two tabs and writes in the first.
    let mut first = open(&pat).await.expect("answer");
    let heard = read_until(&mut first, "event: presence").await;
    let page = between(&heard, "{\"page\":\"", "\"").to_owned();
    let _second = open(&pat).await.expect("answer");
    let mut on_lee = open(&lee).await.expect("answer");
    read_until(&mut on_lee, "pat@rapport.test").await;
    let started = browser()
        .post(app.url("/live/composing"))
        .header("cookie", &pat)
        .header("x-csrf-token", &pat_csrf)
        .json(&json!({"ticket_id": id, "composing": true, "page": page}))
        .send()
        .await
        .expect("answer");
    assert_eq!(started.status(), StatusCode::NO_CONTENT);
    presence_until(&mut on_lee, |l| {
        l.contains("\"composing\":true,\"name\":\"pat@rapport.test\"")
    })
    .await;

    // The first tab closes without a word (the browser crashed, the laptop slept): Pat is
    // still there in the second tab, but no longer writing.
    drop(first);
    let latest = presence_until(&mut on_lee, |l| {
        l.contains("\"composing\":false,\"name\":\"pat@rapport.test\"")
    })
    .await;
    assert!(!latest.contains("\"composing\":true"), "{latest}");
}

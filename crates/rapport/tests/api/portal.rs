//! The customer portal over HTTP: the single-use sign-in link, what a customer may see (their
//! own tickets, and their organization's only where allowed), opening a ticket with files,
//! and asking for a manager, a call back or writing to management.

use crate::helpers::{
    TestApp, all_at_once, browser, count_status, form_token, get_page as get, post_form as post,
};
use rapport_domain::Role;
use reqwest::StatusCode;
use serde_json::json;

/// The token in the newest sign-in mail queued for sending.
async fn link_token(app: &TestApp) -> Option<String> {
    let payload: Option<String> = sqlx::query_scalar(
        "SELECT payload FROM jobs WHERE kind = 'email.notice' ORDER BY id DESC LIMIT 1",
    )
    .fetch_optional(app.app.store.pool())
    .await
    .expect("jobs");
    let payload: serde_json::Value = serde_json::from_str(&payload?).expect("json");
    let text = payload["text"].as_str().expect("text");
    let start = text.find("/portal/link/").expect("a link") + "/portal/link/".len();
    Some(
        text[start..]
            .chars()
            .take_while(char::is_ascii_alphanumeric)
            .collect(),
    )
}

async fn ask_for_link(app: &TestApp, email: &str) -> (StatusCode, String) {
    ask_for_link_to(app, email, "/portal").await
}

/// Posts the portal's sign-in form, as a browser that opened it.
async fn ask_for_link_to(app: &TestApp, email: &str, next: &str) -> (StatusCode, String) {
    let (cookie, token) = form_token(app, "/portal").await;
    let response = browser()
        .post(app.url("/portal/sign-in"))
        .header("cookie", cookie)
        .form(&[("email", email), ("next", next), ("csrf", &token)])
        .send()
        .await
        .expect("answer");
    (response.status(), response.text().await.expect("text"))
}

async fn use_link(app: &TestApp, token: &str) -> reqwest::Response {
    use_link_at(app, &format!("/portal/link/{token}")).await
}

/// Presses the button on a sign-in link's page, as a browser that opened it.
async fn use_link_at(app: &TestApp, path: &str) -> reqwest::Response {
    let (cookie, token) = form_token(app, path).await;
    browser()
        .post(app.url(path))
        .header("cookie", cookie)
        .form(&[("csrf", token.as_str())])
        .send()
        .await
        .expect("answer")
}

/// A customer signed in to the portal: `(cookie, csrf token)`.
async fn customer_session(app: &TestApp, email: &str) -> (String, String) {
    let (status, _) = ask_for_link(app, email).await;
    assert_eq!(status, StatusCode::OK);
    let token = link_token(app).await.expect("a link was queued");
    let response = use_link(app, &token).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .expect("ascii")
        .split(';')
        .next()
        .expect("pair")
        .to_owned();
    let page = get(app, &cookie, "/portal").await.1;
    let from = page.find("name=\"csrf\" value=\"").expect("csrf") + 19;
    let csrf = page[from..].split('"').next().expect("value").to_owned();
    (cookie, csrf)
}

/// A `multipart/form-data` body with text files, as a browser sends a form with files.
fn multipart(fields: &[(&str, &str)], files: &[(&str, &[u8])]) -> (String, Vec<u8>) {
    let files: Vec<(&str, &str, &[u8])> = files
        .iter()
        .map(|(name, data)| (*name, "text/plain", *data))
        .collect();
    crate::helpers::multipart(fields, &files)
}

#[tokio::test]
async fn a_sign_in_link_works_once_within_half_an_hour_and_strangers_learn_nothing() {
    let app = TestApp::spawn().await;
    app.ticket("Printer jam", "ana@example.com").await;

    let (known_status, known_page) = ask_for_link(&app, "ana@example.com").await;
    let token = link_token(&app).await.expect("a link for Ana");
    let (unknown_status, unknown_page) = ask_for_link(&app, "nobody@example.com").await;

    assert_eq!(known_status, StatusCode::OK);
    assert_eq!(unknown_status, StatusCode::OK);
    let strip = |page: &str, email: &str| page.replace(email, "ADDRESS");
    assert_eq!(
        strip(&known_page, "ana@example.com"),
        strip(&unknown_page, "nobody@example.com"),
        "the same answer whether the address is known or not"
    );
    assert_eq!(
        link_token(&app).await.as_deref(),
        Some(token.as_str()),
        "no mail for strangers"
    );
    // Opening the link changes nothing (mail scanners open links); the button signs in.
    let (status, page) = get(&app, "", &format!("/portal/link/{token}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Sign in"));
    let first = use_link(&app, &token).await;
    assert_eq!(first.status(), StatusCode::SEE_OTHER);
    let cookie = first.headers()["set-cookie"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    let again = use_link(&app, &token).await;
    assert_eq!(again.status(), StatusCode::GONE, "used once");
    let again = again.text().await.expect("text");
    assert!(
        again.contains("Ask for a new one below") && again.contains("action=\"/portal/sign-in\""),
        "the form to ask for a new link is right there: {again}"
    );

    ask_for_link(&app, "ana@example.com").await;
    let late = link_token(&app).await.expect("a second link");
    app.advance(time::Duration::minutes(31)).await;
    let expired = use_link(&app, &late).await;
    assert_eq!(expired.status(), StatusCode::GONE);
    assert!(expired.text().await.expect("text").contains("expired"));
    assert_eq!(
        use_link(&app, "made-up").await.status(),
        StatusCode::NOT_FOUND
    );
    // A post from another site (no form cookie) signs nobody in.
    ask_for_link(&app, "ana@example.com").await;
    let fresh = link_token(&app).await.expect("a third link");
    let forged = browser()
        .post(app.url(&format!("/portal/link/{fresh}")))
        .send()
        .await
        .expect("answer");
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        use_link(&app, &fresh).await.status(),
        StatusCode::SEE_OTHER,
        "still unused"
    );
}

#[tokio::test]
async fn asking_for_links_again_and_again_does_not_flood_the_customers_mailbox() {
    let app = TestApp::spawn().await;
    app.ticket("Printer jam", "ana@example.com").await;
    async fn queued(app: &TestApp) -> i64 {
        sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE kind = 'email.notice'")
            .fetch_one(app.app.store.pool())
            .await
            .expect("count")
    }

    for _ in 0..6 {
        let (status, page) = ask_for_link(&app, "ana@example.com").await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("Check your email"));
    }

    assert_eq!(
        queued(&app).await,
        3,
        "three links in half an hour, then no more"
    );
    app.advance(time::Duration::minutes(31)).await;
    ask_for_link(&app, "ana@example.com").await;
    assert_eq!(queued(&app).await, 4, "a new half hour, a new link");
}

#[tokio::test]
async fn a_customer_sees_only_their_own_tickets_unless_their_organization_shares_them() {
    let app = TestApp::spawn().await;
    let (status, org) = app
        .api()
        .post(
            "/api/v1/organizations",
            json!({"name": "Harbor & Pine", "domains": ["harbor.example"], "relationship_kind": "partnership"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{org}");
    let ana = app.ticket("Ana's plotter", "ana@harbor.example").await;
    let ben = app.ticket("Ben's laptop", "ben@harbor.example").await;
    let stranger = app
        .ticket("Someone else's invoice", "zoe@elsewhere.example")
        .await;
    let (cookie, csrf) = customer_session(&app, "ana@harbor.example").await;

    let (_, list) = get(&app, &cookie, "/portal").await;
    let (own, _) = get(&app, &cookie, &format!("/portal/tickets/{}", ana["id"])).await;
    let (colleague, _) = get(&app, &cookie, &format!("/portal/tickets/{}", ben["id"])).await;
    let (other, _) = get(
        &app,
        &cookie,
        &format!("/portal/tickets/{}", stranger["id"]),
    )
    .await;
    let (reply, _) = post(
        &app,
        &cookie,
        &format!("/portal/tickets/{}/not-fixed", stranger["id"]),
        &[("words", "let me in"), ("csrf", &csrf)],
    )
    .await;

    assert!(
        list.contains("Ana&#39;s plotter") || list.contains("Ana's plotter"),
        "{list}"
    );
    assert!(!list.contains("laptop"));
    assert_eq!(own, StatusCode::OK);
    assert_eq!(colleague, StatusCode::NOT_FOUND);
    assert_eq!(other, StatusCode::NOT_FOUND);
    assert_eq!(reply, StatusCode::NOT_FOUND);
    assert_eq!(
        app.app
            .store
            .ticket_messages(stranger["id"].as_i64().expect("id"))
            .await
            .expect("messages")
            .len(),
        1,
        "nothing was added to another customer's ticket"
    );

    let (status, shared) = app
        .api()
        .patch(
            &format!("/api/v1/organizations/{}", org["id"]),
            json!({"portal_shared": true}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{shared}");
    assert_eq!(shared["portal_shared"], true);
    let (colleague, _) = get(&app, &cookie, &format!("/portal/tickets/{}", ben["id"])).await;
    let (other, _) = get(
        &app,
        &cookie,
        &format!("/portal/tickets/{}", stranger["id"]),
    )
    .await;
    assert_eq!(colleague, StatusCode::OK);
    assert_eq!(other, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_customer_opens_a_ticket_with_a_file_that_only_they_and_agents_can_download() {
    let app = TestApp::spawn().await;
    app.ticket("Earlier question", "ana@example.com").await;
    app.ticket("Other", "zoe@example.com").await;
    let (cookie, csrf) = customer_session(&app, "ana@example.com").await;
    let (zoe_cookie, _) = customer_session(&app, "zoe@example.com").await;
    let (content_type, body) = multipart(
        &[
            ("csrf", &csrf),
            ("subject", "Scanner error"),
            ("body", "The scanner shows this."),
        ],
        &[("error.txt", b"E-17 lamp failure")],
    );

    let response = browser()
        .post(app.url("/portal/tickets"))
        .header("cookie", &cookie)
        .header("content-type", &content_type)
        .body(body)
        .send()
        .await
        .expect("answer");

    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let location = response.headers()["location"]
        .to_str()
        .expect("ascii")
        .to_owned();
    let (_, page) = get(&app, &cookie, &location).await;
    assert!(page.contains("Scanner error"));
    let from = page.find("/portal/attachments/").expect("attachment link");
    let href = page[from..].split('"').next().expect("href").to_owned();
    let (status, file) = get(&app, &cookie, &href).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(file, "E-17 lamp failure");
    let (status, _) = get(&app, &zoe_cookie, &href).await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "another customer cannot fetch it"
    );

    // Without the CSRF token nothing is created.
    let (content_type, body) = multipart(&[("subject", "Forged"), ("body", "x")], &[]);
    let forged = browser()
        .post(app.url("/portal/tickets"))
        .header("cookie", &cookie)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .expect("answer");
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let (_, list) = get(&app, &cookie, "/portal").await;
    assert!(!list.contains("Forged"));
}

#[tokio::test]
async fn asking_for_a_manager_names_the_supervisor_and_tells_the_chain() {
    let app = TestApp::spawn().await;
    let (priya, _) = app
        .agent(
            "priya@rapport.test",
            Role::Supervisor,
            Some("admin@rapport.test"),
        )
        .await;
    let (sam, _) = app
        .agent("sam@rapport.test", Role::Agent, Some("priya@rapport.test"))
        .await;
    let ticket = app.ticket("Plotter", "ana@example.com").await;
    let id = ticket["id"].as_i64().expect("id");
    let (status, _) = app
        .api()
        .patch(
            &format!("/api/v1/tickets/{id}"),
            json!({"assignee_id": sam.id}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (cookie, csrf) = customer_session(&app, "ana@example.com").await;

    let (_, page) = get(&app, &cookie, &format!("/portal/tickets/{id}")).await;
    assert!(
        page.contains("sam@rapport.test") && page.contains("priya@rapport.test"),
        "both names and contacts"
    );
    let (status, location) = post(
        &app,
        &cookie,
        &format!("/portal/tickets/{id}/manager"),
        &[("reason", "A week without printing."), ("csrf", &csrf)],
    )
    .await;

    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, page) = get(&app, &cookie, &location).await;
    assert!(page.contains("You asked for a manager"));
    assert!(page.contains("has your request for a manager"));
    let sam_tasks = app.tasks_of(sam.id).await;
    let priya_tasks = app.tasks_of(priya.id).await;
    assert!(
        sam_tasks.iter().any(|t| t.kind == "escalation"),
        "the handler knows"
    );
    assert!(
        priya_tasks
            .iter()
            .any(|t| t.kind == "escalation" && t.detail.contains("A week without printing"))
    );

    // A call back in a window becomes Sam's promise.
    let (status, _) = post(
        &app,
        &cookie,
        &format!("/portal/tickets/{id}/call-back"),
        &[
            ("phone", "+44 20 7946 0000"),
            ("day", "2026-11-24"),
            ("window", "12"),
            ("csrf", &csrf),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let promises = app
        .app
        .store
        .promises_for(ticket["customer_id"].as_i64().expect("customer"), true)
        .await
        .expect("promises");
    assert_eq!(promises.len(), 1);
    assert_eq!(promises[0].agent_id, sam.id);
    assert_eq!(
        promises[0].window_start.as_deref(),
        Some("2026-11-24T12:00:00.000000Z")
    );
    assert_eq!(promises[0].due_at, "2026-11-24T15:00:00.000000Z");

    // Nobody has promised it until an agent accepts it.
    let page_path = format!("/portal/tickets/{id}");
    let (_, asked) = get(&app, &cookie, &page_path).await;
    assert!(!asked.contains("promised: Call back"), "{asked}");
    assert!(
        asked.contains("You asked: Call back 2026-11-24 between 12:00 and 15:00 UTC."),
        "{asked}"
    );
    assert_eq!(promises[0].accepted_at, None);
    let sam_token = app.agent_token(sam.id).await;
    let accept = format!("/api/v1/promises/{}/accept", promises[0].id);
    let api = app.api_as(Some(&sam_token));
    let answers = crate::helpers::all_at_once(
        (0..5)
            .map(|_| api.request(reqwest::Method::POST, &accept))
            .collect(),
    )
    .await;
    assert_eq!(
        crate::helpers::count_status(&answers, StatusCode::OK),
        1,
        "accepted once: {answers:?}"
    );
    assert_eq!(
        crate::helpers::count_status(&answers, StatusCode::CONFLICT),
        4,
        "{answers:?}"
    );
    let (_, promised) = get(&app, &cookie, &page_path).await;
    assert!(
        promised.contains(&format!(
            "{} promised: Call back 2026-11-24 between 12:00 and 15:00 UTC",
            sam.name
        )),
        "{promised}"
    );

    // A letter goes to the top of Sam's chain: the admin.
    let (_, letter_form) = get(&app, &cookie, &format!("/portal/letter?ticket={id}")).await;
    assert!(
        letter_form.contains("<strong>Ada Admin</strong>"),
        "the page names whom it reaches"
    );
    assert!(
        letter_form.contains(&format!("<option value=\"{id}\" selected>")),
        "the request it came from is chosen: {letter_form}"
    );
    let (status, location) = post(
        &app,
        &cookie,
        "/portal/letter",
        &[
            ("ticket_id", &id.to_string()),
            ("subject", "Praise for Sam"),
            ("body", "Sam stayed with it."),
            ("csrf", &csrf),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, letter_page) = get(&app, &cookie, &location).await;
    assert!(
        letter_page.contains("Your letter is on its way to Ada Admin"),
        "{letter_page}"
    );
    let admin_tasks = app.tasks_of(app.admin.id).await;
    assert!(
        admin_tasks
            .iter()
            .any(|t| t.kind == "letter" && t.title.contains("Praise for Sam"))
    );
}

#[tokio::test]
async fn a_customer_following_a_link_to_a_request_lands_on_it_after_signing_in() {
    let app = TestApp::spawn().await;
    let ticket = app.ticket("Printer jam", "ana@example.com").await;
    let path = format!("/portal/tickets/{}", ticket["id"]);

    let away = browser().get(app.url(&path)).send().await.expect("answer");
    assert_eq!(away.status(), StatusCode::SEE_OTHER);
    let to_sign_in = away.headers()["location"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert_eq!(to_sign_in, format!("/portal?next={path}"));
    let (_, form) = get(&app, "", &to_sign_in).await;
    assert!(form.contains(&format!("name=\"next\" value=\"{path}\"")));
    let (status, _) = ask_for_link_to(&app, "ana@example.com", &path).await;
    assert_eq!(status, StatusCode::OK);
    let token = link_token(&app).await.expect("a link");
    let mail: String = sqlx::query_scalar(
        "SELECT payload FROM jobs WHERE kind = 'email.notice' ORDER BY id DESC LIMIT 1",
    )
    .fetch_one(app.app.store.pool())
    .await
    .expect("the mail");
    assert!(mail.contains(&format!("{token}?next={path}")), "{mail}");

    let signed_in = use_link_at(&app, &format!("/portal/link/{token}?next={path}")).await;

    assert_eq!(signed_in.headers()["location"], path.as_str());
    // Only portal pages: a link cannot send the customer to another site.
    ask_for_link(&app, "ana@example.com").await;
    let token = link_token(&app).await.expect("a link");
    let elsewhere = use_link_at(
        &app,
        &format!("/portal/link/{token}?next=https://evil.example/"),
    )
    .await;
    assert_eq!(elsewhere.headers()["location"], "/portal");
}

#[tokio::test]
async fn a_portal_link_with_a_hostile_next_stays_on_the_portal_and_never_fails() {
    let app = TestApp::spawn().await;
    app.ticket("Printer jam", "ana@example.com").await;
    let hostile = crate::workspace::HOSTILE_NEXT
        .iter()
        .map(|next| next.to_string())
        .chain(
            crate::workspace::HOSTILE_NEXT
                .iter()
                .map(|next| format!("/portal/{next}")),
        )
        .chain([
            "/portal/link/abc".to_owned(),
            "/portal/../sign-in".to_owned(),
        ]);

    // The sign-in form keeps `next` in the link it mails only when it is a portal page.
    for next in [
        "/portal/\n/evil.example/",
        "/portal/\\evil.example/",
        "/portal/&x=1 2",
    ] {
        let (status, _) = ask_for_link_to(&app, "ana@example.com", next).await;
        assert_eq!(status, StatusCode::OK, "next={next:?}");
    }
    let mails: Vec<String> =
        sqlx::query_scalar("SELECT payload FROM jobs WHERE kind = 'email.notice'")
            .fetch_all(app.app.store.pool())
            .await
            .expect("mails");
    assert_eq!(mails.len(), 3);
    for mail in mails {
        assert!(
            !mail.contains("?next="),
            "no hostile next in a mailed link: {mail}"
        );
    }

    for next in hostile {
        let page = browser()
            .get(app.url("/portal"))
            .query(&[("next", &next)])
            .send()
            .await
            .expect("answer");
        assert_eq!(page.status(), StatusCode::OK, "the form with next={next:?}");
        let link = app
            .app
            .store
            .portal_link_for("ana@example.com")
            .await
            .expect("a link");
        let token = link.rsplit('/').next().expect("token");
        let path = format!("/portal/link/{token}");
        let opened = browser()
            .get(app.url(&path))
            .query(&[("next", &next)])
            .send()
            .await
            .expect("answer");
        assert_eq!(opened.status(), StatusCode::OK, "next={next:?}");
        let (form_cookie, form) = form_token(&app, &path).await;

        let signed_in = browser()
            .post(app.url(&path))
            .query(&[("next", &next)])
            .header("cookie", form_cookie)
            .form(&[("csrf", form.as_str())])
            .send()
            .await
            .expect("answer");

        assert_eq!(signed_in.status(), StatusCode::SEE_OTHER, "next={next:?}");
        let location = signed_in.headers()["location"].to_str().expect("ascii");
        assert!(
            crate::workspace::stays_on_our_origin(&app, location),
            "next={next:?} sent the browser to {location:?}"
        );
        assert_eq!(location, "/portal", "next={next:?}");
    }
}

#[tokio::test]
async fn a_customer_merged_into_another_keeps_seeing_their_requests() {
    let app = TestApp::spawn().await;
    let home = app.ticket("Sent from home", "ana@home.example").await;
    let work = app.ticket("Sent from work", "ana.silva@work.example").await;
    let (cookie, _) = customer_session(&app, "ana@home.example").await;

    let (status, _) = app
        .api()
        .post(
            &format!("/api/v1/customers/{}/merge", work["customer_id"]),
            json!({"duplicate_id": home["customer_id"]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    let (_, list) = get(&app, &cookie, "/portal").await;
    assert!(
        list.contains("Sent from home") && list.contains("Sent from work"),
        "{list}"
    );
}

#[tokio::test]
async fn a_customer_confirms_a_fix_rates_it_once_and_can_still_say_it_broke_again() {
    let app = TestApp::spawn().await;
    let ticket = app.ticket("Plotter", "ana@example.com").await;
    let id = ticket["id"].as_i64().expect("id");
    let (cookie, csrf) = customer_session(&app, "ana@example.com").await;
    let (status, _) = app
        .api()
        .post(
            &format!("/api/v1/tickets/{id}/state"),
            json!({"action": "propose_resolution"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, asked) = get(&app, &cookie, &format!("/portal/tickets/{id}")).await;
    assert!(asked.contains("Did this fix it?"));

    let (status, _) = post(
        &app,
        &cookie,
        &format!("/portal/tickets/{id}/confirm"),
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, solved) = get(&app, &cookie, &format!("/portal/tickets/{id}")).await;
    assert!(solved.contains("Solved") && solved.contains("How did we do?"));
    let (status, _) = post(
        &app,
        &cookie,
        &format!("/portal/tickets/{id}/rate"),
        &[
            ("score", "2"),
            ("comment", "Took three weeks."),
            ("csrf", &csrf),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, rated) = get(&app, &cookie, &format!("/portal/tickets/{id}")).await;
    assert!(rated.contains("You rated this 2 out of 5"));
    let owner_tasks = app.tasks_of(app.admin.id).await;
    assert!(
        owner_tasks
            .iter()
            .any(|t| t.kind == "survey_follow_up" && t.detail.contains("Took three weeks.")),
        "a low score is followed up"
    );
    let (again, page) = post(
        &app,
        &cookie,
        &format!("/portal/tickets/{id}/rate"),
        &[("score", "5"), ("csrf", &csrf)],
    )
    .await;
    assert_eq!(again, StatusCode::CONFLICT);
    assert!(page.contains("already rated"));

    let (status, _) = post(
        &app,
        &cookie,
        &format!("/portal/tickets/{id}/not-fixed"),
        &[("words", "It jams again since Monday."), ("csrf", &csrf)],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, reopened) = get(&app, &cookie, &format!("/portal/tickets/{id}")).await;
    assert!(reopened.contains("We are working on it"));
    let (_, detail) = app.api().get(&format!("/api/v1/tickets/{id}")).await;
    assert_eq!(detail["problem"], "open");
    assert_eq!(detail["conversation"], "waiting_on_us");
}

#[tokio::test]
async fn a_customers_script_comes_back_as_an_inert_download_never_cached() {
    let app = TestApp::spawn().await;
    app.ticket("Earlier question", "ana@example.com").await;
    let (cookie, csrf) = customer_session(&app, "ana@example.com").await;
    let boundary = "rapport-test-boundary-js";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"subject\"\r\n\r\nScript\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"body\"\r\n\r\nSee the file.\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"run.js\"\r\n\
         Content-Type: text/javascript\r\n\r\nalert(document.cookie)\r\n--{boundary}--\r\n"
    );
    let created = browser()
        .post(app.url("/portal/tickets"))
        .header("cookie", &cookie)
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .expect("answer");
    assert_eq!(created.status(), StatusCode::SEE_OTHER);
    let location = created.headers()["location"]
        .to_str()
        .expect("ascii")
        .to_owned();
    let page = browser()
        .get(app.url(&location))
        .header("cookie", &cookie)
        .send()
        .await
        .expect("page");
    assert_eq!(page.headers()["cache-control"], "no-store", "a portal page");
    let page = page.text().await.expect("text");
    let from = page.find("/portal/attachments/").expect("attachment link");
    let href = page[from..].split('"').next().expect("href").to_owned();

    let file = browser()
        .get(app.url(&href))
        .header("cookie", &cookie)
        .send()
        .await
        .expect("file");

    assert_eq!(file.status(), StatusCode::OK);
    let headers = file.headers();
    assert_eq!(headers["content-type"], "application/octet-stream");
    assert!(
        headers["content-disposition"]
            .to_str()
            .expect("ascii")
            .starts_with("attachment;")
    );
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert!(
        headers["content-security-policy"]
            .to_str()
            .expect("ascii")
            .contains("sandbox")
    );
    assert_eq!(headers["cache-control"], "no-store");
}

#[tokio::test]
async fn a_customer_downloads_their_data_and_an_admin_erases_them_on_request() {
    let app = TestApp::spawn().await;
    let (status, ticket) = app
        .api()
        .post(
            "/api/v1/tickets",
            json!({"subject": "Router drops Ines Moreau's calls", "body": "Every evening; call me on +351 555 0101.",
                   "customer": {"email": "ines@example.com", "name": "Ines Moreau"}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{ticket}");
    let id = ticket["id"].as_i64().expect("id");
    let customer = ticket["customer_id"].as_i64().expect("customer");
    let other = app.ticket("Printer jams", "otto@example.com").await;
    let (status, body) = app
        .api()
        .post(
            &format!("/api/v1/tickets/{id}/messages"),
            json!({"body": "Ines Moreau, please write to ines@example.com if it drops again.", "visibility": "public"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, _) = app
        .api()
        .post(
            &format!("/api/v1/customers/{customer}/moments"),
            json!({"note": "Ines is moving to Lisbon in May."}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);

    // The customer takes their data from the portal.
    let (cookie, _) = customer_session(&app, "ines@example.com").await;
    let response = app
        .client()
        .get(app.url("/portal/my-data"))
        .header("cookie", &cookie)
        .send()
        .await
        .expect("download");
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-disposition"]
            .to_str()
            .expect("ascii")
            .starts_with("attachment")
    );
    let mine: serde_json::Value = response.json().await.expect("json");
    assert_eq!(mine["customer"]["emails"], json!(["ines@example.com"]));
    assert_eq!(
        mine["tickets"].as_array().map(Vec::len),
        Some(1),
        "only their own"
    );
    assert_eq!(
        mine["tickets"][0]["messages"].as_array().map(Vec::len),
        Some(2)
    );
    assert!(
        !mine.to_string().contains("Lisbon"),
        "agents' private notes are not the portal's"
    );

    // Only an admin exports or erases through the API.
    let (_, agent_token) = app
        .agent("sam@rapport.test", rapport_domain::Role::Agent, None)
        .await;
    let (status, _) = app
        .api_as(Some(&agent_token))
        .get(&format!("/api/v1/customers/{customer}/data"))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app
        .api_as(Some(&agent_token))
        .post(
            &format!("/api/v1/customers/{customer}/erase"),
            json!({"reason": "asked"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, exported) = app
        .api()
        .get(&format!("/api/v1/customers/{customer}/data"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(exported["customer"], mine["customer"]);

    let (status, erased) = app
        .api()
        .post(
            &format!("/api/v1/customers/{customer}/erase"),
            json!({"reason": "The customer asked by mail on 2026-11-23."}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{erased}");
    assert_eq!(erased["tickets"], 1);

    // Nothing that named them is left; the rows and everyone else's history are.
    let (_, after) = app
        .api()
        .get(&format!("/api/v1/customers/{customer}/data"))
        .await;
    let text = after.to_string();
    for trace in [
        "Ines Moreau",
        "ines@example.com",
        "Router drops",
        "555 0101",
    ] {
        assert!(!text.contains(trace), "{trace} is still in {text}");
    }
    assert_eq!(
        after["customer"]["name"],
        format!("Erased customer {customer}")
    );
    assert_eq!(
        after["tickets"][0]["messages"].as_array().map(Vec::len),
        Some(2)
    );
    let (_, moments) = app
        .api()
        .get(&format!("/api/v1/customers/{customer}/moments"))
        .await;
    assert!(!moments.to_string().contains("Lisbon"), "{moments}");
    let (_, timeline) = app
        .api()
        .get(&format!("/api/v1/customers/{customer}/timeline"))
        .await;
    assert!(!timeline.to_string().contains("Ines Moreau"), "{timeline}");
    let (_, others) = app
        .api()
        .get(&format!("/api/v1/tickets/{}", other["id"]))
        .await;
    assert_eq!(others["subject"], "Printer jams");

    // Their portal session ends with them, and the erasure is in the audit trail.
    let response = browser()
        .get(app.url("/portal/my-data"))
        .header("cookie", &cookie)
        .send()
        .await
        .expect("download");
    assert_eq!(
        response.status(),
        StatusCode::SEE_OTHER,
        "back to signing in"
    );
    let (_, audit) = app.api().get("/api/v1/audit?action=customer.erased").await;
    assert_eq!(audit["items"][0]["action"], "customer.erased");
    assert!(
        audit["items"][0]["changes"]
            .to_string()
            .contains("asked by mail")
    );
}

/// How many rows a count query finds, for the tests that fire many requests at once.
async fn count(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(app.app.store.pool())
        .await
        .expect("count")
}

fn statuses(answers: &[(StatusCode, String)]) -> Vec<u16> {
    answers.iter().map(|(status, _)| status.as_u16()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_sign_in_link_pressed_twenty_times_at_once_signs_in_once() {
    let app = TestApp::spawn().await;
    app.ticket("Printer jam", "ana@example.com").await;
    ask_for_link(&app, "ana@example.com").await;
    let token = link_token(&app).await.expect("a link");
    let path = format!("/portal/link/{token}");
    let (cookie, csrf) = form_token(&app, &path).await;

    let client = browser();
    let answers = all_at_once(
        (0..20)
            .map(|_| {
                client
                    .post(app.url(&path))
                    .header("cookie", &cookie)
                    .form(&[("csrf", csrf.as_str())])
            })
            .collect(),
    )
    .await;

    assert_eq!(
        count_status(&answers, StatusCode::SEE_OTHER),
        1,
        "{:?}",
        statuses(&answers)
    );
    assert_eq!(count_status(&answers, StatusCode::GONE), 19);
    assert!(
        answers
            .iter()
            .filter(|(status, _)| *status == StatusCode::GONE)
            .all(|(_, page)| page.contains("already been used"))
    );
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM customer_sessions").await,
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn asking_for_twenty_links_at_once_still_mails_three() {
    let app = TestApp::spawn().await;
    app.ticket("Printer jam", "ana@example.com").await;
    let (cookie, csrf) = form_token(&app, "/portal").await;

    let client = browser();
    let answers = all_at_once(
        (0..20)
            .map(|_| {
                client
                    .post(app.url("/portal/sign-in"))
                    .header("cookie", &cookie)
                    .form(&[("email", "ana@example.com"), ("csrf", csrf.as_str())])
            })
            .collect(),
    )
    .await;

    assert_eq!(
        count_status(&answers, StatusCode::OK),
        20,
        "{:?}",
        statuses(&answers)
    );
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM jobs WHERE kind = 'email.notice'"
        )
        .await,
        3,
        "three links in half an hour, however many ask at once"
    );
}

/// A resolved ticket of Ana's whose survey has not gone out yet, and her portal session.
async fn resolved_ticket(app: &TestApp) -> (i64, String, String) {
    let ticket = app.ticket("Plotter", "ana@example.com").await;
    let id = ticket["id"].as_i64().expect("id");
    let (cookie, csrf) = customer_session(app, "ana@example.com").await;
    let (status, _) = app
        .api()
        .post(
            &format!("/api/v1/tickets/{id}/state"),
            json!({"action": "propose_resolution"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    (id, cookie, csrf)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn confirming_a_fix_twenty_times_at_once_confirms_it_once() {
    let app = TestApp::spawn().await;
    let (id, cookie, csrf) = resolved_ticket(&app).await;

    let client = browser();
    let answers = all_at_once(
        (0..20)
            .map(|_| {
                client
                    .post(app.url(&format!("/portal/tickets/{id}/confirm")))
                    .header("cookie", &cookie)
                    .form(&[("csrf", csrf.as_str())])
            })
            .collect(),
    )
    .await;

    assert_eq!(
        count_status(&answers, StatusCode::SEE_OTHER),
        1,
        "{:?}",
        statuses(&answers)
    );
    assert_eq!(count_status(&answers, StatusCode::CONFLICT), 19);
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM events WHERE action = 'resolution.confirmed'"
        )
        .await,
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn rating_a_ticket_twenty_times_at_once_rates_it_once() {
    let app = TestApp::spawn().await;
    let (id, cookie, csrf) = resolved_ticket(&app).await;
    let (status, _) = post(
        &app,
        &cookie,
        &format!("/portal/tickets/{id}/confirm"),
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);

    // No survey has gone out yet (its job has not run), so each rating would make its own.
    let client = browser();
    let answers = all_at_once(
        (0..20)
            .map(|_| {
                client
                    .post(app.url(&format!("/portal/tickets/{id}/rate")))
                    .header("cookie", &cookie)
                    .form(&[("score", "4"), ("csrf", csrf.as_str())])
            })
            .collect(),
    )
    .await;

    assert_eq!(
        count_status(&answers, StatusCode::SEE_OTHER),
        1,
        "{:?}",
        statuses(&answers)
    );
    assert_eq!(count_status(&answers, StatusCode::CONFLICT), 19);
    assert!(
        answers
            .iter()
            .filter(|(status, _)| *status == StatusCode::CONFLICT)
            .all(|(_, page)| page.contains("already rated"))
    );
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM surveys WHERE answered_at IS NOT NULL"
        )
        .await,
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn asking_for_a_manager_twenty_times_at_once_asks_once() {
    let app = TestApp::spawn().await;
    let ticket = app.ticket("Plotter", "ana@example.com").await;
    let id = ticket["id"].as_i64().expect("id");
    let (cookie, csrf) = customer_session(&app, "ana@example.com").await;

    let client = browser();
    let answers = all_at_once(
        (0..20)
            .map(|_| {
                client
                    .post(app.url(&format!("/portal/tickets/{id}/manager")))
                    .header("cookie", &cookie)
                    .form(&[
                        ("reason", "A week without printing."),
                        ("csrf", csrf.as_str()),
                    ])
            })
            .collect(),
    )
    .await;

    assert_eq!(
        count_status(&answers, StatusCode::SEE_OTHER),
        20,
        "each is told their request is in: {:?}",
        statuses(&answers)
    );
    assert_eq!(count(&app, "SELECT COUNT(*) FROM escalations").await, 1);
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM events WHERE action = 'ticket.escalated'"
        )
        .await,
        1
    );
}

#[tokio::test]
async fn a_portal_session_ends_thirty_days_after_signing_in_however_busy() {
    let app = TestApp::spawn().await;
    app.ticket("Printer jams", "ines@example.com").await;
    let (cookie, _) = customer_session(&app, "ines@example.com").await;
    // Used every six days: never idle for the seven-day limit.
    for _ in 0..4 {
        app.advance(time::Duration::days(6)).await;
        assert_eq!(
            get(&app, &cookie, "/portal/my-data").await.0,
            StatusCode::OK
        );
    }
    // Six days and an hour later: within the idle limit, past thirty days from signing in.
    app.advance(time::Duration::days(6) + time::Duration::hours(1))
        .await;
    let (status, _) = get(&app, &cookie, "/portal/my-data").await;
    assert_eq!(
        status,
        StatusCode::SEE_OTHER,
        "30 days after signing in: sign in again"
    );
}

#[tokio::test]
async fn an_empty_portal_reply_comes_back_to_the_form_with_a_note() {
    let app = TestApp::spawn().await;
    let ticket = app.ticket("Scanner", "ana@example.com").await;
    let (cookie, csrf) = customer_session(&app, "ana@example.com").await;
    let (content_type, body) = multipart(&[("csrf", &csrf), ("body", "  \n ")], &[]);
    let path = format!("/portal/tickets/{}", ticket["id"]);
    let response = browser()
        .post(app.url(&format!("{path}/reply")))
        .header("cookie", &cookie)
        .header("content-type", &content_type)
        .body(body)
        .send()
        .await
        .expect("answer");
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let location = response.headers()["location"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(location.starts_with(&path), "{location}");
    let (status, page) = get(
        &app,
        &cookie,
        location.split('#').next().unwrap_or_default(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("Your reply was empty, so nothing was sent"),
        "{page}"
    );
    let (_, detail) = app.api().get(&path.replace("/portal/", "/api/v1/")).await;
    assert_eq!(
        detail["messages"].as_array().map(Vec::len),
        Some(1),
        "nothing added"
    );
}

#[tokio::test]
async fn customers_see_of_staff_what_the_workspace_publishes() {
    let app = TestApp::spawn().await;
    let (priya, _) = app
        .agent("priya@rapport.test", Role::Supervisor, None)
        .await;
    let (sam, _) = app
        .agent("sam@rapport.test", Role::Agent, Some("priya@rapport.test"))
        .await;
    for (id, title, phone) in [
        (sam.id, "Customer care", "+44 20 7946 0001"),
        (priya.id, "Customer care lead", "+44 20 7946 0002"),
    ] {
        let (status, body) = app
            .api()
            .patch(
                &format!("/api/v1/agents/{id}"),
                json!({"title": title, "phone": phone}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["title"], title);
    }
    let (status, body) = app
        .api()
        .patch(
            &format!("/api/v1/agents/{}", sam.id),
            json!({"phone": "call me maybe"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(crate::helpers::error_message(&body).contains("is not a phone number"));

    let id = app.ticket("Plotter", "ana@example.com").await["id"]
        .as_i64()
        .expect("id");
    app.api()
        .patch(
            &format!("/api/v1/tickets/{id}"),
            json!({"assignee_id": sam.id}),
        )
        .await;
    let (cookie, _) = customer_session(&app, "ana@example.com").await;
    let page = get(&app, &cookie, &format!("/portal/tickets/{id}")).await.1;
    assert!(page.contains("Sam") || page.contains("sam@rapport.test"));
    assert!(page.contains("Customer care lead"), "titles by default");
    assert!(!page.contains("7946"), "no phone numbers by default");

    app.api()
        .patch(
            "/api/v1/settings",
            json!({"publish_staff_phones": true, "publish_staff_titles": false}),
        )
        .await;
    let page = get(&app, &cookie, &format!("/portal/tickets/{id}")).await.1;
    assert!(page.contains("tel:+44 20 7946 0001") && page.contains("+44 20 7946 0002"));
    assert!(!page.contains("Customer care lead"));

    app.api()
        .patch("/api/v1/settings", json!({"publish_staff_names": false}))
        .await;
    let page = get(&app, &cookie, &format!("/portal/tickets/{id}")).await.1;
    assert!(
        page.contains("Your support agent") && page.contains("Their manager"),
        "{page}"
    );
    assert!(
        !page.contains("sam@rapport.test") && !page.contains("priya@rapport.test"),
        "no names or addresses"
    );
}

#[tokio::test]
async fn a_sign_in_link_lasts_as_long_as_the_workspace_says() {
    let app = TestApp::spawn().await;
    app.ticket("Plotter", "ana@example.com").await;
    let (status, _) = app
        .api()
        .patch("/api/v1/settings", json!({"portal_link_minutes": 5}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = ask_for_link(&app, "ana@example.com").await;
    assert_eq!(status, StatusCode::OK);
    let payload: String = sqlx::query_scalar(
        "SELECT payload FROM jobs WHERE kind = 'email.notice' ORDER BY id DESC LIMIT 1",
    )
    .fetch_one(app.app.store.pool())
    .await
    .expect("the mail");
    assert!(payload.contains("5 minutes"), "{payload}");
    let token = link_token(&app).await.expect("a link");
    app.advance(time::Duration::minutes(6)).await;
    let response = use_link(&app, &token).await;
    assert_ne!(response.status(), StatusCode::SEE_OTHER, "expired");
}

/// The portal page of a request as its customer sees it (signing them in first).
pub async fn ticket_page_of(app: &TestApp, email: &str, ticket: i64) -> String {
    let (cookie, _) = customer_session(app, email).await;
    get(app, &cookie, &format!("/portal/tickets/{ticket}"))
        .await
        .1
}

/// A plain reply while "did this fix it?" is asked: the customer's words answer it when they
/// are clear, and otherwise the question stays on the page.
#[tokio::test]
async fn a_reply_to_a_proposed_fix_answers_it_only_when_the_words_are_clear() {
    let app = TestApp::spawn().await;
    let (cookie, csrf) = {
        app.ticket("First", "ana@example.com").await;
        customer_session(&app, "ana@example.com").await
    };
    for (words, problem, flash) in [
        (
            "That fixed it, thanks!",
            "resolved",
            "We read that it is fixed",
        ),
        (
            "It is still broken.",
            "open",
            "We read that it is not fixed yet",
        ),
        (
            "Thanks, I will try it tomorrow.",
            "resolution_proposed",
            "answer the question below",
        ),
    ] {
        let ticket = app.ticket("Plotter", "ana@example.com").await;
        let id = ticket["id"].as_i64().expect("id");
        let (status, _) = app
            .api()
            .post(
                &format!("/api/v1/tickets/{id}/state"),
                json!({"action": "propose_resolution"}),
            )
            .await;
        assert_eq!(status, StatusCode::OK);

        let (content_type, body) = multipart(&[("csrf", &csrf), ("body", words)], &[]);
        let response = browser()
            .post(app.url(&format!("/portal/tickets/{id}/reply")))
            .header("cookie", &cookie)
            .header("content-type", &content_type)
            .body(body)
            .send()
            .await
            .expect("answer");

        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{words}");
        let location = response.headers()["location"]
            .to_str()
            .expect("ascii")
            .to_owned();
        let (_, detail) = app.api().get(&format!("/api/v1/tickets/{id}")).await;
        assert_eq!(detail["problem"], problem, "{words}");
        assert_eq!(detail["conversation"], "waiting_on_us", "{words}");
        let messages = detail["messages"].as_array().expect("messages");
        assert_eq!(
            messages.last().and_then(|m| m["text"].as_str()),
            Some(words),
            "their words are on the ticket"
        );
        let (_, page) = get(&app, &cookie, &location).await;
        assert!(page.contains(flash), "{words}: {page}");
        assert_eq!(
            page.contains("Did this fix it?"),
            problem == "resolution_proposed",
            "{words}: the question stays only while it is unanswered"
        );
    }
}

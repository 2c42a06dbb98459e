//! Running the team: invitations and password resets by single-use links, changing agents and
//! teams, deactivating an agent with everything they carry handed over, the first admin made
//! in the browser, and the `/admin` pages.

use crate::helpers::{
    TestApp, TestDatabase, all_at_once, browser, count_status, error_code, form_token, get_page,
    post_form,
};
use crate::workspace::signed_in;
use rapport_domain::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

const PASSWORD: &str = "marmalade under the lighthouse";

/// The link in the newest mail to `to` without a ticket (an invitation, a reset) that
/// contains `prefix`, as the token after it.
pub async fn mailed_link(app: &TestApp, to: &str, prefix: &str) -> String {
    let payloads: Vec<String> =
        sqlx::query_scalar("SELECT payload FROM jobs WHERE kind = 'email.notice' ORDER BY id DESC")
            .fetch_all(app.app.store.pool())
            .await
            .expect("jobs");
    for payload in payloads {
        let payload: Value = serde_json::from_str(&payload).expect("json");
        if payload["to"] != to {
            continue;
        }
        let text = payload["text"].as_str().expect("text");
        if let Some(at) = text.find(prefix) {
            return text[at + prefix.len()..]
                .chars()
                .take_while(char::is_ascii_alphanumeric)
                .collect();
        }
    }
    panic!("no mail to {to} with a {prefix} link was queued")
}

async fn notices(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE kind = 'email.notice'")
        .fetch_one(app.app.store.pool())
        .await
        .expect("count")
}

/// Chooses a password through a link, as a browser that opened it: the answer.
async fn choose_password(
    app: &TestApp,
    token: &str,
    password: &str,
    repeat: &str,
) -> reqwest::Response {
    let path = format!("/password/{token}");
    // Any page before sign-in gives the browser its form token (a used link's page has no form).
    let (cookie, form) = form_token(app, "/password/forgot").await;
    browser()
        .post(app.url(&path))
        .header("cookie", cookie)
        .form(&[("password", password), ("repeat", repeat), ("csrf", &form)])
        .send()
        .await
        .expect("answer")
}

fn session_cookie(response: &reqwest::Response) -> String {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find(|value| value.starts_with("rapport_session="))
        .and_then(|value| value.split(';').next())
        .expect("a session cookie")
        .to_owned()
}

#[tokio::test]
async fn an_invited_agent_chooses_a_password_through_the_link_once_and_is_on_their_team() {
    let app = TestApp::spawn().await;
    let api = app.api();
    let (status, team) = api.post("/api/v1/teams", json!({"name": "Support"})).await;
    assert_eq!(status, 201, "{team}");
    let (status, boss) = api
        .post(
            "/api/v1/agents",
            json!({"email": "priya@rapport.test", "name": "Priya Patel", "role": "supervisor"}),
        )
        .await;
    assert_eq!(status, 201, "{boss}");
    let (status, invited) = api
        .post(
            "/api/v1/agents",
            json!({"email": "Noor@Rapport.test", "name": "Noor Haddad", "reports_to_id": boss["id"], "team_ids": [team["id"]]}),
        )
        .await;
    assert_eq!(status, 201, "{invited}");
    assert_eq!(invited["email"], "noor@rapport.test");
    assert_eq!(invited["role"], "agent");
    assert_eq!(invited["reports_to"], boss["id"]);

    // Until the link is used nobody can sign in as them.
    let (status, _) = app
        .api_as(None)
        .post(
            "/api/v1/session",
            json!({"email": "noor@rapport.test", "password": PASSWORD}),
        )
        .await;
    assert_eq!(status, 401);

    let token = mailed_link(&app, "noor@rapport.test", "/password/").await;
    let (status, page) = get_page(&app, "", &format!("/password/{token}")).await;
    assert_eq!(status, 200);
    assert!(page.contains("Welcome, Noor Haddad"), "{page}");

    let mismatch = choose_password(&app, &token, PASSWORD, "something else entirely").await;
    assert_eq!(mismatch.status(), 422);
    assert!(
        mismatch
            .text()
            .await
            .expect("as the test set it up")
            .contains("not the same")
    );
    let weak = choose_password(&app, &token, "aaaaaaaaaaaa", "aaaaaaaaaaaa").await;
    assert_eq!(weak.status(), 422);

    let chosen = choose_password(&app, &token, PASSWORD, PASSWORD).await;
    assert_eq!(chosen.status(), 303);
    assert_eq!(chosen.headers()["location"], "/");
    let cookie = session_cookie(&chosen);
    let (status, inbox) = get_page(&app, &cookie, "/").await;
    assert_eq!(status, 200);
    assert!(inbox.contains("Noor Haddad"));

    let again = choose_password(&app, &token, PASSWORD, PASSWORD).await;
    assert_eq!(again.status(), 410);
    assert!(
        again
            .text()
            .await
            .expect("as the test set it up")
            .contains("already been used")
    );

    let (status, teams) = api.get("/api/v1/teams").await;
    assert_eq!(status, 200);
    assert_eq!(teams["items"][0]["member_ids"], json!([invited["id"]]));
    let (status, signed) = app
        .api_as(None)
        .post(
            "/api/v1/session",
            json!({"email": "noor@rapport.test", "password": PASSWORD}),
        )
        .await;
    assert_eq!(status, 200, "{signed}");
    let (_, audit) = api.get("/api/v1/audit?action=agent.").await;
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .expect("as the test set it up")
        .iter()
        .map(|event| event["action"].as_str().expect("as the test set it up"))
        .collect();
    assert!(actions.contains(&"agent.invited"), "{actions:?}");
    assert!(actions.contains(&"agent.password_set"), "{actions:?}");
}

#[tokio::test]
async fn an_invitation_pressed_twenty_times_at_once_sets_one_password() {
    let app = TestApp::spawn().await;
    let (status, _) = app
        .api()
        .post(
            "/api/v1/agents",
            json!({"email": "noor@rapport.test", "name": "Noor"}),
        )
        .await;
    assert_eq!(status, 201);
    let token = mailed_link(&app, "noor@rapport.test", "/password/").await;
    let path = format!("/password/{token}");
    let (cookie, form) = form_token(&app, &path).await;
    let requests = (0..20)
        .map(|i| {
            let password = format!("{PASSWORD} {i}");
            browser()
                .post(app.url(&path))
                .header("cookie", cookie.clone())
                .form(&[
                    ("password", password.as_str()),
                    ("repeat", password.as_str()),
                    ("csrf", form.as_str()),
                ])
        })
        .collect();
    let answers = all_at_once(requests).await;
    assert_eq!(
        count_status(&answers, StatusCode::SEE_OTHER),
        1,
        "{answers:?}"
    );
    assert_eq!(count_status(&answers, StatusCode::GONE), 19);
    let set: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM events WHERE action = 'agent.password_set'")
            .fetch_one(app.app.store.pool())
            .await
            .expect("as the test set it up");
    assert_eq!(set, 1);
}

#[tokio::test]
async fn a_forgotten_password_is_reset_by_a_mailed_link_that_signs_out_everywhere_else() {
    let app = TestApp::spawn().await;
    let (_, old_cookie, _) = signed_in(&app, "sam@rapport.test", Role::Agent).await;
    let ask = |email: &'static str| {
        let app = &app;
        async move {
            let (cookie, form) = form_token(app, "/password/forgot").await;
            let response = browser()
                .post(app.url("/password/forgot"))
                .header("cookie", cookie)
                .form(&[("email", email), ("csrf", form.as_str())])
                .send()
                .await
                .expect("answer");
            (response.status(), response.text().await.expect("text"))
        }
    };
    let before = notices(&app).await;
    let (status, stranger) = ask("nobody@example.com").await;
    assert_eq!(status, 200);
    assert_eq!(
        notices(&app).await,
        before,
        "a stranger's address gets no mail"
    );
    let (status, known) = ask("sam@rapport.test").await;
    assert_eq!(status, 200);
    assert_eq!(notices(&app).await, before + 1);
    // The page says the same either way, apart from the address itself.
    assert_eq!(
        stranger.replace("nobody@example.com", "X"),
        known.replace("sam@rapport.test", "X")
    );
    let (status, page) = ask("not an address").await;
    assert_eq!(status, 422);
    assert!(page.contains("not an email address"));
    // At most three links an hour.
    for _ in 0..4 {
        ask("sam@rapport.test").await;
    }
    assert_eq!(notices(&app).await, before + 3);

    let token = mailed_link(&app, "sam@rapport.test", "/password/").await;
    let (status, page) = get_page(&app, "", &format!("/password/{token}")).await;
    assert_eq!(status, 200);
    assert!(page.contains("Choose a new password"), "{page}");
    let chosen = choose_password(&app, &token, PASSWORD, PASSWORD).await;
    assert_eq!(chosen.status(), 303);
    let (status, _) = get_page(&app, &old_cookie, "/").await;
    assert_eq!(status, 303, "the old session ended");
    let (status, _) = get_page(&app, &session_cookie(&chosen), "/").await;
    assert_eq!(status, 200);

    // An unused link from the same hour no longer works either, and a made-up one is not ours.
    let (status, _) = get_page(&app, "", "/password/notatokenatall").await;
    assert_eq!(status, 404);
    let (status, page) = get_page(&app, "", "/password/..%2F..%2Fetc").await;
    assert_eq!(status, 404, "{page}");
}

#[tokio::test]
async fn a_reset_link_expires_after_an_hour() {
    let app = TestApp::spawn().await;
    signed_in(&app, "sam@rapport.test", Role::Agent).await;
    app.app
        .store
        .send_password_reset("sam@rapport.test")
        .await
        .expect("sent");
    let token = mailed_link(&app, "sam@rapport.test", "/password/").await;
    app.advance(time::Duration::minutes(61)).await;
    let (status, page) = get_page(&app, "", &format!("/password/{token}")).await;
    assert_eq!(status, 410);
    assert!(page.contains("expired"), "{page}");
    let late = choose_password(&app, &token, PASSWORD, PASSWORD).await;
    assert_eq!(late.status(), 410);
}

#[tokio::test]
async fn an_admin_changes_an_agents_name_role_teams_and_supervisor_within_the_rules() {
    let app = TestApp::spawn().await;
    let api = app.api();
    let (boss, _) = app.agent("boss@rapport.test", Role::Supervisor, None).await;
    let (sam, sam_token) = app
        .agent("sam@rapport.test", Role::Agent, Some("boss@rapport.test"))
        .await;
    let (status, team) = api.post("/api/v1/teams", json!({"name": "Support"})).await;
    assert_eq!(status, 201);
    let path = format!("/api/v1/agents/{}", sam.id);
    let (status, changed) = api
        .patch(
            &path,
            json!({"name": "Sam Rivera", "role": "supervisor", "team_ids": [team["id"]], "reports_to_id": null}),
        )
        .await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(changed["name"], "Sam Rivera");
    assert_eq!(changed["role"], "supervisor");
    assert_eq!(changed["reports_to"], Value::Null);

    // The boss cannot come to report to Sam's report: no circles.
    let (status, _) = api.patch(&path, json!({"reports_to_id": boss.id})).await;
    assert_eq!(status, 200);
    let (status, body) = api
        .patch(
            &format!("/api/v1/agents/{}", boss.id),
            json!({"reports_to_id": sam.id}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert!(crate::helpers::error_message(&body).contains("circle"));
    let (status, body) = api.patch(&path, json!({"reports_to_id": sam.id})).await;
    assert_eq!(status, 422, "{body}");
    // Bad input says what is wrong.
    for bad in [
        json!({"name": " "}),
        json!({"team_ids": [999]}),
        json!({"reports_to_id": 999}),
        json!({"role": "overlord"}),
        json!({"colour": "blue"}),
    ] {
        let (status, body) = api.patch(&path, bad.clone()).await;
        assert!(status == 422 || status == 400, "{bad}: {status} {body}");
    }
    // The only admin cannot step down; with a second admin they can.
    let (status, body) = api
        .patch(
            &format!("/api/v1/agents/{}", app.admin.id),
            json!({"role": "agent"}),
        )
        .await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(error_code(&body), "last_admin");
    // Only admins change agents.
    let (status, _) = app
        .api_as(Some(&sam_token))
        .patch(&path, json!({"role": "admin"}))
        .await;
    assert_eq!(status, 403);
    let (status, _) = api
        .patch("/api/v1/agents/99999", json!({"name": "X"}))
        .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn teams_are_renamed_restricted_and_given_members() {
    let app = TestApp::spawn().await;
    let api = app.api();
    let (sam, sam_token) = app.agent("sam@rapport.test", Role::Agent, None).await;
    let (status, team) = api.post("/api/v1/teams", json!({"name": "Support"})).await;
    assert_eq!(status, 201);
    let (status, other) = api.post("/api/v1/teams", json!({"name": "Billing"})).await;
    assert_eq!(status, 201);
    let path = format!("/api/v1/teams/{}", team["id"]);
    let (status, changed) = api
        .patch(
            &path,
            json!({"name": "Legal", "restricted": true, "member_ids": [sam.id, sam.id]}),
        )
        .await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(changed["name"], "Legal");
    assert_eq!(changed["restricted"], true);
    assert_eq!(changed["member_ids"], json!([sam.id]));
    let (status, body) = api
        .patch(
            &format!("/api/v1/teams/{}", other["id"]),
            json!({"name": "Legal"}),
        )
        .await;
    assert_eq!(status, 409, "{body}");
    let (status, _) = api.patch(&path, json!({"member_ids": [424242]})).await;
    assert_eq!(status, 422);
    let (status, _) = app
        .api_as(Some(&sam_token))
        .patch(&path, json!({"name": "Mine"}))
        .await;
    assert_eq!(status, 403);
    let (status, _) = api
        .patch("/api/v1/teams/999", json!({"name": "Ghost"}))
        .await;
    assert_eq!(status, 404);
}

/// An agent who carries a bit of everything.
struct Leaver {
    id: i64,
    token: String,
    open_ticket: i64,
    resolved_ticket: i64,
    customer_id: i64,
    organization_id: i64,
    report_id: i64,
}

async fn leaver_with_work(app: &TestApp, boss: Option<&str>) -> Leaver {
    let api = app.api();
    let (leaver, token) = app.agent("lee@rapport.test", Role::Supervisor, boss).await;
    let (report, _) = app
        .agent("rey@rapport.test", Role::Agent, Some("lee@rapport.test"))
        .await;
    let open = app.ticket("Printer jams", "ana@example.com").await;
    let open_ticket = open["id"].as_i64().expect("as the test set it up");
    let customer_id = open["customer_id"].as_i64().expect("as the test set it up");
    let resolved = app.ticket("Old question", "bo@example.com").await;
    let resolved_ticket = resolved["id"].as_i64().expect("as the test set it up");
    for id in [open_ticket, resolved_ticket] {
        let (status, body) = api
            .patch(
                &format!("/api/v1/tickets/{id}"),
                json!({"assignee_id": leaver.id}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
    }
    let (status, body) = api
        .post(
            &format!("/api/v1/tickets/{resolved_ticket}/state"),
            json!({"action": "propose_resolution"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    app.app
        .store
        .move_ticket(
            resolved_ticket,
            rapport_domain::ticket::TicketMove::ConfirmResolution,
            rapport_domain::Actor::Customer(
                resolved["customer_id"]
                    .as_i64()
                    .expect("as the test set it up"),
            ),
        )
        .await
        .expect("resolved");
    let (status, org) = api
        .post("/api/v1/organizations", json!({"name": "Harbor Pine"}))
        .await;
    assert_eq!(status, 201, "{org}");
    let organization_id = org["id"].as_i64().expect("as the test set it up");
    for path in [
        format!("/api/v1/customers/{customer_id}"),
        format!("/api/v1/organizations/{organization_id}"),
    ] {
        let (status, body) = api.patch(&path, json!({"owner_id": leaver.id})).await;
        assert_eq!(status, 200, "{path}: {body}");
    }
    let (status, body) = app
        .api_as(Some(&token))
        .post(
            "/api/v1/promises",
            json!({"ticket_id": open_ticket, "kind": "other", "what": "Send the driver", "due_at": "2026-11-25T10:00:00Z"}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    Leaver {
        id: leaver.id,
        token,
        open_ticket,
        resolved_ticket,
        customer_id,
        organization_id,
        report_id: report.id,
    }
}

#[tokio::test]
async fn deactivating_an_agent_hands_everything_open_to_someone_and_history_keeps_their_name() {
    let app = TestApp::spawn().await;
    let api = app.api();
    app.agent("top@rapport.test", Role::Supervisor, None).await;
    let lee = leaver_with_work(&app, Some("top@rapport.test")).await;
    let (kim, kim_token) = app.agent("kim@rapport.test", Role::Agent, None).await;
    // A task of Lee's, as the lifecycle makes them.
    sqlx::query(
        "INSERT INTO tasks (agent_id, kind, ticket_id, title, detail, due_at, created_at) VALUES ($1, 'check_in', $2, 'Check in', '', $3, $3)",
    )
    .bind(lee.id)
    .bind(lee.open_ticket)
    .bind(rapport_store::clock::format(crate::helpers::START))
    .execute(app.app.store.pool())
    .await
    .expect("as the test set it up");

    let work_path = format!("/api/v1/agents/{}/work", lee.id);
    let (status, work) = api.get(&work_path).await;
    assert_eq!(status, 200, "{work}");
    assert_eq!(
        work["tickets"]
            .as_array()
            .expect("as the test set it up")
            .len(),
        1,
        "only the open ticket: {work}"
    );
    assert_eq!(work["tickets"][0]["id"], lee.open_ticket);
    assert_eq!(work["customers"][0]["id"], lee.customer_id);
    assert_eq!(work["organizations"][0]["id"], lee.organization_id);
    assert_eq!(work["promises"][0]["label"], "Send the driver");
    assert_eq!(work["tasks"][0]["label"], "Check in");
    assert_eq!(work["reports"][0]["id"], lee.report_id);

    let path = format!("/api/v1/agents/{}/deactivate", lee.id);
    let (status, body) = api
        .post(&path, json!({"hand_to_id": kim.id, "note": "  "}))
        .await;
    assert_eq!(status, 422, "a hand-over needs a note: {body}");
    let (status, body) = api
        .post(&path, json!({"hand_to_id": lee.id, "note": "x"}))
        .await;
    assert_eq!(status, 422, "{body}");
    let (status, _) = app
        .api_as(Some(&kim_token))
        .post(&path, json!({"hand_to_id": kim.id, "note": "Mine now."}))
        .await;
    assert_eq!(status, 403);
    let (status, moved) = api
        .post(
            &path,
            json!({"hand_to_id": kim.id, "note": "Ana waits for the driver."}),
        )
        .await;
    assert_eq!(status, 200, "{moved}");
    assert_eq!(moved, work);

    // Nothing is left with Lee; everything open is Kim's.
    let (_, ticket) = api
        .get(&format!("/api/v1/tickets/{}", lee.open_ticket))
        .await;
    assert_eq!(ticket["assignee_id"], kim.id, "{ticket}");
    let (_, customer) = api
        .get(&format!("/api/v1/customers/{}", lee.customer_id))
        .await;
    assert_eq!(customer["owner_id"], kim.id, "{customer}");
    let (_, org) = api
        .get(&format!("/api/v1/organizations/{}", lee.organization_id))
        .await;
    assert_eq!(org["owner_id"], kim.id, "{org}");
    let (_, promises) = api
        .get(&format!("/api/v1/customers/{}/promises", lee.customer_id))
        .await;
    assert_eq!(promises["items"][0]["agent_id"], kim.id, "{promises}");
    let (_, tasks) = api
        .get(&format!("/api/v1/tasks?agent_id={}&due=all", kim.id))
        .await;
    assert_eq!(
        tasks["items"]
            .as_array()
            .expect("as the test set it up")
            .len(),
        1,
        "{tasks}"
    );
    let (_, left) = api.get(&format!("/api/v1/agents/{}/work", kim.id)).await;
    assert_eq!(left["tickets"][0]["id"], lee.open_ticket);
    let (_, agents) = api.get("/api/v1/agents").await;
    let agents = agents["items"].as_array().expect("as the test set it up");
    assert!(
        agents.iter().all(|a| a["id"] != lee.id),
        "Lee is no longer listed"
    );
    let rey = agents
        .iter()
        .find(|a| a["id"] == lee.report_id)
        .expect("as the test set it up");
    let top = agents
        .iter()
        .find(|a| a["email"] == "top@rapport.test")
        .expect("as the test set it up");
    assert_eq!(
        rey["reports_to"], top["id"],
        "Lee's report moves up to Lee's boss"
    );

    // The settled ticket keeps its history: Lee handled it.
    let (_, resolved) = api
        .get(&format!("/api/v1/tickets/{}", lee.resolved_ticket))
        .await;
    assert_eq!(resolved["assignee_id"], lee.id, "{resolved}");
    let (_, events) = api
        .get(&format!("/api/v1/tickets/{}/events", lee.open_ticket))
        .await;
    assert!(
        events.to_string().contains("ticket.handed_over"),
        "{events}"
    );
    assert!(events.to_string().contains("Ana waits for the driver."));

    // Lee's credentials stop working, and no new work can reach Lee.
    let (status, _) = app.api_as(Some(&lee.token)).get("/api/v1/agents/me").await;
    assert_eq!(status, 401);
    let (status, body) = api
        .patch(
            &format!("/api/v1/tickets/{}", lee.resolved_ticket),
            json!({"assignee_id": lee.id}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert!(crate::helpers::error_message(&body).contains("deactivated"));
    let (status, body) = api
        .post(&path, json!({"hand_to_id": kim.id, "note": "Again."}))
        .await;
    assert_eq!(status, 409, "{body}");
    let (status, body) = api
        .post(
            &format!("/api/v1/agents/{}/deactivate", kim.id),
            json!({"hand_to_id": lee.id, "note": "Back to Lee."}),
        )
        .await;
    assert_eq!(status, 422, "work cannot go to someone who left: {body}");
}

#[tokio::test]
async fn nobody_deactivates_themselves_and_the_last_admin_stays_even_when_two_try_at_once() {
    let app = TestApp::spawn().await;
    let api = app.api();
    let (status, body) = api
        .post(
            &format!("/api/v1/agents/{}/deactivate", app.admin.id),
            json!({"hand_to_id": app.admin.id, "note": "Bye."}),
        )
        .await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(error_code(&body), "deactivating_yourself");
    let (second, second_token) = app.agent("second@rapport.test", Role::Admin, None).await;
    // Each admin deactivates the other at the same moment: one of them must stay.
    let requests = vec![
        app.api_as(Some(&app.admin_token))
            .request(
                reqwest::Method::POST,
                &format!("/api/v1/agents/{}/deactivate", second.id),
            )
            .json(&json!({"hand_to_id": app.admin.id, "note": "Over to me."})),
        app.api_as(Some(&second_token))
            .request(
                reqwest::Method::POST,
                &format!("/api/v1/agents/{}/deactivate", app.admin.id),
            )
            .json(&json!({"hand_to_id": second.id, "note": "Over to me."})),
    ];
    let answers = all_at_once(requests).await;
    let admins: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM agents WHERE role = 'admin' AND deactivated_at IS NULL",
    )
    .fetch_one(app.app.store.pool())
    .await
    .expect("as the test set it up");
    assert_eq!(admins, 1, "{answers:?}");
    assert_eq!(count_status(&answers, StatusCode::OK), 1, "{answers:?}");
}

#[tokio::test]
async fn the_first_admin_is_made_in_the_browser_once_however_many_try_at_once() {
    let db = TestDatabase::create().await;
    let app = rapport::App::build_with_clock(
        db.config(),
        rapport_store::clock::Clock::manual(crate::helpers::START),
    )
    .await
    .expect("app");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("as the test set it up");
    let base = format!(
        "http://{}",
        listener.local_addr().expect("as the test set it up")
    );
    tokio::spawn(rapport::serve(
        listener,
        app.clone(),
        std::future::pending(),
    ));
    let client = browser();

    let page = client
        .get(format!("{base}/sign-in"))
        .send()
        .await
        .expect("as the test set it up");
    assert!(
        page.text()
            .await
            .expect("as the test set it up")
            .contains("href=\"/setup\"")
    );
    let response = client
        .get(format!("{base}/setup"))
        .send()
        .await
        .expect("as the test set it up");
    assert_eq!(response.status(), 200);
    let cookie = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("rapport_form="))
        .and_then(|v| v.split(';').next())
        .expect("as the test set it up")
        .to_owned();
    let page = response.text().await.expect("as the test set it up");
    let at = page
        .find("name=\"csrf\" value=\"")
        .expect("as the test set it up")
        + 19;
    let form = page[at..]
        .split('"')
        .next()
        .expect("as the test set it up")
        .to_owned();

    let weak = client
        .post(format!("{base}/setup"))
        .header("cookie", &cookie)
        .form(&[
            ("name", "Maya"),
            ("email", "maya@example.com"),
            ("password", "password123"),
            ("repeat", "password123"),
            ("csrf", &form),
        ])
        .send()
        .await
        .expect("as the test set it up");
    assert_eq!(weak.status(), 422);
    assert!(
        weak.text()
            .await
            .expect("as the test set it up")
            .contains("Please check the form")
    );

    let requests = (0..10)
        .map(|i| {
            client
                .post(format!("{base}/setup"))
                .header("cookie", &cookie)
                .form(&[
                    ("name", format!("Admin {i}")),
                    ("email", format!("admin{i}@example.com")),
                    ("password", PASSWORD.to_owned()),
                    ("repeat", PASSWORD.to_owned()),
                    ("csrf", form.clone()),
                ])
        })
        .collect();
    let answers = all_at_once(requests).await;
    assert_eq!(count_status(&answers, StatusCode::SEE_OTHER), 10);
    assert_eq!(
        app.store
            .agent_count()
            .await
            .expect("as the test set it up"),
        1,
        "exactly one admin"
    );
    let admin = &app.store.agents().await.expect("as the test set it up")[0];
    assert_eq!(admin.role, Role::Admin);
    let response = client
        .get(format!("{base}/setup"))
        .send()
        .await
        .expect("as the test set it up");
    assert_eq!(response.status(), 303, "first run is over");
}

#[tokio::test]
async fn the_admin_pages_invite_change_and_deactivate_and_say_what_went_wrong() {
    let app = TestApp::spawn().await;
    let (_, cookie, csrf) = signed_in(&app, "maya@rapport.test", Role::Admin).await;
    let (_, agent_cookie, _) = signed_in(&app, "sam@rapport.test", Role::Agent).await;
    let (status, page) = get_page(&app, &agent_cookie, "/admin/agents").await;
    assert_eq!(status, 403);
    assert!(page.contains("for admins"));
    let (_, inbox) = get_page(&app, &agent_cookie, "/").await;
    assert!(
        !inbox.contains("href=\"/admin\""),
        "no admin link for agents"
    );
    let (_, inbox) = get_page(&app, &cookie, "/").await;
    assert!(inbox.contains("href=\"/admin\""));

    let (status, location) = post_form(
        &app,
        &cookie,
        "/admin/teams",
        &[("name", "Support"), ("csrf", &csrf)],
    )
    .await;
    assert_eq!(status, 303, "{location}");
    let (_, teams) = app.api().get("/api/v1/teams").await;
    let team_id = teams["items"][0]["id"]
        .as_i64()
        .expect("as the test set it up")
        .to_string();

    let (status, location) = post_form(
        &app,
        &cookie,
        "/admin/agents",
        &[
            ("name", "Noor Haddad"),
            ("email", "noor@rapport.test"),
            ("role", "agent"),
            ("reports_to", ""),
            ("team_ids", &team_id),
            ("csrf", &csrf),
        ],
    )
    .await;
    assert_eq!(status, 303, "{location}");
    let (_, page) = get_page(&app, &cookie, &location).await;
    assert!(page.contains("Invited Noor Haddad"), "{page}");
    assert!(page.contains("invited"));
    // The same address again: the form comes back with the reason and what was typed.
    let (status, page) = post_form(
        &app,
        &cookie,
        "/admin/agents",
        &[
            ("name", "Noor Again"),
            ("email", "noor@rapport.test"),
            ("role", "agent"),
            ("csrf", &csrf),
        ],
    )
    .await;
    assert_eq!(status, 409);
    assert!(page.contains("already exists"), "{page}");
    assert!(page.contains("value=\"Noor Again\""));
    let (status, page) = post_form(
        &app,
        &cookie,
        "/admin/agents",
        &[
            ("name", "X"),
            ("email", "x@rapport.test"),
            ("role", "emperor"),
            ("csrf", &csrf),
        ],
    )
    .await;
    assert_eq!(status, 422, "{page}");

    let (_, agents) = app.api().get("/api/v1/agents").await;
    let noor = agents["items"]
        .as_array()
        .expect("as the test set it up")
        .iter()
        .find(|a| a["email"] == "noor@rapport.test")
        .expect("as the test set it up")["id"]
        .as_i64()
        .expect("as the test set it up");
    let noor_page = format!("/admin/agents/{noor}");
    let (status, page) = get_page(&app, &cookie, &noor_page).await;
    assert_eq!(status, 200);
    assert!(page.contains("Send a new invitation"));
    assert!(page.contains("They carry no open work"));
    let (status, location) = post_form(
        &app,
        &cookie,
        &format!("{noor_page}/invitation"),
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(status, 303, "{location}");
    let (status, location) = post_form(
        &app,
        &cookie,
        &noor_page,
        &[
            ("name", "Noor H."),
            ("role", "supervisor"),
            ("reports_to", ""),
            ("csrf", &csrf),
        ],
    )
    .await;
    assert_eq!(status, 303, "{location}");
    let (_, teams) = app.api().get("/api/v1/teams").await;
    assert_eq!(
        teams["items"][0]["member_ids"],
        json!([]),
        "unticked teams are left"
    );

    let (status, page) = post_form(
        &app,
        &cookie,
        &format!("{noor_page}/deactivate"),
        &[("hand_to", ""), ("note", "x"), ("csrf", &csrf)],
    )
    .await;
    assert_eq!(status, 422);
    assert!(page.contains("Choose who takes over"));
    let (status, location) = post_form(
        &app,
        &cookie,
        &format!("{noor_page}/deactivate"),
        &[
            ("hand_to", &app.admin.id.to_string()),
            ("note", "Nothing open."),
            ("csrf", &csrf),
        ],
    )
    .await;
    assert_eq!(status, 303, "{location}");
    let (_, page) = get_page(&app, &cookie, &location).await;
    assert!(page.contains("Deactivated"), "{page}");

    // Settings: words for a wrong value, and the change in the audit trail.
    let (status, page) = post_form(
        &app,
        &cookie,
        "/admin/settings",
        &[
            ("workspace_name", "Harbor Help"),
            ("waiting", "2, soon"),
            ("resolution", "3, 7"),
            ("csrf", &csrf),
        ],
    )
    .await;
    assert_eq!(status, 422);
    assert!(page.contains("“soon” is not a whole number"), "{page}");
    let (status, _) = post_form(
        &app,
        &cookie,
        "/admin/settings",
        &[
            ("workspace_name", "Harbor Help"),
            ("waiting", "1 3"),
            ("resolution", "3, 7"),
            ("csrf", &csrf),
        ],
    )
    .await;
    assert_eq!(status, 303);
    let (_, settings) = app.api().get("/api/v1/settings").await;
    assert_eq!(settings["workspace_name"], "Harbor Help");
    assert_eq!(settings["waiting_check_in_business_days"], json!([1, 3]));
    let (status, audit) = get_page(&app, &cookie, "/admin/audit?action=settings.").await;
    assert_eq!(status, 200);
    assert!(
        audit.contains("settings.updated") && audit.contains("Harbor Help"),
        "{audit}"
    );
    let (status, _) = get_page(&app, &cookie, "/admin/audit?action=drop%20table").await;
    assert_eq!(status, 400);
    let (_, audit) = get_page(&app, &cookie, "/admin/audit?action=agent.").await;
    assert!(audit.contains("agent.deactivated") && audit.contains("maya@rapport.test"));
}

#[tokio::test]
async fn an_admin_signs_an_agent_out_everywhere() {
    let app = TestApp::spawn().await;
    let (sam, old_cookie, _) = signed_in(&app, "sam@rapport.test", Role::Agent).await;
    let (_, admin_cookie, csrf) = signed_in(&app, "maya@rapport.test", Role::Admin).await;
    let (status, body) = app
        .api()
        .post(&format!("/api/v1/agents/{sam}/sessions/end"), json!({}))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["sessions_ended"], 1);
    let (status, _) = get_page(&app, &old_cookie, "/").await;
    assert_eq!(status, 303, "signed out");
    let (status, location) = post_form(
        &app,
        &admin_cookie,
        &format!("/admin/agents/{sam}/sign-out"),
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(status, 303, "{location}");
    let (status, _) = app
        .api()
        .post("/api/v1/agents/424242/sessions/end", json!({}))
        .await;
    assert_eq!(status, 404);
    let (_, audit) = app.api().get("/api/v1/audit?action=session.").await;
    assert!(
        audit.to_string().contains("session.ended_others"),
        "{audit}"
    );
}

//! A restricted team's tickets are for its members and admins: everything that names such a
//! ticket (the coach's context, promises, tasks, live updates) stays with them, and only they
//! may move a ticket into the team.

use crate::helpers::{TestApp, browser, error_code, error_message, get_page, post_form};
use crate::workspace::signed_in;
use rapport_domain::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};
use time::Duration;

/// A restricted team "Legal" with one member, and a ticket of Ana's in it.
struct Restricted {
    app: TestApp,
    team_id: i64,
    member_token: String,
    outsider_token: String,
    ticket: Value,
}

impl Restricted {
    async fn new() -> Restricted {
        let app = TestApp::spawn().await;
        let (member, member_token) = app.agent("lee@rapport.test", Role::Agent, None).await;
        let (_, outsider_token) = app.agent("kim@rapport.test", Role::Agent, None).await;
        let (status, team) = app
            .api()
            .post(
                "/api/v1/teams",
                json!({"name": "Legal", "member_ids": [member.id], "restricted": true}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{team}");
        let ticket = app
            .ticket("Subpoena for our records", "ana.secret@example.com")
            .await;
        let restricted = Restricted {
            team_id: team["id"].as_i64().expect("id"),
            app,
            member_token,
            outsider_token,
            ticket,
        };
        restricted.move_in().await;
        restricted
    }

    fn id(&self) -> i64 {
        self.ticket["id"].as_i64().expect("id")
    }

    fn customer_id(&self) -> i64 {
        self.ticket["customer_id"].as_i64().expect("customer id")
    }

    /// The admin moves the ticket into the team.
    async fn move_in(&self) {
        let (status, body) = self
            .app
            .api()
            .patch(
                &format!("/api/v1/tickets/{}", self.id()),
                json!({"team_id": self.team_id}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
}

#[tokio::test]
async fn the_coach_gives_a_restricted_tickets_words_only_to_those_who_may_read_them() {
    let world = Restricted::new().await;
    let app = &world.app;
    let review = json!({"text": "Thanks, we are on it.", "ticket_id": world.id()});

    let (outsider, body) = app
        .api_as(Some(&world.outsider_token))
        .post("/api/v1/coach/reply", review.clone())
        .await;
    let (member, _) = app
        .api_as(Some(&world.member_token))
        .post("/api/v1/coach/reply", review)
        .await;

    assert_eq!(outsider, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(error_code(&body), "forbidden");
    assert!(error_message(&body).contains("restricted team"), "{body}");
    assert!(!body.to_string().contains("ana.secret"), "{body}");
    assert_eq!(member, StatusCode::OK);
}

#[tokio::test]
async fn promises_on_a_restricted_ticket_are_made_seen_and_settled_by_its_team_only() {
    let world = Restricted::new().await;
    let app = &world.app;
    let outsider = app.api_as(Some(&world.outsider_token));
    let due = rapport_store::clock::format(crate::helpers::START + Duration::days(2));
    let promise = |what: &str, ticket_id: Value| json!({"ticket_id": ticket_id, "kind": "other", "what": what, "due_at": due});
    // Ana also has an ordinary ticket, which the outsider may work on.
    let open = app.ticket("Password reset", "ana.secret@example.com").await;
    assert_eq!(open["customer_id"], world.customer_id());

    let (made_by_outsider, refused) = outsider
        .post(
            "/api/v1/promises",
            promise("Outsider's promise", json!(world.id())),
        )
        .await;
    let (status, secret) = app
        .api_as(Some(&world.member_token))
        .post(
            "/api/v1/promises",
            promise("Send the sealed records", json!(world.id())),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{secret}");
    let (status, _) = outsider
        .post(
            "/api/v1/promises",
            promise("Reset it today", open["id"].clone()),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let list = format!("/api/v1/customers/{}/promises", world.customer_id());
    let (_, outsiders_list) = outsider.get(&list).await;
    let (_, members_list) = app.api_as(Some(&world.member_token)).get(&list).await;
    let (settled_by_outsider, settle_refused) = outsider
        .post(
            &format!("/api/v1/promises/{}/settle", secret["id"]),
            json!({"status": "kept"}),
        )
        .await;
    let (_, cookie, _) = signed_in(app, "pat@rapport.test", Role::Supervisor).await;
    let (_, customer_page) =
        get_page(app, &cookie, &format!("/customers/{}", world.customer_id())).await;
    let (_, other_ticket_page) = get_page(app, &cookie, &format!("/tickets/{}", open["id"])).await;

    assert_eq!(made_by_outsider, StatusCode::FORBIDDEN, "{refused}");
    assert!(error_message(&refused).contains("restricted team"));
    let whats = |list: &Value| -> Vec<String> {
        list["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|p| p["what"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    assert_eq!(whats(&outsiders_list), ["Reset it today"]);
    assert_eq!(
        whats(&members_list),
        ["Send the sealed records", "Reset it today"]
    );
    assert_eq!(
        settled_by_outsider,
        StatusCode::FORBIDDEN,
        "{settle_refused}"
    );
    let (_, still) = app.api().get(&list).await;
    assert!(
        still["items"]
            .as_array()
            .expect("items")
            .iter()
            .all(|p| p["status"] == "open")
    );
    assert!(
        customer_page.contains("Reset it today"),
        "the panel lists what may be seen"
    );
    assert!(
        !customer_page.contains("sealed records"),
        "the customer page's panel leaves the restricted promise out"
    );
    assert!(
        !other_ticket_page.contains("sealed records"),
        "so does the panel beside the customer's other tickets"
    );
}

#[tokio::test]
async fn only_members_and_admins_move_a_ticket_into_a_restricted_team() {
    let world = Restricted::new().await;
    let app = &world.app;
    let ticket = app.ticket("Contract question", "bo@example.com").await;
    let path = format!("/api/v1/tickets/{}", ticket["id"]);
    let (_, cookie, csrf) = signed_in(app, "pat@rapport.test", Role::Supervisor).await;

    let (by_outsider, refused) = app
        .api_as(Some(&world.outsider_token))
        .patch(&path, json!({"team_id": world.team_id}))
        .await;
    let team = world.team_id.to_string();
    let (by_form, form_page) = post_form(
        app,
        &cookie,
        &format!("/tickets/{}/assign", ticket["id"]),
        &[("assignee", ""), ("team", &team), ("csrf", &csrf)],
    )
    .await;
    let (_, unchanged) = app.api().get(&path).await;
    let (by_member, moved) = app
        .api_as(Some(&world.member_token))
        .patch(&path, json!({"team_id": world.team_id}))
        .await;

    assert_eq!(by_outsider, StatusCode::FORBIDDEN, "{refused}");
    assert!(
        error_message(&refused).contains("Legal is a restricted team"),
        "{refused}"
    );
    assert_eq!(by_form, StatusCode::FORBIDDEN, "{form_page}");
    assert!(
        form_page.contains("restricted team"),
        "the error page says why"
    );
    assert_eq!(unchanged["team_id"], Value::Null);
    assert_eq!(by_member, StatusCode::OK, "{moved}");
    assert_eq!(moved["team_id"], world.team_id);
}

#[tokio::test]
async fn tasks_and_due_promises_on_a_restricted_ticket_leave_the_lists_of_outsiders() {
    let app = TestApp::spawn().await;
    let (member, _) = app.agent("lee@rapport.test", Role::Agent, None).await;
    let (_, cookie, _) = signed_in(&app, "kim@rapport.test", Role::Agent).await;
    let outsider_token = {
        let kim = app
            .app
            .store
            .agent_by_email("kim@rapport.test")
            .await
            .expect("kim");
        app.agent_token(kim.id).await
    };
    let ticket = app
        .ticket("Subpoena for our records", "ana@example.com")
        .await;
    // The outsider promised something while the ticket was still open to everyone...
    let due = rapport_store::clock::format(crate::helpers::START + Duration::hours(3));
    let (status, _) = app
        .api_as(Some(&outsider_token))
        .post(
            "/api/v1/promises",
            json!({"ticket_id": ticket["id"], "kind": "other", "what": "Send the sealed records", "due_at": due}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    // ...and then it went to Legal; the reminder came as a task on that ticket.
    let (_, team) = app
        .api()
        .post(
            "/api/v1/teams",
            json!({"name": "Legal", "member_ids": [member.id], "restricted": true}),
        )
        .await;
    let (status, _) = app
        .api()
        .patch(
            &format!("/api/v1/tickets/{}", ticket["id"]),
            json!({"team_id": team["id"]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    app.advance(Duration::hours(2) + Duration::minutes(5)).await;
    let tasks = app
        .tasks_of(
            app.app
                .store
                .agent_by_email("kim@rapport.test")
                .await
                .expect("kim")
                .id,
        )
        .await;
    assert_eq!(tasks.len(), 1, "the reminder is there, on the ticket");
    assert_eq!(tasks[0].ticket_id, ticket["id"].as_i64());

    let (_, listed) = app
        .api_as(Some(&outsider_token))
        .get("/api/v1/tasks?due=all")
        .await;
    let (completed, refused) = app
        .api_as(Some(&outsider_token))
        .post(
            &format!("/api/v1/tasks/{}/complete", tasks[0].id),
            json!({"outcome": "done"}),
        )
        .await;
    let (_, tasks_page) = get_page(&app, &cookie, "/tasks").await;
    let (_, due_today) = get_page(&app, &cookie, "/?view=promises_due").await;

    assert_eq!(listed["items"], json!([]), "{listed}");
    assert_eq!(completed, StatusCode::FORBIDDEN, "{refused}");
    assert!(!tasks_page.contains("sealed records"), "{tasks_page}");
    assert!(!due_today.contains("sealed records"), "{due_today}");
}

#[tokio::test]
async fn live_updates_of_a_restricted_ticket_reach_only_its_team() {
    let world = Restricted::new().await;
    let app = &world.app;
    let (_, outsider_cookie, _) = signed_in(app, "pat@rapport.test", Role::Supervisor).await;
    let open = app.ticket("Password reset", "bo@example.com").await;
    let listen = |cookie: String| async move {
        let response = browser()
            .get(app.url("/live"))
            .header("cookie", cookie)
            .send()
            .await
            .expect("answer");
        assert_eq!(response.status(), StatusCode::OK);
        response
    };
    let mut outsider = listen(outsider_cookie).await;
    let mut admin_stream = {
        let (_, admin_cookie, _) = signed_in(app, "root@rapport.test", Role::Admin).await;
        listen(admin_cookie).await
    };

    // A change on the restricted ticket, then one on the open ticket.
    for id in [world.id(), open["id"].as_i64().expect("id")] {
        let (status, _) = app
            .api()
            .post(
                &format!("/api/v1/tickets/{id}/messages"),
                json!({"body": "Looking into it.", "visibility": "internal"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED);
    }

    // Events from before the streams opened may still arrive; these are the notes' own.
    let restricted = format!(
        "{{\"ticket_id\":{},\"action\":\"message.added\"}}",
        world.id()
    );
    let ordinary = format!(
        "{{\"ticket_id\":{},\"action\":\"message.added\"}}",
        open["id"]
    );
    let outsider_heard = read_until(&mut outsider, &ordinary).await;
    let admin_heard = read_until(&mut admin_stream, &ordinary).await;
    assert!(
        !outsider_heard.contains(&format!("\"ticket_id\":{},", world.id())),
        "the outsider hears only of the open ticket: {outsider_heard}"
    );
    assert!(
        admin_heard.contains(&restricted),
        "an admin hears of both: {admin_heard}"
    );
}

/// What a server-sent event stream says until `needle` (within 10 seconds).
async fn read_until(stream: &mut reqwest::Response, needle: &str) -> String {
    let mut heard = String::new();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    while !heard.contains(needle) {
        let chunk = tokio::time::timeout_at(deadline, stream.chunk())
            .await
            .unwrap_or_else(|_| panic!("{needle} arrives within seconds; heard {heard}"))
            .expect("read")
            .expect("the stream stays open");
        heard.push_str(&String::from_utf8_lossy(&chunk));
    }
    heard
}

#[tokio::test]
async fn who_is_on_a_ticket_stops_reaching_an_outsider_once_it_moves_into_a_restricted_team() {
    let world = Restricted::new().await;
    let app = &world.app;
    let (_, outsider_cookie, _) = signed_in(app, "pat@rapport.test", Role::Agent).await;
    let ticket = app.ticket("Contract dispute", "cy@example.com").await;
    let id = ticket["id"].as_i64().expect("id");
    let listen = |cookie: String| async move {
        let response = browser()
            .get(app.url(&format!("/live?ticket={id}")))
            .header("cookie", cookie)
            .send()
            .await
            .expect("answer");
        assert_eq!(response.status(), StatusCode::OK);
        response
    };
    // The outsider has the ticket open while it is still an ordinary one.
    let mut outsider = listen(outsider_cookie).await;
    read_until(&mut outsider, "pat@rapport.test").await;

    let (status, body) = app
        .api()
        .patch(
            &format!("/api/v1/tickets/{id}"),
            json!({"team_id": world.team_id}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, admin_cookie, _) = signed_in(app, "root@rapport.test", Role::Admin).await;
    let _admin = listen(admin_cookie).await;

    // Whatever the outsider's stream says from now on never names who else is there.
    let mut heard = String::new();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(3);
    while let Ok(Ok(Some(chunk))) = tokio::time::timeout_at(deadline, outsider.chunk()).await {
        heard.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(
        !heard.contains("root@rapport.test"),
        "the outsider was told who works on the restricted ticket: {heard}"
    );
}

//! An agent opens a ticket: for a customer who called (the call logged in the same step), by
//! writing to them first (our mail goes out), or as a note; in the API and from the workspace.

use crate::helpers::{TestApp, get_page, post_form};
use crate::workspace::signed_in;
use rapport_domain::Role;
use serde_json::{Value, json};

async fn calls_of(app: &TestApp, ticket_id: i64) -> Vec<(String, i64, String)> {
    sqlx::query_as::<_, (String, i64, String)>(
        "SELECT direction, duration_seconds, summary FROM calls WHERE ticket_id = $1",
    )
    .bind(ticket_id)
    .fetch_all(app.app.store.pool())
    .await
    .expect("calls")
}

async fn mails_queued(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE kind = 'email.send'")
        .fetch_one(app.app.store.pool())
        .await
        .expect("count")
}

#[tokio::test]
async fn a_phone_ticket_for_a_new_customer_logs_the_call_and_is_the_agents() {
    let app = TestApp::spawn().await;
    let (sam, token) = app.agent("sam@rapport.test", Role::Agent, None).await;
    let (status, body) = app
        .api_as(Some(&token))
        .post(
            "/api/v1/tickets",
            json!({
                "subject": "Router keeps rebooting",
                "body": "Every evening around eight the router restarts.",
                "customer": {"email": "lena@example.com", "name": "Lena Berg"},
                "opened_as": "phone",
                "call": {"duration_seconds": 420, "summary": "Walked through the logs together."},
                "priority": "high",
            }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["assignee_id"], sam.id);
    assert_eq!(body["channel"], "phone");
    assert_eq!(body["priority"], "high");
    let first = &body["messages"][0];
    assert_eq!(first["author"]["kind"], "customer", "{first}");
    assert_eq!(first["visibility"], "public");
    let ticket_id = body["id"].as_i64().expect("as the test set it up");
    assert_eq!(
        calls_of(&app, ticket_id).await,
        vec![(
            "inbound".to_owned(),
            420,
            "Walked through the logs together.".to_owned()
        )]
    );
    let (_, customers) = app
        .api()
        .get("/api/v1/customers?email=lena@example.com")
        .await;
    assert_eq!(customers["items"][0]["name"], "Lena Berg");
    let (_, events) = app
        .api()
        .get(&format!("/api/v1/tickets/{ticket_id}/events"))
        .await;
    let created = events["items"]
        .as_array()
        .expect("as the test set it up")
        .iter()
        .find(|e| e["action"] == "ticket.created")
        .cloned()
        .unwrap_or(Value::Null);
    assert_eq!(created["actor"]["id"], sam.id, "{events}");
}

#[tokio::test]
async fn a_ticket_we_open_by_writing_first_mails_the_customer_and_waits_on_them() {
    let app = TestApp::spawn().await;
    let (sam, token) = app.agent("sam@rapport.test", Role::Agent, None).await;
    let before = mails_queued(&app).await;
    let (status, body) = app
        .api_as(Some(&token))
        .post(
            "/api/v1/tickets",
            json!({
                "subject": "Your replacement part has shipped",
                "body": "Hello Lena, the part left our warehouse today; tracking follows tomorrow.",
                "customer": {"email": "lena@example.com"},
                "opened_as": "email",
            }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["assignee_id"], sam.id);
    assert_eq!(body["conversation"], "waiting_on_customer");
    let first = &body["messages"][0];
    assert_eq!(first["author"]["kind"], "agent");
    assert_eq!(first["visibility"], "public");
    assert_eq!(first["email"]["to"], json!(["lena@example.com"]), "{first}");
    assert_eq!(mails_queued(&app).await, before + 1);

    let (status, body) = app
        .api_as(Some(&token))
        .post(
            "/api/v1/tickets",
            json!({"subject": "Lena's contract renewal", "body": "Check the renewal terms before March.", "customer": {"email": "lena@example.com"}, "opened_as": "note"}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["messages"][0]["visibility"], "internal");
    assert_eq!(body["conversation"], "new");
    assert_eq!(mails_queued(&app).await, before + 1, "a note mails nobody");
}

#[tokio::test]
async fn opening_a_ticket_with_something_missing_or_wrong_says_what() {
    let app = TestApp::spawn().await;
    for (bad, status) in [
        (
            json!({"subject": "X", "body": "Y", "customer": {"email": "a@example.com"}, "call": {"duration_seconds": 60}}),
            422,
        ),
        (
            json!({"subject": "X", "body": "Y", "customer": {"email": "a@example.com"}, "opened_as": "fax"}),
            422,
        ),
        (
            json!({"subject": "X", "body": "Y", "customer": {"email": "a@example.com"}, "opened_as": "phone", "call": {"duration_seconds": 999999}}),
            422,
        ),
        (
            json!({"subject": " ", "body": "Y", "customer": {"email": "a@example.com"}, "opened_as": "email"}),
            422,
        ),
        (
            json!({"subject": "X", "body": "Y", "customer_id": 4242, "opened_as": "note"}),
            422,
        ),
    ] {
        let (got, body) = app.api().post("/api/v1/tickets", bad.clone()).await;
        assert!(got == status || got == 400, "{bad}: {got} {body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty())
        );
    }
    let (_, list) = app.api().get("/api/v1/tickets").await;
    assert_eq!(list["items"], json!([]), "nothing half-made");
}

#[tokio::test]
async fn the_workspace_opens_a_ticket_for_a_known_or_new_customer() {
    let app = TestApp::spawn().await;
    let (sam, cookie, csrf) = signed_in(&app, "sam@rapport.test", Role::Agent).await;
    let (status, page) = get_page(&app, &cookie, "/tickets/new").await;
    assert_eq!(status, 200);
    assert!(page.contains("They called"));
    let (status, location) = post_form(
        &app,
        &cookie,
        "/tickets",
        &[
            ("email", "omar@example.com"),
            ("name", "Omar Said"),
            ("channel", "phone"),
            ("subject", "Cannot log in"),
            ("body", "He is locked out since the update."),
            ("log_call", "1"),
            ("minutes", "6"),
            ("summary", ""),
            ("priority", "normal"),
            ("tags", "login, urgent-fix"),
            ("csrf", &csrf),
        ],
    )
    .await;
    assert_eq!(status, 303, "{location}");
    let id: i64 = location
        .trim_start_matches("/tickets/")
        .split('?')
        .next()
        .expect("as the test set it up")
        .parse()
        .expect("as the test set it up");
    let (_, ticket) = app.api().get(&format!("/api/v1/tickets/{id}")).await;
    assert_eq!(ticket["assignee_id"], sam);
    assert_eq!(ticket["tags"], json!(["login", "urgent-fix"]));
    let calls = calls_of(&app, id).await;
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].1, 360);
    assert_eq!(calls[0].2, "He is locked out since the update.");

    // From the customer's page the form knows who it is for.
    let customer = ticket["customer_id"]
        .as_i64()
        .expect("as the test set it up");
    let (_, page) = get_page(&app, &cookie, &format!("/customers/{customer}")).await;
    assert!(page.contains(&format!("/tickets/new?customer={customer}")));
    let (status, page) =
        get_page(&app, &cookie, &format!("/tickets/new?customer={customer}")).await;
    assert_eq!(status, 200);
    assert!(page.contains("Omar Said"));
    // A missing subject: the form comes back with what was typed and the reason.
    let (status, page) = post_form(
        &app,
        &cookie,
        "/tickets",
        &[
            ("customer_id", &customer.to_string()),
            ("channel", "email"),
            ("subject", ""),
            ("body", "Your account is unlocked."),
            ("priority", "normal"),
            ("csrf", &csrf),
        ],
    )
    .await;
    assert_eq!(status, 422, "{page}");
    assert!(
        page.contains("subject") && page.contains("Your account is unlocked."),
        "{page}"
    );
    let (status, page) = post_form(
        &app,
        &cookie,
        "/tickets",
        &[
            ("channel", "phone"),
            ("subject", "X"),
            ("body", "Y"),
            ("csrf", &csrf),
        ],
    )
    .await;
    assert_eq!(status, 422);
    assert!(page.contains("Say who the ticket is for"));
}

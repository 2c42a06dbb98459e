//! Filtered mail: what intake kept out of the inbox, listed for agents, and turned into a
//! ticket or added to one, once (also when agents try at the same moment).

use crate::helpers::{TestApp, error_code, get_page, post_form};
use crate::mail_reading::post_mail;
use crate::workspace::signed_in;
use rapport_domain::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

fn mail(from: &str, subject: &str, id: &str, extra: &str) -> Vec<u8> {
    format!(
        "From: {from}\r\nTo: support@rapport.localhost\r\nSubject: {subject}\r\nMessage-ID: <{id}>\r\n{extra}\
         Content-Type: text/plain; charset=utf-8\r\n\r\nHello from {from}.\r\n"
    )
    .into_bytes()
}

async fn filtered(app: &TestApp, token: &str) -> Vec<Value> {
    let (status, list) = app.api_as(Some(token)).get("/api/v1/filtered-mail").await;
    assert_eq!(status, StatusCode::OK, "{list}");
    list["items"].as_array().expect("items").clone()
}

#[tokio::test]
async fn agents_see_filtered_mail_and_turn_an_item_into_a_ticket_or_add_it_to_one_once() {
    let app = TestApp::spawn().await;
    let (_, token) = app.agent("sam@rapport.test", Role::Agent, None).await;
    let (status, customer) = post_mail(
        &app,
        &mail("ana@example.com", "Printer jams", "ana-1@example.com", ""),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let ticket_id = customer["ticket_id"].as_i64().expect("ticket");
    let (_, bulk) = post_mail(
        &app,
        &mail(
            "bo@example.com",
            "Actually a question",
            "bo-1@example.com",
            "Precedence: bulk\r\n",
        ),
    )
    .await;
    assert_eq!(bulk["outcome"], "bulk");
    let (_, auto) = post_mail(
        &app,
        &mail(
            "ana@example.com",
            "Out of office",
            "ana-2@example.com",
            "Auto-Submitted: auto-replied\r\nIn-Reply-To: <ana-1@example.com>\r\n",
        ),
    )
    .await;
    assert_eq!(auto["outcome"], "auto_reply");
    let (status, refused) = post_mail(
        &app,
        include_bytes!("../../../mail/tests/fixtures/sender_missing.eml"),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");

    let items = filtered(&app, &token).await;
    let kinds: Vec<(&str, Option<&str>)> = items
        .iter()
        .map(|i| {
            (
                i["outcome"].as_str().unwrap_or_default(),
                i["sender"].as_str(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("rejected", None),
            ("auto_reply", Some("ana@example.com")),
            ("bulk", Some("bo@example.com")),
        ],
        "the customer's own mail is not filtered"
    );
    assert_eq!(
        items[1]["related_ticket_id"], ticket_id,
        "it answers Ana's ticket"
    );
    assert_eq!(items[2]["subject"], "Actually a question");

    // The bulk mail becomes a ticket of its sender.
    let path = format!("/api/v1/filtered-mail/{}/ticket", bulk["inbound_id"]);
    let (status, taken) = app.api_as(Some(&token)).post(&path, json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "{taken}");
    assert_eq!(taken["outcome"], "new_ticket");
    let (_, ticket) = app
        .api()
        .get(&format!("/api/v1/tickets/{}", taken["ticket_id"]))
        .await;
    assert_eq!(ticket["subject"], "Actually a question");
    assert!(
        ticket["messages"][0]["text"]
            .as_str()
            .is_some_and(|t| t.contains("Hello from bo@example.com"))
    );
    // Once only, and it says where it went.
    let (status, again) = app.api_as(Some(&token)).post(&path, json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{again}");
    assert_eq!(error_code(&again), "filtered_mail_taken");
    assert!(
        again["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains(&format!("already on ticket {}", taken["ticket_id"]))),
        "{again}"
    );
    let items = filtered(&app, &token).await;
    assert_eq!(items[2]["ticket_id"], taken["ticket_id"]);
    assert!(items[2]["taken_at"].is_string());

    // The automatic reply is added to Ana's ticket.
    let path = format!("/api/v1/filtered-mail/{}/ticket", auto["inbound_id"]);
    let (status, added) = app
        .api_as(Some(&token))
        .post(&path, json!({"ticket_id": ticket_id}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{added}");
    assert_eq!(added["outcome"], "reply");
    assert_eq!(added["ticket_id"], ticket_id);
    let (_, ticket) = app.api().get(&format!("/api/v1/tickets/{ticket_id}")).await;
    assert_eq!(ticket["messages"].as_array().map(Vec::len), Some(2));

    // The mail without a sender needs someone to say whose it is.
    let path = format!("/api/v1/filtered-mail/{}/ticket", items[0]["id"]);
    let (status, body) = app.api_as(Some(&token)).post(&path, json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("say whose mail it is")),
        "{body}"
    );
    let (status, body) = app
        .api_as(Some(&token))
        .post(
            &path,
            json!({"customer_email": "nobody@example.com", "ticket_id": 999_999}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(error_code(&body), "unknown_ticket");
    let (status, body) = app
        .api_as(Some(&token))
        .post(&path, json!({"customer_email": "nobody@example.com"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    // Not filtered mail (the customer's own, which opened a ticket) cannot be taken.
    let path = format!("/api/v1/filtered-mail/{}/ticket", customer["inbound_id"]);
    let (status, body) = app.api_as(Some(&token)).post(&path, json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(error_code(&body), "filtered_mail_not_found");
}

#[tokio::test]
async fn agents_taking_the_same_item_at_once_make_one_ticket() {
    let app = TestApp::spawn().await;
    let mut tokens = Vec::new();
    for n in 0..6 {
        tokens.push(
            app.agent(&format!("agent{n}@rapport.test"), Role::Agent, None)
                .await
                .1,
        );
    }
    let (_, bulk) = post_mail(
        &app,
        &mail(
            "kim@example.com",
            "Wrongly bulk",
            "kim-1@example.com",
            "Precedence: list\r\n",
        ),
    )
    .await;
    let path = format!("/api/v1/filtered-mail/{}/ticket", bulk["inbound_id"]);
    let answers = futures_util::future::join_all(
        tokens
            .iter()
            .map(|token| async { app.api_as(Some(token)).post(&path, json!({})).await }),
    )
    .await;
    let created: Vec<&Value> = answers
        .iter()
        .filter(|(status, _)| *status == StatusCode::CREATED)
        .map(|(_, body)| body)
        .collect();
    assert_eq!(created.len(), 1, "{answers:?}");
    assert!(
        answers
            .iter()
            .all(|(status, _)| *status == StatusCode::CREATED || *status == StatusCode::CONFLICT),
        "{answers:?}"
    );
    let tickets: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM tickets WHERE subject = 'Wrongly bulk'")
            .fetch_one(app.app.store.pool())
            .await
            .expect("count");
    assert_eq!(tickets, 1);
}

#[tokio::test]
async fn the_filtered_page_lists_items_and_makes_one_a_ticket_once() {
    let app = TestApp::spawn().await;
    let (_, cookie, csrf) = signed_in(&app, "sam@rapport.test", Role::Agent).await;
    let (_, bulk) = post_mail(
        &app,
        &mail(
            "lou@example.com",
            "Missed invoice",
            "lou-1@example.com",
            "Precedence: bulk\r\n",
        ),
    )
    .await;
    let (status, page) = get_page(&app, &cookie, "/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("href=\"/filtered\""), "the inbox links to it");
    let (status, page) = get_page(&app, &cookie, "/filtered").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("lou@example.com") && page.contains("Missed invoice"));
    assert!(page.contains("Bulk or list mail"));
    let action = format!("/filtered/{}/ticket", bulk["inbound_id"]);
    assert!(page.contains(&action));

    let (status, location) = post_form(
        &app,
        &cookie,
        &action,
        &[("csrf", &csrf), ("ticket", "#abc")],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{location}");
    let (status, location) =
        post_form(&app, &cookie, &action, &[("csrf", &csrf), ("ticket", "")]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(location.starts_with("/tickets/"), "{location}");
    let (status, location) =
        post_form(&app, &cookie, &action, &[("csrf", &csrf), ("ticket", "")]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(location.starts_with("/filtered?done="), "{location}");
    let (_, page) = get_page(&app, &cookie, "/filtered").await;
    assert!(page.contains("Done "), "the item says it is done");
    assert!(!page.contains(&action), "and offers no second action");
}

#[tokio::test]
async fn filtered_mail_answering_a_restricted_ticket_stays_with_its_team() {
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
    let (_, opened) = post_mail(
        &app,
        &mail(
            "ana@example.com",
            "Subpoena for our records",
            "subpoena-1@example.com",
            "",
        ),
    )
    .await;
    let ticket_id = opened["ticket_id"].as_i64().expect("ticket");
    let (status, moved) = app
        .api()
        .patch(
            &format!("/api/v1/tickets/{ticket_id}"),
            json!({"team_id": team["id"]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    let (_, auto) = post_mail(
        &app,
        &mail(
            "ana@example.com",
            "Away: Subpoena for our records",
            "subpoena-auto@example.com",
            "Auto-Submitted: auto-replied\r\nIn-Reply-To: <subpoena-1@example.com>\r\n",
        ),
    )
    .await;
    assert_eq!(auto["outcome"], "auto_reply");
    let (_, other) = post_mail(
        &app,
        &mail(
            "news@example.org",
            "Weekly news",
            "news-1@example.org",
            "Precedence: bulk\r\n",
        ),
    )
    .await;

    let seen =
        |items: Vec<Value>| -> Vec<i64> { items.iter().filter_map(|i| i["id"].as_i64()).collect() };
    let auto_id = auto["inbound_id"].as_i64().expect("id");
    let other_id = other["inbound_id"].as_i64().expect("id");
    assert_eq!(
        seen(filtered(&app, &member_token).await),
        [other_id, auto_id]
    );
    let outsider_sees = filtered(&app, &outsider_token).await;
    assert_eq!(seen(outsider_sees.clone()), [other_id]);
    assert!(!Value::Array(outsider_sees).to_string().contains("Subpoena"));

    let path = format!("/api/v1/filtered-mail/{auto_id}/ticket");
    let (status, body) = app
        .api_as(Some(&outsider_token))
        .post(&path, json!({}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    // Nor may an outsider add other filtered mail to the restricted ticket.
    let (status, body) = app
        .api_as(Some(&outsider_token))
        .post(
            &format!("/api/v1/filtered-mail/{other_id}/ticket"),
            json!({"ticket_id": ticket_id}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, body) = app
        .api_as(Some(&member_token))
        .post(&path, json!({"ticket_id": ticket_id}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

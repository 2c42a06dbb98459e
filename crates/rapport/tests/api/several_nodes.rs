//! Several `rapport serve` nodes on one database (two apps, each serving on its own port):
//! what one node counts, sees or changes, the other knows too.

use crate::helpers::{Node, TestApp, browser};
use crate::workspace::signed_in;
use rapport_domain::Role;
use reqwest::StatusCode;
use serde_json::json;
use std::time::{Duration, Instant};

async fn sign_in(url: String, email: &str, password: &str) -> StatusCode {
    browser()
        .post(url)
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .expect("answer")
        .status()
}

#[tokio::test]
async fn failed_sign_ins_on_one_node_count_when_trying_on_another() {
    let app = TestApp::spawn().await;
    let other = app.second_node().await;
    signed_in(&app, "pat@rapport.test", Role::Agent).await;

    // A burst of wrong passwords spread over both nodes at once: five in all get checked.
    let tries = (0..20).map(|n| {
        let url = if n % 2 == 0 {
            app.url("/api/v1/session")
        } else {
            other.url("/api/v1/session")
        };
        sign_in(url, "pat@rapport.test", "not the password")
    });
    let answers = futures_util::future::join_all(tries).await;
    let checked = answers
        .iter()
        .filter(|status| **status == StatusCode::UNAUTHORIZED)
        .count();
    let refused = answers
        .iter()
        .filter(|status| **status == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!((checked, refused), (5, 15), "{answers:?}");

    // Even the right password waits now, on either node.
    for node_url in [app.url("/api/v1/session"), other.url("/api/v1/session")] {
        let status = sign_in(node_url, "pat@rapport.test", "a long enough password").await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    }

    // Once the window is over the worker forgets the counts, and the agent signs in anywhere.
    app.clock.advance(time::Duration::minutes(16));
    let pruned = other
        .app
        .store
        .prune_sign_in_limits(rapport::SIGN_IN_RULES)
        .await
        .expect("prune");
    assert_eq!(
        pruned, 3,
        "the client's, the address's and the machine's counts"
    );
    let status = sign_in(
        other.url("/api/v1/session"),
        "pat@rapport.test",
        "a long enough password",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
}

/// What a server-sent event stream says until `needle` (within 10 seconds).
pub(crate) async fn read_until(stream: &mut reqwest::Response, needle: &str) -> String {
    let mut heard = String::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
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

async fn live_stream(node: &Node, cookie: &str, ticket: i64) -> reqwest::Response {
    let stream = browser()
        .get(node.url(&format!("/live?ticket={ticket}")))
        .header("cookie", cookie)
        .send()
        .await
        .expect("answer");
    assert_eq!(stream.status(), StatusCode::OK);
    stream
}

#[tokio::test]
async fn a_change_through_one_node_reaches_a_live_page_on_another() {
    let app = TestApp::spawn().await;
    let other = app.second_node().await;
    let (_, cookie, _) = signed_in(&app, "pat@rapport.test", Role::Agent).await;
    let ticket = app.ticket("Invoice twice", "ana@example.com").await;
    let id = ticket["id"].as_i64().expect("id");
    let mut stream = live_stream(&other, &cookie, id).await;
    // The stream is open once its first presence list arrives.
    read_until(&mut stream, "event: presence").await;

    let mut delays = Vec::new();
    for n in 0..5 {
        let (status, body) = app
            .api()
            .post(
                &format!("/api/v1/tickets/{id}/messages"),
                json!({"body": format!("Note {n}"), "visibility": "internal"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let written = Instant::now();
        let heard = read_until(&mut stream, "message.added").await;
        delays.push(written.elapsed());
        assert!(heard.contains(&format!("\"ticket_id\":{id}")), "{heard}");
    }
    let mean = delays.iter().sum::<Duration>() / delays.len() as u32;
    let worst = delays.iter().max().expect("delays");
    println!(
        "live update from node A to a page on node B ({:?}): mean {mean:?}, worst {worst:?}",
        app.app.store.backend()
    );
}

#[tokio::test]
async fn a_page_open_on_one_node_is_seen_by_a_page_on_another() {
    let app = TestApp::spawn().await;
    let other = app.second_node().await;
    let (_, pat, pat_csrf) = signed_in(&app, "pat@rapport.test", Role::Agent).await;
    let (_, lee, _) = signed_in(&app, "lee@rapport.test", Role::Agent).await;
    let ticket = app.ticket("Invoice twice", "ana@example.com").await;
    let id = ticket["id"].as_i64().expect("id");

    let on_a = browser()
        .get(app.url(&format!("/live?ticket={id}")))
        .header("cookie", &pat)
        .send()
        .await
        .expect("answer");
    assert_eq!(on_a.status(), StatusCode::OK);
    let mut on_b = live_stream(&other, &lee, id).await;
    let heard = read_until(&mut on_b, "pat@rapport.test").await;
    assert!(heard.contains("lee@rapport.test"), "{heard}");

    // Pat starts writing on node A; Lee's page on node B shows it.
    let started = browser()
        .post(app.url("/live/composing"))
        .header("cookie", &pat)
        .header("x-csrf-token", &pat_csrf)
        .json(&json!({"ticket_id": id, "composing": true}))
        .send()
        .await
        .expect("answer");
    assert_eq!(started.status(), StatusCode::NO_CONTENT);
    read_until(
        &mut on_b,
        "\"composing\":true,\"name\":\"pat@rapport.test\"",
    )
    .await;

    // Pat closes the page on node A; Lee's page hears that Pat left.
    drop(on_a);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let heard = read_until(&mut on_b, "event: presence").await;
        let latest = heard.rsplit("event: presence").next().unwrap_or_default();
        if latest.contains("lee@rapport.test") && !latest.contains("pat@rapport.test") {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "Pat is still listed: {heard}"
        );
    }
}

#[tokio::test]
async fn due_jobs_run_once_across_two_nodes() {
    let app = TestApp::spawn().await;
    let other = app.second_node().await;
    for n in 0..6 {
        let ticket = app
            .ticket(&format!("Printer {n} jams"), &format!("c{n}@example.com"))
            .await;
        let (status, body) = app
            .api()
            .post(
                &format!("/api/v1/tickets/{}/messages", ticket["id"]),
                json!({"body": "Could you try the other tray?", "visibility": "public"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    app.clock.advance(time::Duration::days(8));
    let due = app.app.store.pending_jobs().await.expect("jobs");
    let worker_jobs = due
        .iter()
        .filter(|(kind, _)| !kind.starts_with("email."))
        .count();
    assert!(worker_jobs >= 12, "{due:?}");

    let (ran_a, ran_b) = tokio::join!(
        rapport::jobs::run_due(&app.app.store),
        rapport::jobs::run_due(&other.app.store)
    );
    let ran = ran_a.expect("node A runs jobs") + ran_b.expect("node B runs jobs");
    assert_eq!(ran, worker_jobs, "each due job ran once in all");
    let attempts: Vec<i64> =
        sqlx::query_scalar("SELECT attempts FROM jobs WHERE kind NOT LIKE 'email.%'")
            .fetch_all(app.app.store.pool())
            .await
            .expect("attempts");
    assert!(attempts.iter().all(|&a| a == 1), "{attempts:?}");
}

/// The newest presence list a stream has sent, once it satisfies `wanted` (within 10 s).
pub(crate) async fn presence_until(
    stream: &mut reqwest::Response,
    wanted: impl Fn(&str) -> bool,
) -> String {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let heard = read_until(stream, "event: presence").await;
        let latest = heard.rsplit("event: presence").next().unwrap_or_default();
        if wanted(latest) {
            return latest.to_owned();
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no presence list as wanted; the last: {latest}"
        );
    }
}

#[tokio::test]
async fn writing_ends_on_every_node_once_the_writer_has_sent_through_another() {
    let app = TestApp::spawn().await;
    let other = app.second_node().await;
    let (_, pat, pat_csrf) = signed_in(&app, "pat@rapport.test", Role::Agent).await;
    let (_, lee, _) = signed_in(&app, "lee@rapport.test", Role::Agent).await;
    let ticket = app.ticket("Invoice twice", "ana@example.com").await;
    let id = ticket["id"].as_i64().expect("id");

    // Pat's page is open on node A and Pat starts writing there; Lee sees it on node B.
    let on_a = browser()
        .get(app.url(&format!("/live?ticket={id}")))
        .header("cookie", &pat)
        .send()
        .await
        .expect("answer");
    assert_eq!(on_a.status(), StatusCode::OK);
    let mut on_b = live_stream(&other, &lee, id).await;
    read_until(&mut on_b, "pat@rapport.test").await;
    let started = browser()
        .post(app.url("/live/composing"))
        .header("cookie", &pat)
        .header("x-csrf-token", &pat_csrf)
        .json(&json!({"ticket_id": id, "composing": true}))
        .send()
        .await
        .expect("answer");
    assert_eq!(started.status(), StatusCode::NO_CONTENT);
    presence_until(&mut on_b, |l| {
        l.contains("\"composing\":true,\"name\":\"pat@rapport.test\"")
    })
    .await;

    // Pat sends; the load balancer hands the form to node B. Pat's page on node A is still
    // open (the browser has not let go of it yet): Lee must stop seeing Pat writing.
    let (_, shown) = app.api().get(&format!("/api/v1/tickets/{id}")).await;
    let seen = shown["messages"]
        .as_array()
        .and_then(|messages| messages.last())
        .map(|message| message["id"].to_string())
        .expect("the customer's message");
    let sent = browser()
        .post(other.url(&format!("/tickets/{id}/reply")))
        .header("cookie", &pat)
        .form(&[
            ("body", "Hi Ana, the second charge is refunded."),
            ("visibility", "public"),
            ("seen_message_id", &seen),
            ("csrf", &pat_csrf),
        ])
        .send()
        .await
        .expect("answer");
    assert_eq!(sent.status(), StatusCode::SEE_OTHER);
    let latest = presence_until(&mut on_b, |l| {
        l.contains("\"composing\":false,\"name\":\"pat@rapport.test\"")
    })
    .await;
    assert!(!latest.contains("\"composing\":true"), "{latest}");
    drop(on_a);
}

#[tokio::test]
async fn the_unread_count_reaches_a_page_on_another_node_as_it_changes() {
    let app = TestApp::spawn().await;
    let other = app.second_node().await;
    let (sam, cookie, _) = signed_in(&app, "sam@rapport.test", Role::Agent).await;
    let ticket = app.ticket("Invoice twice", "ana@example.com").await;
    let id = ticket["id"].as_i64().expect("id");

    // An inbox page on node B: it starts with the count.
    let mut stream = browser()
        .get(other.url("/live"))
        .header("cookie", &cookie)
        .send()
        .await
        .expect("answer");
    assert_eq!(stream.status(), StatusCode::OK);
    read_until(&mut stream, "{\"unread\":0}").await;

    // Assigned through node A: the page on node B hears the new count.
    let (status, body) = app
        .api()
        .patch(
            &format!("/api/v1/tickets/{id}"),
            json!({"assignee_id": sam}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    read_until(&mut stream, "{\"unread\":1}").await;

    // Marked read through node A (as the agent): node B's page hears that too.
    let token = app.agent_token(sam).await;
    let (status, marked) = app
        .api_as(Some(&token))
        .post("/api/v1/notifications/read-all", json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{marked}");
    read_until(&mut stream, "{\"unread\":0}").await;
}

//! Nothing acknowledged is lost: a server killed with SIGKILL in the middle of writes comes
//! back with every ticket it answered 201 for, and a database that passes its integrity check.

use crate::cli::{Server, create_admin_and_token, create_intake_token};
use crate::helpers::TestDatabase;
use reqwest::StatusCode;
use serde_json::json;
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[tokio::test]
async fn sigkill_in_the_middle_of_writes_loses_nothing_acknowledged() {
    let db = TestDatabase::create().await;
    let token = create_admin_and_token(&db);
    let mut server = Server::start(&db).await;
    let acknowledged: Arc<Mutex<Vec<i64>>> = Arc::default();

    let mut writers = Vec::new();
    for writer in 0..4 {
        let (base_url, token, acknowledged) =
            (server.base_url.clone(), token.clone(), acknowledged.clone());
        writers.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            for n in 0..2_000 {
                let body = json!({
                    "subject": format!("Writer {writer} ticket {n}"),
                    "body": "Written while the server may die",
                    "customer": {"email": format!("writer{writer}-{}@example.com", n % 7)},
                    "tags": ["durability"],
                });
                let sent = client
                    .post(format!("{base_url}/api/v1/tickets"))
                    .bearer_auth(&token)
                    .json(&body)
                    .send()
                    .await;
                let Ok(response) = sent else { return };
                if response.status() != StatusCode::CREATED {
                    return;
                }
                let Ok(ticket) = response.json::<serde_json::Value>().await else {
                    return;
                };
                if let Some(id) = ticket["id"].as_i64() {
                    acknowledged.lock().expect("lock").push(id);
                }
            }
        }));
    }

    // Let the writers get going, then pull the plug.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while acknowledged.lock().expect("lock").len() < 200 && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    server.child.kill().expect("SIGKILL");
    server.child.wait().expect("reaped");
    for writer in writers {
        writer.await.expect("writer task");
    }
    let acknowledged = acknowledged.lock().expect("lock").clone();
    assert!(
        acknowledged.len() >= 200,
        "the writers got going ({} acknowledged)",
        acknowledged.len()
    );
    assert!(
        acknowledged.len() < 4 * 2_000,
        "the server died while writes were still coming"
    );

    let server = Server::start(&db).await;
    let client = reqwest::Client::new();
    for id in &acknowledged {
        let response = client
            .get(format!("{}/api/v1/tickets/{id}", server.base_url))
            .bearer_auth(&token)
            .send()
            .await
            .expect("answer");
        assert_eq!(
            response.status(),
            StatusCode::OK,
            "acknowledged ticket {id} was lost"
        );
        let ticket: serde_json::Value = response.json().await.expect("json");
        assert_eq!(
            ticket["messages"].as_array().map(Vec::len),
            Some(1),
            "ticket {id} kept its first message"
        );
    }

    if db.postgres.is_none() {
        let app = rapport::App::build(db.config()).await.expect("reopen");
        let check: String = sqlx::query_scalar("PRAGMA integrity_check")
            .fetch_one(app.store.pool())
            .await
            .expect("integrity check");
        assert_eq!(check, "ok");
        let orphans: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM tickets t WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.entity = 'ticket' AND e.entity_id = t.id)",
        )
        .fetch_one(app.store.pool())
        .await
        .expect("count");
        assert_eq!(
            orphans, 0,
            "every ticket has its creation event: they commit together"
        );
    }
}

/// A stream of mails through the inbound endpoint; the server is killed mid-stream, restarted,
/// and the whole stream is delivered again: every acknowledged mail is there, and none twice.
#[tokio::test]
async fn sigkill_during_mail_ingestion_loses_nothing_and_redelivery_duplicates_nothing() {
    let db = TestDatabase::create().await;
    create_admin_and_token(&db);
    let token = create_intake_token(&db);
    let mut server = Server::start(&db).await;
    let total = 600;
    let mails: Arc<Vec<Vec<u8>>> = Arc::new(
        (0..total)
            .map(|n| {
                format!(
                    "From: sender{}@example.com\r\nTo: support@rapport.localhost\r\nSubject: Stream {n}\r\n\
                     Message-ID: <stream-{n}@example.com>\r\nContent-Type: text/plain\r\n\r\nMail number {n} needs help.\r\n",
                    n % 13
                )
                .into_bytes()
            })
            .collect(),
    );
    let acknowledged: Arc<Mutex<Vec<usize>>> = Arc::default();
    let deliver = |base_url: String,
                   from: usize,
                   step: usize,
                   acknowledged: Option<Arc<Mutex<Vec<usize>>>>| {
        let (token, mails) = (token.clone(), mails.clone());
        tokio::spawn(async move {
            let client = reqwest::Client::new();
            for n in (from..mails.len()).step_by(step) {
                let sent = client
                    .post(format!("{base_url}/api/v1/inbound/email"))
                    .bearer_auth(&token)
                    .header("content-type", "message/rfc822")
                    .body(mails[n].clone())
                    .send()
                    .await;
                match sent {
                    Ok(response) if response.status() == StatusCode::ACCEPTED => {
                        if let Some(acknowledged) = &acknowledged {
                            acknowledged.lock().expect("lock").push(n);
                        }
                    }
                    _ => return,
                }
            }
        })
    };

    let senders: Vec<_> = (0..4)
        .map(|i| deliver(server.base_url.clone(), i, 4, Some(acknowledged.clone())))
        .collect();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while acknowledged.lock().expect("lock").len() < 100 && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    server.child.kill().expect("SIGKILL");
    server.child.wait().expect("reaped");
    for sender in senders {
        sender.await.expect("sender");
    }
    let acknowledged = acknowledged.lock().expect("lock").clone();
    assert!(
        acknowledged.len() >= 100 && acknowledged.len() < total,
        "killed mid-stream ({})",
        acknowledged.len()
    );

    // The MTA delivers the whole stream again, as it would after a failure.
    let server = Server::start(&db).await;
    let redelivery: Vec<_> = (0..4)
        .map(|i| deliver(server.base_url.clone(), i, 4, None))
        .collect();
    for sender in redelivery {
        sender.await.expect("sender");
    }

    let app = rapport::App::build(db.config()).await.expect("reopen");
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM tickets")
        .fetch_one(app.store.pool())
        .await
        .expect("count");
    assert_eq!(count, total as i64, "every mail once, none twice");
    let distinct: i64 = sqlx::query_scalar(
        "SELECT COUNT(DISTINCT email_message_id) FROM messages WHERE author_kind = 'customer'",
    )
    .fetch_one(app.store.pool())
    .await
    .expect("count");
    assert_eq!(distinct, total as i64);
    for n in acknowledged {
        let found: Option<i64> =
            sqlx::query_scalar("SELECT id FROM messages WHERE email_message_id = $1")
                .bind(format!("stream-{n}@example.com"))
                .fetch_optional(app.store.pool())
                .await
                .expect("query");
        assert!(found.is_some(), "acknowledged mail {n} was lost");
    }
}

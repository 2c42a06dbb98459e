//! Nothing acknowledged is lost: a server killed with SIGKILL in the middle of writes comes
//! back with every ticket it answered 201 for, and a database that passes its integrity check.

use crate::cli::{Server, create_admin_and_token};
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

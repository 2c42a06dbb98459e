//! Keeping data safe, through the `rapport` binary as an operator runs it: a backup taken while
//! a server keeps writing restores to a copy that `verify` proves equal; an export moves the
//! demo workspace plus ingested mail from SQLite to PostgreSQL and back with the same
//! checksums; every table of the migrations is exported.
//!
//! `RAPPORT_TEST_MAILS` sets how many mails the move carries (500 by default); the test prints
//! how long each step took.

use crate::cli::{Server, create_admin_and_token, rapport, run};
use crate::helpers::{TestApp, TestDatabase};
use rapport::App;
use rapport_store::dump::{NOT_EXPORTED, TABLES};
use rapport_store::mail_intake::ParsedMail;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::path::Path;
use std::process::Output;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Runs `rapport ARGS` against `db` off the async runtime and expects success.
async fn admin(db: &TestDatabase, args: &[&str]) -> Output {
    let output = admin_may_fail(db, args).await;
    assert!(
        output.status.success(),
        "rapport {}: {}{}",
        args.join(" "),
        stdout(&output),
        stderr(&output)
    );
    output
}

async fn admin_may_fail(db: &TestDatabase, args: &[&str]) -> Output {
    let command = rapport(db, args);
    tokio::task::spawn_blocking(move || run(command, ""))
        .await
        .expect("rapport ran")
}

/// A database on SQLite whatever `RAPPORT_TEST_DATABASE_URL` says.
fn sqlite_database() -> TestDatabase {
    TestDatabase {
        data_dir: tempfile::tempdir().expect("a directory"),
        postgres: None,
    }
}

async fn count(app: &App, sql: &str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(app.store.pool())
        .await
        .expect("count")
}

#[tokio::test]
async fn every_table_of_the_migrations_is_exported() {
    let app = TestApp::spawn().await;

    let in_database = app.app.store.table_names().await.expect("tables");

    let mut exported: Vec<&str> = TABLES.iter().map(|t| t.name).collect();
    exported.extend(NOT_EXPORTED);
    exported.sort_unstable();
    assert_eq!(
        in_database, exported,
        "every table the migrations create must be in rapport_store::dump::TABLES (in order: parents first)"
    );
}

#[tokio::test]
async fn a_backup_taken_under_load_restores_to_a_copy_verify_proves_equal() {
    let db = TestDatabase::create().await;
    let token = create_admin_and_token(&db);
    let server = Server::start(&db).await;
    let acknowledged: Arc<Mutex<Vec<i64>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let mut writers = Vec::new();
    for writer in 0..3 {
        let (base_url, token, acknowledged, stop) = (
            server.base_url.clone(),
            token.clone(),
            acknowledged.clone(),
            stop.clone(),
        );
        writers.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            let mut n = 0;
            while !stop.load(Ordering::SeqCst) {
                n += 1;
                let response = client
                    .post(format!("{base_url}/api/v1/tickets"))
                    .bearer_auth(&token)
                    .json(&json!({
                        "subject": format!("Writer {writer} ticket {n}"),
                        "body": "Written while a backup runs",
                        "customer": {"email": format!("writer{writer}-{}@example.com", n % 5)},
                        "tags": ["backup"],
                    }))
                    .send()
                    .await
                    .expect("the server answers");
                assert_eq!(response.status(), StatusCode::CREATED);
                let ticket: Value = response.json().await.expect("json");
                acknowledged
                    .lock()
                    .expect("lock")
                    .push(ticket["id"].as_i64().expect("id"));
            }
        }));
    }
    let acknowledged_now = || acknowledged.lock().expect("lock").clone();
    let deadline = Instant::now() + Duration::from_secs(60);
    while acknowledged_now().len() < 100 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let backups = tempfile::tempdir().expect("a directory");
    let file = backups.path().join("rapport.backup");
    let file_arg = file.to_str().expect("utf-8");

    let before = acknowledged_now();
    let backed_up = admin(&db, &["admin", "backup", "--to", file_arg]).await;
    let after = acknowledged_now();
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(true, Ordering::SeqCst);
    for writer in writers {
        writer.await.expect("writer");
    }
    let all = acknowledged_now();

    assert!(
        stderr(&backed_up).contains("Backed up to"),
        "{}",
        stderr(&backed_up)
    );
    assert!(
        after.len() > before.len() && all.len() > after.len(),
        "the writers kept writing during and after the backup ({} / {} / {})",
        before.len(),
        after.len(),
        all.len()
    );
    let again = admin_may_fail(&db, &["admin", "backup", "--to", file_arg]).await;
    assert!(!again.status.success());
    assert!(
        stderr(&again).contains("already exists"),
        "{}",
        stderr(&again)
    );

    // Restore into a fresh database, and prove it equals the backup.
    let restored = TestDatabase::create().await;
    let restore = admin(&restored, &["admin", "restore", "--from", file_arg]).await;
    assert!(
        stderr(&restore).contains("checked them against the backup"),
        "{}",
        stderr(&restore)
    );
    let verified = admin(&restored, &["admin", "verify", "--against", file_arg]).await;
    assert!(
        stdout(&verified).contains("The two copies hold the same data"),
        "{}",
        stdout(&verified)
    );

    // Everything acknowledged before the backup started is in it; nothing more than what
    // was acknowledged by its end (plus the one request each writer had in flight).
    let app = App::build(restored.config())
        .await
        .expect("the restored app");
    let tickets: Vec<i64> = sqlx::query_scalar("SELECT id FROM tickets")
        .fetch_all(app.store.pool())
        .await
        .expect("tickets");
    for id in &before {
        assert!(
            tickets.contains(id),
            "ticket {id} was acknowledged before the backup"
        );
    }
    assert!(
        tickets.len() >= before.len() && tickets.len() <= after.len() + 3,
        "{} tickets restored; {} acknowledged before the backup, {} by its end",
        tickets.len(),
        before.len(),
        after.len()
    );
    // One moment of the database: each ticket with its first message and its event.
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM tickets t WHERE NOT EXISTS \
             (SELECT 1 FROM messages m WHERE m.ticket_id = t.id)"
        )
        .await,
        0
    );
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM tickets t WHERE NOT EXISTS \
             (SELECT 1 FROM events e WHERE e.entity = 'ticket' AND e.entity_id = t.id)"
        )
        .await,
        0
    );
    // The restored workspace works: the operator's token signs in.
    let restored_server = Server::start(&restored).await;
    let response = reqwest::Client::new()
        .get(format!("{}/api/v1/tickets", restored_server.base_url))
        .bearer_auth(&token)
        .send()
        .await
        .expect("answer");
    assert_eq!(response.status(), StatusCode::OK);
    drop(restored_server);
    app.store.close().await;

    // A restore refuses a database that is not empty, with a sentence.
    let twice = admin_may_fail(&restored, &["admin", "restore", "--from", file_arg]).await;
    assert!(!twice.status.success());
    assert!(
        stderr(&twice).contains("the database is not empty") && stderr(&twice).contains("--force"),
        "{}",
        stderr(&twice)
    );

    // The original kept changing after the backup: verify says so and fails.
    drop(server);
    let differs = admin_may_fail(&db, &["admin", "verify", "--against", file_arg]).await;
    assert!(!differs.status.success());
    assert!(
        stderr(&differs).contains("the two copies differ: ")
            && stderr(&differs).contains("tickets has"),
        "{}",
        stderr(&differs)
    );
    assert!(stdout(&differs).contains("DIFFERS"), "{}", stdout(&differs));
}

/// Mail `n` of a workspace's history: customers write several times, every third mail answers
/// an earlier one, every fifth carries a file.
fn mail(n: usize) -> Vec<u8> {
    let from = format!("customer{}@shop{}.example", n % 60, n % 9);
    let reply = if n.is_multiple_of(3) && n >= 3 {
        format!("In-Reply-To: <mail-{}@shop.example>\r\n", n - 3)
    } else {
        String::new()
    };
    let text = format!(
        "Hello, order {n} has not arrived. Grüße, ✓ \"quoted\" \\ backslash.\r\nThanks,\r\nCustomer {n}"
    );
    let (content_type, body) = if n.is_multiple_of(5) {
        (
            "multipart/mixed; boundary=\"b\"".to_owned(),
            format!(
                "--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n\
                 --b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=\"invoice {n}.pdf\"\r\n\
                 Content-Transfer-Encoding: base64\r\n\r\n{}\r\n--b--\r\n",
                base64_of(format!("%PDF invoice {n} {}", "x".repeat(n % 400)).as_bytes())
            ),
        )
    } else {
        ("text/plain; charset=utf-8".to_owned(), text)
    };
    format!(
        "From: Customer {n} <{from}>\r\nTo: support@rapport.localhost\r\nSubject: Order {n} is late\r\n\
         Message-ID: <mail-{n}@shop.example>\r\n{reply}Date: Mon, 23 Nov 2026 09:00:00 +0000\r\n\
         MIME-Version: 1.0\r\nContent-Type: {content_type}\r\n\r\n{body}\r\n"
    )
    .into_bytes()
}

fn base64_of(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The demo workspace plus `mails` ingested mails, and the jobs that fell due run once.
async fn seed_workspace(db: &TestDatabase, mails: usize) {
    let app = App::build(db.config()).await.expect("the app builds");
    rapport::demo::seed(&app.store).await.expect("the demo");
    let max = app.config.max_email_bytes;
    let all: Vec<ParsedMail> = (0..mails)
        .map(|n| ParsedMail::read(mail(n), Some("support".into()), max))
        .collect();
    for batch in all.chunks(200) {
        for result in app.store.ingest_emails(batch).await {
            result.expect("ingested");
        }
    }
    app.store.close().await;
}

fn manifest(dir: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).expect("a manifest"))
        .expect("json")
}

/// What must be equal between two exports: every table's rows and checksum, and the files.
fn checksums(manifest: &Value) -> Value {
    let tables: Vec<Value> = manifest["tables"]
        .as_array()
        .expect("tables")
        .iter()
        .map(|t| json!([t["name"], t["rows"], t["sha256"]]))
        .collect();
    json!({"schema": manifest["schema"], "tables": tables, "blobs": manifest["blobs"]})
}

fn rows_of(manifest: &Value, table: &str) -> u64 {
    manifest["tables"]
        .as_array()
        .expect("tables")
        .iter()
        .find(|t| t["name"] == table)
        .and_then(|t| t["rows"].as_u64())
        .expect("the table")
}

#[tokio::test]
async fn an_export_moves_a_workspace_to_postgresql_and_back_with_the_same_checksums() {
    let mails: usize = std::env::var("RAPPORT_TEST_MAILS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(500);
    let source = sqlite_database();
    let started = Instant::now();
    seed_workspace(&source, mails).await;
    eprintln!(
        "seeded the demo and {mails} mails in {:.1?}",
        started.elapsed()
    );
    let exports = tempfile::tempdir().expect("a directory");
    let first = exports.path().join("from-sqlite");
    let second = exports.path().join("from-target");
    let (first_arg, second_arg) = (
        first.to_str().expect("utf-8"),
        second.to_str().expect("utf-8"),
    );

    let step = Instant::now();
    admin(&source, &["admin", "export", "--to", first_arg]).await;
    eprintln!("export from SQLite: {:.1?}", step.elapsed());
    // PostgreSQL when the tests run on it; a second SQLite database otherwise.
    let target = TestDatabase::create().await;
    let step = Instant::now();
    let imported = admin(&target, &["admin", "import", "--from", first_arg]).await;
    eprintln!(
        "import into {}: {:.1?}",
        if target.postgres.is_some() {
            "PostgreSQL"
        } else {
            "SQLite"
        },
        step.elapsed()
    );
    assert!(
        stderr(&imported).contains("messages")
            && stderr(&imported).contains("checked them against the export"),
        "progress per table and the check: {}",
        stderr(&imported)
    );
    let step = Instant::now();
    admin(&target, &["admin", "export", "--to", second_arg]).await;
    eprintln!("export again: {:.1?}", step.elapsed());

    let (one, two) = (manifest(&first), manifest(&second));
    assert_eq!(checksums(&one), checksums(&two));
    for table in [
        "messages",
        "attachments",
        "blobs",
        "events",
        "promises",
        "jobs",
        "inbound_emails",
    ] {
        assert!(rows_of(&one, table) > 0, "the workspace has {table}");
    }
    assert!(rows_of(&one, "inbound_emails") >= mails as u64);
    let verified = admin(&target, &["admin", "verify", first_arg, second_arg]).await;
    assert!(
        stdout(&verified).contains("The two copies hold the same data"),
        "{}",
        stdout(&verified)
    );

    // Ids were kept, and new rows continue after them (PostgreSQL's sequences were reset).
    let app = App::build(target.config()).await.expect("the target app");
    let largest: i64 = count(&app, "SELECT MAX(id) FROM tickets").await;
    let ticket = app
        .store
        .create_team("After the move", &[], false, rapport_domain::Actor::System)
        .await
        .expect("a new row after the import");
    let teams_before = rows_of(&one, "teams") as i64;
    assert_eq!(ticket.id, teams_before + 1);
    assert!(largest > 0);
    app.store.close().await;

    // And back to SQLite: a third database equal to the first.
    let back = sqlite_database();
    let step = Instant::now();
    admin(&back, &["admin", "import", "--from", second_arg]).await;
    eprintln!("import back into SQLite: {:.1?}", step.elapsed());
    let original = source.data_dir().join("rapport.db");
    let verified = admin(
        &back,
        &[
            "admin",
            "verify",
            "--against",
            original.to_str().expect("utf-8"),
        ],
    )
    .await;
    assert!(
        stdout(&verified).contains("The two copies hold the same data"),
        "{}",
        stdout(&verified)
    );
    let step = Instant::now();
    let backup = exports.path().join("back.backup");
    admin(
        &back,
        &["admin", "backup", "--to", backup.to_str().expect("utf-8")],
    )
    .await;
    eprintln!(
        "backup (export with files, in a tar file): {:.1?}",
        step.elapsed()
    );
    eprintln!("whole round trip: {:.1?}", started.elapsed());
}

#[tokio::test]
async fn a_changed_export_is_found_out_and_not_imported() {
    let source = sqlite_database();
    seed_workspace(&source, 20).await;
    let exports = tempfile::tempdir().expect("a directory");
    let good = exports.path().join("good");
    admin(
        &source,
        &["admin", "export", "--to", good.to_str().expect("utf-8")],
    )
    .await;
    let changed = exports.path().join("changed");
    std::fs::create_dir_all(changed.join("tables")).expect("dir");
    std::fs::create_dir_all(changed.join("blobs")).expect("dir");
    for entry in walk(&good) {
        let relative = entry.strip_prefix(&good).expect("inside");
        std::fs::copy(&entry, changed.join(relative)).expect("copy");
    }
    let messages = changed.join("tables/messages.jsonl");
    let text = std::fs::read_to_string(&messages).expect("messages");
    std::fs::write(
        &messages,
        text.replacen("order 3 has not arrived", "order 3 arrived", 1),
    )
    .expect("write");

    let compared = admin_may_fail(
        &source,
        &[
            "admin",
            "verify",
            good.to_str().expect("utf-8"),
            changed.to_str().expect("utf-8"),
        ],
    )
    .await;
    assert!(!compared.status.success());
    assert!(
        stderr(&compared).contains("does not match its own manifest"),
        "{}",
        stderr(&compared)
    );

    let target = TestDatabase::create().await;
    let imported = admin_may_fail(
        &target,
        &[
            "admin",
            "import",
            "--from",
            changed.to_str().expect("utf-8"),
        ],
    )
    .await;
    assert!(!imported.status.success());
    assert!(
        stderr(&imported).contains("messages has the same")
            && stderr(&imported).contains("nothing was imported"),
        "{}",
        stderr(&imported)
    );
    let app = App::build(target.config()).await.expect("app");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM messages").await, 0);
    app.store.close().await;
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).expect("dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}

//! Files outside the database rows: attachments and raw mail live in the file store (a
//! directory, or an S3-compatible bucket), `blobs` names them, bytes kept in the database by
//! earlier versions move out at start-up, and backups carry the files.
//!
//! The S3 tests talk to a real S3-compatible server (moto's server mode, which `scripts/test`
//! starts) at `RAPPORT_TEST_S3_ENDPOINT`; without it they say so and skip.

use crate::cli::{rapport, run};
use crate::helpers::{Api, TestApp, TestDatabase};
use rapport::config::S3Config;
use reqwest::{Method, StatusCode};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// An attachment's content: larger than one piece of a streamed file, different per `seed`.
fn content(seed: &str) -> Vec<u8> {
    (0..3_000)
        .map(|n| format!("{seed} line {n:05} of the attachment\n"))
        .collect::<String>()
        .into_bytes()
}

fn mail_with_file(message_id: &str, name: &str, data: &[u8]) -> Vec<u8> {
    mail_from("ana@example.com", message_id, name, data)
}

fn mail_from(from: &str, message_id: &str, name: &str, data: &[u8]) -> Vec<u8> {
    let mut raw = format!(
        "From: {from}\r\nTo: support@rapport.localhost\r\nSubject: Logs for {message_id}\r\n\
         Message-ID: <{message_id}@example.com>\r\nDate: Mon, 23 Nov 2026 09:00:00 +0000\r\n\
         MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n\
         --b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThe logs are attached.\r\n\
         --b\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Disposition: attachment; filename=\"{name}\"\r\n\r\n"
    )
    .into_bytes();
    raw.extend_from_slice(data);
    raw.extend_from_slice(b"\r\n--b--\r\n");
    raw
}

/// Posts a mail through the intake and returns the id of its (first) attachment.
async fn ingest_with_file(app: &TestApp, message_id: &str, data: &[u8]) -> i64 {
    ingest(app, mail_with_file(message_id, "server.log", data)).await
}

async fn ingest(app: &TestApp, raw: Vec<u8>) -> i64 {
    let request = app
        .intake()
        .request(Method::POST, "/api/v1/inbound/email")
        .header("content-type", "message/rfc822")
        .body(raw);
    let (status, ingested) = Api::send(request).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{ingested}");
    let (_, ticket) = app
        .api()
        .get(&format!("/api/v1/tickets/{}", ingested["ticket_id"]))
        .await;
    ticket["messages"][0]["attachments"][0]["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("an attachment: {ticket}"))
}

/// The attachment's bytes as `base_url` serves them to the admin.
async fn download(app: &TestApp, base_url: &str, id: i64) -> Vec<u8> {
    let response = app
        .client()
        .get(format!("{base_url}/api/v1/attachments/{id}"))
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .expect("the server answers");
    assert_eq!(response.status(), StatusCode::OK);
    let length = response.content_length();
    let bytes = response.bytes().await.expect("the file").to_vec();
    assert_eq!(length, Some(bytes.len() as u64), "the length is announced");
    bytes
}

/// How an attachment's content is stored in CRLF mail and read back (line ends as sent).
fn as_read(data: &[u8]) -> Vec<u8> {
    String::from_utf8_lossy(data)
        .replace('\n', "\r\n")
        .into_bytes()
}

async fn sha_of_attachment(app: &TestApp, id: i64) -> String {
    sqlx::query_scalar("SELECT sha256 FROM attachments WHERE id = $1")
        .bind(id)
        .fetch_one(app.app.store.pool())
        .await
        .expect("the attachment's digest")
}

fn file_in(dir: &Path, sha: &str) -> PathBuf {
    dir.join(&sha[0..2]).join(&sha[2..4]).join(sha)
}

#[tokio::test]
async fn files_live_in_the_data_directory_and_bytes_left_in_the_database_move_out_at_start_up() {
    let app = TestApp::spawn().await;
    let data = content("directory");
    let id = ingest_with_file(&app, "dir-1", &data).await;
    let served = download(&app, &app.base_url, id).await;
    let sha = sha_of_attachment(&app, id).await;
    assert_eq!(rapport_mail::sha256_hex(&served), sha);
    assert!(
        served == data || served == as_read(&data),
        "the attachment comes back as it was sent"
    );

    // The bytes are a file named by their digest; the row holds no bytes.
    let files = app.config.data_dir.join("files");
    let path = file_in(&files, &sha);
    assert_eq!(std::fs::read(&path).expect("the file"), served);
    let size: i64 = sqlx::query_scalar("SELECT size FROM blobs WHERE sha256 = $1")
        .bind(&sha)
        .fetch_one(app.app.store.pool())
        .await
        .expect("the blob's row");
    assert_eq!(size, served.len() as i64);

    // A database from before the file store: the bytes in the database, no file yet.
    std::fs::remove_file(&path).expect("remove the file");
    sqlx::query("INSERT INTO blobs_to_move (sha256, data) VALUES ($1, $2)")
        .bind(&sha)
        .bind(served.clone())
        .execute(app.app.store.pool())
        .await
        .expect("bytes kept in the database");
    assert_eq!(
        download(&app, &app.base_url, id).await,
        served,
        "served from the database until moved"
    );

    // Start-up moves them out, and the attachment is served the same from the file.
    let node = app.second_node().await;
    let waiting: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM blobs_to_move")
        .fetch_one(node.app.store.pool())
        .await
        .expect("count");
    assert_eq!(waiting, 0, "every waiting file moved");
    assert_eq!(std::fs::read(&path).expect("the file is back"), served);
    assert_eq!(download(&app, &node.base_url, id).await, served);
    let check = node.app.store.check_files().await.expect("check");
    assert!(
        check.missing.is_empty() && check.unnamed.is_empty(),
        "{check:?}"
    );

    // A damaged file is found out by an export, which refuses to carry it.
    let mut damaged = served.clone();
    damaged[0] ^= 1;
    std::fs::write(&path, &damaged).expect("damage the file");
    let scratch = tempfile::tempdir().expect("a directory");
    let export_dir = scratch.path().join("export");
    let exported = run(
        rapport(
            &app.db,
            &[
                "admin",
                "export",
                "--to",
                export_dir.to_str().expect("utf-8"),
            ],
        ),
        "",
    );
    let said = String::from_utf8_lossy(&exported.stderr);
    assert!(!exported.status.success(), "{said}");
    assert!(said.contains("is damaged"), "{said}");
    std::fs::write(&path, &served).expect("mend the file");

    // A file without a row is harmless and counted; a row without its file is reported.
    let stray = rapport_mail::sha256_hex(b"never committed");
    node.app
        .store
        .files()
        .put(&stray, b"never committed")
        .await
        .expect("a stray file");
    std::fs::remove_file(&path).expect("lose the file");
    let check = node.app.store.check_files().await.expect("check");
    assert_eq!(check.unnamed, vec![stray]);
    assert_eq!(check.missing, vec![sha]);
}

#[tokio::test]
async fn erasing_a_customer_removes_their_files_and_keeps_those_others_share() {
    let app = TestApp::spawn().await;
    let files = app.config.data_dir.join("files");
    let theirs = content("only ana's");
    let shared = content("everyone's");
    let ana_mail = mail_from("ana@example.com", "ana-1", "mine.log", &theirs);
    let ana_file = ingest(&app, ana_mail.clone()).await;
    ingest(
        &app,
        mail_from("ana@example.com", "ana-2", "shared.log", &shared),
    )
    .await;
    let bob_file = ingest(
        &app,
        mail_from("bob@example.com", "bob-1", "shared.log", &shared),
    )
    .await;
    let ana_sha = sha_of_attachment(&app, ana_file).await;
    let shared_sha = sha_of_attachment(&app, bob_file).await;
    let ana_raw_sha = rapport_mail::sha256_hex(&ana_mail);
    for sha in [&ana_sha, &shared_sha, &ana_raw_sha] {
        assert!(file_in(&files, sha).is_file());
    }
    let customer: i64 =
        sqlx::query_scalar("SELECT customer_id FROM customer_emails WHERE email = $1")
            .bind("ana@example.com")
            .fetch_one(app.app.store.pool())
            .await
            .expect("ana");

    let (status, erased) = app
        .api()
        .post(
            &format!("/api/v1/customers/{customer}/erase"),
            serde_json::json!({"reason": "Asked by mail."}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{erased}");

    assert!(
        !file_in(&files, &ana_sha).exists(),
        "her attachment's bytes are gone"
    );
    assert!(
        !file_in(&files, &ana_raw_sha).exists(),
        "her mail as it arrived is gone"
    );
    assert!(file_in(&files, &shared_sha).is_file(), "bob's copy stays");
    assert_eq!(
        download(&app, &app.base_url, bob_file).await.len() as u64,
        {
            let size: i64 = sqlx::query_scalar("SELECT size FROM attachments WHERE id = $1")
                .bind(bob_file)
                .fetch_one(app.app.store.pool())
                .await
                .expect("size");
            size as u64
        }
    );
    let check = app.app.store.check_files().await.expect("check");
    assert!(
        check.missing.is_empty() && check.unnamed.is_empty(),
        "{check:?}"
    );
}

/// The moto server `scripts/test` starts, or `None` (and a note) when there is none.
fn s3_endpoint(test: &str) -> Option<String> {
    match std::env::var("RAPPORT_TEST_S3_ENDPOINT") {
        Ok(endpoint) if !endpoint.is_empty() => Some(endpoint.trim_end_matches('/').to_owned()),
        _ => {
            eprintln!(
                "note: {test} skipped: RAPPORT_TEST_S3_ENDPOINT is not set (scripts/test starts moto and sets it)"
            );
            None
        }
    }
}

/// A new, empty bucket on the S3 server.
async fn new_bucket(endpoint: &str, name: &str) -> S3Config {
    let bucket = format!(
        "{name}-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("time")
            .as_nanos()
    );
    let created = reqwest::Client::new()
        .put(format!("{endpoint}/{bucket}"))
        .send()
        .await
        .expect("the S3 server answers");
    assert!(created.status().is_success(), "{}", created.status());
    S3Config {
        bucket,
        endpoint: Some(endpoint.to_owned()),
        region: "us-east-1".to_owned(),
        access_key_id: Some("testing".to_owned()),
        secret_access_key: Some("testing".to_owned()),
        prefix: Some("rapport".to_owned()),
    }
}

/// A configuration file that points the command line at `s3`.
fn s3_config_file(dir: &Path, s3: &S3Config) -> PathBuf {
    let path = dir.join(format!("{}.toml", s3.bucket));
    std::fs::write(
        &path,
        format!(
            "[s3]\nbucket = \"{}\"\nendpoint = \"{}\"\nregion = \"{}\"\naccess_key_id = \"testing\"\nsecret_access_key = \"testing\"\nprefix = \"rapport\"\n",
            s3.bucket,
            s3.endpoint.as_deref().unwrap_or_default(),
            s3.region
        ),
    )
    .expect("write the configuration");
    path
}

fn admin(db: &TestDatabase, config: &Path, args: &[&str]) -> (String, String) {
    let mut all = vec!["--config", config.to_str().expect("utf-8")];
    all.extend_from_slice(args);
    let output = run(rapport(db, &all), "");
    let (out, err) = (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    );
    assert!(
        output.status.success(),
        "rapport {}: {out}{err}",
        all.join(" ")
    );
    (out, err)
}

#[tokio::test]
async fn on_s3_attachments_survive_a_restart_and_a_backup_restores_them_to_another_bucket() {
    let Some(endpoint) = s3_endpoint("on_s3_attachments_survive_a_restart") else {
        return;
    };
    let s3 = new_bucket(&endpoint, "rapport-files").await;
    let app = TestApp::spawn_with(|config| config.s3 = Some(s3.clone())).await;
    let data = content("on s3");
    let id = ingest_with_file(&app, "s3-1", &data).await;
    let served = download(&app, &app.base_url, id).await;
    let sha = sha_of_attachment(&app, id).await;
    assert_eq!(rapport_mail::sha256_hex(&served), sha);

    // The file is an object in the bucket (read by a client of its own), and nothing went
    // to the data directory.
    let bucket = rapport_store::files::Files::s3(&s3.settings()).expect("a client");
    assert_eq!(bucket.get(&sha).await.expect("read"), Some(served.clone()));
    assert!(bucket.names().await.expect("list").contains(&sha));
    assert!(!app.config.data_dir.join("files").exists());

    // After a restart (another process on the same database and bucket), still there.
    let node = app.second_node().await;
    assert_eq!(download(&app, &node.base_url, id).await, served);
    let raw: Value = {
        let (status, list) = app.api().get("/api/v1/inbound/emails").await;
        assert_eq!(status, StatusCode::OK, "{list}");
        list
    };
    let inbound_id = raw["items"][0]["id"].as_i64().expect("an inbound mail");
    let raw_mail = app
        .client()
        .get(format!(
            "{}/api/v1/inbound/emails/{inbound_id}/raw",
            node.base_url
        ))
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .expect("the raw mail");
    assert_eq!(raw_mail.status(), StatusCode::OK);
    assert_eq!(
        raw_mail.bytes().await.expect("bytes").to_vec(),
        mail_with_file("s3-1", "server.log", &data)
    );

    // A backup carries the files; restored with another bucket, every file is there again.
    let scratch = tempfile::tempdir().expect("a directory");
    let backup = scratch.path().join("rapport.backup");
    let backup_arg = backup.to_str().expect("utf-8");
    let source_config = s3_config_file(scratch.path(), &s3);
    let db = &app.db;
    let (_, said) = admin(db, &source_config, &["admin", "backup", "--to", backup_arg]);
    assert!(said.contains("Backed up to"), "{said}");

    let restored = TestDatabase::create().await;
    let target = new_bucket(&endpoint, "rapport-restored").await;
    let target_config = s3_config_file(scratch.path(), &target);
    let (_, said) = admin(
        &restored,
        &target_config,
        &["admin", "restore", "--from", backup_arg],
    );
    assert!(said.contains("checked them against the backup"), "{said}");
    let (verified, _) = admin(
        &restored,
        &target_config,
        &["admin", "verify", "--against", backup_arg],
    );
    assert!(
        verified.contains("The two copies hold the same data"),
        "{verified}"
    );
    let (checked, _) = admin(&restored, &target_config, &["admin", "check-files"]);
    assert!(checked.contains("No file is missing."), "{checked}");

    let mut config = restored.config();
    config.s3 = Some(target);
    let restored_app = rapport::App::build(config).await.expect("the restored app");
    assert_eq!(
        restored_app.store.blob(&sha).await.expect("the file"),
        served
    );
    restored_app.store.close().await;
}

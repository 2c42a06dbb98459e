//! Faults from outside: the database going away under load, and the server killed while it
//! hands mail to a slow SMTP server. Both run real processes (`rapport serve`, PostgreSQL,
//! aiosmtpd), each cleaned up by a guard even when an assertion fails.

use crate::cli::{Server, create_admin_and_token, create_intake_token};
use crate::helpers::TestDatabase;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A PostgreSQL server of the test's own (initdb in a temporary directory, trust auth on
/// 127.0.0.1, a free port), so it can be stopped and started without touching anyone else's.
/// Stopped (immediately) when dropped.
struct OwnPostgres {
    bin: PathBuf,
    dir: tempfile::TempDir,
    port: u16,
    /// Runs the PostgreSQL tools as this user when the tests run as root (initdb refuses root).
    run_as: Option<&'static str>,
}

impl OwnPostgres {
    /// `None` (with the reason printed) when PostgreSQL's binaries are not installed or cannot
    /// be run here.
    fn start() -> Option<OwnPostgres> {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .ok()?
            .filter_map(|entry| entry.ok().map(|e| e.path().join("bin")))
            .filter(|bin| bin.join("pg_ctl").exists() && bin.join("initdb").exists())
            .max();
        let Some(bin) = bin else {
            eprintln!(
                "skipped: no PostgreSQL binaries under /usr/lib/postgresql/*/bin (scripts/test installs them)"
            );
            return None;
        };
        // initdb refuses to run as root: then the `postgres` user runs the tools.
        let root = Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "0");
        let run_as = if root {
            let postgres_user = Command::new("id")
                .arg("postgres")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|status| status.success());
            if !postgres_user {
                eprintln!(
                    "skipped: running as root and there is no `postgres` user to run initdb as"
                );
                return None;
            }
            Some("postgres")
        } else {
            None
        };
        let dir = tempfile::tempdir().expect("a temporary directory");
        if root {
            let chown = Command::new("chown")
                .args(["postgres:", &dir.path().display().to_string()])
                .status()
                .expect("chown");
            assert!(chown.success(), "chown the data directory to postgres");
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .expect("a free port")
            .local_addr()
            .expect("addr")
            .port();
        let server = OwnPostgres {
            bin,
            dir,
            port,
            run_as,
        };
        let data = server.data().display().to_string();
        let initdb = server
            .tool("initdb")
            .args(["-D", &data, "-U", "postgres", "-A", "trust", "-E", "UTF8"])
            .stdout(Stdio::null())
            .output()
            .expect("run initdb");
        if !initdb.status.success() {
            eprintln!(
                "skipped: initdb failed here: {}",
                String::from_utf8_lossy(&initdb.stderr)
            );
            return None;
        }
        server.pg_ctl_start();
        Some(server)
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn tool(&self, name: &str) -> Command {
        let program = self.bin.join(name);
        match self.run_as {
            Some(user) => {
                let mut command = Command::new("runuser");
                command.args(["-u", user, "--"]).arg(program);
                command
            }
            None => Command::new(program),
        }
    }

    fn admin_url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    fn pg_ctl_start(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1",
            self.port,
            self.dir.path().display()
        );
        let log = self.dir.path().join("postgres.log");
        let started = self
            .tool("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .args(["-o", &options, "-l"])
            .arg(&log)
            .args(["-w", "-t", "30", "start"])
            .stdout(Stdio::null())
            .output()
            .expect("run pg_ctl start");
        assert!(
            started.status.success(),
            "pg_ctl start: {}\n{}",
            String::from_utf8_lossy(&started.stderr),
            std::fs::read_to_string(&log).unwrap_or_default()
        );
    }

    fn pg_ctl_stop(&self, mode: &str) -> bool {
        self.tool("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .args(["-m", mode, "-w", "-t", "30", "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success())
    }
}

impl Drop for OwnPostgres {
    fn drop(&mut self) {
        self.pg_ctl_stop("immediate");
    }
}

/// What one request got, and how long it took.
struct Outcome {
    status: Option<StatusCode>,
    code: Option<String>,
    took: Duration,
}

/// No request may take longer than this, database or not.
const REQUEST_BOUND: Duration = Duration::from_secs(15);

#[tokio::test]
async fn a_database_outage_under_load_gets_503_and_loses_nothing_acknowledged() {
    let Some(postgres) = OwnPostgres::start() else {
        return;
    };
    let db = TestDatabase::on_postgres(postgres.admin_url()).await;
    let token = create_admin_and_token(&db);
    let intake = create_intake_token(&db);
    let server = Server::start(&db).await;
    let stop = Arc::new(AtomicBool::new(false));
    let tickets: Arc<Mutex<Vec<i64>>> = Arc::default();
    let mails: Arc<Mutex<Vec<String>>> = Arc::default();
    let outcomes: Arc<Mutex<Vec<Outcome>>> = Arc::default();
    let client = reqwest::Client::builder()
        .timeout(REQUEST_BOUND * 2)
        .build()
        .expect("client");

    let mut clients = Vec::new();
    for writer in 0..4 {
        let (base_url, token, intake, client) = (
            server.base_url.clone(),
            token.clone(),
            intake.clone(),
            client.clone(),
        );
        let (stop, tickets, mails, outcomes) = (
            stop.clone(),
            tickets.clone(),
            mails.clone(),
            outcomes.clone(),
        );
        clients.push(tokio::spawn(async move {
            let mut n = 0;
            while !stop.load(Ordering::SeqCst) {
                n += 1;
                let started = Instant::now();
                let mail_id = format!("outage-{writer}-{n}@example.com");
                let request = if writer % 2 == 0 {
                    client
                        .post(format!("{base_url}/api/v1/tickets"))
                        .bearer_auth(&token)
                        .json(&json!({
                            "subject": format!("Writer {writer} ticket {n}"),
                            "body": "Written while the database may be away",
                            "customer": {"email": format!("writer{writer}@example.com")},
                        }))
                } else {
                    client
                        .post(format!("{base_url}/api/v1/inbound/email"))
                        .bearer_auth(&intake)
                        .header("content-type", "message/rfc822")
                        .body(format!(
                            "From: sender{writer}@example.com\r\nTo: support@rapport.localhost\r\n\
                             Subject: Outage {n}\r\nMessage-ID: <{mail_id}>\r\n\
                             Content-Type: text/plain\r\n\r\nMail {n} from writer {writer}.\r\n"
                        ))
                };
                let sent = request.send().await;
                let took = started.elapsed();
                let outcome = match sent {
                    Ok(response) => {
                        let status = response.status();
                        let body: Value = response.json().await.unwrap_or(Value::Null);
                        if status.is_success() {
                            if writer % 2 == 0 {
                                let id = body["id"].as_i64().expect("a created ticket's id");
                                tickets.lock().expect("lock").push(id);
                            } else {
                                mails.lock().expect("lock").push(mail_id);
                            }
                        }
                        Outcome {
                            status: Some(status),
                            code: body["error"]["code"].as_str().map(str::to_owned),
                            took,
                        }
                    }
                    Err(_) => Outcome {
                        status: None,
                        code: None,
                        took,
                    },
                };
                let failed = outcome.status.is_none_or(|s| !s.is_success());
                outcomes.lock().expect("lock").push(outcome);
                if failed {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }));
    }
    let acknowledged = || tickets.lock().expect("lock").len() + mails.lock().expect("lock").len();
    let wait_for = |at_least: usize| async move {
        let deadline = Instant::now() + Duration::from_secs(20);
        while acknowledged() < at_least {
            assert!(Instant::now() < deadline, "the clients got no answers");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    wait_for(40).await;

    // The database goes away for a few seconds.
    assert!(postgres.pg_ctl_stop("fast"), "pg_ctl stop -m fast");
    let down_at = Instant::now();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let asked = Instant::now();
    let ready = client
        .get(format!("{}/readyz", server.base_url))
        .send()
        .await
        .expect("/readyz answers while the database is down");
    let ready_took = asked.elapsed();
    let ready_status = ready.status();
    let ready_body: Value = ready.json().await.expect("json");
    // Longer than a request waits for a connection on PostgreSQL (10 s), so requests in the
    // outage are answered 503 rather than just delayed.
    tokio::time::sleep(Duration::from_secs(12).saturating_sub(down_at.elapsed())).await;
    let during_outage = outcomes.lock().expect("lock").len();
    postgres.pg_ctl_start();
    let up_at = Instant::now();

    // Back without a restart: new writes are acknowledged again.
    let before = acknowledged();
    wait_for(before + 40).await;
    let recovered_in = up_at.elapsed();
    let ready_again = client
        .get(format!("{}/readyz", server.base_url))
        .send()
        .await
        .expect("/readyz");
    stop.store(true, Ordering::SeqCst);
    for writer in clients {
        writer.await.expect("client task");
    }

    assert_eq!(
        ready_status,
        StatusCode::SERVICE_UNAVAILABLE,
        "/readyz while the database is down: {ready_body}"
    );
    assert_eq!(
        ready_body["error"]["code"], "database_unavailable",
        "{ready_body}"
    );
    assert!(
        ready_took < Duration::from_secs(5),
        "/readyz answered in {ready_took:?}"
    );
    assert_eq!(
        ready_again.status(),
        StatusCode::OK,
        "ready once it is back"
    );
    assert!(
        recovered_in < Duration::from_secs(15),
        "writes were acknowledged again {recovered_in:?} after the database came back"
    );

    let outcomes = std::mem::take(&mut *outcomes.lock().expect("lock"));
    let mut by_answer: HashMap<String, usize> = HashMap::new();
    for outcome in outcomes.iter() {
        let answer = match (outcome.status, &outcome.code) {
            (Some(status), Some(code)) => format!("{} {code}", status.as_u16()),
            (Some(status), None) => status.as_u16().to_string(),
            (None, _) => "no answer".to_owned(),
        };
        *by_answer.entry(answer).or_default() += 1;
    }
    let slowest = outcomes.iter().map(|o| o.took).max().unwrap_or_default();
    eprintln!(
        "answers: {by_answer:?}; slowest {slowest:?}; {during_outage} requests before the database came back; recovered in {recovered_in:?}"
    );
    for outcome in outcomes.iter() {
        match outcome.status {
            Some(status) if status.is_success() => {}
            Some(StatusCode::SERVICE_UNAVAILABLE) => assert_eq!(
                outcome.code.as_deref(),
                Some("database_unavailable"),
                "{by_answer:?}"
            ),
            _ => panic!("only 2xx and 503 database_unavailable are fine: {by_answer:?}"),
        }
        assert!(
            outcome.took < REQUEST_BOUND,
            "a request took {:?}: {by_answer:?}",
            outcome.took
        );
    }
    assert!(
        by_answer
            .get("503 database_unavailable")
            .is_some_and(|n| *n > 0),
        "requests during the outage were told the database is unavailable: {by_answer:?}"
    );

    // Every acknowledged write is in the database.
    let app = rapport::App::build(db.config()).await.expect("reopen");
    let tickets = tickets.lock().expect("lock").clone();
    for id in &tickets {
        let found: Option<i64> = sqlx::query_scalar("SELECT id FROM tickets WHERE id = $1")
            .bind(id)
            .fetch_optional(app.store.pool())
            .await
            .expect("query");
        assert!(found.is_some(), "acknowledged ticket {id} was lost");
    }
    let mails = mails.lock().expect("lock").clone();
    for mail_id in &mails {
        let found: Option<i64> =
            sqlx::query_scalar("SELECT id FROM messages WHERE email_message_id = $1")
                .bind(mail_id)
                .fetch_optional(app.store.pool())
                .await
                .expect("query");
        assert!(found.is_some(), "acknowledged mail {mail_id} was lost");
    }
    app.store.pool().close().await;
    drop(server);
    drop(db);
}

/// An SMTP server (aiosmtpd) that stores each mail as soon as it has it, then waits before
/// saying 250: a sender killed in that window has handed over a mail it never heard was taken.
struct SlowSmtp {
    child: Child,
    port: u16,
    maildir: tempfile::TempDir,
}

const SLOW_SMTP: &str = r#"
import asyncio, os, sys, time, uuid
from aiosmtpd.controller import Controller

port, maildir = int(sys.argv[1]), sys.argv[2]

class Slow:
    async def handle_DATA(self, server, session, envelope):
        name = os.path.join(maildir, "tmp", uuid.uuid4().hex)
        with open(name, "wb") as f:
            f.write(envelope.original_content or envelope.content)
        os.rename(name, os.path.join(maildir, "new", os.path.basename(name)))
        await asyncio.sleep(0.25)
        return "250 Message accepted for delivery"

controller = Controller(Slow(), hostname="127.0.0.1", port=port)
controller.start()
while True:
    time.sleep(3600)
"#;

impl SlowSmtp {
    fn start() -> SlowSmtp {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .expect("port")
            .local_addr()
            .expect("addr")
            .port();
        let maildir = tempfile::tempdir().expect("maildir");
        for folder in ["tmp", "new"] {
            std::fs::create_dir_all(maildir.path().join(folder)).expect("maildir");
        }
        let child = Command::new("python3")
            .args(["-c", SLOW_SMTP, &port.to_string()])
            .arg(maildir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 runs (aiosmtpd is installed by scripts/test: pip install aiosmtpd)");
        let mut smtp = SlowSmtp {
            child,
            port,
            maildir,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = smtp.child.try_wait() {
                panic!("the SMTP server exited ({status}); install aiosmtpd or run scripts/test");
            }
            assert!(Instant::now() < deadline, "the SMTP server did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        smtp
    }

    /// How many times each Message-ID arrived.
    fn received(&self) -> HashMap<String, usize> {
        let mut counts = HashMap::new();
        let Ok(entries) = std::fs::read_dir(self.maildir.path().join("new")) else {
            return counts;
        };
        for entry in entries.filter_map(Result::ok) {
            let raw = std::fs::read(entry.path()).unwrap_or_default();
            let raw = String::from_utf8_lossy(&raw);
            let id = raw.lines().find_map(|line| {
                let (key, value) = line.split_once(':')?;
                key.eq_ignore_ascii_case("message-id")
                    .then(|| value.trim().trim_matches(['<', '>']).to_owned())
            });
            *counts.entry(id.unwrap_or_default()).or_default() += 1;
        }
        counts
    }
}

impl Drop for SlowSmtp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Our mails and where they stand: (Message-ID, delivery) for every message we sent out.
async fn outbound(store: &rapport_store::Store) -> Vec<(String, String)> {
    sqlx::query_as(
        "SELECT email_message_id, delivery FROM messages WHERE author_kind <> 'customer' AND email_message_id IS NOT NULL ORDER BY id",
    )
    .fetch_all(store.pool())
    .await
    .expect("query")
}

/// SMTP cannot be exactly-once: a sender that dies after handing a mail over but before
/// hearing "250" cannot know it was taken. So: after a SIGKILL in the middle of sending, every
/// reply arrives, and the only one that may arrive twice is the one in flight at the kill (its
/// Message-ID is the same both times, so mail programs show it once). Nothing else twice.
#[tokio::test]
async fn sigkill_while_sending_mail_delivers_every_reply_and_repeats_at_most_the_one_in_flight() {
    let smtp = SlowSmtp::start();
    let db = TestDatabase::create().await;
    let token = create_admin_and_token(&db);
    let config = db.data_dir().join("rapport.toml");
    std::fs::write(
        &config,
        format!(
            "worker_interval_seconds = 1\nmail_from = \"help@rapport.example\"\n\n\
             [smtp]\nhost = \"127.0.0.1\"\nport = {}\nsecurity = \"none\"\n",
            smtp.port
        ),
    )
    .expect("write the configuration");
    let config = config.display().to_string();
    let mut server = Server::start_with(&db, &["--config", &config]).await;
    let store = rapport_store::Store::connect(&db.config().database_url(), 2)
        .await
        .expect("open the database");

    // Many replies queued, faster than the slow server takes them.
    let client = reqwest::Client::new();
    let total = 24;
    for n in 0..total {
        let created: Value = client
            .post(format!("{}/api/v1/tickets", server.base_url))
            .bearer_auth(&token)
            .json(&json!({
                "subject": format!("Question {n}"),
                "body": "Can you help?",
                "customer": {"email": format!("customer{n}@example.com")},
            }))
            .send()
            .await
            .expect("create")
            .json()
            .await
            .expect("json");
        let id = created["id"].as_i64().expect("ticket id");
        let reply = client
            .post(format!("{}/api/v1/tickets/{id}/messages", server.base_url))
            .bearer_auth(&token)
            .json(&json!({"body": format!("Here is answer {n}."), "visibility": "public"}))
            .send()
            .await
            .expect("reply");
        assert_eq!(reply.status(), StatusCode::CREATED);
    }
    let queued = outbound(&store).await;
    assert!(queued.len() >= total, "{queued:?}");

    // Kill the server while it is sending: a few mails have arrived, most have not.
    let deadline = Instant::now() + Duration::from_secs(30);
    while smtp.received().values().sum::<usize>() < 6 {
        assert!(Instant::now() < deadline, "the server sent no mail");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    server.child.kill().expect("SIGKILL");
    server.child.wait().expect("reaped");
    let at_kill = smtp.received();
    assert!(
        at_kill.len() < queued.len(),
        "killed while mail was still queued"
    );
    // The one the server had claimed and not finished: its job is leased, not done.
    let [send, notice] = rapport_domain::Job::MAIL_KINDS;
    let leased: Vec<(String, String)> = sqlx::query_as(
        "SELECT kind, payload FROM jobs WHERE kind IN ($1, $2) AND done_at IS NULL AND attempts > 0",
    )
    .bind(send)
    .bind(notice)
    .fetch_all(store.pool())
    .await
    .expect("query");
    assert!(leased.len() <= 1, "one mail in flight: {leased:?}");
    let mut in_flight: Option<String> = None;
    for (kind, payload) in &leased {
        let Ok(rapport_domain::Job::SendEmail { message_id }) =
            rapport_domain::Job::from_stored(kind, payload)
        else {
            panic!("a reply's job: {kind} {payload}");
        };
        in_flight = sqlx::query_scalar("SELECT email_message_id FROM messages WHERE id = $1")
            .bind(message_id)
            .fetch_one(store.pool())
            .await
            .expect("query");
    }

    let server = Server::start_with(&db, &["--config", &config]).await;
    // Everything not in flight goes out after the restart; the leased one waits for its lease
    // to run out (minutes): move that along instead of waiting.
    let deadline = Instant::now() + Duration::from_secs(40);
    let mut expired = false;
    loop {
        let unsent = outbound(&store)
            .await
            .into_iter()
            .filter(|(_, delivery)| delivery != "sent")
            .count();
        if unsent == 0 {
            break;
        }
        if unsent <= 1 && !expired {
            sqlx::query("UPDATE jobs SET run_at = $1 WHERE kind IN ($2, $3) AND done_at IS NULL")
                .bind("1970-01-01T00:00:00.000000Z")
                .bind(send)
                .bind(notice)
                .execute(store.pool())
                .await
                .expect("expire the lease");
            expired = true;
        }
        assert!(
            Instant::now() < deadline,
            "{unsent} mails still unsent: {:?}",
            outbound(&store).await
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // A round more: nothing is sent again.
    tokio::time::sleep(Duration::from_millis(1500)).await;

    let received = smtp.received();
    let queued = outbound(&store).await;
    for (message_id, _) in &queued {
        assert!(
            received.contains_key(message_id),
            "reply {message_id} was never delivered"
        );
    }
    assert_eq!(
        received.len(),
        queued.len(),
        "only our replies arrived: {received:?}"
    );
    let twice: Vec<(&String, &usize)> = received.iter().filter(|(_, n)| **n > 1).collect();
    eprintln!(
        "{} replies; {} had arrived at the kill; in flight: {in_flight:?}; arrived more than once: {twice:?}",
        queued.len(),
        at_kill.values().sum::<usize>()
    );
    assert!(
        twice.len() <= 1 && twice.iter().all(|(_, n)| **n == 2),
        "only the mail in flight may arrive twice, and only twice: {twice:?}"
    );
    if let Some((message_id, _)) = twice.first() {
        assert_eq!(
            in_flight.as_ref(),
            Some(*message_id),
            "the repeated mail was the one in flight at the kill"
        );
        assert_eq!(at_kill.get(*message_id), Some(&1), "it had arrived once");
    }
    store.pool().close().await;
    drop(server);
}

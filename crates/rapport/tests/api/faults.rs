//! Faults from outside: the database going away under load, and the server killed while it
//! hands mail to a slow SMTP server. Both run real processes (`rapport serve`, PostgreSQL,
//! aiosmtpd), each cleaned up by a guard even when an assertion fails.

use crate::cli::{Server, create_admin_and_token, create_intake_token, rapport};
use crate::helpers::TestDatabase;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
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
        // SAFETY-free check of the effective user: root cannot run initdb.
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

    let outcomes = outcomes.lock().expect("lock");
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
    drop(outcomes);

    // Every acknowledged write is in the database.
    let app = rapport::App::build(db.config()).await.expect("reopen");
    for id in tickets.lock().expect("lock").iter() {
        let found: Option<i64> = sqlx::query_scalar("SELECT id FROM tickets WHERE id = $1")
            .bind(id)
            .fetch_optional(app.store.pool())
            .await
            .expect("query");
        assert!(found.is_some(), "acknowledged ticket {id} was lost");
    }
    for mail_id in mails.lock().expect("lock").iter() {
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

//! The email channel with real parts: raw messages through the HTTP endpoint and the
//! `rapport ingest` pipe, and replies delivered to a real SMTP server (aiosmtpd).

use crate::cli::{rapport, run};
use crate::helpers::{Api, TestApp, TestDatabase, error_code, error_message};
use rapport::config::SmtpConfig;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const OUTLOOK: &[u8] = include_bytes!("../../../mail/tests/fixtures/outlook_attachments.eml");
const OUT_OF_OFFICE: &[u8] = include_bytes!("../../../mail/tests/fixtures/out_of_office.eml");
const NEWSLETTER: &[u8] = include_bytes!("../../../mail/tests/fixtures/newsletter_bulk.eml");

async fn post_mail(app: &TestApp, raw: &[u8]) -> (StatusCode, Value) {
    let request = app
        .intake()
        .request(Method::POST, "/api/v1/inbound/email")
        .header("content-type", "message/rfc822")
        .body(raw.to_vec());
    Api::send(request).await
}

fn mail(from: &str, subject: &str, message_id: &str, extra_headers: &str, body: &str) -> Vec<u8> {
    format!(
        "From: {from}\r\nTo: support@rapport.localhost\r\nSubject: {subject}\r\nMessage-ID: <{message_id}>\r\n\
         Date: Mon, 23 Nov 2026 09:00:00 +0000\r\n{extra_headers}Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    )
    .into_bytes()
}

#[tokio::test]
async fn a_mail_becomes_a_ticket_with_its_customer_text_and_attachments() {
    let app = TestApp::spawn().await;

    let (status, ingested) = post_mail(&app, OUTLOOK).await;

    assert_eq!(status, StatusCode::ACCEPTED, "{ingested}");
    assert_eq!(ingested["outcome"], "new_ticket");
    assert_eq!(ingested["duplicate"], false);
    let (_, ticket) = app
        .api()
        .get(&format!("/api/v1/tickets/{}", ingested["ticket_id"]))
        .await;
    assert_eq!(ticket["subject"], "USB port again");
    assert_eq!(ticket["channel"], "email");
    let message = &ticket["messages"][0];
    assert_eq!(message["id"], ingested["message_id"]);
    assert!(
        message["text"]
            .as_str()
            .is_some_and(|t| t.contains("drops again"))
    );
    assert!(
        !message["html"]
            .as_str()
            .unwrap_or_default()
            .contains("script"),
        "HTML is sanitized"
    );
    assert_eq!(
        message["email"]["message_id"],
        "outlook-1@harborpine.example"
    );
    assert_eq!(message["email"]["from"], "lee@harborpine.example");
    assert_eq!(
        message["attachments"],
        json!([
            {"id": message["attachments"][0]["id"], "filename": "usb port.png", "content_type": "image/png", "size": 70},
            {"id": message["attachments"][1]["id"], "filename": "Rechnung März.pdf", "content_type": "application/pdf", "size": 16},
        ])
    );
    let (_, customers) = app
        .api()
        .get("/api/v1/customers?email=lee@harborpine.example")
        .await;
    assert_eq!(customers["items"][0]["name"], "Lee Chen");
    assert_eq!(customers["items"][0]["id"], ticket["customer_id"]);
}

#[tokio::test]
async fn the_same_mail_twice_is_stored_once() {
    let app = TestApp::spawn().await;
    let (_, first) = post_mail(&app, OUTLOOK).await;

    let (status, second) = post_mail(&app, OUTLOOK).await;

    assert_eq!(status, StatusCode::ACCEPTED);
    assert_eq!(second["duplicate"], true);
    assert_eq!(second["ticket_id"], first["ticket_id"]);
    assert_eq!(second["message_id"], first["message_id"]);
    let (_, tickets) = app.api().get("/api/v1/tickets").await;
    assert_eq!(tickets["items"].as_array().map(Vec::len), Some(1));

    // Without a Message-ID, the same bytes are the same mail.
    let bare =
        b"From: kim@example.com\r\nSubject: No id\r\n\r\nHello there, my printer is broken.\r\n";
    let (_, a) = post_mail(&app, bare).await;
    let (_, b) = post_mail(&app, bare).await;
    assert_eq!(a["ticket_id"], b["ticket_id"]);
    assert_eq!(b["duplicate"], true);
}

#[tokio::test]
async fn replies_thread_by_headers_or_token_and_reopen_a_resolved_problem() {
    let app = TestApp::spawn().await;
    let (_, first) = post_mail(
        &app,
        &mail(
            "Dan <dan@example.com>",
            "Backup fails",
            "d1@example.com",
            "",
            "The backup failed.",
        ),
    )
    .await;
    let ticket_id = first["ticket_id"].as_i64().expect("ticket");
    let (_, reply) = app
        .api()
        .post(
            &format!("/api/v1/tickets/{ticket_id}/messages"),
            json!({"body": "Dan, could you try tonight?", "visibility": "public"}),
        )
        .await;
    let our_id = reply["email"]["message_id"]
        .as_str()
        .expect("our reply has a Message-ID")
        .to_owned();
    assert_eq!(reply["email"]["delivery"], "queued");
    app.api()
        .post(
            &format!("/api/v1/tickets/{ticket_id}/state"),
            json!({"action": "propose_resolution"}),
        )
        .await;

    let headers = format!("In-Reply-To: <{our_id}>\r\nReferences: <d1@example.com> <{our_id}>\r\n");
    let body = "It failed again.\r\n\r\nOn Mon, Sam wrote:\r\n> Dan, could you try tonight?";
    let (status, threaded) = post_mail(
        &app,
        &mail(
            "Dan <dan@example.com>",
            "Re: Backup fails",
            "d2@example.com",
            &headers,
            body,
        ),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{threaded}");
    assert_eq!(threaded["outcome"], "reply");
    assert_eq!(threaded["ticket_id"], ticket_id);
    let (_, ticket) = app.api().get(&format!("/api/v1/tickets/{ticket_id}")).await;
    assert_eq!(
        ticket["problem"], "open",
        "the reply reopened the proposed resolution"
    );
    let last = ticket["messages"]
        .as_array()
        .and_then(|m| m.last())
        .cloned()
        .expect("message");
    assert_eq!(last["text"], "It failed again.");
    assert!(
        last["quoted_text"]
            .as_str()
            .is_some_and(|q| q.contains("could you try tonight"))
    );

    let subject = format!("Re: Backup fails [#{ticket_id}]");
    let (_, by_token) = post_mail(
        &app,
        &mail(
            "dan@example.com",
            &subject,
            "d3@example.com",
            "",
            "And again.",
        ),
    )
    .await;
    assert_eq!(
        by_token["ticket_id"], ticket_id,
        "the subject token threads the customer's mail"
    );

    let (_, stranger) = post_mail(
        &app,
        &mail(
            "eve@example.com",
            &subject,
            "e1@example.com",
            "",
            "Let me in.",
        ),
    )
    .await;
    assert_eq!(
        stranger["outcome"], "new_ticket",
        "a token does not let a stranger into someone else's case"
    );
    assert_ne!(stranger["ticket_id"], ticket_id);
}

#[tokio::test]
async fn auto_replies_and_bulk_mail_open_nothing_and_bounces_are_recorded() {
    let app = TestApp::spawn().await;
    for raw in [OUT_OF_OFFICE, NEWSLETTER] {
        let (status, ingested) = post_mail(&app, raw).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{ingested}");
        assert_eq!(ingested["ticket_id"], Value::Null, "{ingested}");
    }
    let (_, tickets) = app.api().get("/api/v1/tickets").await;
    assert_eq!(tickets["items"], json!([]));

    let (_, first) = post_mail(
        &app,
        &mail(
            "gone@example.com",
            "Hello",
            "g1@example.com",
            "",
            "Please help with my order.",
        ),
    )
    .await;
    let ticket_id = first["ticket_id"].as_i64().expect("ticket");
    let (_, reply) = app
        .api()
        .post(
            &format!("/api/v1/tickets/{ticket_id}/messages"),
            json!({"body": "Here is your answer.", "visibility": "public"}),
        )
        .await;
    let our_id = reply["email"]["message_id"]
        .as_str()
        .expect("id")
        .to_owned();
    let bounce = format!(
        "From: MAILER-DAEMON@mx.example\r\nTo: support@rapport.localhost\r\nSubject: Undelivered Mail\r\nMessage-ID: <b1@mx.example>\r\n\
         MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n\
         Could not deliver.\r\n--b\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: <{our_id}>\r\nTo: gone@example.com\r\n--b--\r\n"
    );
    let (status, bounced) = post_mail(&app, bounce.as_bytes()).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert_eq!(bounced["outcome"], "bounce");
    assert_eq!(bounced["ticket_id"], Value::Null);
    let (_, ticket) = app.api().get(&format!("/api/v1/tickets/{ticket_id}")).await;
    let ours = ticket["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .find(|m| m["id"] == reply["id"])
        .cloned()
        .expect("reply");
    assert_eq!(ours["email"]["delivery"], "bounced");
    assert_eq!(
        ticket["messages"].as_array().map(Vec::len),
        Some(2),
        "the bounce is no message on the ticket"
    );
}

#[tokio::test]
async fn what_is_not_an_email_is_refused_but_kept_for_admins() {
    let app = TestApp::spawn_with(|config| config.max_email_bytes = 2_000).await;

    let (status, body) = post_mail(&app, b"this is not an email at all").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_code(&body), "not_an_email");
    assert!(
        error_message(&body).contains("kept as inbound mail"),
        "{body}"
    );

    let big = mail(
        "ana@example.com",
        "Big",
        "big1@example.com",
        "",
        &"x".repeat(3_000),
    );
    let (status, body) = post_mail(&app, &big).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(error_code(&body), "email_too_large");

    let rejected_path = "/api/v1/inbound/emails?outcome=rejected";
    let (status, rejected) = app.api().get(rejected_path).await;
    assert_eq!(status, StatusCode::OK, "{rejected}");
    let items = rejected["items"].as_array().expect("items");
    assert_eq!(items.len(), 2);
    assert!(items.iter().any(|i| {
        i["reason"]
            .as_str()
            .is_some_and(|r| r.contains("more than the limit"))
    }));
    let raw_path = format!("/api/v1/inbound/emails/{}/raw", items[1]["id"]);
    let raw = app
        .api()
        .request(Method::GET, &raw_path)
        .send()
        .await
        .expect("raw");
    assert_eq!(raw.status(), StatusCode::OK);
    assert_eq!(raw.headers()["content-type"], "message/rfc822");
    assert_eq!(
        raw.bytes().await.expect("bytes").as_ref(),
        b"this is not an email at all"
    );

    // Inbound mail is for admins only: agents and supervisors get the error envelope.
    for (email, role) in [
        ("sam@rapport.test", rapport_domain::Role::Agent),
        ("sue@rapport.test", rapport_domain::Role::Supervisor),
    ] {
        let (_, token) = app.agent(email, role, None).await;
        for path in [rejected_path, raw_path.as_str()] {
            let (status, body) = app.api_as(Some(&token)).get(path).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{role} on {path}: {body}");
            assert_eq!(error_code(&body), "forbidden");
            assert!(
                error_message(&body).contains("Reading inbound mail needs the admin role"),
                "{body}"
            );
        }
    }

    let (status, body) = app.api().get("/api/v1/inbound/emails/999999/raw").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(error_code(&body), "inbound_email_not_found");
    assert_eq!(
        error_message(&body),
        "There is no inbound email with id 999999."
    );

    let request = app
        .intake()
        .request(Method::POST, "/api/v1/inbound/email")
        .header("content-type", "text/plain")
        .body("x");
    assert_eq!(
        Api::send(request).await.0,
        StatusCode::UNSUPPORTED_MEDIA_TYPE
    );
    let request = app
        .api_as(None)
        .request(Method::POST, "/api/v1/inbound/email")
        .header("content-type", "message/rfc822")
        .body("x");
    assert_eq!(Api::send(request).await.0, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_mta_pipe_answers_with_the_exit_codes_an_mta_understands() {
    let db = TestDatabase::create().await;

    let stored = run(
        rapport(&db, &["ingest", "--mailbox", "support"]),
        &String::from_utf8_lossy(OUTLOOK),
    );
    assert_eq!(
        stored.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&stored.stderr)
    );
    assert!(String::from_utf8_lossy(&stored.stderr).contains("a new ticket"));
    let again = run(rapport(&db, &["ingest"]), &String::from_utf8_lossy(OUTLOOK));
    assert_eq!(again.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&again.stderr).contains("already received"));

    let garbage = run(rapport(&db, &["ingest"]), "not an email\n");
    assert_eq!(garbage.status.code(), Some(65));
    assert!(String::from_utf8_lossy(&garbage.stderr).contains("kept as inbound mail"));

    let mut unreachable = Command::new(env!("CARGO_BIN_EXE_rapport"));
    unreachable.args([
        "ingest",
        "--database-url",
        "postgres://nobody@127.0.0.1:1/none",
    ]);
    let later = run(unreachable, &String::from_utf8_lossy(OUTLOOK));
    assert_eq!(
        later.status.code(),
        Some(75),
        "{}",
        String::from_utf8_lossy(&later.stderr)
    );
    assert!(String::from_utf8_lossy(&later.stderr).contains("try again later"));
}

/// A real SMTP server (aiosmtpd from PyPI) writing what it receives into a Maildir.
struct SmtpServer {
    child: Option<Child>,
    port: u16,
    maildir: tempfile::TempDir,
}

impl SmtpServer {
    fn free_port() -> u16 {
        std::net::TcpListener::bind("127.0.0.1:0")
            .expect("port")
            .local_addr()
            .expect("addr")
            .port()
    }

    fn new(port: u16) -> SmtpServer {
        SmtpServer {
            child: None,
            port,
            maildir: tempfile::tempdir().expect("maildir"),
        }
    }

    fn start(&mut self) {
        for folder in ["tmp", "new", "cur"] {
            std::fs::create_dir_all(self.maildir.path().join(folder)).expect("maildir");
        }
        let child = Command::new("python3")
            .args([
                "-m",
                "aiosmtpd",
                "-n",
                "-l",
                &format!("127.0.0.1:{}", self.port),
                "-c",
                "aiosmtpd.handlers.Mailbox",
            ])
            .arg(self.maildir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("python3 runs (aiosmtpd is installed by scripts/test: pip install aiosmtpd)");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            if let Some(Some(status)) = self.child.as_mut().map(|c| c.try_wait().ok().flatten()) {
                panic!(
                    "aiosmtpd exited ({status}); install it with `python3 -m pip install aiosmtpd` or run scripts/test"
                );
            }
            assert!(Instant::now() < deadline, "aiosmtpd did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn received(&self) -> Vec<Vec<u8>> {
        let dir: PathBuf = self.maildir.path().join("new");
        let Ok(entries) = std::fs::read_dir(&dir) else {
            return vec![];
        };
        entries
            .filter_map(|e| e.ok())
            .map(|e| std::fs::read(e.path()).expect("mail"))
            .collect()
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        if let Some(child) = self.child.as_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn header<'a>(raw: &'a str, name: &str) -> Option<&'a str> {
    raw.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.eq_ignore_ascii_case(name).then(|| value.trim())
    })
}

#[tokio::test]
async fn replies_reach_a_real_smtp_server_threaded_and_once_even_when_it_was_down() {
    let port = SmtpServer::free_port();
    let mut smtp = SmtpServer::new(port);
    let app = TestApp::spawn_with(|config| {
        config.mail_from = "help@rapport.example".into();
        config.smtp = Some(SmtpConfig {
            host: "127.0.0.1".into(),
            port,
            security: "none".into(),
            username: None,
            password: None,
        });
    })
    .await;
    let headers = "Cc: Maria <maria@example.es>\r\n";
    let (_, first) = post_mail(
        &app,
        &mail(
            "Ana <ana@example.com>",
            "Printer jams",
            "a1@example.com",
            headers,
            "It jams every morning.",
        ),
    )
    .await;
    let ticket_id = first["ticket_id"].as_i64().expect("ticket");
    let (_, reply) = app
        .api()
        .post(
            &format!("/api/v1/tickets/{ticket_id}/messages"),
            json!({"body": "Hi Ana, I'll send a technician tomorrow.", "visibility": "public"}),
        )
        .await;
    let our_id = reply["email"]["message_id"]
        .as_str()
        .expect("id")
        .to_owned();

    // The server is down: nothing is lost, the mail waits.
    assert_eq!(
        rapport::smtp::send_due_emails(&app.app)
            .await
            .expect("sender runs"),
        0
    );
    let (_, ticket) = app.api().get(&format!("/api/v1/tickets/{ticket_id}")).await;
    let queued = &ticket["messages"][1]["email"];
    assert_eq!(queued["delivery"], "queued");
    assert!(
        queued["delivery_detail"]
            .as_str()
            .is_some_and(|d| d.contains("will retry")),
        "{queued}"
    );

    smtp.start();
    assert_eq!(
        rapport::smtp::send_due_emails(&app.app)
            .await
            .expect("sender runs"),
        0,
        "it waits for its retry time"
    );
    app.clock.advance(time::Duration::seconds(61));
    let sent = rapport::smtp::send_due_emails(&app.app)
        .await
        .expect("sender runs");
    let (_, ticket) = app.api().get(&format!("/api/v1/tickets/{ticket_id}")).await;
    assert_eq!(sent, 1, "{}", ticket["messages"][1]["email"]);
    assert_eq!(
        rapport::smtp::send_due_emails(&app.app)
            .await
            .expect("sender runs"),
        0,
        "sent once"
    );

    let received = smtp.received();
    assert_eq!(received.len(), 1);
    let raw = String::from_utf8_lossy(&received[0]).into_owned();
    assert_eq!(
        header(&raw, "Message-ID"),
        Some(format!("<{our_id}>").as_str())
    );
    assert_eq!(header(&raw, "In-Reply-To"), Some("<a1@example.com>"));
    assert!(header(&raw, "References").is_some_and(|r| r.contains("<a1@example.com>")));
    assert!(
        header(&raw, "Reply-To")
            .is_some_and(|r| r.contains(&format!("help+t{ticket_id}@rapport.example"))),
        "{raw}"
    );
    assert!(header(&raw, "To").is_some_and(|t| t.contains("ana@example.com")));
    assert!(
        header(&raw, "Cc").is_some_and(|c| c.contains("maria@example.es")),
        "the CC stays on the thread: {raw}"
    );
    assert!(header(&raw, "Subject").is_some_and(|s| s.contains(&format!("[#{ticket_id}]"))));
    assert!(raw.contains("I'll send a technician tomorrow."));
    let (_, ticket) = app.api().get(&format!("/api/v1/tickets/{ticket_id}")).await;
    assert_eq!(ticket["messages"][1]["email"]["delivery"], "sent");

    // The agent can take a CC off the thread.
    let (status, without) = app
        .api()
        .post(
            &format!("/api/v1/tickets/{ticket_id}/messages"),
            json!({"body": "Just between us, Ana.", "visibility": "public", "cc": []}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{without}");
    assert_eq!(without["email"]["cc"], json!([]));
    let (status, body) = app
        .api()
        .post(
            &format!("/api/v1/tickets/{ticket_id}/messages"),
            json!({"body": "x", "visibility": "public", "cc": ["not an address"]}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");

    // The customer's answer to it threads back onto the ticket.
    let answer = mail(
        "ana@example.com",
        "Re: Printer jams",
        "a2@example.com",
        &format!("In-Reply-To: <{our_id}>\r\n"),
        "Thanks!",
    );
    let (_, threaded) = post_mail(&app, &answer).await;
    assert_eq!(threaded["ticket_id"], ticket_id);
}

/// A real IMAP server (Dovecot from Debian, installed by scripts/test) on a free port, with
/// one mailbox `support` / `secret`, in a directory of its own.
struct ImapServer {
    dir: PathBuf,
    port: u16,
}

impl ImapServer {
    fn start() -> ImapServer {
        let port = SmtpServer::free_port();
        let dir =
            std::env::temp_dir().join(format!("rapport-dovecot-{}-{port}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        for sub in ["mail", "home", "run", "state"] {
            std::fs::create_dir_all(dir.join(sub)).expect("dovecot dirs");
        }
        let config = format!(
            "protocols = imap\nlisten = 127.0.0.1\nbase_dir = {d}/run\nstate_dir = {d}/state\nlog_path = {d}/dovecot.log\n\
             ssl = no\ndisable_plaintext_auth = no\nauth_mechanisms = plain login\nmail_location = maildir:{d}/mail/%u\n\
             first_valid_uid = 1\npassdb {{\n  driver = static\n  args = password=secret\n}}\nuserdb {{\n  driver = static\n  \
             args = uid=dovecot gid=dovecot home={d}/home/%u\n}}\nservice imap-login {{\n  chroot =\n  inet_listener imap {{\n    \
             address = 127.0.0.1\n    port = {port}\n  }}\n  inet_listener imaps {{\n    port = 0\n  }}\n}}\nservice anvil {{\n  chroot =\n}}\n\
             default_internal_user = dovecot\ndefault_login_user = dovenull\n",
            d = dir.display()
        );
        std::fs::write(dir.join("dovecot.conf"), config).expect("config");
        let status = Command::new("chown")
            .args(["-R", "dovecot:dovecot"])
            .arg(dir.join("mail"))
            .arg(dir.join("home"))
            .status();
        assert!(
            status.is_ok_and(|s| s.success()),
            "chown for dovecot (the tests run as root in CI)"
        );
        let mut perms = std::fs::metadata(&dir).expect("dir").permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
        std::fs::set_permissions(&dir, perms).expect("chmod");
        let started = Command::new("/usr/sbin/dovecot")
            .arg("-c")
            .arg(dir.join("dovecot.conf"))
            .status();
        assert!(
            started.is_ok_and(|s| s.success()),
            "Dovecot did not start; scripts/test installs it (apt-get install dovecot-imapd)"
        );
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "Dovecot did not listen");
            std::thread::sleep(Duration::from_millis(50));
        }
        ImapServer { dir, port }
    }

    /// Runs a few lines of Python's imaplib against the mailbox; prints what `code` prints.
    fn python(&self, code: &str) -> String {
        let script = format!(
            "import imaplib\nm = imaplib.IMAP4('127.0.0.1', {})\nm.login('support', 'secret')\n{code}\n",
            self.port
        );
        let output = Command::new("python3")
            .arg("-c")
            .arg(script)
            .output()
            .expect("python3");
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).trim().to_owned()
    }

    fn append(&self, raw: &[u8]) {
        let literal: String = raw.iter().map(|b| format!("\\x{b:02x}")).collect();
        self.python(&format!("m.append('INBOX', None, None, b'{literal}')"));
    }

    fn unseen(&self) -> String {
        self.python("m.select('INBOX')\nprint(m.search(None, 'UNSEEN')[1][0].decode())")
    }
}

impl Drop for ImapServer {
    fn drop(&mut self) {
        if let Ok(pid) = std::fs::read_to_string(self.dir.join("run/master.pid")) {
            let _ = Command::new("kill").arg(pid.trim()).status();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[tokio::test]
async fn mail_from_a_real_imap_mailbox_becomes_tickets_and_is_marked_seen_once_stored() {
    let imap = ImapServer::start();
    let mailbox = rapport::config::ImapConfig {
        name: "support".into(),
        host: "127.0.0.1".into(),
        port: imap.port,
        security: "none".into(),
        username: "support".into(),
        password: Some("secret".into()),
        folder: "INBOX".into(),
    };
    let app = TestApp::spawn_with(|config| config.imap = vec![mailbox.clone()]).await;
    imap.append(OUTLOOK);
    imap.append(&mail(
        "Rosa <rosa@example.com>",
        "Invoice VAT",
        "imap-2@example.com",
        "",
        "The VAT number is wrong.",
    ));
    imap.append(OUT_OF_OFFICE);
    assert_eq!(imap.unseen(), "1 2 3");

    let stored = rapport::imap::poll_mailbox(&app.app, &mailbox)
        .await
        .expect("poll");

    assert_eq!(stored, 3);
    assert_eq!(imap.unseen(), "", "every stored message is marked seen");
    let (_, tickets) = app.api().get("/api/v1/tickets").await;
    let subjects: Vec<&str> = tickets["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|t| t["subject"].as_str())
        .collect();
    assert_eq!(
        subjects,
        ["Invoice VAT", "USB port again"],
        "the out-of-office reply opened nothing"
    );
    let lee = tickets["items"][1].clone();
    let (_, ticket) = app
        .api()
        .get(&format!("/api/v1/tickets/{}", lee["id"]))
        .await;
    assert_eq!(
        ticket["messages"][0]["attachments"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );

    // A message marked unseen again (or re-delivered) is not stored twice.
    imap.python("m.select('INBOX')\nm.store('1', '-FLAGS', '\\\\Seen')");
    assert_eq!(
        rapport::imap::poll_mailbox(&app.app, &mailbox)
            .await
            .expect("poll"),
        0
    );
    let (_, again) = app.api().get("/api/v1/tickets").await;
    assert_eq!(again["items"].as_array().map(Vec::len), Some(2));
    let (_, inbound) = app.api().get("/api/v1/inbound/emails").await;
    assert!(
        inbound["items"]
            .as_array()
            .expect("items")
            .iter()
            .all(|i| i["mailbox"] == "support")
    );

    let wrong = rapport::config::ImapConfig {
        password: Some("nope".into()),
        ..mailbox
    };
    let refused = rapport::imap::poll_mailbox(&app.app, &wrong)
        .await
        .expect_err("a wrong password is refused");
    assert!(
        format!("{refused:#}").contains("refused the login"),
        "{refused:#}"
    );
}

#[tokio::test]
async fn a_watched_mailbox_delivers_new_mail_within_seconds_through_idle() {
    let imap = ImapServer::start();
    let mailbox = rapport::config::ImapConfig {
        name: "support".into(),
        host: "127.0.0.1".into(),
        port: imap.port,
        security: "none".into(),
        username: "support".into(),
        password: Some("secret".into()),
        folder: "INBOX".into(),
    };
    // An hour between polls: only IDLE can bring the mail in time.
    let app = TestApp::spawn_with(|config| config.imap_poll_seconds = 3600).await;
    // The first mail is there before the watcher starts: its first sweep stores it.
    imap.append(&mail(
        "Ana <ana@example.com>",
        "Printer jams",
        "idle-0@example.com",
        "",
        "The printer jams.",
    ));
    let watcher = tokio::spawn(rapport::imap::watch(app.app.clone(), mailbox));
    wait_for_tickets(&app, 1).await;
    // Now the watcher waits in IDLE; with an hour between polls, only IDLE can wake it.
    tokio::time::sleep(Duration::from_millis(500)).await;

    imap.append(&mail(
        "Lee <lee@example.com>",
        "VPN drops",
        "idle-1@example.com",
        "",
        "The VPN drops every hour.",
    ));

    let tickets = wait_for_tickets(&app, 2).await;
    assert_eq!(tickets["items"][0]["subject"], "VPN drops");
    watcher.abort();
    assert_eq!(imap.unseen(), "");
}

/// Waits (at most 15 s) until `count` tickets exist, and returns the list.
async fn wait_for_tickets(app: &TestApp, count: usize) -> Value {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let (_, tickets) = app.api().get("/api/v1/tickets").await;
        if tickets["items"]
            .as_array()
            .is_some_and(|items| items.len() == count)
        {
            return tickets;
        }
        assert!(
            Instant::now() < deadline,
            "{count} tickets did not arrive: {tickets}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn only_a_mail_intake_token_posts_mail_and_it_can_do_nothing_else() {
    let app = TestApp::spawn().await;
    let (_, agent_token) = app
        .agent("sam@rapport.test", rapport_domain::Role::Agent, None)
        .await;
    let ticket = app.ticket("Invoice twice", "ana@example.com").await;
    // A mail that claims to be Ana's, threaded onto her ticket by its token in the subject.
    let forged = mail(
        "ana@example.com",
        &format!("Re: Invoice twice [#{}]", ticket["id"]),
        "forged-1@example.com",
        "",
        "Please refund me to account 12345.",
    );
    let post = |token: Option<String>| {
        let request = app
            .api_as(token.as_deref())
            .request(Method::POST, "/api/v1/inbound/email")
            .header("content-type", "message/rfc822")
            .body(forged.clone());
        Api::send(request)
    };

    let (by_admin, refused) = post(Some(app.admin_token.clone())).await;
    let (by_agent, _) = post(Some(agent_token)).await;
    let (by_garbage, _) = post(Some("rpi_not-a-token".to_owned())).await;
    let messages_before = app
        .app
        .store
        .ticket_messages(ticket["id"].as_i64().expect("id"))
        .await
        .expect("messages")
        .len();
    let (by_intake, ingested) = post(Some(app.intake_token.clone())).await;
    let (tickets_by_intake, not_an_agent) = app.intake().get("/api/v1/tickets").await;
    let (inbound_by_intake, _) = app.intake().get("/api/v1/inbound/emails").await;

    assert_eq!(by_admin, StatusCode::FORBIDDEN, "{refused}");
    assert_eq!(error_code(&refused), "intake_token_needed");
    assert!(
        error_message(&refused).contains("rapport admin create-intake-token"),
        "{refused}"
    );
    assert_eq!(by_agent, StatusCode::FORBIDDEN);
    assert_eq!(by_garbage, StatusCode::UNAUTHORIZED);
    assert_eq!(messages_before, 1, "nothing was added in Ana's name");
    assert_eq!(by_intake, StatusCode::ACCEPTED, "{ingested}");
    assert_eq!(tickets_by_intake, StatusCode::FORBIDDEN, "{not_an_agent}");
    assert!(
        error_message(&not_an_agent).contains("mail intake token"),
        "{not_an_agent}"
    );
    assert_eq!(inbound_by_intake, StatusCode::FORBIDDEN);
}

/// The bytes kept in `blobs`: raw mail and attachments.
async fn stored_bytes(store: &rapport_store::Store) -> i64 {
    sqlx::query_scalar("SELECT CAST(COALESCE(SUM(size), 0) AS BIGINT) FROM blobs")
        .fetch_one(store.pool())
        .await
        .expect("blobs")
}

/// Posts a mail with `Transfer-Encoding: chunked`, so the server does not know its size in
/// advance; returns the status line.
async fn post_chunked(app: &TestApp, raw: &[u8]) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let address = app.base_url.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address)
        .await
        .expect("connect");
    let head = format!(
        "POST /api/v1/inbound/email HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {}\r\n\
         Content-Type: message/rfc822\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
        app.intake_token
    );
    stream.write_all(head.as_bytes()).await.expect("head");
    for chunk in raw.chunks(8 * 1024) {
        let sent = async {
            stream
                .write_all(format!("{:x}\r\n", chunk.len()).as_bytes())
                .await?;
            stream.write_all(chunk).await?;
            stream.write_all(b"\r\n").await
        };
        // The server may answer and stop reading once the mail is too large.
        if sent.await.is_err() {
            break;
        }
    }
    let _ = stream.write_all(b"0\r\n\r\n").await;
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer).await;
    String::from_utf8_lossy(&answer)
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn a_mail_over_the_limit_is_refused_and_only_its_headers_are_kept() {
    const LIMIT: usize = 100_000;
    let app = TestApp::spawn_with(|config| config.max_email_bytes = LIMIT).await;
    let before = stored_bytes(&app.app.store).await;
    let big = mail(
        "ana@example.com",
        "Huge scan",
        "huge1@example.com",
        "",
        // Just under twice the limit: what used to be kept whole.
        &"x".repeat(2 * LIMIT - 1_000),
    );

    let (status, body) = post_mail(&app, &big).await;

    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    let grown = stored_bytes(&app.app.store).await - before;
    assert!(
        grown <= 16 * 1024,
        "a refused mail of {} bytes grew the stored bytes by {grown}",
        big.len()
    );
    assert_eq!(error_code(&body), "email_too_large");
    let message = error_message(&body);
    assert!(
        message.contains(&format!("more than the limit of {LIMIT}"))
            && message.contains("was not stored"),
        "{message}"
    );
    let (_, rejected) = app
        .api()
        .get("/api/v1/inbound/emails?outcome=rejected")
        .await;
    let items = rejected["items"].as_array().expect("items");
    assert_eq!(items.len(), 1, "the admin sees it was refused: {rejected}");
    assert_eq!(items[0]["size"], big.len(), "{rejected}");
    let raw = app
        .api()
        .request(
            Method::GET,
            &format!("/api/v1/inbound/emails/{}/raw", items[0]["id"]),
        )
        .send()
        .await
        .expect("raw")
        .text()
        .await
        .expect("text");
    assert!(raw.contains("Subject: Huge scan"), "{raw}");
    assert!(!raw.contains("xxxx"), "only the headers are kept");

    // Without a length given in advance (chunked), the same.
    let status = post_chunked(&app, &big).await;
    assert!(status.starts_with("HTTP/1.1 413"), "{status}");
    assert!(stored_bytes(&app.app.store).await - before <= 2 * 16 * 1024);
    let (_, tickets) = app.api().get("/api/v1/tickets").await;
    assert_eq!(tickets["items"].as_array().map(Vec::len), Some(0));

    // Right at the limit is fine.
    let fits = mail("ana@example.com", "Fits", "fits@example.com", "", "");
    let fits = [fits.clone(), vec![b'y'; LIMIT - fits.len()]].concat();
    let (status, body) = post_mail(&app, &fits).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
}

#[tokio::test]
async fn the_mta_pipe_refuses_a_mail_over_the_limit_with_exit_65_and_keeps_its_headers() {
    const LIMIT: usize = 100_000;
    let db = TestDatabase::create().await;
    let config = db.data_dir().join("rapport.toml");
    std::fs::write(&config, format!("max_email_bytes = {LIMIT}\n")).expect("config");
    let big = mail(
        "ana@example.com",
        "Huge scan",
        "huge2@example.com",
        "",
        &"x".repeat(2 * LIMIT),
    );

    let refused = run(
        rapport(&db, &["ingest", "--config", config.to_str().expect("path")]),
        &String::from_utf8_lossy(&big),
    );

    let said = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(65), "{said}");
    assert!(
        said.contains(&format!("more than the limit of {LIMIT}")),
        "{said}"
    );
    let app = rapport::App::build(db.config()).await.expect("app");
    let stored = stored_bytes(&app.store).await;
    assert!(stored <= 16 * 1024, "{stored} bytes stored");
    let kept: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM inbound_emails WHERE outcome = 'rejected'")
            .fetch_one(app.store.pool())
            .await
            .expect("inbound");
    assert_eq!(kept, 1, "the refusal is on record");
}

/// A mail with one attachment per `(filename, content type, text)`.
fn mail_with_files(files: &[(&str, &str, &str)]) -> Vec<u8> {
    let mut raw = String::from(
        "From: ana@example.com\r\nTo: support@rapport.localhost\r\nSubject: Files\r\n\
         Message-ID: <files@example.com>\r\nDate: Mon, 23 Nov 2026 09:00:00 +0000\r\n\
         MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n\
         --b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSee the files.\r\n",
    );
    for (name, content_type, text) in files {
        raw.push_str(&format!(
            "--b\r\nContent-Type: {content_type}\r\nContent-Disposition: attachment; filename=\"{name}\"\r\n\r\n{text}\r\n"
        ));
    }
    raw.push_str("--b--\r\n");
    raw.into_bytes()
}

#[tokio::test]
async fn attachments_are_served_as_inert_downloads_unless_their_type_is_safe_to_show() {
    let app = TestApp::spawn().await;
    let (status, ingested) = post_mail(
        &app,
        &mail_with_files(&[
            ("run.js", "text/javascript", "alert(document.cookie)"),
            ("page.html", "text/html", "<script>alert(1)</script>"),
            ("logo.svg", "image/svg+xml", "<svg onload=\"alert(1)\"/>"),
            ("notes.txt", "text/plain; charset=utf-8", "plain words"),
            ("scan.png", "image/png", "not really a png"),
            ("bill.pdf", "application/pdf", "%PDF-1.4"),
        ]),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{ingested}");
    let (_, ticket) = app
        .api()
        .get(&format!("/api/v1/tickets/{}", ingested["ticket_id"]))
        .await;
    let files = ticket["messages"][0]["attachments"]
        .as_array()
        .expect("attachments")
        .clone();
    assert_eq!(files.len(), 6, "{ticket}");

    for file in files {
        let name = file["filename"].as_str().expect("name");
        let response = app
            .api()
            .request(Method::GET, &format!("/api/v1/attachments/{}", file["id"]))
            .send()
            .await
            .expect("file");
        assert_eq!(response.status(), StatusCode::OK, "{name}");
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|value| value.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        };
        let (content_type, inline) = match name {
            "notes.txt" => ("text/plain; charset=utf-8", true),
            "scan.png" => ("image/png", true),
            "bill.pdf" => ("application/pdf", true),
            _ => ("application/octet-stream", false),
        };
        assert_eq!(header("content-type"), content_type, "{name}");
        let disposition = header("content-disposition");
        assert!(
            disposition.starts_with(if inline { "inline;" } else { "attachment;" }),
            "{name}: {disposition}"
        );
        assert!(disposition.contains(name), "{name}: {disposition}");
        assert_eq!(header("x-content-type-options"), "nosniff", "{name}");
        let policy = header("content-security-policy");
        assert!(
            policy.contains("sandbox") && policy.contains("default-src 'none'"),
            "{name}: {policy}"
        );
        assert_eq!(header("cache-control"), "no-store", "{name}");
    }
}

#[tokio::test]
async fn a_reply_with_a_file_from_the_workspace_reaches_smtp_with_the_file_and_an_html_part() {
    let port = SmtpServer::free_port();
    let mut smtp = SmtpServer::new(port);
    smtp.start();
    let app = TestApp::spawn_with(|config| {
        config.mail_from = "help@rapport.example".into();
        config.smtp = Some(SmtpConfig {
            host: "127.0.0.1".into(),
            port,
            security: "none".into(),
            username: None,
            password: None,
        });
    })
    .await;
    let (_, first) = post_mail(
        &app,
        &mail(
            "Ana <ana@example.com>",
            "Invoice copy",
            "inv1@example.com",
            "",
            "Could you send the invoice again?",
        ),
    )
    .await;
    let ticket_id = first["ticket_id"].as_i64().expect("ticket");
    let (_, cookie, csrf) =
        crate::workspace::signed_in(&app, "sam@rapport.test", rapport_domain::Role::Agent).await;
    let pdf: &[u8] =
        b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";
    let (content_type, body) = crate::helpers::multipart(
        &[
            ("csrf", &csrf),
            ("visibility", "public"),
            ("seen_message_id", "999999"),
            (
                "body",
                "Hello Ana,\n\nhere is the invoice <again>, as a PDF.",
            ),
        ],
        &[("invoice-2026-11.pdf", "application/pdf", pdf)],
    );
    let response = crate::helpers::browser()
        .post(app.url(&format!("/tickets/{ticket_id}/reply")))
        .header("cookie", &cookie)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .expect("answer");
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let (_, ticket) = app.api().get(&format!("/api/v1/tickets/{ticket_id}")).await;
    let reply = &ticket["messages"][1];
    assert_eq!(
        reply["attachments"][0]["filename"], "invoice-2026-11.pdf",
        "{reply}"
    );

    let sent = rapport::smtp::send_due_emails(&app.app)
        .await
        .expect("sender runs");
    assert_eq!(sent, 1);
    let received = smtp.received();
    assert_eq!(received.len(), 1);
    let read = rapport_mail::read(&received[0]).expect("a mail");
    assert_eq!(read.in_reply_to, vec!["inv1@example.com".to_owned()]);
    assert!(
        read.text.contains("here is the invoice <again>, as a PDF."),
        "{}",
        read.text
    );
    let html = read.html.expect("an HTML part");
    assert!(html.contains("here is the invoice &lt;again&gt;"), "{html}");
    assert!(
        html.contains(&format!("/portal/tickets/{ticket_id}")),
        "{html}"
    );
    assert_eq!(read.attachments.len(), 1);
    assert_eq!(read.attachments[0].filename, "invoice-2026-11.pdf");
    assert_eq!(read.attachments[0].data, pdf);

    // An internal note with a file stays inside: no mail.
    let (content_type, body) = crate::helpers::multipart(
        &[
            ("csrf", &csrf),
            ("visibility", "internal"),
            ("body", "The customer's VAT number, for the record."),
        ],
        &[("vat.txt", "text/plain", b"DE123")],
    );
    let response = crate::helpers::browser()
        .post(app.url(&format!("/tickets/{ticket_id}/reply")))
        .header("cookie", &cookie)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .expect("answer");
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        rapport::smtp::send_due_emails(&app.app)
            .await
            .expect("runs"),
        0
    );
    let (_, ticket) = app.api().get(&format!("/api/v1/tickets/{ticket_id}")).await;
    assert_eq!(
        ticket["messages"][2]["attachments"][0]["filename"],
        "vat.txt"
    );
}

#[tokio::test]
async fn the_composer_shows_the_copies_and_an_unticked_one_is_left_out() {
    let app = TestApp::spawn().await;
    let (_, first) = post_mail(
        &app,
        &mail(
            "Ana <ana@example.com>",
            "Printer jams",
            "cc1@example.com",
            "Cc: Maria <maria@example.es>, Joe <joe@example.org>\r\n",
            "It jams every morning.",
        ),
    )
    .await;
    let ticket_id = first["ticket_id"].as_i64().expect("ticket");
    let (_, cookie, csrf) =
        crate::workspace::signed_in(&app, "sam@rapport.test", rapport_domain::Role::Agent).await;
    let (_, page) = crate::helpers::get_page(&app, &cookie, &format!("/tickets/{ticket_id}")).await;
    assert!(
        page.contains("A reply is mailed to ana@example.com"),
        "{page}"
    );
    assert!(
        page.contains("value=\"maria@example.es\" checked"),
        "{page}"
    );
    assert!(page.contains("value=\"joe@example.org\" checked"));
    let (status, _) = crate::helpers::post_form(
        &app,
        &cookie,
        &format!("/tickets/{ticket_id}/reply"),
        &[
            ("body", "Hi Ana, a technician comes tomorrow."),
            ("visibility", "public"),
            ("seen_message_id", "999999"),
            ("cc_shown", "1"),
            ("cc", "maria@example.es"),
            ("csrf", &csrf),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, ticket) = app.api().get(&format!("/api/v1/tickets/{ticket_id}")).await;
    let reply = ticket["messages"]
        .as_array()
        .and_then(|m| m.last())
        .cloned()
        .unwrap_or_default();
    assert_eq!(reply["email"]["cc"], json!(["maria@example.es"]), "{reply}");
}

#[tokio::test]
async fn mail_servers_set_by_an_admin_carry_replies_and_their_passwords_are_never_shown() {
    let port = SmtpServer::free_port();
    let mut smtp = SmtpServer::new(port);
    smtp.start();
    let app = TestApp::spawn().await;
    let (_, before) = app.api().get("/api/v1/settings").await;
    assert_eq!(before["mail"]["smtp"], Value::Null, "no server configured");

    for (mail, words) in [
        (
            json!({"public_url": "help.example.com"}),
            "is not an address customers can open",
        ),
        (
            json!({"mail_from": "help at example"}),
            "is not an email address our mail can come from",
        ),
        (
            json!({"smtp": {"host": "mail example com"}}),
            "is not a host name",
        ),
        (
            json!({"smtp": {"host": "127.0.0.1", "security": "ssl"}}),
            "none, starttls or tls",
        ),
        (
            json!({"imap": [{"name": "support", "host": "127.0.0.1", "username": "a"}, {"name": "support", "host": "127.0.0.1", "username": "b"}]}),
            "Two IMAP mailboxes are named “support”",
        ),
    ] {
        let (status, body) = app
            .api()
            .patch("/api/v1/settings", json!({ "mail": mail.clone() }))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{mail}: {body}");
        assert!(error_message(&body).contains(words), "{mail}: {body}");
    }

    let secret = "correct-horse-battery";
    let (status, body) = app
        .api()
        .patch(
            "/api/v1/settings",
            json!({"mail": {
                "public_url": "https://help.harbor.example/",
                "mail_from": "help@harbor.example",
                "smtp": {"host": "127.0.0.1", "port": port, "security": "none", "username": "desk", "password": secret},
                "imap": [{"name": "support", "host": "127.0.0.1", "port": 1, "security": "none", "username": "desk", "password": secret}]
            }}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["mail"]["public_url"], "https://help.harbor.example");
    assert_eq!(body["mail"]["smtp"]["password_set"], true);
    assert_eq!(body["mail"]["imap"][0]["password_set"], true);
    let (_, audit) = app.api().get("/api/v1/audit?action=settings.").await;
    for shown in [body.to_string(), audit.to_string()] {
        assert!(
            !shown.contains(secret),
            "a password is never shown: {shown}"
        );
    }
    assert_eq!(
        audit["items"][0]["changes"]["mail"]["after"]["smtp"]["host"],
        "127.0.0.1"
    );

    // Without a user name the server is used as it is; the password stays kept for later.
    let (status, body) = app
        .api()
        .patch(
            "/api/v1/settings",
            json!({"mail": {"smtp": {"host": "127.0.0.1", "port": port, "security": "none"}, "imap": []}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["mail"]["smtp"]["password_set"], true);
    assert_eq!(body["mail"]["imap"], json!([]));

    let id = app.ticket("Printer jams", "ana@example.com").await["id"]
        .as_i64()
        .expect("id");
    let (status, body) = app
        .api()
        .post(
            &format!("/api/v1/tickets/{id}/messages"),
            json!({"body": "Hi Ana, a technician came this morning.", "visibility": "public"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = app
        .api()
        .post(
            &format!("/api/v1/tickets/{id}/state"),
            json!({"action": "propose_resolution"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        rapport::smtp::send_due_emails(&app.app)
            .await
            .expect("sender runs"),
        2
    );
    let received = smtp.received();
    assert_eq!(received.len(), 2);
    let raw: String = received
        .iter()
        .map(|mail| String::from_utf8_lossy(mail).into_owned())
        .collect();
    assert!(
        header(&raw, "From").is_some_and(|from| from.contains("help@harbor.example")),
        "{raw}"
    );
    assert!(
        raw.contains("https://help.harbor.example/"),
        "links use the public address the admin chose: {raw}"
    );
}

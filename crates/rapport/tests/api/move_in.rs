//! `rapport import`: moving in from another help desk. Mail archives (mbox, Maildir), a
//! Zendesk export and a CSV, each with every item accounted for in the summary, nothing sent,
//! run twice without adding anything, and stopped midway then run again to the same end.

use crate::cli::{rapport, run};
use crate::helpers::{TestApp, TestDatabase};
use rapport::move_in::{self, Run, Summary};
use serde_json::Value;
use std::fmt::Write as _;
use std::path::Path;

/// What a generated archive holds, to check the summary and the database against.
struct Archive {
    mails: Vec<String>,
    tickets: u64,
    messages: u64,
    customers: u64,
    attachments: u64,
    /// Automatic replies and list mail: kept as inbound mail, opening nothing.
    skipped: u64,
}

/// A support mailbox's history: `threads` conversations between customers (some writing
/// several times) and the agent `agent`, replies answering by In-Reply-To and References,
/// every seventh mail with a file, and now and then an out-of-office answer or a newsletter.
fn archive(threads: usize, agent: &str) -> Archive {
    let mut mails = Vec::new();
    let (mut messages, mut attachments, mut skipped) = (0, 0, 0);
    let customers = threads.div_ceil(3);
    let mut minute = 0_u64;
    for thread in 0..threads {
        let customer = thread % customers;
        let who = format!("customer{customer}@example.org");
        let mut ids: Vec<String> = Vec::new();
        let replies = 2 + thread % 3;
        for step in 0..=replies {
            minute += 7;
            let id = format!("<t{thread}-m{step}@mail.example.org>");
            let from_agent = step % 2 == 1;
            let from = if from_agent {
                format!("Support <{agent}>")
            } else {
                format!("Customer {customer} <{who}>")
            };
            let to = if from_agent {
                who.clone()
            } else {
                "help@example.com".to_owned()
            };
            let subject = if step == 0 {
                format!("Order {thread} arrived damaged")
            } else {
                format!("Re: Order {thread} arrived damaged")
            };
            let mut head = format!(
                "From: {from}\r\nTo: {to}\r\nSubject: {subject}\r\nMessage-ID: {id}\r\nDate: {}\r\nMIME-Version: 1.0\r\n",
                date(minute)
            );
            if let Some(last) = ids.last() {
                let _ = write!(
                    head,
                    "In-Reply-To: {last}\r\nReferences: {}\r\n",
                    ids.join(" ")
                );
            }
            let text = if from_agent {
                format!(
                    "Hello,\r\n\r\nWe are sorry about order {thread}. A new one is on its way.\r\n\r\nSupport\r\n"
                )
            } else {
                format!(
                    "Hello,\r\n\r\nOrder {thread} came with a cracked lid (step {step}). What can you do?\r\n\r\nCustomer {customer}\r\n"
                )
            };
            let with_file = (thread + step) % 7 == 0;
            let mail = if with_file {
                attachments += 1;
                format!(
                    "{head}Content-Type: multipart/mixed; boundary=\"b{thread}x{step}\"\r\n\r\n--b{thread}x{step}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n--b{thread}x{step}\r\nContent-Type: text/csv\r\nContent-Disposition: attachment; filename=\"order-{thread}-{step}.csv\"\r\n\r\nline,item\r\n{thread},{step}\r\n--b{thread}x{step}--\r\n"
                )
            } else {
                format!("{head}Content-Type: text/plain; charset=utf-8\r\n\r\n{text}")
            };
            mails.push(mail);
            messages += 1;
            ids.push(id);
        }
        if thread % 25 == 0 {
            minute += 1;
            mails.push(format!(
                "From: {who}\r\nTo: help@example.com\r\nSubject: Out of office\r\nAuto-Submitted: auto-replied\r\nMessage-ID: <ooo{thread}@mail.example.org>\r\nDate: {}\r\n\r\nI am away this week.\r\n",
                date(minute)
            ));
            mails.push(format!(
                "From: news@shop.example.net\r\nTo: help@example.com\r\nSubject: Our spring offers\r\nPrecedence: bulk\r\nMessage-ID: <news{thread}@shop.example.net>\r\nDate: {}\r\n\r\nTen percent off.\r\n",
                date(minute)
            ));
            skipped += 2;
        }
    }
    Archive {
        mails,
        tickets: threads as u64,
        messages,
        customers: customers as u64,
        attachments,
        skipped,
    }
}

/// A date in the spring of 2023, `minute` minutes in.
fn date(minute: u64) -> String {
    let at = time::macros::datetime!(2023-03-01 08:00 UTC) + time::Duration::minutes(minute as i64);
    at.format(&time::format_description::well_known::Rfc2822)
        .expect("a date")
}

/// The mails as an mbox file: `From ` separators, and `>From ` for lines that begin so.
fn write_mbox(path: &Path, mails: &[String]) {
    let mut text = String::new();
    for mail in mails {
        text.push_str("From import-test Wed Mar  1 08:00:00 2023\n");
        for line in mail.replace("\r\n", "\n").lines() {
            if line.trim_start_matches('>').starts_with("From ") {
                text.push('>');
            }
            text.push_str(line);
            text.push('\n');
        }
        text.push('\n');
    }
    std::fs::write(path, text).expect("write the mbox");
}

/// Where a count or a text is read: a test app's store, or one opened on a database.
trait Reads {
    fn store(&self) -> &rapport_store::Store;
}

impl Reads for TestApp {
    fn store(&self) -> &rapport_store::Store {
        &self.app.store
    }
}

impl Reads for rapport::App {
    fn store(&self) -> &rapport_store::Store {
        &self.store
    }
}

async fn count(app: &impl Reads, sql: &str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(app.store().pool())
        .await
        .expect("count")
}

/// Nothing was sent or scheduled but health: no mail job, no timer, no notification.
async fn nothing_sent(app: &TestApp) {
    nothing_queued(app).await;
    // Running every due job sends nothing either.
    app.run_jobs().await;
    assert_eq!(
        count(
            app,
            "SELECT COUNT(*) FROM jobs WHERE kind IN ('email.send', 'email.notice')"
        )
        .await,
        0
    );
}

async fn nothing_queued(app: &impl Reads) {
    assert_eq!(
        count(
            app,
            "SELECT COUNT(*) FROM jobs WHERE kind <> 'health.recompute'"
        )
        .await,
        0,
        "an import schedules nothing but health"
    );
    assert_eq!(count(app, "SELECT COUNT(*) FROM notifications").await, 0);
    assert_eq!(count(app, "SELECT COUNT(*) FROM escalations").await, 0);
    assert_eq!(
        count(
            app,
            "SELECT COUNT(*) FROM messages WHERE delivery = 'queued'"
        )
        .await,
        0
    );
}

fn run_with(batch: usize, stop: Option<u64>) -> Run {
    Run {
        batch,
        stop_after_batches: stop,
        resolved: false,
    }
}

fn assert_accounted(summary: &Summary, archive: &Archive) {
    assert_eq!(
        summary.tally("tickets").imported,
        archive.tickets,
        "{summary}"
    );
    assert_eq!(
        summary.tally("messages").imported,
        archive.messages,
        "{summary}"
    );
    assert_eq!(
        summary.tally("customers").imported,
        archive.customers,
        "{summary}"
    );
    assert_eq!(
        summary.tally("attachments").imported,
        archive.attachments,
        "{summary}"
    );
    assert_eq!(
        summary.tally("messages").skipped,
        archive.skipped,
        "{summary}"
    );
}

async fn assert_stored(app: &TestApp, archive: &Archive) {
    assert_eq!(
        count(app, "SELECT COUNT(*) FROM tickets").await,
        archive.tickets as i64
    );
    assert_eq!(
        count(app, "SELECT COUNT(*) FROM messages").await,
        archive.messages as i64
    );
    assert_eq!(
        count(app, "SELECT COUNT(*) FROM customers").await,
        archive.customers as i64
    );
    assert_eq!(
        count(app, "SELECT COUNT(*) FROM attachments").await,
        archive.attachments as i64
    );
    assert_eq!(
        count(app, "SELECT COUNT(*) FROM inbound_emails").await,
        (archive.messages + archive.skipped) as i64
    );
}

#[tokio::test]
async fn an_mbox_of_a_thousand_mails_comes_in_threaded_with_its_dates_sending_nothing() {
    let app = TestApp::spawn().await;
    let archive = archive(300, &app.admin.email);
    assert!(archive.mails.len() >= 1000, "{} mails", archive.mails.len());
    let dir = tempfile::tempdir().expect("a directory");
    let path = dir.path().join("support.mbox");
    write_mbox(&path, &archive.mails);
    let max = app.config.max_email_bytes;

    let summary = move_in::mail::import_mbox(&app.app.store, &path, max, run_with(100, None))
        .await
        .expect("the import runs");

    assert_accounted(&summary, &archive);
    assert_stored(&app, &archive).await;
    nothing_sent(&app).await;
    // Threads: every reply sits on its conversation's ticket, ours as the agent's.
    assert_eq!(
        count(&app, "SELECT COUNT(DISTINCT ticket_id) FROM messages").await,
        300
    );
    assert!(
        count(
            &app,
            "SELECT COUNT(*) FROM messages WHERE author_kind = 'agent'"
        )
        .await
            > 300
    );
    // History keeps its dates.
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM messages WHERE created_at NOT LIKE '2023-03-%'"
        )
        .await,
        0
    );
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM tickets WHERE created_at NOT LIKE '2023-03-%'"
        )
        .await,
        0
    );

    // Twice: nothing more.
    let again = move_in::mail::import_mbox(&app.app.store, &path, max, run_with(100, None))
        .await
        .expect("the import runs again");
    assert_eq!(again.tally("messages").imported, 0);
    assert_eq!(again.tally("tickets").imported, 0);
    assert_eq!(
        again
            .tally("messages")
            .reasons
            .get(move_in::ALREADY_IMPORTED),
        Some(&(archive.messages + archive.skipped))
    );
    assert_stored(&app, &archive).await;
}

#[tokio::test]
async fn an_mbox_import_stopped_midway_ends_the_same_when_run_again() {
    let app = TestApp::spawn().await;
    let archive = archive(60, &app.admin.email);
    let dir = tempfile::tempdir().expect("a directory");
    let path = dir.path().join("support.mbox");
    write_mbox(&path, &archive.mails);
    let max = app.config.max_email_bytes;

    let first = move_in::mail::import_mbox(&app.app.store, &path, max, run_with(40, Some(2)))
        .await
        .expect("the first part runs");
    assert!(first.stopped_early);
    assert_eq!(
        first.tally("messages").imported + first.tally("messages").skipped,
        80
    );
    let rest = move_in::mail::import_mbox(&app.app.store, &path, max, run_with(40, None))
        .await
        .expect("the rest runs");
    assert!(!rest.stopped_early);
    assert_eq!(
        first.tally("messages").imported + rest.tally("messages").imported,
        archive.messages
    );
    assert_eq!(
        first.tally("customers").imported + rest.tally("customers").imported,
        archive.customers
    );
    assert_stored(&app, &archive).await;
    nothing_sent(&app).await;
}

#[tokio::test]
async fn a_maildir_comes_in_like_the_mbox_and_can_come_in_resolved() {
    let app = TestApp::spawn().await;
    let archive = archive(30, &app.admin.email);
    let dir = tempfile::tempdir().expect("a directory");
    std::fs::create_dir_all(dir.path().join("cur")).expect("cur");
    std::fs::create_dir_all(dir.path().join("new")).expect("new");
    std::fs::create_dir_all(dir.path().join("tmp")).expect("tmp");
    for (index, mail) in archive.mails.iter().enumerate() {
        let name = format!("{}.M{index}P1.host:2,S", 1_677_657_600 + index);
        std::fs::write(dir.path().join("cur").join(name), mail).expect("write a mail");
    }
    let summary = move_in::mail::import_maildir(
        &app.app.store,
        dir.path(),
        app.config.max_email_bytes,
        Run {
            resolved: true,
            ..run_with(25, None)
        },
    )
    .await
    .expect("the import runs");
    assert_accounted(&summary, &archive);
    assert_stored(&app, &archive).await;
    nothing_sent(&app).await;
    // --resolved: old mail's tickets are settled, not waiting in the inbox.
    assert_eq!(summary.resolved, archive.tickets);
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM tickets WHERE problem <> 'resolved'"
        )
        .await,
        0
    );
}

#[tokio::test]
async fn the_command_prints_its_summary_and_adds_nothing_the_second_time() {
    let db = TestDatabase::create().await;
    let archive = archive(12, "agent@example.com");
    let dir = tempfile::tempdir().expect("a directory");
    let path = dir.path().join("old.mbox");
    write_mbox(&path, &archive.mails);
    let path = path.to_string_lossy().into_owned();

    let output = run(
        rapport(&db, &["import", "mbox", &path, "--resolved", "--json"]),
        "",
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let summary: Value = serde_json::from_slice(&output.stdout).expect("a JSON summary");
    assert_eq!(summary["resolved"], 12, "{summary}");
    // The agent is not in this workspace: their mail is the customer's side of nothing, so
    // it comes in as live mail from that address would.
    assert_eq!(summary["kinds"]["tickets"]["imported"], 12, "{summary}");
    assert_eq!(summary["stopped_early"], false);

    let output = run(rapport(&db, &["import", "mbox", &path]), "");
    assert!(output.status.success());
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("messages: 0 imported"), "{text}");
    assert!(text.contains("skipped: already imported"), "{text}");
}

fn zendesk_export() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/zendesk")
}

async fn text_of(app: &impl Reads, sql: &str) -> String {
    sqlx::query_scalar(sql)
        .fetch_one(app.store().pool())
        .await
        .expect("a value")
}

async fn assert_zendesk_stored(app: &TestApp) {
    assert_eq!(count(app, "SELECT COUNT(*) FROM organizations").await, 2);
    assert_eq!(count(app, "SELECT COUNT(*) FROM customers").await, 3);
    assert_eq!(count(app, "SELECT COUNT(*) FROM tickets").await, 3);
    assert_eq!(count(app, "SELECT COUNT(*) FROM messages").await, 7);
    assert_eq!(count(app, "SELECT COUNT(*) FROM attachments").await, 2);
    assert_eq!(
        count(
            app,
            "SELECT COUNT(*) FROM agents WHERE deactivated_at IS NOT NULL"
        )
        .await,
        1,
        "the colleague not in this workspace comes in as one who has left"
    );
}

#[tokio::test]
async fn a_zendesk_export_comes_in_with_its_states_dates_notes_and_files() {
    let app = TestApp::spawn().await;
    // Priya already works here: her Zendesk replies become hers.
    let (priya, _) = app
        .agent(
            "priya@oldhelpdesk.example",
            rapport_domain::Role::Agent,
            None,
        )
        .await;

    let summary = move_in::zendesk::import(&app.app.store, &zendesk_export(), run_with(100, None))
        .await
        .expect("the import runs");

    let tally = |kind: &str| summary.tally(kind);
    assert_eq!(tally("organizations").imported, 2, "{summary}");
    assert_eq!(tally("customers").imported, 3, "{summary}");
    assert_eq!(tally("agents").imported, 1, "{summary}");
    assert_eq!(
        tally("agents")
            .reasons
            .get("already an agent here (matched by email)"),
        Some(&1),
        "{summary}"
    );
    assert_eq!(tally("tickets").imported, 3, "{summary}");
    assert_eq!(
        tally("tickets")
            .reasons
            .get("its requester (999) is not in the export"),
        Some(&1),
        "{summary}"
    );
    assert_eq!(tally("messages").imported, 7, "{summary}");
    assert_eq!(tally("messages").skipped, 1, "{summary}");
    assert_eq!(tally("attachments").imported, 2, "{summary}");
    assert_eq!(
        tally("attachments")
            .reasons
            .get("the export names the file but does not hold it"),
        Some(&1),
        "{summary}"
    );
    assert_zendesk_stored(&app).await;
    nothing_sent(&app).await;

    // Solved and closed came in resolved; pending waits on the customer; Priya has hers.
    let oven = "SELECT id FROM tickets WHERE subject = 'Oven timer resets overnight'";
    assert_eq!(
        text_of(
            &app,
            "SELECT problem FROM tickets WHERE subject = 'Oven timer resets overnight'"
        )
        .await,
        "resolved"
    );
    assert_eq!(
        count(
            &app,
            "SELECT assignee_id FROM tickets WHERE subject = 'Oven timer resets overnight'"
        )
        .await,
        priya.id
    );
    assert_eq!(
        text_of(
            &app,
            "SELECT conversation FROM tickets WHERE subject LIKE 'Invoice 2023-0117%'"
        )
        .await,
        "waiting_on_customer"
    );
    assert_eq!(
        text_of(
            &app,
            "SELECT problem FROM tickets WHERE subject LIKE 'Phone call%'"
        )
        .await,
        "resolved"
    );
    assert_eq!(
        text_of(
            &app,
            "SELECT channel FROM tickets WHERE subject LIKE 'Phone call%'"
        )
        .await,
        "phone"
    );
    // The private comment is an internal note; the phone ticket's only comment is the agent's.
    assert_eq!(
        count(&app, &format!("SELECT COUNT(*) FROM messages WHERE visibility = 'internal' AND ticket_id = ({oven})")).await,
        1
    );
    assert_eq!(
        text_of(&app, "SELECT author_kind FROM messages WHERE ticket_id = (SELECT id FROM tickets WHERE subject LIKE 'Phone call%')").await,
        "agent"
    );
    // Dates are the export's.
    assert_eq!(
        text_of(
            &app,
            &format!("SELECT MIN(created_at) FROM messages WHERE ticket_id = ({oven})")
        )
        .await,
        "2023-01-09T09:12:00.000000Z"
    );
    assert_eq!(
        text_of(
            &app,
            &format!("SELECT created_at FROM tickets WHERE id = ({oven})")
        )
        .await,
        "2023-01-09T09:12:00.000000Z"
    );
    // The customer belongs to their organization.
    assert_eq!(
        text_of(&app, "SELECT o.name FROM customers c JOIN organizations o ON o.id = c.organization_id WHERE c.name = 'Dana Whitfield'").await,
        "Lakeside Bakery"
    );

    // Twice: nothing more, not even an event.
    let events = count(&app, "SELECT COUNT(*) FROM events").await;
    let again = move_in::zendesk::import(&app.app.store, &zendesk_export(), run_with(100, None))
        .await
        .expect("the import runs again");
    for kind in move_in::KINDS {
        assert_eq!(again.tally(kind).imported, 0, "{kind}: {again}");
    }
    assert_zendesk_stored(&app).await;
    assert_eq!(count(&app, "SELECT COUNT(*) FROM events").await, events);
}

#[tokio::test]
async fn a_zendesk_import_stopped_midway_ends_the_same_when_run_again() {
    let app = TestApp::spawn().await;
    let first = move_in::zendesk::import(&app.app.store, &zendesk_export(), run_with(1, Some(4)))
        .await
        .expect("the first part runs");
    assert!(first.stopped_early);
    assert_eq!(first.tally("organizations").imported, 2);
    assert_eq!(first.tally("tickets").imported, 0);
    let rest = move_in::zendesk::import(&app.app.store, &zendesk_export(), run_with(1, None))
        .await
        .expect("the rest runs");
    assert!(!rest.stopped_early);
    assert_eq!(rest.tally("organizations").imported, 0);
    assert_eq!(rest.tally("tickets").imported, 3);
    assert_eq!(
        first.tally("customers").imported + rest.tally("customers").imported,
        3
    );
    // Both colleagues are new here: both come in as having left.
    assert_eq!(count(&app, "SELECT COUNT(*) FROM tickets").await, 3);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM messages").await, 7);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM attachments").await, 2);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM customers").await, 3);
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM imported_items").await,
        2 + 5 + 3 + 7 + 2
    );
    nothing_sent(&app).await;
}

#[tokio::test]
async fn a_csv_with_a_column_mapping_comes_in_through_the_command_once() {
    let db = TestDatabase::create().await;
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/csv");
    let file = fixtures.join("tickets.csv").to_string_lossy().into_owned();
    let mapping = fixtures.join("mapping.toml").to_string_lossy().into_owned();
    let args = [
        "import",
        "csv",
        &file,
        "--mapping",
        &mapping,
        "--column",
        "body=Message",
        "--json",
    ];

    let output = run(rapport(&db, &args), "");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let summary: Value = serde_json::from_slice(&output.stdout).expect("a JSON summary");
    let kinds = &summary["kinds"];
    assert_eq!(kinds["tickets"]["imported"], 3, "{summary}");
    assert_eq!(
        kinds["tickets"]["reasons"]["no row of it was written by a customer"], 1,
        "{summary}"
    );
    assert_eq!(kinds["messages"]["imported"], 7, "{summary}");
    assert_eq!(kinds["messages"]["skipped"], 1, "{summary}");
    assert_eq!(kinds["customers"]["imported"], 3, "{summary}");
    assert_eq!(kinds["agents"]["imported"], 1, "{summary}");
    assert_eq!(kinds["attachments"]["imported"], 1, "{summary}");
    assert_eq!(
        kinds["attachments"]["reasons"]["the export names the file but does not hold it"], 1,
        "{summary}"
    );

    // The same file again adds nothing.
    let output = run(rapport(&db, &args), "");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let again: Value = serde_json::from_slice(&output.stdout).expect("a JSON summary");
    for kind in move_in::KINDS {
        assert_eq!(
            again["kinds"][kind]["imported"].as_u64().unwrap_or(0),
            0,
            "{kind}: {again}"
        );
    }

    // What came in, read from the database.
    let app = rapport::App::build(db.config())
        .await
        .expect("open the database");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM tickets").await, 3);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM messages").await, 7);
    assert_eq!(
        text_of(
            &app,
            "SELECT problem FROM tickets WHERE subject = 'Refund for a double charge'"
        )
        .await,
        "resolved"
    );
    assert_eq!(
        text_of(
            &app,
            "SELECT conversation FROM tickets WHERE subject = 'Cannot sign in after the update'"
        )
        .await,
        "waiting_on_customer"
    );
    assert_eq!(
        text_of(
            &app,
            "SELECT created_at FROM tickets WHERE subject LIKE 'Question about%'"
        )
        .await,
        "2023-04-06T14:00:00.000000Z"
    );
    assert_eq!(
        text_of(
            &app,
            "SELECT subject FROM tickets WHERE subject LIKE 'Question about%'"
        )
        .await,
        "Question about \"Pro\" plan, billing"
    );
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM messages WHERE visibility = 'internal'"
        )
        .await,
        2
    );
    nothing_queued(&app).await;
    app.store.close().await;
}

#[tokio::test]
async fn a_csv_without_a_needed_column_says_which() {
    let db = TestDatabase::create().await;
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/csv");
    let file = fixtures.join("tickets.csv").to_string_lossy().into_owned();
    let output = run(rapport(&db, &["import", "csv", &file]), "");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("which column holds ticket_id"), "{stderr}");
}

#[tokio::test]
async fn an_mbox_import_killed_midway_and_run_again_ends_whole() {
    let db = TestDatabase::create().await;
    let app = rapport::App::build(db.config())
        .await
        .expect("the database");
    let archive = archive(120, "agent@example.com");
    let dir = tempfile::tempdir().expect("a directory");
    let path = dir.path().join("old.mbox");
    write_mbox(&path, &archive.mails);
    let path = path.to_string_lossy().into_owned();
    let total = archive.mails.len() as i64;

    let mut child = rapport(&db, &["import", "mbox", &path, "--batch", "10"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn rapport import");
    let started = std::time::Instant::now();
    loop {
        let stored = count(&app, "SELECT COUNT(*) FROM inbound_emails").await;
        if stored > 0 || started.elapsed() > std::time::Duration::from_secs(60) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    child.kill().expect("kill the import");
    child.wait().expect("it ends");
    let kept = count(&app, "SELECT COUNT(*) FROM inbound_emails").await;
    assert!(kept > 0, "the import was killed before its first batch");

    let output = run(rapport(&db, &["import", "mbox", &path, "--json"]), "");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let summary: Value = serde_json::from_slice(&output.stdout).expect("a JSON summary");
    assert_eq!(
        summary["kinds"]["messages"]["reasons"][move_in::ALREADY_IMPORTED]
            .as_i64()
            .unwrap_or(0),
        kept,
        "{summary}"
    );
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM inbound_emails").await,
        total
    );
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM tickets").await,
        archive.tickets as i64
    );
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM messages").await,
        archive.messages as i64
    );
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM attachments").await,
        archive.attachments as i64
    );
    // The agent is not in this workspace, so their address is a customer too, as live.
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM customers").await,
        archive.customers as i64 + 1
    );
    nothing_queued(&app).await;
    app.store.close().await;
}

#[tokio::test]
async fn a_newer_zendesk_export_adds_only_the_new_comments() {
    let app = TestApp::spawn().await;
    move_in::zendesk::import(&app.app.store, &zendesk_export(), run_with(100, None))
        .await
        .expect("the first export comes in");

    // A week later: the customer answered on the pending ticket.
    let newer = tempfile::tempdir().expect("a directory");
    for name in ["organizations.json", "users.json"] {
        std::fs::copy(zendesk_export().join(name), newer.path().join(name)).expect("copy");
    }
    let tickets = std::fs::read_to_string(zendesk_export().join("tickets.json")).expect("read");
    let lines: Vec<String> = tickets
        .lines()
        .map(|line| {
            let mut ticket: Value = serde_json::from_str(line).expect("a ticket");
            if ticket["id"] == 1202 {
                ticket["status"] = "open".into();
                ticket["comments"]
                    .as_array_mut()
                    .expect("comments")
                    .push(serde_json::json!({
                        "id": 70012, "type": "Comment", "author_id": 502, "public": true,
                        "body": "The new number is ES-B12345678.", "attachments": [],
                        "created_at": "2023-02-20T10:00:00Z"
                    }));
            }
            ticket.to_string()
        })
        .collect();
    std::fs::write(newer.path().join("tickets.json"), lines.join("\n")).expect("write");

    let summary = move_in::zendesk::import(&app.app.store, newer.path(), run_with(100, None))
        .await
        .expect("the newer export comes in");
    assert_eq!(summary.tally("messages").imported, 1, "{summary}");
    assert_eq!(summary.tally("tickets").imported, 0, "{summary}");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM messages").await, 8);
    assert_eq!(
        text_of(
            &app,
            "SELECT conversation FROM tickets WHERE subject LIKE 'Invoice 2023-0117%'"
        )
        .await,
        "waiting_on_us"
    );
    nothing_sent(&app).await;
}

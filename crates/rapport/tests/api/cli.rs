//! The `rapport` binary, driven as an operator would from a shell script.

use crate::helpers::{TestDatabase, error_code};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::io::Write;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub fn rapport(db: &TestDatabase, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_rapport"));
    command
        .args(args)
        .arg("--data-dir")
        .arg(db.data_dir())
        .args(db.url_args())
        .env("RUST_LOG", "warn");
    command
        .env_remove("RAPPORT_DATABASE_URL")
        .env_remove("RAPPORT_CONFIG")
        .env_remove("RAPPORT_LISTEN");
    command
}

pub fn run(mut command: Command, stdin: &str) -> Output {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn rapport");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    child.wait_with_output().expect("rapport finishes")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A `rapport serve` process on a free port, killed when dropped.
pub struct Server {
    pub child: Child,
    pub base_url: String,
}

impl Server {
    pub async fn start(db: &TestDatabase) -> Server {
        Server::start_with(db, &[]).await
    }

    /// The same with more arguments before `serve`, such as `--config FILE`.
    pub async fn start_with(db: &TestDatabase, global: &[&str]) -> Server {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .expect("a free port")
            .local_addr()
            .expect("addr")
            .port();
        let listen = format!("127.0.0.1:{port}");
        let args: Vec<&str> = global
            .iter()
            .copied()
            .chain(["serve", "--listen", &listen])
            .collect();
        let child = rapport(db, &args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn rapport serve");
        let server = Server {
            child,
            base_url: format!("http://{listen}"),
        };
        server.wait_until_healthy().await;
        server
    }

    async fn wait_until_healthy(&self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            let answer = reqwest::get(format!("{}/healthz", self.base_url)).await;
            if answer.is_ok_and(|response| response.status() == StatusCode::OK) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("rapport serve did not become healthy at {}", self.base_url);
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn create_admin_and_token(db: &TestDatabase) -> String {
    let created = run(
        rapport(
            db,
            &[
                "admin",
                "create-agent",
                "--email",
                "ops@example.com",
                "--name",
                "Olu Ops",
                "--role",
                "admin",
                "--password-stdin",
            ],
        ),
        "a very good password\n",
    );
    assert!(
        created.status.success(),
        "create-agent: {}",
        stderr(&created)
    );
    let token = run(
        rapport(
            db,
            &[
                "admin",
                "create-token",
                "--email",
                "ops@example.com",
                "--label",
                "script",
            ],
        ),
        "",
    );
    assert!(token.status.success(), "create-token: {}", stderr(&token));
    let stdout = String::from_utf8(token.stdout).expect("utf-8");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 1, "the token alone on stdout: {stdout:?}");
    assert!(lines[0].starts_with("rpt_"));
    lines[0].to_owned()
}

/// `rapport admin create-intake-token`, as an operator sets up a mail gateway: the token alone
/// on standard output.
pub fn create_intake_token(db: &TestDatabase) -> String {
    let token = run(
        rapport(
            db,
            &["admin", "create-intake-token", "--label", "mail gateway"],
        ),
        "",
    );
    assert!(
        token.status.success(),
        "create-intake-token: {}",
        stderr(&token)
    );
    let stdout = String::from_utf8(token.stdout).expect("utf-8");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 1, "the token alone on stdout: {stdout:?}");
    assert!(lines[0].starts_with("rpi_"));
    lines[0].to_owned()
}

async fn call(
    client: &reqwest::Client,
    method: reqwest::Method,
    url: String,
    token: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = client.request(method, url).bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    crate::helpers::Api::send(request).await
}

#[tokio::test]
async fn a_script_round_trip_from_admin_to_audit_trail() {
    use reqwest::Method;
    let db = TestDatabase::create().await;
    let token = create_admin_and_token(&db);
    let server = Server::start(&db).await;
    let client = reqwest::Client::new();
    let url = |path: &str| format!("{}{path}", server.base_url);

    let (status, customer) = call(
        &client,
        Method::POST,
        url("/api/v1/customers"),
        &token,
        Some(json!({"name": "Ana", "email": "ana@example.com"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{customer}");
    let mut ids = Vec::new();
    for n in 0..3 {
        let (status, ticket) = call(
            &client,
            Method::POST,
            url("/api/v1/tickets"),
            &token,
            Some(json!({"subject": format!("Problem {n}"), "body": "Help", "customer_id": customer["id"]})),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{ticket}");
        ids.push(ticket["id"].as_i64().expect("id"));
    }
    let id = ids[0];
    for visibility in ["public", "internal"] {
        let (status, _) = call(
            &client,
            Method::POST,
            url(&format!("/api/v1/tickets/{id}/messages")),
            &token,
            Some(json!({"body": "Working on it", "visibility": visibility})),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED);
    }
    let (status, patched) = call(
        &client,
        Method::PATCH,
        url(&format!("/api/v1/tickets/{id}")),
        &token,
        Some(json!({"priority": "high", "tags": ["vip"]})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(patched["tags"], json!(["vip"]));

    let (_, page) = call(
        &client,
        Method::GET,
        url("/api/v1/tickets?limit=2"),
        &token,
        None,
    )
    .await;
    let cursor = page["next_cursor"].as_str().expect("a second page");
    let (_, last) = call(
        &client,
        Method::GET,
        url(&format!("/api/v1/tickets?limit=2&cursor={cursor}")),
        &token,
        None,
    )
    .await;
    assert_eq!(last["items"][0]["id"], id);

    let (_, events) = call(
        &client,
        Method::GET,
        url(&format!("/api/v1/tickets/{id}/events")),
        &token,
        None,
    )
    .await;
    assert_eq!(events["items"].as_array().map(Vec::len), Some(4));

    let (status, body) = call(
        &client,
        Method::POST,
        url("/api/v1/tickets"),
        &token,
        Some(json!({"subject": "x"})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_code(&body), "invalid_request");
}

#[tokio::test]
async fn a_restarted_server_keeps_everything() {
    let db = TestDatabase::create().await;
    let token = create_admin_and_token(&db);
    let client = reqwest::Client::new();
    let created = {
        let server = Server::start(&db).await;
        let (status, ticket) = call(
            &client,
            reqwest::Method::POST,
            format!("{}/api/v1/tickets", server.base_url),
            &token,
            Some(json!({"subject": "Keep me", "body": "Across restarts", "customer": {"email": "k@example.com"}})),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED);
        ticket
    };

    let server = Server::start(&db).await;
    let (status, fetched) = call(
        &client,
        reqwest::Method::GET,
        format!("{}/api/v1/tickets/{}", server.base_url, created["id"]),
        &token,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(fetched, created);
}

#[tokio::test]
async fn sigterm_stops_the_server_cleanly() {
    let db = TestDatabase::create().await;
    let mut server = Server::start(&db).await;

    let killed = Command::new("kill")
        .arg("-TERM")
        .arg(server.child.id().to_string())
        .status()
        .expect("kill");
    assert!(killed.success());

    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(status) = server.child.try_wait().expect("wait") {
            assert!(status.success(), "exit status {status}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the server did not stop on SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn command_line_mistakes_get_a_sentence_and_a_non_zero_exit() {
    let db = TestDatabase::create().await;
    create_admin_and_token(&db);

    let unknown = run(
        rapport(
            &db,
            &["admin", "create-token", "--email", "nobody@example.com"],
        ),
        "",
    );
    assert!(!unknown.status.success());
    assert!(
        stderr(&unknown).contains("there is no agent with the email nobody@example.com"),
        "{}",
        stderr(&unknown)
    );

    let duplicate = run(
        rapport(
            &db,
            &[
                "admin",
                "create-agent",
                "--email",
                "OPS@example.com",
                "--name",
                "Again",
                "--role",
                "agent",
            ],
        ),
        "",
    );
    assert!(!duplicate.status.success());
    assert!(
        stderr(&duplicate).contains("already exists"),
        "{}",
        stderr(&duplicate)
    );

    let bad_role = run(
        rapport(
            &db,
            &[
                "admin",
                "create-agent",
                "--email",
                "x@example.com",
                "--name",
                "X",
                "--role",
                "boss",
            ],
        ),
        "",
    );
    assert!(!bad_role.status.success());
    assert!(
        stderr(&bad_role).contains("use one of: agent, supervisor, admin"),
        "{}",
        stderr(&bad_role)
    );

    let no_boss = run(
        rapport(
            &db,
            &[
                "admin",
                "create-agent",
                "--email",
                "x@example.com",
                "--name",
                "X",
                "--role",
                "agent",
                "--reports-to",
                "ghost@example.com",
            ],
        ),
        "",
    );
    assert!(!no_boss.status.success());
    assert!(
        stderr(&no_boss).contains("no agent with the email ghost@example.com"),
        "{}",
        stderr(&no_boss)
    );

    let empty_password = run(
        rapport(
            &db,
            &[
                "admin",
                "create-agent",
                "--email",
                "y@example.com",
                "--name",
                "Y",
                "--role",
                "agent",
                "--password-stdin",
            ],
        ),
        "",
    );
    assert!(!empty_password.status.success());
    assert!(
        stderr(&empty_password).contains("held no password"),
        "{}",
        stderr(&empty_password)
    );

    let mut bad_url = Command::new(env!("CARGO_BIN_EXE_rapport"));
    bad_url.args(["migrate", "--database-url", "mysql://localhost/x"]);
    let bad_url = run(bad_url, "");
    assert!(!bad_url.status.success());
    assert!(
        stderr(&bad_url).contains("must start with sqlite:// or postgres://"),
        "{}",
        stderr(&bad_url)
    );
}

#[tokio::test]
async fn a_first_start_explains_how_to_create_the_first_admin() {
    let db = TestDatabase::create().await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("port")
        .local_addr()
        .expect("addr")
        .port();
    let mut child = rapport(&db, &["serve", "--listen", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let stderr = child.stderr.take().expect("stderr");

    let banner = std::thread::spawn(move || {
        use std::io::BufRead;
        let mut seen = String::new();
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            seen.push_str(&line);
            seen.push('\n');
            if line.contains("Rapport is running") {
                break;
            }
        }
        seen
    })
    .join()
    .expect("read stderr");
    let _ = child.kill();
    let _ = child.wait();

    assert!(banner.contains("No agents exist yet"), "{banner}");
    assert!(banner.contains("rapport admin create-agent"), "{banner}");
    assert!(
        banner.contains(&format!("http://127.0.0.1:{port}/")),
        "{banner}"
    );
}

#[tokio::test]
async fn migrate_is_idempotent() {
    let db = TestDatabase::create().await;
    for _ in 0..2 {
        let output = run(rapport(&db, &["migrate"]), "");
        assert!(output.status.success(), "{}", stderr(&output));
        assert!(stderr(&output).contains("up to date"));
    }
    if db.postgres.is_none() {
        assert!(Path::new(&db.data_dir()).join("rapport.db").exists());
    }
}

#[tokio::test]
async fn the_demo_workspace_is_seeded_once() {
    let db = TestDatabase::create().await;
    let app = rapport::App::build(db.config()).await.expect("app");

    rapport::demo::seed(&app.store).await.expect("seed");
    rapport::demo::seed(&app.store).await.expect("second start");

    let agents = app.store.agents().await.expect("agents");
    assert_eq!(agents.len(), 3, "seeding twice does not duplicate");
    let sam = agents
        .iter()
        .find(|a| a.email == "sam@rapport.example")
        .expect("sam");
    let priya = agents
        .iter()
        .find(|a| a.email == "priya@rapport.example")
        .expect("priya");
    assert_eq!(sam.reports_to, Some(priya.id), "a reporting chain");
    let page = app
        .store
        .list_tickets(&rapport_store::tickets::TicketFilter {
            limit: 100,
            ..Default::default()
        })
        .await
        .expect("tickets");
    assert_eq!(page.items.len(), 5);
    let problems: std::collections::BTreeSet<_> =
        page.items.iter().map(|t| t.problem.as_str()).collect();
    assert!(
        problems.len() >= 3,
        "tickets in various states: {problems:?}"
    );
    assert!(
        app.store
            .verify_agent_password("maya@rapport.example", "maya-demo-2026")
            .await
            .expect("query")
            .is_some()
    );
}

#[tokio::test]
async fn coach_and_insight_in_bulk_from_the_command_line() {
    let db = TestDatabase::create().await;
    let input = "{\"text\": \"As I already said, the ticket will be closed.\"}\n{\"text\": \"Hi Ana, I'll call you at 3.\", \"customer_name\": \"Ana\"}\n";

    let output = run(rapport(&db, &["coach", "--jsonl"]), input);

    assert!(output.status.success(), "{}", stderr(&output));
    let lines: Vec<Value> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    assert_eq!(lines.len(), 2);
    assert!(
        lines[0]["findings"]
            .as_array()
            .is_some_and(|f| f.iter().any(|f| f["kind"] == "blame"))
    );

    let insight = run(
        rapport(&db, &["insight", "--jsonl"]),
        "{\"text\": \"Cancel my subscription.\"}\n",
    );
    assert!(insight.status.success());
    assert!(String::from_utf8_lossy(&insight.stdout).contains("wants_to_cancel"));

    let bad = run(rapport(&db, &["coach", "--jsonl"]), "{\"text\": 5}\n");
    assert!(!bad.status.success());
    assert!(
        stderr(&bad).contains("1 of 1 lines were not valid"),
        "{}",
        stderr(&bad)
    );
    assert!(String::from_utf8_lossy(&bad.stdout).contains("\"line\":1"));

    let empty = run(rapport(&db, &["coach"]), "");
    assert!(!empty.status.success());
    assert!(stderr(&empty).contains("standard input was empty"));
}

#[tokio::test]
async fn an_admin_can_hand_a_customer_a_portal_link_from_the_command_line() {
    let db = TestDatabase::create().await;
    create_admin_and_token(&db);
    let app = rapport::App::build(db.config()).await.expect("app");
    app.store
        .create_customer(
            "Ana Silva",
            "ana@example.com",
            rapport_domain::Actor::System,
        )
        .await
        .expect("customer");

    let known = run(
        rapport(&db, &["admin", "portal-link", "--email", "Ana@Example.com"]),
        "",
    );
    let unknown = run(
        rapport(&db, &["admin", "portal-link", "--email", "zoe@example.com"]),
        "",
    );

    assert!(known.status.success(), "{}", stderr(&known));
    let link = String::from_utf8(known.stdout).expect("utf-8");
    assert!(
        link.trim()
            .starts_with("http://127.0.0.1:8080/portal/link/"),
        "{link}"
    );
    // Without a public URL, links follow the port Rapport listens on.
    let config = db.data_dir().join("moved.toml");
    std::fs::write(&config, "listen = \"127.0.0.1:9123\"\n").expect("config");
    let mut command = rapport(&db, &["admin", "portal-link", "--email", "ana@example.com"]);
    command.arg("--config").arg(&config);
    let moved = run(command, "");
    let link = String::from_utf8(moved.stdout).expect("utf-8");
    assert!(
        link.trim()
            .starts_with("http://127.0.0.1:9123/portal/link/"),
        "{link}"
    );
    assert!(!unknown.status.success());
    assert!(stderr(&unknown).contains("there is no customer with the email zoe@example.com"));

    // Once a server has run, a link made beside it points where it listened, and says so.
    app.store
        .set_setting("served_at", "http://127.0.0.1:9555")
        .await
        .expect("served");
    let beside = run(
        rapport(&db, &["admin", "portal-link", "--email", "ana@example.com"]),
        "",
    );
    assert!(
        String::from_utf8_lossy(&beside.stdout).starts_with("http://127.0.0.1:9555/portal/link/"),
        "{}",
        stderr(&beside)
    );
    assert!(
        stderr(&beside).contains("the address the server last ran at"),
        "{}",
        stderr(&beside)
    );
    // The public address an admin chose wins.
    app.store
        .set_setting("public_url", "https://help.harbor.example")
        .await
        .expect("chosen");
    let chosen = run(
        rapport(&db, &["admin", "portal-link", "--email", "ana@example.com"]),
        "",
    );
    assert!(
        String::from_utf8_lossy(&chosen.stdout)
            .starts_with("https://help.harbor.example/portal/link/"),
        "{}",
        stderr(&chosen)
    );
    assert!(
        stderr(&chosen).contains("set on /admin/settings"),
        "{}",
        stderr(&chosen)
    );
    assert!(
        stderr(&chosen).contains("within 30 minutes"),
        "{}",
        stderr(&chosen)
    );
}

#[tokio::test]
async fn create_agent_refuses_a_guessable_password_and_says_why() {
    let db = TestDatabase::create().await;
    let create = |email: &str, password: &str| {
        run(
            rapport(
                &db,
                &[
                    "admin",
                    "create-agent",
                    "--email",
                    email,
                    "--name",
                    "Pat",
                    "--role",
                    "agent",
                    "--password-stdin",
                ],
            ),
            &format!("{password}\n"),
        )
    };

    for (password, why) in [
        ("aaaaaaaaaa", "only repeats one or a few characters"),
        ("1234567890", "a simple run of characters"),
        ("qwertyuiop", "a simple run of characters"),
        ("Password123", "one of the most common passwords"),
        ("letmein123", "one of the most common passwords"),
        ("short", "at least 10 characters"),
    ] {
        let refused = create("pat@example.com", password);
        assert!(!refused.status.success(), "{password} was accepted");
        assert!(
            stderr(&refused).contains(why),
            "{password}: {}",
            stderr(&refused)
        );
    }
    let created = create("pat@example.com", "sam-demo-2026");
    assert!(created.status.success(), "{}", stderr(&created));
    let app = rapport::App::build(db.config()).await.expect("app");
    let agent = app
        .store
        .verify_agent_password("pat@example.com", "sam-demo-2026")
        .await
        .expect("verify");
    assert!(agent.is_some(), "the good password signs in");
}

/// `rapport bench` at a small size, so that it keeps working: it generates a workspace into
/// the empty database, prints a row per figure, and finds no plan reading a whole table; a
/// second run refuses the database it filled.
#[tokio::test]
async fn the_benchmark_generates_a_workspace_measures_it_and_refuses_a_full_database() {
    let db = TestDatabase::create().await;

    let output = run(
        rapport(&db, &["bench", "--tickets", "500", "--runs", "3"]),
        "",
    );

    let printed = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(output.status.success(), "{printed}\n{}", stderr(&output));
    assert!(printed.contains("Generated "), "{printed}");
    for figure in [
        "inbox mine + counts",
        "inbox unassigned + counts",
        "inbox escalated + counts",
        "ticket page",
        "customer page",
        "search, a rare word",
        "search, two words",
    ] {
        let line = printed
            .lines()
            .find(|line| line.starts_with(figure))
            .unwrap_or_else(|| panic!("no line for {figure}:\n{printed}"));
        let columns: Vec<&str> = line[figure.len()..].split_whitespace().collect();
        assert_eq!(columns.len(), 4, "{line}");
        assert_eq!(columns[0], "3", "{line}");
        assert!(columns[1].parse::<f64>().is_ok_and(|ms| ms > 0.0), "{line}");
    }
    assert!(
        printed.contains("none reads a whole table of tickets or messages"),
        "{printed}"
    );
    let tickets = run(
        rapport(&db, &["bench", "--tickets", "500", "--runs", "1"]),
        "",
    );
    assert!(!tickets.status.success());
    assert!(
        stderr(&tickets).contains("the database is not empty"),
        "{}",
        stderr(&tickets)
    );
}

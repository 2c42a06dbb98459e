//! The test harness: boots the real server on a fresh database for each test, SQLite by
//! default and PostgreSQL when `RAPPORT_TEST_DATABASE_URL` names a server, e.g.
//! `postgres://postgres@127.0.0.1:5432/postgres` (each test gets its own database there).

use rapport::{App, Config};
use rapport_store::clock::Clock;

/// Every test app starts on Monday 23 November 2026, 09:00 UTC, so business days are the same
/// on every run.
pub const START: time::OffsetDateTime = time::macros::datetime!(2026-11-23 09:00 UTC);
use rapport_domain::{Actor, Agent, Role};
use rapport_store::agents::NewAgent;
use reqwest::{Method, StatusCode};
use serde_json::Value;
use sqlx::Connection;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use tempfile::TempDir;
use tokio::sync::oneshot;

pub struct TestApp {
    pub app: App,
    pub base_url: String,
    /// The token of the admin every test app starts with.
    pub admin_token: String,
    pub admin: Agent,
    /// A mail intake token, the only credential that may post inbound mail.
    pub intake_token: String,
    /// The app's clock, moved by hand: see [`TestApp::advance`].
    pub clock: Clock,
    /// The configuration the app was built with (as `spawn_with` adjusted it).
    pub config: Config,
    /// Held so the database lives as long as the app; dropping it removes the database.
    pub db: TestDatabase,
    client: reqwest::Client,
    shutdown: Option<oneshot::Sender<()>>,
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        TestApp::spawn_with(|_| {}).await
    }

    /// A test app whose configuration `adjust` changes first (an SMTP server, a mail limit).
    pub async fn spawn_with(adjust: impl FnOnce(&mut Config)) -> TestApp {
        let db = TestDatabase::create().await;
        let mut config = db.config();
        adjust(&mut config);
        let clock = Clock::manual(START);
        let app = App::build_with_clock(config.clone(), clock.clone())
            .await
            .expect("the app builds on a fresh database");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a free port");
        let base_url = format!("http://{}", listener.local_addr().expect("local address"));
        let (shutdown, stopped) = oneshot::channel::<()>();
        tokio::spawn(rapport::serve(listener, app.clone(), async {
            let _ = stopped.await;
        }));

        let admin = app
            .store
            .create_agent(
                NewAgent {
                    email: "admin@rapport.test",
                    name: "Ada Admin",
                    role: Role::Admin,
                    reports_to: None,
                    password: None,
                },
                Actor::System,
            )
            .await
            .expect("create the admin");
        let admin_token = app
            .store
            .create_token(admin.id, "tests")
            .await
            .expect("token")
            .token;
        let intake_token = app
            .store
            .create_intake_token("tests")
            .await
            .expect("intake token")
            .token;
        TestApp {
            app,
            base_url,
            admin_token,
            admin,
            intake_token,
            clock,
            config,
            db,
            client: reqwest::Client::new(),
            shutdown: Some(shutdown),
        }
    }

    /// A new agent with `role`, reporting to `reports_to` if given, and their token.
    pub async fn agent(
        &self,
        email: &str,
        role: Role,
        reports_to: Option<&str>,
    ) -> (Agent, String) {
        let agent = self
            .app
            .store
            .create_agent(
                NewAgent {
                    email,
                    name: email,
                    role,
                    reports_to,
                    password: None,
                },
                Actor::System,
            )
            .await
            .expect("create agent");
        let token = self
            .app
            .store
            .create_token(agent.id, "tests")
            .await
            .expect("token")
            .token;
        (agent, token)
    }

    /// Moves time forward and runs every job that has fallen due, as the worker would.
    pub async fn advance(&self, by: time::Duration) -> usize {
        self.clock.advance(by);
        rapport::jobs::run_due(&self.app.store)
            .await
            .expect("jobs run")
    }

    /// A second app on the same database and clock, as after a restart.
    pub async fn restarted(&self) -> App {
        App::build_with_clock(self.config.clone(), self.clock.clone())
            .await
            .expect("the app builds again")
    }

    /// Another node serving the same database (same clock), on its own port, as a second
    /// `rapport serve` process would.
    pub async fn second_node(&self) -> Node {
        let app = self.restarted().await;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a free port");
        let base_url = format!("http://{}", listener.local_addr().expect("local address"));
        let (shutdown, stopped) = oneshot::channel::<()>();
        tokio::spawn(rapport::serve(listener, app.clone(), async {
            let _ = stopped.await;
        }));
        Node {
            app,
            base_url,
            _shutdown: shutdown,
        }
    }

    /// Open tasks of an agent (all, whatever their due time).
    pub async fn tasks_of(&self, agent_id: i64) -> Vec<rapport_store::tasks::Task> {
        self.app
            .store
            .tasks_for(agent_id, None)
            .await
            .expect("tasks")
    }

    /// Runs the jobs due now.
    pub async fn run_jobs(&self) -> usize {
        rapport::jobs::run_due(&self.app.store)
            .await
            .expect("jobs run")
    }

    /// A fresh token for an existing agent.
    pub async fn agent_token(&self, agent_id: i64) -> String {
        self.app
            .store
            .create_token(agent_id, "tests")
            .await
            .expect("token")
            .token
    }

    /// Requests as the admin.
    pub fn api(&self) -> Api<'_> {
        Api {
            app: self,
            token: Some(self.admin_token.clone()),
        }
    }

    /// Requests with the mail intake token (for `POST /api/v1/inbound/email`).
    pub fn intake(&self) -> Api<'_> {
        self.api_as(Some(&self.intake_token.clone()))
    }

    /// Requests with another token, or none.
    pub fn api_as(&self, token: Option<&str>) -> Api<'_> {
        Api {
            app: self,
            token: token.map(str::to_owned),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    /// Creates a ticket for a customer address and returns its JSON.
    pub async fn ticket(&self, subject: &str, email: &str) -> Value {
        let (status, body) = self
            .api()
            .post("/api/v1/tickets", serde_json::json!({"subject": subject, "body": "Please help.", "customer": {"email": email}}))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body
    }
}

/// A second node on a test app's database; it stops when dropped.
pub struct Node {
    pub app: App,
    pub base_url: String,
    _shutdown: oneshot::Sender<()>,
}

impl Node {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

/// Typed request helpers; each returns the status and the JSON body (`null` when empty).
pub struct Api<'a> {
    app: &'a TestApp,
    token: Option<String>,
}

impl Api<'_> {
    pub fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        let request = self.app.client.request(method, self.app.url(path));
        match &self.token {
            Some(token) => request.bearer_auth(token),
            None => request,
        }
    }

    pub async fn send(request: reqwest::RequestBuilder) -> (StatusCode, Value) {
        let response = request.send().await.expect("the server answers");
        let status = response.status();
        let text = response.text().await.expect("a body");
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or_else(|_| panic!("a JSON body, got: {text}"))
        };
        (status, body)
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        Self::send(self.request(Method::GET, path)).await
    }

    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        Self::send(self.request(Method::POST, path).json(&body)).await
    }

    pub async fn patch(&self, path: &str, body: Value) -> (StatusCode, Value) {
        Self::send(self.request(Method::PATCH, path).json(&body)).await
    }

    pub async fn delete(&self, path: &str) -> (StatusCode, Value) {
        Self::send(self.request(Method::DELETE, path)).await
    }

    /// Sends `raw` as the body with the JSON content type, for malformed-input tests.
    pub async fn post_raw(&self, path: &str, raw: &str) -> (StatusCode, Value) {
        let request = self
            .request(Method::POST, path)
            .header("content-type", "application/json")
            .body(raw.to_owned());
        Self::send(request).await
    }
}

/// Asserts the error envelope and its code, and returns the message.
pub fn error_code(body: &Value) -> &str {
    let error = body
        .get("error")
        .unwrap_or_else(|| panic!("an error envelope, got {body}"));
    assert!(
        error["message"].as_str().is_some_and(|m| !m.is_empty()),
        "a message in {body}"
    );
    error["code"]
        .as_str()
        .unwrap_or_else(|| panic!("a code in {body}"))
}

pub fn error_message(body: &Value) -> &str {
    body["error"]["message"].as_str().unwrap_or_default()
}

/// A fresh, empty database for one test.
pub struct TestDatabase {
    pub data_dir: TempDir,
    pub postgres: Option<PostgresDatabase>,
}

pub struct PostgresDatabase {
    admin_url: String,
    name: String,
    pub url: String,
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

impl TestDatabase {
    pub async fn create() -> TestDatabase {
        let data_dir = tempfile::tempdir().expect("a temporary directory");
        let postgres = match std::env::var("RAPPORT_TEST_DATABASE_URL") {
            Ok(admin_url) if !admin_url.is_empty() => {
                Some(PostgresDatabase::create(admin_url).await)
            }
            _ => None,
        };
        TestDatabase { data_dir, postgres }
    }

    /// A fresh database on the PostgreSQL server at `admin_url` (a test's own server).
    pub async fn on_postgres(admin_url: String) -> TestDatabase {
        let data_dir = tempfile::tempdir().expect("a temporary directory");
        let postgres = Some(PostgresDatabase::create(admin_url).await);
        TestDatabase { data_dir, postgres }
    }

    pub fn config(&self) -> Config {
        Config {
            data_dir: self.data_dir.path().to_path_buf(),
            database_url: self.postgres.as_ref().map(|pg| pg.url.clone()),
            listen: "127.0.0.1:0".parse().expect("address"),
            max_connections: 5,
            ..Config::default()
        }
    }

    pub fn data_dir(&self) -> PathBuf {
        self.data_dir.path().to_path_buf()
    }

    /// The `--database-url` flag for the binary, when on PostgreSQL.
    pub fn url_args(&self) -> Vec<String> {
        match &self.postgres {
            Some(pg) => vec!["--database-url".into(), pg.url.clone()],
            None => vec![],
        }
    }
}

impl PostgresDatabase {
    async fn create(admin_url: String) -> PostgresDatabase {
        sqlx::any::install_default_drivers();
        let name = format!(
            "rapport_test_{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.subsec_nanos())
                .unwrap_or(0)
        );
        let mut conn = sqlx::AnyConnection::connect(&admin_url)
            .await
            .expect("connect to RAPPORT_TEST_DATABASE_URL");
        sqlx::raw_sql(&format!("CREATE DATABASE \"{name}\""))
            .execute(&mut conn)
            .await
            .expect("create a test database");
        conn.close().await.ok();
        let url = replace_database(&admin_url, &name);
        PostgresDatabase {
            admin_url,
            name,
            url,
        }
    }
}

impl Drop for PostgresDatabase {
    fn drop(&mut self) {
        let admin_url = self.admin_url.clone();
        let name = self.name.clone();
        // Drop runs outside async code; a short-lived runtime on its own thread does the work.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            runtime.block_on(async {
                let mut conn = sqlx::AnyConnection::connect(&admin_url).await.ok()?;
                sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                    .execute(&mut conn)
                    .await
                    .ok()?;
                conn.close().await.ok()
            })
        });
        let _ = dropped.join();
    }
}

/// `postgres://u@h:5432/postgres?x=y` with the database name replaced.
fn replace_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let host_and_path = &base[scheme_end..];
    let host = host_and_path.split('/').next().unwrap_or(host_and_path);
    let mut result = format!("{}{}/{}", &base[..scheme_end], host, name);
    if let Some(query) = query {
        result.push('?');
        result.push_str(query);
    }
    result
}

/// A client that shows redirects instead of following them, as the page tests want.
pub fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// A page fetched with a session cookie: its status and HTML.
pub async fn get_page(app: &TestApp, cookie: &str, path: &str) -> (StatusCode, String) {
    let response = browser()
        .get(app.url(path))
        .header("cookie", cookie)
        .send()
        .await
        .expect("answer");
    (response.status(), response.text().await.expect("text"))
}

/// A form posted with a session cookie: the status and where it redirects to, or the page
/// it answered with.
pub async fn post_form(
    app: &TestApp,
    cookie: &str,
    path: &str,
    form: &[(&str, &str)],
) -> (StatusCode, String) {
    let response = browser()
        .post(app.url(path))
        .header("cookie", cookie)
        .form(form)
        .send()
        .await
        .expect("answer");
    let status = response.status();
    match response.headers().get("location") {
        Some(location) => (status, location.to_str().expect("ascii").to_owned()),
        None => (status, response.text().await.expect("text")),
    }
}

/// For a form shown before any session (the sign-in forms): the browser's form cookie
/// (`name=value`) and the token the page put in the form.
pub async fn form_token(app: &TestApp, path: &str) -> (String, String) {
    let response = browser().get(app.url(path)).send().await.expect("answer");
    let cookie = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find(|value| value.starts_with("rapport_form="))
        .and_then(|value| value.split(';').next())
        .expect("a form cookie")
        .to_owned();
    let page = response.text().await.expect("text");
    let start = page
        .find("name=\"csrf\" value=\"")
        .expect("a token in the form")
        + 19;
    let token = page[start..].split('"').next().expect("value").to_owned();
    (cookie, token)
}

/// Sends every request at once, each on its own task, and returns each status and body in the
/// order given: for what must happen once however many ask at the same moment.
pub async fn all_at_once(requests: Vec<reqwest::RequestBuilder>) -> Vec<(StatusCode, String)> {
    let tasks: Vec<_> = requests
        .into_iter()
        .map(|request| {
            tokio::spawn(async move {
                let response = request.send().await.expect("the server answers");
                let status = response.status();
                (status, response.text().await.expect("a body"))
            })
        })
        .collect();
    let mut answers = Vec::with_capacity(tasks.len());
    for task in tasks {
        answers.push(task.await.expect("the request ran"));
    }
    answers
}

/// How many of `answers` have `status`.
pub fn count_status(answers: &[(StatusCode, String)], status: StatusCode) -> usize {
    answers.iter().filter(|(got, _)| *got == status).count()
}

/// A browser-like client (no redirects followed) connecting from another loopback address,
/// as another machine would: `127.0.0.2`, `127.0.0.3`, ...
pub fn browser_from(ip: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .local_address(Some(ip.parse().expect("an IP address")))
        .build()
        .expect("client")
}

/// A `multipart/form-data` body, as a browser sends a form with files: the content type
/// header's value and the body. Files are `(file name, content type, bytes)`, all sent as
/// the field `files`.
pub fn multipart(fields: &[(&str, &str)], files: &[(&str, &str, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "rapport-test-boundary-7d1f";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    for (filename, content_type, data) in files {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{filename}\"\r\nContent-Type: {content_type}\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(data);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

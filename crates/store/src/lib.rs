//! Rapport's storage: one set of plain SQL queries over SQLite (the embedded default) or
//! PostgreSQL (the scale backend), through sqlx's `Any` driver.
//!
//! Queries are written once in the SQL both dialects share: `$1` placeholders, `RETURNING`,
//! `BIGINT` ids, and times as fixed-format UTC text (see [`clock`]). Where the dialects must
//! differ (how a write transaction starts, full-text search and job claiming) the code
//! matches on [`Backend`] in plain sight.
//!
//! Errors: functions here return [`StoreError`]; the web layer turns it into HTTP responses and
//! the command line into sentences.

pub mod agent_links;
pub mod agents;
pub mod auth;
pub mod blobs;
pub mod calls;
pub mod case;
pub mod clock;
pub mod coaching;
pub mod complaints;
pub mod contracts;
pub mod conversation;
pub mod coverage;
pub mod customer_answers;
pub mod customer_data;
pub mod customer_details;
pub mod customers;
pub mod dump;
mod error;
pub mod escalations;
pub mod events;
pub mod files;
pub mod filtered_mail;
pub mod handover;
pub mod health;
pub mod imports;
pub mod inbox;
pub mod jobs;
pub mod letters;
pub mod lifecycle;
pub mod mail_intake;
pub mod mail_outbox;
pub mod messages;
pub mod metrics;
mod migrate;
pub mod moments;
pub mod notifications;
pub mod organizations;
pub mod plans;
pub mod policies;
pub mod portal;
pub mod presence;
pub mod promises;
mod rows;
pub mod saved_replies;
pub mod search;
pub mod secrets;
pub mod settings;
pub mod sign_in_limits;
pub mod sla;
pub mod staffing;
pub mod surveys;
pub mod tasks;
pub mod teams;
pub mod ticket_page;
pub mod tickets;
pub mod timeline;
pub mod two_factor;
pub mod webhooks;

pub use error::{StoreError, StoreResult};

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{Any, AnyPool, Executor, Transaction};
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

/// Which database is behind the pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A handle on the database; cheap to clone.
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    clock: clock::Clock,
    /// Shared by every clone: an admin's change reaches every part of the process at once.
    public_url: std::sync::Arc<std::sync::RwLock<String>>,
    /// Where the bytes of attachments and raw mail are kept (the `blobs` rows name them).
    files: files::Files,
    /// How many passwords this store has checked (each an argon2 run), known or not.
    password_checks: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

/// A write transaction. Everything a change writes (the row and its audit event) goes through
/// one of these, so either all of it is committed or none of it.
pub type Tx = Transaction<'static, Any>;

/// The rows a change may hold for its whole transaction (see [`Store::lock_row`]).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Locked {
    Ticket,
    Customer,
}

/// Where customers reach Rapport unless configured otherwise.
pub const DEFAULT_PUBLIC_URL: &str = "http://127.0.0.1:8080";

/// The settings key of the readiness probe's row (see [`Store::check_writes`]).
const WRITE_PROBE_KEY: &str = "readiness_probe";
/// Larger than a page or two, so that the probe needs the database to grow when its free
/// pages are used up, as a new message or attachment would.
const WRITE_PROBE_BYTES: usize = 16 * 1024;

/// The SQLite database URL for a data directory.
pub fn sqlite_url(data_dir: &Path) -> String {
    format!(
        "sqlite://{}?mode=rwc",
        data_dir.join("rapport.db").display()
    )
}

impl Store {
    /// Connects to `url` (`sqlite://...` or `postgres://...`) and prepares each connection.
    /// Does not apply migrations; call [`Store::migrate`].
    pub async fn connect(url: &str, max_connections: u32) -> StoreResult<Store> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            return Err(StoreError::Config(format!(
                "the database URL must start with sqlite:// or postgres://, not `{}`",
                redact_url(url)
            )));
        };
        let options = AnyConnectOptions::from_str(url).map_err(|err| {
            StoreError::Config(format!(
                "the database URL `{}` is not valid: {err}",
                redact_url(url)
            ))
        })?;
        // How long a request waits for a connection. On SQLite only other requests make it
        // wait; on PostgreSQL also a server that is down or restarting, and a client is better
        // told so (503) after a while than kept hanging until the database is back.
        let acquire_timeout = match backend {
            Backend::Sqlite => Duration::from_secs(30),
            Backend::Postgres => Duration::from_secs(10),
        };
        let pool_options = AnyPoolOptions::new()
            .max_connections(max_connections.max(1))
            .acquire_timeout(acquire_timeout)
            .before_acquire(|conn, _meta| Box::pin(async move { Ok(outside_transaction(conn)) }));
        let pool_options = match backend {
            Backend::Sqlite => pool_options.after_connect(|conn, _meta| {
                Box::pin(async move {
                    // WAL lets readers work while one writer commits; synchronous=FULL makes
                    // every commit durable before it is acknowledged, so a crash or a power cut
                    // loses nothing that was accepted. The busy timeout makes writers queue
                    // instead of failing when another holds the write lock.
                    conn.execute(sqlx::raw_sql(
                        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
                         PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;",
                    ))
                    .await?;
                    Ok(())
                })
            }),
            Backend::Postgres => pool_options,
        };
        // One direct connection first: a database that is down or misnamed is reported at
        // once, instead of after the pool's acquire timeout.
        let probe = <sqlx::AnyConnection as sqlx::Connection>::connect_with(&options)
            .await
            .map_err(|err| {
                StoreError::Config(format!(
                    "could not open the database at `{}`: {err}",
                    redact_url(url)
                ))
            })?;
        sqlx::Connection::close(probe).await.ok();
        let pool = pool_options.connect_with(options).await.map_err(|err| {
            StoreError::Config(format!(
                "could not open the database at `{}`: {err}",
                redact_url(url)
            ))
        })?;
        Ok(Store {
            pool,
            backend,
            clock: clock::Clock::System,
            public_url: std::sync::Arc::new(std::sync::RwLock::new(DEFAULT_PUBLIC_URL.to_owned())),
            files: files::Files::directory(default_files_dir(url)),
            password_checks: Default::default(),
        })
    }

    /// The same store with another clock (tests use a manual one).
    pub fn with_clock(mut self, clock: clock::Clock) -> Store {
        self.clock = clock;
        self
    }

    /// The address customers reach Rapport at, for the links in messages to them.
    pub fn with_public_url(self, url: &str) -> Store {
        self.set_public_url(url);
        self
    }

    /// Changes the address customers reach Rapport at, for this store and all its clones.
    pub fn set_public_url(&self, url: &str) {
        let url = url.trim_end_matches('/').to_owned();
        match self.public_url.write() {
            Ok(mut current) => *current = url,
            Err(poisoned) => *poisoned.into_inner() = url,
        }
    }

    /// The same store keeping its files in `files`.
    pub fn with_files(mut self, files: files::Files) -> Store {
        self.files = files;
        self
    }

    pub fn files(&self) -> &files::Files {
        &self.files
    }

    pub fn public_url(&self) -> String {
        match self.public_url.read() {
            Ok(url) => url.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    pub fn clock(&self) -> &clock::Clock {
        &self.clock
    }

    /// Now, in the stored format, by this store's clock.
    pub fn now(&self) -> String {
        clock::format(self.clock.now())
    }

    /// `seconds` from now by this store's clock, in the stored format.
    pub fn from_now(&self, seconds: i64) -> String {
        clock::format(self.clock.now() + time::Duration::seconds(seconds))
    }

    /// How many passwords this store has checked since it connected, for tests and metrics:
    /// every sign-in attempt that reaches the check runs one argon2 hash, whether or not the
    /// address belongs to an agent.
    pub fn password_checks(&self) -> u64 {
        self.password_checks
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Starts a transaction that will write. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`): a transaction that reads first and upgrades later can fail with
    /// "database is locked" when another writer commits in between, whatever the busy timeout.
    pub async fn begin_write(&self) -> StoreResult<Tx> {
        let tx = match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        };
        Ok(tx)
    }

    /// Holds one row of `table` (by `id`) until the transaction ends, so that a change which
    /// reads, checks and then writes (a ticket's state, a customer's links) cannot interleave
    /// with another doing the same: the second waits and then reads what the first wrote.
    /// On SQLite `begin_write` already holds the whole database for the transaction.
    pub(crate) async fn lock_row(&self, tx: &mut Tx, table: Locked, id: i64) -> StoreResult<()> {
        lock_in(tx, table, id).await
    }

    /// Answers whether the database responds, for `/healthz`.
    pub async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Answers whether the database takes writes, for `/readyz`: in one write transaction, a
    /// probe row of a few pages is written and deleted again. On a full disk the database
    /// cannot grow (or append to its log), so this fails as real writes would; the row is
    /// never visible to anyone else.
    pub async fn check_writes(&self) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO settings (key, value) VALUES ($1, $2) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(WRITE_PROBE_KEY)
        .bind("0".repeat(WRITE_PROBE_BYTES))
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM settings WHERE key = $1")
            .bind(WRITE_PROBE_KEY)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Applies every migration not yet applied, in order.
    pub async fn migrate(&self) -> StoreResult<Vec<&'static str>> {
        migrate::run(self).await
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Whether a pooled connection may be handed out: never one still inside a transaction.
///
/// When SQLite fails a write with `SQLITE_FULL` or an I/O error (a full disk), it may roll the
/// whole transaction back by itself; sqlx's `ROLLBACK` then fails ("no transaction is active")
/// and its count of open transactions on that connection stays at 1, so every later
/// `BEGIN IMMEDIATE` on it failed with "attempted to call begin_with at non-zero transaction
/// depth" until a restart. Such a connection is closed here instead (the pool opens a fresh
/// one), so writes work again as soon as the disk has room.
fn outside_transaction(conn: &sqlx::AnyConnection) -> bool {
    let outside = !sqlx::Connection::is_in_transaction(conn);
    if !outside {
        tracing::warn!(
            "closing a database connection left inside a transaction by a failed commit or rollback"
        );
    }
    outside
}

/// Where files go unless configured otherwise: beside a SQLite database, or under the default
/// data directory for PostgreSQL.
pub(crate) fn default_files_dir(url: &str) -> std::path::PathBuf {
    let sqlite_file = url
        .strip_prefix("sqlite://")
        .map(|rest| rest.split('?').next().unwrap_or_default())
        .map(Path::new);
    match sqlite_file.and_then(Path::parent) {
        Some(dir) if !dir.as_os_str().is_empty() => dir.join("files"),
        _ => Path::new("rapport-data").join("files"),
    }
}

/// A database URL with any password replaced, safe to print in a message or a log.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    match rest.split_once('@') {
        Some((userinfo, host)) if userinfo.contains(':') => {
            let user = userinfo.split(':').next().unwrap_or_default();
            format!("{scheme}://{user}:***@{host}")
        }
        _ => url.to_owned(),
    }
}

/// Holds a row until the transaction ends, for steps that have only the transaction (see
/// [`Store::lock_row`]): `SELECT ... FOR UPDATE` on PostgreSQL; SQLite's write transaction
/// already lets one writer in at a time.
pub(crate) async fn lock_in(tx: &mut Tx, table: Locked, id: i64) -> StoreResult<()> {
    if tx.backend_name().eq_ignore_ascii_case("postgresql") {
        let table = match table {
            Locked::Ticket => "tickets",
            Locked::Customer => "customers",
        };
        sqlx::query(&format!("SELECT id FROM {table} WHERE id = $1 FOR UPDATE"))
            .bind(id)
            .fetch_optional(&mut **tx)
            .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SQLite rolls a transaction back by itself when a statement without a statement journal
    /// fails with `SQLITE_FULL`; the connection must not be handed out again as if it were
    /// still inside that transaction.
    #[tokio::test]
    async fn a_write_on_a_full_disk_leaves_no_connection_inside_a_transaction() {
        let dir = tempfile::tempdir().expect("a directory");
        let store = Store::connect(&sqlite_url(dir.path()), 1)
            .await
            .expect("connect");
        sqlx::raw_sql("CREATE TABLE big (data BLOB NOT NULL)")
            .execute(store.pool())
            .await
            .expect("create");
        let pages: i64 = sqlx::query_scalar("PRAGMA page_count")
            .fetch_one(store.pool())
            .await
            .expect("page_count");
        sqlx::raw_sql(&format!("PRAGMA max_page_count = {pages}"))
            .execute(store.pool())
            .await
            .expect("limit");
        let mut tx = store.begin_write().await.expect("begin");
        let full = sqlx::query("INSERT INTO big (data) VALUES ($1)")
            .bind(vec![7u8; 50_000])
            .execute(&mut *tx)
            .await
            .map_err(StoreError::from)
            .expect_err("the disk is full");
        assert!(full.is_storage_full(), "{full}");
        drop(tx);

        let tx = store.begin_write().await.expect("a write can start again");
        tx.rollback().await.expect("rollback");
    }

    #[test]
    fn passwords_never_reach_messages() {
        assert_eq!(
            redact_url("postgres://app:s3cret@db:5432/rapport"),
            "postgres://app:***@db:5432/rapport"
        );
        assert_eq!(
            redact_url("postgres://app@db/rapport"),
            "postgres://app@db/rapport"
        );
        assert_eq!(
            redact_url("sqlite://data/rapport.db"),
            "sqlite://data/rapport.db"
        );
    }
}

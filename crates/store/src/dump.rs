//! The whole database, table by table, for backups, exports, imports and their verification.
//!
//! [`TABLES`] lists every table a workspace keeps, parents before children, so rows can be
//! inserted in that order with every foreign key checked. A table added by a migration must be
//! added here too: an export refuses a database with a table it does not know, and a test
//! compares this list with the tables the migrations create.
//!
//! Columns and primary keys are read from the database itself, so a column added by a migration
//! is carried without a change here. Cells are integers, text or bytes: the only kinds the
//! migrations use (`INTEGER`/`BIGINT`, `TEXT`, `BLOB`/`BYTEA`).
//!
//! A [`Snapshot`] reads every table in one transaction: on SQLite a read transaction in WAL
//! mode, on PostgreSQL `REPEATABLE READ, READ ONLY`, so what it reads is one moment of the
//! database while others keep writing. Rows come in primary-key order, text compared byte by
//! byte on both backends (`COLLATE "C"` on PostgreSQL), so both backends give the same order.

use crate::{Backend, Store, StoreError, StoreResult, default_files_dir};
use futures_util::TryStreamExt;
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};
use std::path::Path;

/// A table of the workspace, and its columns that refer to rows of the same table.
#[derive(Debug)]
pub struct Table {
    pub name: &'static str,
    /// Columns referring to the same table (an agent's `reports_to`), which may name a row
    /// inserted later: an import writes them once every row of the table is in.
    pub late: &'static [&'static str],
}

const fn table(name: &'static str) -> Table {
    Table { name, late: &[] }
}

/// Every table of a workspace, parents before children.
pub const TABLES: &[Table] = &[
    table("settings"),
    Table {
        name: "agents",
        late: &["reports_to"],
    },
    table("api_tokens"),
    table("sessions"),
    table("teams"),
    table("team_members"),
    table("organizations"),
    table("organization_domains"),
    Table {
        name: "customers",
        late: &["merged_into"],
    },
    table("customer_emails"),
    table("tickets"),
    table("ticket_tags"),
    table("messages"),
    table("events"),
    table("reply_reviews"),
    table("reply_findings"),
    table("jobs"),
    table("tasks"),
    table("promises"),
    table("moments"),
    table("calls"),
    table("resolution_links"),
    table("surveys"),
    table("health_points"),
    table("blobs"),
    table("attachments"),
    table("inbound_emails"),
    table("portal_links"),
    table("customer_sessions"),
    table("escalations"),
    table("letters"),
    table("intake_tokens"),
    table("two_factor"),
    table("recovery_codes"),
    table("pending_sign_ins"),
    table("agent_links"),
    table("saved_replies"),
    table("contracts"),
    table("assets"),
    table("contract_assets"),
    table("ticket_assets"),
    table("sla_policies"),
    table("ticket_sla"),
    table("sla_breaches"),
    table("notifications"),
    table("notification_settings"),
    table("complaints"),
    table("recovery_actions"),
    table("policies"),
    table("policy_exceptions"),
    table("webhook_subscriptions"),
    table("webhook_deliveries"),
    table("webhook_attempts"),
    table("imported_items"),
];

/// Tables that belong to the database rather than the workspace: the target of an import has
/// its own record of the migrations applied to it, the running nodes' sign-in counts and
/// open pages (`sign_in_limits`, `sign_in_trusted`, `presence`) start afresh, and the search
/// index (`ticket_search`) is written by the database's triggers as the rows are imported.
/// Files still waiting in `blobs_to_move` are exported as the files `blobs` names, read
/// through the store.
pub const NOT_EXPORTED: &[&str] = &[
    "schema_migrations",
    "blobs_to_move",
    "sign_in_limits",
    "sign_in_trusted",
    "presence",
    "ticket_search",
];

/// The table whose rows name the files of the file store (by `sha256`): an export carries each
/// file in its `blobs/` directory, and an import writes them back to the file store.
pub const FILES_TABLE: &str = "blobs";

/// The table whose rows the server writes on its own at start-up (the sender address), so an
/// import replaces them instead of counting them as data.
pub const WRITTEN_AT_START: &str = "settings";

/// What a column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Integer,
    Text,
    Bytes,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Integer => "integer",
            Kind::Text => "text",
            Kind::Bytes => "bytes",
        }
    }

    pub fn from_name(name: &str) -> Option<Kind> {
        match name {
            "integer" => Some(Kind::Integer),
            "text" => Some(Kind::Text),
            "bytes" => Some(Kind::Bytes),
            _ => None,
        }
    }

    /// The kind of a column declared as `declared` (SQLite's declared type, PostgreSQL's
    /// `data_type`).
    fn of_declared(declared: &str) -> Option<Kind> {
        match declared.to_ascii_lowercase().as_str() {
            "integer" | "bigint" => Some(Kind::Integer),
            "text" => Some(Kind::Text),
            "blob" | "bytea" => Some(Kind::Bytes),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    pub kind: Kind,
}

/// A table's columns in the database's order, and its primary key.
#[derive(Debug, Clone)]
pub struct Shape {
    pub table: String,
    pub columns: Vec<Column>,
    pub key: Vec<String>,
}

impl Shape {
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|column| column.name == name)
    }
}

/// One value of a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    Null,
    Integer(i64),
    Text(String),
    Bytes(Vec<u8>),
}

/// Names in SQL are quoted; they come from [`TABLES`] and the database's own catalog.
fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The lookup of a table's columns and key, which is the same inside or outside a transaction.
async fn read_shape<'c, E>(executor: E, backend: Backend, table: &str) -> StoreResult<Shape>
where
    E: sqlx::Executor<'c, Database = Any>,
{
    let described: Vec<(String, String, i64)> = match backend {
        Backend::Sqlite => {
            sqlx::query_as("SELECT name, type, pk FROM pragma_table_info($1) ORDER BY cid")
                .bind(table)
                .fetch_all(executor)
                .await?
        }
        Backend::Postgres => {
            sqlx::query_as(
                "SELECT c.column_name::text, c.data_type::text, \
                        COALESCE((SELECT k.n FROM pg_index i \
                                  CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, n) \
                                  JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum \
                                  WHERE i.indrelid = ($1::text)::regclass AND i.indisprimary \
                                    AND a.attname = c.column_name), 0) \
                 FROM information_schema.columns c \
                 WHERE c.table_schema = current_schema() AND c.table_name = $1 \
                 ORDER BY c.ordinal_position",
            )
            .bind(table)
            .fetch_all(executor)
            .await?
        }
    };
    if described.is_empty() {
        return Err(StoreError::Corrupt(format!(
            "the table {table} does not exist in this database"
        )));
    }
    let mut columns = Vec::new();
    let mut key: Vec<(i64, String)> = Vec::new();
    for (name, declared, position) in described {
        let kind = Kind::of_declared(&declared).ok_or_else(|| {
            StoreError::Corrupt(format!(
                "the column {table}.{name} has the type {declared}, which backups and exports do not know yet"
            ))
        })?;
        if position > 0 {
            key.push((position, name.clone()));
        }
        columns.push(Column { name, kind });
    }
    key.sort();
    let mut key: Vec<String> = key.into_iter().map(|(_, name)| name).collect();
    if key.is_empty() {
        key = columns.iter().map(|column| column.name.clone()).collect();
    }
    Ok(Shape {
        table: table.to_owned(),
        columns,
        key,
    })
}

fn read_cell(row: &AnyRow, index: usize, kind: Kind) -> StoreResult<Cell> {
    Ok(match kind {
        Kind::Integer => row
            .try_get::<Option<i64>, _>(index)?
            .map_or(Cell::Null, Cell::Integer),
        Kind::Text => row
            .try_get::<Option<String>, _>(index)?
            .map_or(Cell::Null, Cell::Text),
        Kind::Bytes => row
            .try_get::<Option<Vec<u8>>, _>(index)?
            .map_or(Cell::Null, Cell::Bytes),
    })
}

fn bind_cell<'q>(
    query: sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>>,
    cell: &Cell,
    kind: Kind,
) -> sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>> {
    match (cell, kind) {
        (Cell::Integer(value), _) => query.bind(*value),
        (Cell::Text(value), _) => query.bind(value.clone()),
        (Cell::Bytes(value), _) => query.bind(value.clone()),
        (Cell::Null, Kind::Integer) => query.bind(None::<i64>),
        (Cell::Null, Kind::Text) => query.bind(None::<String>),
        (Cell::Null, Kind::Bytes) => query.bind(None::<Vec<u8>>),
    }
}

/// Every table of the workspace as it was at one moment, read in one transaction.
pub struct Snapshot {
    tx: Transaction<'static, Any>,
    backend: Backend,
}

impl Snapshot {
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The names of the migrations applied, in order: the schema this snapshot has.
    pub async fn schema(&mut self) -> StoreResult<Vec<String>> {
        Ok(
            sqlx::query_scalar("SELECT name FROM schema_migrations ORDER BY name")
                .fetch_all(&mut *self.tx)
                .await?,
        )
    }

    /// The tables in the database, by name; it must hold no table outside [`TABLES`] and
    /// [`NOT_EXPORTED`] for an export to be whole.
    pub async fn table_names(&mut self) -> StoreResult<Vec<String>> {
        table_names(&mut *self.tx, self.backend).await
    }

    pub async fn shape(&mut self, table: &str) -> StoreResult<Shape> {
        let backend = self.backend;
        read_shape(&mut *self.tx, backend, table).await
    }

    /// Calls `each` with every row of the table, in primary-key order; returns the count.
    pub async fn for_each_row<E>(
        &mut self,
        shape: &Shape,
        mut each: impl FnMut(Vec<Cell>) -> Result<(), E>,
    ) -> Result<u64, E>
    where
        E: From<StoreError>,
    {
        let order: Vec<String> = shape
            .key
            .iter()
            .map(|name| {
                let text = shape
                    .column(name)
                    .is_some_and(|column| column.kind == Kind::Text);
                match (self.backend, text) {
                    (Backend::Postgres, true) => format!("{} COLLATE \"C\"", quoted(name)),
                    _ => quoted(name),
                }
            })
            .collect();
        let columns: Vec<String> = shape.columns.iter().map(|c| quoted(&c.name)).collect();
        let sql = format!(
            "SELECT {} FROM {} ORDER BY {}",
            columns.join(", "),
            quoted(&shape.table),
            order.join(", ")
        );
        let mut rows = sqlx::query(&sql).fetch(&mut *self.tx);
        let mut count = 0;
        while let Some(row) = rows.try_next().await.map_err(StoreError::from)? {
            let cells = shape
                .columns
                .iter()
                .enumerate()
                .map(|(index, column)| read_cell(&row, index, column.kind))
                .collect::<StoreResult<Vec<Cell>>>()?;
            each(cells)?;
            count += 1;
        }
        Ok(count)
    }

    /// Ends the read transaction.
    pub async fn finish(self) -> StoreResult<()> {
        self.tx.rollback().await?;
        Ok(())
    }
}

async fn table_names<'c, E>(executor: E, backend: Backend) -> StoreResult<Vec<String>>
where
    E: sqlx::Executor<'c, Database = Any>,
{
    let sql = match backend {
        Backend::Sqlite => {
            // A full-text table is listed; the tables SQLite keeps its index in are not.
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
             AND name NOT IN (SELECT name FROM pragma_table_list WHERE type = 'shadow') \
             ORDER BY name"
        }
        Backend::Postgres => {
            "SELECT table_name::text FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY 1"
        }
    };
    Ok(sqlx::query_scalar(sql).fetch_all(executor).await?)
}

impl Store {
    /// Opens a SQLite database file read only, as it is (no migration, nothing written: not
    /// even the journal mode), to read a backup or a stopped server's database.
    pub async fn open_sqlite_file(path: &Path) -> StoreResult<Store> {
        let url = format!("sqlite://{}?mode=ro", path.display());
        sqlx::any::install_default_drivers();
        let options: sqlx::any::AnyConnectOptions = url.parse().map_err(|err| {
            StoreError::Config(format!("could not open {}: {err}", path.display()))
        })?;
        // Two connections: a snapshot holds one while files kept in the rows are read.
        let pool = sqlx::any::AnyPoolOptions::new()
            .max_connections(2)
            .connect_with(options)
            .await
            .map_err(|err| {
                StoreError::Config(format!("could not open {}: {err}", path.display()))
            })?;
        Ok(Store {
            pool,
            backend: Backend::Sqlite,
            clock: crate::clock::Clock::System,
            public_url: std::sync::Arc::new(std::sync::RwLock::new(
                crate::DEFAULT_PUBLIC_URL.to_owned(),
            )),
            files: crate::files::Files::directory(default_files_dir(&url)),
            password_checks: Default::default(),
        })
    }

    /// Starts reading the whole database as of now; see [`Snapshot`].
    pub async fn snapshot(&self) -> StoreResult<Snapshot> {
        let tx = match self.backend {
            Backend::Sqlite => self.pool.begin().await?,
            Backend::Postgres => {
                self.pool
                    .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                    .await?
            }
        };
        Ok(Snapshot {
            tx,
            backend: self.backend,
        })
    }

    /// The tables in the database, by name.
    pub async fn table_names(&self) -> StoreResult<Vec<String>> {
        table_names(&self.pool, self.backend).await
    }

    /// The names of the migrations applied, in order.
    pub async fn schema(&self) -> StoreResult<Vec<String>> {
        Ok(
            sqlx::query_scalar("SELECT name FROM schema_migrations ORDER BY name")
                .fetch_all(&self.pool)
                .await?,
        )
    }

    pub async fn shape(&self, table: &str) -> StoreResult<Shape> {
        read_shape(&self.pool, self.backend, table).await
    }

    /// The first table of the workspace that holds rows, with its count, or `None` when the
    /// database is empty (the settings the server writes at start-up aside).
    pub async fn first_table_with_rows(&self) -> StoreResult<Option<(&'static str, i64)>> {
        for table in TABLES.iter().filter(|t| t.name != WRITTEN_AT_START) {
            let count: i64 =
                sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {}", quoted(table.name)))
                    .fetch_one(&self.pool)
                    .await?;
            if count > 0 {
                return Ok(Some((table.name, count)));
            }
        }
        Ok(None)
    }

    /// Deletes every row of every table of the workspace, children first, in one transaction.
    pub async fn delete_everything(&self) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        for table in TABLES.iter().rev() {
            sqlx::query(&format!("DELETE FROM {}", quoted(table.name)))
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Deletes the rows of one table (the settings written at start-up, before an import).
    pub async fn delete_rows(&self, table: &Table) -> StoreResult<()> {
        sqlx::query(&format!("DELETE FROM {}", quoted(table.name)))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Inserts `rows` (cells in the order of `shape.columns`) in one transaction; the table's
    /// `late` columns are written as NULL here and set by [`Store::set_late_columns`].
    pub async fn insert_rows(
        &self,
        table: &Table,
        shape: &Shape,
        rows: &[Vec<Cell>],
    ) -> StoreResult<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let width = shape.columns.len();
        // Both backends take thousands of parameters in one statement; stay well below.
        let per_statement = (4_000 / width).clamp(1, 500);
        let names: Vec<String> = shape.columns.iter().map(|c| quoted(&c.name)).collect();
        let mut tx = self.begin_write().await?;
        for chunk in rows.chunks(per_statement) {
            let mut sql = format!(
                "INSERT INTO {} ({}) VALUES ",
                quoted(&shape.table),
                names.join(", ")
            );
            let mut next = 1;
            for (index, _) in chunk.iter().enumerate() {
                if index > 0 {
                    sql.push_str(", ");
                }
                let slots: Vec<String> = (next..next + width).map(|n| format!("${n}")).collect();
                next += width;
                sql.push('(');
                sql.push_str(&slots.join(", "));
                sql.push(')');
            }
            let mut query = sqlx::query(&sql);
            for row in chunk {
                for (cell, column) in row.iter().zip(&shape.columns) {
                    let cell = if table.late.contains(&column.name.as_str()) {
                        &Cell::Null
                    } else {
                        cell
                    };
                    query = bind_cell(query, cell, column.kind);
                }
            }
            query.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Sets the `late` columns of rows already inserted: each of `rows` is a whole row as given
    /// to [`Store::insert_rows`]; only those with a late value are written.
    pub async fn set_late_columns(
        &self,
        table: &Table,
        shape: &Shape,
        rows: &[Vec<Cell>],
    ) -> StoreResult<()> {
        if table.late.is_empty() {
            return Ok(());
        }
        let index_of = |name: &str| shape.columns.iter().position(|c| c.name == name);
        let keys: Vec<usize> = shape.key.iter().filter_map(|k| index_of(k)).collect();
        let mut tx = self.begin_write().await?;
        for late in table.late {
            let Some(late_index) = index_of(late) else {
                continue;
            };
            let conditions: Vec<String> = keys
                .iter()
                .enumerate()
                .map(|(n, &k)| format!("{} = ${}", quoted(&shape.columns[k].name), n + 2))
                .collect();
            let sql = format!(
                "UPDATE {} SET {} = $1 WHERE {}",
                quoted(&shape.table),
                quoted(late),
                conditions.join(" AND ")
            );
            for row in rows.iter().filter(|row| row[late_index] != Cell::Null) {
                let mut query = bind_cell(
                    sqlx::query(&sql),
                    &row[late_index],
                    shape.columns[late_index].kind,
                );
                for &k in &keys {
                    query = bind_cell(query, &row[k], shape.columns[k].kind);
                }
                query.execute(&mut *tx).await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// After rows were inserted with their ids, makes PostgreSQL's identity columns continue
    /// after the largest id (SQLite's do by themselves).
    pub async fn reset_sequences(&self) -> StoreResult<()> {
        if self.backend != Backend::Postgres {
            return Ok(());
        }
        let identities: Vec<(String, String)> = sqlx::query_as(
            "SELECT table_name::text, column_name::text FROM information_schema.columns \
             WHERE table_schema = current_schema() AND is_identity = 'YES' ORDER BY 1",
        )
        .fetch_all(&self.pool)
        .await?;
        for (table, column) in identities {
            sqlx::query(&format!(
                "SELECT setval(pg_get_serial_sequence($1, $2), COALESCE(MAX({}), 0) + 1, false) FROM {}",
                quoted(&column),
                quoted(&table)
            ))
            .bind(quoted(&table))
            .bind(column.clone())
            .execute(&self.pool)
            .await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn migrated() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().expect("a directory");
        let store = Store::connect(&crate::sqlite_url(dir.path()), 1)
            .await
            .expect("connect");
        store.migrate().await.expect("migrate");
        (dir, store)
    }

    #[tokio::test]
    async fn every_table_of_the_migrations_is_listed() {
        let (_dir, store) = migrated().await;
        let mut listed: Vec<&str> = TABLES.iter().map(|t| t.name).collect();
        listed.extend(NOT_EXPORTED);
        listed.sort();
        let in_database = store.table_names().await.expect("tables");
        assert_eq!(
            in_database, listed,
            "a table of the migrations is missing from dump::TABLES (or one listed there no longer exists)"
        );
    }

    /// Rows are inserted in the order of [`TABLES`] with every foreign key checked, so each
    /// table must come after the tables it refers to; a reference to its own table must be a
    /// `late` column.
    #[tokio::test]
    async fn parents_come_before_children() {
        let (_dir, store) = migrated().await;
        for (position, table) in TABLES.iter().enumerate() {
            let references: Vec<(String, String)> =
                sqlx::query_as("SELECT \"table\", \"from\" FROM pragma_foreign_key_list($1)")
                    .bind(table.name)
                    .fetch_all(store.pool())
                    .await
                    .expect("foreign keys");
            for (parent, column) in references {
                if parent == table.name {
                    assert!(
                        table.late.contains(&column.as_str()),
                        "{}.{column} refers to its own table; list it in `late`",
                        table.name
                    );
                    continue;
                }
                let parent_position = TABLES
                    .iter()
                    .position(|t| t.name == parent)
                    .expect("the parent is listed");
                assert!(
                    parent_position < position,
                    "{} refers to {parent}, which must come before it in TABLES",
                    table.name
                );
            }
        }
    }

    #[tokio::test]
    async fn every_column_has_a_known_kind_and_every_table_a_key() {
        let (_dir, store) = migrated().await;
        for table in TABLES {
            let shape = store.shape(table.name).await.expect("shape");
            assert!(!shape.columns.is_empty() && !shape.key.is_empty());
        }
    }
}

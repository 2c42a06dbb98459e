//! The plans the database makes for the inbox's views, their counts and the search, so that a
//! test (or a benchmark) sees a query that reads a whole table of tickets or messages instead
//! of an index or the full-text index. Plans depend on the data; on PostgreSQL they are asked
//! with sequential scans discouraged, so a small test database answers as a large one would
//! whenever an index can serve.

use crate::inbox::{View, count_sql, view_sql};
use crate::rows::Built;
use crate::search::{SearchFilter, search_sql};
use crate::{Backend, Store, StoreResult};
use rapport_domain::Agent;
use rapport_domain::search::SearchQuery;

/// One query's plan, a line per step.
#[derive(Debug, Clone)]
pub struct Plan {
    pub name: String,
    pub lines: Vec<String>,
}

/// The tables that grow with the workspace, as the queries name them (table or alias).
const LARGE: &[(&str, &[&str])] = &[
    ("tickets", &["t", "tickets"]),
    ("messages", &["m", "messages"]),
];

/// The partial indexes of the inbox's views (migration 0024).
const VIEW_INDEXES: &[&str] = &[
    "tickets_unfinished_by_update",
    "tickets_unfinished_by_assignee",
    "tickets_unfinished_by_team",
    "tickets_owed",
];

impl Plan {
    /// The steps that read the whole of a large table (tickets, messages).
    pub fn full_scans(&self, backend: Backend) -> Vec<&str> {
        self.lines
            .iter()
            .map(String::as_str)
            .filter(|line| {
                let line = line.trim_start_matches(|c: char| !c.is_alphanumeric());
                LARGE.iter().any(|(table, names)| match backend {
                    // SQLite: `SCAN t` reads the whole table, `SCAN t USING ... INDEX` the
                    // whole of an index (as costly at scale); `SEARCH` looks rows up.
                    // The views' own indexes are partial (unfinished tickets only) and read
                    // in order until the page is full: not a read of the whole table.
                    Backend::Sqlite => names.iter().any(|name| {
                        (line == format!("SCAN {name}")
                            || line.starts_with(&format!("SCAN {name} ")))
                            && !VIEW_INDEXES
                                .iter()
                                .any(|index| line.ends_with(&format!("INDEX {index}")))
                    }),
                    Backend::Postgres => line.starts_with(&format!("Seq Scan on {table}")),
                })
            })
            .collect()
    }
}

impl Store {
    /// Refreshes the planner's statistics of every table (`ANALYZE`).
    pub async fn analyze(&self) -> StoreResult<()> {
        sqlx::query("ANALYZE").execute(self.pool()).await?;
        Ok(())
    }

    /// Keeps the planner's statistics current, as SQLite advises for a long-lived database:
    /// tables never measured or grown much since are measured again (each reading at most a
    /// bounded sample, so this takes milliseconds even at a million tickets). Without them
    /// SQLite guesses that any indexed condition is selective, and would sort every
    /// unfinished ticket for a view rather than read the view's own index in order. PostgreSQL
    /// keeps its statistics itself (autovacuum).
    pub async fn optimize(&self) -> StoreResult<()> {
        if self.backend() == Backend::Sqlite {
            sqlx::raw_sql("PRAGMA analysis_limit = 1000; PRAGMA optimize = 0x10002;")
                .execute(self.pool())
                .await?;
        }
        Ok(())
    }

    /// The plan of every inbox view and its count for `agent`, and of `query` searched with
    /// and without filters.
    pub async fn query_plans(
        &self,
        agent: &Agent,
        today: &crate::inbox::Today,
        query: &SearchQuery,
    ) -> StoreResult<Vec<Plan>> {
        let teams = self.teams_of(agent).await?;
        let mut built: Vec<(String, Built)> = Vec::new();
        for &view in View::ALL {
            built.push((
                format!("inbox {}", view.as_str()),
                view_sql(agent, &teams, view, today),
            ));
            built.push((
                format!("count {}", view.as_str()),
                count_sql(agent, &teams, view, today),
            ));
        }
        built.push((
            "search".to_owned(),
            search_sql(
                self.backend(),
                agent,
                query,
                &SearchFilter::default(),
                0,
                21,
            ),
        ));
        let filtered = SearchFilter {
            customer_id: Some(1),
            opened_from: Some("2000-01-01T00:00:00.000000Z".to_owned()),
            ..SearchFilter::default()
        };
        built.push((
            "search with filters".to_owned(),
            search_sql(self.backend(), agent, query, &filtered, 0, 21),
        ));
        let mut plans = Vec::with_capacity(built.len());
        for (name, built) in built {
            plans.push(Plan {
                name,
                lines: self.explain(&built).await?,
            });
        }
        Ok(plans)
    }

    async fn explain(&self, built: &Built) -> StoreResult<Vec<String>> {
        let explained = Built {
            sql: match self.backend() {
                Backend::Sqlite => format!("EXPLAIN QUERY PLAN {}", built.sql),
                Backend::Postgres => format!("EXPLAIN {}", built.sql),
            },
            binds: built.binds.clone(),
        };
        let mut tx = self.pool().begin().await?;
        if self.backend() == Backend::Postgres {
            sqlx::query("SET LOCAL enable_seqscan = off")
                .execute(&mut *tx)
                .await?;
        }
        let rows = explained.query().fetch_all(&mut *tx).await?;
        tx.rollback().await?;
        rows.iter()
            .map(|row| {
                let column = match self.backend() {
                    Backend::Sqlite => "detail",
                    Backend::Postgres => "QUERY PLAN",
                };
                Ok(sqlx::Row::try_get::<String, _>(row, column)?)
            })
            .collect()
    }
}

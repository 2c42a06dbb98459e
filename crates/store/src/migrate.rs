//! Embedded migrations, one tree per backend with the same sequence of names. They are applied
//! in order, each in its own transaction, and recorded in `schema_migrations`. Append only:
//! never edit a migration that has shipped; add the next one.

use crate::{Backend, Store, StoreResult, clock};

struct Migration {
    name: &'static str,
    sqlite: &'static str,
    postgres: &'static str,
}

macro_rules! migrations {
    ($($name:literal),+ $(,)?) => {
        &[$(Migration {
            name: $name,
            sqlite: include_str!(concat!("../migrations/sqlite/", $name, ".sql")),
            postgres: include_str!(concat!("../migrations/postgres/", $name, ".sql")),
        }),+]
    };
}

const MIGRATIONS: &[Migration] = migrations![
    "0001_foundation",
    "0002_coach",
    "0003_relationships",
    "0004_email",
    "0005_portal",
    "0006_intake_tokens",
    "0007_two_factor",
    "0008_several_nodes",
    "0009_file_store",
];

pub(crate) async fn run(store: &Store) -> StoreResult<Vec<&'static str>> {
    sqlx::query(
        "CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)",
    )
    .execute(store.pool())
    .await?;

    let mut applied = Vec::new();
    for migration in MIGRATIONS {
        let mut tx = store.begin_write().await?;
        let done: Option<String> =
            sqlx::query_scalar("SELECT name FROM schema_migrations WHERE name = $1")
                .bind(migration.name)
                .fetch_optional(&mut *tx)
                .await?;
        if done.is_some() {
            continue;
        }
        let sql = match store.backend() {
            Backend::Sqlite => migration.sqlite,
            Backend::Postgres => migration.postgres,
        };
        sqlx::raw_sql(sql).execute(&mut *tx).await?;
        sqlx::query("INSERT INTO schema_migrations (name, applied_at) VALUES ($1, $2)")
            .bind(migration.name)
            .bind(clock::now())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        tracing::info!(migration = migration.name, "applied migration");
        applied.push(migration.name);
    }
    Ok(applied)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names_in(dir: &str) -> Vec<String> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("migrations")
            .join(dir);
        let mut names: Vec<String> = std::fs::read_dir(&path)
            .expect("migrations folder")
            .map(|entry| {
                entry
                    .expect("entry")
                    .file_name()
                    .to_string_lossy()
                    .trim_end_matches(".sql")
                    .to_owned()
            })
            .collect();
        names.sort();
        names
    }

    #[test]
    fn both_backends_have_the_same_sequence_and_all_are_embedded() {
        let sqlite = names_in("sqlite");
        assert_eq!(sqlite, names_in("postgres"));
        let embedded: Vec<&str> = MIGRATIONS.iter().map(|m| m.name).collect();
        assert_eq!(
            sqlite, embedded,
            "every migration file must be listed in MIGRATIONS"
        );
    }
}

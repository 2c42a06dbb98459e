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
    "0010_search",
    "0011_team_admin",
    "0012_workspace_calendar",
    "0013_customer_details",
    "0014_notifications",
    "0015_service_levels",
    "0016_escalation_deadlines",
    "0017_complaints",
    "0018_policies",
    "0019_contracts",
    "0020_letter_deadlines",
    "0021_mail_reading",
    "0022_webhooks",
    "0023_imports",
    "0024_inbox_at_scale",
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

    /// A database written before the file store (bytes in `blobs.data`) keeps every file: the
    /// migration sets the bytes aside, and moving them out writes each to the file store.
    #[tokio::test]
    async fn bytes_kept_in_the_database_move_to_the_file_store() {
        let dir = tempfile::tempdir().expect("a directory");
        let store = crate::Store::connect(&crate::sqlite_url(dir.path()), 2)
            .await
            .expect("connect")
            .with_files(crate::files::Files::directory(dir.path().join("files")));
        let before = MIGRATIONS
            .iter()
            .position(|m| m.name == "0009_file_store")
            .expect("the file store's migration");
        for migration in &MIGRATIONS[..before] {
            sqlx::raw_sql(migration.sqlite)
                .execute(store.pool())
                .await
                .expect(migration.name);
        }
        sqlx::raw_sql(
            "CREATE TABLE schema_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)",
        )
        .execute(store.pool())
        .await
        .expect("schema_migrations");
        for migration in &MIGRATIONS[..before] {
            sqlx::query("INSERT INTO schema_migrations (name, applied_at) VALUES ($1, 'then')")
                .bind(migration.name)
                .execute(store.pool())
                .await
                .expect("record");
        }
        let files: Vec<Vec<u8>> = (0..450)
            .map(|n| format!("file {n} ").repeat(n + 1).into_bytes())
            .collect();
        for data in &files {
            sqlx::query(
                "INSERT INTO blobs (sha256, size, data, created_at) VALUES ($1, $2, $3, 'then')",
            )
            .bind(rapport_mail::sha256_hex(data))
            .bind(data.len() as i64)
            .bind(data.clone())
            .execute(store.pool())
            .await
            .expect("a blob with its bytes");
        }

        let applied = store.migrate().await.expect("migrate");
        assert_eq!(
            applied,
            MIGRATIONS[before..]
                .iter()
                .map(|m| m.name)
                .collect::<Vec<_>>(),
            "the file store's migration and those after it"
        );
        // Readable while they wait, then moved in batches.
        let first = rapport_mail::sha256_hex(&files[0]);
        assert_eq!(store.blob(&first).await.expect("waiting"), files[0]);
        let mut steps = 0;
        let moved = store
            .move_blobs_to_files(|_| steps += 1)
            .await
            .expect("move");
        assert_eq!(moved, files.len() as u64);
        assert!(steps > 1, "moved in batches");
        assert_eq!(store.move_blobs_to_files(|_| {}).await.expect("again"), 0);

        let waiting: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM blobs_to_move")
            .fetch_one(store.pool())
            .await
            .expect("count");
        assert_eq!(waiting, 0);
        for data in &files {
            let sha = rapport_mail::sha256_hex(data);
            let path = dir
                .path()
                .join("files")
                .join(&sha[0..2])
                .join(&sha[2..4])
                .join(&sha);
            assert_eq!(&std::fs::read(path).expect("the file"), data);
            let size: i64 = sqlx::query_scalar("SELECT size FROM blobs WHERE sha256 = $1")
                .bind(&sha)
                .fetch_one(store.pool())
                .await
                .expect("the row stays");
            assert_eq!(size, data.len() as i64);
        }
    }
}

//! Stored files as the database knows them: a `blobs` row (digest, size, time) per file, the
//! bytes in the file store ([`crate::files`]). Writing puts the file first and then the row, in
//! the caller's transaction, so a committed row always names a file that is there.
//!
//! Bytes from before the file store wait in `blobs_to_move` (migration 0009) until
//! [`Store::move_blobs_to_files`] has written them out; reads look there too meanwhile.

use crate::files::{FileStream, Files};
use crate::{Store, StoreError, StoreResult, Tx};
use futures_util::StreamExt;

/// How many waiting files one step of [`Store::move_blobs_to_files`] moves (or fewer, once
/// their bytes add up to [`MOVE_BATCH_BYTES`]).
const MOVE_BATCH_FILES: i64 = 200;
const MOVE_BATCH_BYTES: i64 = 32 << 20;

/// Keeps `data` as a file and names it in `blobs` (once per content); returns its digest.
/// The file is written before the row, inside the caller's transaction.
pub(crate) async fn store_blob(
    tx: &mut Tx,
    files: &Files,
    now: &str,
    data: &[u8],
) -> StoreResult<String> {
    let sha = rapport_mail::sha256_hex(data);
    files.put(&sha, data).await?;
    sqlx::query(
        "INSERT INTO blobs (sha256, size, created_at) VALUES ($1, $2, $3) ON CONFLICT (sha256) DO NOTHING",
    )
    .bind(&sha)
    .bind(data.len() as i64)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(sha)
}

/// Deletes the `blobs` row of a file nothing refers to any more; returns whether it did, so the
/// caller removes the file once the transaction has committed.
pub(crate) async fn forget_if_unused(tx: &mut Tx, sha256: &str) -> StoreResult<bool> {
    let deleted = sqlx::query(
        "DELETE FROM blobs WHERE sha256 = $1 \
         AND NOT EXISTS (SELECT 1 FROM attachments WHERE sha256 = $1) \
         AND NOT EXISTS (SELECT 1 FROM inbound_emails WHERE raw_sha256 = $1)",
    )
    .bind(sha256)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    sqlx::query("DELETE FROM blobs_to_move WHERE sha256 = $1 AND NOT EXISTS (SELECT 1 FROM blobs WHERE sha256 = $1)")
        .bind(sha256)
        .execute(&mut **tx)
        .await?;
    Ok(deleted > 0)
}

/// What [`Store::unnamed_files`] found.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct FileCheck {
    /// Files `blobs` names.
    pub named: u64,
    /// `blobs` rows whose file is missing from the file store (and not waiting to move).
    pub missing: Vec<String>,
    /// Files in the file store no row names: harmless leftovers of writes that never committed.
    pub unnamed: Vec<String>,
}

impl Store {
    /// A stored file's bytes, whole. For files small enough to hold (a backup reads them one
    /// at a time); serve files with [`Store::blob_stream`].
    pub async fn blob(&self, sha256: &str) -> StoreResult<Vec<u8>> {
        if let Some(data) = self.files.get(sha256).await? {
            return Ok(data);
        }
        self.waiting_blob(sha256).await
    }

    /// A stored file's bytes as a stream.
    pub async fn blob_stream(&self, sha256: &str) -> StoreResult<FileStream> {
        if let Some(stream) = self.files.stream(sha256).await? {
            return Ok(stream);
        }
        let data = self.waiting_blob(sha256).await?;
        Ok(futures_util::stream::once(async move { Ok(bytes::Bytes::from(data)) }).boxed())
    }

    async fn waiting_blob(&self, sha256: &str) -> StoreResult<Vec<u8>> {
        let waiting: Option<Vec<u8>> =
            sqlx::query_scalar("SELECT data FROM blobs_to_move WHERE sha256 = $1")
                .bind(sha256)
                .fetch_optional(self.pool())
                .await?;
        // A row whose file is gone is damage, not a passing outage.
        waiting.ok_or_else(|| {
            StoreError::Corrupt(format!(
                "the file {sha256} is missing from {}",
                self.files.describe()
            ))
        })
    }

    /// Removes files whose rows a committed change deleted (a customer's erasure). A file
    /// another row came to name meanwhile is kept.
    pub(crate) async fn remove_files(&self, forgotten: &[String]) {
        for sha256 in forgotten {
            let named: StoreResult<Option<String>> =
                sqlx::query_scalar("SELECT sha256 FROM blobs WHERE sha256 = $1")
                    .bind(sha256)
                    .fetch_optional(self.pool())
                    .await
                    .map_err(StoreError::from);
            let removed = match named {
                Ok(None) => self.files.delete(sha256).await,
                Ok(Some(_)) => Ok(()),
                Err(error) => Err(error),
            };
            if let Err(error) = removed {
                tracing::warn!(%error, file = %sha256, "could not remove an erased file; `rapport admin check-files` lists it");
            }
        }
    }

    /// Moves the bytes still kept in the database (from before the file store) into the file
    /// store, a batch at a time: each file is written, then its waiting row deleted. Returns how
    /// many files moved. Safe to interrupt and to run again, on several nodes at once.
    pub async fn move_blobs_to_files(&self, mut progress: impl FnMut(u64)) -> StoreResult<u64> {
        let mut moved = 0;
        loop {
            let batch: Vec<(String, i64)> = sqlx::query_as(
                "SELECT sha256, CAST(LENGTH(data) AS BIGINT) FROM blobs_to_move ORDER BY sha256 LIMIT $1",
            )
            .bind(MOVE_BATCH_FILES)
            .fetch_all(self.pool())
            .await?;
            if batch.is_empty() {
                return Ok(moved);
            }
            let mut bytes = 0;
            let mut done = Vec::new();
            for (sha256, size) in batch {
                if bytes > 0 && bytes + size > MOVE_BATCH_BYTES {
                    break;
                }
                bytes += size;
                let data: Option<Vec<u8>> =
                    sqlx::query_scalar("SELECT data FROM blobs_to_move WHERE sha256 = $1")
                        .bind(&sha256)
                        .fetch_optional(self.pool())
                        .await?;
                if let Some(data) = data {
                    if rapport_mail::sha256_hex(&data) != sha256 {
                        return Err(StoreError::Corrupt(format!(
                            "the stored file {sha256} does not have the digest that names it"
                        )));
                    }
                    self.files.put(&sha256, &data).await?;
                }
                done.push(sha256);
            }
            let mut tx = self.begin_write().await?;
            for sha256 in &done {
                sqlx::query("DELETE FROM blobs_to_move WHERE sha256 = $1")
                    .bind(sha256)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            moved += done.len() as u64;
            progress(moved);
        }
    }

    /// Compares the `blobs` rows with the file store: rows whose file is missing, and files no
    /// row names.
    pub async fn check_files(&self) -> StoreResult<FileCheck> {
        let named: Vec<String> = sqlx::query_scalar("SELECT sha256 FROM blobs")
            .fetch_all(self.pool())
            .await?;
        let waiting: Vec<String> = sqlx::query_scalar("SELECT sha256 FROM blobs_to_move")
            .fetch_all(self.pool())
            .await?;
        let kept: std::collections::HashSet<String> =
            self.files.names().await?.into_iter().collect();
        let named_set: std::collections::HashSet<&String> = named.iter().collect();
        let mut check = FileCheck {
            named: named.len() as u64,
            missing: named
                .iter()
                .filter(|sha| !kept.contains(*sha) && !waiting.contains(sha))
                .cloned()
                .collect(),
            unnamed: kept
                .iter()
                .filter(|sha| !named_set.contains(sha))
                .cloned()
                .collect(),
        };
        check.missing.sort();
        check.unnamed.sort();
        Ok(check)
    }
}

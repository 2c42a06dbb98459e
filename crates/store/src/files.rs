//! The file store: the bytes of attachments and raw mail, outside the database rows, each file
//! named by its SHA-256 ([`rapport_mail::sha256_hex`]). The `blobs` table keeps what is known
//! of each file (digest, size, when); the bytes live here.
//!
//! Two kinds: a directory (the default, `<data dir>/files/ab/cd/<sha256>`) or an S3-compatible
//! object store (the same names as keys, under an optional prefix).
//!
//! The rule that keeps an acknowledged mail or attachment from being lost: a file is written
//! (and on a directory synced) before the transaction that names it in `blobs` commits. A file
//! no row names is harmless garbage (`rapport admin check-files` counts it). Writing the same
//! content twice is a no-op, and a file never appears half-written under its final name: a
//! directory writes a temporary file, syncs it and renames it; an S3 PUT is all or nothing.

use crate::{StoreError, StoreResult};
use bytes::Bytes;
use futures_util::stream::{BoxStream, StreamExt, TryStreamExt};
use object_store::ObjectStore;
use std::collections::{HashMap, VecDeque};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A file's bytes as they are read, piece by piece, so a large file is never whole in memory.
pub type FileStream = BoxStream<'static, std::io::Result<Bytes>>;

/// How to reach an S3-compatible object store.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct S3Settings {
    pub bucket: String,
    /// The service's address (`http://127.0.0.1:9000` for MinIO, moto, ...); `None` for AWS.
    pub endpoint: Option<String>,
    pub region: String,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
    /// Keys start with this (`rapport/`), so one bucket can hold several things.
    pub prefix: Option<String>,
}

/// Where files are kept; cheap to clone.
#[derive(Clone)]
pub struct Files {
    kind: Kind,
    /// Files this process wrote or found lately, so writing one again (a mail's files written
    /// before its transaction, then named inside it) asks the store nothing.
    recent: Arc<Mutex<Recent>>,
}

/// A bounded set of names written lately, each remembered for [`RECENT_FOR`] at most: long
/// enough to cover a mail's transaction, short enough that a file another node deleted since
/// (an erasure) is soon written again rather than assumed.
#[derive(Default)]
struct Recent {
    names: HashMap<String, Instant>,
    order: VecDeque<String>,
}

const RECENT_NAMES: usize = 4096;
const RECENT_FOR: Duration = Duration::from_secs(30);

impl Recent {
    fn contains(&self, name: &str) -> bool {
        self.names
            .get(name)
            .is_some_and(|at| at.elapsed() < RECENT_FOR)
    }

    fn add(&mut self, name: &str) {
        if self.names.insert(name.to_owned(), Instant::now()).is_none() {
            self.order.push_back(name.to_owned());
            if self.order.len() > RECENT_NAMES
                && let Some(oldest) = self.order.pop_front()
            {
                self.names.remove(&oldest);
            }
        }
    }

    fn remove(&mut self, name: &str) {
        if self.names.remove(name).is_some() {
            self.order.retain(|kept| kept != name);
        }
    }
}

#[derive(Clone)]
enum Kind {
    Directory(PathBuf),
    S3 {
        store: Arc<dyn ObjectStore>,
        prefix: String,
        bucket: String,
    },
}

impl std::fmt::Debug for Files {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

/// Temporary files of one process get distinct names.
static TEMPORARY: AtomicU64 = AtomicU64::new(0);

fn is_name(sha256: &str) -> bool {
    sha256.len() == 64 && sha256.bytes().all(|b| b.is_ascii_hexdigit())
}

fn checked(sha256: &str) -> StoreResult<()> {
    if is_name(sha256) {
        Ok(())
    } else {
        Err(StoreError::Corrupt(format!(
            "`{sha256}` is not the name of a stored file (64 hex digits)"
        )))
    }
}

fn failed(what: &str, sha256: &str, err: impl std::fmt::Display) -> StoreError {
    StoreError::Files(format!("could not {what} the file {sha256}: {err}"))
}

impl Files {
    /// Files in `root` (created when the first file is written).
    pub fn directory(root: impl Into<PathBuf>) -> Files {
        Files {
            kind: Kind::Directory(root.into()),
            recent: Arc::default(),
        }
    }

    /// Files in an S3-compatible bucket. Nothing is sent until the first file is read or written.
    pub fn s3(settings: &S3Settings) -> StoreResult<Files> {
        let mut builder = object_store::aws::AmazonS3Builder::new()
            .with_bucket_name(&settings.bucket)
            .with_region(&settings.region);
        if let Some(endpoint) = &settings.endpoint {
            builder = builder
                .with_endpoint(endpoint)
                .with_allow_http(endpoint.starts_with("http://"));
        }
        if let Some(key) = &settings.access_key_id {
            builder = builder.with_access_key_id(key);
        }
        if let Some(secret) = &settings.secret_access_key {
            builder = builder.with_secret_access_key(secret);
        }
        let store = builder.build().map_err(|err| {
            StoreError::Config(format!("the S3 settings for files are not usable: {err}"))
        })?;
        let prefix = settings
            .prefix
            .as_deref()
            .map(|p| p.trim_matches('/'))
            .filter(|p| !p.is_empty())
            .map(|p| format!("{p}/"))
            .unwrap_or_default();
        Ok(Files {
            kind: Kind::S3 {
                store: Arc::new(store),
                prefix,
                bucket: settings.bucket.clone(),
            },
            recent: Arc::default(),
        })
    }

    /// Where the files are, for messages to operators.
    pub fn describe(&self) -> String {
        match &self.kind {
            Kind::Directory(root) => format!("the directory {}", root.display()),
            Kind::S3 { bucket, prefix, .. } => format!("the S3 bucket {bucket}/{prefix}"),
        }
    }

    fn path(root: &Path, sha256: &str) -> PathBuf {
        root.join(&sha256[0..2]).join(&sha256[2..4]).join(sha256)
    }

    fn key(prefix: &str, sha256: &str) -> object_store::path::Path {
        object_store::path::Path::from(format!(
            "{prefix}{}/{}/{sha256}",
            &sha256[0..2],
            &sha256[2..4]
        ))
    }

    /// Keeps `data` under its digest `sha256`, durably, before returning. A file already
    /// kept under that name is left as it is.
    pub async fn put(&self, sha256: &str, data: &[u8]) -> StoreResult<()> {
        checked(sha256)?;
        if self.is_recent(sha256) {
            return Ok(());
        }
        self.write(sha256, data).await?;
        self.with_recent(|recent| recent.add(sha256));
        Ok(())
    }

    fn is_recent(&self, sha256: &str) -> bool {
        self.recent
            .lock()
            .map(|recent| recent.contains(sha256))
            .unwrap_or(false)
    }

    fn with_recent(&self, change: impl FnOnce(&mut Recent)) {
        if let Ok(mut recent) = self.recent.lock() {
            change(&mut recent);
        }
    }

    async fn write(&self, sha256: &str, data: &[u8]) -> StoreResult<()> {
        match &self.kind {
            Kind::Directory(root) => {
                let path = Files::path(root, sha256);
                let data = data.to_vec();
                let name = sha256.to_owned();
                tokio::task::spawn_blocking(move || write_durably(&path, &data))
                    .await
                    .map_err(|err| failed("write", &name, err))?
                    .map_err(|err| failed("write", &name, err))
            }
            Kind::S3 { store, prefix, .. } => {
                let key = Files::key(prefix, sha256);
                match store.head(&key).await {
                    Ok(_) => return Ok(()),
                    Err(object_store::Error::NotFound { .. }) => {}
                    Err(err) => return Err(failed("look for", sha256, err)),
                }
                store
                    .put(&key, Bytes::copy_from_slice(data).into())
                    .await
                    .map_err(|err| failed("write", sha256, err))?;
                Ok(())
            }
        }
    }

    /// A file's bytes, whole; `None` when no file has that name.
    pub async fn get(&self, sha256: &str) -> StoreResult<Option<Vec<u8>>> {
        let Some(stream) = self.stream(sha256).await? else {
            return Ok(None);
        };
        let chunks: Vec<Bytes> = stream
            .try_collect()
            .await
            .map_err(|err| failed("read", sha256, err))?;
        Ok(Some(chunks.concat()))
    }

    /// A file's bytes as a stream; `None` when no file has that name.
    pub async fn stream(&self, sha256: &str) -> StoreResult<Option<FileStream>> {
        checked(sha256)?;
        match &self.kind {
            Kind::Directory(root) => {
                let path = Files::path(root, sha256);
                let file = match tokio::fs::File::open(&path).await {
                    Ok(file) => file,
                    Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
                    Err(err) => return Err(failed("read", sha256, err)),
                };
                Ok(Some(read_in_pieces(file)))
            }
            Kind::S3 { store, prefix, .. } => match store.get(&Files::key(prefix, sha256)).await {
                Ok(found) => Ok(Some(
                    found
                        .into_stream()
                        .map_err(|err| std::io::Error::other(err.to_string()))
                        .boxed(),
                )),
                Err(object_store::Error::NotFound { .. }) => Ok(None),
                Err(err) => Err(failed("read", sha256, err)),
            },
        }
    }

    /// Removes a file; one that is not there is already removed.
    pub async fn delete(&self, sha256: &str) -> StoreResult<()> {
        checked(sha256)?;
        self.with_recent(|recent| recent.remove(sha256));
        match &self.kind {
            Kind::Directory(root) => {
                match tokio::fs::remove_file(Files::path(root, sha256)).await {
                    Ok(()) => Ok(()),
                    Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(()),
                    Err(err) => Err(failed("delete", sha256, err)),
                }
            }
            Kind::S3 { store, prefix, .. } => {
                match store.delete(&Files::key(prefix, sha256)).await {
                    Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
                    Err(err) => Err(failed("delete", sha256, err)),
                }
            }
        }
    }

    /// The names of every file kept, in no particular order (for finding files no row names).
    pub async fn names(&self) -> StoreResult<Vec<String>> {
        match &self.kind {
            Kind::Directory(root) => {
                let root = root.clone();
                tokio::task::spawn_blocking(move || names_in(&root))
                    .await
                    .map_err(|err| StoreError::Files(err.to_string()))?
                    .map_err(|err| StoreError::Files(format!("could not list the files: {err}")))
            }
            Kind::S3 { store, prefix, .. } => {
                let under = object_store::path::Path::from(prefix.trim_end_matches('/'));
                let under = (!prefix.is_empty()).then_some(&under);
                let listed: Vec<object_store::ObjectMeta> =
                    store.list(under).try_collect().await.map_err(|err| {
                        StoreError::Files(format!("could not list the files: {err}"))
                    })?;
                Ok(listed
                    .into_iter()
                    .filter_map(|meta| meta.location.filename().map(str::to_owned))
                    .filter(|name| is_name(name))
                    .collect())
            }
        }
    }
}

/// Writes `data` to `path` so that it is there whole or not at all, and survives a crash once
/// this returns: a temporary file beside it, synced, renamed, and the directory synced.
fn write_durably(path: &Path, data: &[u8]) -> std::io::Result<()> {
    if path.is_file() {
        return Ok(());
    }
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let temporary = dir.join(format!(
        ".{name}.{}.{}.tmp",
        std::process::id(),
        TEMPORARY.fetch_add(1, Ordering::Relaxed)
    ));
    let written = (|| {
        let mut file = std::fs::File::create(&temporary)?;
        file.write_all(data)?;
        file.sync_all()?;
        std::fs::rename(&temporary, path)?;
        // The rename itself is durable only once the directory is.
        std::fs::File::open(dir)?.sync_all()
    })();
    if written.is_err() {
        std::fs::remove_file(&temporary).ok();
    }
    written
}

fn names_in(root: &Path) -> std::io::Result<Vec<String>> {
    let mut names = Vec::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => continue,
            Err(err) => return Err(err),
        };
        for entry in entries {
            let entry = entry?;
            if entry.file_type()?.is_dir() {
                dirs.push(entry.path());
            } else if let Some(name) = entry.file_name().to_str()
                && is_name(name)
            {
                names.push(name.to_owned());
            }
        }
    }
    Ok(names)
}

/// How much of a file is read at a time when it is streamed.
const PIECE_BYTES: usize = 64 * 1024;

fn read_in_pieces(file: tokio::fs::File) -> FileStream {
    futures_util::stream::try_unfold(file, |mut file| async move {
        use tokio::io::AsyncReadExt;
        let mut piece = vec![0u8; PIECE_BYTES];
        let read = file.read(&mut piece).await?;
        if read == 0 {
            return Ok(None);
        }
        piece.truncate(read);
        Ok(Some((Bytes::from(piece), file)))
    })
    .boxed()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_directory_keeps_a_file_under_its_digest_once() {
        let dir = tempfile::tempdir().expect("a directory");
        let files = Files::directory(dir.path().join("files"));
        let data = b"an attachment".repeat(10_000);
        let sha = rapport_mail::sha256_hex(&data);

        assert!(files.get(&sha).await.expect("read").is_none());
        files.put(&sha, &data).await.expect("write");
        files.put(&sha, &data).await.expect("the same again");

        let path = dir
            .path()
            .join("files")
            .join(&sha[0..2])
            .join(&sha[2..4])
            .join(&sha);
        assert_eq!(std::fs::read(&path).expect("the file"), data);
        assert_eq!(files.get(&sha).await.expect("read"), Some(data.clone()));
        let pieces: Vec<Bytes> = files
            .stream(&sha)
            .await
            .expect("stream")
            .expect("found")
            .try_collect()
            .await
            .expect("pieces");
        assert!(pieces.len() > 1, "a large file is read in pieces");
        assert_eq!(pieces.concat(), data);
        assert_eq!(files.names().await.expect("names"), vec![sha.clone()]);
        // Nothing but the file itself is left behind: no temporary file.
        let left: Vec<_> = std::fs::read_dir(path.parent().expect("dir"))
            .expect("list")
            .collect();
        assert_eq!(left.len(), 1);

        files.delete(&sha).await.expect("delete");
        files.delete(&sha).await.expect("delete again");
        assert!(files.get(&sha).await.expect("read").is_none());
    }

    #[tokio::test]
    async fn a_file_deleted_is_written_again_though_it_was_written_lately() {
        let dir = tempfile::tempdir().expect("a directory");
        let files = Files::directory(dir.path());
        let sha = rapport_mail::sha256_hex(b"again");
        files.put(&sha, b"again").await.expect("write");
        files.delete(&sha).await.expect("delete");
        files.put(&sha, b"again").await.expect("write again");
        assert_eq!(
            files.get(&sha).await.expect("read"),
            Some(b"again".to_vec())
        );
    }

    #[test]
    fn the_recent_names_are_bounded() {
        let mut recent = Recent::default();
        for n in 0..RECENT_NAMES + 10 {
            recent.add(&n.to_string());
        }
        assert_eq!(recent.names.len(), RECENT_NAMES);
        assert!(!recent.contains("0") && recent.contains("10"));
    }

    #[tokio::test]
    async fn a_name_that_is_not_a_digest_is_refused() {
        let dir = tempfile::tempdir().expect("a directory");
        let files = Files::directory(dir.path());
        assert!(files.put("../../etc/passwd", b"x").await.is_err());
        assert!(files.get("ab").await.is_err());
    }
}

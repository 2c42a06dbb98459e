//! Keeping data safe: `rapport admin backup | restore | verify | export | import`.
//!
//! A backup is one file taken while the server runs: the portable export (see [`format`] and
//! docs/export-format.md) read in one snapshot (a read transaction in WAL mode on SQLite,
//! `REPEATABLE READ` on PostgreSQL), with every file of the file store, packed in a tar file.
//! (Backups made before the file store, SQLite files written by `VACUUM INTO`, still restore.)
//!
//! Every copy (a database, a backup file, an export directory) can be summarized the same way:
//! rows per table and a checksum over their canonical text in primary-key order, and the
//! blobs' bytes; `verify` compares two summaries.

mod export;
pub mod format;
mod import;

use anyhow::{Context, bail};
use format::Summary;
use rapport_store::Store;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The top folder inside a PostgreSQL backup's tar file.
const TAR_ROOT: &str = "rapport-export";
const SQLITE_HEADER: &[u8] = b"SQLite format 3\0";

/// Counter lines on standard error, one per table.
pub struct Progress {
    shown: bool,
    live: bool,
}

pub struct TableProgress<'a> {
    progress: &'a Progress,
    name: &'static str,
}

impl Progress {
    pub fn on_stderr() -> Progress {
        Progress {
            shown: true,
            live: std::io::stderr().is_terminal(),
        }
    }

    pub fn quiet() -> Progress {
        Progress {
            shown: false,
            live: false,
        }
    }

    pub fn table(&self, name: &'static str) -> TableProgress<'_> {
        TableProgress {
            progress: self,
            name,
        }
    }
}

impl TableProgress<'_> {
    pub fn tick(&self, rows: u64) {
        if self.progress.live && rows.is_multiple_of(5_000) {
            eprint!("\r  {:<22} {:>10} rows", self.name, rows);
        }
    }

    pub fn done(&self, rows: u64) {
        if self.progress.shown {
            if self.progress.live {
                eprint!("\r");
            }
            eprintln!("  {:<22} {:>10} rows", self.name, rows);
        }
    }
}

/// The first way two summaries differ, as a phrase, or `None` when they are the same.
pub fn first_difference(a: &Summary, b: &Summary) -> Option<String> {
    differences(a, b).into_iter().next()
}

fn differences(a: &Summary, b: &Summary) -> Vec<String> {
    let mut found = Vec::new();
    if a.schema != b.schema {
        found.push("the database schemas differ".to_owned());
    }
    let names = |s: &Summary| s.tables.iter().map(|t| t.name.clone()).collect::<Vec<_>>();
    if names(a) != names(b) {
        found.push("the lists of tables differ".to_owned());
    }
    for table in &a.tables {
        match b.tables.iter().find(|other| other.name == table.name) {
            Some(other) if other.rows != table.rows => found.push(format!(
                "{} has {} rows against {}",
                table.name, table.rows, other.rows
            )),
            Some(other) if other.sha256 != table.sha256 => found.push(format!(
                "{} has the same {} rows but different contents",
                table.name, table.rows
            )),
            _ => {}
        }
    }
    if a.blobs != b.blobs {
        found.push(format!(
            "the files differ ({} of {} bytes against {} of {} bytes)",
            a.blobs.count, a.blobs.bytes, b.blobs.count, b.blobs.bytes
        ));
    }
    found
}

/// Something that holds a whole workspace.
enum Source {
    Database(Store),
    Directory(PathBuf),
}

/// A file or folder opened as a copy; temporary files live as long as this.
struct Opened {
    source: Source,
    _scratch: Option<tempfile::TempDir>,
}

impl Opened {
    async fn summary(&self) -> anyhow::Result<Summary> {
        match &self.source {
            Source::Database(store) => Ok(export::read_database(store, None, &Progress::quiet())
                .await?
                .summary()),
            Source::Directory(dir) => {
                let dir = dir.clone();
                let (manifest, found) =
                    tokio::task::spawn_blocking(move || import::check_directory(&dir))
                        .await
                        .context("checking the export stopped")??;
                if let Some(difference) = first_difference(&manifest.summary(), &found) {
                    bail!(
                        "the export does not match its own manifest ({difference}); it is damaged or was changed"
                    );
                }
                Ok(found)
            }
        }
    }
}

/// What kind of copy `path` is: an export directory, a SQLite backup or a tar backup.
fn kind_of(path: &Path) -> anyhow::Result<Kind> {
    if path.is_dir() {
        return Ok(Kind::Directory);
    }
    let mut head = [0u8; 512];
    let read = {
        use std::io::Read;
        let mut file = std::fs::File::open(path)
            .with_context(|| format!("could not open {}", path.display()))?;
        let mut read = 0;
        while read < head.len() {
            match file.read(&mut head[read..]) {
                Ok(0) => break,
                Ok(n) => read += n,
                Err(err) => return Err(err).context(format!("could not read {}", path.display())),
            }
        }
        read
    };
    if read >= SQLITE_HEADER.len() && head.starts_with(SQLITE_HEADER) {
        Ok(Kind::Sqlite)
    } else if read == 512 && &head[257..262] == b"ustar" {
        Ok(Kind::Tar)
    } else {
        bail!(
            "{} is not a Rapport backup (a SQLite database or a tar file) nor an export directory",
            path.display()
        )
    }
}

enum Kind {
    Directory,
    Sqlite,
    Tar,
}

/// Opens a copy to read it as it is.
async fn open(path: &Path) -> anyhow::Result<Opened> {
    match kind_of(path)? {
        Kind::Directory => Ok(Opened {
            source: Source::Directory(path.to_path_buf()),
            _scratch: None,
        }),
        Kind::Sqlite => Ok(Opened {
            source: Source::Database(Store::open_sqlite_file(path).await?),
            _scratch: None,
        }),
        Kind::Tar => {
            let scratch = scratch_dir(path)?;
            let dir = untar(path, scratch.path()).await?;
            Ok(Opened {
                source: Source::Directory(dir),
                _scratch: Some(scratch),
            })
        }
    }
}

/// A temporary directory beside `path` (on the disk that holds the backups), or else in the
/// system's temporary directory.
fn scratch_dir(path: &Path) -> anyhow::Result<tempfile::TempDir> {
    let parent = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    tempfile::Builder::new()
        .prefix(".rapport-")
        .tempdir_in(&parent)
        .or_else(|_| tempfile::tempdir())
        .context("could not create a temporary directory")
}

async fn untar(path: &Path, into: &Path) -> anyhow::Result<PathBuf> {
    let (path, into) = (path.to_path_buf(), into.to_path_buf());
    tokio::task::spawn_blocking(move || {
        let file = std::fs::File::open(&path)
            .with_context(|| format!("could not open {}", path.display()))?;
        tar::Archive::new(std::io::BufReader::new(file))
            .unpack(&into)
            .with_context(|| format!("could not unpack {}", path.display()))?;
        let dir = into.join(TAR_ROOT);
        if !dir.join(format::MANIFEST).is_file() {
            bail!(
                "{} is a tar file but not a Rapport backup: it has no {TAR_ROOT}/{}",
                path.display(),
                format::MANIFEST
            );
        }
        Ok(dir)
    })
    .await
    .context("unpacking stopped")?
}

fn human(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 30 => format!("{:.1} GB", b as f64 / (1u64 << 30) as f64),
        b if b >= 1 << 20 => format!("{:.1} MB", b as f64 / (1u64 << 20) as f64),
        b if b >= 1 << 10 => format!("{:.1} KB", b as f64 / (1u64 << 10) as f64),
        b => format!("{b} bytes"),
    }
}

fn refuse_existing(path: &Path, what: &str) -> anyhow::Result<()> {
    if path.exists() {
        bail!(
            "{} already exists; choose a new name for the {what} (Rapport never writes over one)",
            path.display()
        );
    }
    Ok(())
}

fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(suffix);
    path.with_file_name(name)
}

/// `rapport admin backup --to FILE`.
pub async fn backup(store: &Store, to: &Path) -> anyhow::Result<()> {
    refuse_existing(to, "backup")?;
    let started = Instant::now();
    let partial = sibling(to, ".partial");
    if partial.exists() {
        std::fs::remove_file(&partial)
            .with_context(|| format!("could not remove {}", partial.display()))?;
    }
    eprintln!("Reading the database in one snapshot, with its files...");
    let scratch = scratch_dir(to)?;
    let dir = scratch.path().join(TAR_ROOT);
    export::read_database(store, Some(&dir), &Progress::on_stderr()).await?;
    let writing = partial.clone();
    tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
        let partial = writing;
        let file = std::fs::File::create(&partial)
            .with_context(|| format!("could not create {}", partial.display()))?;
        let mut tar = tar::Builder::new(std::io::BufWriter::new(file));
        tar.append_dir_all(TAR_ROOT, &dir)
            .and_then(|()| tar.into_inner())
            .and_then(|writer| writer.into_inner().map_err(|err| err.into_error()))
            .and_then(|file| file.sync_all())
            .with_context(|| format!("could not write {}", partial.display()))
    })
    .await
    .context("writing the backup stopped")??;
    std::fs::rename(&partial, to)
        .with_context(|| format!("could not rename the backup to {}", to.display()))?;
    let size = std::fs::metadata(to).map(|m| m.len()).unwrap_or(0);
    eprintln!(
        "Backed up to {} ({}) in {:.1} s. Restore it with `rapport admin restore --from {}`.",
        to.display(),
        human(size),
        started.elapsed().as_secs_f64(),
        to.display()
    );
    Ok(())
}

/// `rapport admin restore --from FILE`: a backup (or an export directory) into this database.
pub async fn restore(store: &Store, from: &Path, force: bool) -> anyhow::Result<()> {
    let started = Instant::now();
    let scratch = scratch_dir(from)?;
    let dir = match kind_of(from)? {
        Kind::Directory => from.to_path_buf(),
        Kind::Tar => untar(from, scratch.path()).await?,
        Kind::Sqlite => {
            // A copy of the backup, brought up to this version's schema, read like any database.
            let copy = scratch.path().join("database");
            std::fs::create_dir_all(&copy)?;
            std::fs::copy(from, copy.join("rapport.db"))
                .with_context(|| format!("could not copy {}", from.display()))?;
            // Two connections: the snapshot holds one while files still kept in the copy's
            // rows are read with the other.
            let source = Store::connect(&rapport_store::sqlite_url(&copy), 2).await?;
            source.migrate().await?;
            let dir = scratch.path().join(TAR_ROOT);
            eprintln!("Reading the backup...");
            export::read_database(&source, Some(&dir), &Progress::quiet()).await?;
            source.close().await;
            dir
        }
    };
    eprintln!("Restoring into the database...");
    let summary = import::import(store, &dir, force, &Progress::on_stderr()).await?;
    eprintln!(
        "Restored {} rows in {} tables and {} files ({}) from {} in {:.1} s, and checked them against the backup.",
        summary.rows(),
        summary.tables.len(),
        summary.blobs.count,
        human(summary.blobs.bytes),
        from.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// `rapport admin export --to DIR`.
pub async fn export(store: &Store, to: &Path) -> anyhow::Result<()> {
    if to.exists()
        && std::fs::read_dir(to)
            .map(|mut entries| entries.next().is_some())
            .unwrap_or(true)
    {
        bail!(
            "{} already exists and is not an empty directory; export into a new one",
            to.display()
        );
    }
    let started = Instant::now();
    eprintln!("Exporting (one snapshot of the whole database)...");
    let manifest = export::read_database(store, Some(to), &Progress::on_stderr()).await?;
    let summary = manifest.summary();
    eprintln!(
        "Exported {} rows in {} tables and {} files ({}) to {} in {:.1} s.",
        summary.rows(),
        summary.tables.len(),
        summary.blobs.count,
        human(summary.blobs.bytes),
        to.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// `rapport admin import --from DIR`.
pub async fn import(store: &Store, from: &Path, force: bool) -> anyhow::Result<()> {
    if !from.is_dir() {
        bail!(
            "{} is not an export directory; to restore a backup file use `rapport admin restore --from FILE`",
            from.display()
        );
    }
    let started = Instant::now();
    eprintln!("Importing {}...", from.display());
    let summary = import::import(store, from, force, &Progress::on_stderr()).await?;
    eprintln!(
        "Imported {} rows in {} tables and {} files ({}) in {:.1} s, and checked them against the export.",
        summary.rows(),
        summary.tables.len(),
        summary.blobs.count,
        human(summary.blobs.bytes),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// `rapport admin verify --against FILE`: this database against a copy.
pub async fn verify_database(store: &Store, against: &Path) -> anyhow::Result<()> {
    let ours = export::read_database(store, None, &Progress::quiet())
        .await?
        .summary();
    let theirs = open(against).await?;
    let theirs_summary = theirs.summary().await?;
    compare(
        "this database",
        &ours,
        &against.display().to_string(),
        &theirs_summary,
    )
}

/// `rapport admin verify A B`: two copies.
pub async fn verify_copies(a: &Path, b: &Path) -> anyhow::Result<()> {
    let (first, second) = (open(a).await?, open(b).await?);
    let (first_summary, second_summary) = (first.summary().await?, second.summary().await?);
    compare(
        &a.display().to_string(),
        &first_summary,
        &b.display().to_string(),
        &second_summary,
    )
}

fn compare(a_name: &str, a: &Summary, b_name: &str, b: &Summary) -> anyhow::Result<()> {
    println!("A: {a_name}\nB: {b_name}\n");
    println!(
        "{:<22} {:>10} {:>10}  {:<16} {:<16}",
        "table", "rows A", "rows B", "checksum A", "checksum B"
    );
    let short = |hash: &str| hash.chars().take(16).collect::<String>();
    for table in &a.tables {
        let other = b.tables.iter().find(|t| t.name == table.name);
        let (rows, sum) = other.map_or(("-".to_owned(), "-".to_owned()), |t| {
            (t.rows.to_string(), short(&t.sha256))
        });
        let mark = if other == Some(table) {
            ""
        } else {
            "  DIFFERS"
        };
        println!(
            "{:<22} {:>10} {:>10}  {:<16} {:<16}{mark}",
            table.name,
            table.rows,
            rows,
            short(&table.sha256),
            sum
        );
    }
    let blob_mark = if a.blobs == b.blobs { "" } else { "  DIFFERS" };
    println!(
        "{:<22} {:>10} {:>10}  {:<16} {:<16}{blob_mark}",
        "files (bytes)",
        a.blobs.count,
        b.blobs.count,
        short(&a.blobs.sha256),
        short(&b.blobs.sha256)
    );
    println!(
        "{:<22} {:>10} {:>10}",
        "",
        human(a.blobs.bytes),
        human(b.blobs.bytes)
    );
    let found = differences(a, b);
    if found.is_empty() {
        println!(
            "\nThe two copies hold the same data: {} tables, {} rows, {} files ({}), schema {}.",
            a.tables.len(),
            a.rows(),
            a.blobs.count,
            human(a.blobs.bytes),
            a.schema.last().map_or("none", String::as_str)
        );
        Ok(())
    } else {
        bail!("the two copies differ: {}", found.join("; "))
    }
}

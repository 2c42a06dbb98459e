//! Reading an export directory: checking it against its manifest, and importing it into an
//! empty database.

use super::Progress;
use super::format::{
    self, BLOBS_DIR, BlobDigest, MANIFEST, Manifest, Summary, TableDigest, TableEntry,
};
use anyhow::{Context, bail};
use rapport_store::Store;
use rapport_store::dump::{Cell, Column, FILES_TABLE, Kind, TABLES, WRITTEN_AT_START};
use serde_json::{Map, Value};
use std::io::BufRead;
use std::path::Path;

/// An import writes this many rows (or bytes of files) per transaction.
const BATCH_ROWS: usize = 1_000;
const BATCH_BYTES: usize = 16 << 20;

pub fn read_manifest(dir: &Path) -> anyhow::Result<Manifest> {
    let path = dir.join(MANIFEST);
    let text = std::fs::read_to_string(&path).with_context(|| {
        format!(
            "{} is not a Rapport export: it has no readable {MANIFEST}",
            dir.display()
        )
    })?;
    let manifest: Manifest = serde_json::from_str(&text)
        .with_context(|| format!("{} is not a Rapport export manifest", path.display()))?;
    if manifest.format != format::FORMAT || manifest.version != format::VERSION {
        bail!(
            "{} is a {} export of version {}; this Rapport reads {} version {}",
            path.display(),
            manifest.format,
            manifest.version,
            format::FORMAT,
            format::VERSION
        );
    }
    Ok(manifest)
}

/// The rows of a table's file, in file order, each checked to have exactly the manifest's
/// columns.
fn rows_of<'a>(
    dir: &Path,
    entry: &'a TableEntry,
) -> anyhow::Result<impl Iterator<Item = anyhow::Result<Map<String, Value>>> + 'a> {
    if entry.file.contains("..") || Path::new(&entry.file).is_absolute() {
        bail!(
            "the manifest names {} as the file of {}; it must lie inside the export",
            entry.file,
            entry.name
        );
    }
    let path = dir.join(&entry.file);
    let file =
        std::fs::File::open(&path).with_context(|| format!("could not open {}", path.display()))?;
    let lines = std::io::BufReader::with_capacity(1 << 20, file).lines();
    Ok(lines.enumerate().map(move |(number, line)| {
        let line = line.with_context(|| format!("could not read {}", path.display()))?;
        let row: Map<String, Value> = serde_json::from_str(&line).with_context(|| {
            format!("{} line {}: not a JSON object", path.display(), number + 1)
        })?;
        if row.len() != entry.columns.len()
            || entry.columns.iter().any(|c| !row.contains_key(&c.name))
        {
            bail!(
                "{} line {}: the row does not have the manifest's columns ({})",
                path.display(),
                number + 1,
                entry
                    .columns
                    .iter()
                    .map(|c| c.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        Ok(row)
    }))
}

/// Recomputes an export's checksums from its files (every blob's bytes included) and returns
/// them with its manifest; what the manifest says is not trusted here.
pub fn check_directory(dir: &Path) -> anyhow::Result<(Manifest, Summary)> {
    let manifest = read_manifest(dir)?;
    let mut blobs = BlobDigest::default();
    let mut tables = Vec::new();
    for entry in &manifest.tables {
        let columns = format::columns_of(entry)?;
        let mut digest = TableDigest::default();
        let names_files = names_files(entry, &columns);
        for row in rows_of(dir, entry)? {
            let row = row?;
            if names_files
                && let Some(hash) = row.get("sha256").and_then(Value::as_str)
                && !blobs.contains(hash)
            {
                let bytes = read_blob(dir, hash)?;
                blobs.add(hash.to_owned(), bytes.len() as u64);
            }
            for column in columns.iter().filter(|c| c.kind == Kind::Bytes) {
                if let Some(hash) = row[&column.name].as_str()
                    && !blobs.contains(hash)
                {
                    let bytes = read_blob(dir, hash)?;
                    blobs.add(hash.to_owned(), bytes.len() as u64);
                }
            }
            digest.add(&format::canonical_line(
                row.iter().map(|(name, value)| (name.as_str(), value)),
            ));
        }
        tables.push(digest.finish(&entry.name));
    }
    let summary = Summary {
        schema: manifest.schema.clone(),
        tables,
        blobs: blobs.finish(),
    };
    Ok((manifest, summary))
}

/// Whether the rows of `entry` name files of the file store (the `blobs` table, once its bytes
/// moved out of the rows).
fn names_files(entry: &TableEntry, columns: &[Column]) -> bool {
    entry.name == FILES_TABLE && !columns.iter().any(|column| column.kind == Kind::Bytes)
}

/// A blob's bytes, checked against the hash that names it.
fn read_blob(dir: &Path, hash: &str) -> anyhow::Result<Vec<u8>> {
    if !format::is_blob_name(hash) {
        bail!("`{hash}` is not the name of a blob (64 hex digits)");
    }
    let path = dir.join(BLOBS_DIR).join(hash);
    let bytes = std::fs::read(&path).with_context(|| {
        format!(
            "the blob {hash} is missing from the export ({} cannot be read)",
            path.display()
        )
    })?;
    if format::sha256_hex(&bytes) != hash {
        bail!(
            "the blob {} is damaged: its bytes do not have the hash that names it",
            path.display()
        );
    }
    Ok(bytes)
}

/// A row of the file as cells in the order of the database's columns.
fn cells(
    dir: &Path,
    table: &str,
    columns: &[Column],
    mut row: Map<String, Value>,
) -> anyhow::Result<(Vec<Cell>, usize)> {
    let mut bytes = 0;
    let mut cells = Vec::with_capacity(columns.len());
    for column in columns {
        let value = row.remove(&column.name).unwrap_or(Value::Null);
        let wrong = || {
            anyhow::anyhow!(
                "{table}.{}: {value} is not {}",
                column.name,
                match column.kind {
                    Kind::Integer => "an integer",
                    Kind::Text => "text",
                    Kind::Bytes => "the hash of a blob",
                }
            )
        };
        let cell = match (&value, column.kind) {
            (Value::Null, _) => Cell::Null,
            (Value::Number(number), Kind::Integer) => {
                Cell::Integer(number.as_i64().ok_or_else(wrong)?)
            }
            (Value::String(text), Kind::Text) => Cell::Text(text.clone()),
            (Value::String(hash), Kind::Bytes) => {
                let data = read_blob(dir, hash)?;
                bytes += data.len();
                Cell::Bytes(data)
            }
            _ => return Err(wrong()),
        };
        cells.push(cell);
    }
    Ok((cells, bytes))
}

/// Imports the export in `dir` into `store`, which must be empty (or is emptied first with
/// `force`), then reads the database back and checks it against the export.
pub async fn import(
    store: &Store,
    dir: &Path,
    force: bool,
    progress: &Progress,
) -> anyhow::Result<Summary> {
    let (manifest, found) = check_directory(dir)?;
    let promised = manifest.summary();
    if let Some(difference) = super::first_difference(&promised, &found) {
        bail!(
            "the export in {} is damaged or was changed after it was written ({difference}); nothing was imported",
            dir.display()
        );
    }
    let schema = store.schema().await?;
    if schema != manifest.schema {
        bail!(
            "the export was made by a Rapport whose database schema ends with {}, and this one's ends with {}; \
             import it with the same version of Rapport",
            manifest.schema.last().map_or("nothing", String::as_str),
            schema.last().map_or("nothing", String::as_str)
        );
    }
    let mut exported: Vec<&str> = manifest.tables.iter().map(|t| t.name.as_str()).collect();
    let mut expected: Vec<&str> = TABLES.iter().map(|t| t.name).collect();
    exported.sort_unstable();
    expected.sort_unstable();
    if exported != expected {
        bail!(
            "the export has the tables {}, and this Rapport has {}; import it with the same version of Rapport",
            exported.join(", "),
            expected.join(", ")
        );
    }
    if let Some((table, rows)) = store.first_table_with_rows().await? {
        if !force {
            bail!(
                "the database is not empty (it has {rows} rows in {table}), so nothing was imported; \
                 import into a new database, or add --force to delete everything in this one first"
            );
        }
        store.delete_everything().await?;
    }
    for table in TABLES {
        let entry = manifest
            .tables
            .iter()
            .find(|entry| entry.name == table.name)
            .context("every table is in the manifest")?;
        let shape = store.shape(table.name).await?;
        let mut in_file = format::columns_of(entry)?;
        let mut in_database = shape.columns.clone();
        in_file.sort_by(|a, b| a.name.cmp(&b.name));
        in_database.sort_by(|a, b| a.name.cmp(&b.name));
        if in_file != in_database {
            bail!(
                "the table {} has other columns in the export than in this database; import it with the same version of Rapport",
                table.name
            );
        }
        if table.name == WRITTEN_AT_START {
            store.delete_rows(table).await?;
        }
        let counter = progress.table(table.name);
        let names_files = names_files(entry, &shape.columns);
        let mut batch: Vec<Vec<Cell>> = Vec::new();
        let mut batch_bytes = 0;
        let mut with_late: Vec<Vec<Cell>> = Vec::new();
        let mut written = 0u64;
        for row in rows_of(dir, entry)? {
            let row = row?;
            // A file goes into the file store before the row that names it.
            let mut bytes = 0;
            if names_files && let Some(hash) = row.get("sha256").and_then(Value::as_str) {
                let data = read_blob(dir, hash)?;
                bytes += data.len();
                store.files().put(hash, &data).await?;
            }
            let (cells, cell_bytes) = cells(dir, table.name, &shape.columns, row)?;
            let bytes = bytes + cell_bytes;
            if !table.late.is_empty() {
                with_late.push(cells.clone());
            }
            batch.push(cells);
            batch_bytes += bytes;
            if batch.len() >= BATCH_ROWS || batch_bytes >= BATCH_BYTES {
                store.insert_rows(table, &shape, &batch).await?;
                written += batch.len() as u64;
                counter.tick(written);
                batch.clear();
                batch_bytes = 0;
            }
        }
        store.insert_rows(table, &shape, &batch).await?;
        written += batch.len() as u64;
        store.set_late_columns(table, &shape, &with_late).await?;
        counter.done(written);
    }
    store.reset_sequences().await?;
    let imported = super::export::read_database(store, None, &Progress::quiet())
        .await?
        .summary();
    if let Some(difference) = super::first_difference(&promised, &imported) {
        bail!(
            "the import finished, but the database does not hold what the export does ({difference})"
        );
    }
    Ok(imported)
}

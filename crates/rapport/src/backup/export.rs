//! Reading a whole database in one snapshot: into an export directory, or only into its
//! checksums (to verify a copy).

use super::Progress;
use super::format::{
    self, BLOBS_DIR, BlobDigest, MANIFEST, Manifest, TABLES_DIR, TableDigest, TableEntry,
};
use anyhow::{Context, bail};
use rapport_store::dump::{Cell, FILES_TABLE, Kind, NOT_EXPORTED, TABLES};
use rapport_store::{Backend, Store};
use std::io::Write;
use std::path::Path;

/// Reads every table of `store` as of one moment. With `to`, writes the export there (the
/// directory must be empty or new); always returns the manifest with its checksums.
pub async fn read_database(
    store: &Store,
    to: Option<&Path>,
    progress: &Progress,
) -> anyhow::Result<Manifest> {
    if let Some(dir) = to {
        std::fs::create_dir_all(dir.join(TABLES_DIR))
            .and_then(|()| std::fs::create_dir_all(dir.join(BLOBS_DIR)))
            .with_context(|| format!("could not create the directory {}", dir.display()))?;
    }
    let mut snapshot = store.snapshot().await?;
    let unknown: Vec<String> = snapshot
        .table_names()
        .await?
        .into_iter()
        .filter(|name| {
            !TABLES.iter().any(|t| t.name == name) && !NOT_EXPORTED.contains(&name.as_str())
        })
        .collect();
    if !unknown.is_empty() {
        bail!(
            "the database has tables this version of Rapport does not know how to copy ({}); \
             use the version of Rapport that created them",
            unknown.join(", ")
        );
    }
    let schema = snapshot.schema().await?;
    let mut blobs = BlobDigest::default();
    let mut tables = Vec::new();
    for table in TABLES {
        let shape = snapshot.shape(table.name).await?;
        let file = format!("{TABLES_DIR}/{}.jsonl", table.name);
        let mut writer = match to {
            Some(dir) => {
                let path = dir.join(&file);
                let created = std::fs::File::create(&path)
                    .with_context(|| format!("could not create {}", path.display()))?;
                Some(std::io::BufWriter::with_capacity(1 << 20, created))
            }
            None => None,
        };
        let mut digest = TableDigest::default();
        let counter = progress.table(table.name);
        // The `blobs` rows name the files of the file store: each is copied (and hashed) once
        // the table's rows are read. Files are never changed, so the snapshot's rows name the
        // files as they were at that moment.
        let names_files = table.name == FILES_TABLE
            && !shape
                .columns
                .iter()
                .any(|column| column.kind == Kind::Bytes);
        let digest_column = shape
            .columns
            .iter()
            .position(|column| column.name == "sha256");
        let mut named: Vec<String> = Vec::new();
        snapshot
            .for_each_row(&shape, |cells: Vec<Cell>| -> anyhow::Result<()> {
                if names_files
                    && let Some(Cell::Text(sha256)) = digest_column.and_then(|at| cells.get(at))
                {
                    named.push(sha256.clone());
                }
                let values: Vec<serde_json::Value> = cells.iter().map(format::cell_value).collect();
                for (cell, value) in cells.iter().zip(&values) {
                    if let (Cell::Bytes(bytes), serde_json::Value::String(hash)) = (cell, value)
                        && !blobs.contains(hash)
                    {
                        if let Some(dir) = to {
                            let path = dir.join(BLOBS_DIR).join(hash);
                            std::fs::write(&path, bytes)
                                .with_context(|| format!("could not write {}", path.display()))?;
                        }
                        blobs.add(hash.clone(), bytes.len() as u64);
                    }
                }
                let line = format::canonical_line(
                    shape
                        .columns
                        .iter()
                        .map(|column| column.name.as_str())
                        .zip(&values),
                );
                if let Some(writer) = writer.as_mut() {
                    writer
                        .write_all(line.as_bytes())
                        .and_then(|()| writer.write_all(b"\n"))
                        .context("could not write the export")?;
                }
                digest.add(&line);
                counter.tick(digest.rows);
                Ok(())
            })
            .await?;
        for sha256 in named {
            if blobs.contains(&sha256) {
                continue;
            }
            let bytes = store.blob(&sha256).await.with_context(|| {
                format!("could not read the file {sha256} named in the table blobs")
            })?;
            // Counted by what its bytes hash to, so a damaged file makes the files differ.
            let actual = format::sha256_hex(&bytes);
            if actual != sha256 && to.is_some() {
                bail!(
                    "the file {sha256} in {} is damaged: its bytes do not have the digest that names it",
                    store.files().describe()
                );
            }
            if let Some(dir) = to {
                let path = dir.join(BLOBS_DIR).join(&sha256);
                std::fs::write(&path, &bytes)
                    .with_context(|| format!("could not write {}", path.display()))?;
            }
            blobs.add(actual, bytes.len() as u64);
        }
        if let Some(mut writer) = writer {
            writer.flush().context("could not write the export")?;
            writer
                .into_inner()
                .map_err(|err| err.into_error())
                .and_then(|file| file.sync_all())
                .context("could not write the export")?;
        }
        counter.done(digest.rows);
        let sum = digest.finish(table.name);
        tables.push(TableEntry {
            name: table.name.to_owned(),
            file,
            columns: format::column_entries(&shape.columns),
            key: shape.key.clone(),
            rows: sum.rows,
            sha256: sum.sha256,
        });
    }
    let exported_from = match snapshot.backend() {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    snapshot.finish().await?;
    let blob_sum = blobs.finish();
    let manifest = Manifest {
        format: format::FORMAT.to_owned(),
        version: format::VERSION,
        schema,
        exported_from: exported_from.to_owned(),
        exported_at: rapport_store::clock::now(),
        tables,
        blobs: format::BlobEntry {
            dir: BLOBS_DIR.to_owned(),
            count: blob_sum.count,
            bytes: blob_sum.bytes,
            sha256: blob_sum.sha256,
        },
    };
    if let Some(dir) = to {
        let path = dir.join(MANIFEST);
        let text = serde_json::to_string_pretty(&manifest).context("the manifest")?;
        std::fs::write(&path, text + "\n")
            .with_context(|| format!("could not write {}", path.display()))?;
    }
    Ok(manifest)
}

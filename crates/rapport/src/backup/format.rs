//! The portable export format (docs/export-format.md): one JSON-lines file per table, blobs as
//! files named by the SHA-256 of their bytes, and `manifest.json` with the schema, counts and
//! checksums. The same canonical row text is what every checksum is taken over, whether the
//! rows come from a database or from an export, so two copies can be compared whatever holds
//! them.

use rapport_store::dump::{Cell, Column, Kind};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

pub const FORMAT: &str = "rapport-export";
pub const VERSION: u32 = 1;
pub const MANIFEST: &str = "manifest.json";
pub const TABLES_DIR: &str = "tables";
pub const BLOBS_DIR: &str = "blobs";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub version: u32,
    /// The migrations the exported database had applied, in order.
    pub schema: Vec<String>,
    /// `sqlite` or `postgres`.
    pub exported_from: String,
    pub exported_at: String,
    /// In the order an import inserts them (parents first).
    pub tables: Vec<TableEntry>,
    pub blobs: BlobEntry,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TableEntry {
    pub name: String,
    /// Relative to the export directory: `tables/NAME.jsonl`.
    pub file: String,
    pub columns: Vec<ColumnEntry>,
    /// The primary key: rows are in this order.
    pub key: Vec<String>,
    pub rows: u64,
    /// SHA-256 (hex) over every row's canonical line followed by a line feed.
    pub sha256: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ColumnEntry {
    pub name: String,
    /// `integer`, `text` or `bytes`.
    pub kind: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct BlobEntry {
    /// Relative to the export directory.
    pub dir: String,
    pub count: u64,
    pub bytes: u64,
    /// SHA-256 (hex) over `HASH SIZE\n` for every blob, in order of hash.
    pub sha256: String,
}

/// What two copies must share to hold the same data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub schema: Vec<String>,
    pub tables: Vec<TableSum>,
    pub blobs: BlobSum,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableSum {
    pub name: String,
    pub rows: u64,
    pub sha256: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobSum {
    pub count: u64,
    pub bytes: u64,
    pub sha256: String,
}

impl Manifest {
    pub fn summary(&self) -> Summary {
        Summary {
            schema: self.schema.clone(),
            tables: self
                .tables
                .iter()
                .map(|table| TableSum {
                    name: table.name.clone(),
                    rows: table.rows,
                    sha256: table.sha256.clone(),
                })
                .collect(),
            blobs: BlobSum {
                count: self.blobs.count,
                bytes: self.blobs.bytes,
                sha256: self.blobs.sha256.clone(),
            },
        }
    }
}

impl Summary {
    pub fn rows(&self) -> u64 {
        self.tables.iter().map(|table| table.rows).sum()
    }
}

/// A file's name in an export: the digest that names it in the database too.
pub fn sha256_hex(bytes: &[u8]) -> String {
    rapport_mail::sha256_hex(bytes)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Whether `name` can be a blob's file name: 64 lowercase hex digits, nothing that leaves the
/// blobs directory.
pub fn is_blob_name(name: &str) -> bool {
    name.len() == 64
        && name
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// A cell as it appears in a row's line: bytes by their hash.
pub fn cell_value(cell: &Cell) -> Value {
    match cell {
        Cell::Null => Value::Null,
        Cell::Integer(value) => Value::from(*value),
        Cell::Text(value) => Value::String(value.clone()),
        Cell::Bytes(value) => Value::String(sha256_hex(value)),
    }
}

/// The canonical line of a row: a JSON object with the columns in order of name.
pub fn canonical_line<'a>(values: impl IntoIterator<Item = (&'a str, &'a Value)>) -> String {
    let mut pairs: Vec<(&str, &Value)> = values.into_iter().collect();
    pairs.sort_by(|a, b| a.0.cmp(b.0));
    let mut line = String::from("{");
    for (index, (name, value)) in pairs.into_iter().enumerate() {
        if index > 0 {
            line.push(',');
        }
        line.push_str(&Value::String(name.to_owned()).to_string());
        line.push(':');
        line.push_str(&value.to_string());
    }
    line.push('}');
    line
}

pub fn column_entries(columns: &[Column]) -> Vec<ColumnEntry> {
    columns
        .iter()
        .map(|column| ColumnEntry {
            name: column.name.clone(),
            kind: column.kind.name().to_owned(),
        })
        .collect()
}

pub fn columns_of(entry: &TableEntry) -> anyhow::Result<Vec<Column>> {
    entry
        .columns
        .iter()
        .map(|column| {
            Ok(Column {
                name: column.name.clone(),
                kind: Kind::from_name(&column.kind).ok_or_else(|| {
                    anyhow::anyhow!(
                        "the manifest gives the column {}.{} the kind `{}`; the kinds are integer, text and bytes",
                        entry.name,
                        column.name,
                        column.kind
                    )
                })?,
            })
        })
        .collect()
}

/// The running checksum of one table.
pub struct TableDigest {
    hasher: Sha256,
    pub rows: u64,
}

impl Default for TableDigest {
    fn default() -> TableDigest {
        TableDigest {
            hasher: Sha256::new(),
            rows: 0,
        }
    }
}

impl TableDigest {
    pub fn add(&mut self, line: &str) {
        self.hasher.update(line.as_bytes());
        self.hasher.update(b"\n");
        self.rows += 1;
    }

    pub fn finish(self, name: &str) -> TableSum {
        TableSum {
            name: name.to_owned(),
            rows: self.rows,
            sha256: hex(&self.hasher.finalize()),
        }
    }
}

/// Every distinct blob seen, by hash, with its size.
#[derive(Default)]
pub struct BlobDigest {
    sizes: BTreeMap<String, u64>,
}

impl BlobDigest {
    pub fn contains(&self, hash: &str) -> bool {
        self.sizes.contains_key(hash)
    }

    pub fn add(&mut self, hash: String, size: u64) {
        self.sizes.insert(hash, size);
    }

    pub fn finish(&self) -> BlobSum {
        let mut hasher = Sha256::new();
        for (hash, size) in &self.sizes {
            hasher.update(format!("{hash} {size}\n").as_bytes());
        }
        BlobSum {
            count: self.sizes.len() as u64,
            bytes: self.sizes.values().sum(),
            sha256: hex(&hasher.finalize()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_has_its_columns_in_order_of_name_and_bytes_by_hash() {
        let id = cell_value(&Cell::Integer(7));
        let name = cell_value(&Cell::Text("Ana \"A\"\n".into()));
        let data = cell_value(&Cell::Bytes(b"abc".to_vec()));
        let none = cell_value(&Cell::Null);
        let line = canonical_line([
            ("name", &name),
            ("id", &id),
            ("data", &data),
            ("closed_at", &none),
        ]);
        assert_eq!(
            line,
            "{\"closed_at\":null,\"data\":\"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\",\"id\":7,\"name\":\"Ana \\\"A\\\"\\n\"}"
        );
    }

    #[test]
    fn blob_names_are_hashes_only() {
        assert!(is_blob_name(&sha256_hex(b"x")));
        assert!(!is_blob_name("../../etc/passwd"));
        assert!(!is_blob_name(&"A".repeat(64)));
    }
}

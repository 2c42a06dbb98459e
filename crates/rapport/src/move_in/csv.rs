//! Importing a CSV of tickets and messages: one row per message, rows with the same ticket id
//! making one ticket (in the order the file gives them). Which column holds what is a
//! [`Mapping`]: a small TOML file and/or `--column FIELD=COLUMN`; a field without one is looked
//! for under its own name. The ticket's customer is the author of its first row written by
//! a customer; a row's author is an agent when an agent here has that email or the `from_agent`
//! column says so.

use super::{Run, Summary, Unit, bar, history_batch};
use anyhow::{Context, bail};
use rapport_domain::{Channel, Priority};
use rapport_store::Store;
use rapport_store::imports::{FileIn, MessageIn, PersonIn, StateIn, TicketIn};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

/// The fields a mapping may name, with what each means.
pub const FIELDS: [(&str, &str); 13] = [
    (
        "ticket_id",
        "the ticket's id in the old help desk (required)",
    ),
    ("body", "the message's text (required)"),
    ("email", "the email of the message's author (required)"),
    ("name", "the author's name"),
    (
        "subject",
        "the ticket's subject (read from the ticket's first row)",
    ),
    (
        "date",
        "when the message was written (2023-03-01T08:00:00Z, 2023-03-01 08:00:00 or 2023-03-01; UTC unless an offset is given)",
    ),
    (
        "state",
        "the ticket's state: solved/closed/resolved, pending, on hold, else open (read from the ticket's last row)",
    ),
    (
        "internal",
        "the message is an internal note: yes/true/1/internal/private",
    ),
    (
        "from_agent",
        "the author is one of the team: yes/true/1/agent/staff",
    ),
    (
        "message_id",
        "the message's own id; without it, the ticket id and the row's place in its ticket",
    ),
    ("priority", "low, normal, high or urgent"),
    (
        "tags",
        "the ticket's tags, separated by commas or semicolons",
    ),
    (
        "attachments",
        "files of the message, paths relative to the CSV file's folder, separated by semicolons",
    ),
];

/// Which column holds each field, and the source name the ledger keeps ids under.
#[derive(Debug, Clone, Default)]
pub struct Mapping {
    columns: BTreeMap<String, String>,
    /// Ids are kept per source; by default the CSV file's name.
    source: Option<String>,
    delimiter: Option<u8>,
}

impl Mapping {
    /// The mapping of a TOML file (`field = "Column"`, and optionally `source = "name"`,
    /// `delimiter = ";"`), with `--column FIELD=COLUMN` pairs over it.
    pub fn read(file: Option<&Path>, pairs: &[String]) -> anyhow::Result<Mapping> {
        let mut mapping = Mapping::default();
        if let Some(path) = file {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("could not read the mapping file {}", path.display()))?;
            let table: toml::Table = toml::from_str(&text).with_context(|| {
                format!("the mapping file {} is not valid TOML", path.display())
            })?;
            for (key, value) in table {
                let Some(value) = value.as_str() else {
                    bail!(
                        "in {}, {key} must be a column name in quotes",
                        path.display()
                    );
                };
                mapping.set(&key, value)?;
            }
        }
        for pair in pairs {
            let Some((field, column)) = pair.split_once('=') else {
                bail!("--column takes FIELD=COLUMN, such as --column body=Message; got {pair}");
            };
            mapping.set(field.trim(), column.trim())?;
        }
        Ok(mapping)
    }

    fn set(&mut self, key: &str, value: &str) -> anyhow::Result<()> {
        match key {
            "source" => self.source = Some(value.to_owned()),
            "delimiter" => match value.as_bytes() {
                [byte] => self.delimiter = Some(*byte),
                _ if value == "\\t" || value == "tab" => self.delimiter = Some(b'\t'),
                _ => bail!("the delimiter must be one character, such as \";\""),
            },
            field if FIELDS.iter().any(|(name, _)| *name == field) => {
                self.columns.insert(field.to_owned(), value.to_owned());
            }
            other => {
                let names: Vec<&str> = FIELDS.iter().map(|(name, _)| *name).collect();
                bail!(
                    "{other} is not a field a CSV import knows; the fields are {}, plus source and delimiter",
                    names.join(", ")
                )
            }
        }
        Ok(())
    }
}

/// The column index of each mapped field, checked against the file's header.
struct Columns(HashMap<&'static str, usize>);

impl Columns {
    fn find(mapping: &Mapping, headers: &csv::StringRecord) -> anyhow::Result<Columns> {
        let mut found = HashMap::new();
        for (field, _) in FIELDS {
            let wanted = mapping.columns.get(field).map(String::as_str);
            let name = wanted.unwrap_or(field);
            let index = headers
                .iter()
                .position(|h| h.trim().eq_ignore_ascii_case(name.trim()));
            match (index, wanted) {
                (Some(index), _) => {
                    found.insert(field, index);
                }
                (None, Some(name)) => bail!(
                    "the mapping names the column \"{name}\" for {field}, but the file has no such column (its columns: {})",
                    headers.iter().collect::<Vec<_>>().join(", ")
                ),
                (None, None) => {}
            }
        }
        for required in ["ticket_id", "body", "email"] {
            if !found.contains_key(required) {
                bail!(
                    "which column holds {required}? Give it with --column {required}=COLUMN or in a mapping file (the file's columns: {})",
                    headers.iter().collect::<Vec<_>>().join(", ")
                );
            }
        }
        Ok(Columns(found))
    }

    fn get<'r>(&self, row: &'r csv::StringRecord, field: &str) -> Option<&'r str> {
        self.0
            .get(field)
            .and_then(|index| row.get(*index))
            .map(str::trim)
            .filter(|value| !value.is_empty())
    }
}

fn truthy(value: Option<&str>) -> bool {
    value.is_some_and(|v| {
        matches!(
            v.to_ascii_lowercase().as_str(),
            "yes" | "y" | "true" | "1" | "x" | "internal" | "private" | "note" | "agent" | "staff"
        )
    })
}

/// A date as RFC 3339, from the forms spreadsheets and exports write.
fn date(text: &str) -> Option<String> {
    use time::format_description::well_known::Rfc3339;
    use time::macros::format_description;
    use time::{Date, OffsetDateTime, PrimitiveDateTime};
    if let Ok(at) = OffsetDateTime::parse(text, &Rfc3339) {
        return at.format(&Rfc3339).ok();
    }
    let forms = [
        format_description!("[year]-[month]-[day] [hour]:[minute]:[second]"),
        format_description!("[year]-[month]-[day] [hour]:[minute]"),
        format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]"),
    ];
    for form in forms {
        if let Ok(at) = PrimitiveDateTime::parse(text, form) {
            return at.assume_utc().format(&Rfc3339).ok();
        }
    }
    Date::parse(text, format_description!("[year]-[month]-[day]"))
        .ok()
        .and_then(|day| day.midnight().assume_utc().format(&Rfc3339).ok())
}

struct Row {
    number: usize,
    record: csv::StringRecord,
}

pub async fn import(
    store: &Store,
    file: &Path,
    mapping: &Mapping,
    run: Run,
) -> anyhow::Result<Summary> {
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(mapping.delimiter.unwrap_or(b','))
        .flexible(true)
        .from_path(file)
        .with_context(|| format!("could not open the CSV file {}", file.display()))?;
    let headers = reader
        .headers()
        .with_context(|| format!("could not read the header row of {}", file.display()))?
        .clone();
    let columns = Columns::find(mapping, &headers)?;
    let source = format!(
        "csv:{}",
        mapping.source.clone().unwrap_or_else(|| file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default())
    );
    let mut summary = Summary::new(format!("the CSV file {}", file.display()));
    // Rows grouped by ticket, in the order tickets first appear.
    let mut order: Vec<String> = Vec::new();
    let mut by_ticket: HashMap<String, Vec<Row>> = HashMap::new();
    for (index, record) in reader.records().enumerate() {
        let number = index + 2;
        let record = record
            .with_context(|| format!("row {number} of {} is not valid CSV", file.display()))?;
        let Some(ticket) = columns.get(&record, "ticket_id") else {
            summary.skipped("messages", "a row without a ticket id");
            continue;
        };
        let ticket = ticket.to_owned();
        if !by_ticket.contains_key(&ticket) {
            order.push(ticket.clone());
        }
        by_ticket
            .entry(ticket)
            .or_default()
            .push(Row { number, record });
    }
    let folder = file.parent().unwrap_or(Path::new("."));
    let progress = bar(order.len() as u64, "tickets", Unit::Items);
    let mut sent_people: HashSet<String> = HashSet::new();
    let mut staff_here: HashMap<String, bool> = HashMap::new();
    for (done, chunk) in order.chunks(run.batch.div_ceil(4).max(1)).enumerate() {
        if run.stops_after(done as u64) {
            summary.stopped_early = true;
            return Ok(summary);
        }
        let mut people = Vec::new();
        let mut tickets = Vec::new();
        for ticket_id in chunk {
            let rows = by_ticket.remove(ticket_id).unwrap_or_default();
            let mut messages = Vec::new();
            let mut requester = None;
            for (place, row) in rows.iter().enumerate() {
                let record = &row.record;
                let Some(email) = columns.get(record, "email").map(str::to_lowercase) else {
                    summary.skipped("messages", "a row without the author's email");
                    continue;
                };
                let staff = match staff_here.get(&email) {
                    Some(known) => *known,
                    None => {
                        let known = truthy(columns.get(record, "from_agent"))
                            || match store.agent_by_email(&email).await {
                                Ok(_) => true,
                                Err(rapport_store::StoreError::NotFound { .. }) => false,
                                Err(other) => return Err(other.into()),
                            };
                        staff_here.insert(email.clone(), known);
                        known
                    }
                };
                if sent_people.insert(email.clone()) {
                    people.push(PersonIn {
                        external_id: email.clone(),
                        name: columns.get(record, "name").unwrap_or_default().to_owned(),
                        email: Some(email.clone()),
                        organization: None,
                        staff,
                        created_at: None,
                    });
                }
                if !staff && requester.is_none() {
                    requester = Some(email.clone());
                }
                let files = columns
                    .get(record, "attachments")
                    .map(|list| {
                        list.split(';')
                            .map(str::trim)
                            .filter(|p| !p.is_empty())
                            .map(|path| FileIn {
                                external_id: format!("{ticket_id}#{}#{path}", place + 1),
                                filename: Path::new(path)
                                    .file_name()
                                    .map(|n| n.to_string_lossy().into_owned())
                                    .unwrap_or_else(|| path.to_owned()),
                                content_type: content_type(path).to_owned(),
                                data: std::fs::read(folder.join(path)).ok(),
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                let Some(created_at) = columns
                    .get(record, "date")
                    .map(|d| match date(d) {
                        Some(at) => Ok(at),
                        None => Err(d.to_owned()),
                    })
                    .transpose()
                    .ok()
                else {
                    summary.skipped(
                        "messages",
                        &format!("row {}: a date that does not read as one", row.number),
                    );
                    continue;
                };
                messages.push(MessageIn {
                    external_id: columns
                        .get(record, "message_id")
                        .map(str::to_owned)
                        .unwrap_or_else(|| format!("{ticket_id}#{}", place + 1)),
                    author: email,
                    public: !truthy(columns.get(record, "internal")),
                    body: columns.get(record, "body").unwrap_or_default().to_owned(),
                    html: None,
                    created_at: created_at.unwrap_or_default(),
                    files,
                });
            }
            let first = rows.first().map(|r| &r.record);
            let last = rows.last().map(|r| &r.record);
            let Some(requester) = requester else {
                summary.skipped("tickets", "no row of it was written by a customer");
                for _ in &messages {
                    summary.skipped("messages", "its ticket was skipped");
                }
                continue;
            };
            let created_at = messages
                .first()
                .map(|m| m.created_at.clone())
                .unwrap_or_default();
            tickets.push(TicketIn {
                external_id: ticket_id.clone(),
                subject: first
                    .and_then(|r| columns.get(r, "subject"))
                    .unwrap_or_default()
                    .to_owned(),
                requester,
                assignee: None,
                priority: match first
                    .and_then(|r| columns.get(r, "priority"))
                    .map(str::to_ascii_lowercase)
                    .as_deref()
                {
                    Some("urgent") => Priority::Urgent,
                    Some("high") => Priority::High,
                    Some("low") => Priority::Low,
                    _ => Priority::Normal,
                },
                tags: first
                    .and_then(|r| columns.get(r, "tags"))
                    .map(|tags| {
                        tags.split([',', ';'])
                            .map(|t| t.trim().to_lowercase())
                            .filter(|t| !t.is_empty())
                            .collect()
                    })
                    .unwrap_or_default(),
                channel: Channel::Email,
                state: match last
                    .and_then(|r| columns.get(r, "state"))
                    .map(str::to_ascii_lowercase)
                    .as_deref()
                {
                    Some("solved" | "closed" | "resolved" | "done") => StateIn::Resolved,
                    Some("pending" | "waiting" | "waiting on customer") => StateIn::Pending,
                    Some("hold" | "on hold" | "on_hold") => StateIn::OnHold,
                    _ => StateIn::Open,
                },
                updated_at: messages.last().map(|m| m.created_at.clone()),
                created_at,
                messages,
            });
        }
        history_batch(store, &source, &[], &people, &tickets, &mut summary).await?;
        progress.inc(chunk.len() as u64);
    }
    progress.finish_and_clear();
    Ok(summary)
}

fn content_type(path: &str) -> &'static str {
    let lower = path.to_ascii_lowercase();
    match lower.rsplit('.').next() {
        Some("pdf") => "application/pdf",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("gif") => "image/gif",
        Some("txt" | "log") => "text/plain",
        Some("csv") => "text/csv",
        Some("html" | "htm") => "text/html",
        Some("zip") => "application/zip",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_read_in_the_forms_exports_write() {
        assert_eq!(
            date("2023-03-01T08:00:00Z").as_deref(),
            Some("2023-03-01T08:00:00Z")
        );
        assert_eq!(
            date("2023-03-01 08:00:00").as_deref(),
            Some("2023-03-01T08:00:00Z")
        );
        assert_eq!(date("2023-03-01").as_deref(), Some("2023-03-01T00:00:00Z"));
        assert_eq!(date("1 March"), None);
    }

    #[test]
    fn a_mapping_names_only_known_fields() {
        let pairs = vec!["body=Message".to_owned()];
        assert!(Mapping::read(None, &pairs).is_ok());
        let wrong = vec!["bodyy=Message".to_owned()];
        let err = Mapping::read(None, &wrong).expect_err("unknown field");
        assert!(err.to_string().contains("not a field"), "{err}");
    }
}

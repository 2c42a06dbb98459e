//! `rapport import`: moving in from another help desk. Mail archives (mbox, Maildir) go through
//! the mail intake as history ([`mail`]); a Zendesk export ([`zendesk`]) and a CSV of tickets
//! and messages ([`csv`]) go through the store's import steps with a ledger of source ids.
//!
//! Every importer reads its source in batches, one transaction each, so a run stopped at any
//! point keeps what it committed, and a run again skips what is already here (mail by its
//! Message-ID or bytes, everything else by the ledger `imported_items`). Nothing imported is
//! sent to anyone or schedules anything (`rapport_store::jobs::writing_history`).
//! Not to be confused with `rapport admin import`, which loads Rapport's own export.

pub mod csv;
pub mod mail;
pub mod zendesk;

use indicatif::{ProgressBar, ProgressStyle};
use rapport_store::Store;
use rapport_store::imports::{Noted, OrganizationIn, PersonIn, TicketIn};
use serde::Serialize;
use std::collections::BTreeMap;

/// How an import runs: the batch size, and (for tests of resuming) a stop after some batches,
/// as if the process had been killed there.
#[derive(Debug, Clone, Copy)]
pub struct Run {
    pub batch: usize,
    pub stop_after_batches: Option<u64>,
    /// Mail archives: mark the tickets they opened resolved at the end.
    pub resolved: bool,
}

impl Run {
    /// Whether the run stops before the batch after `done` batches.
    fn stops_after(&self, done: u64) -> bool {
        self.stop_after_batches.is_some_and(|limit| done >= limit)
    }
}

/// The kinds of things an import counts, in the order the summary lists them.
pub const KINDS: [&str; 6] = [
    "organizations",
    "customers",
    "agents",
    "tickets",
    "messages",
    "attachments",
];

/// What one kind came to: how many were imported, how many skipped and why.
#[derive(Debug, Default, Clone, Serialize, PartialEq, Eq)]
pub struct Tally {
    pub imported: u64,
    pub skipped: u64,
    /// Why items were skipped, with how many each.
    pub reasons: BTreeMap<String, u64>,
}

/// What an import did, per kind; printed at the end (or as JSON with `--json`).
#[derive(Debug, Default, Clone, Serialize)]
pub struct Summary {
    pub source: String,
    pub kinds: BTreeMap<String, Tally>,
    /// The run stopped before the end of the source (`--stop-after-batches`); running the
    /// import again goes on from where it stopped.
    pub stopped_early: bool,
    /// Tickets of a mail archive marked resolved at the end (`--resolved`).
    pub resolved: u64,
}

impl Summary {
    pub fn new(source: String) -> Summary {
        Summary {
            source,
            ..Summary::default()
        }
    }

    pub fn imported(&mut self, kind: &str, count: u64) {
        if count > 0 {
            self.kinds.entry(kind.to_owned()).or_default().imported += count;
        }
    }

    pub fn skipped(&mut self, kind: &str, reason: &str) {
        let tally = self.kinds.entry(kind.to_owned()).or_default();
        tally.skipped += 1;
        *tally.reasons.entry(reason.to_owned()).or_default() += 1;
    }

    pub fn tally(&self, kind: &str) -> Tally {
        self.kinds.get(kind).cloned().unwrap_or_default()
    }
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "Imported from {}:", self.source)?;
        let mut any = false;
        for kind in KINDS {
            let Some(tally) = self.kinds.get(kind) else {
                continue;
            };
            any = true;
            write!(f, "  {kind}: {} imported", tally.imported)?;
            if tally.skipped > 0 {
                write!(f, ", {} skipped", tally.skipped)?;
            }
            writeln!(f)?;
            for (reason, count) in &tally.reasons {
                writeln!(f, "      {count} skipped: {reason}")?;
            }
        }
        if self.resolved > 0 {
            writeln!(
                f,
                "  {} tickets marked resolved (--resolved).",
                self.resolved
            )?;
        }
        if !any {
            writeln!(f, "  nothing was found to import.")?;
        }
        if self.stopped_early {
            writeln!(
                f,
                "The import stopped before the end; run the same command again to go on."
            )?;
        }
        Ok(())
    }
}

/// A progress bar on standard error (hidden when that is not a terminal).
fn bar(length: u64, what: &str, unit: Unit) -> ProgressBar {
    let bar = ProgressBar::new(length).with_message(what.to_owned());
    let template = match unit {
        Unit::Items => "{msg:>10} [{bar:30}] {pos}/{len} {per_sec} eta {eta}",
        Unit::Bytes => "{msg:>10} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
    };
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

#[derive(Debug, Clone, Copy)]
enum Unit {
    Items,
    Bytes,
}

/// Why an item already imported is skipped.
pub const ALREADY_IMPORTED: &str = "already imported";

/// One batch of history in one transaction. If it fails for something in it (not because the
/// database is away), each item is tried alone, so one the store refuses is counted as skipped
/// with the reason and does not stop the rest; a new run tries it again.
async fn history_batch(
    store: &Store,
    source: &str,
    organizations: &[OrganizationIn],
    people: &[PersonIn],
    tickets: &[TicketIn],
    summary: &mut Summary,
) -> anyhow::Result<()> {
    let whole = store
        .import_history(source, organizations, people, tickets)
        .await;
    let error = match whole {
        Ok(noted) => {
            note(summary, noted);
            return Ok(());
        }
        Err(error) => error,
    };
    let unavailable = |error: rapport_store::StoreError| {
        anyhow::Error::new(error).context(
            "could not store a batch; nothing of it was kept, run the import again to go on",
        )
    };
    if error.is_unavailable() {
        return Err(unavailable(error));
    }
    let alone = organizations.len() + people.len() + tickets.len() == 1;
    let refused = |summary: &mut Summary, kind: &str, error: rapport_store::StoreError| {
        summary.skipped(kind, &format!("it could not be stored ({error})"));
    };
    if alone {
        let kind = match (organizations.first(), people.first()) {
            (Some(_), _) => "organizations",
            (None, Some(person)) if person.staff => "agents",
            (None, Some(_)) => "customers",
            (None, None) => "tickets",
        };
        refused(summary, kind, error);
        return Ok(());
    }
    for organization in organizations {
        Box::pin(history_batch(
            store,
            source,
            std::slice::from_ref(organization),
            &[],
            &[],
            summary,
        ))
        .await?;
    }
    for person in people {
        Box::pin(history_batch(
            store,
            source,
            &[],
            std::slice::from_ref(person),
            &[],
            summary,
        ))
        .await?;
    }
    for ticket in tickets {
        Box::pin(history_batch(
            store,
            source,
            &[],
            &[],
            std::slice::from_ref(ticket),
            summary,
        ))
        .await?;
    }
    Ok(())
}

fn note(summary: &mut Summary, noted: Vec<Noted>) {
    for item in noted {
        match item {
            Noted::Imported(kind) => summary.imported(kind, 1),
            Noted::Skipped(kind, reason) => summary.skipped(kind, &reason),
        }
    }
}

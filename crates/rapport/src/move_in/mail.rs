//! Importing a mail archive: an mbox file or a Maildir, each mail threaded and stored by the
//! intake as live mail is (`Store::import_emails`), at the time it was written, sending nothing.

use super::{ALREADY_IMPORTED, Run, Summary, Unit, bar};
use anyhow::Context;
use rapport_store::Store;
use rapport_store::mail_intake::{Outcome, ParsedMail};
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

/// Reads the mails of an mbox file one at a time: a mail starts at a line beginning with
/// `From ` (at the start or after an empty line); `>From ` lines written to escape one lose one
/// `>` (mboxrd), which is harmless for mboxo files.
pub struct Mbox<R> {
    reader: R,
    /// The separator line already read for the next mail.
    started: bool,
    line: Vec<u8>,
    /// Bytes read so far, for the progress bar.
    pub read: u64,
}

impl<R: BufRead> Mbox<R> {
    pub fn new(reader: R) -> Mbox<R> {
        Mbox {
            reader,
            started: false,
            line: Vec::new(),
            read: 0,
        }
    }

    fn next_line(&mut self) -> std::io::Result<bool> {
        self.line.clear();
        let n = self.reader.read_until(b'\n', &mut self.line)?;
        self.read += n as u64;
        Ok(n > 0)
    }

    /// The next mail's bytes, `None` at the end.
    pub fn next_mail(&mut self) -> std::io::Result<Option<Vec<u8>>> {
        if !self.started {
            // Whatever comes before the first separator is not a mail.
            loop {
                if !self.next_line()? {
                    return Ok(None);
                }
                if self.line.starts_with(b"From ") {
                    self.started = true;
                    break;
                }
            }
        }
        let mut mail = Vec::new();
        let mut previous_blank = false;
        loop {
            if !self.next_line()? {
                self.started = false;
                break;
            }
            if previous_blank && self.line.starts_with(b"From ") {
                break;
            }
            previous_blank = self.line == b"\n" || self.line == b"\r\n";
            let line = &self.line[..];
            let quoted = line.iter().take_while(|b| **b == b'>').count();
            if quoted > 0 && line[quoted..].starts_with(b"From ") {
                mail.extend_from_slice(&line[1..]);
            } else {
                mail.extend_from_slice(line);
            }
        }
        // The empty line before the next separator belongs to the mbox, not the mail.
        if mail.ends_with(b"\r\n\r\n") {
            mail.truncate(mail.len() - 2);
        } else if mail.ends_with(b"\n\n") {
            mail.truncate(mail.len() - 1);
        }
        if mail.is_empty() && !self.started {
            return Ok(None);
        }
        Ok(Some(mail))
    }
}

/// The mail files of a Maildir (`cur` and `new`), or of a directory of `.eml` files, in name
/// order: Maildir names start with the time of delivery, so replies follow what they answer.
pub fn maildir_files(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut folders: Vec<PathBuf> = ["cur", "new"]
        .iter()
        .map(|sub| dir.join(sub))
        .filter(|path| path.is_dir())
        .collect();
    if folders.is_empty() {
        folders.push(dir.to_owned());
    }
    let mut files = Vec::new();
    for folder in folders {
        for entry in std::fs::read_dir(&folder)
            .with_context(|| format!("could not read the folder {}", folder.display()))?
        {
            let path = entry?.path();
            let hidden = path
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with('.'));
            if path.is_file() && !hidden {
                files.push(path);
            }
        }
    }
    files.sort_by(|a, b| a.file_name().cmp(&b.file_name()));
    Ok(files)
}

/// Imports an mbox file.
pub async fn import_mbox(
    store: &Store,
    path: &Path,
    max_bytes: usize,
    run: Run,
) -> anyhow::Result<Summary> {
    let file = std::fs::File::open(path)
        .with_context(|| format!("could not open the mbox file {}", path.display()))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let mut mbox = Mbox::new(BufReader::new(file));
    let mailbox = format!("import: {}", file_name(path));
    let progress = bar(size, "mail", Unit::Bytes);
    let mut summary = Summary::new(format!("the mbox file {}", path.display()));
    let mut batches = 0;
    loop {
        if run.stops_after(batches) {
            summary.stopped_early = true;
            break;
        }
        let mut batch = Vec::with_capacity(run.batch);
        while batch.len() < run.batch {
            match mbox
                .next_mail()
                .with_context(|| format!("could not read {}", path.display()))?
            {
                Some(raw) => batch.push(ParsedMail::read(raw, Some(mailbox.clone()), max_bytes)),
                None => break,
            }
        }
        if batch.is_empty() {
            break;
        }
        import_batch(store, &batch, &mut summary).await?;
        batches += 1;
        progress.set_position(mbox.read);
    }
    progress.finish_and_clear();
    finish(store, &mailbox, run, summary).await
}

/// Imports a Maildir (or a directory of mail files).
pub async fn import_maildir(
    store: &Store,
    dir: &Path,
    max_bytes: usize,
    run: Run,
) -> anyhow::Result<Summary> {
    let files = maildir_files(dir)?;
    let mailbox = format!("import: {}", file_name(dir));
    let progress = bar(files.len() as u64, "mail", Unit::Items);
    let mut summary = Summary::new(format!("the Maildir {}", dir.display()));
    for (done, chunk) in files.chunks(run.batch.max(1)).enumerate() {
        if run.stops_after(done as u64) {
            summary.stopped_early = true;
            break;
        }
        let mut batch = Vec::with_capacity(chunk.len());
        for path in chunk {
            let mut raw = Vec::new();
            std::fs::File::open(path)
                .and_then(|mut file| file.read_to_end(&mut raw))
                .with_context(|| format!("could not read the mail file {}", path.display()))?;
            batch.push(ParsedMail::read(raw, Some(mailbox.clone()), max_bytes));
        }
        import_batch(store, &batch, &mut summary).await?;
        progress.inc(chunk.len() as u64);
    }
    progress.finish_and_clear();
    finish(store, &mailbox, run, summary).await
}

/// With `--resolved`, once the whole archive is in (a reply may reopen what an earlier batch
/// opened), the tickets it opened are marked resolved.
async fn finish(
    store: &Store,
    mailbox: &str,
    run: Run,
    mut summary: Summary,
) -> anyhow::Result<Summary> {
    if run.resolved && !summary.stopped_early {
        summary.resolved = store.resolve_imported_mail(mailbox).await.context(
            "could not mark the imported tickets resolved; run the import again to do it",
        )?;
    }
    Ok(summary)
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

/// One batch: files first (so the transaction does not wait for them), then one transaction.
async fn import_batch(
    store: &Store,
    batch: &[ParsedMail],
    summary: &mut Summary,
) -> anyhow::Result<()> {
    for mail in batch {
        store
            .keep_files(mail)
            .await
            .context("could not write a mail's files to the file store")?;
    }
    for result in store.import_emails(batch).await {
        let imported = match result {
            Ok(imported) => imported,
            // The database is away: stop; what was committed stays, a new run goes on.
            Err(error) if error.is_unavailable() => {
                return Err(anyhow::Error::new(error).context(
                    "could not store a batch of mail; nothing of it was kept, run the import again to go on",
                ));
            }
            // One mail the intake cannot store must not stop the rest; a new run tries it again.
            Err(error) => {
                summary.skipped("messages", &format!("it could not be stored ({error})"));
                continue;
            }
        };
        let ingested = &imported.ingested;
        if ingested.duplicate {
            summary.skipped("messages", ALREADY_IMPORTED);
            continue;
        }
        match ingested.outcome {
            Outcome::NewTicket | Outcome::Reply => {
                if ingested.outcome == Outcome::NewTicket {
                    summary.imported("tickets", 1);
                }
                summary.imported("messages", 1);
                summary.imported("attachments", imported.attachments as u64);
                if imported.customer_created {
                    summary.imported("customers", 1);
                }
            }
            Outcome::AutoReply => {
                summary.skipped("messages", "an automatic reply (kept as inbound mail)")
            }
            Outcome::Bulk => {
                summary.skipped("messages", "bulk or list mail (kept as inbound mail)")
            }
            Outcome::Bounce => summary.skipped(
                "messages",
                "a delivery failure report (kept as inbound mail)",
            ),
            Outcome::Rejected => summary.skipped(
                "messages",
                &format!(
                    "{} (kept as inbound mail for an admin)",
                    ingested.reason.clone().unwrap_or_default()
                ),
            ),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mails(text: &str) -> Vec<String> {
        let mut mbox = Mbox::new(text.as_bytes());
        let mut out = Vec::new();
        while let Some(mail) = mbox.next_mail().expect("reads from memory") {
            out.push(String::from_utf8(mail).expect("text"));
        }
        out
    }

    #[test]
    fn splits_at_from_lines_after_an_empty_line() {
        let text = "From a@x Mon Jan  1 00:00:00 2024\nSubject: one\n\nHello\nFrom here on, words\n\nFrom b@x Mon Jan  1 00:00:00 2024\nSubject: two\n\n>From the quoted line\n";
        assert_eq!(
            mails(text),
            vec![
                "Subject: one\n\nHello\nFrom here on, words\n".to_owned(),
                "Subject: two\n\nFrom the quoted line\n".to_owned(),
            ]
        );
    }

    #[test]
    fn an_empty_file_holds_no_mail() {
        assert!(mails("").is_empty());
        assert!(mails("not an mbox\n").is_empty());
    }
}

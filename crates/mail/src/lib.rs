//! Reading email: one raw RFC 5322 message in, the parts Rapport needs out: who wrote it, to
//! whom, the threading headers, the text (with quoted history split off), sanitized HTML,
//! attachments, and whether it is an auto-reply, a bounce or bulk mail that must never open a
//! ticket or get an answer. Pure functions, no I/O. MIME decoding (RFC 2047/2231, any charset)
//! is done by the maintained `mail-parser` crate; HTML is sanitized by `ammonia`.

use encoding_rs::Encoding;
use mail_parser::{Address, HeaderValue, MessageParser, MimeHeaders};
use sha2::{Digest, Sha256};

/// A sender or recipient. The address is lower-cased.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mailbox {
    pub address: String,
    pub name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub filename: String,
    pub content_type: String,
    pub data: Vec<u8>,
    /// An inline image referenced from the HTML, rather than a file the sender attached.
    pub inline: bool,
}

/// What kind of mail this is, for deciding whether it may open a ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Written by a person.
    Personal,
    /// An out-of-office or other automatic answer.
    AutoReply,
    /// A delivery failure report.
    Bounce,
    /// Newsletters and lists (`Precedence: bulk|junk|list`).
    Bulk,
}

#[derive(Debug, Clone)]
pub struct Email {
    /// Without angle brackets.
    pub message_id: Option<String>,
    pub in_reply_to: Vec<String>,
    pub references: Vec<String>,
    pub from: Option<Mailbox>,
    pub reply_to: Option<Mailbox>,
    pub to: Vec<Mailbox>,
    pub cc: Vec<Mailbox>,
    pub subject: String,
    /// When the sender wrote it (the Date header), in seconds since 1970, if it could be read.
    pub date: Option<i64>,
    /// The new part of the text: what the sender wrote this time.
    pub text: String,
    /// The quoted history below it, kept to be shown collapsed.
    pub quoted: String,
    /// Sanitized HTML, safe to display, when the mail had an HTML body.
    pub html: Option<String>,
    pub attachments: Vec<Attachment>,
    pub kind: Kind,
    /// For a bounce: the Message-IDs found in the report, one of which is the mail that bounced.
    pub bounced_ids: Vec<String>,
    /// What the reader had to mend or guess to read the mail, for the agent who reads it.
    pub notes: Vec<ReadNote>,
}

/// Something odd a lenient reader mended or guessed, so that a customer's mail still reaches
/// an agent; the agent sees it beside the message, in case the guess was wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadNote {
    /// The sender's address was written in a form mail programs should not write: `written`
    /// as it was (a trailing dot, spaces, quotes, `mailto:`, a doubled `@`), `read` as used.
    SenderMended { written: String, read: String },
    /// The sender's domain has no dot (`someone@host`): kept, but replies may not arrive.
    SenderDomainWithoutDot(String),
    /// The From header named addresses no one can write to before the one used.
    SenderSkipped(Vec<String>),
    /// The From header had no usable address; the sender was read from this header instead
    /// (`Reply-To`, `Sender` or `Return-Path`).
    SenderFromHeader(&'static str),
    /// Headers were written as raw 8-bit text (or raw ISO-2022-JP escapes) without RFC 2047
    /// encoding, and were read in this charset (its WHATWG name, such as `GBK`): the one the
    /// message declares for its text, or, when it declares none that fits, a guess.
    HeaderCharset {
        charset: &'static str,
        guessed: bool,
    },
}

/// Why some bytes could not be read as an email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotAMessage(pub String);

impl std::fmt::Display for NotAMessage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for NotAMessage {}

/// Reads a raw message.
pub fn read(raw: &[u8]) -> Result<Email, NotAMessage> {
    if raw.iter().all(u8::is_ascii_whitespace) {
        return Err(NotAMessage("the input is empty".into()));
    }
    let message = MessageParser::default()
        .parse(raw)
        .ok_or_else(|| NotAMessage("the input could not be parsed as an email".into()))?;
    let has_header = |name: &str| {
        message
            .headers()
            .iter()
            .any(|h| h.name().eq_ignore_ascii_case(name))
    };
    if !["From", "Message-ID", "Subject", "To", "Date"]
        .iter()
        .any(|name| has_header(name))
    {
        return Err(NotAMessage(
            "the input has none of the headers an email has (From, To, Subject, Date, Message-ID)"
                .into(),
        ));
    }

    let header_text = |name: &str| -> Option<String> {
        message
            .headers()
            .iter()
            .find(|h| h.name().eq_ignore_ascii_case(name))
            .and_then(|h| h.value().as_text().map(str::to_owned))
    };
    let mut notes = Vec::new();
    // Headers in raw 8-bit text are read again in the charset they were written in; the
    // addresses, names and subject then come from that reading. The raw bytes stay as they are.
    let decoded_head = decode_raw_headers(&message, raw).map(|(head, charset, guessed)| {
        notes.push(ReadNote::HeaderCharset { charset, guessed });
        head
    });
    let reread = decoded_head
        .as_deref()
        .and_then(|head| MessageParser::default().parse_headers(head));
    let head = reread.as_ref().unwrap_or(&message);
    let from = sender(head, &mut notes);
    let kind = classify(&message, from.as_ref(), &header_text);
    let text_body = message
        .body_text(0)
        .map(|t| t.into_owned())
        .unwrap_or_default();
    let (text, quoted) = split_quoted(&text_body);
    let html = message
        .body_html(0)
        .filter(|_| message.html_body_count() > 0)
        .map(|h| sanitize_html(&h));

    // A bounce's parts are the delivery report, not files anyone sent.
    let attachments = message
        .attachments()
        .filter(|_| kind != Kind::Bounce)
        .enumerate()
        .map(|(index, part)| {
            let content_type = part
                .content_type()
                .map(|ct| match ct.subtype() {
                    Some(sub) => format!("{}/{}", ct.ctype(), sub),
                    None => ct.ctype().to_owned(),
                })
                .unwrap_or_else(|| "application/octet-stream".to_owned())
                .to_ascii_lowercase();
            let inline = part
                .content_disposition()
                .is_some_and(|d| d.ctype().eq_ignore_ascii_case("inline"))
                || part.content_id().is_some();
            // A forwarded mail is named after its subject; a part without a name after its
            // type and place ("image-2.jpg"), so people can tell the files apart.
            let forwarded_subject = part
                .message()
                .map(|inner| inner.subject().unwrap_or_default().trim().to_owned());
            let filename = match (part.attachment_name(), forwarded_subject) {
                (Some(name), _) => clean_filename(name),
                (None, Some(subject)) => name_of_forwarded(&subject),
                (None, None) => name_of_part(&content_type, index + 1),
            };
            Attachment {
                filename,
                content_type,
                data: part.contents().to_vec(),
                inline,
            }
        })
        .collect();

    let bounced_ids = if kind == Kind::Bounce {
        message_ids_in(raw)
    } else {
        Vec::new()
    };
    Ok(Email {
        message_id: message.message_id().map(str::to_owned),
        in_reply_to: ids(message.in_reply_to()),
        references: ids(message.references()),
        reply_to: first_mailbox(head.reply_to()),
        to: mailboxes(head.to()),
        cc: mailboxes(head.cc()),
        subject: head.subject().unwrap_or_default().trim().to_owned(),
        date: head.date().map(|date| date.to_timestamp()),
        from,
        text,
        quoted,
        html,
        attachments,
        kind,
        bounced_ids,
        notes,
    })
}

/// The message's own header block with every header written as raw 8-bit text (bytes that are
/// not UTF-8, or ISO-2022-JP escapes) decoded to UTF-8, with the charset used and whether it
/// was guessed; `None` when every header is ASCII or UTF-8 already.
fn decode_raw_headers(
    message: &mail_parser::Message<'_>,
    raw: &[u8],
) -> Option<(Vec<u8>, &'static str, bool)> {
    // Only the headers Rapport reads from this reading; others (Received, X-...) keep their bytes.
    const READ: [&str; 6] = ["subject", "from", "to", "cc", "reply-to", "sender"];
    let headers: Vec<(bool, &[u8])> = message
        .headers()
        .iter()
        .filter_map(|h| {
            let bytes = raw.get(h.offset_field as usize..h.offset_end as usize)?;
            let read = READ.iter().any(|name| h.name().eq_ignore_ascii_case(name));
            let raw_8bit = bytes.contains(&0x1b) || std::str::from_utf8(bytes).is_err();
            Some((read && raw_8bit, bytes))
        })
        .collect();
    if !headers.iter().any(|(needs, _)| *needs) {
        return None;
    }
    let declared = declared_charset(message);
    let mut used: Option<(&'static Encoding, bool)> = None;
    let mut head = Vec::with_capacity(raw.len().min(64 * 1024));
    for (needs, bytes) in headers {
        if !needs {
            head.extend_from_slice(bytes);
        } else {
            let (text, encoding, guessed) = decode_header(bytes, declared);
            // The note names the first charset used; headers rarely mix two.
            used.get_or_insert((encoding, guessed));
            head.extend_from_slice(text.as_bytes());
        }
        if !head.ends_with(b"\n") {
            head.extend_from_slice(b"\r\n");
        }
    }
    head.extend_from_slice(b"\r\n");
    let (encoding, guessed) = used?;
    Some((head, encoding.name(), guessed))
}

/// One header's raw bytes as text: in the declared charset when it reads them without error,
/// as ISO-2022-JP when they carry its escapes, else in the charset the bytes look like.
fn decode_header(
    bytes: &[u8],
    declared: Option<&'static Encoding>,
) -> (String, &'static Encoding, bool) {
    let iso_2022_jp = [b"\x1b$B".as_slice(), b"\x1b$@", b"\x1b(J", b"\x1b(B"]
        .iter()
        .any(|escape| bytes.windows(3).any(|w| w == *escape));
    if let Some(encoding) = declared.filter(|e| !iso_2022_jp || *e == encoding_rs::ISO_2022_JP)
        && let Some(text) = encoding.decode_without_bom_handling_and_without_replacement(bytes)
    {
        return (text.into_owned(), encoding, false);
    }
    let encoding = if iso_2022_jp {
        encoding_rs::ISO_2022_JP
    } else {
        let mut detector = chardetng::EncodingDetector::new();
        detector.feed(bytes, true);
        detector.guess(None, true)
    };
    let (text, _) = encoding.decode_without_bom_handling(bytes);
    (text.into_owned(), encoding, true)
}

/// The charset the message declares for its first text part, when it says one that can
/// describe 8-bit text: US-ASCII and UTF-8 cannot (a header that is not UTF-8 was not written in
/// them), and `encoding_rs` would read US-ASCII as Windows-1252, which decodes anything.
fn declared_charset(message: &mail_parser::Message<'_>) -> Option<&'static Encoding> {
    let label = message.parts.iter().find_map(|part| {
        let ct = part.content_type()?;
        if !ct.ctype().eq_ignore_ascii_case("text") {
            return None;
        }
        ct.attribute("charset").map(str::trim)
    })?;
    let lower = label.to_ascii_lowercase();
    if matches!(
        lower.as_str(),
        "us-ascii" | "ascii" | "us_ascii" | "ansi_x3.4-1968" | "7bit" | "8bit"
    ) {
        return None;
    }
    Encoding::for_label(label.as_bytes()).filter(|e| *e != encoding_rs::UTF_8)
}

fn ids(value: &HeaderValue<'_>) -> Vec<String> {
    match value {
        HeaderValue::Text(id) => vec![id.to_string()],
        HeaderValue::TextList(list) => list.iter().map(|id| id.to_string()).collect(),
        _ => Vec::new(),
    }
}

fn mailboxes(address: Option<&Address<'_>>) -> Vec<Mailbox> {
    let Some(address) = address else {
        return Vec::new();
    };
    address
        .iter()
        .filter_map(|addr| recover(addr.address(), addr.name()).map(|(mailbox, _)| mailbox))
        .collect()
}

fn first_mailbox(address: Option<&Address<'_>>) -> Option<Mailbox> {
    mailboxes(address).into_iter().next()
}

/// Who wrote the mail: the first address of From a lenient reader can recover, else Reply-To,
/// Sender or Return-Path. What had to be mended is noted.
fn sender(message: &mail_parser::Message<'_>, notes: &mut Vec<ReadNote>) -> Option<Mailbox> {
    let mut skipped = Vec::new();
    let mut found = None;
    if let Some(from) = message.from() {
        for addr in from.iter() {
            match recover(addr.address(), addr.name()) {
                Some(recovered) => {
                    found = Some(recovered);
                    break;
                }
                None => {
                    let written = addr.address().unwrap_or_default().trim();
                    if !written.is_empty() {
                        skipped.push(written.to_owned());
                    }
                }
            }
        }
    }
    if found.is_none() {
        let fallbacks = [
            ("Reply-To", first_recovered(message.reply_to())),
            ("Sender", first_recovered(message.sender())),
            (
                "Return-Path",
                match message.return_path() {
                    HeaderValue::Text(path) => recover(Some(path), None),
                    HeaderValue::TextList(paths) => {
                        paths.iter().find_map(|path| recover(Some(path), None))
                    }
                    HeaderValue::Address(address) => first_recovered(Some(address)),
                    _ => None,
                },
            ),
        ];
        if let Some((header, recovered)) = fallbacks
            .into_iter()
            .find_map(|(header, recovered)| Some((header, recovered?)))
        {
            notes.push(ReadNote::SenderFromHeader(header));
            found = Some(recovered);
        }
    }
    let (mailbox, mended) = found?;
    if !skipped.is_empty() {
        notes.push(ReadNote::SenderSkipped(skipped));
    }
    if let Some(written) = mended {
        notes.push(ReadNote::SenderMended {
            written,
            read: mailbox.address.clone(),
        });
    }
    let domain = mailbox
        .address
        .rsplit_once('@')
        .map(|(_, d)| d)
        .unwrap_or_default();
    if !domain.contains('.') {
        notes.push(ReadNote::SenderDomainWithoutDot(mailbox.address.clone()));
    }
    Some(mailbox)
}

fn first_recovered(address: Option<&Address<'_>>) -> Option<(Mailbox, Option<String>)> {
    address?
        .iter()
        .find_map(|addr| recover(addr.address(), addr.name()))
}

/// The address a person meant, read leniently from what their mail program wrote: quotes,
/// `mailto:`, angle brackets and trailing dots dropped, a display name run into the address
/// (`test test@example.com`) split off, a doubled `@` or dot made single. `None` when no
/// address can be found at all. With the mailbox, the address as written when it had to be
/// mended.
fn recover(address: Option<&str>, name: Option<&str>) -> Option<(Mailbox, Option<String>)> {
    let name = name.map(str::trim).filter(|n| !n.is_empty());
    // An address written where the name goes (`ana@example.com <>`).
    let written = match address.map(str::trim).filter(|a| !a.is_empty()) {
        Some(address) => address,
        None => name.filter(|n| n.contains('@') && !n.contains(' '))?,
    };
    if written.len() > 512 || written.chars().any(char::is_control) {
        return None;
    }
    let trimmed = written.trim_matches(|c: char| {
        c.is_whitespace() || matches!(c, '<' | '>' | '"' | '\'' | ',' | ';' | '(' | ')')
    });
    let trimmed = match trimmed.get(..7) {
        Some(scheme) if scheme.eq_ignore_ascii_case("mailto:") => &trimmed[7..],
        _ => trimmed,
    };
    // Words before the address are a name run into it; "ana @example.com" is one address.
    let words: Vec<&str> = trimmed.split_whitespace().collect();
    let at = words.iter().rposition(|w| w.contains('@'))?;
    let mut joined = words[at].to_owned();
    let mut first_word = at;
    if joined.starts_with('@') && at > 0 {
        joined = format!("{}{joined}", words[at - 1]);
        first_word = at - 1;
    }
    if joined.ends_with('@')
        && let Some(next) = words.get(at + 1)
    {
        joined.push_str(next);
    }
    let run_in_name = words[..first_word].join(" ");
    let mut address = joined.to_lowercase();
    while address.contains("@@") {
        address = address.replace("@@", "@");
    }
    let (local, domain) = address.split_once('@')?;
    let local = local.trim_matches('.');
    let mut domain = domain
        .trim_matches(|c: char| c == '.' || c == '>')
        .to_owned();
    while domain.contains("..") {
        domain = domain.replace("..", ".");
    }
    let domain_ok = !domain.is_empty()
        && domain.chars().all(|c| {
            c.is_alphanumeric() || c == '-' || c == '.' || c == '[' || c == ']' || c == ':'
        });
    let local_ok = !local.is_empty() && !local.contains(['<', '>', '@', ' ']);
    if !domain_ok || !local_ok {
        return None;
    }
    let address = format!("{local}@{domain}");
    if address.len() > 254 {
        return None;
    }
    let mended = (address != written.to_lowercase()).then(|| written.to_owned());
    let name = name
        .map(str::to_owned)
        .or_else(|| (!run_in_name.is_empty()).then_some(run_in_name))
        .filter(|n| !n.eq_ignore_ascii_case(&address));
    Some((Mailbox { address, name }, mended))
}

fn classify(
    message: &mail_parser::Message<'_>,
    from: Option<&Mailbox>,
    header: &dyn Fn(&str) -> Option<String>,
) -> Kind {
    let is_report = message.content_type().is_some_and(|ct| {
        ct.ctype().eq_ignore_ascii_case("multipart")
            && ct
                .subtype()
                .is_some_and(|s| s.eq_ignore_ascii_case("report"))
    });
    let from_daemon = from.is_some_and(|f| {
        let local = f.address.split('@').next().unwrap_or_default();
        local == "mailer-daemon" || local == "postmaster"
    });
    if is_report || from_daemon {
        return Kind::Bounce;
    }
    let auto_submitted =
        header("Auto-Submitted").is_some_and(|v| !v.trim().eq_ignore_ascii_case("no"));
    let precedence = header("Precedence").map(|v| v.trim().to_ascii_lowercase());
    if auto_submitted
        || header("X-Autoreply").is_some()
        || header("X-Autorespond").is_some()
        || header("X-Auto-Response-Suppress")
            .is_some_and(|v| v.to_ascii_lowercase().contains("all"))
        || precedence.as_deref() == Some("auto_reply")
    {
        return Kind::AutoReply;
    }
    if matches!(precedence.as_deref(), Some("bulk" | "junk" | "list")) {
        return Kind::Bulk;
    }
    Kind::Personal
}

/// Every `Message-ID:` value in the raw text, for finding which of our mails bounced: the
/// report embeds the original's headers.
fn message_ids_in(raw: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(raw);
    text.lines()
        .filter_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.trim().eq_ignore_ascii_case("message-id").then(|| {
                value
                    .trim()
                    .trim_start_matches('<')
                    .trim_end_matches('>')
                    .to_owned()
            })
        })
        .filter(|id| !id.is_empty())
        .collect()
}

/// A forwarded mail's file name: its subject, made safe for a file name, with `.eml`.
fn name_of_forwarded(subject: &str) -> String {
    let stem: String = subject
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || " -_.,()".contains(c) {
                c
            } else {
                '_'
            }
        })
        .take(80)
        .collect();
    let stem = stem.trim().trim_matches('.');
    if stem.is_empty() {
        "forwarded-message.eml".to_owned()
    } else {
        format!("{stem}.eml")
    }
}

/// An unnamed part's file name from its type and place: `image-2.jpg`, `part-3.html`.
fn name_of_part(content_type: &str, number: usize) -> String {
    let (kind, sub) = content_type.split_once('/').unwrap_or((content_type, ""));
    let extension = match sub {
        "jpeg" | "jpg" | "pjpeg" => "jpg",
        "png" => "png",
        "gif" => "gif",
        "webp" => "webp",
        "svg+xml" => "svg",
        "pdf" => "pdf",
        "html" => "html",
        "plain" => "txt",
        "csv" => "csv",
        "calendar" => "ics",
        "rfc822" => "eml",
        "zip" => "zip",
        "msword" => "doc",
        "vnd.openxmlformats-officedocument.wordprocessingml.document" => "docx",
        "vnd.ms-excel" => "xls",
        "vnd.openxmlformats-officedocument.spreadsheetml.sheet" => "xlsx",
        "json" => "json",
        "xml" => "xml",
        _ => "bin",
    };
    let stem = if kind == "image" { "image" } else { "part" };
    format!("{stem}-{number}.{extension}")
}

fn clean_filename(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let cleaned: String = base.chars().filter(|c| !c.is_control()).collect();
    let cleaned = cleaned.trim().trim_start_matches('.').to_owned();
    if cleaned.is_empty() {
        "attachment".to_owned()
    } else {
        cleaned.chars().take(200).collect()
    }
}

/// Splits a reply into what the sender wrote now and the quoted history below it: the first
/// line that starts a quote (`> `, "On ... wrote:", an Outlook "-----Original Message-----" or
/// "From: ... Sent:" block) begins the history.
pub fn split_quoted(text: &str) -> (String, String) {
    let lines: Vec<&str> = text.lines().collect();
    let starts_quote = |index: usize| {
        let line = lines[index].trim();
        let next = lines.get(index + 1).map(|l| l.trim()).unwrap_or_default();
        line.starts_with('>')
            || (line.starts_with("On ") && (line.ends_with("wrote:") || next.ends_with("wrote:")))
            || line.starts_with("-----Original Message-----")
            || (line.starts_with("From:")
                && lines
                    .iter()
                    .skip(index + 1)
                    .take(4)
                    .any(|l| l.trim_start().starts_with("Sent:")))
    };
    match (0..lines.len()).find(|&index| starts_quote(index)) {
        Some(index) if index > 0 => (
            lines[..index].join("\n").trim().to_owned(),
            lines[index..].join("\n").trim().to_owned(),
        ),
        // All quote, or no quote: keep everything as the text.
        _ => (text.trim().to_owned(), String::new()),
    }
}

/// HTML safe to show in the agent's browser: no scripts, no event handlers, no styles that
/// could hide or overlay content, links opened safely.
pub fn sanitize_html(html: &str) -> String {
    ammonia::Builder::default()
        .link_rel(Some("noopener noreferrer nofollow"))
        .clean(html)
        .to_string()
}

/// The ticket a reply names, from a plus address (`support+t1234@...`) or the subject (`[#1234]`).
pub fn ticket_token(recipients: &[Mailbox], subject: &str) -> Option<i64> {
    let from_address = recipients.iter().find_map(|mailbox| {
        let local = mailbox.address.split('@').next()?;
        let (_, tag) = local.split_once('+')?;
        tag.strip_prefix('t')?.parse::<i64>().ok()
    });
    from_address.or_else(|| {
        let start = subject.find("[#")?;
        let rest = &subject[start + 2..];
        let end = rest.find(']')?;
        rest[..end].trim().parse::<i64>().ok()
    })
}

/// The key that makes ingestion idempotent: the Message-ID, or the bytes' digest without one.
pub fn dedupe_key(message_id: Option<&str>, raw: &[u8]) -> String {
    match message_id.map(str::trim).filter(|id| !id.is_empty()) {
        Some(id) => format!("id:{id}"),
        None => format!("sha256:{}", sha256_hex(raw)),
    }
}

/// The header block of a raw mail (up to and with the blank line that ends it), cut at `max`
/// bytes: what is kept of a mail too large to store, so an admin can still see who sent what.
pub fn header_block(raw: &[u8], max: usize) -> &[u8] {
    let head = &raw[..raw.len().min(max)];
    let end = head
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|at| at + 4)
        .into_iter()
        .chain(head.windows(2).position(|w| w == b"\n\n").map(|at| at + 2))
        .min();
    &head[..end.unwrap_or(head.len())]
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_header_block_ends_at_the_blank_line_or_at_the_cut() {
        use super::header_block;
        let crlf = b"From: a@example.com\r\nSubject: Big\r\n\r\nbody\r\n\r\nmore";
        assert_eq!(
            header_block(crlf, 1000),
            b"From: a@example.com\r\nSubject: Big\r\n\r\n"
        );
        let lf = b"From: a@example.com\nSubject: Big\n\nbody";
        assert_eq!(
            header_block(lf, 1000),
            b"From: a@example.com\nSubject: Big\n\n"
        );
        assert_eq!(header_block(crlf, 10), b"From: a@ex");
        assert_eq!(header_block(b"no blank line", 100), b"no blank line");
        assert_eq!(header_block(b"", 100), b"");
    }

    use super::*;

    #[test]
    fn quoted_history_is_split_off() {
        let (new, quoted) =
            split_quoted("Still broken.\n\nOn Mon, 23 Nov 2026, Sam wrote:\n> Try again?");
        assert_eq!(new, "Still broken.");
        assert!(quoted.starts_with("On Mon"));
        let (new, quoted) = split_quoted("Thanks!\n-----Original Message-----\nFrom: Sam");
        assert_eq!((new.as_str(), quoted.is_empty()), ("Thanks!", false));
        assert_eq!(split_quoted("No quotes here.").1, "");
    }

    #[test]
    fn tokens_from_addresses_and_subjects() {
        let to = vec![Mailbox {
            address: "support+t42@rapport.example".into(),
            name: None,
        }];
        assert_eq!(ticket_token(&to, "Re: hello"), Some(42));
        assert_eq!(ticket_token(&[], "Re: Printer [#1234]"), Some(1234));
        assert_eq!(ticket_token(&[], "Re: Printer"), None);
        assert_eq!(ticket_token(&[], "[#abc]"), None);
    }

    #[test]
    fn html_is_sanitized() {
        let clean = sanitize_html(
            "<p onclick=\"x()\">Hi<script>alert(1)</script><a href=\"https://e.example\">x</a></p>",
        );
        assert!(!clean.contains("script") && !clean.contains("onclick"));
        assert!(clean.contains("noopener"));
    }

    #[test]
    fn unnamed_parts_are_named_after_their_type_and_forwarded_mail_after_its_subject() {
        let raw = b"From: Ana <ana@example.com>\r\nTo: help@example.com\r\nSubject: Fwd\r\nMessage-ID: <f@example.com>\r\n\
Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nSee below.\r\n\
--b\r\nContent-Type: message/rfc822\r\n\r\nFrom: Bo <bo@example.com>\r\nSubject: Invoice 42 / March\r\n\r\nPay me.\r\n\
--b\r\nContent-Type: image/jpeg\r\nContent-Transfer-Encoding: base64\r\n\r\n/9j/4AAQ\r\n--b--\r\n";
        let email = read(raw).expect("a message");
        let names: Vec<&str> = email
            .attachments
            .iter()
            .map(|a| a.filename.as_str())
            .collect();
        assert_eq!(names, ["Invoice 42 _ March.eml", "image-2.jpg"]);
        assert_eq!(name_of_part("text/html", 3), "part-3.html");
        assert_eq!(name_of_forwarded("  "), "forwarded-message.eml");
    }

    #[test]
    fn filenames_lose_paths() {
        assert_eq!(clean_filename("../../etc/passwd"), "passwd");
        assert_eq!(clean_filename("C:\\Users\\ana\\report.pdf"), "report.pdf");
        assert_eq!(clean_filename(".."), "attachment");
    }

    #[test]
    fn not_messages() {
        assert!(read(b"").is_err());
        assert!(read(b"hello world, this is not an email").is_err());
    }
}

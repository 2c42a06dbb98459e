//! Each message under `fixtures/` with what it must read as beside it (`NAME.json`).

use rapport_mail::{Kind, ReadNote, read, ticket_token};
use serde_json::Value;
use std::path::Path;

#[test]
fn every_fixture_reads_as_expected() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).expect("fixtures") {
        let path = entry.expect("entry").path();
        if path.extension().and_then(|e| e.to_str()) != Some("eml") {
            continue;
        }
        let raw = std::fs::read(&path).expect("read fixture");
        let expected: Value = serde_json::from_str(
            &std::fs::read_to_string(path.with_extension("json")).expect("expected json"),
        )
        .expect("json");
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_owned();
        checked += 1;
        if let Some(error) = expected["error"].as_str() {
            let err = read(&raw).expect_err(&name);
            assert!(err.0.contains(error), "{name}: {err}");
            continue;
        }
        let email = read(&raw).unwrap_or_else(|err| panic!("{name}: {err}"));
        match email.from.as_ref() {
            Some(from) => {
                assert_eq!(from.address, expected["from"], "{name}");
                assert_eq!(from.name.as_deref(), expected["name"].as_str(), "{name}");
            }
            None => assert!(expected["from"].is_null(), "{name}: no sender read"),
        }
        if let Some(charset) = expected["charset"].as_str() {
            let read = email.notes.iter().find_map(|note| match note {
                ReadNote::HeaderCharset { charset, guessed } => Some((*charset, *guessed)),
                _ => None,
            });
            assert_eq!(
                read,
                Some((charset, expected["charset_guessed"] == true)),
                "{name}"
            );
        }
        if let Some(notes) = expected["notes"].as_array() {
            let got: Vec<&str> = email.notes.iter().map(note_kind).collect();
            assert_eq!(
                got,
                notes.iter().filter_map(Value::as_str).collect::<Vec<_>>(),
                "{name}: {:?}",
                email.notes
            );
        }
        assert_eq!(email.subject, expected["subject"], "{name}");
        let kind = match email.kind {
            Kind::Personal => "personal",
            Kind::AutoReply => "auto_reply",
            Kind::Bounce => "bounce",
            Kind::Bulk => "bulk",
        };
        assert_eq!(kind, expected["kind"], "{name}");
        let attachments: Vec<Value> = email
            .attachments
            .iter()
            .map(|a| serde_json::json!([a.filename, a.content_type, a.data.len()]))
            .collect();
        assert_eq!(Value::Array(attachments), expected["attachments"], "{name}");
        if let Some(text) = expected["text_contains"].as_str() {
            assert!(email.text.contains(text), "{name}: {:?}", email.text);
        }
        if let Some(text) = expected["text_is"].as_str() {
            assert_eq!(email.text, text, "{name}");
        }
        if let Some(quoted) = expected["quoted_contains"].as_str() {
            assert!(email.quoted.contains(quoted), "{name}: {:?}", email.quoted);
        }
        if let Some(lacks) = expected["html_lacks"].as_str() {
            let html = email.html.as_deref().expect("html");
            assert!(!html.contains(lacks), "{name}: {html}");
        }
        if let Some(ids) = expected["in_reply_to"].as_array() {
            assert_eq!(
                email.in_reply_to,
                ids.iter().filter_map(Value::as_str).collect::<Vec<_>>(),
                "{name}"
            );
        }
        if let Some(ids) = expected["references"].as_array() {
            assert_eq!(
                email.references,
                ids.iter().filter_map(Value::as_str).collect::<Vec<_>>(),
                "{name}"
            );
        }
        if let Some(cc) = expected["cc"].as_array() {
            let got: Vec<&str> = email.cc.iter().map(|m| m.address.as_str()).collect();
            assert_eq!(
                got,
                cc.iter().filter_map(Value::as_str).collect::<Vec<_>>(),
                "{name}"
            );
        }
        if let Some(token) = expected["token"].as_i64() {
            assert_eq!(
                ticket_token(&email.to, &email.subject),
                Some(token),
                "{name}"
            );
        }
        if let Some(bounced) = expected["bounced"].as_str() {
            assert!(
                email.bounced_ids.iter().any(|id| id == bounced),
                "{name}: {:?}",
                email.bounced_ids
            );
        }
    }
    assert!(checked >= 25, "fixtures found: {checked}");
}

fn note_kind(note: &ReadNote) -> &'static str {
    match note {
        ReadNote::SenderMended { .. } => "sender_mended",
        ReadNote::SenderDomainWithoutDot(_) => "sender_domain_without_dot",
        ReadNote::SenderSkipped(_) => "sender_skipped",
        ReadNote::SenderFromHeader(_) => "sender_from_header",
        ReadNote::HeaderCharset { .. } => "header_charset",
    }
}

//! Feeds arbitrary bytes to the part of ingestion that reads untrusted mail: parsing,
//! classification, quoted-history splitting, ticket tokens and the dedupe key must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let key = rapport_mail::dedupe_key(None, data);
    assert!(key.starts_with("sha256:"));
    if let Ok(email) = rapport_mail::read(data) {
        let _ = rapport_mail::split_quoted(&email.text);
        let _ = rapport_mail::ticket_token(&email.to, &email.subject);
        let _ = rapport_mail::dedupe_key(email.message_id.as_deref(), data);
        if let Some(html) = &email.html {
            assert!(
                !html.to_ascii_lowercase().contains("<script"),
                "sanitized HTML kept a script"
            );
        }
    }
});

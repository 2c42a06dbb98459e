//! Feeds arbitrary bytes to the part of ingestion that reads untrusted mail: parsing,
//! classification, quoted-history splitting, ticket tokens and the dedupe key must never panic,
//! and a sender read leniently (mended, or from another header) must still be one address.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let key = rapport_mail::dedupe_key(None, data);
    assert!(key.starts_with("sha256:"));
    if let Ok(email) = rapport_mail::read(data) {
        // A sender read leniently is still one address a mail can go to.
        if let Some(from) = &email.from {
            let address = &from.address;
            assert!(
                address.matches('@').count() == 1
                    && !address.starts_with('@')
                    && !address.ends_with('@')
                    && !address.contains(char::is_whitespace)
                    && address.len() <= 254,
                "the sender {address:?} is not an address"
            );
        }
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

//! Checks on what people type: email addresses, subjects, tags. Each failure names the field
//! and says, in a sentence, what would be accepted instead.

use std::fmt;

/// A value a person supplied that cannot be accepted, with the field it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    pub field: &'static str,
    pub message: String,
}

impl Invalid {
    pub fn new(field: &'static str, message: impl Into<String>) -> Self {
        Self {
            field,
            message: message.into(),
        }
    }
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Invalid {}

pub const MAX_SUBJECT_CHARS: usize = 250;
pub const MAX_NAME_CHARS: usize = 200;
pub const MAX_BODY_BYTES: usize = 1_000_000;
pub const MAX_TAG_CHARS: usize = 50;
pub const MAX_TAGS: usize = 30;

/// Lower-cases and trims an email address and checks its shape. The check is deliberately
/// modest (one `@`, a non-empty local part, a domain with a dot, no spaces): the real test of an
/// address is whether mail arrives, and rejecting an unusual but valid address loses a customer.
pub fn email(raw: &str) -> Result<String, Invalid> {
    let address = raw.trim().to_lowercase();
    let bad = |why: &str| {
        Invalid::new(
            "email",
            format!("`{}` is not an email address: {why}", raw.trim()),
        )
    };
    if address.is_empty() {
        return Err(Invalid::new("email", "an email address is required"));
    }
    if address.len() > 254 {
        return Err(bad("it is longer than 254 characters"));
    }
    if address.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad("it contains a space"));
    }
    let Some((local, domain)) = address.rsplit_once('@') else {
        return Err(bad("it has no `@`"));
    };
    if local.is_empty() {
        return Err(bad("nothing comes before the `@`"));
    }
    if !domain.contains('.') || domain.starts_with('.') || domain.ends_with('.') {
        return Err(bad(
            "the part after the `@` is not a domain such as example.com",
        ));
    }
    if domain.contains('@') || domain.contains("..") {
        return Err(bad("the domain is malformed"));
    }
    Ok(address)
}

/// The domain part of an already validated address.
pub fn email_domain(address: &str) -> &str {
    address
        .rsplit_once('@')
        .map(|(_, domain)| domain)
        .unwrap_or_default()
}

/// Normalizes an organization's mail domain ("Example.COM " becomes "example.com").
pub fn domain(raw: &str) -> Result<String, Invalid> {
    let domain = raw.trim().trim_start_matches('@').to_lowercase();
    let valid = domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && domain.len() <= 253
        && domain
            .chars()
            .all(|c| c.is_alphanumeric() || c == '-' || c == '.');
    if valid {
        Ok(domain)
    } else {
        Err(Invalid::new(
            "domains",
            format!("`{}` is not a mail domain such as example.com", raw.trim()),
        ))
    }
}

/// A one-line, non-empty piece of text such as a subject or a name, trimmed.
pub fn line(field: &'static str, raw: &str, max_chars: usize) -> Result<String, Invalid> {
    let text = raw.trim();
    if text.is_empty() {
        return Err(Invalid::new(field, format!("`{field}` must not be empty")));
    }
    if text.chars().count() > max_chars {
        return Err(Invalid::new(
            field,
            format!("`{field}` is longer than {max_chars} characters"),
        ));
    }
    if text.chars().any(|c| c.is_control()) {
        return Err(Invalid::new(
            field,
            format!("`{field}` must be a single line of text"),
        ));
    }
    Ok(text.to_owned())
}

/// The text of a message: must say something, and must fit.
pub fn body(raw: &str) -> Result<String, Invalid> {
    if raw.trim().is_empty() {
        return Err(Invalid::new("body", "`body` must not be empty"));
    }
    if raw.len() > MAX_BODY_BYTES {
        return Err(Invalid::new(
            "body",
            format!("`body` is larger than {MAX_BODY_BYTES} bytes"),
        ));
    }
    if raw.contains('\0') {
        let message = "`body` contains a NUL character, which text cannot hold";
        return Err(Invalid::new("body", message));
    }
    Ok(raw.trim_end().to_owned())
}

/// Normalizes a list of tags: lower case, trimmed, inner spaces become `-`, duplicates removed,
/// sorted so that the same set always reads the same way.
pub fn tags(raw: &[String]) -> Result<Vec<String>, Invalid> {
    let mut tags = Vec::with_capacity(raw.len());
    for tag in raw {
        let tag = tag
            .trim()
            .to_lowercase()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join("-");
        if tag.is_empty() {
            return Err(Invalid::new("tags", "a tag must not be empty"));
        }
        if tag.chars().count() > MAX_TAG_CHARS {
            return Err(Invalid::new(
                "tags",
                format!("the tag `{tag}` is longer than {MAX_TAG_CHARS} characters"),
            ));
        }
        if let Some(bad) = tag
            .chars()
            .find(|c| !(c.is_alphanumeric() || matches!(c, '-' | '_' | ':' | '/' | '.')))
        {
            return Err(Invalid::new(
                "tags",
                format!("the tag `{tag}` contains `{bad}`; use letters, digits and - _ : / ."),
            ));
        }
        tags.push(tag);
    }
    tags.sort();
    tags.dedup();
    if tags.len() > MAX_TAGS {
        return Err(Invalid::new(
            "tags",
            format!("a ticket can carry at most {MAX_TAGS} tags"),
        ));
    }
    Ok(tags)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalized() {
        assert_eq!(
            email("  Ana.Silva@Example.COM ").as_deref(),
            Ok("ana.silva@example.com")
        );
        assert_eq!(email_domain("ana@example.com"), "example.com");
    }

    #[test]
    fn malformed_emails_say_why() {
        for (raw, why) in [
            ("", "required"),
            ("ana", "no `@`"),
            ("@example.com", "nothing comes before"),
            ("ana@localhost", "not a domain"),
            ("ana silva@example.com", "space"),
            ("ana@exa..mple.com", "malformed"),
        ] {
            let err = email(raw).expect_err(raw);
            assert!(err.message.contains(why), "{raw}: {}", err.message);
            assert_eq!(err.field, "email");
        }
    }

    #[test]
    fn tags_are_normalized_sorted_and_unique() {
        let raw = vec!["VIP".into(), " billing issue ".into(), "vip".into()];
        assert_eq!(
            tags(&raw),
            Ok(vec!["billing-issue".to_owned(), "vip".to_owned()])
        );
    }

    #[test]
    fn bad_tags_are_refused() {
        assert!(tags(&["".into()]).is_err());
        assert!(
            tags(&["a<b".into()])
                .expect_err("angle bracket")
                .message
                .contains('<')
        );
        assert!(tags(&["x".repeat(51)]).is_err());
    }

    #[test]
    fn lines_are_trimmed_and_bounded() {
        assert_eq!(line("subject", "  Hello ", 10).as_deref(), Ok("Hello"));
        assert!(line("subject", "   ", 10).is_err());
        assert!(line("subject", "a\nb", 10).is_err());
        assert!(line("subject", "abcdefghijk", 10).is_err());
    }

    #[test]
    fn domains_are_normalized() {
        assert_eq!(domain("@Example.com").as_deref(), Ok("example.com"));
        assert!(domain("not a domain").is_err());
    }
}

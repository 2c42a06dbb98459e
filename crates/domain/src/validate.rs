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

/// Mail services anyone may sign up to: an address there says nothing about the company a
/// person works for, so no organization may claim one of these domains.
const PUBLIC_MAIL_DOMAINS: &[&str] = &[
    "gmail.com",
    "googlemail.com",
    "outlook.com",
    "hotmail.com",
    "live.com",
    "msn.com",
    "yahoo.com",
    "ymail.com",
    "rocketmail.com",
    "aol.com",
    "icloud.com",
    "me.com",
    "mac.com",
    "proton.me",
    "protonmail.com",
    "pm.me",
    "gmx.com",
    "gmx.net",
    "gmx.de",
    "web.de",
    "mail.com",
    "email.com",
    "zoho.com",
    "fastmail.com",
    "hey.com",
    "yandex.com",
    "yandex.ru",
    "mail.ru",
    "qq.com",
    "163.com",
    "126.com",
    "naver.com",
    "t-online.de",
    "orange.fr",
    "free.fr",
    "laposte.net",
    "libero.it",
    "seznam.cz",
    "btinternet.com",
    "comcast.net",
    "rediffmail.com",
    "tutanota.com",
];

/// The families of public mail services with a domain per country (`yahoo.co.uk`, `hotmail.fr`).
const PUBLIC_MAIL_FAMILIES: &[&str] = &["gmail", "yahoo", "hotmail", "outlook", "gmx", "yandex"];

/// Whether `domain` (normalized) is a public mail service's, such as gmail.com.
pub fn is_public_mail_domain(domain: &str) -> bool {
    let first_label = domain.split('.').next().unwrap_or_default();
    PUBLIC_MAIL_DOMAINS.contains(&domain) || PUBLIC_MAIL_FAMILIES.contains(&first_label)
}

/// An organization's mail domain, normalized; a public mail service's domain (gmail.com,
/// outlook.com, ...) is refused, since its addresses belong to people of every company.
pub fn organization_domain(raw: &str) -> Result<String, Invalid> {
    let domain = domain(raw).map_err(|err| Invalid::new("domain", err.message))?;
    if is_public_mail_domain(&domain) {
        return Err(Invalid::new(
            "domain",
            format!(
                "{domain} is a public mail service that people of every company use, so it cannot \
                 attach customers to one organization; add the company's own domain instead"
            ),
        ));
    }
    Ok(domain)
}

pub const MAX_PHONE_CHARS: usize = 40;
pub const MAX_NOTES_CHARS: usize = 5_000;

/// A phone number as people write it (`+44 20 7946 0000`, `(555) 010-2000 ext. 12`): digits
/// with the usual punctuation; empty means none.
pub fn phone(raw: &str) -> Result<Option<String>, Invalid> {
    let phone = raw.trim();
    if phone.is_empty() {
        return Ok(None);
    }
    let digits = phone.chars().filter(char::is_ascii_digit).count();
    let allowed = |c: char| {
        c.is_ascii_alphanumeric()
            || matches!(c, ' ' | '+' | '-' | '(' | ')' | '.' | '/' | '#' | '*')
    };
    if phone.chars().count() > MAX_PHONE_CHARS {
        return Err(Invalid::new(
            "phone",
            format!("a phone number has at most {MAX_PHONE_CHARS} characters"),
        ));
    }
    if digits < 3 || !phone.chars().all(allowed) {
        return Err(Invalid::new(
            "phone",
            format!(
                "{phone} is not a phone number: use digits, with + - ( ) and spaces if you like"
            ),
        ));
    }
    Ok(Some(phone.to_owned()))
}

/// Notes kept about a customer or an organization: free text, several lines; empty means none.
pub fn notes(raw: &str) -> Result<Option<String>, Invalid> {
    let notes = raw.trim();
    if notes.is_empty() {
        return Ok(None);
    }
    if notes.chars().count() > MAX_NOTES_CHARS {
        return Err(Invalid::new(
            "notes",
            format!(
                "notes are at most {MAX_NOTES_CHARS} characters; keep the longer story in a ticket's note"
            ),
        ));
    }
    if notes.contains('\0') {
        return Err(Invalid::new(
            "notes",
            "the notes contain a NUL character, which text cannot hold",
        ));
    }
    Ok(Some(notes.to_owned()))
}

/// A one-line, non-empty piece of text such as a subject or a name, trimmed.
/// An optional one-line detail (a title, a phone number): `None` when blank.
pub fn optional_line(
    field: &'static str,
    raw: &str,
    max_chars: usize,
) -> Result<Option<String>, Invalid> {
    if raw.trim().is_empty() {
        return Ok(None);
    }
    line(field, raw, max_chars).map(Some)
}

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

pub const MIN_PASSWORD_CHARS: usize = 10;

/// The passwords attackers try first, one a line, lower case (see the file's comment).
const COMMON_PASSWORDS: &str = include_str!("../data/common-passwords.txt");

/// A new password for an agent: long enough, and not one an attacker guesses early (a
/// character or a few repeated, a run such as `1234567890` or `qwertyuiop`, or one of the most
/// common passwords, compared in lower case).
pub fn password(raw: &str) -> Result<(), Invalid> {
    let refuse = |why: &str| {
        Err(Invalid::new(
            "password",
            format!("{why}; a phrase of a few unrelated words is long and easy to remember"),
        ))
    };
    let chars: Vec<char> = raw.to_lowercase().chars().collect();
    if chars.len() < MIN_PASSWORD_CHARS {
        return refuse(&format!(
            "the password must have at least {MIN_PASSWORD_CHARS} characters"
        ));
    }
    if repeats_a_few_characters(&chars) {
        return refuse("the password only repeats one or a few characters");
    }
    if is_a_run(&chars) {
        return refuse("the password is a simple run of characters, like 1234567890 or qwertyuiop");
    }
    let lower: String = chars.iter().collect();
    if COMMON_PASSWORDS
        .lines()
        .any(|common| !common.starts_with('#') && common == lower)
    {
        return refuse("the password is one of the most common passwords, which are tried first");
    }
    Ok(())
}

/// `aaaaaaaaaa`, `abababababab`, `123412341234`: a unit of up to four characters, repeated.
fn repeats_a_few_characters(chars: &[char]) -> bool {
    (1..=4).any(|unit| {
        unit < chars.len()
            && chars
                .iter()
                .enumerate()
                .all(|(at, c)| *c == chars[at % unit])
    })
}

/// Steps through a row of the keyboard, the digits or the alphabet (either way, wrapping
/// around), or through code points at a fixed step (`acegikmoqs`).
fn is_a_run(chars: &[char]) -> bool {
    const ROWS: &[&str] = &[
        "0123456789",
        "abcdefghijklmnopqrstuvwxyz",
        "qwertyuiopasdfghjklzxcvbnm",
        "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p",
    ];
    let text: String = chars.iter().collect();
    let along_a_row = ROWS.iter().any(|row| {
        let forward = row.repeat(3);
        let backward: String = forward.chars().rev().collect();
        forward.contains(&text) || backward.contains(&text)
    });
    let step = i64::from(u32::from(chars[1])) - i64::from(u32::from(chars[0]));
    let fixed_step = (1..=2).contains(&step.abs())
        && chars
            .windows(2)
            .all(|pair| i64::from(u32::from(pair[1])) - i64::from(u32::from(pair[0])) == step);
    along_a_row || fixed_step
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_mail_domains_cannot_belong_to_an_organization() {
        for public in [
            "gmail.com",
            "Outlook.com",
            "@yahoo.com",
            "yahoo.co.uk",
            "hotmail.fr",
        ] {
            let err = organization_domain(public).expect_err(public);
            assert!(err.message.contains("public mail service"), "{err}");
        }
        assert_eq!(
            organization_domain(" HarborPine.example "),
            Ok("harborpine.example".to_owned())
        );
        assert!(organization_domain("not a domain").is_err());
    }

    #[test]
    fn phones_and_notes_are_checked_and_empty_means_none() {
        assert_eq!(phone("  "), Ok(None));
        assert_eq!(
            phone(" +44 20 7946 0000 "),
            Ok(Some("+44 20 7946 0000".to_owned()))
        );
        assert!(phone("call me").is_err());
        assert!(phone("<script>555</script>").is_err());
        assert!(phone(&"1".repeat(41)).is_err());
        assert_eq!(notes("\n "), Ok(None));
        assert_eq!(
            notes(" Prefers mail.\n"),
            Ok(Some("Prefers mail.".to_owned()))
        );
        assert!(notes(&"x".repeat(5_001)).is_err());
    }

    #[test]
    fn guessable_passwords_are_refused_with_a_reason() {
        for (raw, why) in [
            ("short", "at least 10 characters"),
            ("aaaaaaaaaa", "repeats"),
            ("AAAAAAAAAAAA", "repeats"),
            ("ababababab", "repeats"),
            ("123123123123", "repeats"),
            ("1234567890", "run"),
            ("0987654321", "run"),
            ("abcdefghijkl", "run"),
            ("qwertyuiop", "run"),
            ("QWERTYUIOPASDF", "run"),
            ("1qaz2wsx3edc", "run"),
            ("acegikmoqsu", "run"),
            ("password123", "most common"),
            ("Password123", "most common"),
            ("letmein123", "most common"),
            ("iloveyou12", "most common"),
            ("welcome2024", "most common"),
            ("P@ssw0rd123", "most common"),
            ("football123", "most common"),
        ] {
            let refused = password(raw).expect_err(raw);
            assert_eq!(refused.field, "password");
            assert!(refused.message.contains(why), "{raw}: {}", refused.message);
        }
    }

    #[test]
    fn good_passwords_pass_including_the_demo_ones() {
        for raw in [
            "sam-demo-2026",
            "maya-demo-2026",
            "priya-demo-2026",
            "maya-browser-2026",
            "a long enough password",
            "correct horse battery staple",
            "Tr0ub4dor&3xyz",
            "blue-kettle-sings",
        ] {
            assert_eq!(password(raw), Ok(()), "{raw}");
        }
    }

    #[test]
    fn the_common_list_is_lower_case_and_long_enough_to_matter() {
        let entries: Vec<&str> = COMMON_PASSWORDS
            .lines()
            .filter(|line| !line.starts_with('#'))
            .collect();
        assert!(entries.len() > 300, "{} entries", entries.len());
        for entry in entries {
            assert_eq!(entry, entry.to_lowercase().trim(), "{entry:?}");
        }
    }

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

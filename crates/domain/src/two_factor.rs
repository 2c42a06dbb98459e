//! Two-factor sign-in for agents: the six-digit codes authenticator apps show (TOTP, RFC 6238,
//! over HOTP, RFC 4226, with HMAC-SHA1 and 30-second steps), single-use recovery codes, and
//! what a sign-in still needs after the password. Pure: the caller gives the secret, the time
//! and the last step a code was used in; the store keeps them.

use crate::named_enum;
use hmac::{Hmac, Mac};
use sha1::Sha1;

/// Digits in a code, as every authenticator app shows by default.
pub const DIGITS: u32 = 6;
/// Seconds a code lasts (the time step of RFC 6238).
pub const STEP_SECONDS: i64 = 30;
/// Random bytes in a secret: 160 bits, as RFC 4226 recommends.
pub const SECRET_BYTES: usize = 20;
/// Steps either side of now whose codes are accepted, for clocks a little apart.
pub const WINDOW_STEPS: i64 = 1;
/// How many recovery codes an agent gets when two-factor sign-in is turned on.
pub const RECOVERY_CODES: usize = 10;
/// Random bytes behind a recovery code (of which it keeps 50 bits, in 10 characters).
pub const RECOVERY_CODE_BYTES: usize = 7;
/// The name authenticator apps show beside the code.
pub const ISSUER: &str = "Rapport";
/// How long a sign-in whose password was right waits for its code.
pub const PENDING_SECONDS: i64 = 5 * 60;
/// Wrong codes one waiting sign-in may take before the password must be given again.
pub const PENDING_ATTEMPTS: i64 = 5;
/// The workspace setting (admins change it) that makes every agent use two-factor sign-in.
pub const REQUIRED_SETTING: &str = "require_two_factor";

named_enum! {
    /// What a sign-in needs after a right password.
    SecondStep, "second step" {
        /// The code from the agent's authenticator app (or a recovery code).
        Code => "code",
        /// The workspace requires two-factor sign-in and this agent has not set it up: the
        /// only way in is to set it up now.
        Enroll => "enroll",
    }
}

/// What a sign-in still needs once the password was right; `None` signs the agent in.
pub fn second_step(enabled: bool, required: bool) -> Option<SecondStep> {
    match (enabled, required) {
        (true, _) => Some(SecondStep::Code),
        (false, true) => Some(SecondStep::Enroll),
        (false, false) => None,
    }
}

/// Whether the stored setting requires two-factor sign-in (off unless set).
pub fn required(stored: Option<&str>) -> bool {
    stored.is_some_and(|value| value.trim() == "true")
}

/// The stored value of the setting.
pub fn required_value(required: bool) -> &'static str {
    if required { "true" } else { "false" }
}

/// The HOTP value of RFC 4226 for `counter`, as `digits` decimal digits.
pub fn hotp(secret: &[u8], counter: u64, digits: u32) -> String {
    let digits = digits.clamp(1, 9);
    // HMAC takes a key of any length, so this cannot fail.
    let mut mac = <Hmac<Sha1> as Mac>::new_from_slice(secret)
        .unwrap_or_else(|_| unreachable!("HMAC accepts keys of every length"));
    mac.update(&counter.to_be_bytes());
    let hash = mac.finalize().into_bytes();
    // Dynamic truncation (RFC 4226 section 5.3).
    let offset = usize::from(hash[hash.len() - 1] & 0x0f);
    let binary = u32::from_be_bytes([
        hash[offset] & 0x7f,
        hash[offset + 1],
        hash[offset + 2],
        hash[offset + 3],
    ]);
    let code = binary % 10u32.pow(digits);
    format!("{code:0width$}", width = digits as usize)
}

/// The time step (RFC 6238's T) a moment falls in, in seconds since the Unix epoch.
pub fn step_at(unix_seconds: i64) -> i64 {
    unix_seconds.div_euclid(STEP_SECONDS)
}

/// The code an authenticator app shows at a moment.
pub fn code_at(secret: &[u8], unix_seconds: i64) -> String {
    hotp(
        secret,
        u64::try_from(step_at(unix_seconds)).unwrap_or(0),
        DIGITS,
    )
}

/// Why a code was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeRefusal {
    /// Not six digits, nor the shape of a recovery code.
    Malformed,
    /// Not the code of now (or a step either side), or not one of the unused recovery codes.
    Wrong,
    /// The code was right but already used: each code signs in once.
    Reused,
}

impl CodeRefusal {
    /// For programs: the error code.
    pub fn code(self) -> &'static str {
        match self {
            CodeRefusal::Malformed | CodeRefusal::Wrong => "wrong_code",
            CodeRefusal::Reused => "code_already_used",
        }
    }

    /// For people: what went wrong and what to do.
    pub fn explain(self) -> &'static str {
        match self {
            CodeRefusal::Malformed => {
                "A code is the 6 digits your authenticator app shows now, or one of your recovery codes (such as abcde-fghij)."
            }
            CodeRefusal::Wrong => {
                "That code is not right. Codes change every 30 seconds: enter the one your authenticator app shows now (and check that your phone's clock is right), or use a recovery code."
            }
            CodeRefusal::Reused => {
                "That code has already been used. Wait for the next one in your authenticator app, then enter it."
            }
        }
    }
}

/// What someone typed where a code was asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodeInput {
    /// Six digits from the authenticator app.
    Totp(String),
    /// A recovery code, as its 10 characters without the dash (the form it is stored by).
    Recovery(String),
    Malformed,
}

/// Reads a typed code: spaces and dashes are ignored, case too.
pub fn read_code(input: &str) -> CodeInput {
    let compact: String = input
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_lowercase())
        .collect();
    if compact.len() == DIGITS as usize && compact.bytes().all(|b| b.is_ascii_digit()) {
        return CodeInput::Totp(compact);
    }
    if compact.len() == 10
        && compact
            .bytes()
            .all(|b| ALPHABET.contains(&b.to_ascii_uppercase()))
    {
        return CodeInput::Recovery(compact);
    }
    CodeInput::Malformed
}

/// Checks six digits against the codes of now and a step either side. `Ok` gives the step the
/// code belongs to, which the caller stores: a code of that step or an earlier one is refused
/// from then on (RFC 6238 section 5.2), so a code seen over a shoulder cannot be used again.
pub fn check_code(
    secret: &[u8],
    digits: &str,
    unix_seconds: i64,
    last_used_step: Option<i64>,
) -> Result<i64, CodeRefusal> {
    if digits.len() != DIGITS as usize || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(CodeRefusal::Malformed);
    }
    let now = step_at(unix_seconds);
    let mut refusal = CodeRefusal::Wrong;
    for step in now - WINDOW_STEPS..=now + WINDOW_STEPS {
        let Ok(counter) = u64::try_from(step) else {
            continue;
        };
        if !same(hotp(secret, counter, DIGITS).as_bytes(), digits.as_bytes()) {
            continue;
        }
        if last_used_step.is_some_and(|last| step <= last) {
            refusal = CodeRefusal::Reused;
            continue;
        }
        return Ok(step);
    }
    Err(refusal)
}

/// Compares without stopping at the first difference, so the time taken tells nothing.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |diff, (x, y)| diff | (x ^ y)) == 0
}

/// A recovery code made from random bytes: 10 lowercase letters and digits as `abcde-fghij`.
pub fn recovery_code(random: [u8; RECOVERY_CODE_BYTES]) -> String {
    let letters = base32(&random).to_ascii_lowercase();
    format!("{}-{}", &letters[..5], &letters[5..10])
}

const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// RFC 4648 base32 without padding, as authenticator apps take secrets.
pub fn base32(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let mut buffer: u32 = 0;
    let mut bits = 0;
    for &byte in bytes {
        buffer = (buffer << 8) | u32::from(byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(ALPHABET[((buffer >> bits) & 31) as usize]));
        }
    }
    if bits > 0 {
        out.push(char::from(ALPHABET[((buffer << (5 - bits)) & 31) as usize]));
    }
    out
}

/// Reads base32 (any case, spaces and padding ignored); `None` for any other character.
pub fn from_base32(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 5 / 8);
    let mut buffer: u32 = 0;
    let mut bits = 0;
    for c in text.chars().filter(|c| !c.is_whitespace() && *c != '=') {
        let value = ALPHABET
            .iter()
            .position(|&a| char::from(a) == c.to_ascii_uppercase())?;
        buffer = (buffer << 5) | value as u32;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push(((buffer >> bits) & 0xff) as u8);
        }
    }
    Some(out)
}

/// The `otpauth://` address an authenticator app reads (typed in, or from a QR code) to add
/// the account: `otpauth://totp/Rapport:<email>?secret=...&issuer=Rapport`.
pub fn otpauth_uri(email: &str, secret: &str) -> String {
    format!(
        "otpauth://totp/{ISSUER}:{}?secret={secret}&issuer={ISSUER}",
        escape(email)
    )
}

/// Percent-encodes all but letters, digits and the few marks an address needs as they are.
fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'@' => {
                out.push(char::from(byte))
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// The secret as people copy it into an app by hand: groups of four.
pub fn grouped(secret: &str) -> String {
    secret
        .as_bytes()
        .chunks(4)
        .map(|chunk| String::from_utf8_lossy(chunk).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    const RFC_SECRET: &[u8] = b"12345678901234567890";

    #[test]
    fn hotp_matches_rfc_4226_appendix_d() {
        let expected = [
            "755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583",
            "399871", "520489",
        ];
        for (counter, code) in expected.iter().enumerate() {
            assert_eq!(
                hotp(RFC_SECRET, counter as u64, 6),
                *code,
                "count {counter}"
            );
        }
    }

    #[test]
    fn totp_matches_rfc_6238_appendix_b_for_sha1() {
        for (time, code) in [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ] {
            let step = u64::try_from(step_at(time)).expect("positive");
            assert_eq!(hotp(RFC_SECRET, step, 8), code, "T = {time}");
        }
        // Six digits are the last six of the eight.
        assert_eq!(code_at(RFC_SECRET, 59), "287082");
    }

    #[test]
    fn a_code_is_good_for_one_step_either_side_and_only_once() {
        let now = 1_234_567_890;
        let code = code_at(RFC_SECRET, now);
        let step = step_at(now);
        assert_eq!(check_code(RFC_SECRET, &code, now, None), Ok(step));
        assert_eq!(check_code(RFC_SECRET, &code, now + 30, None), Ok(step));
        assert_eq!(check_code(RFC_SECRET, &code, now - 30, None), Ok(step));
        assert_eq!(
            check_code(RFC_SECRET, &code, now + 60, None),
            Err(CodeRefusal::Wrong)
        );
        assert_eq!(
            check_code(RFC_SECRET, &code, now, Some(step)),
            Err(CodeRefusal::Reused)
        );
        // Once a later code was used, an earlier one still inside the window is refused too.
        assert_eq!(
            check_code(RFC_SECRET, &code, now, Some(step + 1)),
            Err(CodeRefusal::Reused)
        );
        let next = code_at(RFC_SECRET, now + 30);
        assert_eq!(check_code(RFC_SECRET, &next, now, Some(step)), Ok(step + 1));
        assert_eq!(
            check_code(RFC_SECRET, "12345", now, None),
            Err(CodeRefusal::Malformed)
        );
        let wrong = if code == "000000" { "000001" } else { "000000" };
        assert_eq!(
            check_code(RFC_SECRET, wrong, now, None),
            Err(CodeRefusal::Wrong)
        );
    }

    #[test]
    fn base32_matches_rfc_4648_and_reads_back() {
        for (plain, encoded) in [
            ("", ""),
            ("f", "MY"),
            ("fo", "MZXQ"),
            ("foo", "MZXW6"),
            ("foob", "MZXW6YQ"),
            ("fooba", "MZXW6YTB"),
            ("foobar", "MZXW6YTBOI"),
        ] {
            assert_eq!(base32(plain.as_bytes()), encoded);
            assert_eq!(
                from_base32(encoded).as_deref(),
                Some(plain.as_bytes()),
                "{encoded}"
            );
        }
        assert_eq!(
            from_base32("mzxw 6ytb oi======").as_deref(),
            Some(&b"foobar"[..])
        );
        assert_eq!(from_base32("MZ1W"), None);
        assert_eq!(base32(RFC_SECRET), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
    }

    #[test]
    fn typed_codes_are_read_as_app_codes_or_recovery_codes() {
        assert_eq!(read_code(" 123 456 "), CodeInput::Totp("123456".into()));
        assert_eq!(
            read_code("ABCDE-FGH23"),
            CodeInput::Recovery("abcdefgh23".into())
        );
        assert_eq!(read_code("abcde-fgh2"), CodeInput::Malformed);
        assert_eq!(
            read_code("abcde-fgh18"),
            CodeInput::Malformed,
            "no 1 or 8 in base32"
        );
        assert_eq!(read_code(""), CodeInput::Malformed);
        let code = recovery_code([1, 2, 3, 4, 5, 6, 7]);
        assert_eq!(code.len(), 11);
        assert!(
            matches!(read_code(&code), CodeInput::Recovery(key) if key == code.replace('-', ""))
        );
    }

    #[test]
    fn the_address_for_apps_names_the_workspace_and_the_agent() {
        assert_eq!(
            otpauth_uri("ana+desk@example.com", "JBSWY3DPEHPK3PXP"),
            "otpauth://totp/Rapport:ana%2Bdesk@example.com?secret=JBSWY3DPEHPK3PXP&issuer=Rapport"
        );
        assert_eq!(grouped("JBSWY3DPEHPK3PXP"), "JBSW Y3DP EHPK 3PXP");
    }

    #[test]
    fn the_second_step_follows_enrolment_and_the_workspace_rule() {
        assert_eq!(second_step(true, false), Some(SecondStep::Code));
        assert_eq!(second_step(true, true), Some(SecondStep::Code));
        assert_eq!(second_step(false, true), Some(SecondStep::Enroll));
        assert_eq!(second_step(false, false), None);
        assert!(required(Some("true")));
        assert!(!required(Some("false")));
        assert!(!required(None));
    }
}

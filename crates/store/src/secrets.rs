//! Passwords, API tokens and session ids. Passwords are hashed with argon2id; tokens and
//! session ids are random and stored only as their SHA-256, so a copy of the database does not
//! let anyone sign in.

use argon2::Argon2;
use argon2::password_hash::{
    PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng,
};
use sha2::{Digest, Sha256};
use std::sync::LazyLock;

/// A new random secret: `prefix` followed by 64 hex digits (256 bits).
pub fn generate(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    // The operating system's generator failing is not something to recover from: without it
    // there is no safe secret to hand out.
    getrandom::fill(&mut bytes).expect("the operating system's random number generator failed");
    format!("{prefix}{}", hex(&bytes))
}

/// `N` random bytes from the operating system (two-factor secrets, recovery codes).
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).expect("the operating system's random number generator failed");
    bytes
}

/// The SHA-256 of a token or session id, as stored.
pub fn digest(secret: &str) -> String {
    hex(&Sha256::digest(secret.as_bytes()))
}

pub fn hash_password(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 with default parameters accepts any password")
        .to_string()
}

pub fn verify_password(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored)
        .map(|hash| {
            Argon2::default()
                .verify_password(password.as_bytes(), &hash)
                .is_ok()
        })
        .unwrap_or(false)
}

/// Checks a password against an agent's stored hash; without one (no such agent, or one
/// who has no password) against a fixed hash, and says no. Both take the same argon2 run, so
/// the time an answer takes does not tell whether the address belongs to an agent.
pub fn verify_password_or_nothing(password: &str, stored: Option<&str>) -> bool {
    static NOBODY: LazyLock<String> = LazyLock::new(|| hash_password("nobody has this password"));
    match stored {
        Some(stored) => verify_password(password, stored),
        None => {
            verify_password(password, &NOBODY);
            false
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_round_trip_and_are_salted() {
        let first = hash_password("correct horse");
        let second = hash_password("correct horse");
        assert!(first.starts_with("$argon2id$"));
        assert_ne!(first, second);
        assert!(verify_password("correct horse", &first));
        assert!(!verify_password("wrong horse", &first));
        assert!(!verify_password("correct horse", "not a hash"));
    }

    #[test]
    fn without_a_stored_hash_nothing_matches() {
        assert!(!verify_password_or_nothing(
            "nobody has this password",
            None
        ));
        let stored = hash_password("correct horse");
        assert!(verify_password_or_nothing("correct horse", Some(&stored)));
    }

    #[test]
    fn tokens_are_random_and_digested() {
        let token = generate("rpt_");
        assert_eq!(token.len(), 4 + 64);
        assert_ne!(token, generate("rpt_"));
        assert_eq!(digest(&token).len(), 64);
        assert_eq!(digest(&token), digest(&token));
    }
}

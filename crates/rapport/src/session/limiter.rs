//! Slows down password guessing: after a few failed sign-ins for one address, further tries
//! for it are refused for a while, whatever the password.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failed attempts allowed per address within the window.
const MAX_FAILURES: u32 = 5;
const WINDOW: Duration = Duration::from_secs(15 * 60);

#[derive(Default)]
pub struct SignInLimiter {
    failures: Mutex<HashMap<String, (u32, Instant)>>,
}

impl SignInLimiter {
    /// `Err(seconds)` to wait when the address has failed too often recently.
    pub fn check(&self, email: &str) -> Result<(), u64> {
        let failures = self
            .failures
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match failures.get(&email.trim().to_lowercase()) {
            Some((count, since)) if *count >= MAX_FAILURES && since.elapsed() < WINDOW => {
                Err((WINDOW - since.elapsed()).as_secs().max(1))
            }
            _ => Ok(()),
        }
    }

    pub fn failed(&self, email: &str) {
        let mut failures = self
            .failures
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let entry = failures
            .entry(email.trim().to_lowercase())
            .or_insert((0, Instant::now()));
        if entry.1.elapsed() >= WINDOW {
            *entry = (0, Instant::now());
        }
        entry.0 += 1;
        // Keep the map from growing without bound under a spray of addresses.
        if failures.len() > 100_000 {
            failures.retain(|_, (_, since)| since.elapsed() < WINDOW);
        }
    }

    pub fn succeeded(&self, email: &str) {
        self.failures
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(&email.trim().to_lowercase());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_failures_lock_the_address_only() {
        let limiter = SignInLimiter::default();
        for _ in 0..MAX_FAILURES {
            assert!(limiter.check("ana@example.com").is_ok());
            limiter.failed("Ana@Example.com");
        }
        assert!(limiter.check("ana@example.com").is_err());
        assert!(limiter.check("lee@example.com").is_ok());
        limiter.succeeded("ana@example.com");
        assert!(limiter.check("ana@example.com").is_ok());
    }
}

//! Times are stored as UTC text in one fixed format, `2026-11-23T12:25:15.123456Z`: valid
//! RFC 3339 for the API, and ordered the same way as text and as time, on both backends.

use std::sync::{Arc, Mutex};
use time::format_description::FormatItem;
use time::macros::format_description;
use time::{OffsetDateTime, UtcOffset};

const FORMAT: &[FormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z");

/// Where "now" comes from: the system clock, or a hand-set clock that tests move forward to
/// drive timers (check-ins, promise deadlines, follow-ups) without waiting.
#[derive(Debug, Clone, Default)]
pub enum Clock {
    #[default]
    System,
    Manual(Arc<Mutex<OffsetDateTime>>),
}

impl Clock {
    /// A hand-set clock starting at `at`.
    pub fn manual(at: OffsetDateTime) -> Clock {
        Clock::Manual(Arc::new(Mutex::new(at)))
    }

    pub fn now(&self) -> OffsetDateTime {
        match self {
            Clock::System => OffsetDateTime::now_utc(),
            Clock::Manual(at) => *at.lock().unwrap_or_else(std::sync::PoisonError::into_inner),
        }
    }

    /// Moves a manual clock forward; the system clock cannot be moved.
    pub fn advance(&self, by: time::Duration) {
        if let Clock::Manual(at) = self {
            let mut at = at.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            *at += by;
        }
    }

    pub fn set(&self, to: OffsetDateTime) {
        if let Clock::Manual(at) = self {
            *at.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = to;
        }
    }
}

/// Now by the system clock, in the stored format.
pub fn now() -> String {
    format(OffsetDateTime::now_utc())
}

/// Parses a stored time.
pub fn parse(text: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).ok()
}

pub fn format(at: OffsetDateTime) -> String {
    at.to_offset(UtcOffset::UTC)
        .format(FORMAT)
        .unwrap_or_else(|_| String::from("1970-01-01T00:00:00.000000Z"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_times_sort_as_text() {
        let earlier = format(time::macros::datetime!(2026-01-02 03:04:05.5 UTC));
        let later = format(time::macros::datetime!(2026-11-23 12:00:00 UTC));
        assert_eq!(earlier, "2026-01-02T03:04:05.500000Z");
        assert!(earlier < later);
    }
}

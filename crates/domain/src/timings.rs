//! The relationship's timings that are a single number: how long before a promise is due its
//! promiser is reminded, how often a customer is asked the NPS question, and how long each kind
//! of single-use link lasts. Each is a workspace setting with a default and a range; the
//! check-in schedules, which are lists of days, live in [`crate::schedule`].

/// One timing: its setting's key, how the admin page names it, its unit and its range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    pub key: &'static str,
    pub label: &'static str,
    pub unit: Unit,
    pub default: i64,
    pub min: i64,
    pub max: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Minutes,
    Days,
}

impl Unit {
    pub fn word(self) -> &'static str {
        match self {
            Unit::Minutes => "minutes",
            Unit::Days => "days",
        }
    }

    pub fn seconds(self) -> i64 {
        match self {
            Unit::Minutes => 60,
            Unit::Days => 24 * 60 * 60,
        }
    }
}

/// How long before a promise is due its promiser is reminded.
pub const PROMISE_REMINDER_MINUTES: Timing = Timing {
    key: "promise_reminder_minutes",
    label: "Remind of a promise before it is due",
    unit: Unit::Minutes,
    default: 60,
    min: 5,
    max: 7 * 24 * 60,
};

/// A customer is asked the NPS question at most once in this many days.
pub const NPS_EVERY_DAYS: Timing = Timing {
    key: "nps_every_days",
    label: "Ask a customer the recommendation question at most once in",
    unit: Unit::Days,
    default: 90,
    min: 7,
    max: 730,
};

/// How long a mailed portal sign-in link works.
pub const PORTAL_LINK_MINUTES: Timing = Timing {
    key: "portal_link_minutes",
    label: "A customer's sign-in link works for",
    unit: Unit::Minutes,
    default: 30,
    min: 5,
    max: 24 * 60,
};

/// How long an invitation to a new agent works.
pub const INVITE_DAYS: Timing = Timing {
    key: "invite_days",
    label: "An invitation to a new agent works for",
    unit: Unit::Days,
    default: 7,
    min: 1,
    max: 30,
};

/// How long a mailed password reset link works.
pub const PASSWORD_RESET_MINUTES: Timing = Timing {
    key: "password_reset_minutes",
    label: "A password reset link works for",
    unit: Unit::Minutes,
    default: 60,
    min: 10,
    max: 24 * 60,
};

/// Business minutes a manager has to acknowledge an escalation before it goes one level up
/// the reporting line.
pub const ESCALATION_ACKNOWLEDGE_MINUTES: Timing = Timing {
    key: "escalation_acknowledge_minutes",
    label: "A manager acknowledges an escalation within (business minutes, then it goes up)",
    unit: Unit::Minutes,
    default: 60,
    min: 5,
    max: 5 * 8 * 60,
};

/// Business minutes management has to answer a customer's letter before it goes one level up.
pub const LETTER_ANSWER_MINUTES: Timing = Timing {
    key: "letter_answer_minutes",
    label: "Management answers a letter within (business minutes, then it goes up)",
    unit: Unit::Minutes,
    default: 2 * 8 * 60,
    min: 60,
    max: 10 * 8 * 60,
};

/// Every timing, in the order the admin page lists them.
pub const ALL: [Timing; 7] = [
    PROMISE_REMINDER_MINUTES,
    ESCALATION_ACKNOWLEDGE_MINUTES,
    LETTER_ANSWER_MINUTES,
    NPS_EVERY_DAYS,
    PORTAL_LINK_MINUTES,
    INVITE_DAYS,
    PASSWORD_RESET_MINUTES,
];

impl Timing {
    /// The value in force: the stored one when it is readable and in range, else the default.
    pub fn value(&self, stored: Option<&str>) -> i64 {
        stored
            .and_then(|text| text.trim().parse().ok())
            .filter(|value| (self.min..=self.max).contains(value))
            .unwrap_or(self.default)
    }

    /// The value in seconds.
    pub fn seconds(&self, stored: Option<&str>) -> i64 {
        self.value(stored) * self.unit.seconds()
    }

    /// Refuses a value out of range, in words.
    pub fn check(&self, value: i64) -> Result<String, String> {
        if (self.min..=self.max).contains(&value) {
            Ok(value.to_string())
        } else {
            Err(format!(
                "“{}” must be from {} to {} {}",
                self.label,
                self.min,
                self.max,
                self.unit.word()
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_timing_falls_back_to_its_default_out_of_range() {
        assert_eq!(PROMISE_REMINDER_MINUTES.value(None), 60);
        assert_eq!(PROMISE_REMINDER_MINUTES.value(Some("15")), 15);
        assert_eq!(PROMISE_REMINDER_MINUTES.value(Some("1")), 60);
        assert_eq!(PROMISE_REMINDER_MINUTES.value(Some("soon")), 60);
        assert_eq!(INVITE_DAYS.seconds(Some("2")), 2 * 86_400);
        assert_eq!(
            PORTAL_LINK_MINUTES.check(2).expect_err("too short"),
            "“A customer's sign-in link works for” must be from 5 to 1440 minutes"
        );
        let keys: std::collections::BTreeSet<_> = ALL.iter().map(|t| t.key).collect();
        assert_eq!(keys.len(), ALL.len(), "each timing has its own key");
    }
}

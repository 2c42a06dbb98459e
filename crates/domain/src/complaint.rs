//! Complaints and their recovery: what a customer complained of, what was done to make it
//! right (each action with its cost), and how it ended. The rules of closing one, and the
//! figures of the recovery report (median time to recovery, rate, cost per currency), are here.

use crate::named_enum;
use crate::validate::Invalid;
use std::collections::BTreeMap;

named_enum! {
    /// What the complaint is about.
    Cause, "complaint cause" {
        Service => "service",
        Product => "product",
        Policy => "policy",
        /// A staff member (named by the complaint's agent, when known).
        Staff => "staff",
    }
}

named_enum! {
    #[derive(PartialOrd, Ord)]
    Severity, "complaint severity" {
        Low => "low",
        Medium => "medium",
        High => "high",
        Critical => "critical",
    }
}

named_enum! {
    /// How the complaint reached us.
    ComplaintChannel, "complaint channel" {
        /// A letter to management.
        Letter => "letter",
        Email => "email",
        Phone => "phone",
        Portal => "portal",
    }
}

named_enum! {
    /// What was done to make it right.
    RecoveryKind, "recovery action" {
        Apology => "apology",
        Fix => "fix",
        Refund => "refund",
        Credit => "credit",
        Replacement => "replacement",
        PolicyException => "policy_exception",
        /// A call from a manager.
        ManagerCall => "manager_call",
    }
}

named_enum! {
    /// How a complaint ended.
    Outcome, "complaint outcome" {
        Recovered => "recovered",
        /// Partly recovered.
        Partly => "partly",
        Lost => "lost",
    }
}

impl Cause {
    pub fn words(self) -> &'static str {
        match self {
            Cause::Service => "the service",
            Cause::Product => "a product",
            Cause::Policy => "a policy",
            Cause::Staff => "a staff member",
        }
    }
}

impl Severity {
    pub fn words(self) -> &'static str {
        self.as_str()
    }
}

impl ComplaintChannel {
    pub fn words(self) -> &'static str {
        match self {
            ComplaintChannel::Letter => "letter to management",
            ComplaintChannel::Email => "email",
            ComplaintChannel::Phone => "phone",
            ComplaintChannel::Portal => "portal",
        }
    }
}

impl RecoveryKind {
    pub fn words(self) -> &'static str {
        match self {
            RecoveryKind::Apology => "apology",
            RecoveryKind::Fix => "fix",
            RecoveryKind::Refund => "refund",
            RecoveryKind::Credit => "credit",
            RecoveryKind::Replacement => "replacement",
            RecoveryKind::PolicyException => "policy exception",
            RecoveryKind::ManagerCall => "call from a manager",
        }
    }
}

impl Outcome {
    pub fn words(self) -> &'static str {
        match self {
            Outcome::Recovered => "recovered",
            Outcome::Partly => "partly recovered",
            Outcome::Lost => "lost",
        }
    }

    /// Whether the relationship was won back, at least in part.
    pub fn recovered(self) -> bool {
        matches!(self, Outcome::Recovered | Outcome::Partly)
    }
}

/// The currency of an action when none is given.
pub const DEFAULT_CURRENCY: &str = "EUR";
/// The most an action may cost, in minor units (ten million in major units).
pub const MAX_COST_MINOR: i64 = 1_000_000_000;
/// The longest incident, account or note, in characters.
pub const MAX_TEXT: usize = 10_000;

/// Closing a complaint with an outcome: "recovered" or "partly" needs at least one recovery
/// action on record (something was done to win the customer back); "lost" does not, since a
/// customer may leave before anything could be done.
pub fn check_outcome(outcome: Outcome, actions: usize) -> Result<(), Invalid> {
    if outcome.recovered() && actions == 0 {
        return Err(Invalid::new(
            "outcome",
            format!(
                "A complaint is {} only after something was done: record at least one recovery action first.",
                outcome.words()
            ),
        ));
    }
    Ok(())
}

/// A text told by a person (the incident, an account, a note): trimmed, at most [`MAX_TEXT`]
/// characters; `required` ones may not be empty.
pub fn told(field: &'static str, what: &str, raw: &str, required: bool) -> Result<String, Invalid> {
    let text = raw.trim();
    if required && text.is_empty() {
        return Err(Invalid::new(
            field,
            format!("Write {what}: it may not be empty."),
        ));
    }
    if text.chars().count() > MAX_TEXT {
        return Err(Invalid::new(
            field,
            format!(
                "{} is too long: keep it under {MAX_TEXT} characters.",
                capitalized(what)
            ),
        ));
    }
    Ok(text.to_owned())
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// A currency code: three letters, kept in capitals. Empty means [`DEFAULT_CURRENCY`].
pub fn currency(text: Option<&str>) -> Result<String, Invalid> {
    let text = text.map(str::trim).unwrap_or("");
    if text.is_empty() {
        return Ok(DEFAULT_CURRENCY.to_owned());
    }
    if text.len() == 3 && text.chars().all(|c| c.is_ascii_alphabetic()) {
        return Ok(text.to_ascii_uppercase());
    }
    Err(Invalid::new(
        "currency",
        format!("“{text}” is not a currency code; use three letters, such as EUR or USD."),
    ))
}

/// A cost in minor units (cents): zero or more, and not absurdly large.
pub fn cost(minor: i64) -> Result<i64, Invalid> {
    if !(0..=MAX_COST_MINOR).contains(&minor) {
        return Err(Invalid::new(
            "cost_minor",
            "A cost is zero or more, in cents (minor units), and at most ten million in the currency.",
        ));
    }
    Ok(minor)
}

/// Reads an amount typed by a person ("12", "12.5", "12,50") as minor units.
pub fn parse_amount(text: &str) -> Result<i64, Invalid> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(0);
    }
    let bad = || {
        Invalid::new(
            "cost",
            format!("“{text}” is not an amount; write it like 12.50."),
        )
    };
    let normal = text.replace(',', ".");
    let (whole, cents) = match normal.split_once('.') {
        Some((whole, cents)) => (whole, cents),
        None => (normal.as_str(), ""),
    };
    if whole.is_empty() && cents.is_empty()
        || !whole.chars().all(|c| c.is_ascii_digit())
        || !cents.chars().all(|c| c.is_ascii_digit())
        || cents.len() > 2
        || whole.len() > 9
    {
        return Err(bad());
    }
    let whole: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| bad())?
    };
    let cents: i64 = match cents.len() {
        0 => 0,
        1 => cents.parse::<i64>().map_err(|_| bad())? * 10,
        _ => cents.parse().map_err(|_| bad())?,
    };
    cost(whole * 100 + cents)
}

/// Minor units as an amount with two decimals, such as "12.50 EUR".
pub fn money(minor: i64, currency: &str) -> String {
    format!("{}.{:02} {currency}", minor / 100, minor % 100)
}

/// Sums costs per currency, in the order of the currency codes.
pub fn sum_by_currency<'a>(
    costs: impl IntoIterator<Item = (&'a str, i64)>,
) -> BTreeMap<String, i64> {
    let mut sums = BTreeMap::new();
    for (currency, minor) in costs {
        *sums.entry(currency.to_owned()).or_insert(0) += minor;
    }
    sums
}

/// The median of durations (of an even count, the lower of the two middle ones).
pub fn median(values: &[i64]) -> Option<i64> {
    if values.is_empty() {
        return None;
    }
    let mut values = values.to_vec();
    values.sort_unstable();
    Some(values[(values.len() - 1) / 2])
}

/// The share of closed complaints that were recovered (fully or partly), in whole percent.
pub fn recovery_rate(recovered: i64, closed: i64) -> Option<i64> {
    (closed > 0).then(|| (recovered * 100 + closed / 2) / closed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovered_needs_an_action_and_lost_does_not() {
        assert!(check_outcome(Outcome::Recovered, 0).is_err());
        assert!(check_outcome(Outcome::Partly, 0).is_err());
        assert!(check_outcome(Outcome::Recovered, 1).is_ok());
        assert!(check_outcome(Outcome::Lost, 0).is_ok());
    }

    #[test]
    fn amounts_read_as_people_write_them() {
        assert_eq!(parse_amount("12").ok(), Some(1200));
        assert_eq!(parse_amount("12.5").ok(), Some(1250));
        assert_eq!(parse_amount("12,05").ok(), Some(1205));
        assert_eq!(parse_amount("").ok(), Some(0));
        assert!(parse_amount("-3").is_err());
        assert!(parse_amount("1.234").is_err());
        assert!(parse_amount("ten").is_err());
        assert!(parse_amount(".").is_err());
        assert_eq!(money(1205, "EUR"), "12.05 EUR");
    }

    #[test]
    fn currencies_are_three_letters() {
        assert_eq!(currency(None).ok().as_deref(), Some("EUR"));
        assert_eq!(currency(Some("usd")).ok().as_deref(), Some("USD"));
        assert!(currency(Some("euro")).is_err());
    }

    #[test]
    fn median_rate_and_sums() {
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[5, 1, 3]), Some(3));
        assert_eq!(median(&[4, 1, 3, 2]), Some(2));
        assert_eq!(recovery_rate(2, 3), Some(67));
        assert_eq!(recovery_rate(0, 0), None);
        let sums = sum_by_currency([("EUR", 100), ("USD", 5), ("EUR", 50)]);
        assert_eq!(sums.get("EUR"), Some(&150));
        assert_eq!(sums.get("USD"), Some(&5));
    }
}

//! Policies with reasons: a policy's rule, why it exists (the rationale an agent can quote),
//! what staff may offer instead, and an optional limit per customer; and the exceptions an
//! agent asks for on a ticket, decided once by a named supervisor or admin.
//!
//! The limit model: a policy may say "at most `count` exceptions per customer in any `days`
//! days". What is counted is the customer's exceptions to that policy already approved within
//! the last `days` days; a request or an approval that would go past it is refused, so the
//! limit holds however many agents ask at once.

use crate::escalation::Staff;
use crate::validate::{self, Invalid};
use crate::{Agent, Role};

crate::named_enum! {
    /// Where an exception stands: waiting for its decider, or decided once.
    ExceptionStatus, "exception status" {
        Pending => "pending",
        Approved => "approved",
        Declined => "declined",
    }
}

pub const MAX_TITLE_CHARS: usize = 200;
pub const MAX_TEXT_CHARS: usize = 20_000;
pub const MAX_ALTERNATIVES: usize = 20;
pub const MAX_ALTERNATIVE_CHARS: usize = 500;
pub const MAX_KEYWORDS: usize = 20;
/// The largest cost an exception may carry, in minor units (ten million in major units).
pub const MAX_COST_MINOR: i64 = 1_000_000_000;
/// The longest window a limit counts over: ten years.
pub const MAX_LIMIT_DAYS: i64 = 3_650;

/// A policy's limit per customer: at most `count` approved exceptions in any `days` days.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
pub struct Limit {
    pub count: i64,
    pub days: i64,
}

impl Limit {
    /// Both numbers, or neither: a count needs its period and a period its count.
    pub fn new(count: Option<i64>, days: Option<i64>) -> Result<Option<Limit>, Invalid> {
        match (count, days) {
            (None, None) => Ok(None),
            (Some(count), Some(days)) => {
                if !(1..=10_000).contains(&count) {
                    return Err(Invalid::new(
                        "limit_count",
                        "the limit is a number of exceptions per customer, from 1 to 10,000",
                    ));
                }
                if !(1..=MAX_LIMIT_DAYS).contains(&days) {
                    return Err(Invalid::new(
                        "limit_days",
                        format!(
                            "the limit's period is a number of days, from 1 to {MAX_LIMIT_DAYS}"
                        ),
                    ));
                }
                Ok(Some(Limit { count, days }))
            }
            (Some(_), None) => Err(Invalid::new(
                "limit_days",
                "a limit needs its period: how many days the count covers (365 for a year)",
            )),
            (None, Some(_)) => Err(Invalid::new(
                "limit_count",
                "a limit needs its count: how many exceptions a customer may have in the period",
            )),
        }
    }

    /// Whether a customer who already had `used` approved exceptions in the window may have
    /// one more.
    pub fn allows_another(self, used: i64) -> bool {
        used < self.count
    }
}

/// A policy as an admin writes it, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyText {
    pub title: String,
    pub body: String,
    pub rationale: String,
    pub alternatives: Vec<String>,
    pub keywords: Vec<String>,
    pub limit: Option<Limit>,
}

fn long_text(field: &'static str, raw: &str, what: &str) -> Result<String, Invalid> {
    let text = raw.trim();
    if text.is_empty() {
        return Err(Invalid::new(field, format!("say {what}")));
    }
    if text.chars().count() > MAX_TEXT_CHARS {
        return Err(Invalid::new(
            field,
            format!("{what} is at most {MAX_TEXT_CHARS} characters"),
        ));
    }
    if text.contains('\0') {
        return Err(Invalid::new(
            field,
            "the text contains a NUL character, which text cannot hold",
        ));
    }
    Ok(text.to_owned())
}

impl PolicyText {
    pub fn new(
        title: &str,
        body: &str,
        rationale: &str,
        alternatives: &[String],
        keywords: &[String],
        limit: Option<Limit>,
    ) -> Result<PolicyText, Invalid> {
        let title = validate::line("title", title, MAX_TITLE_CHARS).map_err(|_| {
            Invalid::new(
                "title",
                format!("a policy needs a title of one line, at most {MAX_TITLE_CHARS} characters"),
            )
        })?;
        let body = long_text("text", body, "what the policy says")?;
        let rationale = long_text(
            "rationale",
            rationale,
            "why the policy exists, in words an agent can quote to a customer",
        )?;
        let alternatives = list(
            "alternatives",
            alternatives,
            MAX_ALTERNATIVES,
            MAX_ALTERNATIVE_CHARS,
            "an alternative",
        )?;
        let keywords: Vec<String> = list("keywords", keywords, MAX_KEYWORDS, 60, "a keyword")?
            .into_iter()
            .map(|k| k.to_lowercase())
            .collect();
        Ok(PolicyText {
            title,
            body,
            rationale,
            alternatives,
            keywords,
            limit,
        })
    }
}

fn list(
    field: &'static str,
    raw: &[String],
    max_items: usize,
    max_chars: usize,
    one: &str,
) -> Result<Vec<String>, Invalid> {
    let mut items: Vec<String> = Vec::new();
    for item in raw {
        let item = item.trim();
        if item.is_empty() || items.iter().any(|i| i == item) {
            continue;
        }
        if item.chars().count() > max_chars || item.chars().any(char::is_control) {
            return Err(Invalid::new(
                field,
                format!("{one} is one line of at most {max_chars} characters"),
            ));
        }
        items.push(item.to_owned());
    }
    if items.len() > max_items {
        return Err(Invalid::new(
            field,
            format!("at most {max_items} of them, please"),
        ));
    }
    Ok(items)
}

/// Why a case deserves an exception, as the requester writes it.
pub fn reason(raw: &str) -> Result<String, Invalid> {
    long_text("reason", raw, "why this case deserves an exception")
}

/// The decider's note on their decision; blank means none.
pub fn decision_note(raw: &str) -> Result<Option<String>, Invalid> {
    if raw.trim().is_empty() {
        return Ok(None);
    }
    long_text("note", raw, "the note on the decision").map(Some)
}

/// Lines of a text box as a list (one alternative per line); commas also part keywords.
pub fn lines(raw: &str) -> Vec<String> {
    raw.lines().map(str::to_owned).collect()
}

pub fn comma_list(raw: &str) -> Vec<String> {
    raw.split([',', '\n']).map(str::to_owned).collect()
}

/// What an exception costs: minor units (cents) of a currency (ISO 4217, three letters).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cost {
    pub minor: i64,
    pub currency: String,
}

impl Cost {
    pub fn new(minor: i64, currency: &str) -> Result<Cost, Invalid> {
        if !(0..=MAX_COST_MINOR).contains(&minor) {
            return Err(Invalid::new(
                "cost_minor",
                "the cost is in minor units (cents), from 0 to 1,000,000,000",
            ));
        }
        let currency = currency.trim().to_ascii_uppercase();
        if currency.len() != 3 || !currency.chars().all(|c| c.is_ascii_uppercase()) {
            return Err(Invalid::new(
                "currency",
                "the currency is its three-letter code, such as EUR or USD",
            ));
        }
        Ok(Cost { minor, currency })
    }

    /// The cost as a person reads it: "EUR 129.00".
    pub fn words(minor: i64, currency: &str) -> String {
        format!("{currency} {}.{:02}", minor / 100, minor % 100)
    }
}

/// Reads "129.50" (major units, up to two decimals) as minor units, for the pages' forms.
pub fn minor_units(raw: &str) -> Result<i64, Invalid> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(0);
    }
    let bad = || Invalid::new("cost", "write the cost as an amount such as 129 or 129.50");
    let (whole, cents) = match raw.split_once(['.', ',']) {
        Some((whole, cents)) => (whole, cents),
        None => (raw, ""),
    };
    if whole.is_empty() && cents.is_empty() || cents.len() > 2 {
        return Err(bad());
    }
    let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    if !digits(whole) || !digits(cents) || whole.len() > 10 {
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
    Ok(whole * 100 + cents)
}

/// Who decides an exception `requester` asks for: the one they chose, else their supervisor,
/// else the first admin. The decider must be an active supervisor or admin, and not the
/// requester; `Err` says why the choice cannot stand.
pub fn decider(staff: &Staff, requester: i64, chosen: Option<i64>) -> Result<i64, &'static str> {
    let may = |agent: &Agent| {
        agent.id != requester
            && matches!(agent.role, Role::Supervisor | Role::Admin)
            && staff.is_active(agent.id)
    };
    if let Some(chosen) = chosen {
        let agent = staff
            .get(chosen)
            .ok_or("there is no member of staff with that id")?;
        if agent.id == requester {
            return Err("you cannot decide your own request; choose a supervisor or an admin");
        }
        if !may(agent) {
            return Err("the one who decides must be an active supervisor or admin");
        }
        return Ok(chosen);
    }
    if let Some(supervisor) = staff.supervisor_of(requester).filter(|a| may(a)) {
        return Ok(supervisor.id);
    }
    staff
        .first_admin()
        .filter(|&admin| admin != requester)
        .ok_or("you report to nobody who can decide; choose a supervisor or an admin")
}

/// Whether `agent` may decide an exception named for `decider_id` and asked by `requester`:
/// the named decider, or an admin standing in; never the requester.
pub fn may_decide(agent: &Agent, decider_id: i64, requester: i64) -> bool {
    agent.id != requester && (agent.id == decider_id || agent.role == Role::Admin)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::escalation::StaffMember;

    fn agent(id: i64, role: Role, reports_to: Option<i64>) -> StaffMember {
        StaffMember {
            agent: Agent {
                id,
                email: format!("a{id}@example.com"),
                name: format!("Agent {id}"),
                role,
                reports_to,
                title: None,
                phone: None,
                created_at: String::new(),
            },
            active: true,
        }
    }

    fn staff() -> Staff {
        Staff::new([
            agent(1, Role::Admin, None),
            agent(2, Role::Supervisor, Some(1)),
            agent(3, Role::Agent, Some(2)),
            agent(4, Role::Agent, None),
            agent(5, Role::Agent, Some(4)),
        ])
    }

    #[test]
    fn the_requesters_supervisor_decides_by_default() {
        assert_eq!(decider(&staff(), 3, None), Ok(2));
        // Reporting to an agent (no supervisor role) falls to the first admin.
        assert_eq!(decider(&staff(), 5, None), Ok(1));
        assert_eq!(decider(&staff(), 3, Some(1)), Ok(1));
        assert!(decider(&staff(), 3, Some(3)).is_err());
        assert!(decider(&staff(), 3, Some(4)).is_err());
        assert!(decider(&staff(), 3, Some(99)).is_err());
        // The lone admin asking has nobody to decide.
        assert!(decider(&staff(), 1, None).is_err());
    }

    #[test]
    fn the_named_decider_or_an_admin_decides_never_the_requester() {
        let staff = staff();
        let supervisor = staff.get(2).expect("supervisor");
        let admin = staff.get(1).expect("admin");
        let other = staff.get(4).expect("agent");
        assert!(may_decide(supervisor, 2, 3));
        assert!(may_decide(admin, 2, 3));
        assert!(!may_decide(other, 2, 3));
        assert!(!may_decide(admin, 1, 1));
    }

    #[test]
    fn limits_come_whole_and_count_approved_exceptions() {
        assert_eq!(Limit::new(None, None), Ok(None));
        let limit = Limit::new(Some(2), Some(365))
            .expect("valid")
            .expect("a limit");
        assert!(limit.allows_another(1));
        assert!(!limit.allows_another(2));
        assert!(Limit::new(Some(2), None).is_err());
        assert!(Limit::new(None, Some(30)).is_err());
        assert!(Limit::new(Some(0), Some(30)).is_err());
        assert!(Limit::new(Some(1), Some(99_999)).is_err());
    }

    #[test]
    fn costs_read_as_money() {
        assert_eq!(minor_units("129.5"), Ok(12_950));
        assert_eq!(minor_units("129"), Ok(12_900));
        assert_eq!(minor_units(""), Ok(0));
        assert!(minor_units("12.345").is_err());
        assert!(minor_units("-3").is_err());
        assert!(minor_units("abc").is_err());
        assert_eq!(
            Cost::new(100, "eur").map(|c| c.currency),
            Ok("EUR".to_owned())
        );
        assert!(Cost::new(-1, "EUR").is_err());
        assert!(Cost::new(1, "EURO").is_err());
        assert_eq!(Cost::words(12_950, "EUR"), "EUR 129.50");
    }

    #[test]
    fn a_policy_needs_its_reason() {
        let text = PolicyText::new(
            "Returns within 30 days",
            "Items come back within 30 days of delivery.",
            "",
            &[],
            &[],
            None,
        );
        assert_eq!(text.map_err(|e| e.field), Err("rationale"));
        let text = PolicyText::new(
            "Returns within 30 days",
            "Items come back within 30 days.",
            "Stock loses value.",
            &[
                "Store credit".to_owned(),
                " ".to_owned(),
                "Store credit".to_owned(),
            ],
            &["Return".to_owned(), "refund".to_owned()],
            None,
        )
        .expect("valid");
        assert_eq!(text.alternatives, ["Store credit"]);
        assert_eq!(text.keywords, ["return", "refund"]);
    }
}

//! Saved replies: texts agents reuse, with placeholders filled for the ticket at hand, and
//! optional actions applied when the reply is sent. A placeholder is a name in double braces:
//! `{{customer.first_name}}`, `{{agent.name}}`, `{{ticket.number}}`, `{{supervisor.name}}`.

use crate::Priority;
use crate::validate::Invalid;

/// The placeholders a saved reply may use, and what each stands for.
pub const PLACEHOLDERS: &[(&str, &str)] = &[
    ("customer.first_name", "the customer's first name"),
    ("agent.name", "the name of the agent sending it"),
    ("ticket.number", "the ticket's number"),
    ("supervisor.name", "the name of the handler's supervisor"),
];

/// The values for one ticket and one agent.
#[derive(Debug, Clone, Default)]
pub struct Values {
    pub customer_first_name: String,
    pub agent_name: String,
    pub ticket_number: i64,
    /// `None` when the handler reports to nobody.
    pub supervisor_name: Option<String>,
}

impl Values {
    /// Values that read naturally, for reviewing a saved reply where it is edited.
    pub fn sample() -> Values {
        Values {
            customer_first_name: "Ana".to_owned(),
            agent_name: "Sam Rivera".to_owned(),
            ticket_number: 1042,
            supervisor_name: Some("Priya Raman".to_owned()),
        }
    }

    fn get(&self, name: &str) -> Option<String> {
        match name {
            "customer.first_name" => Some(self.customer_first_name.clone()),
            "agent.name" => Some(self.agent_name.clone()),
            "ticket.number" => Some(self.ticket_number.to_string()),
            "supervisor.name" => Some(
                self.supervisor_name
                    .clone()
                    .unwrap_or_else(|| "our team lead".to_owned()),
            ),
            _ => None,
        }
    }
}

/// The placeholders a text uses, in order, each once.
fn placeholders(text: &str) -> Vec<&str> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else { break };
        let name = after[..end].trim();
        if !found.contains(&name) {
            found.push(name);
        }
        rest = &after[end + 2..];
    }
    found
}

/// Checks a saved reply's text: every placeholder must be one Rapport knows.
pub fn check(body: &str) -> Result<(), Invalid> {
    let unknown: Vec<&str> = placeholders(body)
        .into_iter()
        .filter(|name| !PLACEHOLDERS.iter().any(|(known, _)| known == name))
        .collect();
    if unknown.is_empty() {
        return Ok(());
    }
    let known: Vec<String> = PLACEHOLDERS
        .iter()
        .map(|(name, _)| format!("{{{{{name}}}}}"))
        .collect();
    Err(Invalid::new(
        "body",
        format!(
            "{} is not a placeholder Rapport can fill; use {}",
            unknown
                .iter()
                .map(|name| format!("{{{{{name}}}}}"))
                .collect::<Vec<_>>()
                .join(", "),
            known.join(", ")
        ),
    ))
}

/// The text with every placeholder filled.
pub fn fill(body: &str, values: &Values) -> String {
    let mut out = String::with_capacity(body.len());
    let mut rest = body;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else { break };
        out.push_str(&rest[..start]);
        match values.get(after[..end].trim()) {
            Some(value) => out.push_str(&value),
            None => out.push_str(&rest[start..start + 2 + end + 2]),
        }
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    out
}

/// What sending a saved reply also does to the ticket.
#[derive(
    Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
pub struct Actions {
    /// Tags added to the ticket.
    #[serde(default)]
    pub add_tags: Vec<String>,
    /// The priority it gets.
    pub priority: Option<Priority>,
    /// Whether the resolution is proposed with it ("did this fix it?").
    #[serde(default)]
    pub propose_resolution: bool,
}

impl Actions {
    pub fn is_empty(&self) -> bool {
        self.add_tags.is_empty() && self.priority.is_none() && !self.propose_resolution
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_filled_for_the_ticket() {
        let values = Values {
            customer_first_name: "Lena".into(),
            agent_name: "Sam".into(),
            ticket_number: 7,
            supervisor_name: None,
        };
        assert_eq!(
            fill(
                "Hi {{customer.first_name}}, about #{{ ticket.number }}: {{supervisor.name}} knows. {{agent.name}}",
                &values
            ),
            "Hi Lena, about #7: our team lead knows. Sam"
        );
        assert_eq!(
            fill("Braces { and }} stay {{", &values),
            "Braces { and }} stay {{"
        );
    }

    #[test]
    fn an_unknown_placeholder_is_refused_with_the_known_ones() {
        assert!(check("Hi {{customer.first_name}}").is_ok());
        let refused =
            check("Hi {{customer.name}} and {{order}}").expect_err("unknown placeholders");
        assert!(
            refused.message.contains("{{customer.name}}, {{order}}"),
            "{}",
            refused.message
        );
        assert!(refused.message.contains("{{customer.first_name}}"));
    }
}

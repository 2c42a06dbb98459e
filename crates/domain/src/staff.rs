//! What customers see of the staff handling their case: names, titles and direct phone
//! numbers, each published or not by a workspace setting. The seeds' customer learns to ask
//! for a name and a call-back; a workspace that prefers to keep names inside still tells the
//! customer who, by role, has the case.

use crate::Agent;

/// A yes/no workspace setting, as `(key, default)`; stored as `true` or `false`.
pub type FlagSetting = (&'static str, bool);

/// Customers see the names (and addresses) of the people on their case.
pub const PUBLISH_NAMES: FlagSetting = ("publish_staff_names", true);
/// Customers see staff titles.
pub const PUBLISH_TITLES: FlagSetting = ("publish_staff_titles", true);
/// Customers see staff direct phone numbers.
pub const PUBLISH_PHONES: FlagSetting = ("publish_staff_phones", false);

/// A flag's value: the stored one when it reads `true` or `false`, else its default.
pub fn flag((_, default): FlagSetting, stored: Option<&str>) -> bool {
    match stored.map(str::trim) {
        Some("true") => true,
        Some("false") => false,
        _ => default,
    }
}

/// How a flag is stored.
pub fn flag_value(value: bool) -> &'static str {
    if value { "true" } else { "false" }
}

/// Which staff details customers see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Publishing {
    pub names: bool,
    pub titles: bool,
    pub phones: bool,
}

impl Default for Publishing {
    fn default() -> Self {
        Publishing {
            names: PUBLISH_NAMES.1,
            titles: PUBLISH_TITLES.1,
            phones: PUBLISH_PHONES.1,
        }
    }
}

/// One staff member as a customer sees them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicContact {
    /// Their name, or the words for their part ("your support agent") when names are kept
    /// inside.
    pub name: String,
    pub named: bool,
    pub email: Option<String>,
    pub title: Option<String>,
    pub phone: Option<String>,
}

impl Publishing {
    /// `agent` as the customer sees them; `part` names their role in the case when names are
    /// not published.
    pub fn contact(&self, agent: &Agent, part: &str) -> PublicContact {
        let present = |value: &Option<String>| {
            value
                .as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        PublicContact {
            name: if self.names {
                agent.name.clone()
            } else {
                part.to_owned()
            },
            named: self.names,
            email: self.names.then(|| agent.email.clone()),
            title: present(&agent.title).filter(|_| self.titles),
            phone: present(&agent.phone).filter(|_| self.phones),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Role;

    fn agent() -> Agent {
        Agent {
            id: 1,
            email: "ana@example.com".to_owned(),
            name: "Ana Ruiz".to_owned(),
            role: Role::Agent,
            reports_to: None,
            title: Some("Customer care lead".to_owned()),
            phone: Some("+44 20 7946 0000".to_owned()),
            created_at: "2026-12-01T00:00:00.000000Z".to_owned(),
        }
    }

    #[test]
    fn by_default_names_and_titles_are_published_and_phones_are_not() {
        let contact = Publishing::default().contact(&agent(), "your support agent");
        assert_eq!(contact.name, "Ana Ruiz");
        assert_eq!(contact.email.as_deref(), Some("ana@example.com"));
        assert_eq!(contact.title.as_deref(), Some("Customer care lead"));
        assert_eq!(contact.phone, None);
    }

    #[test]
    fn without_names_the_customer_reads_the_part() {
        let publishing = Publishing {
            names: false,
            titles: false,
            phones: true,
        };
        let contact = publishing.contact(&agent(), "your support agent");
        assert_eq!(contact.name, "your support agent");
        assert_eq!(contact.email, None);
        assert_eq!(contact.title, None);
        assert_eq!(contact.phone.as_deref(), Some("+44 20 7946 0000"));
    }

    #[test]
    fn flags_read_their_default_when_unset_or_unreadable() {
        assert!(flag(PUBLISH_NAMES, None));
        assert!(!flag(PUBLISH_NAMES, Some("false")));
        assert!(!flag(PUBLISH_PHONES, Some("yes")));
    }
}

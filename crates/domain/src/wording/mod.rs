//! What Rapport writes to people by itself: the mail customers receive and the tasks agents
//! are handed. Every message is one template file under `crates/domain/templates/` (askama,
//! plain text), so a support lead can find and change the wording without reading code.
//!
//! - `templates/mail/*.txt`: the body of a mail to a customer.
//! - `templates/tasks/*.txt`: a task for an agent. The first line is the task's title; after
//!   one blank line comes its detail.
//!
//! Each template has a struct here naming what it needs; render it with [`Mail::text`] or
//! [`TaskText::of`].

pub mod erasure;
pub mod escalations;
pub mod health;
pub mod lifecycle;
pub mod mail;
pub mod notes;
pub mod notifications;
pub mod policies;
pub mod promises;
pub mod surveys;

use askama::Template;

/// A mail body to a customer.
pub trait Mail: Template {
    /// The rendered text. Rendering plain-text templates over plain data cannot fail; if it
    /// ever did, the reader gets an empty body rather than a crashed job.
    fn text(&self) -> String {
        self.render().unwrap_or_default()
    }
}

impl<T: Template> Mail for T {}

/// A task for an agent, as read from its template: the title, then the detail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskText {
    pub title: String,
    pub detail: String,
}

impl TaskText {
    pub fn of(template: &impl Template) -> TaskText {
        let text = template.render().unwrap_or_default();
        let (title, detail) = text.split_once('\n').unwrap_or((&text, ""));
        TaskText {
            title: title.trim().to_owned(),
            detail: detail.trim().to_owned(),
        }
    }
}

/// Text quoted on one line: its whitespace collapsed, cut after `max` characters with "...".
pub fn one_line(text: &str, max: usize) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= max {
        flat
    } else {
        format!("{}...", flat.chars().take(max).collect::<String>())
    }
}

/// The name we greet a customer by: their first name, or "there" ("Hi there").
pub fn first_name(name: Option<&str>) -> String {
    name.and_then(|n| n.split_whitespace().next())
        .unwrap_or("there")
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn customers_are_greeted_by_first_name() {
        assert_eq!(first_name(Some("Ana Ruiz")), "Ana");
        assert_eq!(first_name(Some("  ")), "there");
        assert_eq!(first_name(None), "there");
    }
}

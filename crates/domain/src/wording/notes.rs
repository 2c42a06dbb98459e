//! Internal notes Rapport writes on a ticket for the team.

use askama::Template;

/// Written on the ticket when it changes hands with a note for the next agent.
#[derive(Template)]
#[template(path = "notes/hand_over.txt")]
pub struct HandOver<'a> {
    pub note: &'a str,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wording::Mail;

    #[test]
    fn a_hand_over_note_says_what_it_is() {
        assert_eq!(
            HandOver {
                note: "She prefers calls."
            }
            .text(),
            "Hand-over: She prefers calls."
        );
    }
}

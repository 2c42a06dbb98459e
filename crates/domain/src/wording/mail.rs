//! Mail around the conversation itself: the footer of an agent's reply, the subject of our
//! replies, the sign-in link, and the notes kept on inbound mail for admins.

use askama::Template;

/// Below every agent reply we mail: where the customer can follow the request.
#[derive(Template)]
#[template(path = "mail/agent_reply.txt")]
pub struct AgentReply<'a> {
    /// What the agent wrote.
    pub text: &'a str,
    /// The request's page in the portal.
    pub portal_url: &'a str,
    /// Whom the customer can reach about it (see the store's `case_lines`).
    pub contacts: &'a [String],
}

/// The HTML part of an agent's reply: the reply as safe HTML (the message's own, escaped and
/// sanitized when it was written), then the same link as the text part's footer.
#[derive(Template)]
#[template(path = "mail/agent_reply.html")]
pub struct AgentReplyHtml<'a> {
    /// Already safe HTML.
    pub html: &'a str,
    pub portal_url: &'a str,
    pub contacts: &'a [String],
}

/// The portal sign-in link, mailed on request.
#[derive(Template)]
#[template(path = "mail/sign_in_link.txt")]
pub struct SignInLink<'a> {
    pub first_name: &'a str,
    pub link: &'a str,
    pub minutes: i64,
}

/// The subject of the sign-in link mail.
pub const SIGN_IN_LINK_SUBJECT: &str = "Your sign-in link";

/// An invitation to join the workspace as an agent: a link to choose a password.
#[derive(Template)]
#[template(path = "mail/agent_invite.txt")]
pub struct AgentInvite<'a> {
    pub first_name: &'a str,
    /// The admin who sent it.
    pub inviter: &'a str,
    pub workspace: &'a str,
    pub email: &'a str,
    pub link: &'a str,
    pub days: i64,
}

/// The subject of an invitation.
pub fn agent_invite_subject(workspace: &str) -> String {
    format!("You are invited to {workspace}")
}

/// A link to choose a new password, mailed on request from the sign-in page.
#[derive(Template)]
#[template(path = "mail/password_reset.txt")]
pub struct PasswordReset<'a> {
    pub first_name: &'a str,
    pub workspace: &'a str,
    pub email: &'a str,
    pub link: &'a str,
    pub minutes: i64,
}

/// The subject of a password reset mail.
pub const PASSWORD_RESET_SUBJECT: &str = "Choose a new password";

/// The subject of our mail on a ticket: the ticket's subject as a reply, with its number so
/// a reply finds its way back even without threading headers.
pub fn reply_subject(subject: &str, ticket_id: i64) -> String {
    if subject.to_lowercase().starts_with("re:") {
        format!("{subject} [#{ticket_id}]")
    } else {
        format!("Re: {subject} [#{ticket_id}]")
    }
}

/// The body we store for a customer mail without text.
pub fn empty_body(has_attachments: bool) -> &'static str {
    if has_attachments {
        "(Attachments only.)"
    } else {
        "(The message has no text.)"
    }
}

/// Why an inbound mail opened nothing, as an admin reads it in the list of inbound mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IntakeNote {
    Bulk,
    /// A bounce of our message with this id.
    Bounce(Option<i64>),
    NoSender,
    AutoReply,
    /// Imported from an archive: an agent's mail that answers no ticket in it.
    AgentMailOnNoTicket,
    /// Larger than the configured limit: its size (when the sender said it) and the limit,
    /// in bytes. Only its header block was kept.
    TooLarge {
        bytes: Option<usize>,
        limit: usize,
    },
}

impl std::fmt::Display for IntakeNote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            IntakeNote::Bulk => {
                f.write_str("bulk or list mail: it opens nothing and gets no answer")
            }
            IntakeNote::Bounce(Some(id)) => {
                write!(f, "a delivery failure report for our message {id}")
            }
            IntakeNote::Bounce(None) => {
                f.write_str("a delivery failure report that matches none of our messages")
            }
            IntakeNote::NoSender => f.write_str(
                "no sender address could be found in the message (From, Reply-To, Sender or Return-Path)",
            ),
            IntakeNote::AutoReply => {
                f.write_str("an automatic reply: it opens nothing and gets no answer")
            }
            IntakeNote::AgentMailOnNoTicket => f.write_str(
                "a mail from one of our agents that answers no ticket: imported mail opens tickets only from customers",
            ),
            IntakeNote::TooLarge {
                bytes: Some(bytes),
                limit,
            } => write!(
                f,
                "the message is {bytes} bytes, more than the limit of {limit}; \
                 it was not stored, only its headers were kept"
            ),
            IntakeNote::TooLarge { bytes: None, limit } => write!(
                f,
                "the message is more than the limit of {limit} bytes; \
                 it was not stored, only its headers were kept"
            ),
        }
    }
}

/// What the intake mended or guessed to read a customer's mail, as the agent reads it beside
/// the message, in case the guess was wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MailNote<'a> {
    /// The sender's address was written in a form mail programs should not write.
    SenderMended { written: &'a str, read: &'a str },
    /// The sender's domain has no dot (`someone@host`).
    SenderDomainWithoutDot(&'a str),
    /// From also named these, which no one can write to.
    SenderSkipped(&'a [String]),
    /// From had no usable address; the sender came from this header.
    SenderFromHeader(&'a str),
    /// Headers written as raw 8-bit text without the encoding mail needs, read in this charset:
    /// the one the message declares for its text, or a guess from the bytes.
    HeaderCharset { charset: &'a str, guessed: bool },
}

impl std::fmt::Display for MailNote<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MailNote::SenderMended { written, read } => write!(
                f,
                "The sender's address was written as \u{201c}{written}\u{201d} and read as {read}."
            ),
            MailNote::SenderDomainWithoutDot(address) => write!(
                f,
                "The sender's address {address} has no dot after the @; replies to it may not arrive."
            ),
            MailNote::SenderSkipped(written) => write!(
                f,
                "The From line also named \u{201c}{}\u{201d}, which is not an address anyone can write to.",
                written.join("\u{201d}, \u{201c}")
            ),
            MailNote::SenderFromHeader(header) => write!(
                f,
                "The From line had no usable address; the sender was read from the {header} line."
            ),
            MailNote::HeaderCharset {
                charset,
                guessed: false,
            } => write!(
                f,
                "The subject and names were written without the encoding mail needs; they were read as {charset}, the charset of the message's text."
            ),
            MailNote::HeaderCharset {
                charset,
                guessed: true,
            } => write!(
                f,
                "The subject and names were written without the encoding mail needs; they were read as {charset}, a guess from their bytes."
            ),
        }
    }
}

/// What we note on one of our messages when a delivery failure report names it.
pub fn bounced_detail(report_subject: &str) -> String {
    format!("bounced: {report_subject}")
}

/// What we note on one of our messages while its mail waits to be sent again.
pub fn retry_detail(error: &str) -> String {
    format!("not sent yet, will retry: {error}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wording::Mail;

    #[test]
    fn replies_keep_one_re_and_carry_the_ticket_number() {
        assert_eq!(reply_subject("Printer jams", 7), "Re: Printer jams [#7]");
        assert_eq!(
            reply_subject("RE: Printer jams", 7),
            "RE: Printer jams [#7]"
        );
    }

    #[test]
    fn an_agent_reply_ends_with_the_portal_link() {
        let text = AgentReply {
            text: "It is fixed.",
            portal_url: "https://help.example/portal/tickets/7",
            contacts: &[],
        }
        .text();
        assert_eq!(
            text,
            "It is fixed.\n\n-- \nFollow this request, reply or ask for a manager: https://help.example/portal/tickets/7\n"
        );
        let with_people = AgentReply {
            text: "It is fixed.",
            portal_url: "https://help.example/portal/tickets/7",
            contacts: &[
                "Handling your case: Sam".to_owned(),
                "Their manager: Priya".to_owned(),
            ],
        }
        .text();
        assert!(
            with_people.contains(
                "-- \nHandling your case: Sam\nTheir manager: Priya\nFollow this request"
            ),
            "{with_people}"
        );
    }

    #[test]
    fn the_sign_in_mail_says_how_long_the_link_works() {
        let text = SignInLink {
            first_name: "Ana",
            link: "https://help.example/portal/link/abc",
            minutes: 30,
        }
        .text();
        assert!(text.starts_with("Hello Ana,\n\nHere is your link to sign in to our support portal:\n\nhttps://help.example/portal/link/abc\n\n"));
        assert!(text.contains("It works once, within the next 30 minutes. If you did not ask for it, you can ignore this mail; nobody can sign in without it.\n"));
    }

    #[test]
    fn intake_notes_read_as_sentences() {
        assert_eq!(
            IntakeNote::Bounce(Some(4)).to_string(),
            "a delivery failure report for our message 4"
        );
        assert_eq!(
            MailNote::SenderMended {
                written: "name@example.com.",
                read: "name@example.com"
            }
            .to_string(),
            "The sender's address was written as \u{201c}name@example.com.\u{201d} and read as name@example.com."
        );
        assert_eq!(
            MailNote::SenderSkipped(&["@example.com".to_owned(), "x@".to_owned()]).to_string(),
            "The From line also named \u{201c}@example.com\u{201d}, \u{201c}x@\u{201d}, which is not an address anyone can write to."
        );
        assert_eq!(empty_body(true), "(Attachments only.)");
    }
}

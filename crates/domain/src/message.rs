//! Messages: the entries of a ticket's timeline.

use crate::named_enum;

named_enum! {
    /// Who wrote a message.
    AuthorKind, "author kind" {
        Customer => "customer",
        Agent => "agent",
        System => "system",
    }
}

named_enum! {
    /// How a message reached us, or how it leaves.
    Channel, "channel" {
        Email => "email",
        Portal => "portal",
        Phone => "phone",
        Chat => "chat",
        Api => "api",
        Note => "note",
    }
}

named_enum! {
    /// Whether the customer sees a message (`public`) or only staff do (`internal`).
    Visibility, "visibility" {
        Public => "public",
        Internal => "internal",
    }
}

/// Turns plain text into HTML that is safe to show as-is: every special character is escaped,
/// blank lines separate paragraphs and single line breaks are kept.
pub fn text_to_html(text: &str) -> String {
    let mut html = String::with_capacity(text.len() + 16);
    for (index, paragraph) in text
        .split("\n\n")
        .filter(|p| !p.trim().is_empty())
        .enumerate()
    {
        if index > 0 {
            html.push('\n');
        }
        html.push_str("<p>");
        for (line_index, line) in paragraph.trim_matches('\n').lines().enumerate() {
            if line_index > 0 {
                html.push_str("<br>\n");
            }
            escape_into(line, &mut html);
        }
        html.push_str("</p>");
    }
    html
}

/// How the customer's single-use "did this fix it?" links (`…/resolution/<token>`) are shown
/// in a message's HTML: the token is the customer's credential, so staff and the portal see
/// words instead of it; mail gets the words as the link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CustomerLinks {
    /// The link replaced by `words`.
    Hidden(&'static str),
    /// `Yes, it's fixed: URL` becomes a link named "Yes, it's fixed".
    Labelled,
}

/// A message's HTML (as [`text_to_html`] made it) with its resolution links shown `how`.
pub fn customer_links(html: &str, how: CustomerLinks) -> String {
    const MARK: &str = "/resolution/";
    let mut out = String::with_capacity(html.len());
    for (index, line) in html.split('\n').enumerate() {
        if index > 0 {
            out.push('\n');
        }
        let mut rest = line;
        loop {
            let Some(mark) = rest.find(MARK) else {
                out.push_str(rest);
                break;
            };
            let Some(start) = rest[..mark].rfind("http") else {
                out.push_str(&rest[..mark + MARK.len()]);
                rest = &rest[mark + MARK.len()..];
                continue;
            };
            let token_len = rest[mark + MARK.len()..]
                .bytes()
                .take_while(u8::is_ascii_alphanumeric)
                .count();
            let end = mark + MARK.len() + token_len;
            let url = &rest[start..end];
            let before = &rest[..start];
            match how {
                CustomerLinks::Hidden(words) => {
                    out.push_str(before);
                    out.push_str(words);
                }
                CustomerLinks::Labelled => {
                    // The label is the text since the last tag, without its colon.
                    let label_from = before.rfind('>').map_or(0, |at| at + 1);
                    let label = before[label_from..].trim_end().trim_end_matches(':').trim();
                    out.push_str(&before[..label_from]);
                    if label.is_empty() {
                        out.push_str(&format!("<a href=\"{url}\">{url}</a>"));
                    } else {
                        out.push_str(&format!("<a href=\"{url}\">{label}</a>"));
                    }
                }
            }
            rest = &rest[end..];
        }
    }
    out
}

/// Text made safe to place inside HTML.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    escape_into(text, &mut out);
    out
}

fn escape_into(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn resolution_links_become_words_or_named_links() {
        let text = "Did this fix it for you?\n\nYes, it's fixed: https://help.example/resolution/abc123XYZ\nNo, not yet: https://help.example/resolution/def456\n\nOr simply reply.";
        let html = text_to_html(text);
        let hidden = customer_links(&html, CustomerLinks::Hidden("[link]"));
        assert!(
            !hidden.contains("abc123XYZ") && !hidden.contains("def456"),
            "{hidden}"
        );
        assert!(hidden.contains("fixed: [link]<br>"), "{hidden}");
        let labelled = customer_links(&html, CustomerLinks::Labelled);
        assert!(
            labelled.contains(
                "<a href=\"https://help.example/resolution/abc123XYZ\">Yes, it&#39;s fixed</a>"
            ) || labelled.contains(
                "<a href=\"https://help.example/resolution/abc123XYZ\">Yes, it&#x27;s fixed</a>"
            ),
            "{labelled}"
        );
        assert!(
            labelled.contains("<a href=\"https://help.example/resolution/def456\">No, not yet</a>")
        );
        assert_eq!(
            customer_links("<p>No links here.</p>", CustomerLinks::Labelled),
            "<p>No links here.</p>"
        );
    }

    use super::*;

    #[test]
    fn text_becomes_escaped_paragraphs() {
        let html = text_to_html("Hi <b>Ana</b> & co,\nthanks.\n\n\nBye 'now'");
        assert_eq!(
            html,
            "<p>Hi &lt;b&gt;Ana&lt;/b&gt; &amp; co,<br>\nthanks.</p>\n<p>Bye &#39;now&#39;</p>"
        );
    }

    #[test]
    fn script_never_survives() {
        assert!(!text_to_html("<script>alert(1)</script>").contains("<script"));
    }
}

/// One entry of a ticket's timeline.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct Message {
    pub id: i64,
    pub ticket_id: i64,
    pub author: Author,
    pub channel: Channel,
    pub visibility: Visibility,
    /// The message as plain text.
    pub text: String,
    /// The message as HTML that is safe to display.
    pub html: String,
    /// For a customer's public message: what Rapport read in it.
    pub insight: Option<rapport_coach::Insight>,
    /// For an agent's public reply: the coach's review of it as sent.
    pub review: Option<rapport_coach::Review>,
    /// For a message that came or went by email.
    pub email: Option<EmailInfo>,
    /// The quoted history of an emailed reply, to be shown collapsed.
    pub quoted_text: Option<String>,
    pub attachments: Vec<AttachmentInfo>,
    pub created_at: String,
}

/// A message as an email.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct EmailInfo {
    /// The Message-ID, without angle brackets.
    pub message_id: Option<String>,
    pub from: Option<String>,
    pub to: Vec<String>,
    pub cc: Vec<String>,
    /// For mail we send: `queued`, `sent` or `bounced`.
    pub delivery: Option<String>,
    /// Why a delivery is delayed or failed, for people.
    pub delivery_detail: Option<String>,
    /// For mail that came in: what the intake mended or guessed to read it (a sender address
    /// read leniently, headers in an undeclared charset), for people.
    pub intake_note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct AttachmentInfo {
    pub id: i64,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
}

/// Who wrote a message: `id` is an agent id or a customer id depending on `kind`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Author {
    pub kind: AuthorKind,
    pub id: Option<i64>,
}

crate::named_enum! {
    /// Where one of our mails stands on its way to the customer.
    Delivery, "delivery state" {
        Queued => "queued",
        Sent => "sent",
        Bounced => "bounced",
    }
}

//! Rapport's reply coach and conversation insight: pure Rust, no I/O, deterministic, and
//! explainable. Every reason the coach gives comes from a readable list under `data/`.
//!
//! - [`analyze_reply`] reviews an agent's draft before it is sent: facets, findings, a score.
//! - [`analyze_message`] reads a customer's message: sentiment, frustration, intents, concerns.

mod evaluate;
mod insight;
mod lexicons;
mod patterns;
mod reply;
mod text;

pub use evaluate::{Agreement, Rated, agreement, evaluate, read_rated};
pub use insight::{Concern, FixWords, Insight, Intent, analyze_message, fix_words};
pub use reply::{
    Facets, Finding, FindingKind, OpenPromise, PolicyNote, PolitenessPoint, ReplyContext, Review,
    Severity, analyze_reply,
};
pub use text::html_to_text;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A range of the analysed text in characters (Unicode scalar values), end exclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

/// Which language the text is in, and whether it was analysed. The coach reads English,
/// German, Spanish and French (each with its own lists under `data/`); for anything else it
/// says so rather than give a wrong verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Language {
    /// `en`, `de`, `es`, `fr`, another ISO 639-1 code it recognised, or `und` when it could
    /// not tell.
    pub language: String,
    pub analysed: bool,
    /// Why the text was not analysed, for people.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl Language {
    fn detect(text: &text::Text<'_>) -> Language {
        let words = text
            .tokens
            .iter()
            .filter(|t| !t.number)
            .map(|t| t.norm.as_str());
        let (best, share, total) = lexicons::guess_language(words);
        let english = || Language {
            language: "en".into(),
            analysed: true,
            note: None,
        };
        // Too short to tell: read it as English.
        if total < 5 {
            return english();
        }
        let non_latin = text
            .tokens
            .iter()
            .filter(|t| t.norm.chars().any(|c| c.is_alphabetic() && !c.is_ascii()))
            .count();
        match best {
            Some("en") => english(),
            Some(code) if share >= 0.12 && lexicons::ANALYSED.contains(&code) => Language {
                language: code.to_owned(),
                analysed: true,
                note: None,
            },
            Some(code) if share >= 0.12 => Language {
                language: code.to_owned(),
                analysed: false,
                note: Some(format!(
                    "not analysed: language ({code}); the coach reads English, German, Spanish and French"
                )),
            },
            // Mostly another script, or a long text with no common English word at all.
            _ if non_latin * 2 > total || (total >= 20 && share < 0.03) => Language {
                language: "und".into(),
                analysed: false,
                note: Some(
                    "not analysed: language (could not recognise it as English, German, Spanish or French)"
                        .into(),
                ),
            },
            _ => english(),
        }
    }
}

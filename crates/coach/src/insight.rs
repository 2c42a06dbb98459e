//! What a customer's message says beyond its words: sentiment, frustration, intents (wanting
//! a manager, wanting to cancel...) and the distinct problems it raises.

use crate::lexicons::{KNOWN_ACRONYMS, Pack, pack};
use crate::patterns::Matches;
use crate::text::{Text, char_offset};
use crate::{Language, Span};
use serde::{Deserialize, Serialize};
use std::sync::LazyLock;
use utoipa::ToSchema;
use vader_parity::SentimentIntensityAnalyzer;

static VADER: LazyLock<SentimentIntensityAnalyzer> = LazyLock::new(SentimentIntensityAnalyzer::new);

/// What the customer wants, beyond the problem itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Intent {
    WantsManager,
    WantsToCancel,
    Complaint,
    Praise,
    LegalThreat,
    Urgent,
    /// They say the problem is fixed ("that fixed it, thanks").
    ConfirmsFix,
}

const INTENT_LISTS: &[(Intent, &str)] = &[
    (Intent::WantsManager, "wants_manager"),
    (Intent::WantsToCancel, "wants_to_cancel"),
    (Intent::Complaint, "complaint"),
    (Intent::Praise, "praise"),
    (Intent::LegalThreat, "legal_threat"),
    (Intent::Urgent, "urgent"),
    (Intent::ConfirmsFix, "confirms_fix"),
];

/// One distinct problem raised in a message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Concern {
    pub span: Span,
    pub text: String,
    /// The words that say what the concern is about; a reply that mentions none of them has
    /// probably not answered it.
    pub keywords: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Insight {
    /// From -1 (very negative) to 1 (very positive), by VADER.
    pub sentiment: f32,
    /// From 0 (calm) to 1 (exasperated): repetition ("again", "third time"), shouting,
    /// punctuation and strongly negative wording.
    pub frustration: f32,
    pub intents: Vec<Intent>,
    pub concerns: Vec<Concern>,
    #[serde(flatten)]
    pub language: Language,
}

/// Analyses one customer message (plain text).
pub fn analyze_message(text: &str) -> Insight {
    let parsed = Text::new(text);
    let language = Language::detect(&parsed);
    if !language.analysed {
        return Insight {
            sentiment: 0.0,
            frustration: 0.0,
            intents: vec![],
            concerns: vec![],
            language,
        };
    }
    let lang = pack(&language.language);
    let matches = lang.insight.find(&parsed);
    let sentiment = if lang.code == "en" {
        VADER.polarity_scores(text).compound as f32
    } else {
        sentiment(lang, &matches)
    };
    let frustration = frustration(lang, &parsed, &matches, sentiment);
    let mut intents: Vec<Intent> = INTENT_LISTS
        .iter()
        .filter(|(_, list)| !matches.by_lexicon[lang.insight.position(list)].is_empty())
        .map(|(intent, _)| *intent)
        .collect();
    if frustration >= 0.75 && !intents.contains(&Intent::Complaint) {
        intents.push(Intent::Complaint);
    }
    let concerns = concerns(lang, &parsed, &matches);
    Insight {
        sentiment: round(sentiment),
        frustration: round(frustration),
        intents,
        concerns,
        language,
    }
}

/// What a customer's words say about a fix they were asked about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FixWords {
    /// They say it is fixed ("that fixed it", "works now").
    pub says_fixed: bool,
    /// They name a problem outside those words ("still broken", "but now it fails"): "no more
    /// errors" says it is fixed, and its "errors" is not a problem.
    pub names_problem: bool,
}

/// Reads whether a message says a problem is fixed, and whether it names a problem besides.
pub fn fix_words(text: &str) -> FixWords {
    let parsed = Text::new(text);
    let lang = pack(&Language::detect(&parsed).language);
    let matches = lang.insight.find(&parsed);
    let fixed = &matches.by_lexicon[lang.insight.position("confirms_fix")];
    let problems = &matches.by_lexicon[lang.insight.position("problem_signals")];
    FixWords {
        says_fixed: !fixed.is_empty(),
        names_problem: problems
            .iter()
            .any(|p| !fixed.iter().any(|f| p.start < f.end && f.start < p.end)),
    }
}

/// Sentiment from a language's own weighed words (`sentiment.txt`), on VADER's scale: the sum
/// of the words' weights (a word after a negation counts against), normalised to -1..1 as
/// VADER does.
fn sentiment(lang: &Pack, matches: &Matches) -> f32 {
    let position = lang.insight.position("sentiment");
    let lexicon = &lang.insight.lexicons[position];
    let sum: f32 = matches.by_lexicon[position]
        .iter()
        .map(|m| lexicon.phrases[m.phrase].weight)
        .sum();
    sum / (sum * sum + 15.0).sqrt()
}

fn round(value: f32) -> f32 {
    (value * 1000.0).round() / 1000.0
}

fn frustration(lang: &Pack, text: &Text<'_>, matches: &Matches, sentiment: f32) -> f32 {
    let lexicon = lang.insight.position("frustration");
    let mut calm = 1.0_f32;
    for m in &matches.by_lexicon[lexicon] {
        calm *= 1.0
            - lang.insight.lexicons[lexicon].phrases[m.phrase]
                .weight
                .clamp(0.0, 1.0);
    }
    let long_words = text
        .tokens
        .iter()
        .filter(|t| t.norm.chars().count() >= 3 && !t.number)
        .count();
    let shouted = text
        .tokens
        .iter()
        .filter(|t| t.upper && t.norm.chars().count() >= 3 && !KNOWN_ACRONYMS.contains(&t.norm))
        .count();
    if long_words >= 3 && shouted * 10 >= long_words * 3 {
        calm *= 0.5;
    } else if shouted >= 2 {
        calm *= 0.75;
    }
    let bursts = text
        .sentences
        .iter()
        .filter(|s| s.exclamations >= 2 || (s.question && s.exclamations >= 1))
        .count();
    let repeated_questions = text.raw.matches("??").count();
    if bursts + repeated_questions > 0 {
        calm *= 0.7_f32.powi((bursts + repeated_questions).min(3) as i32);
    }
    if sentiment < -0.5 {
        calm *= 1.0 - 0.3 * (-sentiment);
    }
    (1.0 - calm).clamp(0.0, 1.0)
}

/// The sentences that describe problems, grouped into distinct concerns. A new concern starts
/// at a marker ("also", "another thing", "in addition") or a new list item.
fn concerns(lang: &Pack, text: &Text<'_>, matches: &Matches) -> Vec<Concern> {
    let problems = &matches.by_lexicon[lang.insight.position("problem_signals")];
    let markers = &matches.by_lexicon[lang.insight.position("concern_markers")];
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for (number, sentence) in text.sentences.iter().enumerate() {
        let in_sentence = |m: &&crate::patterns::Match| {
            m.start >= sentence.first_token && m.start < sentence.end_token
        };
        // A sentence says something about a problem when it has a problem word, asks a
        // question, or carries at least three content words; greetings, thanks and
        // signatures carry fewer and are left out.
        let content_words = text
            .sentence_tokens(number)
            .iter()
            .filter(|t| {
                !t.number && t.norm.chars().count() >= 3 && !lang.stopwords.contains(&t.norm)
            })
            .count();
        let is_problem =
            sentence.question || problems.iter().any(|m| in_sentence(&m)) || content_words >= 3;
        if !is_problem || praise_only(lang, number, matches, text) {
            continue;
        }
        let opens_new = markers.iter().any(|m| in_sentence(&m))
            || starts_list_item(&text.raw[sentence.start..sentence.end]);
        match groups.last_mut() {
            Some(group) if !opens_new => group.push(number),
            _ => groups.push(vec![number]),
        }
    }
    groups
        .into_iter()
        .map(|group| {
            let first = &text.sentences[group[0]];
            let last = &text.sentences[group[group.len() - 1]];
            let start = first.start
                + (text.raw[first.start..].len() - text.raw[first.start..].trim_start().len());
            let end = last.end;
            let mut keywords: Vec<String> = Vec::new();
            for &s in &group {
                for token in text.sentence_tokens(s) {
                    let word = &token.norm;
                    if token.number
                        || word.chars().count() < 3
                        || lang.stopwords.contains(word)
                        || keywords.contains(word)
                    {
                        continue;
                    }
                    keywords.push(word.clone());
                }
            }
            Concern {
                span: Span {
                    start: char_offset(text.raw, start),
                    end: char_offset(text.raw, end),
                },
                text: text.raw[start..end].trim().to_owned(),
                keywords,
            }
        })
        .collect()
}

/// A sentence of thanks or praise with no problem word in it ("Great job, thanks so much!").
fn praise_only(lang: &Pack, sentence: usize, matches: &Matches, text: &Text<'_>) -> bool {
    let in_sentence = |m: &crate::patterns::Match| text.tokens[m.start].sentence == sentence;
    let praise = matches.by_lexicon[lang.insight.position("praise")]
        .iter()
        .any(in_sentence);
    let problem = matches.by_lexicon[lang.insight.position("problem_signals")]
        .iter()
        .any(in_sentence);
    praise && !problem
}

fn starts_list_item(sentence: &str) -> bool {
    let trimmed = sentence.trim_start();
    let mut chars = trimmed.chars();
    match chars.next() {
        Some('-' | '*' | '\u{2022}') => true,
        Some(c) if c.is_ascii_digit() => {
            let rest: String = chars.take_while(|c| !c.is_whitespace()).collect();
            rest.ends_with('.') || rest.ends_with(')')
        }
        _ => false,
    }
}

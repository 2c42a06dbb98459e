//! Every data file, embedded at build time and parsed once on first use.

use crate::patterns::{Lexicon, Library};
use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

macro_rules! lexicons {
    ($dir:literal: $($name:literal),+ $(,)?) => {
        vec![$(($name, include_str!(concat!("../data/", $dir, "/", $name, ".txt")))),+]
    };
}

/// The reply lists; every language has each of them (an empty one says so in a comment).
macro_rules! reply_lists {
    ($dir:literal) => {
        lexicons![$dir:
            "closure_threat", "blame", "policy_wall", "deflection", "condescension", "jargon",
            "ownership_taken", "apology", "empathy_shown", "alternative_offered", "personal_touch",
            "offer_to_act", "reason", "greeting", "gratitude", "please", "hedges", "no_next_step",
            "no_empathy_when_upset", "unanswered_concern", "no_personal_address", "imperative_verbs",
            "deference", "direct_start", "factuality", "harsh_words", "warm_words", "exploration",
            "please_start", "counterfactual_modal", "indicative_modal", "indirect", "direct_question",
            "first_person_start", "first_person", "first_person_plural", "second_person",
            "second_person_start", "emphasis", "apologizing", "negative_words",
        ]
    };
}

/// The insight lists of every language.
macro_rules! insight_lists {
    ($dir:literal) => {
        lexicons![$dir:
            "wants_manager", "wants_to_cancel", "complaint", "praise", "legal_threat", "urgent",
            "frustration", "problem_signals", "concern_markers", "confirms_fix", "sentiment",
        ]
    };
}

fn library(files: Vec<(&'static str, &'static str)>) -> Library {
    let lexicons = files
        .into_iter()
        .map(|(name, source)| {
            Lexicon::parse(name, source).unwrap_or_else(|error| panic!("{error}"))
        })
        .collect();
    Library::new(lexicons)
}

/// Everything the coach and the insight read in one language.
pub struct Pack {
    pub code: &'static str,
    pub reply: Library,
    pub insight: Library,
    pub stopwords: HashSet<String>,
    /// The sentences the code puts together (`wording.txt`), by key.
    wording: HashMap<String, String>,
}

impl Pack {
    fn new(
        code: &'static str,
        reply: Vec<(&'static str, &'static str)>,
        insight: Vec<(&'static str, &'static str)>,
        stopwords: &str,
        wording: &str,
    ) -> Pack {
        let wording = wording
            .lines()
            .filter(|line| !line.trim_start().starts_with('#'))
            .filter_map(|line| line.split_once('='))
            .map(|(key, value)| (key.trim().to_owned(), value.trim().to_owned()))
            .collect();
        Pack {
            code,
            reply: library(reply),
            insight: library(insight),
            stopwords: words(stopwords),
            wording,
        }
    }

    /// The sentence `key` with each `{name}` replaced by its value.
    pub fn say(&self, key: &str, values: &[(&str, &str)]) -> String {
        let mut sentence = self
            .wording
            .get(key)
            .cloned()
            .unwrap_or_else(|| panic!("{}: wording.txt has no `{key}`", self.code));
        for (name, value) in values {
            sentence = sentence.replace(&format!("{{{name}}}"), value);
        }
        sentence
    }
}

pub static EN: LazyLock<Pack> = LazyLock::new(|| {
    Pack::new(
        "en",
        reply_lists!("reply"),
        insight_lists!("insight"),
        include_str!("../data/insight/stopwords.txt"),
        include_str!("../data/wording.txt"),
    )
});

pub static DE: LazyLock<Pack> = LazyLock::new(|| {
    Pack::new(
        "de",
        reply_lists!("de/reply"),
        insight_lists!("de/insight"),
        include_str!("../data/de/stopwords.txt"),
        include_str!("../data/de/wording.txt"),
    )
});

pub static ES: LazyLock<Pack> = LazyLock::new(|| {
    Pack::new(
        "es",
        reply_lists!("es/reply"),
        insight_lists!("es/insight"),
        include_str!("../data/es/stopwords.txt"),
        include_str!("../data/es/wording.txt"),
    )
});

pub static FR: LazyLock<Pack> = LazyLock::new(|| {
    Pack::new(
        "fr",
        reply_lists!("fr/reply"),
        insight_lists!("fr/insight"),
        include_str!("../data/fr/stopwords.txt"),
        include_str!("../data/fr/wording.txt"),
    )
});

/// The languages the coach reads, by code.
pub const ANALYSED: &[&str] = &["en", "de", "es", "fr"];

/// The pack of a language the coach reads; English for any other.
pub fn pack(code: &str) -> &'static Pack {
    match code {
        "de" => &DE,
        "es" => &ES,
        "fr" => &FR,
        _ => &EN,
    }
}

/// Plain word lists: every whitespace-separated word, skipping `#` comments.
fn words(source: &str) -> HashSet<String> {
    source
        .lines()
        .filter(|line| !line.trim_start().starts_with('#'))
        .flat_map(str::split_whitespace)
        .map(str::to_owned)
        .collect()
}

pub static KNOWN_ACRONYMS: LazyLock<HashSet<String>> =
    LazyLock::new(|| words(include_str!("../data/reply/acronyms_known.txt")));

/// Each common word with the languages it belongs to (bit `i` is `LANGUAGE_CODES[i]`), so a
/// word is looked up once, not once per language.
static LANGUAGE_WORDS: LazyLock<(Vec<String>, HashMap<String, u32>)> = LazyLock::new(|| {
    let mut codes = Vec::new();
    let mut words: HashMap<String, u32> = HashMap::new();
    let lines = include_str!("../data/languages.txt").lines();
    for line in lines.filter(|line| !line.trim_start().starts_with('#') && !line.trim().is_empty())
    {
        let mut parts = line.split_whitespace();
        let Some(code) = parts.next() else { continue };
        let bit = 1u32 << codes.len();
        codes.push(code.to_owned());
        for word in parts {
            *words.entry(word.to_owned()).or_default() |= bit;
        }
    }
    (codes, words)
});

/// The language whose common words make up most of `tokens`, with its share and the number
/// of tokens seen.
pub fn guess_language<'a>(
    tokens: impl Iterator<Item = &'a str>,
) -> (Option<&'static str>, f32, usize) {
    let (codes, words) = &*LANGUAGE_WORDS;
    let mut counts = vec![0usize; codes.len()];
    let mut total = 0;
    for token in tokens {
        total += 1;
        if let Some(&bits) = words.get(token) {
            for (index, count) in counts.iter_mut().enumerate() {
                *count += ((bits >> index) & 1) as usize;
            }
        }
    }
    // English wins ties: it is the first line of the file.
    let best = counts
        .iter()
        .enumerate()
        .rev()
        .max_by_key(|&(index, count)| (*count, usize::MAX - index));
    match best {
        Some((index, &count)) if total > 0 && count > 0 => (
            Some(codes[index].as_str()),
            count as f32 / total as f32,
            total,
        ),
        _ => (None, 0.0, total),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_data_file_parses() {
        for code in ANALYSED {
            let pack = pack(code);
            assert_eq!(pack.code, *code);
            assert!(pack.reply.lexicons.len() > 20);
            assert!(pack.insight.lexicons.len() > 8);
            assert!(!pack.stopwords.is_empty());
        }
        assert!(EN.stopwords.contains("the"));
        assert!(KNOWN_ACRONYMS.contains("faq"));
        assert_eq!(LANGUAGE_WORDS.0.first().map(String::as_str), Some("en"));
    }

    #[test]
    fn every_language_has_every_sentence() {
        for code in ANALYSED {
            let mut keys: Vec<&String> = pack(code).wording.keys().collect();
            let mut english: Vec<&String> = EN.wording.keys().collect();
            keys.sort();
            english.sort();
            assert_eq!(keys, english, "{code}/wording.txt");
        }
    }

    #[test]
    fn every_finding_list_explains_itself() {
        for lexicon in ANALYSED.iter().flat_map(|code| &pack(code).reply.lexicons) {
            if lexicon.kind.is_some() {
                assert!(
                    !lexicon.explain.is_empty(),
                    "{} needs @explain",
                    lexicon.name
                );
                assert!(
                    !lexicon.suggest.is_empty(),
                    "{} needs @suggest",
                    lexicon.name
                );
                assert!(
                    lexicon.severity.is_some(),
                    "{} needs @severity",
                    lexicon.name
                );
            }
        }
    }
}

//! The coach's reasons are data: lexicon files under `data/`, one list per file, read at first
//! use. The format, for a person editing a list:
//!
//! ```text
//! # A comment: what the list is and where it comes from.
//! @kind closure_threat          the finding this list raises (optional)
//! @severity warning             info | warning | serious
//! @facet politeness -10         each match moves a facet by this much (times the weight)
//! @explain One sentence for the agent: why this matters.
//! @suggest What to write instead.
//! @mode absent                  raise the finding when none of the phrases occur
//! @sentence-needs close|closed  a match counts only in a sentence with one of these words
//! @position start               a match counts only where a sentence begins
//! @position elsewhere           a match counts only where a sentence does not begin
//! @sentence question            a match counts only in a sentence that asks (ends with `?`)
//! @label a bare "please" opening  what the list is called where the coach shows its points
//! will be closed                a phrase; words match whole, in any case
//! if you don't reply|respond    `a|b` is either word
//! close this ticket =2          `=N` weighs a phrase (default 1)
//! within #n days                `#n` is a number, in digits or words
//! ticket * close                `*` is any one word; `~` is up to five words
//! ! won't be closed             `!` marks a near miss: a match it overlaps is dropped
//! ```
//!
//! Phrases never cross a sentence boundary. A hyphen in a phrase separates words, as it does
//! in the text ("pourriez-vous" is "pourriez vous").

use crate::text::Text;
use std::collections::HashMap;

#[derive(Debug, Clone, PartialEq)]
enum Step {
    Word(Vec<String>),
    AnyWord,
    Number,
    Gap,
}

#[derive(Debug, Clone)]
pub struct Phrase {
    steps: Vec<Step>,
    pub weight: f32,
    pub near_miss: bool,
}

/// One list, as read from its file.
#[derive(Debug, Clone, Default)]
pub struct Lexicon {
    pub name: &'static str,
    pub kind: Option<String>,
    pub severity: Option<String>,
    pub facets: Vec<(String, f32)>,
    pub explain: String,
    pub suggest: String,
    /// `absent`: the finding is raised when none of the phrases occur (`@mode absent`).
    pub absent: bool,
    /// A match counts only if its sentence has one of these words (`@sentence-needs a|b|c`).
    pub sentence_needs: Vec<String>,
    /// A match counts only at the start of a sentence (`@position start`).
    pub at_sentence_start: bool,
    /// A match counts only away from the start of a sentence (`@position elsewhere`).
    pub not_at_sentence_start: bool,
    /// A match counts only in a question (`@sentence question`).
    pub in_question: bool,
    /// The list's name for people, where its points are shown (`@label`).
    pub label: String,
    pub phrases: Vec<Phrase>,
}

/// Where a phrase matched: token range `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Match {
    pub start: usize,
    pub end: usize,
    pub phrase: usize,
}

const NUMBER_WORDS: &[&str] = &[
    "a", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
    "twelve", "fourteen", "fifteen", "twenty", "thirty", "few", "several", "couple",
];

impl Lexicon {
    /// Parses one file. Errors name the file and line; the files are part of the build and a
    /// test reads them all, so a mistake is caught before it ships.
    pub fn parse(name: &'static str, source: &str) -> Result<Lexicon, String> {
        let mut lexicon = Lexicon {
            name,
            ..Lexicon::default()
        };
        for (number, line) in source.lines().enumerate() {
            let line = line.trim();
            let at = || format!("{name}.txt line {}", number + 1);
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if let Some(directive) = line.strip_prefix('@') {
                let (key, value) = directive.split_once(' ').unwrap_or((directive, ""));
                let value = value.trim();
                match key {
                    "kind" => lexicon.kind = Some(value.to_owned()),
                    "severity" => {
                        if !matches!(value, "info" | "warning" | "serious") {
                            return Err(format!("{}: unknown severity `{value}`", at()));
                        }
                        lexicon.severity = Some(value.to_owned());
                    }
                    "facet" => {
                        let (facet, amount) = value
                            .split_once(' ')
                            .ok_or_else(|| format!("{}: `@facet NAME AMOUNT`", at()))?;
                        let amount: f32 = amount
                            .trim()
                            .parse()
                            .map_err(|_| format!("{}: `{amount}` is not a number", at()))?;
                        if !matches!(facet, "politeness" | "empathy" | "ownership" | "clarity") {
                            return Err(format!("{}: unknown facet `{facet}`", at()));
                        }
                        lexicon.facets.push((facet.to_owned(), amount));
                    }
                    "explain" => lexicon.explain = value.to_owned(),
                    "mode" if value == "absent" => lexicon.absent = true,
                    "position" if value == "start" => lexicon.at_sentence_start = true,
                    "position" if value == "elsewhere" => lexicon.not_at_sentence_start = true,
                    "sentence" if value == "question" => lexicon.in_question = true,
                    "label" => lexicon.label = value.to_owned(),
                    "sentence-needs" => {
                        lexicon.sentence_needs = value.split('|').map(str::to_owned).collect()
                    }
                    "suggest" => lexicon.suggest = value.to_owned(),
                    other => return Err(format!("{}: unknown directive `@{other}`", at())),
                }
                continue;
            }
            let (near_miss, line) = match line.strip_prefix('!') {
                Some(rest) => (true, rest.trim()),
                None => (false, line),
            };
            let (phrase, weight) = match line.rsplit_once(" =") {
                Some((phrase, weight)) => (
                    phrase.trim(),
                    weight
                        .trim()
                        .parse::<f32>()
                        .map_err(|_| format!("{}: bad weight `{weight}`", at()))?,
                ),
                None => (line, 1.0),
            };
            // A hyphen separates words in the text ("pourriez-vous" is two), so in a phrase too.
            let phrase = phrase.replace('-', " ");
            let steps: Vec<Step> = phrase
                .split_whitespace()
                .map(|word| match word {
                    "*" => Step::AnyWord,
                    "#n" => Step::Number,
                    "~" => Step::Gap,
                    _ => Step::Word(
                        word.split('|')
                            .map(|w| w.to_lowercase().replace('\u{2019}', "'"))
                            .collect(),
                    ),
                })
                .collect();
            if !matches!(steps.first(), Some(Step::Word(_))) {
                return Err(format!("{}: a phrase must start with a word", at()));
            }
            lexicon.phrases.push(Phrase {
                steps,
                weight,
                near_miss,
            });
        }
        Ok(lexicon)
    }

    /// The words a phrase can start with, for the index.
    fn first_words(&self, phrase: usize) -> &[String] {
        match self.phrases[phrase].steps.first() {
            Some(Step::Word(words)) => words,
            _ => &[],
        }
    }
}

/// All lexicons with an index from first word to the phrases that start with it.
pub struct Library {
    pub lexicons: Vec<Lexicon>,
    index: HashMap<String, Vec<(usize, usize)>>,
}

/// The matches of every lexicon in one text, near misses already applied.
pub struct Matches {
    /// Per lexicon, in text order.
    pub by_lexicon: Vec<Vec<Match>>,
}

impl Library {
    pub fn new(lexicons: Vec<Lexicon>) -> Library {
        let mut index: HashMap<String, Vec<(usize, usize)>> = HashMap::new();
        for (l, lexicon) in lexicons.iter().enumerate() {
            for p in 0..lexicon.phrases.len() {
                for word in lexicon.first_words(p) {
                    index.entry(word.clone()).or_default().push((l, p));
                }
            }
        }
        Library { lexicons, index }
    }

    pub fn position(&self, name: &str) -> usize {
        self.lexicons
            .iter()
            .position(|l| l.name == name)
            .unwrap_or_else(|| panic!("no lexicon named {name}"))
    }

    pub fn find(&self, text: &Text<'_>) -> Matches {
        let mut found: Vec<Vec<Match>> = vec![Vec::new(); self.lexicons.len()];
        let mut misses: Vec<Vec<Match>> = vec![Vec::new(); self.lexicons.len()];
        for start in 0..text.tokens.len() {
            let Some(candidates) = self.index.get(&text.tokens[start].norm) else {
                continue;
            };
            let sentence_end = text
                .sentences
                .get(text.tokens[start].sentence)
                .map_or(text.tokens.len(), |s| s.end_token);
            for &(l, p) in candidates {
                let phrase = &self.lexicons[l].phrases[p];
                if let Some(end) = match_steps(&phrase.steps, &text.tokens[..sentence_end], start) {
                    let m = Match {
                        start,
                        end,
                        phrase: p,
                    };
                    if phrase.near_miss {
                        misses[l].push(m)
                    } else {
                        found[l].push(m)
                    }
                }
            }
        }
        for ((matches, near), lexicon) in found.iter_mut().zip(&misses).zip(&self.lexicons) {
            if lexicon.at_sentence_start {
                matches.retain(|m| {
                    let sentence = text.tokens[m.start].sentence;
                    text.sentences
                        .get(sentence)
                        .is_some_and(|s| s.first_token == m.start)
                });
            }
            if lexicon.not_at_sentence_start {
                matches.retain(|m| {
                    let sentence = text.tokens[m.start].sentence;
                    text.sentences
                        .get(sentence)
                        .is_some_and(|s| s.first_token != m.start)
                });
            }
            if lexicon.in_question {
                matches.retain(|m| {
                    text.sentences
                        .get(text.tokens[m.start].sentence)
                        .is_some_and(|s| s.question)
                });
            }
            if !lexicon.sentence_needs.is_empty() {
                matches.retain(|m| {
                    let sentence = text.tokens[m.start].sentence;
                    text.sentence_tokens(sentence)
                        .iter()
                        .any(|t| lexicon.sentence_needs.contains(&t.norm))
                });
            }
            if !near.is_empty() {
                matches.retain(|m| !near.iter().any(|n| n.start < m.end && m.start < n.end));
            }
            // Keep the longest of overlapping matches so one phrase is not counted twice.
            matches.sort_by_key(|m| (m.start, usize::MAX - m.end));
            let mut kept: Vec<Match> = Vec::with_capacity(matches.len());
            for m in matches.drain(..) {
                if kept.last().is_none_or(|last| m.start >= last.end) {
                    kept.push(m);
                }
            }
            *matches = kept;
        }
        Matches { by_lexicon: found }
    }
}

/// Matches `steps` at `start`; returns the end token (exclusive).
fn match_steps(steps: &[Step], tokens: &[crate::text::Token], start: usize) -> Option<usize> {
    let Some((step, rest)) = steps.split_first() else {
        return Some(start);
    };
    match step {
        Step::Gap => (0..=5).find_map(|skip| {
            let at = start + skip;
            (at <= tokens.len())
                .then(|| match_steps(rest, tokens, at))
                .flatten()
        }),
        _ => {
            let token = tokens.get(start)?;
            let ok = match step {
                Step::Word(words) => words.contains(&token.norm),
                Step::AnyWord => true,
                Step::Number => token.number || NUMBER_WORDS.contains(&token.norm.as_str()),
                Step::Gap => false,
            };
            if ok {
                match_steps(rest, tokens, start + 1)
            } else {
                None
            }
        }
    }
}

impl Phrase {
    /// The first word of a one-word phrase list entry (for word lists such as verbs).
    pub fn first_word(&self) -> Option<&str> {
        match self.steps.first() {
            Some(Step::Word(words)) => words.first().map(String::as_str),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn library(source: &str) -> Library {
        Library::new(vec![Lexicon::parse("test", source).expect("valid")])
    }

    #[test]
    fn phrases_alternatives_numbers_gaps_and_near_misses() {
        let lib =
            library("if you don't reply|respond within #n days\nticket ~ close\n! won't close");
        let text = Text::new(
            "If you don't respond within four days, the ticket will close. The ticket won't close.",
        );
        let found = &lib.find(&text).by_lexicon[0];
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(found[0].start, 0);
        assert_eq!(found[1].start, 8);
    }

    #[test]
    fn phrases_do_not_cross_sentences() {
        let lib = library("days the");
        assert!(lib.find(&Text::new("Four days. The end.")).by_lexicon[0].is_empty());
    }

    #[test]
    fn mistakes_in_files_are_reported_with_their_line() {
        let err = Lexicon::parse("bad", "@severity huge").expect_err("bad severity");
        assert!(err.contains("bad.txt line 1"));
        assert!(Lexicon::parse("bad", "* starts wild").is_err());
        assert!(Lexicon::parse("bad", "@facet kindness 3").is_err());
    }
}

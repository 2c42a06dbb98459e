//! Search: what a person typed, read as words, "phrases" and prefix* terms, and the snippet
//! that shows where a ticket matched.
//!
//! Both databases index text as runs of letters and digits, lowercased (SQLite FTS5's
//! `unicode61` tokenizer; on PostgreSQL the `simple` configuration over text whose other
//! characters were made spaces), so a query is cut the same way here: `alice@example.com`
//! becomes the phrase `alice example com`, `don't` the phrase `don t`. Nothing the person
//! typed reaches a database's query syntax: quotes and `*` are read here, and every other
//! character that is not a letter or digit only separates words. So `NEAR`, `OR`, `-` and a
//! stray quote are words or separators, never operators.

use std::fmt;

/// At most this many characters are read from a query.
pub const MAX_QUERY_CHARS: usize = 500;
/// At most this many terms (words or phrases) in one query; each must match.
pub const MAX_TERMS: usize = 12;
/// A prefix shorter than this would match much of the vocabulary; it is searched as a word.
pub const MIN_PREFIX_CHARS: usize = 2;

/// One term of a query: a word, or a phrase of several words in order. With `prefix`, the
/// last word matches every word that starts with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    pub words: Vec<String>,
    pub prefix: bool,
}

/// A query read from what a person typed: every term must match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchQuery {
    pub terms: Vec<Term>,
}

/// Why a query cannot be searched, in words for the person who typed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueryError {
    NoWords,
    TooLong,
    TooManyTerms,
}

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            QueryError::NoWords => {
                f.write_str("the search has no word to look for; type at least one word or number")
            }
            QueryError::TooLong => write!(
                f,
                "the search is longer than {MAX_QUERY_CHARS} characters; search for fewer words"
            ),
            QueryError::TooManyTerms => write!(
                f,
                "the search has more than {MAX_TERMS} words or phrases; search for fewer"
            ),
        }
    }
}

impl std::error::Error for QueryError {}

/// The words of `text` as the index sees them: runs of letters and digits, with their byte
/// range in `text`.
pub fn words(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut rest = text.char_indices().peekable();
    std::iter::from_fn(move || {
        while let Some(&(_, c)) = rest.peek() {
            if c.is_alphanumeric() {
                break;
            }
            rest.next();
        }
        let (start, _) = *rest.peek()?;
        let mut end = start;
        while let Some(&(at, c)) = rest.peek() {
            if !c.is_alphanumeric() {
                break;
            }
            end = at + c.len_utf8();
            rest.next();
        }
        Some((start, &text[start..end]))
    })
}

fn lowercase_words(text: &str) -> Vec<String> {
    words(text).map(|(_, word)| word.to_lowercase()).collect()
}

impl SearchQuery {
    /// Reads a query: bare words, `"phrases in quotes"` (an unclosed quote runs to the end),
    /// and a `*` right after a word or closing quote for a prefix.
    pub fn parse(input: &str) -> Result<SearchQuery, QueryError> {
        if input.chars().count() > MAX_QUERY_CHARS {
            return Err(QueryError::TooLong);
        }
        let mut terms = Vec::new();
        let mut rest = input;
        while let Some(start) = rest.find(|c: char| !c.is_whitespace()) {
            rest = &rest[start..];
            let (chunk, after) = if let Some(quoted) = rest.strip_prefix('"') {
                match quoted.find('"') {
                    Some(end) => (&quoted[..end], &quoted[end + 1..]),
                    None => (quoted, ""),
                }
            } else {
                let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
                let word = &rest[..end];
                // A `*` ending a bare word is read below, like one after a closing quote.
                match word.strip_suffix('*') {
                    Some(stem) => (stem, &rest[stem.len()..]),
                    None => (word, &rest[end..]),
                }
            };
            let prefix = after.starts_with('*');
            rest = if prefix { &after[1..] } else { after };
            let words = lowercase_words(chunk);
            let Some(last) = words.last() else {
                continue;
            };
            let prefix = prefix && last.chars().count() >= MIN_PREFIX_CHARS;
            let term = Term { words, prefix };
            if !terms.contains(&term) {
                terms.push(term);
            }
        }
        if terms.is_empty() {
            return Err(QueryError::NoWords);
        }
        if terms.len() > MAX_TERMS {
            return Err(QueryError::TooManyTerms);
        }
        Ok(SearchQuery { terms })
    }

    /// The ticket number the query names, when it is only a number (`42` or `#42`).
    pub fn ticket_number(input: &str) -> Option<i64> {
        input
            .trim()
            .trim_start_matches('#')
            .parse::<i64>()
            .ok()
            .filter(|n| *n > 0)
    }

    /// Whether a word of a text (lowercased) is one the query looks for.
    fn matches(&self, word: &str) -> bool {
        self.terms.iter().any(|term| {
            let last = term.words.len() - 1;
            term.words.iter().enumerate().any(|(index, wanted)| {
                word == wanted || (term.prefix && index == last && word.starts_with(wanted))
            })
        })
    }
}

/// A piece of a snippet: text, and whether it is a word the query matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Piece {
    pub text: String,
    pub hit: bool,
}

/// A short passage of a text around the first of the query's words in it, with those words
/// marked.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Snippet {
    pub pieces: Vec<Piece>,
}

/// How many words a snippet shows: a few before the first hit, the rest after.
const SNIPPET_WORDS: usize = 24;
const WORDS_BEFORE: usize = 6;

impl Snippet {
    /// The passage of `text` around its first word the query matches; `None` when it has
    /// none.
    pub fn of(text: &str, query: &SearchQuery) -> Option<(Snippet, usize)> {
        let all: Vec<(usize, &str)> = words(text).collect();
        let hits: Vec<bool> = all
            .iter()
            .map(|(_, word)| query.matches(&word.to_lowercase()))
            .collect();
        let first = hits.iter().position(|hit| *hit)?;
        let from = first.saturating_sub(WORDS_BEFORE);
        let to = (from + SNIPPET_WORDS).min(all.len());
        let distinct = all[from..to]
            .iter()
            .zip(&hits[from..to])
            .filter(|(_, hit)| **hit)
            .map(|((_, word), _)| word.to_lowercase())
            .collect::<std::collections::HashSet<_>>()
            .len();
        // Out to the spaces around the words, so that quotes and punctuation stay whole.
        let start = text[..all[from].0]
            .rfind(char::is_whitespace)
            .map_or(0, |at| at + 1);
        let last_end = all[to - 1].0 + all[to - 1].1.len();
        let end = text[last_end..]
            .find(char::is_whitespace)
            .map_or(text.len(), |at| last_end + at);
        let mut pieces = Vec::new();
        let mut plain = String::new();
        if !text[..start].trim().is_empty() {
            plain.push('…');
        }
        let mut at = start;
        for ((offset, word), hit) in all[from..to].iter().zip(&hits[from..to]) {
            if !*hit {
                continue;
            }
            plain.push_str(&one_line(&text[at..*offset]));
            if !plain.is_empty() {
                pieces.push(Piece {
                    text: std::mem::take(&mut plain),
                    hit: false,
                });
            }
            pieces.push(Piece {
                text: (*word).to_owned(),
                hit: true,
            });
            at = offset + word.len();
        }
        plain.push_str(&one_line(&text[at..end]));
        if end < text.trim_end().len() {
            plain.push('…');
        }
        if !plain.is_empty() {
            pieces.push(Piece {
                text: plain,
                hit: false,
            });
        }
        Some((Snippet { pieces }, distinct))
    }

    /// The best passage among `texts`: the one showing most of the query's different words,
    /// the earliest of equals.
    pub fn best<'a>(texts: impl IntoIterator<Item = &'a str>, query: &SearchQuery) -> Snippet {
        let mut best: Option<(Snippet, usize)> = None;
        for text in texts {
            if let Some((snippet, distinct)) = Snippet::of(text, query)
                && best.as_ref().is_none_or(|(_, most)| distinct > *most)
            {
                best = Some((snippet, distinct));
            }
        }
        best.map(|(snippet, _)| snippet).unwrap_or_default()
    }

    /// The snippet as HTML: every piece escaped, the matched words in `<mark>`. What a text
    /// holds can never become markup, because only this function writes tags.
    pub fn html(&self) -> String {
        let mut html = String::new();
        for piece in &self.pieces {
            if piece.hit {
                html.push_str("<mark>");
                html.push_str(&crate::message::escape_html(&piece.text));
                html.push_str("</mark>");
            } else {
                html.push_str(&crate::message::escape_html(&piece.text));
            }
        }
        html
    }

    /// The snippet as plain text.
    pub fn text(&self) -> String {
        self.pieces
            .iter()
            .map(|piece| piece.text.as_str())
            .collect()
    }
}

/// Line breaks and runs of spaces as one space, so a passage reads as one line.
fn one_line(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space = false;
    for c in text.chars() {
        if c.is_whitespace() {
            space = true;
            continue;
        }
        if space {
            out.push(' ');
            space = false;
        }
        out.push(c);
    }
    if space {
        out.push(' ');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn term(words: &[&str], prefix: bool) -> Term {
        Term {
            words: words.iter().map(|w| (*w).to_owned()).collect(),
            prefix,
        }
    }

    #[test]
    fn words_phrases_and_prefixes_are_read() {
        let query =
            SearchQuery::parse(r#"Refund "order number" invoi* "late deliv"*"#).expect("a query");
        assert_eq!(
            query.terms,
            vec![
                term(&["refund"], false),
                term(&["order", "number"], false),
                term(&["invoi"], true),
                term(&["late", "deliv"], true),
            ]
        );
    }

    #[test]
    fn punctuation_cuts_words_as_the_index_does() {
        let query = SearchQuery::parse("alice@example.com don't").expect("a query");
        assert_eq!(
            query.terms,
            vec![
                term(&["alice", "example", "com"], false),
                term(&["don", "t"], false)
            ]
        );
    }

    #[test]
    fn operators_and_stray_syntax_are_only_words_or_separators() {
        for input in [
            r#"printer" NEAR(jam"#,
            "-printer OR jam*",
            "printer AND NOT jam",
            "\"printer",
            "printer \"",
            "col:umn ^start {a b} (x)",
            "* ** *printer",
        ] {
            let query = SearchQuery::parse(input).expect(input);
            for term in &query.terms {
                for word in &term.words {
                    assert!(word.chars().all(char::is_alphanumeric), "{input}: {word:?}");
                }
            }
        }
        let query = SearchQuery::parse("printer NEAR jam").expect("a query");
        assert!(query.terms.contains(&term(&["near"], false)));
        assert_eq!(
            SearchQuery::parse("\"printer").expect("unclosed").terms,
            vec![term(&["printer"], false)]
        );
    }

    #[test]
    fn queries_without_words_or_too_big_are_refused() {
        for input in ["", "   ", "\"\"", "*", "-- ** \"\" !?"] {
            assert_eq!(
                SearchQuery::parse(input),
                Err(QueryError::NoWords),
                "{input}"
            );
        }
        assert_eq!(
            SearchQuery::parse(&"a".repeat(MAX_QUERY_CHARS + 1)),
            Err(QueryError::TooLong)
        );
        let many: Vec<String> = (0..=MAX_TERMS).map(|n| format!("w{n}")).collect();
        assert_eq!(
            SearchQuery::parse(&many.join(" ")),
            Err(QueryError::TooManyTerms)
        );
    }

    #[test]
    fn a_one_letter_prefix_is_a_word_and_repeats_count_once() {
        let query = SearchQuery::parse("a* printer printer").expect("a query");
        assert_eq!(
            query.terms,
            vec![term(&["a"], false), term(&["printer"], false)]
        );
    }

    #[test]
    fn ticket_numbers() {
        assert_eq!(SearchQuery::ticket_number(" #42 "), Some(42));
        assert_eq!(SearchQuery::ticket_number("42"), Some(42));
        assert_eq!(SearchQuery::ticket_number("42 printers"), None);
        assert_eq!(SearchQuery::ticket_number("#0"), None);
    }

    #[test]
    fn a_snippet_marks_the_words_and_escapes_the_text() {
        let query = SearchQuery::parse("refund invoi*").expect("a query");
        let (snippet, distinct) =
            Snippet::of("Hi <b>team</b>,\n\na REFUND for invoice 12 & more.", &query)
                .expect("a hit");
        assert_eq!(distinct, 2);
        assert_eq!(
            snippet.html(),
            "Hi &lt;b&gt;team&lt;/b&gt;, a <mark>REFUND</mark> for <mark>invoice</mark> 12 &amp; more."
        );
        assert!(Snippet::of("nothing here", &query).is_none());
    }

    #[test]
    fn a_long_text_is_cut_around_the_first_hit() {
        let query = SearchQuery::parse("needle").expect("a query");
        let text = format!("{} needle {}", "hay ".repeat(50), "straw ".repeat(50));
        let (snippet, _) = Snippet::of(&text, &query).expect("a hit");
        let shown = snippet.text();
        assert!(shown.starts_with('…') && shown.ends_with('…'), "{shown}");
        assert_eq!(shown.matches("hay").count(), WORDS_BEFORE);
        assert_eq!(words(&shown).count(), SNIPPET_WORDS);
    }

    #[test]
    fn the_best_snippet_shows_most_of_the_query() {
        let query = SearchQuery::parse("printer jam").expect("a query");
        let best = Snippet::best(["the printer is new", "a printer jam again", "jam"], &query);
        assert_eq!(best.text(), "a printer jam again");
        assert_eq!(Snippet::best(["nothing"], &query), Snippet::default());
    }
}

//! Turning a draft or a message into tokens and sentences, with byte positions kept so every
//! finding can point back at the words it is about.

/// One word (or number) of the text.
#[derive(Debug, Clone)]
pub struct Token {
    /// Lower-cased, with typographic apostrophes made plain: `don't`, `i'll`.
    pub norm: String,
    /// Byte range in the analysed text.
    pub start: usize,
    pub end: usize,
    pub sentence: usize,
    /// Written in capitals, at least two letters long: `DNS`, `NOW`.
    pub upper: bool,
    pub number: bool,
}

/// A sentence: a range of tokens and of bytes.
#[derive(Debug, Clone)]
pub struct Sentence {
    pub first_token: usize,
    /// One past the last token.
    pub end_token: usize,
    pub start: usize,
    pub end: usize,
    pub question: bool,
    pub exclamations: usize,
}

#[derive(Debug)]
pub struct Text<'a> {
    pub raw: &'a str,
    pub tokens: Vec<Token>,
    pub sentences: Vec<Sentence>,
}

/// Abbreviations whose full stop does not end a sentence.
const ABBREVIATIONS: &[&str] = &[
    "e.g", "i.e", "mr", "mrs", "ms", "dr", "etc", "vs", "approx", "no", "st",
];

impl<'a> Text<'a> {
    pub fn new(raw: &'a str) -> Text<'a> {
        let mut tokens = Vec::with_capacity(raw.len() / 5);
        let mut sentences = Vec::new();
        let mut sentence_start_byte = 0;
        let mut sentence_first_token = 0;
        let mut exclamations = 0;
        let mut question = false;
        let bytes = raw.as_bytes();
        let mut chars = raw.char_indices().peekable();

        let mut close = |tokens: &Vec<Token>,
                         end: usize,
                         question: bool,
                         exclamations: usize,
                         first: &mut usize,
                         start: &mut usize| {
            if tokens.len() > *first {
                sentences.push(Sentence {
                    first_token: *first,
                    end_token: tokens.len(),
                    start: *start,
                    end,
                    question,
                    exclamations,
                });
            }
            *first = tokens.len();
            *start = end;
        };

        while let Some((index, c)) = chars.next() {
            if c.is_alphanumeric() {
                let start = index;
                let mut end = index + c.len_utf8();
                let mut letters = usize::from(c.is_alphabetic());
                let mut uppercase = usize::from(c.is_uppercase());
                let mut digits = usize::from(c.is_ascii_digit());
                while let Some(&(next_index, next)) = chars.peek() {
                    let joins_word = (next == '\'' || next == '\u{2019}')
                        && raw[next_index + next.len_utf8()..]
                            .chars()
                            .next()
                            .is_some_and(char::is_alphanumeric);
                    if next.is_alphanumeric() || joins_word {
                        letters += usize::from(next.is_alphabetic());
                        uppercase += usize::from(next.is_uppercase());
                        digits += usize::from(next.is_ascii_digit());
                        end = next_index + next.len_utf8();
                        chars.next();
                    } else {
                        break;
                    }
                }
                let word = &raw[start..end];
                let mut norm = word.to_lowercase();
                if norm.contains('\u{2019}') {
                    norm = norm.replace('\u{2019}', "'");
                }
                tokens.push(Token {
                    norm,
                    start,
                    end,
                    // Set from the final sentence ranges below.
                    sentence: 0,
                    upper: letters >= 2 && uppercase == letters,
                    number: digits > 0 && letters == 0,
                });
                continue;
            }
            match c {
                '?' => question = true,
                '!' => exclamations += 1,
                _ => {}
            }
            let ends_sentence = match c {
                '.' => {
                    let after_space = bytes.get(index + 1).is_none_or(|b| b.is_ascii_whitespace());
                    let abbreviation = tokens
                        .last()
                        .filter(|t: &&Token| t.end == index)
                        .is_some_and(|t| {
                            ABBREVIATIONS.contains(&t.norm.as_str()) || t.norm.len() == 1
                        });
                    after_space && !abbreviation
                }
                '?' | '!' => bytes
                    .get(index + 1)
                    .is_none_or(|b| !matches!(b, b'?' | b'!')),
                '\n' => line_break_ends_sentence(raw, index),
                _ => false,
            };
            if ends_sentence {
                let end = index + c.len_utf8();
                close(
                    &tokens,
                    end,
                    question,
                    exclamations,
                    &mut sentence_first_token,
                    &mut sentence_start_byte,
                );
                question = false;
                exclamations = 0;
            }
        }
        close(
            &tokens,
            raw.len(),
            question,
            exclamations,
            &mut sentence_first_token,
            &mut sentence_start_byte,
        );

        // Assign each token its sentence from the final ranges.
        for (number, sentence) in sentences.iter().enumerate() {
            for token in &mut tokens[sentence.first_token..sentence.end_token] {
                token.sentence = number;
            }
        }
        Text {
            raw,
            tokens,
            sentences,
        }
    }

    /// The tokens of one sentence.
    pub fn sentence_tokens(&self, sentence: usize) -> &[Token] {
        let s = &self.sentences[sentence];
        &self.tokens[s.first_token..s.end_token]
    }

    /// Whether any token has this normalized text.
    pub fn has_word(&self, word: &str) -> bool {
        self.tokens.iter().any(|t| t.norm == word)
    }
}

/// A line break ends a sentence when the line before ends with punctuation, is short (a
/// greeting such as "Hi Ana," or a signature), or a blank line follows. Hard-wrapped lines of
/// one long sentence stay together.
fn line_break_ends_sentence(raw: &str, newline: usize) -> bool {
    let before = &raw[..newline];
    let line = before.rsplit('\n').next().unwrap_or(before).trim();
    if line.is_empty() {
        return false;
    }
    let after = &raw[newline + 1..];
    let next_line = after.split('\n').next().unwrap_or("").trim();
    line.ends_with(['.', '!', '?', ':', ',', ';'])
        || line.chars().count() <= 40
        || next_line.is_empty()
}

/// Character (Unicode scalar) offset of a byte offset, for spans people and browsers use.
pub fn char_offset(text: &str, byte: usize) -> usize {
    text[..byte.min(text.len())].chars().count()
}

/// The visible text of an HTML draft: tags dropped, block elements become line breaks, the
/// common entities decoded. Scripts and styles are dropped with their content.
pub fn html_to_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        push_decoded(&rest[..open], &mut out);
        let after = &rest[open..];
        let Some(close) = after.find('>') else {
            push_decoded(after, &mut out);
            rest = "";
            break;
        };
        let tag = after[1..close].trim().to_ascii_lowercase();
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        rest = &after[close + 1..];
        if !tag.starts_with('/') && (name == "script" || name == "style") {
            let end_tag = format!("</{name}");
            match rest.to_ascii_lowercase().find(&end_tag) {
                Some(end) => {
                    rest = &rest[end..];
                    rest = rest.find('>').map(|i| &rest[i + 1..]).unwrap_or("");
                }
                None => rest = "",
            }
            continue;
        }
        if matches!(
            name.as_str(),
            "br" | "p"
                | "div"
                | "li"
                | "tr"
                | "h1"
                | "h2"
                | "h3"
                | "h4"
                | "h5"
                | "h6"
                | "blockquote"
                | "ul"
                | "ol"
                | "table"
        ) && !out.ends_with('\n')
            && !out.is_empty()
        {
            out.push('\n');
            if name == "p" && tag.starts_with('/') {
                out.push('\n');
            }
        }
    }
    push_decoded(rest, &mut out);
    out.trim().to_owned()
}

fn push_decoded(text: &str, out: &mut String) {
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp..];
        let entity_end = after.find(';').filter(|&i| i <= 10);
        let decoded = entity_end.and_then(|end| {
            let name = &after[1..end];
            let c = match name {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" | "#39" => Some('\''),
                "nbsp" => Some(' '),
                "rsquo" => Some('\u{2019}'),
                "lsquo" => Some('\u{2018}'),
                "hellip" => Some('\u{2026}'),
                "mdash" => Some('\u{2014}'),
                "ndash" => Some('\u{2013}'),
                _ => name
                    .strip_prefix("#x")
                    .and_then(|hex| u32::from_str_radix(hex, 16).ok())
                    .or_else(|| name.strip_prefix('#').and_then(|dec| dec.parse().ok()))
                    .and_then(char::from_u32),
            };
            c.map(|c| (c, end))
        });
        match decoded {
            Some((c, end)) => {
                out.push(c);
                rest = &after[end + 1..];
            }
            None => {
                out.push('&');
                rest = &after[1..];
            }
        }
    }
    out.push_str(rest);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_sentences_and_positions() {
        let text = Text::new("Hi Ana,\n\nI’ll call you at 3 PM. Is that OK? Thanks!");
        let words: Vec<&str> = text.tokens.iter().map(|t| t.norm.as_str()).collect();
        assert_eq!(
            words,
            [
                "hi", "ana", "i'll", "call", "you", "at", "3", "pm", "is", "that", "ok", "thanks"
            ]
        );
        assert_eq!(text.sentences.len(), 4);
        assert!(text.sentences[2].question);
        assert_eq!(text.sentences[3].exclamations, 1);
        let pm = &text.tokens[7];
        assert!(pm.upper);
        assert_eq!(&text.raw[pm.start..pm.end], "PM");
        assert!(text.tokens[6].number);
        assert_eq!(text.tokens[3].sentence, 1);
    }

    #[test]
    fn hard_wrapped_lines_stay_one_sentence() {
        let text = Text::new(
            "I have looked at the filter settings on your account and I think the scoring threshold\nis too low for the kind of mail your clients send.",
        );
        assert_eq!(text.sentences.len(), 1);
    }

    #[test]
    fn abbreviations_do_not_end_sentences() {
        let text = Text::new("Try a different browser, e.g. Firefox, and tell me.");
        assert_eq!(text.sentences.len(), 1);
    }

    #[test]
    fn html_becomes_text() {
        let text = html_to_text(
            "<p>Hi&nbsp;Ana,</p><p>I&rsquo;ll call &amp; fix it.<br>Sam</p><script>alert(1)</script>",
        );
        assert_eq!(text, "Hi Ana,\n\nI\u{2019}ll call & fix it.\nSam");
    }

    #[test]
    fn char_offsets_count_characters() {
        assert_eq!(char_offset("héllo", 3), 2);
    }
}

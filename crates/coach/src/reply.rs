//! The reply coach: reviews an agent's draft before it is sent and explains what it sees.
//! It never blocks; it points at words and says why they matter.

use crate::insight::{Insight, Intent, analyze_message};
use crate::lexicons::{KNOWN_ACRONYMS, Pack, pack};
use crate::patterns::{Match, Matches};
use crate::text::{Text, char_offset, html_to_text};
use crate::{Language, Span};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What is known around the draft. Everything is optional.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct ReplyContext {
    /// The customer's last message(s), as plain text.
    pub customer_message: Option<String>,
    /// The customer's name, e.g. "Ana Silva".
    pub customer_name: Option<String>,
    /// Promises already made to this customer and not yet kept.
    #[serde(default)]
    pub open_promises: Vec<OpenPromise>,
    /// The case was escalated: the customer asked for someone higher up.
    #[serde(default)]
    pub escalated: bool,
    /// The ticket is a complaint.
    #[serde(default)]
    pub complaint: bool,
    /// The workspace's policies: when a draft hides behind a rule, the coach looks here for
    /// the one it cites and suggests its rationale and alternatives.
    #[serde(default)]
    pub policies: Vec<PolicyNote>,
}

/// A policy of the library, as the coach needs it.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct PolicyNote {
    pub title: String,
    /// Words that show a text is about this policy, such as "refund".
    #[serde(default)]
    pub keywords: Vec<String>,
    /// Why the policy exists, in words an agent can quote.
    pub rationale: String,
    /// What staff may offer instead.
    #[serde(default)]
    pub alternatives: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct OpenPromise {
    /// What was promised, e.g. "call back about the backup route".
    pub what: String,
    pub due_at: Option<String>,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Info,
    Warning,
    Serious,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    ClosureThreat,
    Blame,
    PolicyWall,
    Deflection,
    NoEmpathyWhenUpset,
    UnansweredConcern,
    NoNextStep,
    Jargon,
    Condescension,
    NoPersonalAddress,
    PromiseUnmentioned,
    OwnershipTaken,
    Apology,
    EmpathyShown,
    AlternativeOffered,
    PersonalTouch,
}

impl FindingKind {
    pub const ALL: &'static [FindingKind] = &[
        FindingKind::ClosureThreat,
        FindingKind::Blame,
        FindingKind::PolicyWall,
        FindingKind::Deflection,
        FindingKind::NoEmpathyWhenUpset,
        FindingKind::UnansweredConcern,
        FindingKind::NoNextStep,
        FindingKind::Jargon,
        FindingKind::Condescension,
        FindingKind::NoPersonalAddress,
        FindingKind::PromiseUnmentioned,
        FindingKind::OwnershipTaken,
        FindingKind::Apology,
        FindingKind::EmpathyShown,
        FindingKind::AlternativeOffered,
        FindingKind::PersonalTouch,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FindingKind::ClosureThreat => "closure_threat",
            FindingKind::Blame => "blame",
            FindingKind::PolicyWall => "policy_wall",
            FindingKind::Deflection => "deflection",
            FindingKind::NoEmpathyWhenUpset => "no_empathy_when_upset",
            FindingKind::UnansweredConcern => "unanswered_concern",
            FindingKind::NoNextStep => "no_next_step",
            FindingKind::Jargon => "jargon",
            FindingKind::Condescension => "condescension",
            FindingKind::NoPersonalAddress => "no_personal_address",
            FindingKind::PromiseUnmentioned => "promise_unmentioned",
            FindingKind::OwnershipTaken => "ownership_taken",
            FindingKind::Apology => "apology",
            FindingKind::EmpathyShown => "empathy_shown",
            FindingKind::AlternativeOffered => "alternative_offered",
            FindingKind::PersonalTouch => "personal_touch",
        }
    }

    pub fn from_name(name: &str) -> Option<FindingKind> {
        FindingKind::ALL
            .iter()
            .copied()
            .find(|kind| kind.as_str() == name)
    }

    /// Something the agent did well, shown so they see it too.
    pub fn is_positive(self) -> bool {
        matches!(
            self,
            FindingKind::OwnershipTaken
                | FindingKind::Apology
                | FindingKind::EmpathyShown
                | FindingKind::AlternativeOffered
                | FindingKind::PersonalTouch
        )
    }
}

/// Each from 0 to 100; 50 is neutral.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Facets {
    /// Courtesy and respect: greeting, thanks, apology, please, softeners; against bare
    /// commands, blame and condescension.
    pub politeness: u8,
    /// Acknowledging how the customer feels and asking rather than assuming.
    pub empathy: u8,
    /// Taking the problem on: "I will", a concrete next step and when; against deflection.
    pub ownership: u8,
    /// Plain words, explained terms, reasonable sentence length.
    pub clarity: u8,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Finding {
    pub kind: FindingKind,
    pub severity: Severity,
    /// Whether this is something done well.
    pub positive: bool,
    /// The part of the analysed text the finding is about; for something missing, the part
    /// where it belongs (the opening, the end, or the whole reply).
    pub span: Span,
    /// The words at `span`.
    pub excerpt: String,
    /// One sentence on why it matters.
    pub explanation: String,
    pub suggestion: String,
}

/// One phrase of the draft that moved the politeness facet, and by how much: the facet is 50
/// plus the points of every phrase listed, kept between 0 and 100.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PolitenessPoint {
    /// The politeness strategy, in words: "gratitude", "a bare command".
    pub strategy: String,
    /// Added to the facet (negative: taken away). A list's second phrase counts half, its
    /// third a third, so repeating a word does not multiply it.
    pub points: f32,
    pub span: Span,
    /// The words at `span`.
    pub excerpt: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Review {
    /// 0 to 100: the facets combined, less the weight of what was found. `null` when the
    /// draft was not analysed.
    pub score: Option<u8>,
    pub facets: Option<Facets>,
    /// Problems first (most serious first), then what was done well.
    pub findings: Vec<Finding>,
    /// Where the politeness facet comes from, phrase by phrase, in the order of the text.
    #[serde(default)]
    pub politeness_points: Vec<PolitenessPoint>,
    #[serde(flatten)]
    pub language: Language,
    /// For HTML drafts: the text that was analysed, which the spans refer to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub analysed_text: Option<String>,
    /// What the coach read in the customer's message, when one was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_insight: Option<Insight>,
}

/// At most this many findings of one kind, so a long draft is not buried in repeats.
const MAX_PER_KIND: usize = 3;

/// Reviews a draft (plain text or HTML).
pub fn analyze_reply(draft: &str, context: &ReplyContext) -> Review {
    let is_html = looks_like_html(draft);
    let analysed = if is_html {
        html_to_text(draft)
    } else {
        draft.to_owned()
    };
    let text = Text::new(&analysed);
    let language = Language::detect(&text);
    let customer_insight = context
        .customer_message
        .as_deref()
        .filter(|m| !m.trim().is_empty())
        .map(analyze_message);
    let analysed_text = is_html.then(|| analysed.clone());
    if !language.analysed {
        return Review {
            score: None,
            facets: None,
            findings: vec![],
            politeness_points: vec![],
            language,
            analysed_text,
            customer_insight,
        };
    }

    let lang = pack(&language.language);
    let matches = lang.reply.find(&text);
    let mut review = Reviewer {
        lang,
        text: &text,
        matches: &matches,
        findings: Vec::new(),
    };
    review.lexicon_findings();
    review.acronyms();
    review.no_next_step();
    review.no_personal_address(context.customer_name.as_deref());
    review.no_empathy_when_upset(customer_insight.as_ref(), context);
    review.unanswered_concerns(customer_insight.as_ref());
    review.unmentioned_promises(&context.open_promises);
    let mut findings = review.findings;
    if let Some(policy) = cited_policy(&analysed, context) {
        for finding in findings
            .iter_mut()
            .filter(|f| f.kind == FindingKind::PolicyWall)
        {
            finding.suggestion = policy_suggestion(lang, policy);
        }
    }

    if context.escalated || context.complaint {
        for finding in findings.iter_mut().filter(|f| !f.positive) {
            finding.severity = match finding.severity {
                Severity::Info => Severity::Warning,
                _ => Severity::Serious,
            };
        }
    }
    findings.sort_by(|a, b| {
        a.positive
            .cmp(&b.positive)
            .then(b.severity.cmp(&a.severity))
            .then(a.span.start.cmp(&b.span.start))
    });

    let (facets, politeness_points) = facets(&text, &matches, lang);
    let score = score(&facets, &findings);
    Review {
        score: Some(score),
        facets: Some(facets),
        findings,
        politeness_points,
        language,
        analysed_text,
        customer_insight,
    }
}

/// Lower-cased words (runs of letters and digits) of a text.
fn words_of(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// How many times the phrase's words appear in a row in `words`, each word of the phrase
/// starting a word of the text ("return" is found in "returns" and "returned").
fn occurrences(words: &[String], phrase: &str) -> usize {
    let wanted = words_of(phrase);
    if wanted.is_empty() || wanted.len() > words.len() {
        return 0;
    }
    words
        .windows(wanted.len())
        .filter(|window| {
            window
                .iter()
                .zip(&wanted)
                .all(|(w, p)| w.starts_with(p.as_str()))
        })
        .count()
}

/// The policy the draft (or, failing that, the customer's message) is about: its title or
/// keywords appear in it; the draft's words count twice. `None` when none appears.
fn cited_policy<'c>(draft: &str, context: &'c ReplyContext) -> Option<&'c PolicyNote> {
    let draft = words_of(draft);
    let ticket = words_of(context.customer_message.as_deref().unwrap_or(""));
    context
        .policies
        .iter()
        .map(|policy| {
            let hits = |words: &[String]| {
                occurrences(words, &policy.title) * 3
                    + policy
                        .keywords
                        .iter()
                        .map(|k| occurrences(words, k))
                        .sum::<usize>()
            };
            (hits(&draft) * 2 + hits(&ticket), policy)
        })
        .filter(|(score, _)| *score > 0)
        // The first of the best, so the same library always gives the same answer.
        .fold(
            None::<(usize, &PolicyNote)>,
            |best, (score, policy)| match best {
                Some((top, _)) if top >= score => best,
                _ => Some((score, policy)),
            },
        )
        .map(|(_, policy)| policy)
}

/// The policy-wall finding's suggestion when the cited policy is known: its reason to quote
/// and what may be offered instead.
fn policy_suggestion(lang: &Pack, policy: &PolicyNote) -> String {
    let mut suggestion = lang.say(
        "policy_reason",
        &[
            ("title", policy.title.trim()),
            ("rationale", policy.rationale.trim()),
        ],
    );
    if !suggestion.ends_with(['.', '!', '?']) {
        suggestion.push('.');
    }
    if !policy.alternatives.is_empty() {
        suggestion.push(' ');
        suggestion.push_str(&lang.say("policy_instead", &[]));
        suggestion.push(' ');
        suggestion.push_str(&policy.alternatives.join("; "));
        if !suggestion.ends_with(['.', '!', '?']) {
            suggestion.push('.');
        }
    }
    suggestion
}

fn looks_like_html(draft: &str) -> bool {
    let lower = draft
        .trim_start()
        .get(..draft.len().min(4096))
        .unwrap_or(draft)
        .to_ascii_lowercase();
    lower.starts_with('<')
        || ["</p>", "<br", "<div", "</a>", "<p>", "</li>", "&nbsp;"]
            .iter()
            .any(|tag| lower.contains(tag))
}

struct Reviewer<'t> {
    lang: &'static Pack,
    text: &'t Text<'t>,
    matches: &'t Matches,
    findings: Vec<Finding>,
}

impl<'t> Reviewer<'t> {
    fn lexicon(&self, name: &str) -> (&'static crate::patterns::Lexicon, &'t Vec<Match>) {
        let position = self.lang.reply.position(name);
        (
            &self.lang.reply.lexicons[position],
            &self.matches.by_lexicon[position],
        )
    }

    fn any(&self, name: &str) -> bool {
        !self.lexicon(name).1.is_empty()
    }

    fn bytes_of(&self, m: &Match) -> (usize, usize) {
        (
            self.text.tokens[m.start].start,
            self.text.tokens[m.end - 1].end,
        )
    }

    fn push(
        &mut self,
        kind: FindingKind,
        severity: Severity,
        bytes: (usize, usize),
        explanation: String,
        suggestion: String,
    ) {
        let raw = self.text.raw;
        self.findings.push(Finding {
            kind,
            severity,
            positive: kind.is_positive(),
            span: Span {
                start: char_offset(raw, bytes.0),
                end: char_offset(raw, bytes.1),
            },
            excerpt: raw[bytes.0..bytes.1].trim().to_owned(),
            explanation,
            suggestion,
        });
    }

    fn push_from(&mut self, name: &str, bytes: (usize, usize), explanation: Option<String>) {
        let (lexicon, _) = self.lexicon(name);
        let Some(kind) = lexicon.kind.as_deref().and_then(FindingKind::from_name) else {
            return;
        };
        let severity = severity(lexicon.severity.as_deref());
        let explanation = explanation.unwrap_or_else(|| lexicon.explain.clone());
        self.push(kind, severity, bytes, explanation, lexicon.suggest.clone());
    }

    /// Findings raised by phrases that are present.
    fn lexicon_findings(&mut self) {
        let sentence_of = |m: &Match| self.text.tokens[m.start].sentence;
        let explained_sentences: Vec<usize> = ["reason", "alternative_offered"]
            .iter()
            .flat_map(|name| self.lexicon(name).1.iter().map(sentence_of))
            .collect();
        let offers_to_act = self.any("offer_to_act");
        for lexicon in &self.lang.reply.lexicons {
            let Some(kind) = lexicon.kind.as_deref().and_then(FindingKind::from_name) else {
                continue;
            };
            if lexicon.absent {
                continue;
            }
            let (_, found) = self.lexicon(lexicon.name);
            let mut kept: Vec<(usize, usize)> = Vec::new();
            let mut seen_terms: Vec<&str> = Vec::new();
            let mut flagged_sentences: Vec<usize> = Vec::new();
            for m in found {
                let sentence = sentence_of(m);
                // One finding of a kind per sentence: "If you don't reply, the ticket will
                // close" is one threat, not two. Jargon is per term instead.
                if kind != FindingKind::Jargon && flagged_sentences.contains(&sentence) {
                    continue;
                }
                let bytes = self.bytes_of(m);
                let keep = match kind {
                    FindingKind::PolicyWall => !explained_sentences
                        .iter()
                        .any(|&s| s == sentence || s == sentence + 1),
                    FindingKind::Deflection => !offers_to_act,
                    FindingKind::Jargon => {
                        let term = &self.text.raw[bytes.0..bytes.1];
                        let fresh = !seen_terms.iter().any(|t| t.eq_ignore_ascii_case(term));
                        seen_terms.push(term);
                        fresh && !is_explained(self.text.raw, bytes)
                    }
                    _ => true,
                };
                let limit = if kind.is_positive() { 1 } else { MAX_PER_KIND };
                if keep && kept.len() < limit {
                    kept.push(bytes);
                    flagged_sentences.push(sentence);
                }
            }
            for bytes in kept {
                self.push_from(lexicon.name, bytes, None);
            }
        }
    }

    /// Capitalised abbreviations the customer may not know, unless explained nearby.
    fn acronyms(&mut self) {
        let words = self.text.tokens.iter().filter(|t| !t.number).count();
        let shouting = self.text.tokens.iter().filter(|t| t.upper).count();
        if words == 0 || shouting * 10 > words * 3 {
            return; // Mostly capitals is shouting, not acronyms.
        }
        let (_, jargon) = self.lexicon("jargon");
        let flagged = self
            .findings
            .iter()
            .filter(|f| f.kind == FindingKind::Jargon)
            .count();
        let mut seen: Vec<String> = Vec::new();
        let mut added = 0;
        for (index, token) in self.text.tokens.iter().enumerate() {
            let letters = token.norm.chars().filter(|c| c.is_alphabetic()).count();
            if !token.upper || !(2..=6).contains(&letters) || KNOWN_ACRONYMS.contains(&token.norm) {
                continue;
            }
            if jargon.iter().any(|m| m.start <= index && index < m.end)
                || seen.contains(&token.norm)
            {
                continue;
            }
            seen.push(token.norm.clone());
            if is_explained(self.text.raw, (token.start, token.end)) {
                continue;
            }
            if flagged + added >= MAX_PER_KIND {
                break;
            }
            let (lexicon, _) = self.lexicon("jargon");
            let explanation = self.lang.say(
                "acronym",
                &[
                    ("term", &self.text.raw[token.start..token.end]),
                    ("explain", &lower_first(&lexicon.explain)),
                ],
            );
            self.push(
                FindingKind::Jargon,
                Severity::Info,
                (token.start, token.end),
                explanation,
                lexicon.suggest.clone(),
            );
            added += 1;
        }
    }

    fn no_next_step(&mut self) {
        let asks = self.text.sentences.iter().any(|s| s.question);
        if self.any("no_next_step") || asks || self.text.sentences.is_empty() {
            return;
        }
        let last = &self.text.sentences[self.text.sentences.len() - 1];
        self.push_from("no_next_step", (last.start, last.end), None);
    }

    fn no_personal_address(&mut self, customer_name: Option<&str>) {
        let Some(first) = self.text.sentences.first() else {
            return;
        };
        let opening = (first.start, first.end);
        let first_name = customer_name
            .and_then(|name| name.split_whitespace().next())
            .map(|name| name.to_lowercase().replace('\u{2019}', "'"));
        match first_name {
            Some(name) => {
                if !self.text.has_word(&name) {
                    let explanation = self.lang.say(
                        "not_named",
                        &[(
                            "name",
                            customer_name
                                .unwrap_or_default()
                                .split_whitespace()
                                .next()
                                .unwrap_or_default(),
                        )],
                    );
                    self.push_from("no_personal_address", opening, Some(explanation));
                }
            }
            None => {
                let (_, greetings) = self.lexicon("greeting");
                let greets = greetings
                    .iter()
                    .any(|m| self.text.tokens[m.start].sentence == 0);
                if !greets {
                    self.push_from(
                        "no_personal_address",
                        opening,
                        Some(self.lang.say("not_addressed", &[])),
                    );
                }
            }
        }
    }

    fn no_empathy_when_upset(&mut self, insight: Option<&Insight>, context: &ReplyContext) {
        let upset_intents = [
            Intent::Complaint,
            Intent::WantsManager,
            Intent::LegalThreat,
            Intent::WantsToCancel,
        ];
        let upset = context.complaint
            || context.escalated
            || insight.is_some_and(|i| {
                i.frustration >= 0.4
                    || i.sentiment <= -0.4
                    || i.intents
                        .iter()
                        .any(|intent| upset_intents.contains(intent))
            });
        if !upset || self.any("empathy_shown") || self.any("apology") {
            return;
        }
        let Some(first) = self.text.sentences.first() else {
            return;
        };
        self.push_from("no_empathy_when_upset", (first.start, first.end), None);
    }

    fn unanswered_concerns(&mut self, insight: Option<&Insight>) {
        let Some(insight) = insight else {
            return;
        };
        if insight.concerns.len() < 2 {
            return;
        }
        let stems: Vec<String> = self.text.tokens.iter().map(|t| stem(&t.norm)).collect();
        for concern in &insight.concerns {
            let addressed = concern.keywords.iter().any(|keyword| {
                let keyword = stem(keyword);
                stems.iter().any(|s| {
                    *s == keyword
                        || (s.len() >= 5
                            && keyword.len() >= 5
                            && (s.starts_with(&keyword) || keyword.starts_with(s.as_str())))
                })
            });
            if addressed {
                continue;
            }
            let quoted: String = concern.text.chars().take(90).collect();
            let ellipsis = if concern.text.chars().count() > 90 {
                "..."
            } else {
                ""
            };
            let explanation = self
                .lang
                .say("also_wrote", &[("quoted", &format!("{quoted}{ellipsis}"))]);
            self.push_from(
                "unanswered_concern",
                (0, self.text.raw.len()),
                Some(explanation),
            );
        }
    }

    fn unmentioned_promises(&mut self, promises: &[OpenPromise]) {
        let stems: Vec<String> = self.text.tokens.iter().map(|t| stem(&t.norm)).collect();
        for promise in promises {
            let words: Vec<String> = Text::new(&promise.what)
                .tokens
                .iter()
                .filter(|t| t.norm.len() >= 4 && !self.lang.stopwords.contains(&t.norm))
                .map(|t| stem(&t.norm))
                .collect();
            if words.is_empty() || words.iter().any(|w| stems.contains(w)) {
                continue;
            }
            let due = promise
                .due_at
                .as_deref()
                .map(|due| format!(" {}", self.lang.say("promise_due", &[("due", due)])))
                .unwrap_or_default();
            self.push(
                FindingKind::PromiseUnmentioned,
                Severity::Info,
                (0, self.text.raw.len()),
                self.lang
                    .say("promise", &[("what", &promise.what), ("due", &due)]),
                self.lang.say("promise_suggest", &[]),
            );
        }
    }
}

fn severity(name: Option<&str>) -> Severity {
    match name {
        Some("serious") => Severity::Serious,
        Some("warning") => Severity::Warning,
        _ => Severity::Info,
    }
}

fn lower_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Whether a term is explained right where it is used: "DNS (the internet's address book)",
/// "MX record, which means...", or it is itself inside such a parenthesis.
fn is_explained(raw: &str, (start, end): (usize, usize)) -> bool {
    let after: String = raw[end..]
        .chars()
        .take(24)
        .collect::<String>()
        .to_lowercase();
    let after = after.trim_start();
    let before = raw[..start].trim_end();
    after.starts_with('(')
        || after.starts_with("- ")
        || after.starts_with(", which means")
        || after.starts_with("which means")
        || after.starts_with(", meaning")
        || after.starts_with("meaning")
        || after.starts_with(", i.e.")
        || after.starts_with(", that is")
        || after.starts_with(", or ")
        || before.ends_with('(')
}

/// A light English stemmer for matching a concern's words in a reply ("tagging" and "tagged").
fn stem(word: &str) -> String {
    for suffix in ["ing", "ed", "es", "s", "ly"] {
        if let Some(base) = word
            .strip_suffix(suffix)
            .filter(|base| base.chars().count() >= 3)
        {
            return base.to_owned();
        }
    }
    word.to_owned()
}

/// Facets from the phrases found, with the phrases behind the politeness facet. A list's k-th
/// match counts 1/k, so repeating "thanks" five times does not make a reply five times as
/// polite.
fn facets(text: &Text<'_>, matches: &Matches, lang: &Pack) -> (Facets, Vec<PolitenessPoint>) {
    let mut totals = [50.0_f32; 4];
    let mut points: Vec<PolitenessPoint> = Vec::new();
    let facet_index = |name: &str| match name {
        "politeness" => 0,
        "empathy" => 1,
        "ownership" => 2,
        _ => 3,
    };
    let mut point = |label: &str, amount: f32, bytes: (usize, usize)| {
        // Tenths, so the points shown add up to the facet.
        let amount = (amount * 10.0).round() / 10.0;
        if amount != 0.0 {
            points.push(PolitenessPoint {
                strategy: label.to_owned(),
                points: amount,
                span: Span {
                    start: char_offset(text.raw, bytes.0),
                    end: char_offset(text.raw, bytes.1),
                },
                excerpt: text.raw[bytes.0..bytes.1].trim().to_owned(),
            });
        }
        amount
    };
    for (lexicon, found) in lang.reply.lexicons.iter().zip(&matches.by_lexicon) {
        if lexicon.facets.is_empty() || lexicon.name == "imperative_verbs" {
            continue;
        }
        let label = if lexicon.label.is_empty() {
            lexicon.name
        } else {
            lexicon.label.as_str()
        };
        if lexicon.absent {
            // These lists reward presence once (a next step, a name).
            if let Some(first) = found.first() {
                for (facet, amount) in &lexicon.facets {
                    let index = facet_index(facet);
                    totals[index] += if index == 0 {
                        point(label, *amount, bytes_of(text, first))
                    } else {
                        *amount
                    };
                }
            }
            continue;
        }
        for (facet, amount) in &lexicon.facets {
            let index = facet_index(facet);
            for (k, m) in found.iter().enumerate() {
                let moved = amount * lexicon.phrases[m.phrase].weight / (k as f32 + 1.0);
                totals[index] += if index == 0 {
                    point(label, moved, bytes_of(text, m))
                } else {
                    moved
                };
            }
        }
    }

    // Bare commands: a sentence that opens with an instruction verb and has no "please".
    let imperative = &lang.reply.lexicons[lang.reply.position("imperative_verbs")];
    let verbs: Vec<&str> = imperative
        .phrases
        .iter()
        .filter_map(|p| p.first_word())
        .collect();
    let please = lang.reply.position("please");
    let politeness_per_command = imperative
        .facets
        .first()
        .map_or(-4.0, |(_, amount)| *amount);
    let mut commands = 0;
    for (number, sentence) in text.sentences.iter().enumerate() {
        let Some(first) = text.tokens.get(sentence.first_token) else {
            continue;
        };
        let bare = verbs.contains(&first.norm.as_str())
            && !matches.by_lexicon[please]
                .iter()
                .any(|m| text.tokens[m.start].sentence == number);
        if bare {
            commands += 1;
            totals[0] += point(
                &imperative.label,
                politeness_per_command / commands as f32,
                (first.start, first.end),
            );
        }
    }

    totals[3] += readability_adjustment(text);
    // Acronyms left unexplained cost clarity like jargon does (counted by the findings).
    let clamp = |v: f32| v.round().clamp(0.0, 100.0) as u8;
    points.sort_by_key(|p| p.span.start);
    (
        Facets {
            politeness: clamp(totals[0]),
            empathy: clamp(totals[1]),
            ownership: clamp(totals[2]),
            clarity: clamp(totals[3]),
        },
        points,
    )
}

fn bytes_of(text: &Text<'_>, m: &Match) -> (usize, usize) {
    (text.tokens[m.start].start, text.tokens[m.end - 1].end)
}

/// Clarity from Flesch reading ease (sentence length and syllables per word) and length.
fn readability_adjustment(text: &Text<'_>) -> f32 {
    let words = text.tokens.iter().filter(|t| !t.number).count();
    if words == 0 {
        return 0.0;
    }
    let sentences = text.sentences.len().max(1) as f32;
    let syllables: usize = text
        .tokens
        .iter()
        .filter(|t| !t.number)
        .map(|t| syllables(&t.norm))
        .sum();
    let words_f = words as f32;
    let reading_ease =
        206.835 - 1.015 * (words_f / sentences) - 84.6 * (syllables as f32 / words_f);
    let mut adjustment = (reading_ease - 50.0) * 0.5;
    if words > 350 {
        adjustment -= ((words - 350) as f32 / 25.0).min(15.0);
    }
    adjustment.clamp(-30.0, 25.0)
}

/// Vowel groups, a standard estimate of English syllables.
fn syllables(word: &str) -> usize {
    let mut count = 0;
    let mut previous_vowel = false;
    for c in word.chars() {
        let vowel = matches!(c, 'a' | 'e' | 'i' | 'o' | 'u' | 'y');
        if vowel && !previous_vowel {
            count += 1;
        }
        previous_vowel = vowel;
    }
    if word.ends_with('e') && count > 1 && !word.ends_with("le") {
        count -= 1;
    }
    count.max(1)
}

/// The facets weighed together, less what was found: 10 points for a serious problem, 4 for a
/// warning, 1 for a note; 1 back for each kind of thing done well, up to 4.
fn score(facets: &Facets, findings: &[Finding]) -> u8 {
    let base = 0.3 * f32::from(facets.politeness)
        + 0.25 * f32::from(facets.empathy)
        + 0.3 * f32::from(facets.ownership)
        + 0.15 * f32::from(facets.clarity);
    let penalty: f32 = findings
        .iter()
        .filter(|f| !f.positive)
        .map(|f| match f.severity {
            Severity::Serious => 10.0,
            Severity::Warning => 4.0,
            Severity::Info => 1.0,
        })
        .sum();
    let bonus = findings.iter().filter(|f| f.positive).count().min(4) as f32;
    (base - penalty + bonus).round().clamp(0.0, 100.0) as u8
}

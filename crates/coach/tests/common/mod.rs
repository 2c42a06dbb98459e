//! Helpers for the example tests in each language.

use rapport_coach::{FindingKind, OpenPromise, ReplyContext, Review, analyze_reply};

pub fn review_in(language: &str, draft: &str, context: &ReplyContext) -> Review {
    let review = analyze_reply(draft, context);
    assert_eq!(
        (review.language.language.as_str(), review.language.analysed),
        (language, true),
        "{draft:?} should be read as {language}"
    );
    review
}

pub fn kinds(review: &Review) -> Vec<FindingKind> {
    review.findings.iter().map(|f| f.kind).collect()
}

/// Every draft raises `kind`, and is read in `language`.
pub fn finds(language: &str, kind: FindingKind, drafts: &[&str], context: &ReplyContext) {
    for draft in drafts {
        let review = review_in(language, draft, context);
        assert!(
            kinds(&review).contains(&kind),
            "expected {kind:?} in {draft:?}, got {:?}",
            kinds(&review)
        );
    }
}

/// No draft raises `kind`.
pub fn misses(language: &str, kind: FindingKind, drafts: &[&str], context: &ReplyContext) {
    for draft in drafts {
        let review = review_in(language, draft, context);
        assert!(
            !kinds(&review).contains(&kind),
            "did not expect {kind:?} in {draft:?}: {:?}",
            review.findings
        );
    }
}

pub fn upset(message: &str) -> ReplyContext {
    ReplyContext {
        customer_message: Some(message.into()),
        ..ReplyContext::default()
    }
}

pub fn named(name: &str) -> ReplyContext {
    ReplyContext {
        customer_name: Some(name.into()),
        ..ReplyContext::default()
    }
}

pub fn promised(what: &str) -> ReplyContext {
    ReplyContext {
        open_promises: vec![OpenPromise {
            what: what.into(),
            due_at: Some("2026-12-10".into()),
        }],
        ..ReplyContext::default()
    }
}

/// The explanations of the findings, to check they are in the reply's language.
pub fn explanations(review: &Review) -> String {
    review
        .findings
        .iter()
        .map(|f| format!("{} {}", f.explanation, f.suggestion))
        .collect::<Vec<_>>()
        .join(" ")
}

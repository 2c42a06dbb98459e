//! Examples for the insight on customer messages, written for Rapport.

use rapport_coach::{Intent, analyze_message};

#[test]
fn sentiment_runs_from_negative_to_positive() {
    assert!(analyze_message("This is terrible, nothing works and I'm furious.").sentiment < -0.5);
    assert!(analyze_message("Thank you so much, that fixed it. Great work!").sentiment > 0.5);
    assert!(
        analyze_message("Please send the invoice for March.")
            .sentiment
            .abs()
            < 0.4
    );
}

#[test]
fn frustration_grows_with_repetition_shouting_and_punctuation() {
    let calm = analyze_message("The backup failed last night. Could you take a look?");
    let tired = analyze_message(
        "The backup failed AGAIN. This is the third time I'm writing. Still nothing works!!",
    );
    assert!(calm.frustration < 0.2, "calm {}", calm.frustration);
    assert!(tired.frustration > 0.6, "tired {}", tired.frustration);
    assert!(tired.frustration <= 1.0);
}

#[test]
fn intents() {
    let cases = [
        ("I want to speak to your manager.", Intent::WantsManager),
        (
            "Is there a hero who can step up to the plate?",
            Intent::WantsManager,
        ),
        (
            "Please cancel my subscription at the end of the month.",
            Intent::WantsToCancel,
        ),
        (
            "This service is unacceptable and I want to complain.",
            Intent::Complaint,
        ),
        ("Thank you so much, you're the best!", Intent::Praise),
        (
            "If this isn't fixed I will contact my lawyer.",
            Intent::LegalThreat,
        ),
        ("Our shop is down, please help ASAP.", Intent::Urgent),
        ("That fixed it, thanks!", Intent::ConfirmsFix),
        ("Works now. Thank you.", Intent::ConfirmsFix),
    ];
    for (message, intent) in cases {
        let insight = analyze_message(message);
        assert!(
            insight.intents.contains(&intent),
            "{intent:?} in {message:?}: {:?}",
            insight.intents
        );
    }
    let near_misses = [
        (
            "As a manager, I need the report by Monday.",
            Intent::WantsManager,
        ),
        (
            "I don't want to cancel, just pause for a month.",
            Intent::WantsToCancel,
        ),
        ("No rush, whenever you have time.", Intent::Urgent),
        ("Not impressed with the new layout.", Intent::Praise),
        ("Thanks, but it's still not fixed.", Intent::ConfirmsFix),
        ("Your update didn't fix it.", Intent::ConfirmsFix),
    ];
    for (message, intent) in near_misses {
        let insight = analyze_message(message);
        assert!(
            !insight.intents.contains(&intent),
            "no {intent:?} in {message:?}: {:?}",
            insight.intents
        );
    }
}

#[test]
fn two_problems_in_one_mail_are_two_concerns() {
    let message = "Hello,\n\nSpamAssassin is incorrectly tagging valid email from our clients as spam. \
                   We have whitelisted them but it still happens.\n\nAlso, we're getting much more real spam \
                   than normal getting through.\n\nThanks,\nAna";
    let insight = analyze_message(message);
    assert_eq!(insight.concerns.len(), 2, "{:#?}", insight.concerns);
    assert!(insight.concerns[0].text.starts_with("SpamAssassin"));
    assert!(insight.concerns[0].text.contains("still happens"));
    assert!(insight.concerns[1].text.contains("real spam"));
    let chars: Vec<char> = message.chars().collect();
    let span = insight.concerns[1].span;
    let at: String = chars[span.start..span.end].iter().collect();
    assert_eq!(at.trim(), insight.concerns[1].text);
}

#[test]
fn list_items_are_separate_concerns() {
    let insight =
        analyze_message("Two things:\n1. The printer doesn't print.\n2. The scanner is slow.");
    assert_eq!(insight.concerns.len(), 2, "{:#?}", insight.concerns);
}

#[test]
fn thanks_alone_raises_no_concern() {
    assert!(
        analyze_message("Thanks, that worked perfectly!")
            .concerns
            .is_empty()
    );
}

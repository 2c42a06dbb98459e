//! What the insight read in a customer's message, as the ticket page and the inbox show it:
//! how they sound, what they want beyond the problem, and the concerns they raised (the
//! composer lists those the draft has not answered yet).

use rapport_coach::{Insight, Intent};

/// A customer message's insight, in words.
pub struct InsightView {
    /// "calm", "a little frustrated", "frustrated", "very frustrated".
    pub mood: &'static str,
    /// A CSS class for the mood's colour: `calm`, `tense`, `upset`.
    pub class: &'static str,
    pub frustration_percent: u8,
    /// "positive", "neutral", "negative".
    pub tone: &'static str,
    pub intents: Vec<&'static str>,
    pub concerns: Vec<ConcernView>,
}

/// One concern the customer raised, with the words a reply would use if it answered it.
#[derive(Clone)]
pub struct ConcernView {
    pub text: String,
    pub keywords: String,
}

/// How strong frustration reads as "upset" in the inbox's marker.
pub const HIGH_FRUSTRATION: f32 = 0.6;

pub fn mood(frustration: f32) -> (&'static str, &'static str) {
    match frustration {
        f if f >= HIGH_FRUSTRATION + 0.15 => ("very frustrated", "upset"),
        f if f >= HIGH_FRUSTRATION => ("frustrated", "upset"),
        f if f >= 0.3 => ("a little frustrated", "tense"),
        _ => ("calm", "calm"),
    }
}

/// An intent as agents say it.
pub fn intent_words(intent: Intent) -> &'static str {
    match intent {
        Intent::WantsManager => "wants a manager",
        Intent::WantsToCancel => "threatens to leave",
        Intent::Complaint => "complaint",
        Intent::Praise => "praise",
        Intent::LegalThreat => "mentions legal steps",
        Intent::Urgent => "urgent",
        Intent::ConfirmsFix => "says it is fixed",
    }
}

impl InsightView {
    /// `None` for a message in a language the insight does not read.
    pub fn of(insight: &Insight) -> Option<InsightView> {
        if !insight.language.analysed {
            return None;
        }
        let (mood, class) = mood(insight.frustration);
        let tone = match insight.sentiment {
            s if s >= 0.3 => "positive",
            s if s <= -0.3 => "negative",
            _ => "neutral",
        };
        Some(InsightView {
            mood,
            class,
            frustration_percent: (insight.frustration.clamp(0.0, 1.0) * 100.0).round() as u8,
            tone,
            intents: insight.intents.iter().copied().map(intent_words).collect(),
            concerns: insight
                .concerns
                .iter()
                .map(|concern| ConcernView {
                    text: concern.text.clone(),
                    keywords: concern.keywords.join(" "),
                })
                .collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_angry_request_for_a_manager_reads_as_upset_with_the_intent() {
        let insight = rapport_coach::analyze_message(
            "This is the THIRD time I write about this!!! Nobody answers. I want to speak to your manager now.",
        );
        let view = InsightView::of(&insight).expect("English is read");
        assert_eq!(view.class, "upset", "{}", insight.frustration);
        assert!(
            view.intents.contains(&"wants a manager"),
            "{:?}",
            view.intents
        );
        let calm = InsightView::of(&rapport_coach::analyze_message(
            "Thank you so much, the printer works perfectly now.",
        ))
        .expect("read");
        assert_eq!(calm.class, "calm");
        assert!(
            calm.intents
                .iter()
                .all(|intent| ["praise", "says it is fixed"].contains(intent)),
            "{:?}",
            calm.intents
        );
    }
}

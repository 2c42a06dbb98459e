//! Example sentences for every finding kind, with near misses that must not trigger. The
//! examples were written for Rapport; none come from a data set.

use rapport_coach::{FindingKind, PolicyNote, ReplyContext, Review, Severity, analyze_reply};

fn review(draft: &str) -> Review {
    analyze_reply(draft, &ReplyContext::default())
}

fn kinds(review: &Review) -> Vec<FindingKind> {
    review.findings.iter().map(|f| f.kind).collect()
}

fn assert_finds(kind: FindingKind, drafts: &[&str]) {
    for draft in drafts {
        let review = review(draft);
        assert!(
            kinds(&review).contains(&kind),
            "expected {kind:?} in {draft:?}, got {:?}",
            kinds(&review)
        );
    }
}

fn assert_not(kind: FindingKind, drafts: &[&str]) {
    for draft in drafts {
        let review = review(draft);
        assert!(
            !kinds(&review).contains(&kind),
            "did not expect {kind:?} in {draft:?}: {:?}",
            review.findings
        );
    }
}

#[test]
fn closure_threats() {
    assert_finds(
        FindingKind::ClosureThreat,
        &[
            "If you don't respond within four days, the ticket will close.",
            "Please note this ticket will be closed automatically in 48 hours.",
            "If we don't hear back from you by Friday, we will assume the issue is resolved.",
            "We will close this ticket if there is no response within 3 days.",
            "This is a final reminder before your case is closed.",
            "Without a reply within 5 days we will consider this resolved.",
        ],
    );
    assert_not(
        FindingKind::ClosureThreat,
        &[
            "I'll call you within four days with the results.",
            "We'll have the replacement with you in four days.",
            "This ticket won't be closed until you confirm it works.",
            "I'll keep this open until you tell us it's fixed.",
            "If you don't mind, I'd like to call you tomorrow.",
            "If you don't reply, no problem: I'll call you on Friday anyway.",
            "Please close the browser and open it again.",
        ],
    );
}

#[test]
fn blame() {
    assert_finds(
        FindingKind::Blame,
        &[
            "You should have read the installation guide first.",
            "As I already said, the filter cannot be turned off.",
            "Per my last email, the update has to be installed manually.",
            "Like I said, this is a user error.",
            "You failed to include the order number.",
            "If you had read the instructions, this wouldn't have happened.",
        ],
    );
    assert_not(
        FindingKind::Blame,
        &[
            "You should have received a confirmation email by now; I've sent it again.",
            "I should have caught this earlier, and I'm sorry.",
            "You should have access to the dashboard in a few minutes.",
            "As I mentioned on the phone, I'll send the fix tomorrow.",
        ],
    );
}

#[test]
fn policy_walls() {
    assert_finds(
        FindingKind::PolicyWall,
        &[
            "Our policy does not allow refunds after 30 days.",
            "Unfortunately we are not allowed to change the invoice.",
            "We can't make exceptions to the return window.",
            "There is nothing we can do about the delivery date.",
        ],
    );
    assert_not(
        FindingKind::PolicyWall,
        &[
            "Our policy is to keep refunds within 30 days because the payment provider closes the transaction then. What I can do is issue a credit note today.",
            "We are not allowed to share the password by email, to protect your account; I can call you with it instead.",
            "Thanks for the policy number, I've updated your account.",
        ],
    );
}

fn library() -> Vec<PolicyNote> {
    vec![
        PolicyNote {
            title: "Password resets by phone".into(),
            keywords: vec!["password".into()],
            rationale: "A voice we know protects the account.".into(),
            alternatives: vec![],
        },
        PolicyNote {
            title: "Returns within 30 days".into(),
            keywords: vec!["refund".into(), "return".into()],
            rationale: "After a month most items cannot be sold again".into(),
            alternatives: vec!["store credit".into(), "a repair at our cost".into()],
        },
    ]
}

#[test]
fn a_policy_wall_suggests_the_cited_policys_rationale_and_alternatives() {
    let context = ReplyContext {
        policies: library(),
        ..Default::default()
    };
    let review = analyze_reply("Our policy does not allow refunds after 30 days.", &context);
    let wall = review
        .findings
        .iter()
        .find(|f| f.kind == FindingKind::PolicyWall)
        .expect("a policy wall");
    assert_eq!(
        wall.suggestion,
        "Say why \"Returns within 30 days\" exists: After a month most items cannot be sold again. \
         Then say what you can do instead: store credit; a repair at our cost."
    );

    // The customer's message names the policy when the draft does not.
    let context = ReplyContext {
        policies: library(),
        customer_message: Some("I want to send the blender back for my money.".into()),
        ..Default::default()
    };
    let review = analyze_reply("Hi, I'm afraid we are not allowed to do that.", &context);
    let wall = review
        .findings
        .iter()
        .find(|f| f.kind == FindingKind::PolicyWall)
        .expect("a policy wall");
    assert!(
        !wall.suggestion.contains("30 days"),
        "no policy is named in either text: {}",
        wall.suggestion
    );
    let context = ReplyContext {
        policies: library(),
        customer_message: Some("Can I return the blender for a refund?".into()),
        ..Default::default()
    };
    let review = analyze_reply("Hi, I'm afraid we are not allowed to do that.", &context);
    let wall = review
        .findings
        .iter()
        .find(|f| f.kind == FindingKind::PolicyWall)
        .expect("a policy wall");
    assert!(
        wall.suggestion.contains("store credit"),
        "{}",
        wall.suggestion
    );

    // Without a library, or for another finding, the lexicon's own suggestion stays.
    let plain = analyze_reply(
        "Our policy does not allow refunds after 30 days.",
        &ReplyContext::default(),
    );
    let wall = plain
        .findings
        .iter()
        .find(|f| f.kind == FindingKind::PolicyWall)
        .expect("a policy wall");
    assert!(
        wall.suggestion.starts_with("Say why the rule exists"),
        "{}",
        wall.suggestion
    );
}

#[test]
fn deflection() {
    assert_finds(
        FindingKind::Deflection,
        &[
            "Please forward the spam that got through to our anti-spam engineers.",
            "You'll need to contact your bank about the charge.",
            "That's not our department; try asking the shipping company.",
            "You need to reach out to your IT administrator.",
        ],
    );
    assert_not(
        FindingKind::Deflection,
        &[
            "I'll forward the spam samples to our engineers and tell you what they find.",
            "You'll need to contact your bank about the charge, or I can contact them on your behalf if you prefer.",
            "I've asked the shipping company for an update and will call you tomorrow.",
        ],
    );
}

#[test]
fn condescension() {
    assert_finds(
        FindingKind::Condescension,
        &[
            "Obviously, the cable has to be plugged in.",
            "Simply click the button in the top right corner.",
            "As everyone knows, passwords expire every 90 days.",
            "It's very simple: all you have to do is restart the router.",
        ],
    );
    assert_not(
        FindingKind::Condescension,
        &[
            "Obviously we should have caught this before it reached you.",
            "I simply forgot to attach the file, sorry about that.",
            "Here is how to restart the router.",
        ],
    );
}

#[test]
fn jargon() {
    assert_finds(
        FindingKind::Jargon,
        &[
            "Whitelisting only lowers the spam score of a sender.",
            "The MX record TTL is an hour, so propagation takes a while.",
            "I've raised an RMA for the unit.",
            "The XYZQ daemon restarted.",
        ],
    );
    assert_not(
        FindingKind::Jargon,
        &[
            "I've added your clients to the list of trusted senders.",
            "Please send the PDF and your order ID.",
            "I've raised an RMA (a return authorisation) so the courier can collect it.",
        ],
    );
}

#[test]
fn missing_next_step() {
    assert_finds(
        FindingKind::NoNextStep,
        &["Hi Ana, the filter settings look correct on our side."],
    );
    assert_not(
        FindingKind::NoNextStep,
        &[
            "Hi Ana, the filter settings look correct. I'll call you tomorrow at 10 to check together.",
            "Hi Ana, could you send me one of the messages that was tagged?",
            "Hi Ana, the settings look right. Let me know if the next message still lands in spam.",
        ],
    );
}

#[test]
fn personal_address() {
    let named = |draft: &str| {
        analyze_reply(
            draft,
            &ReplyContext {
                customer_name: Some("Ana Silva".into()),
                ..Default::default()
            },
        )
    };
    assert!(
        kinds(&named("Hello, the fix is live. I'll check in tomorrow."))
            .contains(&FindingKind::NoPersonalAddress)
    );
    assert!(
        !kinds(&named("Hi Ana, the fix is live. I'll check in tomorrow."))
            .contains(&FindingKind::NoPersonalAddress)
    );
    assert_finds(
        FindingKind::NoPersonalAddress,
        &["The fix is live. I'll check in tomorrow."],
    );
    assert_not(
        FindingKind::NoPersonalAddress,
        &["Hi Ana, the fix is live. I'll check in tomorrow."],
    );
}

#[test]
fn no_empathy_when_the_customer_is_upset() {
    let upset = "This is the THIRD time I'm writing about this!!! Still broken. Unacceptable.";
    let context = ReplyContext {
        customer_message: Some(upset.into()),
        ..Default::default()
    };
    let cold = analyze_reply(
        "Hi Dan, the backup job needs a new key. I'll send it today.",
        &context,
    );
    let finding = cold
        .findings
        .iter()
        .find(|f| f.kind == FindingKind::NoEmpathyWhenUpset)
        .expect("no empathy flagged");
    assert_eq!(finding.severity, Severity::Serious);
    let warm = analyze_reply(
        "Hi Dan, I'm sorry you've had to write three times; that's not OK. The backup job needs a new key and I'll send it today.",
        &context,
    );
    assert!(!kinds(&warm).contains(&FindingKind::NoEmpathyWhenUpset));
    let calm = ReplyContext {
        customer_message: Some("Could you send me the invoice for March?".into()),
        ..Default::default()
    };
    assert!(
        !kinds(&analyze_reply(
            "Hi Dan, here it is. I'll send April's too.",
            &calm
        ))
        .contains(&FindingKind::NoEmpathyWhenUpset)
    );
}

#[test]
fn unanswered_concerns() {
    let message = "Hi, SpamAssassin keeps tagging valid mail from our clients as spam. \
                   Also, much more real spam is getting through than normal. Can you help?";
    let context = ReplyContext {
        customer_message: Some(message.into()),
        ..Default::default()
    };
    let partial = analyze_reply(
        "Hi Ana, I've added your clients' domains to the trusted senders, so their mail won't be tagged any more. I'll check tomorrow.",
        &context,
    );
    let unanswered: Vec<_> = partial
        .findings
        .iter()
        .filter(|f| f.kind == FindingKind::UnansweredConcern)
        .collect();
    assert_eq!(unanswered.len(), 1, "{:?}", partial.findings);
    assert!(
        unanswered[0].explanation.contains("real spam"),
        "{}",
        unanswered[0].explanation
    );
    let full = analyze_reply(
        "Hi Ana, I've added your clients' domains to the trusted senders so their mail won't be tagged. \
         For the real spam getting through, I'll tighten the appliance rules today and call you tomorrow.",
        &context,
    );
    assert!(
        !kinds(&full).contains(&FindingKind::UnansweredConcern),
        "{:?}",
        full.findings
    );
}

#[test]
fn positive_findings_are_shown_too() {
    let review = review(
        "Hi Ana, I'm sorry the filter has been catching your clients' mail; that must be frustrating. \
         I'll call you tomorrow at 10 to go through the settings together. Alternatively, we could turn \
         SpamAssassin off for your domain. Enjoy your trip to Lisbon!",
    );
    let found = kinds(&review);
    for kind in [
        FindingKind::Apology,
        FindingKind::EmpathyShown,
        FindingKind::OwnershipTaken,
        FindingKind::AlternativeOffered,
        FindingKind::PersonalTouch,
    ] {
        assert!(found.contains(&kind), "{kind:?} in {found:?}");
    }
    assert!(
        review
            .findings
            .iter()
            .filter(|f| f.positive)
            .all(|f| f.severity == Severity::Info)
    );
}

#[test]
fn the_seed_000_reply_scores_far_below_the_relationship_reply() {
    let customer = "SpamAssassin is tagging valid email as spam, and we also get more real spam than normal getting through.";
    let context = ReplyContext {
        customer_message: Some(customer.into()),
        customer_name: Some("Ana".into()),
        ..Default::default()
    };
    let correct = analyze_reply(
        "SpamAssassin uses a scoring mechanism. Whitelisting only lowers the chance of tagging. \
         Forward the spam that got through to the anti-spam appliance engineers. \
         If you don't respond within four days, the ticket will close.",
        &context,
    );
    let relationship = analyze_reply(
        "Hi Ana, I'm sorry about both problems, the good mail being tagged and the real spam getting through. \
         I'd like to call you this afternoon to go over the SpamAssassin settings; we could turn it off, since \
         the appliance already filters spam. I'll also ask our engineers to train the appliance on the spam you \
         received. Does 3 pm work for you?",
        &context,
    );
    let (low, high) = (
        correct.score.expect("scored"),
        relationship.score.expect("scored"),
    );
    assert!(
        high >= low + 30,
        "relationship {high} vs technically correct {low}"
    );
    assert!(kinds(&correct).contains(&FindingKind::ClosureThreat));
    assert!(kinds(&correct).contains(&FindingKind::Deflection));
    let facets = relationship.facets.expect("facets");
    let cold = correct.facets.expect("facets");
    assert!(
        facets.empathy > cold.empathy
            && facets.ownership > cold.ownership
            && facets.politeness > cold.politeness
    );
}

#[test]
fn spans_point_at_the_words() {
    let draft = "Hi Ana,\n\nObviously the router must be restarted.";
    let review = review(draft);
    let finding = review
        .findings
        .iter()
        .find(|f| f.kind == FindingKind::Condescension)
        .expect("found");
    let chars: Vec<char> = draft.chars().collect();
    let at: String = chars[finding.span.start..finding.span.end].iter().collect();
    assert_eq!(at, "Obviously");
    assert_eq!(finding.excerpt, "Obviously");
}

#[test]
fn html_drafts_are_read_as_text() {
    let review =
        review("<p>Hi Ana,</p><p>Obviously the <b>router</b> must be restarted &amp; checked.</p>");
    let text = review
        .analysed_text
        .clone()
        .expect("analysed text for HTML");
    let finding = review
        .findings
        .iter()
        .find(|f| f.kind == FindingKind::Condescension)
        .expect("found");
    let at: String = text
        .chars()
        .skip(finding.span.start)
        .take(finding.span.end - finding.span.start)
        .collect();
    assert_eq!(at, "Obviously");
    assert!(text.contains("restarted & checked"));
}

#[test]
fn other_languages_are_not_given_a_verdict() {
    let review = review(
        "Buongiorno signora Rossi, grazie per il suo messaggio. Abbiamo trovato il problema e ora è risolto.",
    );
    assert!(!review.language.analysed);
    assert_eq!(review.language.language, "it");
    assert!(review.score.is_none());
    assert!(review.findings.is_empty());
    assert!(
        review
            .language
            .note
            .as_deref()
            .is_some_and(|n| n.contains("not analysed"))
    );
}

#[test]
fn the_same_draft_always_gets_the_same_review() {
    let draft =
        "Hi Ana, as I already said, our policy does not allow it. Simply reinstall the app.";
    assert_eq!(review(draft), review(draft));
}

#[test]
fn escalated_tickets_raise_the_stakes() {
    let draft = "Hi Ana, per my last email, the update must be installed. I'll check tomorrow.";
    let normal = review(draft);
    let escalated = analyze_reply(
        draft,
        &ReplyContext {
            escalated: true,
            ..Default::default()
        },
    );
    let severity = |r: &Review| {
        r.findings
            .iter()
            .find(|f| f.kind == FindingKind::Blame)
            .map(|f| f.severity)
    };
    assert_eq!(severity(&normal), Some(Severity::Warning));
    assert_eq!(severity(&escalated), Some(Severity::Serious));
}

#[test]
fn empty_and_odd_input_never_panics() {
    for draft in [
        "",
        "   ",
        "!!!",
        "<p></p>",
        "<",
        "&amp",
        "a",
        "\u{0}",
        "😀😀",
        "Ωμέγα",
        "I'",
        "'s",
        "e.g.",
        "1.2.3",
    ] {
        let _ = review(draft);
        let _ = rapport_coach::analyze_message(draft);
    }
}

fn facets(draft: &str) -> rapport_coach::Facets {
    review(draft).facets.expect("analysed")
}

#[test]
fn politeness_orders_requests_the_way_people_do() {
    let pairs = [
        (
            "Could you please take a look at the edit history when you have a moment? Thanks!",
            "Why did you revert my edit?",
        ),
        (
            "Great question, thank you for raising it. I think the setting might be off; would you mind checking it?",
            "So what is the setting? You changed it.",
        ),
        (
            "Hi Dan, sorry for the delay. Could you send the log file?",
            "Send the log file.",
        ),
        (
            "Thanks for flagging this, I'm glad you caught it.",
            "Actually, the fact is this was never supported.",
        ),
        (
            "I appreciate your patience while we sort this out.",
            "Whatever, deal with it.",
        ),
    ];
    for (polite, blunt) in pairs {
        let (p, b) = (facets(polite).politeness, facets(blunt).politeness);
        assert!(p > b, "{p} for {polite:?} should exceed {b} for {blunt:?}");
    }
}

#[test]
fn empathy_orders_replies_the_way_people_do() {
    let pairs = [
        (
            "I'm so sorry you're going through this; that must be really hard. How are you feeling today?",
            "You should contact your provider.",
        ),
        (
            "I can imagine how stressful a failed backup is the night before a deadline.",
            "Backups fail sometimes.",
        ),
        (
            "That sounds frustrating, and you're right that it shouldn't have happened.",
            "Calm down, it is only a test environment.",
        ),
    ];
    for (warm, cold) in pairs {
        let (w, c) = (facets(warm).empathy, facets(cold).empathy);
        assert!(w > c, "{w} for {warm:?} should exceed {c} for {cold:?}");
    }
}

#[test]
fn ownership_and_clarity() {
    assert!(
        facets("I'll fix the invoice today and send you the corrected copy by 5 pm.").ownership
            > facets("You'll need to contact the billing department about the invoice.").ownership
    );
    let plain =
        facets("I'll restart the server tonight. It takes five minutes. You won't lose any data.")
            .clarity;
    let dense = facets(
        "Subsequent to the reconfiguration of the authentication infrastructure, intermittent synchronization \
         irregularities necessitated comprehensive reinitialization of the organizational directory hierarchy, \
         consequently temporarily invalidating previously authenticated administrative credentials.",
    )
    .clarity;
    assert!(plain > dense + 20, "plain {plain}, dense {dense}");
}

#[test]
fn every_point_of_politeness_is_a_phrase_of_the_draft() {
    for draft in [
        "Hi Dan, thanks for the report! Could you please send the log when you have a moment?",
        "Why did you delete it? You broke the build. Send the log.",
        "So what now? Actually, this is really not our problem.",
        "I wonder if we could look at it together. By the way, good point about the cache.",
    ] {
        let review = review(draft);
        let facet = i32::from(review.facets.expect("analysed").politeness);
        let sum: f32 = review.politeness_points.iter().map(|p| p.points).sum();
        assert_eq!(
            facet,
            (50.0 + sum).round().clamp(0.0, 100.0) as i32,
            "{draft:?}: {:?}",
            review.politeness_points
        );
        let chars: Vec<char> = draft.chars().collect();
        for point in &review.politeness_points {
            let at: String = chars[point.span.start..point.span.end].iter().collect();
            assert_eq!(at.trim(), point.excerpt);
            assert!(!point.strategy.is_empty() && point.points != 0.0);
        }
    }
}

fn strategies(draft: &str) -> Vec<(String, String)> {
    review(draft)
        .politeness_points
        .into_iter()
        .map(|p| (p.strategy, p.excerpt.to_lowercase()))
        .collect()
}

fn has_strategy(draft: &str, strategy: &str, excerpt: &str) -> bool {
    strategies(draft)
        .iter()
        .any(|(s, e)| s.contains(strategy) && e == excerpt)
}

#[test]
fn politeness_strategies_and_where_they_stand() {
    // "please" inside a request is polite; opening an order with it is not.
    assert!(has_strategy(
        "Could you send it, please?",
        "inside a request",
        "please"
    ));
    assert!(has_strategy(
        "Please send it now.",
        "opening with",
        "please"
    ));
    assert!(!has_strategy(
        "Please let me know if it helps.",
        "opening with",
        "please"
    ));
    // Counterfactual and indicative modals.
    assert!(has_strategy(
        "Would you mind checking the logs?",
        "indirect request",
        "would you mind"
    ));
    assert!(has_strategy(
        "Can you check the logs?",
        "direct request",
        "can you"
    ));
    // Direct questions, but not small talk or offers.
    assert!(has_strategy(
        "Why did you remove the file?",
        "direct question",
        "why"
    ));
    assert!(!has_strategy(
        "How are you doing today?",
        "direct question",
        "how"
    ));
    assert!(!has_strategy(
        "Why not, I said to myself.",
        "direct question",
        "why"
    ));
    // Direct starts and asides.
    assert!(has_strategy(
        "So is it fixed or not?",
        "abrupt opening",
        "so"
    ));
    assert!(!has_strategy(
        "It is so kind of you.",
        "abrupt opening",
        "so"
    ));
    assert!(has_strategy(
        "By the way, the invoice is attached.",
        "aside",
        "by the way"
    ));
    // First and second person by place.
    assert!(has_strategy(
        "You sent the wrong file.",
        "opening with \"you\"",
        "you"
    ));
    assert!(!has_strategy(
        "You're welcome, happy to help.",
        "opening with \"you\"",
        "you're"
    ));
    assert!(has_strategy(
        "I have checked the account.",
        "yourself (\"I",
        "i"
    ));
    assert!(has_strategy(
        "Could we look at it together?",
        "\"we\"",
        "we"
    ));
    // Hedges, factuality and emphasis.
    assert!(has_strategy(
        "I think the cache might be stale.",
        "hedge",
        "i think"
    ));
    assert!(has_strategy(
        "In fact, the cache was cleared.",
        "insisting",
        "in fact"
    ));
    assert!(has_strategy(
        "It is definitely the cache.",
        "emphasis",
        "definitely"
    ));
    assert!(!has_strategy(
        "I really appreciate your help.",
        "emphasis",
        "really"
    ));
    // Gratitude, deference, greetings, apologizing; negative words and sarcasm.
    assert!(has_strategy("Hi Ana, the update is out.", "greeting", "hi"));
    assert!(has_strategy(
        "Sorry to bother you again about this.",
        "apologizing",
        "sorry to bother"
    ));
    assert!(has_strategy(
        "Good point, we should check.",
        "deference",
        "good point"
    ));
    assert!(has_strategy(
        "This is unacceptable.",
        "negative",
        "unacceptable"
    ));
    assert!(!has_strategy("Thanks for nothing.", "gratitude", "thanks"));
    assert!(has_strategy(
        "Did you even read my message?",
        "negative",
        "did you even"
    ));
    // A self-deprecating "silly question" is not a harsh word; asking anyone is indirect.
    assert!(!has_strategy(
        "Sorry if this is a silly question.",
        "harsh",
        "silly"
    ));
    assert!(has_strategy(
        "Sorry if this is a silly question.",
        "apologizing",
        "sorry if this is"
    ));
    assert!(has_strategy(
        "Would anyone know the answer?",
        "indirect request",
        "would anyone"
    ));
    assert!(has_strategy(
        "Thanks for nothing.",
        "negative",
        "thanks for nothing"
    ));
}

#[test]
fn politeness_orders_customer_requests_the_way_people_do() {
    let ordered = [
        "You idiots lost my package again.",
        "Why is my package late again?",
        "Where is my package?",
        "Can you tell me where my package is?",
        "Hi, could you tell me where my package is, please? Thank you!",
    ];
    let scores: Vec<u8> = ordered.iter().map(|d| facets(d).politeness).collect();
    assert!(
        scores.windows(2).all(|w| w[0] < w[1]),
        "{scores:?} for {ordered:?}"
    );
}

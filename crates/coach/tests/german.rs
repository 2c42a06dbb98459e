//! Example sentences in German for every finding kind, with near misses, and the insight on
//! German messages. Written for Rapport; none come from a data set.

mod common;

use common::{explanations, finds, misses, named, promised, review_in, upset};
use rapport_coach::{FindingKind as K, Intent, ReplyContext, analyze_message};

const DE: &str = "de";

fn none() -> ReplyContext {
    ReplyContext::default()
}

#[test]
fn closure_threats() {
    finds(
        DE,
        K::ClosureThreat,
        &[
            "Wenn wir nichts von Ihnen hören, wird das Ticket in drei Tagen geschlossen.",
            "Bitte beachten Sie, dass das Ticket ohne Rückmeldung automatisch geschlossen wird.",
            "Falls Sie nicht antworten, betrachten wir die Anfrage als erledigt.",
        ],
        &none(),
    );
    misses(
        DE,
        K::ClosureThreat,
        &[
            "Das Ticket wird nicht geschlossen, bis Sie bestätigen, dass es funktioniert.",
            "Ich rufe Sie in drei Tagen an und sage Ihnen, was wir gefunden haben.",
            "Bitte schließen Sie den Browser und öffnen Sie ihn wieder.",
        ],
        &none(),
    );
}

#[test]
fn blame() {
    finds(
        DE,
        K::Blame,
        &[
            "Wie bereits gesagt, lässt sich der Filter nicht abschalten.",
            "Sie haben vergessen, die Bestellnummer anzugeben.",
            "Wie in meiner letzten E-Mail erklärt, muss das Update von Hand installiert werden.",
        ],
        &none(),
    );
    misses(
        DE,
        K::Blame,
        &[
            "Hätten Sie morgen kurz Zeit für ein Telefonat?",
            "Ich hätte das früher bemerken sollen, und das tut mir leid.",
            "Die Bestellnummer steht auf der Rechnung oben rechts.",
        ],
        &none(),
    );
}

#[test]
fn policy_walls() {
    finds(
        DE,
        K::PolicyWall,
        &[
            "Laut unseren AGB ist eine Erstattung nach 30 Tagen nicht möglich.",
            "Wir können keine Ausnahme machen, das ist unsere Richtlinie.",
        ],
        &none(),
    );
    misses(
        DE,
        K::PolicyWall,
        &[
            "Nach 30 Tagen erstatten wir nicht, weil die Ware dann nicht mehr als neu verkauft werden kann; ich kann Ihnen aber einen Gutschein anbieten.",
            "Ich habe die Erstattung heute für Sie veranlasst.",
        ],
        &none(),
    );
}

#[test]
fn deflection() {
    finds(
        DE,
        K::Deflection,
        &[
            "Bitte wenden Sie sich an Ihren Internetanbieter.",
            "Dafür sind wir nicht zuständig, das ist Sache des Herstellers.",
        ],
        &none(),
    );
    misses(
        DE,
        K::Deflection,
        &[
            "Ich kontaktiere den Hersteller für Sie und melde mich morgen.",
            "Wir haben das Problem auf unserer Seite gefunden und behoben.",
        ],
        &none(),
    );
}

#[test]
fn condescension() {
    finds(
        DE,
        K::Condescension,
        &[
            "Das ist ganz einfach, Sie müssen nur auf Speichern klicken.",
            "Offensichtlich muss der Router neu gestartet werden.",
        ],
        &none(),
    );
    misses(
        DE,
        K::Condescension,
        &[
            "So geht es: Klicken Sie auf Speichern und dann auf Weiter.",
            "Offensichtlich haben wir hier einen Fehler gemacht, und das tut mir leid.",
        ],
        &none(),
    );
}

#[test]
fn jargon() {
    finds(
        DE,
        K::Jargon,
        &[
            "Wir haben den Schwellenwert für den Filter auf fünf gesetzt.",
            "Der Cache wird in der Nacht geleert.",
        ],
        &none(),
    );
    misses(
        DE,
        K::Jargon,
        &[
            "Der Cache (ein Zwischenspeicher im Browser) wird in der Nacht geleert.",
            "Wir haben den Filter so eingestellt, dass weniger Post aussortiert wird.",
        ],
        &none(),
    );
}

#[test]
fn next_steps() {
    finds(
        DE,
        K::NoNextStep,
        &["Das Problem liegt bei der Konfiguration des Servers."],
        &none(),
    );
    misses(
        DE,
        K::NoNextStep,
        &[
            "Das Problem liegt beim Server; ich melde mich morgen mit der Lösung.",
            "Könnten Sie mir einen Screenshot der Fehlermeldung schicken?",
        ],
        &none(),
    );
}

#[test]
fn personal_address() {
    finds(
        DE,
        K::NoPersonalAddress,
        &["Das Update ist jetzt installiert und alles läuft wieder."],
        &none(),
    );
    finds(
        DE,
        K::NoPersonalAddress,
        &["Das Update ist jetzt installiert und alles läuft wieder."],
        &named("Anna Schmidt"),
    );
    misses(
        DE,
        K::NoPersonalAddress,
        &["Hallo Anna, das Update ist jetzt installiert und alles läuft wieder."],
        &named("Anna Schmidt"),
    );
    misses(
        DE,
        K::NoPersonalAddress,
        &["Guten Tag, das Update ist jetzt installiert und alles läuft wieder."],
        &none(),
    );
    let review = review_in(
        DE,
        "Das Update ist jetzt installiert und alles läuft wieder.",
        &named("Anna Schmidt"),
    );
    assert!(
        explanations(&review).contains("Anna nie mit Namen an"),
        "{}",
        explanations(&review)
    );
}

#[test]
fn no_empathy_when_the_customer_is_upset() {
    let angry = upset(
        "Das ist jetzt das dritte Mal, dass ich schreibe. Unzumutbar, ich bin wirklich wütend!",
    );
    finds(
        DE,
        K::NoEmpathyWhenUpset,
        &["Das Update ist installiert, bitte starten Sie das Gerät neu."],
        &angry,
    );
    misses(
        DE,
        K::NoEmpathyWhenUpset,
        &[
            "Es tut mir leid, dass Sie so oft schreiben mussten. Das Update ist installiert.",
            "Ich verstehe, wie ärgerlich das ist. Das Update ist jetzt installiert.",
        ],
        &angry,
    );
    misses(
        DE,
        K::NoEmpathyWhenUpset,
        &["Das Update ist installiert, bitte starten Sie das Gerät neu."],
        &upset("Könnten Sie mir sagen, wann das Update kommt? Vielen Dank."),
    );
}

#[test]
fn unanswered_concerns() {
    let two =
        upset("Der Drucker druckt keine Farben mehr. Außerdem ist die Rechnung für März falsch.");
    finds(
        DE,
        K::UnansweredConcern,
        &["Ich habe den Treiber für den Drucker neu installiert, die Farben gehen wieder."],
        &two,
    );
    misses(
        DE,
        K::UnansweredConcern,
        &[
            "Ich habe den Treiber für den Drucker neu installiert, und die Rechnung für März korrigiere ich heute.",
        ],
        &two,
    );
    let review = review_in(
        DE,
        "Ich habe den Treiber für den Drucker neu installiert.",
        &two,
    );
    assert!(
        explanations(&review).contains("hat auch"),
        "{}",
        explanations(&review)
    );
}

#[test]
fn promises() {
    let context = promised("Rückruf wegen der Ersatzleitung");
    finds(
        DE,
        K::PromiseUnmentioned,
        &["Hallo Anna, das Update ist jetzt installiert und läuft."],
        &context,
    );
    misses(
        DE,
        K::PromiseUnmentioned,
        &["Hallo Anna, den Rückruf wegen der Leitung mache ich morgen um zehn."],
        &context,
    );
    let review = review_in(
        DE,
        "Hallo Anna, das Update ist jetzt installiert und läuft.",
        &context,
    );
    assert!(
        explanations(&review).contains("offenes Versprechen"),
        "{}",
        explanations(&review)
    );
}

#[test]
fn what_was_done_well() {
    finds(
        DE,
        K::OwnershipTaken,
        &["Ich kümmere mich heute selbst darum und melde mich bis fünf Uhr."],
        &none(),
    );
    misses(
        DE,
        K::OwnershipTaken,
        &["Die Technik sieht sich das irgendwann an."],
        &none(),
    );
    finds(
        DE,
        K::Apology,
        &["Es tut mir leid, dass die Lieferung so spät kam."],
        &none(),
    );
    misses(
        DE,
        K::Apology,
        &["Tut mir leid, aber das ist nicht möglich bei uns."],
        &none(),
    );
    finds(
        DE,
        K::EmpathyShown,
        &["Das muss frustrierend sein, so kurz vor der Frist."],
        &none(),
    );
    misses(
        DE,
        K::EmpathyShown,
        &["Die Frist ist am Freitag um zwölf Uhr."],
        &none(),
    );
    finds(
        DE,
        K::AlternativeOffered,
        &["Eine Erstattung geht nicht mehr, aber ich kann Ihnen einen Gutschein anbieten."],
        &none(),
    );
    misses(
        DE,
        K::AlternativeOffered,
        &["Eine Erstattung ist nach 30 Tagen nicht mehr möglich."],
        &none(),
    );
    finds(
        DE,
        K::PersonalTouch,
        &["Ich wünsche Ihnen ein schönes Wochenende und eine gute Reise."],
        &none(),
    );
    misses(
        DE,
        K::PersonalTouch,
        &["Die Reise ist für das Wochenende gebucht."],
        &none(),
    );
}

#[test]
fn findings_speak_german() {
    let review = review_in(
        DE,
        "Wie bereits gesagt, wird das Ticket ohne Rückmeldung geschlossen.",
        &none(),
    );
    let words = explanations(&review);
    assert!(
        words.contains("Kundin") && !words.contains("customer"),
        "{words}"
    );
}

#[test]
fn politeness_in_german() {
    let ordered = [
        "Ihr Idioten habt mein Paket schon wieder verloren.",
        "Warum ist mein Paket schon wieder nicht da?",
        "Wo ist mein Paket? Ich warte seit Tagen.",
        "Guten Tag, könnten Sie mir bitte sagen, wo mein Paket ist? Vielen Dank!",
    ];
    let scores: Vec<u8> = ordered
        .iter()
        .map(|d| {
            review_in(DE, d, &none())
                .facets
                .expect("analysed")
                .politeness
        })
        .collect();
    assert!(scores.windows(2).all(|w| w[0] < w[1]), "{scores:?}");
    let cold = review_in(
        DE,
        "Wie bereits gesagt, laut AGB nicht möglich. Wenden Sie sich an den Hersteller. Ohne Rückmeldung wird das Ticket geschlossen.",
        &named("Anna"),
    );
    let warm = review_in(
        DE,
        "Hallo Anna, es tut mir leid, dass das so lange dauert. Ich kümmere mich heute selbst darum und rufe Sie morgen um zehn an. Wäre das in Ordnung?",
        &named("Anna"),
    );
    assert!(warm.score.expect("scored") >= cold.score.expect("scored") + 30);
}

#[test]
fn insight_in_german() {
    let cases = [
        (
            "Ich möchte sofort mit Ihrem Vorgesetzten sprechen.",
            Intent::WantsManager,
        ),
        (
            "Bitte kündigen Sie mein Abo zum Monatsende.",
            Intent::WantsToCancel,
        ),
        (
            "Das ist unzumutbar und ich bin sehr enttäuscht von Ihnen.",
            Intent::Complaint,
        ),
        (
            "Vielen Dank, das war wirklich hervorragend von Ihnen!",
            Intent::Praise,
        ),
        (
            "Wenn das nicht behoben wird, schalte ich meinen Anwalt ein.",
            Intent::LegalThreat,
        ),
        (
            "Unser Shop ist ausgefallen, bitte helfen Sie uns dringend.",
            Intent::Urgent,
        ),
        (
            "Danke, es funktioniert jetzt wieder wie vorher.",
            Intent::ConfirmsFix,
        ),
    ];
    for (message, intent) in cases {
        let insight = analyze_message(message);
        assert_eq!(insight.language.language, "de", "{message:?}");
        assert!(
            insight.intents.contains(&intent),
            "{intent:?} in {message:?}: {:?}",
            insight.intents
        );
    }
    let calm = analyze_message("Der Drucker druckt nicht. Könnten Sie sich das bitte ansehen?");
    let angry = analyze_message(
        "Schon wieder kaputt!! Zum dritten Mal schreibe ich, das ist unzumutbar und furchtbar!",
    );
    assert!(
        angry.frustration > calm.frustration + 0.3,
        "{} vs {}",
        angry.frustration,
        calm.frustration
    );
    assert!(angry.sentiment < -0.5, "{}", angry.sentiment);
    assert!(analyze_message("Vielen Dank, das ist großartig und sehr hilfreich!").sentiment > 0.5);
    let two = analyze_message(
        "Der Drucker druckt keine Farben mehr. Außerdem ist die Rechnung für März falsch.",
    );
    assert_eq!(two.concerns.len(), 2, "{:?}", two.concerns);
}

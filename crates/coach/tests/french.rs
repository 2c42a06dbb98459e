//! Example sentences in French for every finding kind, with near misses, and the insight on
//! French messages. Written for Rapport; none come from a data set.

mod common;

use common::{explanations, finds, misses, named, promised, review_in, upset};
use rapport_coach::{FindingKind as K, Intent, ReplyContext, analyze_message};

const FR: &str = "fr";

fn none() -> ReplyContext {
    ReplyContext::default()
}

#[test]
fn closure_threats() {
    finds(
        FR,
        K::ClosureThreat,
        &[
            "Sans réponse de votre part sous trois jours, le ticket sera fermé.",
            "Si vous ne répondez pas avant vendredi, nous considérerons votre demande comme résolue.",
            "Nous clôturerons le dossier si nous n'avons pas de nouvelles de votre part.",
        ],
        &none(),
    );
    misses(
        FR,
        K::ClosureThreat,
        &[
            "Le ticket ne sera pas fermé tant que vous n'aurez pas confirmé que tout fonctionne.",
            "Je vous appelle dans trois jours avec ce que nous aurons trouvé.",
            "Merci de fermer le navigateur et de le rouvrir ensuite.",
        ],
        &none(),
    );
}

#[test]
fn blame() {
    finds(
        FR,
        K::Blame,
        &[
            "Comme je vous l'ai déjà dit, le filtre ne peut pas être désactivé.",
            "Vous avez oublié d'indiquer le numéro de commande dans votre message.",
            "Comme indiqué précédemment, la mise à jour doit être installée à la main.",
        ],
        &none(),
    );
    misses(
        FR,
        K::Blame,
        &[
            "Vous auriez dû recevoir un e-mail de confirmation ; je vous l'ai renvoyé.",
            "Comme je vous l'ai dit au téléphone, je vous envoie la pièce demain.",
            "Le numéro de commande est en haut à droite de la facture.",
        ],
        &none(),
    );
}

#[test]
fn policy_walls() {
    finds(
        FR,
        K::PolicyWall,
        &[
            "Selon notre politique, nous ne remboursons pas après 30 jours.",
            "Désolé, nous ne faisons pas d'exception pour ce type de commande.",
        ],
        &none(),
    );
    misses(
        FR,
        K::PolicyWall,
        &[
            "Après 30 jours nous ne remboursons pas, parce que l'article ne peut plus être vendu neuf ; je peux vous proposer un avoir.",
            "J'ai lancé le remboursement de votre commande aujourd'hui.",
        ],
        &none(),
    );
}

#[test]
fn deflection() {
    finds(
        FR,
        K::Deflection,
        &[
            "Vous devez contacter votre fournisseur d'accès à internet.",
            "Ce n'est pas notre responsabilité, adressez-vous au fabricant.",
        ],
        &none(),
    );
    misses(
        FR,
        K::Deflection,
        &[
            "Je vais contacter le fabricant en votre nom et je vous écris demain.",
            "Nous avons trouvé le problème de notre côté et il est corrigé.",
        ],
        &none(),
    );
}

#[test]
fn condescension() {
    finds(
        FR,
        K::Condescension,
        &[
            "C'est très simple, il suffit de cliquer sur Enregistrer.",
            "Évidemment, il faut redémarrer le routeur avant tout.",
        ],
        &none(),
    );
    misses(
        FR,
        K::Condescension,
        &[
            "Voici comment faire : cliquez sur Enregistrer puis sur Suivant.",
            "Évidemment, nous aurions dû le voir plus tôt, et je suis désolé.",
        ],
        &none(),
    );
}

#[test]
fn jargon() {
    finds(
        FR,
        K::Jargon,
        &[
            "Nous avons relevé le seuil du filtre à cinq pour votre domaine.",
            "Le cache de votre compte est vidé pendant la nuit.",
        ],
        &none(),
    );
    misses(
        FR,
        K::Jargon,
        &[
            "Le cache (une mémoire temporaire du navigateur) est vidé pendant la nuit.",
            "Nous avons réglé le filtre pour qu'il écarte moins de courriels de vos clients.",
        ],
        &none(),
    );
}

#[test]
fn next_steps() {
    finds(
        FR,
        K::NoNextStep,
        &["Le problème vient de la configuration du serveur de votre entreprise."],
        &none(),
    );
    misses(
        FR,
        K::NoNextStep,
        &[
            "Le problème vient du serveur ; je vous écris demain avec la solution.",
            "Pourriez-vous m'envoyer une capture d'écran de l'erreur ?",
        ],
        &none(),
    );
}

#[test]
fn personal_address() {
    let draft = "La mise à jour est installée et tout fonctionne de nouveau.";
    finds(FR, K::NoPersonalAddress, &[draft], &none());
    finds(FR, K::NoPersonalAddress, &[draft], &named("Claire Martin"));
    misses(
        FR,
        K::NoPersonalAddress,
        &["Bonjour Claire, la mise à jour est installée et tout fonctionne."],
        &named("Claire Martin"),
    );
    misses(
        FR,
        K::NoPersonalAddress,
        &["Bonjour, la mise à jour est installée et tout fonctionne."],
        &none(),
    );
    let review = review_in(FR, draft, &named("Claire Martin"));
    assert!(
        explanations(&review).contains("n'appelle jamais Claire"),
        "{}",
        explanations(&review)
    );
}

#[test]
fn no_empathy_when_the_customer_is_upset() {
    let angry = upset("C'est la troisième fois que j'écris. C'est inadmissible, je suis furieux.");
    finds(
        FR,
        K::NoEmpathyWhenUpset,
        &["La mise à jour est installée, merci de redémarrer l'appareil."],
        &angry,
    );
    misses(
        FR,
        K::NoEmpathyWhenUpset,
        &[
            "Je suis vraiment désolé que vous ayez dû écrire autant de fois. La mise à jour est installée.",
            "Je comprends tout à fait votre agacement. La mise à jour est maintenant installée.",
        ],
        &angry,
    );
    misses(
        FR,
        K::NoEmpathyWhenUpset,
        &["La mise à jour est installée, merci de redémarrer l'appareil."],
        &upset("Pourriez-vous me dire quand la mise à jour arrive ? Merci beaucoup."),
    );
}

#[test]
fn unanswered_concerns() {
    let two =
        upset("L'imprimante n'imprime plus en couleur. De plus, la facture de mars est fausse.");
    finds(
        FR,
        K::UnansweredConcern,
        &["J'ai réinstallé le pilote de l'imprimante et elle imprime de nouveau en couleur."],
        &two,
    );
    misses(
        FR,
        K::UnansweredConcern,
        &[
            "J'ai réinstallé le pilote de l'imprimante, et je corrige la facture de mars aujourd'hui.",
        ],
        &two,
    );
    let review = review_in(
        FR,
        "J'ai réinstallé le pilote de l'imprimante pour vous.",
        &two,
    );
    assert!(
        explanations(&review).contains("a aussi écrit"),
        "{}",
        explanations(&review)
    );
}

#[test]
fn promises() {
    let context = promised("rappel au sujet de la ligne de secours");
    finds(
        FR,
        K::PromiseUnmentioned,
        &["Bonjour Claire, la mise à jour est installée et fonctionne."],
        &context,
    );
    misses(
        FR,
        K::PromiseUnmentioned,
        &["Bonjour Claire, pour la ligne de secours je vous rappelle demain à dix heures."],
        &context,
    );
    let review = review_in(
        FR,
        "Bonjour Claire, la mise à jour est installée et fonctionne.",
        &context,
    );
    assert!(
        explanations(&review).contains("promesse en cours"),
        "{}",
        explanations(&review)
    );
}

#[test]
fn what_was_done_well() {
    finds(
        FR,
        K::OwnershipTaken,
        &["Je m'en occupe moi-même aujourd'hui et je vous écris avant cinq heures."],
        &none(),
    );
    misses(
        FR,
        K::OwnershipTaken,
        &["L'équipe technique regardera cela un de ces jours."],
        &none(),
    );
    finds(
        FR,
        K::Apology,
        &["Je suis désolée que la livraison soit arrivée si tard."],
        &none(),
    );
    misses(
        FR,
        K::Apology,
        &["Désolé, mais ce n'est pas possible dans notre magasin."],
        &none(),
    );
    finds(
        FR,
        K::EmpathyShown,
        &["Ce doit être frustrant, juste avant votre échéance."],
        &none(),
    );
    misses(
        FR,
        K::EmpathyShown,
        &["L'échéance est vendredi à midi pour tout le monde."],
        &none(),
    );
    finds(
        FR,
        K::AlternativeOffered,
        &["Le remboursement n'est plus possible, mais je peux vous proposer un avoir."],
        &none(),
    );
    misses(
        FR,
        K::AlternativeOffered,
        &["Le remboursement n'est plus possible après 30 jours."],
        &none(),
    );
    finds(
        FR,
        K::PersonalTouch,
        &["Je vous souhaite un bon week-end et un bon voyage."],
        &none(),
    );
    misses(
        FR,
        K::PersonalTouch,
        &["Le voyage est réservé pour le week-end de Pâques."],
        &none(),
    );
}

#[test]
fn findings_speak_french() {
    let review = review_in(
        FR,
        "Comme je vous l'ai déjà dit, sans réponse de votre part le ticket sera fermé.",
        &none(),
    );
    let words = explanations(&review);
    assert!(
        words.contains("client") && !words.contains("customer"),
        "{words}"
    );
}

#[test]
fn politeness_in_french() {
    let ordered = [
        "Vous êtes des imbéciles, vous avez encore perdu mon colis.",
        "Pourquoi mon colis n'est-il toujours pas arrivé ?",
        "Où est mon colis ? J'attends depuis des jours.",
        "Bonjour, pourriez-vous me dire où est mon colis, s'il vous plaît ? Merci beaucoup !",
    ];
    let scores: Vec<u8> = ordered
        .iter()
        .map(|d| {
            review_in(FR, d, &none())
                .facets
                .expect("analysed")
                .politeness
        })
        .collect();
    assert!(scores.windows(2).all(|w| w[0] < w[1]), "{scores:?}");
    let cold = review_in(
        FR,
        "Comme je vous l'ai déjà dit, selon notre politique ce n'est pas possible. Contactez le fabricant. Sans réponse de votre part, le ticket sera fermé.",
        &named("Claire"),
    );
    let warm = review_in(
        FR,
        "Bonjour Claire, je suis vraiment désolé que cela prenne autant de temps. Je m'en occupe aujourd'hui et je vous appelle demain à dix heures. Cela vous convient-il ?",
        &named("Claire"),
    );
    assert!(warm.score.expect("scored") >= cold.score.expect("scored") + 30);
}

#[test]
fn insight_in_french() {
    let cases = [
        (
            "Je veux parler à votre responsable tout de suite.",
            Intent::WantsManager,
        ),
        (
            "Je souhaite résilier mon abonnement à la fin du mois.",
            Intent::WantsToCancel,
        ),
        (
            "C'est inadmissible et je suis très déçu par votre service.",
            Intent::Complaint,
        ),
        (
            "Merci beaucoup, c'est un travail excellent de votre part.",
            Intent::Praise,
        ),
        (
            "Si ce n'est pas réglé, je contacte mon avocat.",
            Intent::LegalThreat,
        ),
        (
            "Notre boutique est en panne, aidez-nous, c'est urgent.",
            Intent::Urgent,
        ),
        (
            "Merci, ça marche de nouveau comme avant.",
            Intent::ConfirmsFix,
        ),
    ];
    for (message, intent) in cases {
        let insight = analyze_message(message);
        assert_eq!(insight.language.language, "fr", "{message:?}");
        assert!(
            insight.intents.contains(&intent),
            "{intent:?} in {message:?}: {:?}",
            insight.intents
        );
    }
    let calm =
        analyze_message("L'imprimante n'imprime pas. Pourriez-vous regarder, s'il vous plaît ?");
    let angry = analyze_message(
        "Encore cassé !! C'est la troisième fois que j'écris, c'est inacceptable et lamentable.",
    );
    assert!(
        angry.frustration > calm.frustration + 0.3,
        "{} vs {}",
        angry.frustration,
        calm.frustration
    );
    assert!(angry.sentiment < -0.5, "{}", angry.sentiment);
    assert!(analyze_message("Merci beaucoup, c'est parfait et très utile.").sentiment > 0.5);
    let two = analyze_message(
        "L'imprimante n'imprime plus en couleur. De plus, la facture de mars est fausse.",
    );
    assert_eq!(two.concerns.len(), 2, "{:?}", two.concerns);
}

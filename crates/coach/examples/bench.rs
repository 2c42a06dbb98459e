//! `cargo run --release -p rapport-coach --example bench`: the coach's speed without building
//! the server. The same measures as `rapport coach --bench`: the median time to review a 1 KB
//! draft, and reviews per second through JSON lines (read a line, review, write the review),
//! for an English draft and one in each other language the coach reads.

use rapport_coach::{ReplyContext, analyze_reply};
use std::io::Write;
use std::time::Instant;

const DRAFTS: &[(&str, &str)] = &[
    (
        "en",
        "Hi Ana,\n\nThank you for writing in, and I'm sorry the filter has been tagging your clients' \
mail as spam; that must be frustrating, especially with the real spam getting through as well. I have looked at \
the settings on your account. SpamAssassin is set to tag anything above a score of 3, which is stricter than it \
needs to be now that the appliance in front of it already filters most spam. I'll raise the threshold to 5 today \
and add your three main clients' domains to the list of trusted senders, so their mail won't be tagged again.\n\n\
For the spam that still gets through, I'll ask our engineers to train the appliance on the samples you received \
this week. Alternatively, we could turn SpamAssassin off for your domain entirely, since the appliance does the \
same job; it's your choice and I'm happy to talk it through. I'll call you tomorrow at 10 to check how the \
last day has been. If anything looks wrong before then, just reply here and I'll pick it up straight away.",
    ),
    (
        "de",
        "Hallo Frau Schmidt,\n\nvielen Dank für Ihre Nachricht, und es tut mir leid, dass der Filter die Post Ihrer \
Kunden als Spam markiert; das ist sicher ärgerlich, zumal auch echter Spam durchkommt. Ich habe mir die Einstellungen \
Ihres Kontos angesehen. Der Filter markiert alles ab einem Wert von 3, was strenger ist als nötig, seit das Gerät \
davor den meisten Spam schon aussortiert. Ich werde den Wert heute auf 5 setzen und die Adressen Ihrer drei \
wichtigsten Kunden als vertrauenswürdig eintragen, damit ihre Post nicht mehr markiert wird. Für den Spam, der noch \
durchkommt, bitte ich unsere Technik, das Gerät mit Ihren Beispielen zu trainieren. Alternativ könnten wir den \
Filter für Ihre Domain ganz abschalten; Sie entscheiden, und ich bespreche das gern mit Ihnen. Ich rufe Sie morgen \
um zehn an.",
    ),
    (
        "es",
        "Hola Ana:\n\nGracias por escribirnos, y siento mucho que el filtro esté marcando como spam el correo de sus \
clientes; debe de ser frustrante, sobre todo porque además entra spam de verdad. He revisado la configuración de \
su cuenta. El filtro marca todo lo que supera una puntuación de 3, lo que es más estricto de lo necesario ahora que \
el equipo que tiene delante ya filtra la mayor parte del spam. Hoy subiré el límite a 5 y añadiré los dominios de \
sus tres clientes principales a la lista de remitentes de confianza, para que su correo no se vuelva a marcar. Para \
el spam que todavía entra, pediré a nuestros ingenieros que entrenen el equipo con sus ejemplos. Como alternativa, \
podríamos desactivar el filtro para su dominio; usted decide. Le llamo mañana a las diez.",
    ),
    (
        "fr",
        "Bonjour Claire,\n\nMerci de nous avoir écrit, et je suis désolé que le filtre classe en spam le courrier de \
vos clients ; ce doit être frustrant, d'autant que du vrai spam passe aussi. J'ai regardé les réglages de votre \
compte. Le filtre marque tout ce qui dépasse un score de 3, ce qui est plus strict que nécessaire maintenant que \
l'appareil placé devant filtre déjà l'essentiel du spam. Je vais relever la limite à 5 aujourd'hui et ajouter les \
domaines de vos trois principaux clients à la liste des expéditeurs de confiance, pour que leur courrier ne soit \
plus marqué. Pour le spam qui passe encore, je demande à nos ingénieurs d'entraîner l'appareil avec vos exemples. \
Sinon, nous pourrions désactiver le filtre pour votre domaine ; c'est vous qui décidez. Je vous appelle demain à dix heures.",
    ),
];

#[derive(serde::Deserialize)]
struct Line {
    text: String,
    #[serde(flatten)]
    context: ReplyContext,
}

fn main() {
    println!("rapport-coach benchmark (one core; build with --release)");
    for (language, full) in DRAFTS {
        let draft = &full[..full.floor_char_boundary(1024)];
        let context = ReplyContext::default();
        let review = analyze_reply(draft, &context);
        assert_eq!(review.language.language, *language);
        let mut times: Vec<f64> = (0..3_000)
            .map(|_| {
                let start = Instant::now();
                std::hint::black_box(analyze_reply(std::hint::black_box(draft), &context));
                start.elapsed().as_secs_f64() * 1e6
            })
            .collect();
        times.sort_by(f64::total_cmp);
        let at = |q: f64| times[((times.len() as f64 * q) as usize).min(times.len() - 1)];
        println!(
            "{language}: {} bytes, median {:.1} µs, p90 {:.1} µs, p99 {:.1} µs",
            draft.len(),
            at(0.5),
            at(0.9),
            at(0.99)
        );

        let lines = 20_000;
        let mut input = String::new();
        for n in 0..lines {
            let line = if n % 2 == 0 {
                serde_json::json!({ "text": draft, "customer_message": "Still broken, third time I write. Please fix this!" })
            } else {
                serde_json::json!({ "text": draft })
            };
            input.push_str(&line.to_string());
            input.push('\n');
        }
        let mut output = std::io::sink();
        let cpu_start = cpu_seconds();
        let start = Instant::now();
        for line in input.lines() {
            let parsed: Line = serde_json::from_str(line).expect("valid line");
            serde_json::to_writer(&mut output, &analyze_reply(&parsed.text, &parsed.context))
                .expect("written");
            output.write_all(b"\n").expect("written");
        }
        let elapsed = start.elapsed().as_secs_f64();
        let cpu = cpu_start.zip(cpu_seconds()).map(|(a, b)| b - a);
        let review = analyze_reply(draft, &ReplyContext::default());
        let json = serde_json::to_string(&review).expect("json");
        let start = Instant::now();
        for _ in 0..2_000 {
            std::hint::black_box(
                serde_json::to_string(std::hint::black_box(&review)).expect("json"),
            );
        }
        let serialise = start.elapsed().as_secs_f64() / 2_000.0 * 1e6;
        let message = ReplyContext {
            customer_message: Some("Still broken, third time I write. Please fix this!".into()),
            ..ReplyContext::default()
        };
        let start = Instant::now();
        for _ in 0..2_000 {
            std::hint::black_box(analyze_reply(draft, std::hint::black_box(&message)));
        }
        let with_message = start.elapsed().as_secs_f64() / 2_000.0 * 1e6;
        println!(
            "{language}: review JSON {} bytes ({} politeness points), written in {serialise:.1} µs; review with a customer message {with_message:.1} µs",
            json.len(),
            review.politeness_points.len()
        );
        println!(
            "{language}: JSON lines {lines} reviews in {elapsed:.2} s = {:.0} reviews/s (half with a customer message)",
            lines as f64 / elapsed
        );
        if let Some(cpu) = cpu {
            println!(
                "{language}: JSON lines on the CPU {cpu:.2} s = {:.0} reviews per CPU second (what one idle core does)",
                lines as f64 / cpu
            );
        }
    }
}

/// Time this process has spent on a CPU (Linux), so a busy machine's waiting is not counted.
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/schedstat").ok()?;
    let nanos: f64 = stat.split_whitespace().next()?.parse().ok()?;
    Some(nanos / 1e9)
}

//! Example sentences in Spanish for every finding kind, with near misses, and the insight on
//! Spanish messages. Written for Rapport; none come from a data set.

mod common;

use common::{explanations, finds, misses, named, promised, review_in, upset};
use rapport_coach::{FindingKind as K, Intent, ReplyContext, analyze_message};

const ES: &str = "es";

fn none() -> ReplyContext {
    ReplyContext::default()
}

#[test]
fn closure_threats() {
    finds(
        ES,
        K::ClosureThreat,
        &[
            "Si no recibimos respuesta en tres días, el ticket se cerrará.",
            "Si no responde antes del viernes, daremos por resuelto su caso.",
            "Le informamos de que cerraremos el ticket si no tenemos noticias suyas.",
        ],
        &none(),
    );
    misses(
        ES,
        K::ClosureThreat,
        &[
            "El ticket no se cerrará hasta que usted confirme que todo funciona.",
            "Le llamaré en tres días con lo que hayamos encontrado.",
            "Por favor, cierre el navegador y vuelva a abrirlo.",
        ],
        &none(),
    );
}

#[test]
fn blame() {
    finds(
        ES,
        K::Blame,
        &[
            "Como ya le dije, el filtro no se puede desactivar.",
            "Se le olvidó incluir el número de pedido en su mensaje.",
            "Según mi último correo, la actualización se instala a mano.",
        ],
        &none(),
    );
    misses(
        ES,
        K::Blame,
        &[
            "Debería haber recibido ya un correo de confirmación; se lo he vuelto a enviar.",
            "Como le dije por teléfono, mañana le envío la pieza.",
            "El número de pedido está arriba a la derecha en la factura.",
        ],
        &none(),
    );
}

#[test]
fn policy_walls() {
    finds(
        ES,
        K::PolicyWall,
        &[
            "Según nuestra política, no hacemos reembolsos después de 30 días.",
            "Lo siento, no podemos hacer excepciones con este tipo de pedidos.",
        ],
        &none(),
    );
    misses(
        ES,
        K::PolicyWall,
        &[
            "Después de 30 días no reembolsamos porque el artículo ya no se puede vender como nuevo; puedo ofrecerle un vale.",
            "He tramitado hoy el reembolso de su pedido.",
        ],
        &none(),
    );
}

#[test]
fn deflection() {
    finds(
        ES,
        K::Deflection,
        &[
            "Tiene que ponerse en contacto con su proveedor de internet.",
            "Eso no es nuestra responsabilidad, contacte con el fabricante.",
        ],
        &none(),
    );
    misses(
        ES,
        K::Deflection,
        &[
            "Me pondré en contacto con el fabricante en su nombre y le escribo mañana.",
            "Hemos encontrado el problema en nuestro lado y ya está corregido.",
        ],
        &none(),
    );
}

#[test]
fn condescension() {
    finds(
        ES,
        K::Condescension,
        &[
            "Es muy sencillo, solo tiene que pulsar Guardar en la pantalla.",
            "Obviamente hay que reiniciar el router antes de nada.",
        ],
        &none(),
    );
    misses(
        ES,
        K::Condescension,
        &[
            "Así se hace: pulse Guardar y después Siguiente en la pantalla.",
            "Obviamente fue un error nuestro y lo siento mucho.",
        ],
        &none(),
    );
}

#[test]
fn jargon() {
    finds(
        ES,
        K::Jargon,
        &[
            "Hemos subido el umbral del filtro de correo a cinco.",
            "La caché de su cuenta se vacía por la noche.",
        ],
        &none(),
    );
    misses(
        ES,
        K::Jargon,
        &[
            "La caché (una memoria temporal del navegador) se vacía por la noche.",
            "Hemos ajustado el filtro para que aparte menos correo de sus clientes.",
        ],
        &none(),
    );
}

#[test]
fn next_steps() {
    finds(
        ES,
        K::NoNextStep,
        &["El problema está en la configuración del servidor de la empresa."],
        &none(),
    );
    misses(
        ES,
        K::NoNextStep,
        &[
            "El problema está en el servidor; le escribiré mañana con la solución.",
            "¿Podría enviarme una captura de pantalla del error?",
        ],
        &none(),
    );
}

#[test]
fn personal_address() {
    let draft = "La actualización ya está instalada y todo funciona de nuevo.";
    finds(ES, K::NoPersonalAddress, &[draft], &none());
    finds(ES, K::NoPersonalAddress, &[draft], &named("Ana García"));
    misses(
        ES,
        K::NoPersonalAddress,
        &["Hola Ana, la actualización ya está instalada y todo funciona."],
        &named("Ana García"),
    );
    misses(
        ES,
        K::NoPersonalAddress,
        &["Buenos días, la actualización ya está instalada y todo funciona."],
        &none(),
    );
    let review = review_in(ES, draft, &named("Ana García"));
    assert!(
        explanations(&review).contains("nunca llama a Ana"),
        "{}",
        explanations(&review)
    );
}

#[test]
fn no_empathy_when_the_customer_is_upset() {
    let angry =
        upset("Es la tercera vez que escribo. Es inaceptable, estoy muy enfadado con ustedes.");
    finds(
        ES,
        K::NoEmpathyWhenUpset,
        &["La actualización está instalada, reinicie el equipo por favor."],
        &angry,
    );
    misses(
        ES,
        K::NoEmpathyWhenUpset,
        &[
            "Siento mucho que haya tenido que escribir tantas veces. La actualización ya está instalada.",
            "Entiendo lo molesto que es esto. La actualización ya está instalada.",
        ],
        &angry,
    );
    misses(
        ES,
        K::NoEmpathyWhenUpset,
        &["La actualización está instalada, reinicie el equipo por favor."],
        &upset("¿Podría decirme cuándo llega la actualización? Muchas gracias."),
    );
}

#[test]
fn unanswered_concerns() {
    let two =
        upset("La impresora ya no imprime en color. Además, la factura de marzo es incorrecta.");
    finds(
        ES,
        K::UnansweredConcern,
        &["He reinstalado el controlador de la impresora y ya imprime en color."],
        &two,
    );
    misses(
        ES,
        K::UnansweredConcern,
        &["He reinstalado el controlador de la impresora, y la factura de marzo la corrijo hoy."],
        &two,
    );
    let review = review_in(ES, "He reinstalado el controlador de la impresora.", &two);
    assert!(
        explanations(&review).contains("también escribió"),
        "{}",
        explanations(&review)
    );
}

#[test]
fn promises() {
    let context = promised("llamada sobre la línea de respaldo");
    finds(
        ES,
        K::PromiseUnmentioned,
        &["Hola Ana, la actualización ya está instalada y funciona."],
        &context,
    );
    misses(
        ES,
        K::PromiseUnmentioned,
        &["Hola Ana, la llamada sobre la línea se la hago mañana a las diez."],
        &context,
    );
    let review = review_in(
        ES,
        "Hola Ana, la actualización ya está instalada y funciona.",
        &context,
    );
    assert!(
        explanations(&review).contains("promesa pendiente"),
        "{}",
        explanations(&review)
    );
}

#[test]
fn what_was_done_well() {
    finds(
        ES,
        K::OwnershipTaken,
        &["Me encargo yo misma hoy y le escribo antes de las cinco."],
        &none(),
    );
    misses(
        ES,
        K::OwnershipTaken,
        &["El equipo técnico lo revisará en algún momento."],
        &none(),
    );
    finds(
        ES,
        K::Apology,
        &["Lo siento mucho, el envío llegó con mucho retraso."],
        &none(),
    );
    misses(
        ES,
        K::Apology,
        &["Lo siento, pero eso no es posible en nuestra tienda."],
        &none(),
    );
    finds(
        ES,
        K::EmpathyShown,
        &["Debe ser frustrante, justo antes de la fecha de entrega."],
        &none(),
    );
    misses(
        ES,
        K::EmpathyShown,
        &["La fecha de entrega es el viernes a las doce."],
        &none(),
    );
    finds(
        ES,
        K::AlternativeOffered,
        &["El reembolso ya no es posible, pero puedo ofrecerle un vale de compra."],
        &none(),
    );
    misses(
        ES,
        K::AlternativeOffered,
        &["El reembolso ya no es posible después de 30 días."],
        &none(),
    );
    finds(
        ES,
        K::PersonalTouch,
        &["Le deseo un buen fin de semana y un buen viaje."],
        &none(),
    );
    misses(
        ES,
        K::PersonalTouch,
        &["El viaje está reservado para el fin de semana."],
        &none(),
    );
}

#[test]
fn findings_speak_spanish() {
    let review = review_in(
        ES,
        "Como ya le dije, si no responde el ticket se cerrará.",
        &none(),
    );
    let words = explanations(&review);
    assert!(
        words.contains("cliente") && !words.contains("customer"),
        "{words}"
    );
}

#[test]
fn politeness_in_spanish() {
    let ordered = [
        "Ustedes son unos idiotas, han perdido mi paquete otra vez.",
        "¿Por qué no ha llegado todavía mi paquete?",
        "¿Dónde está mi paquete? Llevo esperando días.",
        "Buenos días, ¿podría decirme dónde está mi paquete, por favor? ¡Muchas gracias!",
    ];
    let scores: Vec<u8> = ordered
        .iter()
        .map(|d| {
            review_in(ES, d, &none())
                .facets
                .expect("analysed")
                .politeness
        })
        .collect();
    assert!(scores.windows(2).all(|w| w[0] < w[1]), "{scores:?}");
    let cold = review_in(
        ES,
        "Como ya le dije, según nuestra política no es posible. Contacte con el fabricante. Si no responde, el ticket se cerrará.",
        &named("Ana"),
    );
    let warm = review_in(
        ES,
        "Hola Ana, siento mucho que esto esté tardando tanto. Me encargo yo hoy mismo y le llamo mañana a las diez. ¿Le viene bien?",
        &named("Ana"),
    );
    assert!(warm.score.expect("scored") >= cold.score.expect("scored") + 30);
}

#[test]
fn insight_in_spanish() {
    let cases = [
        (
            "Quiero hablar con su supervisor ahora mismo, por favor.",
            Intent::WantsManager,
        ),
        (
            "Por favor, quiero darme de baja a final de mes.",
            Intent::WantsToCancel,
        ),
        (
            "Esto es inaceptable y estoy muy decepcionado con el servicio.",
            Intent::Complaint,
        ),
        (
            "Muchas gracias, ha sido un trabajo excelente por su parte.",
            Intent::Praise,
        ),
        (
            "Si no lo arreglan, hablaré con mi abogado.",
            Intent::LegalThreat,
        ),
        (
            "Nuestra tienda está caída, por favor ayúdennos, es urgente.",
            Intent::Urgent,
        ),
        ("Gracias, ya funciona todo como antes.", Intent::ConfirmsFix),
    ];
    for (message, intent) in cases {
        let insight = analyze_message(message);
        assert_eq!(insight.language.language, "es", "{message:?}");
        assert!(
            insight.intents.contains(&intent),
            "{intent:?} in {message:?}: {:?}",
            insight.intents
        );
    }
    let calm = analyze_message("La impresora no imprime. ¿Podría revisarlo, por favor?");
    let angry = analyze_message(
        "¡¡Otra vez roto!! Es la tercera vez que escribo, esto es inaceptable y horrible.",
    );
    assert!(
        angry.frustration > calm.frustration + 0.3,
        "{} vs {}",
        angry.frustration,
        calm.frustration
    );
    assert!(angry.sentiment < -0.5, "{}", angry.sentiment);
    assert!(analyze_message("Muchas gracias, es fantástico y muy útil.").sentiment > 0.5);
    let two = analyze_message(
        "La impresora ya no imprime en color. Además, la factura de marzo es incorrecta.",
    );
    assert_eq!(two.concerns.len(), 2, "{:?}", two.concerns);
}

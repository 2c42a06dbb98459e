fn main() {
    let draft = std::env::args().nth(1).unwrap_or_default();
    let message = std::env::args().nth(2);
    let context = rapport_coach::ReplyContext {
        customer_message: message,
        ..Default::default()
    };
    let review = rapport_coach::analyze_reply(&draft, &context);
    println!(
        "{}",
        serde_json::to_string_pretty(&review).unwrap_or_default()
    );
}

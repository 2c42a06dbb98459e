//! `cargo run -p rapport-coach --example evaluate -- FILE`: the agreement figures of
//! `rapport coach --evaluate` without building the server.

fn main() {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "crates/coach/data/evaluation/politeness.tsv".into());
    let source = std::fs::read_to_string(&path).expect("a readable rated file");
    let rated = rapport_coach::read_rated(&source).expect("a valid rated file");
    let (politeness, warmth) = rapport_coach::evaluate(&rated);
    println!("politeness: {politeness:?}");
    println!("warmth: {warmth:?}");
}

//! `cargo run -p rapport-coach --example scores -- FILE`: each rated text with the coach's
//! politeness and empathy facets beside people's ratings, to read where they disagree.

fn main() {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "crates/coach/data/evaluation/tuning.tsv".into());
    let source = std::fs::read_to_string(&path).expect("a readable rated file");
    let rated = rapport_coach::read_rated(&source).expect("a valid rated file");
    for item in rated {
        let review = rapport_coach::analyze_reply(&item.text, &Default::default());
        match review.facets {
            Some(f) => println!(
                "{}\t{}\t{}\t{}\t{}",
                item.politeness, f.politeness, item.warmth, f.empathy, item.text
            ),
            None => println!("{}\t-\t{}\t-\t{}", item.politeness, item.warmth, item.text),
        }
    }
}

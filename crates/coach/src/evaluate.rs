//! How far the coach agrees with people: a rated set of texts (see `data/rating-guide.md`)
//! against the politeness and empathy facets. `rapport coach --evaluate FILE` prints it.

use crate::reply::{ReplyContext, analyze_reply};

/// One rated text of an evaluation file.
#[derive(Debug, Clone, PartialEq)]
pub struct Rated {
    pub kind: String,
    pub politeness: f64,
    pub warmth: f64,
    pub text: String,
}

/// Reads a rated file: tab-separated `kind, politeness, warmth, text` with a header line;
/// `#` lines are comments. A bad line is an error that names it.
pub fn read_rated(source: &str) -> Result<Vec<Rated>, String> {
    let mut rated = Vec::new();
    for (number, line) in source.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() || line.starts_with('#') || line.starts_with("kind\t") {
            continue;
        }
        let at = number + 1;
        let fields: Vec<&str> = line.splitn(4, '\t').collect();
        let [kind, politeness, warmth, text] = fields[..] else {
            return Err(format!(
                "line {at} needs four tab-separated fields: kind, politeness, warmth, text"
            ));
        };
        let number_at = |field: &str, name: &str| {
            field
                .trim()
                .parse::<f64>()
                .map_err(|_| format!("line {at}: the {name} rating `{field}` is not a number"))
        };
        rated.push(Rated {
            kind: kind.trim().to_owned(),
            politeness: number_at(politeness, "politeness")?,
            warmth: number_at(warmth, "warmth")?,
            text: text.to_owned(),
        });
    }
    Ok(rated)
}

/// Agreement between people's ratings and the coach's scores of the same texts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Agreement {
    /// Texts rated and scored.
    pub count: usize,
    /// Texts in the top quarter (rated at or above the 75th percentile) and the bottom
    /// quarter (at or below the 25th).
    pub top: usize,
    pub bottom: usize,
    /// Of the top and bottom quarters, the share the coach puts on the right side of its
    /// neutral point (50).
    pub accuracy_at_neutral: f64,
    /// The same with the coach's own median over those texts as the dividing line.
    pub accuracy_at_median: f64,
    /// The chance that a text of the top quarter scores above one of the bottom quarter
    /// (ties count half).
    pub auc: f64,
    pub pearson: f64,
    pub spearman: f64,
}

/// Agreement of `scores` with `ratings` (same order). `None` with fewer than four texts or no
/// spread in the ratings.
pub fn agreement(ratings: &[f64], scores: &[f64]) -> Option<Agreement> {
    let count = ratings.len().min(scores.len());
    if count < 4 {
        return None;
    }
    let (ratings, scores) = (&ratings[..count], &scores[..count]);
    let high = percentile(ratings, 0.75);
    let low = percentile(ratings, 0.25);
    if high <= low {
        return None;
    }
    let top: Vec<f64> = (0..count)
        .filter(|&i| ratings[i] >= high)
        .map(|i| scores[i])
        .collect();
    let bottom: Vec<f64> = (0..count)
        .filter(|&i| ratings[i] <= low)
        .map(|i| scores[i])
        .collect();
    let ends: Vec<f64> = top.iter().chain(&bottom).copied().collect();
    let median = percentile(&ends, 0.5);
    let accuracy_at = |line: f64| {
        let right = top.iter().filter(|&&s| s > line).count()
            + bottom.iter().filter(|&&s| s <= line).count();
        right as f64 / ends.len() as f64
    };
    let mut wins = 0.0;
    for t in &top {
        for b in &bottom {
            wins += if t > b {
                1.0
            } else if t == b {
                0.5
            } else {
                0.0
            };
        }
    }
    Some(Agreement {
        count,
        top: top.len(),
        bottom: bottom.len(),
        accuracy_at_neutral: accuracy_at(50.0),
        accuracy_at_median: accuracy_at(median),
        auc: wins / (top.len() * bottom.len()) as f64,
        pearson: pearson(ratings, scores),
        spearman: pearson(&ranks(ratings), &ranks(scores)),
    })
}

/// The figures for a rated set: politeness against the politeness facet, warmth against the
/// empathy facet.
pub fn evaluate(rated: &[Rated]) -> (Option<Agreement>, Option<Agreement>) {
    let context = ReplyContext::default();
    let mut politeness = Vec::with_capacity(rated.len());
    let mut empathy = Vec::with_capacity(rated.len());
    let mut kept = Vec::with_capacity(rated.len());
    for item in rated {
        if let Some(facets) = analyze_reply(&item.text, &context).facets {
            politeness.push(f64::from(facets.politeness));
            empathy.push(f64::from(facets.empathy));
            kept.push(item);
        }
    }
    let people = |f: fn(&Rated) -> f64| kept.iter().map(|r| f(r)).collect::<Vec<f64>>();
    (
        agreement(&people(|r| r.politeness), &politeness),
        agreement(&people(|r| r.warmth), &empathy),
    )
}

/// Linear interpolation between the closest ranks.
fn percentile(values: &[f64], q: f64) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let at = q * (sorted.len() - 1) as f64;
    let (below, above) = (at.floor() as usize, at.ceil() as usize);
    sorted[below] + (sorted[above] - sorted[below]) * (at - below as f64)
}

/// Ranks from 1, ties sharing their average rank.
fn ranks(values: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut ranks = vec![0.0; values.len()];
    let mut start = 0;
    while start < order.len() {
        let mut end = start;
        while end + 1 < order.len() && values[order[end + 1]] == values[order[start]] {
            end += 1;
        }
        let rank = (start + end) as f64 / 2.0 + 1.0;
        for &i in &order[start..=end] {
            ranks[i] = rank;
        }
        start = end + 1;
    }
    ranks
}

fn pearson(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len() as f64;
    let (mx, my) = (x.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in x.iter().zip(y) {
        sxy += (a - mx) * (b - my);
        sxx += (a - mx) * (a - mx);
        syy += (b - my) * (b - my);
    }
    if sxx == 0.0 || syy == 0.0 {
        0.0
    } else {
        sxy / (sxx * syy).sqrt()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn perfect_and_reversed_agreement() {
        let ratings = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 4.0];
        let scores = [10.0, 20.0, 30.0, 50.0, 60.0, 70.0, 80.0, 50.0];
        let a = agreement(&ratings, &scores).expect("enough");
        assert_eq!(a.count, 8);
        assert!((a.auc - 1.0).abs() < 1e-9 && (a.spearman - 1.0).abs() < 1e-9);
        assert!((a.accuracy_at_neutral - 1.0).abs() < 1e-9);
        let reversed: Vec<f64> = scores.iter().map(|s| 100.0 - s).collect();
        let r = agreement(&ratings, &reversed).expect("enough");
        assert!(r.auc < 1e-9 && r.pearson < -0.9);
    }

    #[test]
    fn ties_share_ranks_and_a_flat_rating_gives_nothing() {
        assert_eq!(ranks(&[3.0, 1.0, 3.0]), vec![2.5, 1.0, 2.5]);
        assert!(agreement(&[4.0; 6], &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]).is_none());
    }

    #[test]
    fn rated_files_are_read_and_mistakes_named() {
        let rated =
            read_rated("# note\nkind\tpoliteness\twarmth\ttext\nreply\t5\t4\tThanks, a\tb\n")
                .expect("valid");
        assert_eq!(rated.len(), 1);
        assert_eq!(rated[0].text, "Thanks, a\tb");
        let error = read_rated("reply\tfive\t4\tHi").expect_err("not a number");
        assert!(error.contains("line 1"));
    }

    #[test]
    fn the_politeness_facet_keeps_agreeing_with_people() {
        // A floor against regressions, well below today's figures (see the README); the
        // lists are weighed on the tuning set, never to move these.
        let evaluation =
            read_rated(include_str!("../data/evaluation/politeness.tsv")).expect("evaluation set");
        let (politeness, warmth) = evaluate(&evaluation);
        let politeness = politeness.expect("figures");
        assert!(politeness.auc >= 0.95, "{politeness:?}");
        assert!(politeness.spearman >= 0.75, "{politeness:?}");
        assert!(warmth.expect("figures").auc >= 0.85);
    }

    #[test]
    fn the_shipped_sets_are_valid_and_apart() {
        let evaluation =
            read_rated(include_str!("../data/evaluation/politeness.tsv")).expect("evaluation set");
        let tuning = read_rated(include_str!("../data/evaluation/tuning.tsv")).expect("tuning set");
        assert!(evaluation.len() >= 300, "{}", evaluation.len());
        for item in evaluation.iter().chain(&tuning) {
            assert!(matches!(item.kind.as_str(), "reply" | "request"));
            assert!((1.0..=7.0).contains(&item.politeness) && (1.0..=7.0).contains(&item.warmth));
        }
        for item in &tuning {
            assert!(
                evaluation.iter().all(|e| e.text != item.text),
                "{:?} is in both sets",
                item.text
            );
        }
    }
}

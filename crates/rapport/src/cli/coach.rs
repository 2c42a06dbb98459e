//! `rapport coach` and `rapport insight`: the coach and the insight for bulk work on the
//! command line, such as auditing a year of exported replies, and the coach's benchmark.

use anyhow::{Context, bail};
use rapport_coach::{Agreement, ReplyContext, analyze_message, analyze_reply};
use serde::Deserialize;
use std::io::{BufRead, Read, Write};
use std::time::{Duration, Instant};

/// One line of `rapport coach --jsonl` input.
#[derive(Deserialize)]
struct DraftLine {
    text: String,
    #[serde(flatten)]
    context: ReplyContext,
}

/// One line of `rapport insight --jsonl` input.
#[derive(Deserialize)]
struct MessageLine {
    text: String,
}

#[derive(Clone, Copy)]
pub enum Analysis {
    Reply,
    Message,
}

/// Reads JSON objects, one per line, and writes one result per line in the same order. A line
/// that cannot be read gets `{"line": N, "error": "..."}` in its place, so the output stays
/// aligned with the input; blank lines are skipped. Returns (lines read, lines refused).
pub fn run_jsonl(
    analysis: Analysis,
    input: impl BufRead,
    mut output: impl Write,
) -> anyhow::Result<(usize, usize)> {
    let (mut read, mut refused) = (0, 0);
    for (index, line) in input.lines().enumerate() {
        let line =
            line.with_context(|| format!("could not read line {} of the input", index + 1))?;
        if line.trim().is_empty() {
            continue;
        }
        read += 1;
        let result = match analysis {
            Analysis::Reply => serde_json::from_str::<DraftLine>(&line).map(|draft| {
                serde_json::to_writer(&mut output, &analyze_reply(&draft.text, &draft.context))
            }),
            Analysis::Message => serde_json::from_str::<MessageLine>(&line)
                .map(|message| serde_json::to_writer(&mut output, &analyze_message(&message.text))),
        };
        match result {
            Ok(written) => written.context("could not write the result")?,
            Err(error) => {
                refused += 1;
                let error = serde_json::json!({ "line": index + 1, "error": format!("not a valid input object: {error}") });
                serde_json::to_writer(&mut output, &error).context("could not write the result")?;
            }
        }
        output
            .write_all(b"\n")
            .context("could not write the result")?;
    }
    output.flush().context("could not write the result")?;
    Ok((read, refused))
}

/// `rapport coach` / `rapport insight`: JSON lines, or one whole text from standard input.
pub fn run(analysis: Analysis, jsonl: bool) -> anyhow::Result<()> {
    let stdin = std::io::stdin();
    let stdout = std::io::stdout();
    if jsonl {
        let (read, refused) = run_jsonl(
            analysis,
            stdin.lock(),
            std::io::BufWriter::new(stdout.lock()),
        )?;
        if refused > 0 {
            bail!(
                "{refused} of {read} lines were not valid input objects; their places in the output hold the reason"
            );
        }
        return Ok(());
    }
    let mut text = String::new();
    stdin
        .lock()
        .read_to_string(&mut text)
        .context("could not read standard input")?;
    if text.trim().is_empty() {
        bail!(
            "standard input was empty: pipe in the text to analyse, or use --jsonl for one JSON object per line"
        );
    }
    let mut out = stdout.lock();
    match analysis {
        Analysis::Reply => {
            serde_json::to_writer_pretty(&mut out, &analyze_reply(&text, &ReplyContext::default()))?
        }
        Analysis::Message => serde_json::to_writer_pretty(&mut out, &analyze_message(&text))?,
    }
    writeln!(out)?;
    Ok(())
}

const SAMPLE_DRAFT: &str = "Hi Ana,\n\nThank you for writing in, and I'm sorry the filter has been tagging your clients' \
mail as spam; that must be frustrating, especially with the real spam getting through as well. I have looked at \
the settings on your account. SpamAssassin is set to tag anything above a score of 3, which is stricter than it \
needs to be now that the appliance in front of it already filters most spam. I'll raise the threshold to 5 today \
and add your three main clients' domains to the list of trusted senders, so their mail won't be tagged again.\n\n\
For the spam that still gets through, I'll ask our engineers to train the appliance on the samples you received \
this week. Alternatively, we could turn SpamAssassin off for your domain entirely, since the appliance does the \
same job; it's your choice and I'm happy to talk it through. I'll call you tomorrow at 10 to check how the \
last day has been. If anything looks wrong before then, just reply here and I'll pick it up straight away.\n\n\
Enjoy your trip to Lisbon next month!\n\nBest regards,\nSam";

const SAMPLE_MESSAGE: &str = "Hi, this is the third time I'm writing about this. SpamAssassin keeps tagging valid \
email from our clients as spam, even after we whitelisted them. Also, we're getting much more real spam than \
normal getting through. Please fix this, it's costing us business!";

/// `rapport coach --bench`: latency of one review of a 1 KB draft, and JSON-lines throughput.
pub fn bench() -> anyhow::Result<()> {
    let draft = &SAMPLE_DRAFT[..SAMPLE_DRAFT.floor_char_boundary(1024)];
    let with_message = ReplyContext {
        customer_message: Some(SAMPLE_MESSAGE.into()),
        ..ReplyContext::default()
    };
    println!("rapport coach benchmark (one core, release build recommended)");
    println!(
        "draft: {} bytes; customer message: {} bytes",
        draft.len(),
        SAMPLE_MESSAGE.len()
    );
    // Warm up: the lexicons are parsed on first use.
    analyze_reply(draft, &with_message);

    for (label, context) in [
        ("draft alone", ReplyContext::default()),
        ("draft + customer message", with_message.clone()),
    ] {
        let mut times: Vec<Duration> = (0..3_000)
            .map(|_| {
                let start = Instant::now();
                std::hint::black_box(analyze_reply(std::hint::black_box(draft), &context));
                start.elapsed()
            })
            .collect();
        times.sort();
        let at = |q: f64| times[((times.len() as f64 * q) as usize).min(times.len() - 1)];
        println!(
            "analyze_reply, {label}: median {:.1} µs, p90 {:.1} µs, p99 {:.1} µs",
            micros(at(0.5)),
            micros(at(0.9)),
            micros(at(0.99))
        );
    }

    let variations = [
        "",
        " I'll follow up on Friday.",
        " As I already said, the ticket will close in four days.",
        " Simply restart the router.",
    ];
    let mut input = String::new();
    let lines = 20_000;
    for n in 0..lines {
        let text = format!("{}{}", draft, variations[n % variations.len()]);
        let line = if n % 2 == 0 {
            serde_json::json!({ "text": text, "customer_message": SAMPLE_MESSAGE })
        } else {
            serde_json::json!({ "text": text })
        };
        input.push_str(&line.to_string());
        input.push('\n');
    }
    let start = Instant::now();
    let (read, refused) = run_jsonl(Analysis::Reply, input.as_bytes(), std::io::sink())?;
    let elapsed = start.elapsed();
    println!(
        "coach --jsonl: {read} reviews ({refused} refused) in {:.2} s = {:.0} reviews/s (half with a customer message)",
        elapsed.as_secs_f64(),
        read as f64 / elapsed.as_secs_f64()
    );
    Ok(())
}

/// `rapport coach --evaluate FILE`: how far the coach agrees with people's ratings.
pub fn evaluate(file: &std::path::Path) -> anyhow::Result<()> {
    let source = std::fs::read_to_string(file)
        .with_context(|| format!("could not read {}", file.display()))?;
    let rated = rapport_coach::read_rated(&source)
        .map_err(|error| anyhow::anyhow!("{}: {error}", file.display()))?;
    let (politeness, warmth) = rapport_coach::evaluate(&rated);
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}: {} rated texts", file.display(), rated.len())?;
    for (label, agreement) in [
        (
            "politeness (people) against the politeness facet",
            politeness,
        ),
        ("warmth (people) against the empathy facet", warmth),
    ] {
        writeln!(out, "{}", agreement_report(label, agreement.as_ref()))?;
    }
    Ok(())
}

fn agreement_report(label: &str, agreement: Option<&Agreement>) -> String {
    let Some(a) = agreement else {
        return format!("{label}: too few texts, or every rating the same, to compare");
    };
    format!(
        "{label}\n  texts scored: {}\n  top quarter vs bottom quarter ({} and {} texts): accuracy {:.1}% (split at 50), {:.1}% (split at the median)\n  AUC: {:.3}\n  Pearson: {:.3}\n  Spearman: {:.3}",
        a.count,
        a.top,
        a.bottom,
        a.accuracy_at_neutral * 100.0,
        a.accuracy_at_median * 100.0,
        a.auc,
        a.pearson,
        a.spearman
    )
}

fn micros(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e6
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jsonl_keeps_one_line_per_input_and_explains_bad_lines() {
        let input = "{\"text\": \"Obviously the ticket will be closed.\"}\n\nnot json\n{\"text\": \"Hi Ana, I'll call you tomorrow.\", \"customer_name\": \"Ana\"}\n";
        let mut output = Vec::new();
        let (read, refused) =
            run_jsonl(Analysis::Reply, input.as_bytes(), &mut output).expect("runs");
        assert_eq!((read, refused), (3, 1));
        let lines: Vec<serde_json::Value> = String::from_utf8(output)
            .expect("utf-8")
            .lines()
            .map(|l| serde_json::from_str(l).expect("json"))
            .collect();
        assert_eq!(lines.len(), 3);
        assert!(
            lines[0]["findings"]
                .as_array()
                .is_some_and(|f| f.iter().any(|f| f["kind"] == "closure_threat"))
        );
        assert_eq!(lines[1]["line"], 3);
        assert!(
            lines[1]["error"]
                .as_str()
                .is_some_and(|e| e.contains("not a valid input object"))
        );
        assert!(lines[2]["score"].is_number());
    }

    #[test]
    fn the_agreement_report_names_every_figure() {
        let rated =
            rapport_coach::read_rated(include_str!("../../../coach/data/evaluation/tuning.tsv"))
                .expect("the tuning set");
        let (politeness, _) = rapport_coach::evaluate(&rated);
        let report = agreement_report("politeness", politeness.as_ref());
        for figure in ["texts scored", "accuracy", "AUC", "Pearson", "Spearman"] {
            assert!(report.contains(figure), "{report}");
        }
        assert!(agreement_report("politeness", None).contains("too few texts"));
    }

    #[test]
    fn insight_jsonl() {
        let mut output = Vec::new();
        run_jsonl(
            Analysis::Message,
            "{\"text\": \"I want to speak to your manager.\"}\n".as_bytes(),
            &mut output,
        )
        .expect("runs");
        let line: serde_json::Value = serde_json::from_slice(&output).expect("json");
        assert_eq!(line["intents"][0], "wants_manager");
    }
}

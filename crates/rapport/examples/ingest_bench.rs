//! The sustained rate of durable mail ingestion through the HTTP endpoint, with concurrent
//! senders, on SQLite (a fresh data directory) or on the PostgreSQL database you name.
//!
//!     cargo run --release -p rapport --example ingest_bench
//!     cargo run --release -p rapport --example ingest_bench -- --database-url postgres://postgres@127.0.0.1/bench
//!
//! Options: --mails N (default 4000), --senders N (default 8). The PostgreSQL database should be
//! empty; the benchmark adds tickets to it.

use rapport::{App, Config};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mails: usize = arg("--mails")
        .map(|m| m.parse())
        .transpose()?
        .unwrap_or(4000);
    let senders: usize = arg("--senders")
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(8);
    let data = tempfile::tempdir()?;
    let config = Config {
        data_dir: data.path().to_path_buf(),
        database_url: arg("--database-url"),
        max_connections: 16,
        ..Config::default()
    };
    let backend = if config.database_url.is_some() {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    let app = App::build(config).await?;
    // Mail is posted with a mail intake token, as a gateway would.
    let token = app.store.create_intake_token("bench").await?.token;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/api/v1/inbound/email", listener.local_addr()?);
    tokio::spawn(rapport::serve(
        listener,
        app.clone(),
        std::future::pending(),
    ));

    let body = "Hello, our nightly backup to the private network failed again and we would like someone to look at it. ".repeat(8);
    let run = std::process::id();
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..senders {
        let (url, token, next, body) = (url.clone(), token.clone(), next.clone(), body.clone());
        tasks.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            let mut latencies = Vec::new();
            loop {
                let n = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if n >= mails {
                    return Ok::<_, anyhow::Error>(latencies);
                }
                let raw = format!(
                    "From: customer{}@example.com\r\nTo: support@rapport.localhost\r\nSubject: Backup {n}\r\n\
                     Message-ID: <bench-{run}-{n}@example.com>\r\nContent-Type: text/plain\r\n\r\n{body}\r\n",
                    n % 500
                );
                let sent = Instant::now();
                let response = client.post(&url).bearer_auth(&token).header("content-type", "message/rfc822").body(raw).send().await?;
                anyhow::ensure!(response.status() == 202, "mail {n} was answered {}", response.status());
                latencies.push(sent.elapsed());
            }
        }));
    }
    let mut latencies: Vec<Duration> = Vec::new();
    for task in tasks {
        latencies.extend(task.await??);
    }
    let elapsed = started.elapsed();
    latencies.sort();
    let at = |q: f64| latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)];
    println!("rapport ingestion benchmark ({backend}, {senders} concurrent senders, ~1 KB mails)");
    println!(
        "{mails} mails durably ingested in {:.2} s = {:.0} mails/s; latency median {:.1} ms, p99 {:.1} ms",
        elapsed.as_secs_f64(),
        mails as f64 / elapsed.as_secs_f64(),
        at(0.5).as_secs_f64() * 1e3,
        at(0.99).as_secs_f64() * 1e3
    );
    Ok(())
}

//! JSON logs: `RAPPORT_LOG_FORMAT=json` makes every log line one JSON object, and each line
//! written while answering a request names its request id (the one a proxy sent in
//! `x-request-id`, or one of ours, sent back in the same header).

use crate::cli::rapport;
use crate::helpers::TestDatabase;
use serde_json::Value;
use std::io::BufRead;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[tokio::test]
async fn json_logs_carry_the_request_id_on_every_line_of_a_request() {
    let db = TestDatabase::create().await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("port")
        .local_addr()
        .expect("addr")
        .port();
    let mut child = rapport(&db, &["serve", "--listen", &format!("127.0.0.1:{port}")])
        .env("RAPPORT_LOG_FORMAT", "json")
        .env("RUST_LOG", "info,tower_http=debug")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let stderr = child.stderr.take().expect("stderr");
    let lines = Arc::new(Mutex::new(Vec::<String>::new()));
    let reader = {
        let lines = lines.clone();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stderr)
                .lines()
                .map_while(Result::ok)
            {
                lines.lock().expect("lock").push(line);
            }
        })
    };
    let base = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(60);
    let client = reqwest::Client::new();
    while Instant::now() < deadline {
        if client
            .get(format!("{base}/healthz"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let given = client
        .get(format!("{base}/api/v1/tickets"))
        .header("x-request-id", "proxy-id-42")
        .send()
        .await
        .expect("answer");
    assert_eq!(
        given.headers()["x-request-id"],
        "proxy-id-42",
        "kept and sent back"
    );
    let ours = client
        .get(format!("{base}/api/v1/tickets"))
        .header("x-request-id", "not allowed: spaces")
        .send()
        .await
        .expect("answer");
    let ours = ours.headers()["x-request-id"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert_eq!(ours.len(), 16, "an unusable id is replaced by ours: {ours}");

    // The lines of the last request are written as it finishes; give the writer a moment.
    let wanted = |lines: &[String]| {
        lines.iter().any(|line| line.contains(&ours))
            && lines.iter().any(|l| l.contains("proxy-id-42"))
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while !wanted(&lines.lock().expect("lock")) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = child.kill();
    let _ = child.wait();
    let _ = reader.join();
    let lines = lines.lock().expect("lock").clone();

    let logged: Vec<Value> = lines
        .iter()
        .filter(|line| line.starts_with('{'))
        .map(|line| serde_json::from_str(line).unwrap_or_else(|err| panic!("{err}: {line}")))
        .collect();
    assert!(!logged.is_empty(), "{lines:?}");
    for entry in &logged {
        assert!(
            entry["timestamp"].is_string() && entry["level"].is_string(),
            "{entry}"
        );
    }
    let of = |id: &str| {
        logged
            .iter()
            .filter(|entry| entry["span"]["request_id"] == id)
            .count()
    };
    assert!(
        of("proxy-id-42") >= 2,
        "started and finished lines: {lines:#?}"
    );
    assert!(of(&ours) >= 2, "{lines:#?}");
    for entry in logged
        .iter()
        .filter(|entry| entry["span"]["name"] == "request")
    {
        assert!(
            entry["span"]["request_id"]
                .as_str()
                .is_some_and(|id| !id.is_empty()),
            "every line of a request names it: {entry}"
        );
        assert!(entry["span"]["route"].is_string(), "{entry}");
    }
}

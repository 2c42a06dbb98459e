//! Jobs and outbound mail claimed by several workers at once (several `rapport worker`
//! processes, or `serve` nodes, on one database): each job runs once, each mail is taken by
//! one sender.

use crate::helpers::TestApp;
use reqwest::StatusCode;
use serde_json::json;
use std::collections::HashSet;
use time::Duration;

/// Opens `count` tickets and answers each publicly, so each has its check-ins scheduled and
/// its reply queued as mail.
async fn answered_tickets(app: &TestApp, count: usize) -> Vec<i64> {
    let mut ids = Vec::new();
    for n in 0..count {
        let ticket = app
            .ticket(&format!("Printer {n} jams"), &format!("c{n}@example.com"))
            .await;
        let id = ticket["id"].as_i64().expect("id");
        let (status, body) = app
            .api()
            .post(
                &format!("/api/v1/tickets/{id}/messages"),
                json!({"body": "Could you try the other tray?", "visibility": "public"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        ids.push(id);
    }
    ids
}

#[tokio::test]
async fn every_due_job_runs_once_however_many_workers_claim_at_once() {
    let app = TestApp::spawn().await;
    let tickets = answered_tickets(&app, 8).await;
    // Past both check-ins (2 and 5 business days), without running anything yet.
    app.clock.advance(Duration::days(8));
    let due = app.app.store.pending_jobs().await.expect("jobs");
    let check_ins = due
        .iter()
        .filter(|(kind, _)| kind == "ticket.waiting_check_in")
        .count();
    assert_eq!(check_ins, 2 * tickets.len());

    // Four workers, each with its own connection pool, as four processes would have.
    let mut workers = Vec::new();
    for _ in 0..4 {
        workers.push(app.restarted().await);
    }
    let runs = workers
        .iter()
        .map(|worker| rapport::jobs::run_due(&worker.store));
    let ran: usize = futures_util::future::join_all(runs)
        .await
        .into_iter()
        .map(|ran| ran.expect("the worker runs jobs"))
        .sum();

    let left: Vec<_> = app
        .app
        .store
        .pending_jobs()
        .await
        .expect("jobs")
        .into_iter()
        .filter(|(kind, _)| !kind.starts_with("email."))
        .collect();
    assert!(left.is_empty(), "jobs left behind: {left:?}");
    let worker_jobs = due
        .iter()
        .filter(|(kind, _)| !kind.starts_with("email."))
        .count();
    assert_eq!(ran, worker_jobs, "each due job ran exactly once in all");
    let attempts: Vec<i64> =
        sqlx::query_scalar("SELECT attempts FROM jobs WHERE kind NOT LIKE 'email.%'")
            .fetch_all(app.app.store.pool())
            .await
            .expect("attempts");
    assert!(attempts.iter().all(|&a| a == 1), "{attempts:?}");
    let tasks = app.tasks_of(app.admin.id).await;
    let check_in_tasks = tasks.iter().filter(|task| task.kind == "check_in").count();
    assert_eq!(
        check_in_tasks, check_ins,
        "one task per check-in, none twice"
    );
}

#[tokio::test]
async fn each_queued_mail_is_taken_by_one_sender() {
    let app = TestApp::spawn().await;
    let tickets = answered_tickets(&app, 10).await;

    let mut senders = Vec::new();
    for _ in 0..4 {
        senders.push(app.restarted().await);
    }
    // Every sender keeps claiming until nothing is left, all at the same time.
    let claims = senders.iter().map(|sender| async move {
        let mut taken = Vec::new();
        while let Some(mail) = sender.store.claim_outbound_email(600).await.expect("claim") {
            taken.push(mail.message_id.expect("a ticket's mail"));
        }
        taken
    });
    let taken: Vec<i64> = futures_util::future::join_all(claims)
        .await
        .into_iter()
        .flatten()
        .collect();

    let distinct: HashSet<i64> = taken.iter().copied().collect();
    assert_eq!(
        taken.len(),
        tickets.len(),
        "each mail claimed once: {taken:?}"
    );
    assert_eq!(distinct.len(), tickets.len());
}

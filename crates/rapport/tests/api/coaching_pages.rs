//! The coaching pages: an agent's (`/agents/{id}/coaching`) and a team's
//! (`/teams/{id}/coaching`), with their SVG trend charts, recurring findings and example
//! replies linked to their tickets.

use crate::helpers::{TestApp, get_page};
use crate::workspace::signed_in_as;
use rapport_domain::Role;
use reqwest::StatusCode;
use serde_json::json;

const COLD: &str = "SpamAssassin uses a scoring mechanism. Forward the spam to the appliance engineers. \
                    If you don't respond within four days, the ticket will close.";
const WARM: &str = "Hi Ana, I'm sorry about the mail being tagged as spam, and about the real spam getting through. \
                    I'll call you this afternoon to go through the settings together.";

/// Sam (reporting to Bea, a supervisor) answers coldly on an open ticket and warmly on a
/// ticket of the restricted team Legal, which Sam is in and Bea is not.
struct Setup {
    app: TestApp,
    sam: i64,
    kim: i64,
    open_ticket: i64,
    legal_ticket: i64,
    support: i64,
}

async fn setup() -> Setup {
    let app = TestApp::spawn().await;
    app.agent("bea@rapport.test", Role::Supervisor, None).await;
    let (sam, sam_token) = app
        .agent("sam@rapport.test", Role::Agent, Some("bea@rapport.test"))
        .await;
    let (kim, _) = app.agent("kim@rapport.test", Role::Agent, None).await;
    let (_, legal) = app
        .api()
        .post(
            "/api/v1/teams",
            json!({"name": "Legal", "member_ids": [sam.id], "restricted": true}),
        )
        .await;
    let (_, support) = app
        .api()
        .post(
            "/api/v1/teams",
            json!({"name": "Support", "member_ids": [sam.id, kim.id]}),
        )
        .await;
    let open_ticket = app.ticket("Spam", "ana@example.com").await["id"]
        .as_i64()
        .expect("id");
    let legal_ticket = app.ticket("Spam again", "ana@example.com").await["id"]
        .as_i64()
        .expect("id");
    let (status, body) = app
        .api()
        .patch(
            &format!("/api/v1/tickets/{legal_ticket}"),
            json!({"team_id": legal["id"]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    for (ticket, text) in [(open_ticket, COLD), (legal_ticket, WARM)] {
        let (status, body) = app
            .api_as(Some(&sam_token))
            .post(
                &format!("/api/v1/tickets/{ticket}/messages"),
                json!({"body": text, "visibility": "public"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    Setup {
        sam: sam.id,
        kim: kim.id,
        open_ticket,
        legal_ticket,
        support: support["id"].as_i64().expect("team id"),
        app,
    }
}

#[tokio::test]
async fn an_agent_reads_their_own_coaching_with_charts_findings_and_examples() {
    let s = setup().await;
    let (cookie, _) = signed_in_as(&s.app, "sam@rapport.test").await;

    let (status, page) = get_page(&s.app, &cookie, &format!("/agents/{}/coaching", s.sam)).await;

    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("Your coaching"), "{page}");
    // The charts, drawn on the server, each with a title and a table of the same numbers.
    assert!(page.contains("<svg role=\"img\""), "{page}");
    assert!(page.contains("id=\"score-trend\""), "{page}");
    assert!(page.contains("id=\"problem-trend\""), "{page}");
    assert!(page.contains("<rect"), "{page}");
    assert!(
        page.contains("<table class=\"list stack\" id=\"weeks\""),
        "{page}"
    );
    assert!(page.contains("2 replies reviewed"), "{page}");
    // What recurs: the closure threat to work on, the apology done well.
    assert!(
        page.contains("Threatening to close the ticket: 1 time(s)"),
        "{page}"
    );
    assert!(page.contains("A sincere apology: 1 time(s)"), "{page}");
    // The best reply (warm, on Legal's ticket, which Sam may see) and the worst, each a link.
    let best = &page[page.find("id=\"best\"").expect("best")..];
    assert!(
        best.starts_with(&format!(
            "id=\"best\"><li><a href=\"/tickets/{}\"",
            s.legal_ticket
        )),
        "{best}"
    );
    let worst = &page[page.find("id=\"worst\"").expect("worst")..];
    assert!(
        worst.starts_with(&format!(
            "id=\"worst\"><li><a href=\"/tickets/{}\"",
            s.open_ticket
        )),
        "{worst}"
    );
    assert!(!page.contains("examples-hidden"), "{page}");
    // The top bar leads to it.
    assert!(page.contains(&format!(
        "<a href=\"/agents/{}/coaching\">Coaching</a>",
        s.sam
    )));

    // Another agent's page is not Sam's to read, nor is a team's.
    let (status, page) = get_page(&s.app, &cookie, &format!("/agents/{}/coaching", s.kim)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{page}");
    assert!(page.contains("your own coaching page"), "{page}");
    let (status, _) = get_page(&s.app, &cookie, &format!("/teams/{}/coaching", s.support)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = get_page(&s.app, &cookie, "/agents/999/coaching").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_supervisor_reads_their_reports_coaching_without_restricted_examples() {
    let s = setup().await;
    let (cookie, _) = signed_in_as(&s.app, "bea@rapport.test").await;

    let (status, page) = get_page(&s.app, &cookie, &format!("/agents/{}/coaching", s.sam)).await;

    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("Coaching: sam@rapport.test"), "{page}");
    assert!(page.contains(&format!("href=\"/tickets/{}\"", s.open_ticket)));
    // Legal's ticket is not Bea's to open: its reply is left out, and the page says so.
    assert!(
        !page.contains(&format!("/tickets/{}\"", s.legal_ticket)),
        "{page}"
    );
    assert!(page.contains("id=\"examples-hidden\""), "{page}");
    // Kim neither reports to Bea nor shares a team with her.
    let (status, _) = get_page(&s.app, &cookie, &format!("/agents/{}/coaching", s.kim)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // A team's page is for the supervisors in it.
    let (status, _) = get_page(&s.app, &cookie, &format!("/teams/{}/coaching", s.support)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_teams_coaching_page_shows_each_members_line_and_what_recurs() {
    let s = setup().await;
    let (lead, _) = s
        .app
        .agent("lead@rapport.test", Role::Supervisor, None)
        .await;
    let (status, body) = s
        .app
        .api()
        .patch(
            &format!("/api/v1/teams/{}", s.support),
            json!({"member_ids": [s.sam, s.kim, lead.id]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (cookie, _) = signed_in_as(&s.app, "lead@rapport.test").await;

    let (status, page) = get_page(&s.app, &cookie, &format!("/teams/{}/coaching", s.support)).await;

    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("Coaching: Support"), "{page}");
    assert!(page.contains("id=\"score-trend\""), "{page}");
    assert!(
        page.contains("Threatening to close the ticket: 1 time(s)"),
        "{page}"
    );
    assert!(page.contains(&format!(
        "<a href=\"/agents/{}/coaching\">sam@rapport.test</a>",
        s.sam
    )));
    assert!(page.contains("<polyline points=\""), "{page}");
    assert!(
        page.contains("aria-label=\"Weekly average score, oldest first:"),
        "{page}"
    );
    // A team mate's page opens for the supervisor in the team.
    let (status, _) = get_page(&s.app, &cookie, &format!("/agents/{}/coaching", s.kim)).await;
    assert_eq!(status, StatusCode::OK);
    // The admin's team list links the page.
    let (cookie, _) = signed_in_as(&s.app, "admin@rapport.test").await;
    let (status, page) = get_page(&s.app, &cookie, "/admin/teams").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains(&format!("href=\"/teams/{}/coaching\"", s.support)),
        "{page}"
    );
}

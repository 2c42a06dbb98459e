//! The inbox beyond a hundred lines: every view paged by its sort key, ordered as the agent
//! chooses, narrowed by state, tag, priority, team, assignee, organization, owner and channel,
//! with a count that stays right; and bulk changes of ticked tickets.

use crate::helpers::{TestApp, get_page, post_form};
use crate::workspace::signed_in;
use rapport_domain::Role;
use serde_json::json;
use std::collections::BTreeSet;

/// The ticket numbers listed on an inbox page, and the address of its next page.
fn listed(page: &str) -> (Vec<i64>, Option<String>) {
    let ids = page
        .split("data-ticket=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next()?.parse().ok())
        .collect();
    let next = page
        .split("rel=\"next\"")
        .next()
        .filter(|_| page.contains("rel=\"next\""))
        .and_then(|before| before.rsplit("href=\"").next())
        .and_then(|rest| rest.split('"').next())
        .map(|href| href.replace("&amp;", "&").replace("&#38;", "&"));
    (ids, next)
}

async fn tickets(app: &TestApp, count: usize) -> Vec<i64> {
    let mut ids = Vec::with_capacity(count);
    for i in 0..count {
        let priority = ["low", "normal", "high", "urgent"][i % 4];
        let (status, ticket) = app
            .api()
            .post(
                "/api/v1/tickets",
                json!({"subject": format!("Question {i}"), "body": "Please help.", "customer": {"email": format!("c{i}@example.com")}, "priority": priority, "tags": if i % 10 == 0 { vec!["vip"] } else { vec![] }}),
            )
            .await;
        assert_eq!(status, 201, "{ticket}");
        ids.push(ticket["id"].as_i64().expect("id"));
        app.clock.advance(time::Duration::seconds(1));
    }
    ids
}

#[tokio::test]
async fn a_view_pages_past_a_hundred_lines_in_any_order_and_counts_right() {
    let app = TestApp::spawn().await;
    let (_, cookie, _) = signed_in(&app, "sam@rapport.test", Role::Agent).await;
    let made = tickets(&app, 130).await;
    for sort in [
        "",
        "&sort=oldest",
        "&sort=newest",
        "&sort=priority",
        "&sort=due",
    ] {
        let mut seen = Vec::new();
        let mut address = Some(format!("/?view=unassigned{sort}"));
        let mut pages = 0;
        while let Some(path) = address {
            let (status, page) = get_page(&app, &cookie, &path).await;
            assert_eq!(status, 200, "{path}: {page}");
            if pages == 0 {
                assert!(page.contains("130 tickets"), "{page}");
            }
            let (ids, next) = listed(&page);
            assert!(ids.len() <= 50);
            seen.extend(ids);
            address = next;
            pages += 1;
            assert!(pages < 10, "the pages end");
        }
        assert_eq!(seen.len(), 130, "{sort}: every ticket once");
        assert_eq!(
            seen.iter().collect::<BTreeSet<_>>().len(),
            130,
            "{sort}: none twice"
        );
        match sort {
            "&sort=oldest" => assert_eq!(seen[0], made[0]),
            "&sort=newest" | "" => assert_eq!(seen[0], made[129]),
            "&sort=priority" => assert_eq!(seen[0], made[127], "urgent, most recent first"),
            _ => {}
        }
    }
    // Narrowed: by priority and tag, and resolved ones only when asked for.
    let (_, page) = get_page(&app, &cookie, "/?view=unassigned&priority=urgent").await;
    assert!(page.contains("32 tickets"), "{page}");
    let (_, page) = get_page(&app, &cookie, "/?view=unassigned&tag=vip").await;
    assert_eq!(listed(&page).0.len(), 13);
    let (status, _) = app
        .api()
        .post(
            &format!("/api/v1/tickets/{}/state", made[0]),
            json!({"action": "close_unresolved", "reason": "Duplicate."}),
        )
        .await;
    assert_eq!(status, 200);
    let (_, page) = get_page(&app, &cookie, "/?view=unassigned").await;
    assert!(page.contains("129 tickets"));
    let (_, page) = get_page(&app, &cookie, "/?view=unassigned&state=closed_unresolved").await;
    assert_eq!(listed(&page).0, vec![made[0]]);
    let (_, page) = get_page(&app, &cookie, "/?view=unassigned&state=all").await;
    assert!(page.contains("130 tickets"));
    // Nonsense in the address is a sentence, not a 500.
    for bad in [
        "/?view=mine&state=gone",
        "/?view=mine&sort=random",
        "/?view=mine&after=x",
        "/?view=mine&assignee_id=me",
        "/?view=mine&after=%3Cscript%3E~1",
    ] {
        let (status, page) = get_page(&app, &cookie, bad).await;
        assert_eq!(status, 400, "{bad}: {page}");
    }
}

#[tokio::test]
async fn ticked_tickets_are_assigned_tagged_and_closed_with_a_reason_for_each() {
    let app = TestApp::spawn().await;
    let (_, cookie, csrf) = signed_in(&app, "sam@rapport.test", Role::Supervisor).await;
    let (kim, _) = app.agent("kim@rapport.test", Role::Agent, None).await;
    let made = tickets(&app, 35).await;
    let kim_id = kim.id.to_string();
    let mut form: Vec<(&str, &str)> = vec![
        ("csrf", &csrf),
        ("back", "/?view=unassigned"),
        ("action", "assign"),
        ("assignee_id", &kim_id),
    ];
    let ids: Vec<String> = made[..30].iter().map(i64::to_string).collect();
    for id in &ids {
        form.push(("ticket_ids", id));
    }
    let (status, location) = post_form(&app, &cookie, "/tickets/bulk", &form).await;
    assert_eq!(status, 303, "{location}");
    assert!(
        location.starts_with("/?view=unassigned&done=Changed%2030%20tickets"),
        "{location}"
    );
    let (_, list) = app
        .api()
        .get(&format!("/api/v1/tickets?assignee_id={}&limit=100", kim.id))
        .await;
    assert_eq!(list["items"].as_array().map(Vec::len), Some(30), "{list}");
    let (_, page) = get_page(&app, &cookie, "/?view=unassigned").await;
    assert!(page.contains("5 tickets"), "counts stay right");

    // Moving them on from Kim needs a hand-over note, for each.
    let (status, body) = app
        .api()
        .post(
            "/api/v1/tickets/bulk",
            json!({"ticket_ids": &made[..3], "change": {"action": "assign", "assignee_id": null}}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["changed"], json!([]));
    assert_eq!(body["not_changed"].as_array().map(Vec::len), Some(3));
    // Closing unsolved needs a reason, then writes it on each.
    let (status, _) = app
        .api()
        .post(
            "/api/v1/tickets/bulk",
            json!({"ticket_ids": &made[30..], "change": {"action": "close_unresolved", "reason": " "}}),
        )
        .await;
    assert_eq!(status, 422);
    let (status, body) = app
        .api()
        .post("/api/v1/tickets/bulk", json!({"ticket_ids": &made[30..], "change": {"action": "close_unresolved", "reason": "Spam wave of Tuesday."}}))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["changed"].as_array().map(Vec::len), Some(5));
    let (_, ticket) = app
        .api()
        .get(&format!("/api/v1/tickets/{}", made[34]))
        .await;
    assert_eq!(ticket["problem"], "closed_unresolved");
    assert_eq!(ticket["closed_reason"], "Spam wave of Tuesday.");
    let (status, _) = app
        .api()
        .post(
            "/api/v1/tickets/bulk",
            json!({"ticket_ids": [], "change": {"action": "propose_resolution"}}),
        )
        .await;
    assert_eq!(status, 422);
    let many: Vec<i64> = (1..=501).collect();
    let (status, _) = app
        .api()
        .post(
            "/api/v1/tickets/bulk",
            json!({"ticket_ids": many, "change": {"action": "propose_resolution"}}),
        )
        .await;
    assert_eq!(status, 422);
}

//! Customers and organizations edited by agents, through the API and the workspace pages:
//! each field, who may change what, bad input, an address that belongs to someone else (also
//! when two ask at once), and mail domains that bring customers into their organization.

use crate::helpers::{
    Api, TestApp, all_at_once, count_status, error_code, error_message, get_page, post_form,
};
use crate::workspace::signed_in;
use rapport_domain::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

async fn customer(app: &TestApp, name: &str, email: &str) -> i64 {
    let (status, body) = app
        .api()
        .post("/api/v1/customers", json!({"name": name, "email": email}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["id"].as_i64().expect("id")
}

async fn organization(app: &TestApp, name: &str, domains: &[&str]) -> i64 {
    let (status, body) = app
        .api()
        .post(
            "/api/v1/organizations",
            json!({"name": name, "domains": domains}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["id"].as_i64().expect("id")
}

/// The summaries of the customer's history, newest first.
async fn history(app: &TestApp, id: i64) -> Vec<(String, Value)> {
    let (status, body) = app
        .api()
        .get(&format!("/api/v1/customers/{id}/timeline"))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|item| {
            (
                item["summary"].as_str().expect("summary").to_owned(),
                item["agent_id"].clone(),
            )
        })
        .collect()
}

#[tokio::test]
async fn an_agent_changes_each_of_a_customers_details_and_the_history_says_so() {
    let app = TestApp::spawn().await;
    let (agent, token) = app.agent("sam@rapport.test", Role::Agent, None).await;
    let sam = app.api_as(Some(&token));
    let id = customer(&app, "Ana", "ana@example.com").await;
    let harbor = organization(&app, "Harbor Pine", &[]).await;
    let path = format!("/api/v1/customers/{id}");

    let (status, changed) = sam
        .patch(
            &path,
            json!({"name": " Ana Apfel ", "phone": "+44 20 7946 0000", "notes": "Prefers mail.", "organization_id": harbor}),
        )
        .await;

    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(changed["name"], "Ana Apfel");
    assert_eq!(changed["phone"], "+44 20 7946 0000");
    assert_eq!(changed["notes"], "Prefers mail.");
    assert_eq!(changed["organization_id"], harbor);
    let (summary, actor) = history(&app, id).await.remove(0);
    assert_eq!(
        summary,
        "Changed the name from “Ana” to “Ana Apfel”; set the phone to “+44 20 7946 0000”; \
         set the notes to “Prefers mail.”; set the organization to Harbor Pine"
    );
    assert_eq!(actor, agent.id);

    // Each field alone; the others stay; null clears.
    let (_, changed) = sam.patch(&path, json!({"phone": null})).await;
    assert_eq!(changed["phone"], Value::Null);
    assert_eq!(changed["notes"], "Prefers mail.");
    let (_, changed) = sam.patch(&path, json!({"notes": ""})).await;
    assert_eq!(changed["notes"], Value::Null);
    let (_, changed) = sam.patch(&path, json!({"organization_id": null})).await;
    assert_eq!(changed["organization_id"], Value::Null);
    assert_eq!(changed["name"], "Ana Apfel");
    let summaries: Vec<String> = history(&app, id).await.into_iter().map(|s| s.0).collect();
    assert_eq!(
        &summaries[..3],
        [
            "Removed the organization (was Harbor Pine)",
            "Removed the notes (was “Prefers mail.”)",
            "Removed the phone (was “+44 20 7946 0000”)",
        ]
    );

    // Sending what is already there changes nothing and records nothing.
    let before = history(&app, id).await.len();
    let (status, _) = sam.patch(&path, json!({"name": "Ana Apfel"})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(history(&app, id).await.len(), before);

    // The customer page says it with the agent's name.
    let (_, cookie, _) = signed_in(&app, "page@rapport.test", Role::Agent).await;
    let (status, page) = get_page(&app, &cookie, &format!("/customers/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("sam@rapport.test changed the name from “Ana” to “Ana Apfel”"),
        "{page}"
    );
}

#[tokio::test]
async fn owners_stay_with_supervisors_and_nothing_changes_when_refused() {
    let app = TestApp::spawn().await;
    let (_, token) = app.agent("sam@rapport.test", Role::Agent, None).await;
    let (supervisor, boss) = app
        .agent("priya@rapport.test", Role::Supervisor, None)
        .await;
    let id = customer(&app, "Ana", "ana@example.com").await;
    let path = format!("/api/v1/customers/{id}");

    let (status, body) = app
        .api_as(Some(&token))
        .patch(
            &path,
            json!({"name": "Ana Apfel", "owner_id": supervisor.id}),
        )
        .await;

    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(error_message(&body).contains("owner"), "{body}");
    let (_, unchanged) = app.api().get(&path).await;
    assert_eq!(unchanged["name"], "Ana");
    let (status, body) = app
        .api_as(Some(&boss))
        .patch(
            &path,
            json!({"name": "Ana Apfel", "owner_id": supervisor.id}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["owner_id"], supervisor.id);
    assert_eq!(body["name"], "Ana Apfel");
    let summaries: Vec<String> = history(&app, id).await.into_iter().map(|s| s.0).collect();
    assert!(
        summaries.contains(&format!(
            "Made agent {} the relationship owner",
            supervisor.id
        )),
        "{summaries:?}"
    );
}

#[tokio::test]
async fn bad_input_is_refused_with_a_sentence() {
    let app = TestApp::spawn().await;
    let (_, token) = app.agent("sam@rapport.test", Role::Agent, None).await;
    let sam = app.api_as(Some(&token));
    let id = customer(&app, "Ana", "ana@example.com").await;
    let path = format!("/api/v1/customers/{id}");

    for (body, status, words) in [
        (json!({"name": "  "}), 422, "must not be empty"),
        (json!({"name": "x".repeat(201)}), 422, "longer than 200"),
        (json!({"phone": "call me maybe"}), 422, "not a phone number"),
        (json!({"notes": "x".repeat(5_001)}), 422, "at most 5000"),
        (
            json!({"organization_id": 999}),
            422,
            "no organization with id 999",
        ),
        (json!({"organization_id": "one"}), 422, ""),
        (json!({"nickname": "Annie"}), 422, "nickname"),
    ] {
        let (got, answer) = sam.patch(&path, body.clone()).await;
        assert_eq!(got.as_u16(), status, "{body}: {answer}");
        assert!(error_message(&answer).contains(words), "{body}: {answer}");
    }
    let (status, _) = sam
        .patch("/api/v1/customers/999", json!({"name": "X"}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = sam
        .patch("/api/v1/customers/abc", json!({"name": "X"}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let emails = format!("{path}/emails");
    let (status, body) = sam.post(&emails, json!({"email": "not an address"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, body) = sam.post(&emails, json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, body) = sam.delete(&format!("{emails}/nobody@example.com")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, body) = sam
        .post(&format!("{emails}/nobody@example.com/primary"), json!({}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, body) = sam.delete(&format!("{emails}/ana@example.com")).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(error_code(&body), "last_email");
    assert!(
        error_message(&body).contains("add the new address first"),
        "{body}"
    );

    let org = organization(&app, "Harbor Pine", &[]).await;
    let (status, body) = sam
        .patch(&format!("/api/v1/organizations/{org}"), json!({"name": ""}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (_, boss) = app
        .agent("priya@rapport.test", Role::Supervisor, None)
        .await;
    let (status, body) = app
        .api_as(Some(&boss))
        .post(
            &format!("/api/v1/organizations/{org}/domains"),
            json!({"domain": "not a domain"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, _) = app
        .api_as(Some(&boss))
        .post(
            "/api/v1/organizations/999/domains",
            json!({"domain": "x.example"}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app
        .api_as(Some(&boss))
        .delete(&format!(
            "/api/v1/organizations/{org}/domains/never.example"
        ))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn addresses_are_added_made_primary_and_removed() {
    let app = TestApp::spawn().await;
    let (_, token) = app.agent("sam@rapport.test", Role::Agent, None).await;
    let sam = app.api_as(Some(&token));
    let id = customer(&app, "Ana", "ana@example.com").await;
    let emails = format!("/api/v1/customers/{id}/emails");

    let (status, body) = sam
        .post(&emails, json!({"email": " Ana@Work.example "}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(
        body["emails"],
        json!(["ana@example.com", "ana@work.example"])
    );
    let (_, body) = sam
        .post(
            &emails,
            json!({"email": "ana@home.example", "primary": true}),
        )
        .await;
    assert_eq!(
        body["emails"],
        json!(["ana@home.example", "ana@example.com", "ana@work.example"])
    );
    let (status, body) = sam
        .post(&format!("{emails}/ana@work.example/primary"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["emails"][0], "ana@work.example");
    let (status, body) = sam.delete(&format!("{emails}/ana@work.example")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["emails"],
        json!(["ana@example.com", "ana@home.example"])
    );

    // Mail goes to the primary address.
    let (status, _) = sam
        .post(&format!("{emails}/ana@home.example/primary"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, ticket) = app
        .api()
        .post(
            "/api/v1/tickets",
            json!({"subject": "Hello", "body": "Hi.", "customer_id": id}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{ticket}");
    let (_, found) = app
        .api()
        .get("/api/v1/customers?email=ana@home.example")
        .await;
    assert_eq!(found["items"][0]["id"], id, "{found}");

    let summaries: Vec<String> = history(&app, id).await.into_iter().map(|s| s.0).collect();
    for said in [
        "Added the address ana@work.example",
        "Added the address ana@home.example and made it the one we write to",
        "Made ana@work.example the address we write to (was ana@home.example)",
        "Removed the address ana@work.example",
    ] {
        assert!(
            summaries.iter().any(|s| s == said),
            "{said} in {summaries:?}"
        );
    }
}

#[tokio::test]
async fn an_address_belongs_to_one_customer() {
    let app = TestApp::spawn().await;
    let (_, token) = app.agent("sam@rapport.test", Role::Agent, None).await;
    let sam = app.api_as(Some(&token));
    let ana = customer(&app, "Ana Apfel", "ana@example.com").await;
    let bea = customer(&app, "Bea Birne", "bea@example.com").await;

    let (status, body) = sam
        .post(
            &format!("/api/v1/customers/{bea}/emails"),
            json!({"email": "ANA@example.com"}),
        )
        .await;

    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(error_code(&body), "email_taken");
    let message = error_message(&body);
    assert!(
        message.contains(&format!("Ana Apfel (customer {ana})")),
        "{message}"
    );
    assert!(message.contains("merge the two customers"), "{message}");
    let (status, body) = sam
        .post(
            &format!("/api/v1/customers/{ana}/emails"),
            json!({"email": "ana@example.com"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(error_code(&body), "email_already_theirs");
}

#[tokio::test]
async fn the_same_address_added_to_two_customers_at_once_has_one_owner() {
    let app = TestApp::spawn().await;
    let ana = customer(&app, "Ana", "ana@example.com").await;
    let bea = customer(&app, "Bea", "bea@example.com").await;
    let api = app.api();

    for round in 0..4 {
        let email = format!("shared{round}@example.com");
        let requests = (0..8)
            .map(|i| {
                let id = if i % 2 == 0 { ana } else { bea };
                api.request(Method::POST, &format!("/api/v1/customers/{id}/emails"))
                    .json(&json!({"email": email}))
            })
            .collect();

        let answers = all_at_once(requests).await;

        assert_eq!(
            count_status(&answers, StatusCode::CREATED),
            1,
            "{answers:?}"
        );
        assert_eq!(
            count_status(&answers, StatusCode::CONFLICT),
            7,
            "{answers:?}"
        );
        let (_, a) = api.get(&format!("/api/v1/customers/{ana}")).await;
        let (_, b) = api.get(&format!("/api/v1/customers/{bea}")).await;
        let owners = [&a, &b]
            .iter()
            .filter(|c| {
                c["emails"]
                    .as_array()
                    .is_some_and(|e| e.contains(&json!(email)))
            })
            .count();
        assert_eq!(owners, 1, "{a} {b}");
    }
}

#[tokio::test]
async fn removing_two_addresses_at_once_leaves_one() {
    let app = TestApp::spawn().await;
    let id = customer(&app, "Ana", "ana@example.com").await;
    let api = app.api();
    let (status, _) = api
        .post(
            &format!("/api/v1/customers/{id}/emails"),
            json!({"email": "ana@work.example"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);

    let requests = ["ana@example.com", "ana@work.example"]
        .iter()
        .map(|email| {
            api.request(
                Method::DELETE,
                &format!("/api/v1/customers/{id}/emails/{email}"),
            )
        })
        .collect();
    let answers = all_at_once(requests).await;

    assert_eq!(count_status(&answers, StatusCode::OK), 1, "{answers:?}");
    assert_eq!(
        count_status(&answers, StatusCode::CONFLICT),
        1,
        "{answers:?}"
    );
    let (_, left) = api.get(&format!("/api/v1/customers/{id}")).await;
    assert_eq!(left["emails"].as_array().map(Vec::len), Some(1), "{left}");
}

#[tokio::test]
async fn a_domain_brings_in_new_and_existing_customers_without_an_organization() {
    let app = TestApp::spawn().await;
    let (supervisor, token) = app
        .agent("priya@rapport.test", Role::Supervisor, None)
        .await;
    let boss = app.api_as(Some(&token));
    let other = organization(&app, "Other Co", &[]).await;
    let harbor = organization(&app, "Harbor Pine", &[]).await;
    let ana = customer(&app, "Ana", "ana@harborpine.example").await;
    let kept = customer(&app, "Kim", "kim@harborpine.example").await;
    app.api()
        .patch(
            &format!("/api/v1/customers/{kept}"),
            json!({"organization_id": other}),
        )
        .await;
    let elsewhere = customer(&app, "Eli", "eli@elsewhere.example").await;
    // A second address at the domain is enough.
    let bea = customer(&app, "Bea", "bea@home.example").await;
    app.api()
        .post(
            &format!("/api/v1/customers/{bea}/emails"),
            json!({"email": "bea@harborpine.example"}),
        )
        .await;

    let (status, added) = boss
        .post(
            &format!("/api/v1/organizations/{harbor}/domains"),
            json!({"domain": "HarborPine.example"}),
        )
        .await;

    assert_eq!(status, StatusCode::CREATED, "{added}");
    assert_eq!(
        added["organization"]["domains"],
        json!(["harborpine.example"])
    );
    assert_eq!(added["attached_customers"], json!([ana, bea]));
    for (id, organization) in [
        (ana, Some(harbor)),
        (bea, Some(harbor)),
        (kept, Some(other)),
        (elsewhere, None),
    ] {
        let (_, body) = app.api().get(&format!("/api/v1/customers/{id}")).await;
        assert_eq!(body["organization_id"].as_i64(), organization, "{body}");
    }
    let (summary, actor) = history(&app, ana).await.remove(0);
    assert_eq!(
        summary,
        "Added the domain harborpine.example to Harbor Pine, so they joined it"
    );
    assert_eq!(actor, supervisor.id);

    // New customers at the domain join it, however they arrive.
    let made = customer(&app, "Cy", "cy@harborpine.example").await;
    let ticket = app.ticket("Hello", "dee@harborpine.example").await;
    let mail = "From: Eve <eve@harborpine.example>\r\nTo: support@rapport.localhost\r\nSubject: Hi\r\n\
                Message-ID: <eve-1@harborpine.example>\r\nDate: Mon, 23 Nov 2026 09:00:00 +0000\r\n\r\nHello.\r\n";
    let (status, _) = Api::send(
        app.intake()
            .request(Method::POST, "/api/v1/inbound/email")
            .header("content-type", "message/rfc822")
            .body(mail),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let (_, eve) = app
        .api()
        .get("/api/v1/customers?email=eve@harborpine.example")
        .await;
    assert_eq!(eve["items"][0]["organization_id"], harbor, "{eve}");
    let (_, cy) = app.api().get(&format!("/api/v1/customers/{made}")).await;
    assert_eq!(cy["organization_id"], harbor);
    assert_eq!(ticket["organization_id"], harbor, "{ticket}");

    // Removing the domain leaves its customers where they are; new ones no longer join.
    let (status, body) = boss
        .delete(&format!(
            "/api/v1/organizations/{harbor}/domains/harborpine.example"
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["domains"], json!([]));
    let (_, body) = app.api().get(&format!("/api/v1/customers/{ana}")).await;
    assert_eq!(body["organization_id"], harbor);
    let later = customer(&app, "Fay", "fay@harborpine.example").await;
    let (_, body) = app.api().get(&format!("/api/v1/customers/{later}")).await;
    assert_eq!(body["organization_id"], Value::Null);
}

#[tokio::test]
async fn domains_are_for_supervisors_one_organization_each_and_never_public() {
    let app = TestApp::spawn().await;
    let (_, agent) = app.agent("sam@rapport.test", Role::Agent, None).await;
    let harbor = organization(&app, "Harbor Pine", &["harborpine.example"]).await;
    let other = organization(&app, "Other Co", &[]).await;
    let domains = format!("/api/v1/organizations/{other}/domains");

    let (status, body) = app
        .api_as(Some(&agent))
        .post(&domains, json!({"domain": "other.example"}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, _) = app
        .api_as(Some(&agent))
        .delete(&format!(
            "/api/v1/organizations/{harbor}/domains/harborpine.example"
        ))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    for public in ["gmail.com", "Outlook.com", "yahoo.co.uk"] {
        let (status, body) = app.api().post(&domains, json!({"domain": public})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert!(
            error_message(&body).contains("public mail service"),
            "{body}"
        );
    }
    let (status, body) = app
        .api()
        .post(
            "/api/v1/organizations",
            json!({"name": "Gmail fans", "domains": ["gmail.com"]}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");

    let (status, body) = app
        .api()
        .post(&domains, json!({"domain": "harborpine.example"}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(error_code(&body), "domain_taken");
    assert!(error_message(&body).contains("Harbor Pine"), "{body}");

    // Two organizations asking for one domain at once: one gets it.
    let api = app.api();
    let requests = (0..6)
        .map(|i| {
            let id = if i % 2 == 0 { harbor } else { other };
            api.request(Method::POST, &format!("/api/v1/organizations/{id}/domains"))
                .json(&json!({"domain": "contested.example"}))
        })
        .collect();
    let answers = all_at_once(requests).await;
    assert_eq!(
        count_status(&answers, StatusCode::CREATED),
        1,
        "{answers:?}"
    );
    assert_eq!(
        count_status(&answers, StatusCode::CONFLICT),
        5,
        "{answers:?}"
    );
}

#[tokio::test]
async fn any_agent_renames_an_organization_and_keeps_notes() {
    let app = TestApp::spawn().await;
    let (_, agent) = app.agent("sam@rapport.test", Role::Agent, None).await;
    let sam = app.api_as(Some(&agent));
    let id = organization(&app, "Harbor", &[]).await;
    let path = format!("/api/v1/organizations/{id}");

    let (status, body) = sam
        .patch(
            &path,
            json!({"name": "Harbor & Pine", "notes": "Renews in March."}),
        )
        .await;

    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["name"], "Harbor & Pine");
    assert_eq!(body["notes"], "Renews in March.");
    let (status, _) = sam
        .patch(&path, json!({"name": "X", "portal_shared": true}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = sam.patch(&path, json!({"owner_id": null})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, body) = sam.get(&path).await;
    assert_eq!(
        body["name"], "Harbor & Pine",
        "a refused change changes nothing"
    );
    let (_, audit) = app
        .api()
        .get("/api/v1/audit?action=organization.updated")
        .await;
    assert!(audit.to_string().contains("Renews in March."), "{audit}");
}

#[tokio::test]
async fn the_customer_page_edits_details_and_addresses() {
    let app = TestApp::spawn().await;
    let (_, cookie, csrf) = signed_in(&app, "sam@rapport.test", Role::Agent).await;
    let id = customer(&app, "Ana", "ana@example.com").await;
    let harbor = organization(&app, "Harbor Pine", &[]).await;
    let other = customer(&app, "Bea Birne", "bea@example.com").await;
    let page = format!("/customers/{id}");

    let (status, html) = get_page(&app, &cookie, &page).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("action=\"/customers/"), "{html}");
    assert!(html.contains("<label for=\"customer-phone\">Phone</label>"));

    let harbor_id = harbor.to_string();
    let (status, location) = post_form(
        &app,
        &cookie,
        &format!("{page}/details"),
        &[
            ("csrf", &csrf),
            ("name", "Ana Apfel"),
            ("phone", "+44 20 7946 0000"),
            ("notes", "Prefers mail."),
            ("organization", &harbor_id),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{location}");
    assert!(location.starts_with(&page), "{location}");
    let (_, body) = app.api().get(&format!("/api/v1/customers/{id}")).await;
    assert_eq!(body["phone"], "+44 20 7946 0000");
    assert_eq!(body["organization_id"], harbor);

    // A refusal comes back on the form, in words, with what was typed.
    let (status, html) = post_form(
        &app,
        &cookie,
        &format!("{page}/details"),
        &[("csrf", &csrf), ("name", "Ana Apfel"), ("phone", "call me")],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("not a phone number"), "{html}");
    assert!(html.contains("value=\"call me\""), "{html}");
    assert!(!html.contains('`'), "no backticks on a page");

    let (status, _) = post_form(
        &app,
        &cookie,
        &format!("{page}/emails"),
        &[
            ("csrf", &csrf),
            ("email", "ana@work.example"),
            ("primary", "yes"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, html) = post_form(
        &app,
        &cookie,
        &format!("{page}/emails"),
        &[("csrf", &csrf), ("email", "bea@example.com")],
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(
        html.contains(&format!("Bea Birne (customer {other})")),
        "{html}"
    );
    assert!(html.contains("merge"), "{html}");
    let (status, _) = post_form(
        &app,
        &cookie,
        &format!("{page}/emails/primary"),
        &[("csrf", &csrf), ("email", "ana@example.com")],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, _) = post_form(
        &app,
        &cookie,
        &format!("{page}/emails/remove"),
        &[("csrf", &csrf), ("email", "ana@work.example")],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, html) = post_form(
        &app,
        &cookie,
        &format!("{page}/emails/remove"),
        &[("csrf", &csrf), ("email", "ana@example.com")],
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(html.contains("only address"), "{html}");

    // Without the form's token nothing changes.
    let (status, _) = post_form(
        &app,
        &cookie,
        &format!("{page}/emails"),
        &[("email", "sneaky@example.com")],
    )
    .await;
    assert!(status.is_client_error(), "{status}");

    let (_, html) = get_page(&app, &cookie, &page).await;
    for said in [
        "sam@rapport.test changed the name from “Ana” to “Ana Apfel”",
        "sam@rapport.test added the address ana@work.example and made it the one we write to",
        "sam@rapport.test made ana@example.com the address we write to (was ana@work.example)",
        "sam@rapport.test removed the address ana@work.example",
    ] {
        assert!(html.contains(said), "{said}");
    }
    assert!(
        html.contains(&format!("href=\"/organizations/{harbor}\"")),
        "{html}"
    );
}

#[tokio::test]
async fn the_organization_page_lists_its_customers_and_edits_it() {
    let app = TestApp::spawn().await;
    let (_, agent_cookie, agent_csrf) = signed_in(&app, "sam@rapport.test", Role::Agent).await;
    let (_, boss_cookie, boss_csrf) = signed_in(&app, "priya@rapport.test", Role::Supervisor).await;
    let harbor = organization(&app, "Harbor Pine", &[]).await;
    let ana = customer(&app, "Ana Apfel", "ana@harborpine.example").await;
    let page = format!("/organizations/{harbor}");

    let (status, html) = get_page(&app, &agent_cookie, &page).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("<h1>Harbor Pine</h1>"), "{html}");
    assert!(!html.contains("Ana Apfel"), "not a member yet");
    assert!(
        !html.contains("Add the domain"),
        "agents do not see the domain form"
    );

    let (status, _) = post_form(
        &app,
        &agent_cookie,
        &format!("{page}/domains"),
        &[("csrf", &agent_csrf), ("domain", "harborpine.example")],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, html) = post_form(
        &app,
        &boss_cookie,
        &format!("{page}/domains"),
        &[("csrf", &boss_csrf), ("domain", "gmail.com")],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("public mail service"), "{html}");
    let (status, location) = post_form(
        &app,
        &boss_cookie,
        &format!("{page}/domains"),
        &[("csrf", &boss_csrf), ("domain", "harborpine.example")],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(
        location.contains("one%20customer") || location.contains("one+customer"),
        "{location}"
    );
    let (_, html) = get_page(&app, &agent_cookie, &page).await;
    assert!(
        html.contains(&format!("href=\"/customers/{ana}\">Ana Apfel</a>")),
        "{html}"
    );

    let (status, _) = post_form(
        &app,
        &agent_cookie,
        &format!("{page}/details"),
        &[
            ("csrf", &agent_csrf),
            ("name", "Harbor & Pine"),
            ("notes", "Renews in March."),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, html) = get_page(&app, &agent_cookie, &page).await;
    assert!(
        html.contains("Harbor &amp; Pine") || html.contains("Harbor &#38; Pine"),
        "{html}"
    );
    assert!(html.contains("Renews in March."));

    let (status, _) = post_form(
        &app,
        &boss_cookie,
        &format!("{page}/domains/remove"),
        &[("csrf", &boss_csrf), ("domain", "harborpine.example")],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, _) = get_page(&app, &agent_cookie, "/organizations/999").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_merge_keeps_the_duplicates_phone_and_notes_where_the_kept_record_has_none() {
    let app = TestApp::spawn().await;
    let keep = customer(&app, "Ana Apfel", "ana@example.com").await;
    let duplicate = customer(&app, "Ana A.", "ana@work.example").await;
    app.api()
        .patch(
            &format!("/api/v1/customers/{keep}"),
            json!({"notes": "Prefers mail."}),
        )
        .await;
    app.api()
        .patch(
            &format!("/api/v1/customers/{duplicate}"),
            json!({"phone": "+44 20 7946 0000", "notes": "Called twice."}),
        )
        .await;

    let (status, merged) = app
        .api()
        .post(
            &format!("/api/v1/customers/{keep}/merge"),
            json!({"duplicate_id": duplicate}),
        )
        .await;

    assert_eq!(status, StatusCode::OK, "{merged}");
    assert_eq!(merged["phone"], "+44 20 7946 0000");
    assert_eq!(
        merged["notes"], "Prefers mail.",
        "the kept record's own notes win"
    );
    assert_eq!(
        merged["emails"][0], "ana@example.com",
        "we still write where we did"
    );
    let (status, body) = app
        .api()
        .patch(
            &format!("/api/v1/customers/{duplicate}"),
            json!({"name": "Ana"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(
        error_message(&body).contains("change that one instead"),
        "{body}"
    );
}

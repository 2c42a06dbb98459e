//! Full-text search: `GET /api/v1/search` and the workspace's search page. Ranking, phrases,
//! prefixes, filters, paging, restricted teams, internal notes, input that is not query
//! syntax, the index kept in step with every write, and the plans of the queries.

use crate::helpers::{Api, TestApp, all_at_once, count_status, error_code, get_page};
use crate::workspace::signed_in;
use rapport_domain::Role;
use rapport_domain::search::SearchQuery;
use rapport_store::Backend;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

async fn search(api: &Api<'_>, query: &str) -> (StatusCode, Value) {
    let query = serde_urlencoded::to_string([("q", query)]).expect("encode");
    api.get(&format!("/api/v1/search?{query}")).await
}

/// The ticket ids a search finds, best first.
async fn found(app: &TestApp, query: &str) -> Vec<i64> {
    let (status, body) = search(&app.api(), query).await;
    assert_eq!(status, StatusCode::OK, "{query}: {body}");
    ids(&body)
}

fn ids(body: &Value) -> Vec<i64> {
    body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|item| item["ticket_id"].as_i64().expect("ticket id"))
        .collect()
}

async fn ticket_with(app: &TestApp, subject: &str, email: &str, body: &str) -> i64 {
    let (status, ticket) = app
        .api()
        .post(
            "/api/v1/tickets",
            json!({"subject": subject, "body": body, "customer": {"email": email}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{ticket}");
    ticket["id"].as_i64().expect("id")
}

async fn add_message(app: &TestApp, id: i64, body: &str, visibility: &str) {
    let (status, message) = app
        .api()
        .post(
            &format!("/api/v1/tickets/{id}/messages"),
            json!({"body": body, "visibility": visibility}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{message}");
}

#[tokio::test]
async fn words_phrases_and_prefixes_find_tickets_best_first_with_a_marked_passage() {
    let app = TestApp::spawn().await;
    let printer = ticket_with(
        &app,
        "Printer jams every morning",
        "ana@example.com",
        "The paper tray jams when the printer wakes up.",
    )
    .await;
    let invoice = ticket_with(
        &app,
        "Invoice question",
        "bo@example.com",
        "I would like a refund for the printer cable on invoice 2231.",
    )
    .await;
    let _other = ticket_with(&app, "Hello", "cy@example.com", "Nothing to see.").await;

    assert_eq!(
        found(&app, "printer").await,
        vec![printer, invoice],
        "a word in the subject ranks above a word in a message"
    );
    assert_eq!(found(&app, "\"paper tray\"").await, vec![printer]);
    assert!(
        found(&app, "\"tray paper\"").await.is_empty(),
        "a phrase keeps its order"
    );
    assert_eq!(found(&app, "invoi*").await, vec![invoice]);
    assert_eq!(found(&app, "INVOI*").await, vec![invoice]);
    assert!(found(&app, "invoi").await.is_empty(), "no prefix without *");
    assert_eq!(
        found(&app, "refund printer").await,
        vec![invoice],
        "every word must match"
    );
    assert_eq!(found(&app, "2231").await, vec![invoice]);
    assert_eq!(found(&app, "bo@example.com").await, vec![invoice]);

    let (_, body) = search(&app.api(), "refund").await;
    assert_eq!(
        body["items"][0]["snippet_html"],
        "I would like a <mark>refund</mark> for the printer cable on invoice 2231."
    );
    assert_eq!(body["items"][0]["subject"], "Invoice question");
    assert_eq!(body["items"][0]["customer_name"], "bo");
    assert_eq!(body["items"][0]["problem"], "open");
}

#[tokio::test]
async fn html_in_a_message_stays_text_in_the_snippet() {
    let app = TestApp::spawn().await;
    ticket_with(
        &app,
        "Odd mail",
        "eve@example.com",
        "<script>alert('kiwi')</script> <mark>kiwi</mark> & <img src=x onerror=alert(1)>",
    )
    .await;

    let (status, body) = search(&app.api(), "kiwi").await;

    assert_eq!(status, StatusCode::OK, "{body}");
    let html = body["items"][0]["snippet_html"].as_str().expect("snippet");
    assert_eq!(
        html,
        "&lt;script&gt;alert(&#39;<mark>kiwi</mark>&#39;)&lt;/script&gt; &lt;mark&gt;<mark>kiwi</mark>&lt;/mark&gt; &amp; &lt;img src=x onerror=alert(1)&gt;"
    );
    let (_, cookie, _) = signed_in(&app, "reader@rapport.test", Role::Agent).await;
    let (status, page) = get_page(&app, &cookie, "/?q=kiwi").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains(&format!("<p class=\"snippet\">{html}</p>")),
        "{page}"
    );
    assert!(!page.contains("<script>alert"), "{page}");
}

#[tokio::test]
async fn filters_narrow_and_pages_cover_every_result_once() {
    let app = TestApp::spawn().await;
    let (agent, _) = app.agent("kim@rapport.test", Role::Agent, None).await;
    let mut all = Vec::new();
    for n in 0..5 {
        all.push(
            ticket_with(
                &app,
                &format!("Kiwi order {n}"),
                &format!("buyer{}@example.com", n % 2),
                "Where is my kiwi?",
            )
            .await,
        );
        app.advance(time::Duration::days(1)).await;
    }
    let (status, body) = app
        .api()
        .patch(
            &format!("/api/v1/tickets/{}", all[1]),
            json!({"assignee_id": agent.id}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = app
        .api()
        .post(
            &format!("/api/v1/tickets/{}/state", all[2]),
            json!({"action": "propose_resolution"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, ticket) = app.api().get(&format!("/api/v1/tickets/{}", all[0])).await;
    let customer = ticket["customer_id"].as_i64().expect("customer");
    let first_day = &ticket["created_at"].as_str().expect("created")[..10];
    let third_day = time::Date::parse(
        first_day,
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .expect("day")
    .next_day()
    .and_then(time::Date::next_day)
    .expect("day");

    let filtered = |filter: String| {
        let app = &app;
        async move {
            let (status, body) = app
                .api()
                .get(&format!("/api/v1/search?q=kiwi&{filter}"))
                .await;
            assert_eq!(status, StatusCode::OK, "{filter}: {body}");
            let mut found = ids(&body);
            found.sort_unstable();
            found
        }
    };
    assert_eq!(
        filtered(format!("assignee_id={}", agent.id)).await,
        vec![all[1]]
    );
    assert_eq!(
        filtered("problem=resolution_proposed".to_owned()).await,
        vec![all[2]]
    );
    assert_eq!(
        filtered("problem=open&conversation=new".to_owned()).await,
        vec![all[0], all[1], all[3], all[4]]
    );
    assert_eq!(
        filtered(format!("customer_id={customer}")).await,
        vec![all[0], all[2], all[4]]
    );
    assert_eq!(
        filtered(format!("from={first_day}&to={third_day}")).await,
        vec![all[0], all[1], all[2]],
        "both days are inclusive"
    );
    assert_eq!(
        filtered(format!("from={third_day}")).await,
        all[2..].to_vec()
    );
    assert_eq!(
        filtered("organization_id=999".to_owned()).await,
        Vec::<i64>::new()
    );

    let mut pages = Vec::new();
    let mut path = "/api/v1/search?q=kiwi&limit=2".to_owned();
    loop {
        let (status, body) = app.api().get(&path).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let page = ids(&body);
        assert!(page.len() <= 2);
        pages.extend(page);
        match body["next_cursor"].as_str() {
            Some(cursor) => path = format!("/api/v1/search?q=kiwi&limit=2&cursor={cursor}"),
            None => break,
        }
    }
    let mut sorted = pages.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, all, "every result once: {pages:?}");

    // The page: the same results, a link to the next page, the filters kept, a ticket number.
    let (_, cookie, _) = signed_in(&app, "reader@rapport.test", Role::Agent).await;
    let (status, page) = get_page(&app, &cookie, "/?q=kiwi&limit=2&problem=open").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("href=\"/?q=kiwi&#38;problem=open&#38;limit=2&#38;cursor=s2\" rel=\"next\""),
        "{page}"
    );
    assert!(
        page.contains("<option value=\"open\" selected>open</option>"),
        "{page}"
    );
    let (_, page) = get_page(&app, &cookie, &format!("/?q=%23{}", all[3])).await;
    assert!(
        page.contains(&format!(
            "<a href=\"/tickets/{0}\">Go to ticket #{0}</a>",
            all[3]
        )),
        "{page}"
    );
}

#[tokio::test]
async fn a_restricted_teams_tickets_are_found_by_its_members_only_and_notes_by_agents() {
    let app = TestApp::spawn().await;
    let (member, member_token) = app.agent("lee@rapport.test", Role::Agent, None).await;
    let (_, outsider_token) = app.agent("kim@rapport.test", Role::Agent, None).await;
    let (status, team) = app
        .api()
        .post(
            "/api/v1/teams",
            json!({"name": "Legal", "member_ids": [member.id], "restricted": true}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{team}");
    let secret = ticket_with(
        &app,
        "Subpoena",
        "ana@example.com",
        "About the quillfeather case.",
    )
    .await;
    let (status, body) = app
        .api()
        .patch(
            &format!("/api/v1/tickets/{secret}"),
            json!({"team_id": team["id"]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let open = ticket_with(&app, "Printer", "bo@example.com", "It jams.").await;
    add_message(
        &app,
        open,
        "Quillfeather is the customer's dog.",
        "internal",
    )
    .await;

    let as_member = app.api_as(Some(&member_token));
    let as_outsider = app.api_as(Some(&outsider_token));
    let (_, by_member) = search(&as_member, "quillfeather").await;
    let (_, by_outsider) = search(&as_outsider, "quillfeather").await;
    let (_, by_admin) = search(&app.api(), "quillfeather").await;
    let (_, team_filter) = as_outsider
        .get(&format!("/api/v1/search?q=subpoena&team_id={}", team["id"]))
        .await;

    let mut member_found = ids(&by_member);
    member_found.sort_unstable();
    assert_eq!(member_found, vec![secret, open]);
    assert_eq!(
        ids(&by_outsider),
        vec![open],
        "the note, not the restricted ticket"
    );
    assert!(
        !by_outsider.to_string().contains("Subpoena"),
        "{by_outsider}"
    );
    assert_eq!(ids(&by_admin).len(), 2);
    assert_eq!(ids(&team_filter), Vec::<i64>::new());
    assert_eq!(
        by_outsider["items"][0]["snippet_html"],
        "<mark>Quillfeather</mark> is the customer&#39;s dog."
    );
    // Nobody but agents searches: no token, or a customer's portal session, is refused.
    let (status, _) = search(&app.api_as(None), "quillfeather").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn query_syntax_typed_by_a_person_is_read_as_words_or_refused_with_a_reason() {
    let app = TestApp::spawn().await;
    let id = ticket_with(
        &app,
        "Printer near the door",
        "ana@example.com",
        "It says: error 0x80 -- \"paper\" jam; see NEAR(paper tray) (OR so) AND NOT.",
    )
    .await;

    for query in [
        "\"",
        "\"paper",
        "paper\"",
        "paper*\"",
        "NEAR(paper tray)",
        "NEAR paper",
        "paper OR",
        "-paper",
        "paper -jam",
        "AND",
        "NOT paper",
        "paper:jam",
        "^paper",
        "{paper tray}",
        "paper + jam",
        "'; DROP TABLE tickets; --",
        "\\paper\\",
        "pa*per",
        "0x80",
        "paper & jam | tray ! <->",
        "paper:*",
        "ÉRROR",
        "日本語",
    ] {
        let (status, body) = search(&app.api(), query).await;
        assert!(
            status == StatusCode::OK
                || (status == StatusCode::BAD_REQUEST && error_code(&body) == "invalid_query"),
            "{query}: {status} {body}"
        );
    }
    for (query, expected) in [
        ("NEAR(paper tray)", vec![id]),
        ("-paper", vec![id]),
        ("paper:jam", vec![id]),
        ("\"paper", vec![id]),
        ("'; DROP TABLE tickets; --", vec![]),
        ("0x80", vec![id]),
        ("AND NOT", vec![id]),
    ] {
        assert_eq!(found(&app, query).await, expected, "{query}");
    }
    for query in ["", "   ", "\"\"", "*", "-- !!", &"word ".repeat(200)] {
        let (status, body) = search(&app.api(), query).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query:?}: {body}");
        assert_eq!(error_code(&body), "invalid_query");
    }
    for bad in [
        "q=paper&problem=fixed",
        "q=paper&from=yesterday",
        "q=paper&from=2026-12-02&to=2026-12-01",
        "q=paper&limit=0",
        "q=paper&limit=51",
        "q=paper&cursor=t5",
        "q=paper&cursor=s999999",
        "q=paper&customer_id=ana",
        "q=paper&colour=red",
        "",
    ] {
        let (status, body) = app.api().get(&format!("/api/v1/search?{bad}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
        assert!(
            ["invalid_query", "invalid_cursor"].contains(&error_code(&body)),
            "{bad}: {body}"
        );
    }
    // The page says so in words.
    let (_, cookie, _) = signed_in(&app, "reader@rapport.test", Role::Agent).await;
    let (status, page) = get_page(&app, &cookie, "/?q=%22%22").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("the search has no word to look for"),
        "{page}"
    );
}

/// A mail from `from` with one attached file.
fn mail_with_file(from: &str, subject: &str, filename: &str) -> Vec<u8> {
    format!(
        "From: {from}\r\nTo: support@rapport.localhost\r\nSubject: {subject}\r\n\
         Message-ID: <{filename}@example.com>\r\nDate: Mon, 23 Nov 2026 09:00:00 +0000\r\n\
         MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n\
         --b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSee the file.\r\n\
         --b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=\"{filename}\"\r\n\r\nPDF\r\n\
         --b--\r\n"
    )
    .into_bytes()
}

#[tokio::test]
async fn the_index_follows_messages_files_merges_and_erasure() {
    let app = TestApp::spawn().await;
    let id = ticket_with(&app, "Router", "zed@example.com", "It blinks.").await;
    assert!(found(&app, "tangerine").await.is_empty());

    add_message(&app, id, "Try the tangerine cable.", "public").await;
    assert_eq!(found(&app, "tangerine").await, vec![id], "a new message");

    let request = app
        .intake()
        .request(Method::POST, "/api/v1/inbound/email")
        .header("content-type", "message/rfc822")
        .body(mail_with_file(
            "Yara Quintrell <yq@example.com>",
            "Warranty",
            "receipt-marzipan.pdf",
        ));
    let (status, mailed) = Api::send(request).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{mailed}");
    let mailed_ticket = found(&app, "marzipan").await;
    assert_eq!(mailed_ticket.len(), 1, "a file's name");
    assert_eq!(
        found(&app, "quintrell").await,
        mailed_ticket,
        "the customer's name"
    );
    let (_, body) = search(&app.api(), "marzipan").await;
    assert_eq!(
        body["items"][0]["snippet_html"],
        "receipt-<mark>marzipan</mark>.pdf"
    );

    // Merging Zed into Yara: Zed's ticket is now found by Yara's name.
    let (_, zed_ticket) = app.api().get(&format!("/api/v1/tickets/{id}")).await;
    let (_, yara_ticket) = app
        .api()
        .get(&format!("/api/v1/tickets/{}", mailed_ticket[0]))
        .await;
    let yara = yara_ticket["customer_id"].as_i64().expect("customer");
    let (status, body) = app
        .api()
        .post(
            &format!("/api/v1/customers/{yara}/merge"),
            json!({"duplicate_id": zed_ticket["customer_id"]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let mut by_name = found(&app, "quintrell").await;
    by_name.sort_unstable();
    assert_eq!(by_name, vec![id, mailed_ticket[0]], "merged");
    assert_eq!(
        found(&app, "zed@example.com").await.len(),
        2,
        "addresses move"
    );

    // Erasing Yara: her name, addresses, words and files are gone from the index too.
    let (status, body) = app
        .api()
        .post(
            &format!("/api/v1/customers/{yara}/erase"),
            json!({"reason": "asked by mail"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    for word in ["quintrell", "yq@example.com", "zed", "marzipan", "blinks"] {
        assert!(found(&app, word).await.is_empty(), "{word} after erasure");
    }
}

#[tokio::test]
async fn messages_written_to_one_ticket_at_the_same_moment_are_all_indexed() {
    let app = TestApp::spawn().await;
    let id = ticket_with(&app, "Busy", "ana@example.com", "Start.").await;
    let words: Vec<String> = (0..12).map(|n| format!("concurrent{n}")).collect();
    let requests = words
        .iter()
        .map(|word| {
            app.api()
                .request(Method::POST, &format!("/api/v1/tickets/{id}/messages"))
                .json(&json!({"body": format!("Note {word}."), "visibility": "internal"}))
        })
        .collect();

    let answers = all_at_once(requests).await;

    assert_eq!(
        count_status(&answers, StatusCode::CREATED),
        words.len(),
        "{answers:?}"
    );
    for word in &words {
        assert_eq!(found(&app, word).await, vec![id], "{word}");
    }
}

#[tokio::test]
async fn the_inbox_and_search_queries_use_indexes_not_whole_tables() {
    let app = TestApp::spawn().await;
    let (agent, _) = app.agent("kim@rapport.test", Role::Agent, None).await;
    for n in 0..3 {
        ticket_with(&app, &format!("Ticket {n}"), "ana@example.com", "Words.").await;
    }
    let store = &app.app.store;
    let today = rapport_store::inbox::Today {
        end: store.from_now(86_400),
        date: store.now()[..10].to_owned(),
    };
    let query = SearchQuery::parse("printer jam*").expect("query");

    let plans = store
        .query_plans(&agent, &today, &query)
        .await
        .expect("plans");

    assert!(plans.len() > 10, "{plans:?}");
    if std::env::var_os("PLANS_DUMP").is_some() {
        for plan in &plans {
            eprintln!("== {}\n{}", plan.name, plan.lines.join("\n"));
        }
    }
    for plan in &plans {
        let scans = plan.full_scans(store.backend());
        assert!(
            scans.is_empty(),
            "{} reads a whole table: {scans:?}\n{}",
            plan.name,
            plan.lines.join("\n")
        );
        // Filtered by a customer, a database may rightly start from the customer's tickets.
        if plan.name == "search" {
            let index = match store.backend() {
                Backend::Sqlite => "VIRTUAL TABLE INDEX",
                Backend::Postgres => "ticket_search_document",
            };
            assert!(
                plan.lines.iter().any(|line| line.contains(index)),
                "{} does not use the full-text index:\n{}",
                plan.name,
                plan.lines.join("\n")
            );
        }
    }
}

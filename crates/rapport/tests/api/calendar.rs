//! The workspace calendar and timings: time zone, opening hours and holidays decide "today",
//! business days and the times pages show; the relationship's timings are settings, each
//! checked and said back in words when wrong.

use crate::helpers::{START, TestApp, error_message, get_page, post_form};
use crate::workspace::signed_in;
use rapport_domain::Role;
use reqwest::StatusCode;
use serde_json::json;
use time::Duration;

#[tokio::test]
async fn admins_set_the_calendar_and_timings_and_wrong_values_are_said_in_words() {
    let app = TestApp::spawn().await;
    let (_, defaults) = app.api().get("/api/v1/settings").await;
    assert_eq!(defaults["time_zone"], "UTC");
    assert_eq!(
        defaults["business_hours"]["monday"],
        json!({"opens": "09:00", "closes": "17:00"})
    );
    assert_eq!(defaults["business_hours"]["saturday"], json!(null));
    assert_eq!(defaults["holidays"], json!([]));
    assert_eq!(defaults["promise_reminder_minutes"], 60);
    assert_eq!(defaults["nps_every_days"], 90);
    assert_eq!(defaults["portal_link_minutes"], 30);
    assert_eq!(defaults["invite_days"], 7);
    assert_eq!(defaults["password_reset_minutes"], 60);
    assert_eq!(defaults["publish_staff_names"], true);
    assert_eq!(defaults["publish_staff_titles"], true);
    assert_eq!(defaults["publish_staff_phones"], false);

    for (change, words) in [
        (
            json!({"time_zone": "Europe/Atlantis"}),
            "“Europe/Atlantis” is not a time zone we know",
        ),
        (
            json!({"business_hours": {"monday": {"opens": "17:00", "closes": "09:00"}, "tuesday": {"opens": "09:00", "closes": "17:00"}}}),
            "Opening hours on Monday: the day closes (09:00) before it opens (17:00)",
        ),
        (
            json!({"business_hours": {"monday": {"opens": "nine", "closes": "17:00"}}}),
            "“nine” is not a time of day",
        ),
        (
            json!({"business_hours": {}}),
            "at least one weekday must be open",
        ),
        (
            json!({"holidays": [{"date": "25/12/2026", "name": "Christmas"}]}),
            "“25/12/2026” is not a date",
        ),
        (
            json!({"holidays": [{"date": "2026-12-25"}, {"date": "2026-12-25", "name": "Again"}]}),
            "2026-12-25 is listed twice",
        ),
        (
            json!({"portal_link_minutes": 2}),
            "must be from 5 to 1440 minutes",
        ),
        (json!({"invite_days": 0}), "must be from 1 to 30 days"),
    ] {
        let (status, body) = app.api().patch("/api/v1/settings", change.clone()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{change}: {body}");
        assert!(
            error_message(&body).contains(words),
            "{change}: {}",
            error_message(&body)
        );
    }
    let (_, unchanged) = app.api().get("/api/v1/settings").await;
    assert_eq!(unchanged, defaults, "a refused change changes nothing");

    let (_, sam) = app.agent("sam@rapport.test", Role::Supervisor, None).await;
    let (status, _) = app
        .api_as(Some(&sam))
        .patch("/api/v1/settings", json!({"time_zone": "Asia/Tokyo"}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let (status, changed) = app
        .api()
        .patch(
            "/api/v1/settings",
            json!({
                "time_zone": "Asia/Tokyo",
                "business_hours": {"monday": {"opens": "08:30", "closes": "18:00"}, "saturday": {"opens": "10:00", "closes": "14:00"}},
                "holidays": [{"date": "2026-12-31", "name": "New Year's Eve"}, {"date": "2026-11-25", "name": "Founders' Day"}],
                "promise_reminder_minutes": 15,
                "publish_staff_phones": true
            }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(changed["time_zone"], "Asia/Tokyo");
    assert_eq!(
        changed["business_hours"],
        json!({"monday": {"opens": "08:30", "closes": "18:00"}, "tuesday": null, "wednesday": null, "thursday": null, "friday": null, "saturday": {"opens": "10:00", "closes": "14:00"}, "sunday": null})
    );
    assert_eq!(
        changed["holidays"],
        json!([{"date": "2026-11-25", "name": "Founders' Day"}, {"date": "2026-12-31", "name": "New Year's Eve"}]),
        "in date order"
    );
    assert_eq!(changed["promise_reminder_minutes"], 15);
    assert_eq!(changed["publish_staff_phones"], true);

    // The audit trail says what changed, before and after, and who changed it.
    let (_, audit) = app.api().get("/api/v1/audit?action=settings.updated").await;
    let event = &audit["items"][0];
    assert_eq!(
        event["changes"]["time_zone"],
        json!({"before": "UTC", "after": "Asia/Tokyo"})
    );
    assert_eq!(
        event["changes"]["promise_reminder_minutes"],
        json!({"before": 60, "after": 15})
    );
    assert_eq!(event["actor"]["id"], app.admin.id);
    assert!(event["changes"].get("workspace_name").is_none());
}

#[tokio::test]
async fn check_ins_count_business_days_in_the_workspaces_time_zone_skipping_holidays() {
    let app = TestApp::spawn().await;
    // Monday 23:00 UTC is already Tuesday 08:00 in Tokyo; Wednesday is a holiday there.
    let (status, body) = app
        .api()
        .patch(
            "/api/v1/settings",
            json!({
                "time_zone": "Asia/Tokyo",
                "holidays": [{"date": "2026-11-25", "name": "Founders' Day"}],
                "waiting_check_in_business_days": [1]
            }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    app.advance(Duration::hours(14)).await;
    let id = app.ticket("Backup fails", "dan@example.com").await["id"]
        .as_i64()
        .expect("id");
    let (status, body) = app
        .api()
        .post(
            &format!("/api/v1/tickets/{id}/messages"),
            json!({"body": "Dan, could you try tonight's backup?", "visibility": "public"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    // A day later in UTC terms the check-in would be due, but Tokyo's next business day after
    // Tuesday is Thursday.
    app.advance(Duration::days(1)).await;
    assert!(
        app.tasks_of(app.admin.id).await.is_empty(),
        "not on the holiday"
    );
    app.advance(Duration::days(1)).await;
    let tasks = app.tasks_of(app.admin.id).await;
    assert_eq!(tasks.len(), 1, "Thursday 08:00 in Tokyo");
    assert_eq!(
        tasks[0].due_at,
        rapport_store::clock::format(START + Duration::hours(14) + Duration::days(2))
    );

    // The pages read times on Tokyo's clock.
    let (_, cookie, _) = signed_in(&app, "maya@rapport.test", Role::Admin).await;
    let (status, page) = get_page(&app, &cookie, &format!("/tickets/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Tue 24 Nov, 08:00 JST"), "{page}");
}

#[tokio::test]
async fn a_promise_reminder_comes_as_long_before_as_the_workspace_says() {
    let app = TestApp::spawn().await;
    let (status, _) = app
        .api()
        .patch("/api/v1/settings", json!({"promise_reminder_minutes": 15}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let ticket = app.ticket("Invoice copy", "eve@example.com").await;
    let due = START + Duration::hours(2);
    let (status, promise) = app
        .api()
        .post(
            "/api/v1/promises",
            json!({
                "ticket_id": ticket["id"],
                "kind": "other",
                "what": "Send Eve the invoice copy",
                "due_at": rapport_store::clock::format(due),
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{promise}");
    app.advance(Duration::minutes(100)).await;
    assert!(
        app.tasks_of(app.admin.id)
            .await
            .iter()
            .all(|t| t.kind != "promise_reminder"),
        "not an hour before any more"
    );
    app.advance(Duration::minutes(6)).await;
    assert!(
        app.tasks_of(app.admin.id)
            .await
            .iter()
            .any(|t| t.kind == "promise_reminder"),
        "a quarter of an hour before"
    );
}

#[tokio::test]
async fn the_settings_page_keeps_the_calendar_and_says_what_is_wrong() {
    let app = TestApp::spawn().await;
    let (_, cookie, csrf) = signed_in(&app, "maya@rapport.test", Role::Admin).await;
    let (status, page) = get_page(&app, &cookie, "/admin/settings").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Opening hours") && page.contains("America/New_York"));

    let form = |zone: &'static str, holidays: &'static str| {
        vec![
            ("time_zone", zone),
            ("week", "1"),
            ("open_monday", "1"),
            ("opens_monday", "09:00"),
            ("closes_monday", "17:00"),
            ("open_friday", "1"),
            ("opens_friday", "09:00"),
            ("closes_friday", "13:00"),
            ("opens_tuesday", "09:00"),
            ("closes_tuesday", "17:00"),
            ("holidays", holidays),
            ("promise_reminder_minutes", "30"),
            ("staff_visibility", "1"),
            ("publish_staff_titles", "1"),
        ]
    };
    let mut wrong = form("Europe/Berlin", "Christmas 2026-12-25");
    wrong.push(("csrf", &csrf));
    let (status, page) = post_form(&app, &cookie, "/admin/settings", &wrong).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("“Christmas” is not a date"), "{page}");

    let mut right = form("Europe/Berlin", "2026-12-25 Christmas Day\n2026-12-26");
    right.push(("csrf", &csrf));
    let (status, _) = post_form(&app, &cookie, "/admin/settings", &right).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, settings) = app.api().get("/api/v1/settings").await;
    assert_eq!(settings["time_zone"], "Europe/Berlin");
    assert_eq!(
        settings["business_hours"]["friday"],
        json!({"opens": "09:00", "closes": "13:00"})
    );
    assert_eq!(
        settings["business_hours"]["tuesday"],
        json!(null),
        "unticked"
    );
    assert_eq!(
        settings["holidays"],
        json!([{"date": "2026-12-25", "name": "Christmas Day"}, {"date": "2026-12-26", "name": ""}])
    );
    assert_eq!(settings["promise_reminder_minutes"], 30);
    assert_eq!(settings["publish_staff_names"], false, "unticked");
    assert_eq!(settings["publish_staff_titles"], true);
    let (_, page) = get_page(&app, &cookie, "/admin/settings").await;
    assert!(page.contains("2026-12-25 Christmas Day"), "{page}");
}

#[tokio::test]
async fn the_settings_page_sets_the_mail_servers_and_keeps_a_password_left_blank() {
    let app = TestApp::spawn().await;
    let (_, cookie, csrf) = signed_in(&app, "maya@rapport.test", Role::Admin).await;
    let form = |port: &'static str, password: &'static str| {
        vec![
            ("mail_form", "1"),
            ("public_url", "https://help.harbor.example"),
            ("mail_from", "help@harbor.example"),
            ("smtp_host", "smtp.harbor.example"),
            ("smtp_port", port),
            ("smtp_security", "tls"),
            ("smtp_username", "desk"),
            ("smtp_password", password),
            ("imap_name", "support"),
            ("imap_host", ""),
        ]
    };
    let mut wrong = form("twenty-five", "");
    wrong.push(("csrf", &csrf));
    let (status, page) = post_form(&app, &cookie, "/admin/settings", &wrong).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.contains("“twenty-five” is not a port number"),
        "{page}"
    );

    for password in ["hunter2-long", ""] {
        let mut right = form("465", password);
        right.push(("csrf", &csrf));
        let (status, _) = post_form(&app, &cookie, "/admin/settings", &right).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let (_, settings) = app.api().get("/api/v1/settings").await;
        assert_eq!(
            settings["mail"]["smtp"],
            json!({"host": "smtp.harbor.example", "port": 465, "security": "tls", "username": "desk", "password_set": true}),
            "a blank password keeps the one set"
        );
        assert_eq!(settings["mail"]["imap"], json!([]));
        assert_eq!(
            settings["mail"]["public_url"],
            "https://help.harbor.example"
        );
    }
    let (_, page) = get_page(&app, &cookie, "/admin/settings").await;
    assert!(page.contains("set; blank keeps it") && !page.contains("hunter2-long"));
    assert_eq!(app.app.store.public_url(), "https://help.harbor.example");
}

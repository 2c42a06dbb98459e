//! Reading every real mail right: senders written in ways mail programs should not write them,
//! and headers in raw 8-bit text, through the real intake; the fixtures are the mail crate's.

use crate::helpers::{Api, TestApp, error_code};
use crate::workspace::signed_in;
use rapport_domain::Role;
use reqwest::{Method, StatusCode};
use serde_json::Value;

macro_rules! fixture {
    ($name:literal) => {
        include_bytes!(concat!("../../../mail/tests/fixtures/", $name, ".eml"))
    };
}

pub async fn post_mail(app: &TestApp, raw: &[u8]) -> (StatusCode, Value) {
    let request = app
        .intake()
        .request(Method::POST, "/api/v1/inbound/email")
        .header("content-type", "message/rfc822")
        .body(raw.to_vec());
    Api::send(request).await
}

#[tokio::test]
async fn odd_senders_reach_an_agent_with_a_note_and_only_a_mail_without_any_is_refused() {
    let app = TestApp::spawn().await;
    let cases: [(&[u8], &str, &str); 6] = [
        (
            fixture!("sender_no_dot_in_domain"),
            "priya@fileserver",
            "has no dot after the @",
        ),
        (
            fixture!("sender_trailing_dot"),
            "tomas@ortega-bikes.example",
            "written as \u{201c}tomas@ortega-bikes.example.\u{201d}",
        ),
        (
            fixture!("sender_name_in_address"),
            "mina@parkstudio.example",
            "written as \u{201c}Mina Park mina@parkstudio.example\u{201d}",
        ),
        (
            fixture!("sender_unusable_first"),
            "oskar@lindbygg.example",
            "also named \u{201c}@lindbygg.example\u{201d}",
        ),
        (
            fixture!("sender_from_reply_to"),
            "hana.novak@brnoparts.example",
            "read from the Reply-To line",
        ),
        (
            fixture!("sender_mailto_and_double_at"),
            "ruth@adeyemi-law.example",
            "read as ruth@adeyemi-law.example",
        ),
    ];
    let (_, cookie, _) = signed_in(&app, "sam@rapport.test", Role::Agent).await;
    for (raw, address, note) in cases {
        let (status, ingested) = post_mail(&app, raw).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{address}: {ingested}");
        assert_eq!(ingested["outcome"], "new_ticket", "{address}");
        let (_, ticket) = app
            .api()
            .get(&format!("/api/v1/tickets/{}", ingested["ticket_id"]))
            .await;
        let email = &ticket["messages"][0]["email"];
        assert_eq!(email["from"], address, "{ticket}");
        let said = email["intake_note"].as_str().unwrap_or_default();
        assert!(said.contains(note), "{address}: {said}");
        let (_, customers) = app
            .api()
            .get(&format!("/api/v1/customers?email={address}"))
            .await;
        assert_eq!(customers["items"][0]["id"], ticket["customer_id"]);
        // The agent sees the note beside the message.
        let (status, page) = crate::helpers::get_page(
            &app,
            &cookie,
            &format!("/tickets/{}", ingested["ticket_id"]),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            page.contains(&askama_escape(note)),
            "{address}: the page lacks the note"
        );
    }

    // An empty first address is simply skipped; nothing odd to say about the good one.
    let (status, ingested) = post_mail(&app, fixture!("sender_empty_first")).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{ingested}");
    let (_, ticket) = app
        .api()
        .get(&format!("/api/v1/tickets/{}", ingested["ticket_id"]))
        .await;
    assert_eq!(
        ticket["messages"][0]["email"]["from"],
        "oskar@lindbygg.example"
    );
    assert!(ticket["messages"][0]["email"]["intake_note"].is_null());

    // No sender anywhere: refused, and kept.
    let (status, body) = post_mail(&app, fixture!("sender_missing")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(error_code(&body), "not_an_email");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("No sender address could be found")),
        "{body}"
    );
}

/// How askama writes text into a page.
pub fn askama_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&#34;")
        .replace('\'', "&#39;")
}

#[tokio::test]
async fn raw_8bit_subjects_are_read_in_the_message_charset_and_the_raw_bytes_are_kept() {
    let app = TestApp::spawn().await;
    let cases: [(&[u8], &str, &str, &str); 5] = [
        (
            fixture!("raw_subject_gb2312"),
            "打印机无法连接网络",
            "王小明",
            "read as GBK, the charset of the message's text",
        ),
        (
            fixture!("raw_subject_big5"),
            "發票金額錯誤，請更正",
            "陳美玲",
            "read as Big5",
        ),
        (
            fixture!("raw_subject_shift_jis"),
            "注文の配送が遅れています",
            "佐藤健",
            "read as Shift_JIS",
        ),
        (
            fixture!("raw_subject_iso_2022_jp"),
            "パスワードを忘れました",
            "山田花子",
            "read as ISO-2022-JP",
        ),
        (
            fixture!("raw_subject_gbk_undeclared"),
            "我们的账户无法登录，请尽快处理这个问题",
            "Li Na",
            "read as GBK, a guess from their bytes",
        ),
    ];
    for (raw, subject, name, note) in cases {
        let (status, ingested) = post_mail(&app, raw).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{subject}: {ingested}");
        let (_, ticket) = app
            .api()
            .get(&format!("/api/v1/tickets/{}", ingested["ticket_id"]))
            .await;
        assert_eq!(ticket["subject"], subject);
        let said = ticket["messages"][0]["email"]["intake_note"]
            .as_str()
            .unwrap_or_default();
        assert!(said.contains(note), "{subject}: {said}");
        let (_, customer) = app
            .api()
            .get(&format!("/api/v1/customers/{}", ticket["customer_id"]))
            .await;
        assert_eq!(customer["name"], name, "{customer}");
        // The mail as it came, byte for byte, for an admin.
        let kept = app
            .api()
            .request(
                Method::GET,
                &format!("/api/v1/inbound/emails/{}/raw", ingested["inbound_id"]),
            )
            .send()
            .await
            .expect("raw");
        assert_eq!(kept.bytes().await.expect("bytes").as_ref(), raw);
    }
}

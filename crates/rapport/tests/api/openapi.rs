use crate::helpers::{Api, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::Value;

#[tokio::test]
async fn the_document_describes_every_route_and_every_described_route_exists() {
    let app = TestApp::spawn().await;

    let (status, doc) = app.api_as(None).get("/api/v1/openapi.json").await;

    assert_eq!(status, StatusCode::OK);
    assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")));
    let paths = doc["paths"].as_object().expect("paths");
    let mut expected = vec![
        "/healthz",
        "/readyz",
        "/api/v1/openapi.json",
        "/api/v1/audit",
        "/api/v1/me/password",
        "/api/v1/me/two-factor",
        "/api/v1/me/two-factor/confirm",
        "/api/v1/session/two-factor",
        "/api/v1/agents/{id}/two-factor",
        "/api/v1/session/end-others",
        "/api/v1/tokens",
        "/api/v1/tokens/{id}",
        "/api/v1/agents",
        "/api/v1/agents/me",
        "/api/v1/agents/{id}/coaching",
        "/api/v1/attachments/{id}",
        "/api/v1/coach/reply",
        "/api/v1/filtered-mail",
        "/api/v1/filtered-mail/{id}/ticket",
        "/api/v1/inbound/email",
        "/api/v1/inbound/emails",
        "/api/v1/inbound/emails/{id}/raw",
        "/api/v1/insight/message",
        "/api/v1/teams/{id}/coaching",
        "/api/v1/customers",
        "/api/v1/customers/{id}",
        "/api/v1/customers/{id}/health",
        "/api/v1/customers/{id}/data",
        "/api/v1/customers/{id}/erase",
        "/api/v1/customers/{id}/merge",
        "/api/v1/customers/{id}/moments",
        "/api/v1/customers/{id}/promises",
        "/api/v1/customers/{id}/timeline",
        "/api/v1/customers/{id}/emails",
        "/api/v1/customers/{id}/emails/{address}",
        "/api/v1/customers/{id}/emails/{address}/primary",
        "/api/v1/organizations/{id}/domains",
        "/api/v1/organizations/{id}/domains/{domain}",
        "/api/v1/organizations/{id}/health",
        "/api/v1/organizations/{id}/timeline",
        "/api/v1/promises",
        "/api/v1/promises/{id}/settle",
        "/api/v1/promises/{id}/accept",
        "/api/v1/public/resolution/{token}",
        "/api/v1/public/surveys/{token}",
        "/api/v1/search",
        "/api/v1/session",
        "/api/v1/settings",
        "/api/v1/tasks",
        "/api/v1/tasks/{id}/complete",
        "/api/v1/notifications",
        "/api/v1/notifications/{id}/read",
        "/api/v1/notifications/read-all",
        "/api/v1/notifications/settings",
        "/api/v1/tickets/{id}/calls",
        "/api/v1/tickets/{id}/state",
        "/api/v1/organizations",
        "/api/v1/organizations/{id}",
        "/api/v1/teams",
        "/api/v1/teams/{id}",
        "/api/v1/tickets/bulk",
        "/api/v1/saved-replies",
        "/api/v1/saved-replies/{id}",
        "/api/v1/saved-replies/{id}/fill",
        "/api/v1/sla-policies",
        "/api/v1/letters",
        "/api/v1/letters/{id}",
        "/api/v1/letters/{id}/answer",
        "/api/v1/contracts",
        "/api/v1/contracts/{id}",
        "/api/v1/customers/{id}/contracts",
        "/api/v1/assets",
        "/api/v1/assets/{id}",
        "/api/v1/tickets/{id}/assets",
        "/api/v1/tickets/{id}/entitlement",
        "/api/v1/tickets/{id}/escalate",
        "/api/v1/escalations",
        "/api/v1/escalations/{id}/acknowledge",
        "/api/v1/complaints",
        "/api/v1/complaints/{id}",
        "/api/v1/complaints/{id}/actions",
        "/api/v1/complaints/{id}/outcome",
        "/api/v1/tickets/{id}/complaints",
        "/api/v1/customers/{id}/complaints",
        "/api/v1/reports/recovery",
        "/api/v1/policies",
        "/api/v1/policies/{id}",
        "/api/v1/tickets/{id}/policy-exceptions",
        "/api/v1/policy-exceptions",
        "/api/v1/policy-exceptions/{id}",
        "/api/v1/policy-exceptions/{id}/decide",
        "/api/v1/sla-policies/{id}",
        "/api/v1/tickets/{id}/sla",
        "/api/v1/agents/{id}",
        "/api/v1/agents/{id}/invitation",
        "/api/v1/agents/{id}/work",
        "/api/v1/agents/{id}/deactivate",
        "/api/v1/agents/{id}/sessions/end",
        "/api/v1/tickets",
        "/api/v1/tickets/{id}",
        "/api/v1/tickets/{id}/events",
        "/api/v1/tickets/{id}/messages",
        "/api/v1/webhooks",
        "/api/v1/webhooks/{id}",
        "/api/v1/webhooks/{id}/test",
        "/api/v1/webhooks/{id}/deliveries",
        "/api/v1/webhooks/{id}/deliveries/{delivery_id}",
    ];
    expected.sort_unstable();
    let mut documented: Vec<&str> = paths.keys().map(String::as_str).collect();
    documented.sort_unstable();
    assert_eq!(documented, expected);

    // Every documented operation is served (never the 404/405 fallbacks) and documents a success.
    for (path, item) in paths {
        let concrete = path.replace("{id}", "1");
        for (method, operation) in item.as_object().expect("path item") {
            let Ok(method) = method.to_uppercase().parse::<Method>() else {
                continue;
            };
            let responses = operation["responses"].as_object().expect("responses");
            assert!(
                responses.keys().any(|code| code.starts_with('2')),
                "{method} {path} documents a success"
            );
            let (status, body) = Api::send(app.api().request(method.clone(), &concrete)).await;
            let code = body["error"]["code"].as_str().unwrap_or_default();
            assert!(
                code != "route_not_found" && code != "method_not_allowed",
                "{method} {path} is documented but not served: {status} {body}"
            );
        }
    }
}

#[tokio::test]
async fn error_responses_and_the_token_scheme_are_documented() {
    let app = TestApp::spawn().await;

    let (_, doc) = app.api_as(None).get("/api/v1/openapi.json").await;

    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    let error_schema: &Value = &doc["components"]["schemas"]["ErrorBody"];
    assert!(error_schema.is_object(), "the error envelope is a schema");
    let create = &doc["paths"]["/api/v1/tickets"]["post"];
    assert!(create["responses"]["422"].is_object());
    assert!(create["requestBody"].is_object());
    for code in ["400", "401", "415", "500"] {
        assert!(
            create["responses"][code].is_object(),
            "{code} is documented on POST /api/v1/tickets"
        );
    }
    assert!(
        doc["paths"]["/healthz"]["get"]["responses"]["401"].is_null(),
        "no token needed, so no 401"
    );
    // Schemas with the same name would overwrite each other: the health check and the
    // relationship health are different things.
    assert!(doc["components"]["schemas"]["Health"]["properties"]["band"].is_object());
    assert!(doc["components"]["schemas"]["HealthCheck"]["properties"]["status"].is_object());
}

/// Two types with the same name would be one schema in the document, and one of them would
/// describe the other's answers (the fuzzer found `PolicyList` twice): every type the document
/// describes has a name of its own.
#[test]
fn every_schema_has_a_name_of_its_own() {
    fn walk(dir: &std::path::Path, files: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("a source folder").flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, files);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    let crates = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    for name in ["domain", "store", "rapport", "coach"] {
        walk(&crates.join(name).join("src"), &mut files);
    }
    let mut seen: std::collections::BTreeMap<String, String> = Default::default();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("source");
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            if !(line.contains("#[derive(") && line.contains("ToSchema")) {
                continue;
            }
            let Some(name) = lines[i + 1..].iter().take(4).find_map(|l| {
                let l = l.trim_start();
                l.strip_prefix("pub struct ")
                    .or_else(|| l.strip_prefix("pub enum "))
                    .map(|rest| {
                        rest.split(|c: char| !c.is_alphanumeric() && c != '_')
                            .next()
                            .unwrap_or_default()
                            .to_owned()
                    })
            }) else {
                continue;
            };
            let place = file.display().to_string();
            if let Some(before) = seen.insert(name.clone(), place.clone()) {
                panic!("`{name}` is a schema in {before} and in {place}");
            }
        }
    }
    assert!(seen.contains_key("Ticket"), "the walk found the types");
}

//! The OpenAPI document. Paths and schemas come from the handlers' `#[utoipa::path]`
//! declarations, collected by the router; this file adds the title and the token scheme.

use crate::app::App;
use crate::extract::Json;
use axum::Router;
use axum::routing::get;
use utoipa::OpenApi as _;
use utoipa::openapi::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};

#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "Rapport API",
        description = "A help desk with a relationship memory. Authenticate with `Authorization: Bearer <token>`; \
                       errors are `{\"error\": {\"code\", \"message\"}}` with stable codes."
    ),
    modifiers(&BearerToken)
)]
struct ApiDoc;

struct BearerToken;

impl utoipa::Modify for BearerToken {
    fn modify(&self, openapi: &mut OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "intake",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "A mail intake token (`rapport admin create-intake-token`): it posts inbound mail and nothing else.",
                    ))
                    .build(),
            ),
        );
    }
}

pub fn base() -> OpenApi {
    ApiDoc::openapi()
}

/// Documents the errors every operation can answer with, so the document lists them even
/// where a handler's own declaration does not: 400 (unreadable request), 401 (no or bad token,
/// on secured operations), 415 (a body that is not JSON), 422 (a body that does not fit), and
/// 500 (our failure, with nothing leaked).
pub fn add_common_errors(openapi: &mut OpenApi) {
    use utoipa::openapi::{RefOr, ResponseBuilder, content::ContentBuilder};
    let error = |description: &str| -> RefOr<utoipa::openapi::Response> {
        RefOr::T(
            ResponseBuilder::new()
                .description(description)
                .content(
                    "application/json",
                    ContentBuilder::new()
                        .schema(Some(utoipa::openapi::Ref::from_schema_name("ErrorBody")))
                        .build(),
                )
                .build(),
        )
    };
    for item in openapi.paths.paths.values_mut() {
        for operation in [
            &mut item.get,
            &mut item.post,
            &mut item.patch,
            &mut item.put,
            &mut item.delete,
        ]
        .into_iter()
        .flatten()
        {
            let responses = &mut operation.responses.responses;
            responses.entry("400".into()).or_insert_with(|| {
                error("The request could not be read (query, path or JSON syntax)")
            });
            responses
                .entry("500".into())
                .or_insert_with(|| error("Something failed on our side; nothing is leaked"));
            if operation.security.as_ref().is_some_and(|s| !s.is_empty()) {
                responses
                    .entry("401".into())
                    .or_insert_with(|| error("No API token, or not a valid one"));
            }
            if operation.request_body.is_some() {
                responses
                    .entry("413".into())
                    .or_insert_with(|| error("The body is too large"));
                responses
                    .entry("415".into())
                    .or_insert_with(|| error("The body is not sent as JSON"));
                responses.entry("422".into()).or_insert_with(|| {
                    error("The body does not fit: a field is missing, unknown or invalid")
                });
            }
        }
    }
}

/// Serves the finished document at `/api/v1/openapi.json` (it describes itself too).
pub fn router(mut openapi: OpenApi) -> Router<App> {
    let document = utoipa::openapi::path::PathItem::new(
        utoipa::openapi::HttpMethod::Get,
        utoipa::openapi::path::OperationBuilder::new()
            .summary(Some("This OpenAPI document"))
            .operation_id(Some("openapi"))
            .tag("meta")
            .response(
                "200",
                utoipa::openapi::ResponseBuilder::new()
                    .description("The OpenAPI 3 document")
                    .build(),
            ),
    );
    openapi
        .paths
        .paths
        .insert("/api/v1/openapi.json".to_owned(), document);
    Router::new().route(
        "/api/v1/openapi.json",
        get(move || async move { Json(openapi.clone()) }),
    )
}

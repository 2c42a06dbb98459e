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
    }
}

pub fn base() -> OpenApi {
    ApiDoc::openapi()
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

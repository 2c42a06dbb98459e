//! All routes in one place: each domain contributes its `router()`, and the middleware is
//! applied here, once. The OpenAPI document is collected from the same route declarations, so
//! a route cannot exist without being documented.

use crate::app::App;
use crate::error::ApiError;
use crate::{
    agents, audit, coach, customers, healthz, inbound, insight, openapi, organizations, pages,
    portal, promises, public, session, settings, tasks, teams, tickets, tokens, two_factor,
    workspace,
};
use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::http::StatusCode;
use tower_http::trace::TraceLayer;
use utoipa::openapi::OpenApi;
use utoipa_axum::router::OpenApiRouter;

/// Requests larger than this are refused with 413 before they are read.
const MAX_REQUEST_BYTES: usize = 2 * 1024 * 1024;

pub fn router(app: App) -> (Router, OpenApi) {
    let (api, openapi) = OpenApiRouter::with_openapi(openapi::base())
        .merge(healthz::router())
        .merge(customers::router())
        .merge(organizations::router())
        .merge(tickets::router())
        .merge(teams::router())
        .merge(agents::router())
        .merge(coach::router())
        .merge(insight::router())
        .merge(promises::router())
        .merge(tasks::router())
        .merge(inbound::router())
        .merge(settings::router())
        .merge(session::router())
        .merge(two_factor::router())
        .merge(tokens::router())
        .merge(audit::router())
        .merge(public::api_router())
        .split_for_parts();
    let mut openapi = openapi;
    openapi::add_common_errors(&mut openapi);

    let router = api
        .merge(openapi::router(openapi.clone()))
        .merge(workspace::router())
        .merge(portal::router())
        .merge(public::page_router())
        .route("/assets/{name}", axum::routing::get(pages::assets::serve))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_REQUEST_BYTES))
        .layer(axum::middleware::from_fn(pages::security_headers))
        .layer(axum::middleware::from_fn(no_store))
        .layer(
            TraceLayer::new_for_http().make_span_with(|request: &Request| {
                let route = request
                    .extensions()
                    .get::<MatchedPath>()
                    .map(MatchedPath::as_str)
                    .unwrap_or("unmatched");
                tracing::info_span!("request", method = %request.method(), route)
            }),
        )
        .with_state(app);
    (router, openapi)
}

/// Nothing but the built-in assets may be kept by a browser or a proxy: pages, API answers and
/// files all depend on who asks (a session or a token), and a shared computer or cache must
/// not hand them to the next person.
async fn no_store(request: Request, next: axum::middleware::Next) -> axum::response::Response {
    let asset = request.uri().path().starts_with("/assets/");
    let mut response = next.run(request).await;
    if !asset {
        response.headers_mut().insert(
            axum::http::header::CACHE_CONTROL,
            axum::http::HeaderValue::from_static("no-store"),
        );
    }
    response
}

/// Unknown addresses: a JSON error for the API, a page for people.
async fn not_found(uri: axum::http::Uri) -> axum::response::Response {
    use axum::response::IntoResponse;
    if uri.path().starts_with("/api/") {
        return ApiError::not_found(
            "route_not_found",
            "There is no such endpoint. The API is described at /api/v1/openapi.json.",
        )
        .into_response();
    }
    pages::PageError::not_found(
        "There is no such page. Check the address, or start from the inbox (or /portal for customers).",
    )
    .into_response()
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "This endpoint does not accept that HTTP method. The API is described at /api/v1/openapi.json.",
    )
}

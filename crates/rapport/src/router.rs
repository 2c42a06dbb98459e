//! All routes in one place: each domain contributes its `router()`, and the middleware is
//! applied here, once. The OpenAPI document is collected from the same route declarations, so
//! a route cannot exist without being documented.

use crate::app::App;
use crate::error::ApiError;
use crate::{
    admin, agents, audit, coach, complaints, contracts, customers, escalations, filtered, healthz,
    inbound, insight, letters, metrics, notifications, openapi, organizations, pages, policies,
    portal, promises, public, saved_replies, search, service_levels, session, settings, tasks,
    teams, tickets, tokens, two_factor, webhooks, workspace,
};
use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::http::StatusCode;
use tower_http::trace::TraceLayer;
use utoipa::openapi::OpenApi;
use utoipa_axum::router::OpenApiRouter;

/// The files every page loads (styles, scripts), built into the binary.
const ASSETS: &str = "/assets/{name}";

/// Every route outside the API, as (method, path): the workspace, the portal, the public
/// links and the assets. The API's routes are in its OpenAPI document. The authorization
/// matrix test (`tests/api/matrix.rs`) reads both, so a route without a row there fails it;
/// the test below holds this list to what the routers declare.
pub fn page_routes() -> Vec<(&'static str, &'static str)> {
    [
        workspace::ROUTES,
        admin::ROUTES,
        portal::ROUTES,
        public::PAGE_ROUTES,
        &[("GET", ASSETS), ("GET", "/metrics")],
    ]
    .concat()
}

/// Requests larger than this are refused with 413 before they are read.
const MAX_REQUEST_BYTES: usize = 2 * 1024 * 1024;

pub fn router(app: App) -> (Router, OpenApi) {
    let (api, openapi) = OpenApiRouter::with_openapi(openapi::base())
        .merge(healthz::router())
        .merge(customers::router())
        .merge(organizations::router())
        .merge(tickets::router())
        .merge(search::router())
        .merge(service_levels::router())
        .merge(escalations::router())
        .merge(contracts::router())
        .merge(complaints::router())
        .merge(letters::router())
        .merge(policies::router())
        .merge(teams::router())
        .merge(agents::router())
        .merge(coach::router())
        .merge(insight::router())
        .merge(promises::router())
        .merge(tasks::router())
        .merge(notifications::router())
        .merge(inbound::router())
        .merge(filtered::router())
        .merge(settings::router())
        .merge(saved_replies::router())
        .merge(session::router())
        .merge(two_factor::router())
        .merge(tokens::router())
        .merge(audit::router())
        .merge(webhooks::router())
        .merge(public::api_router())
        .split_for_parts();
    let mut openapi = openapi;
    openapi::add_common_errors(&mut openapi);

    let router = api
        .merge(openapi::router(openapi.clone()))
        .merge(workspace::router())
        .merge(admin::router())
        .merge(portal::router())
        .merge(public::page_router())
        .route(ASSETS, axum::routing::get(pages::assets::serve))
        .route("/metrics", axum::routing::get(metrics::serve))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_REQUEST_BYTES))
        .layer(axum::middleware::from_fn(pages::security_headers))
        .layer(axum::middleware::from_fn(no_store))
        .layer(axum::middleware::from_fn(metrics::track))
        .layer(
            TraceLayer::new_for_http().make_span_with(|request: &Request| {
                let route = request
                    .extensions()
                    .get::<MatchedPath>()
                    .map(MatchedPath::as_str)
                    .unwrap_or("unmatched");
                let request_id = request
                    .extensions()
                    .get::<crate::request_id::RequestId>()
                    .map(|id| id.0.as_str())
                    .unwrap_or_default();
                tracing::info_span!("request", method = %request.method(), route, request_id)
            }),
        )
        .layer(axum::middleware::from_fn(crate::request_id::assign))
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

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    /// The `(method, path)` pairs a router's source declares with `.route("path", get(..).post(..))`.
    fn declared(source: &str) -> BTreeSet<(String, String)> {
        let mut routes = BTreeSet::new();
        let mut rest = source;
        while let Some(at) = rest.find(".route(") {
            rest = &rest[at + ".route(".len()..];
            let call = &rest[..closing_paren(rest)];
            let path = call
                .trim_start()
                .strip_prefix('"')
                .and_then(|quoted| quoted.split('"').next())
                .map(str::to_owned)
                .unwrap_or_else(|| call.split(',').next().unwrap_or_default().trim().to_owned());
            for method in ["get", "post", "put", "patch", "delete"] {
                let token = format!("{method}(");
                let mut search = call;
                while let Some(found) = search.find(&token) {
                    let before = search[..found].chars().next_back();
                    if !before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                        routes.insert((method.to_uppercase(), path.clone()));
                    }
                    search = &search[found + token.len()..];
                }
            }
        }
        routes
    }

    /// The length of the text up to the `)` that closes a call already opened.
    fn closing_paren(text: &str) -> usize {
        let mut depth = 1;
        for (i, c) in text.char_indices() {
            match c {
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth == 0 {
                        return i;
                    }
                }
                _ => {}
            }
        }
        text.len()
    }

    #[test]
    fn the_page_route_list_is_what_the_routers_declare() {
        let router = include_str!("router.rs");
        let router = &router[..router.find("#[cfg(test)]").unwrap_or(router.len())];
        let mut served = BTreeSet::new();
        for source in [
            include_str!("workspace/mod.rs"),
            include_str!("admin/mod.rs"),
            include_str!("portal/mod.rs"),
            include_str!("public/mod.rs"),
            router,
        ] {
            served.extend(declared(source));
        }
        // `ASSETS` is a constant in `router.rs`.
        assert!(served.remove(&("GET".to_owned(), "ASSETS".to_owned())));
        served.insert(("GET".to_owned(), super::ASSETS.to_owned()));
        let listed: BTreeSet<(String, String)> = super::page_routes()
            .into_iter()
            .map(|(method, path)| (method.to_owned(), path.to_owned()))
            .collect();
        assert_eq!(
            super::page_routes().len(),
            listed.len(),
            "a route listed twice"
        );
        let unlisted: Vec<_> = served.difference(&listed).collect();
        let not_served: Vec<_> = listed.difference(&served).collect();
        assert!(
            unlisted.is_empty() && not_served.is_empty(),
            "served but not in the module's ROUTES: {unlisted:?}; listed but not served: {not_served:?}"
        );
    }
}

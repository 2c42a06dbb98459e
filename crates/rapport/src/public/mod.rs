//! What customers reach without an account: the "did this fix it?" links and the survey links
//! in the messages we send them. Each link is a single-use secret; the pages work without
//! JavaScript, and the same actions exist as JSON under `/api/v1/public`.
//!
//! Opening a link never changes anything (mail scanners open links); the answer is given with
//! a button, which posts.

mod resolution;
mod survey;

use crate::app::App;
use axum::Router;
use axum::routing::get;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn api_router() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(resolution::answer_resolution))
        .routes(routes!(survey::answer_survey))
}

pub fn page_router() -> Router<App> {
    Router::new()
        .route(
            "/resolution/{token}",
            get(resolution::page).post(resolution::submit_page),
        )
        .route(
            "/survey/{token}",
            get(survey::page).post(survey::submit_page),
        )
}

/// A small page for customers, styled by the shared stylesheet (no inline styles: the
/// Content-Security-Policy allows none).
fn page(title: &str, body: &str) -> axum::response::Html<String> {
    axum::response::Html(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{title}</title>\
         <link rel=\"stylesheet\" href=\"/assets/rapport.css\"></head>\
         <body class=\"portal\"><main class=\"narrow\"><div class=\"card\">{body}</div></main></body></html>",
        title = rapport_domain::message::escape_html(title)
    ))
}

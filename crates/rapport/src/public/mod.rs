//! What customers reach without an account: the "did this fix it?" links and the survey links
//! in the messages we send them. Each link is a single-use secret; the pages work without
//! JavaScript, and the same actions exist as JSON under `/api/v1/public`.
//!
//! Opening a link never changes anything (mail scanners open links); the answer is given with
//! a button, which posts.

mod resolution;
mod survey;

use crate::app::App;
use askama::Template;
use axum::Router;
use axum::response::Html;
use axum::routing::get;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn api_router() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(resolution::answer_resolution))
        .routes(routes!(survey::answer_survey))
}

/// Every route [`page_router`] serves, as (method, path); see `workspace::ROUTES`.
pub const PAGE_ROUTES: &[(&str, &str)] = &[
    ("GET", "/resolution/{token}"),
    ("POST", "/resolution/{token}"),
    ("GET", "/survey/{token}"),
    ("POST", "/survey/{token}"),
];

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

/// A short page for customers: a heading and one sentence.
#[derive(Template)]
#[template(path = "public/notice.html")]
struct Notice<'a> {
    title: &'a str,
    heading: &'a str,
    line: &'a str,
}

/// The page as HTML; a template that cannot render (it cannot, over plain strings) gives a
/// bare notice rather than a crashed request.
fn html(page: impl Template) -> Html<String> {
    Html(page.render().unwrap_or_else(|error| {
        tracing::error!(%error, "a public page did not render");
        "Something went wrong on our side. Please try again in a moment.".to_owned()
    }))
}

fn notice(title: &str, heading: &str, line: &str) -> Html<String> {
    html(Notice {
        title,
        heading,
        line,
    })
}

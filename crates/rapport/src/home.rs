//! `GET /`: a plain page that tells a new operator what is running and where to go next.
//! The agent workspace will take this place.

use crate::app::App;
use axum::Router;
use axum::response::Html;
use axum::routing::get;

pub fn router() -> Router<App> {
    Router::new().route("/", get(home))
}

async fn home() -> Html<&'static str> {
    Html(include_str!("home.html"))
}

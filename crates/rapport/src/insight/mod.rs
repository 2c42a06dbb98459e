//! Conversation insight over HTTP: what a customer's message says beyond its words.

mod analyze;

use crate::app::App;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new().routes(routes!(analyze::analyze_message))
}

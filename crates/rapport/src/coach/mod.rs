//! The reply coach over HTTP: review a draft before it is sent.

mod review;

pub use review::context_for_ticket;

use crate::app::App;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new().routes(routes!(review::review_reply))
}

/// Drafts larger than this are refused rather than analysed slowly.
pub const MAX_TEXT_BYTES: usize = 200_000;

//! Inbound email over HTTP, for mail gateways and providers that post raw messages with a mail
//! intake token, and the admin's view of what came in (including what was rejected and why).

mod attachment;
mod credential;

pub(crate) use attachment::download;
mod list;
mod receive;

use crate::app::App;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        // The handler reads the body itself (no body limit applies to it), up to
        // `max_email_bytes`.
        .routes(routes!(receive::receive_email))
        .routes(routes!(list::list_inbound))
        .routes(routes!(list::raw_inbound))
        .routes(routes!(attachment::download_attachment))
}

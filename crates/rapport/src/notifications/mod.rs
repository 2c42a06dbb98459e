//! The calling agent's notifications: listed newest first (all or unread), marked read one at
//! a time or all at once, and where each kind goes (in the page, by mail). An agent only ever
//! reaches their own: another agent's notification is not found.

mod list;
mod read;
mod settings;

use crate::app::App;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(list::list_notifications))
        .routes(routes!(read::mark_all_read))
        .routes(routes!(read::mark_read))
        .routes(routes!(settings::show_settings, settings::change_settings))
}

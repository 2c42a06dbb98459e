//! Filtered mail for agents: what intake kept out of the inbox (bulk, automatic replies,
//! unmatched bounces, refused mail), and turning one into a ticket or adding it to one, once.
//! The rules (who sees which item, the single claim) are in the store's `filtered_mail`.

mod list;
mod take;

use crate::app::App;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(list::list_filtered))
        .routes(routes!(take::take_filtered))
}

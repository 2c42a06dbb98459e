//! Staff accounts. Agents are created with `rapport admin create-agent`.

mod list;

use crate::app::App;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(list::list_agents))
        .routes(routes!(list::show_me))
}

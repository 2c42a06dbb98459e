//! Staff accounts. Agents are created with `rapport admin create-agent`.

pub(crate) mod coaching;
mod list;

use crate::app::App;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(list::list_agents))
        .routes(routes!(list::show_me))
        .routes(routes!(coaching::agent_coaching))
}

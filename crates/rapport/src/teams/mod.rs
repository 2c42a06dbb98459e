//! Teams of agents.

mod coaching;
mod create;
mod list;
mod update;

use crate::app::App;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(create::create_team, list::list_teams))
        .routes(routes!(update::update_team))
        .routes(routes!(coaching::team_coaching))
}

//! Staff accounts: the list, and the admin's invitations, changes and deactivations (the
//! first admin is created in the browser on first run, or with `rapport admin create-agent`).

pub(crate) mod coaching;
mod list;
mod manage;

use crate::app::App;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(list::list_agents, manage::invite_agent))
        .routes(routes!(manage::update_agent))
        .routes(routes!(manage::resend_invitation))
        .routes(routes!(manage::show_work))
        .routes(routes!(manage::deactivate_agent))
        .routes(routes!(manage::end_agent_sessions))
        .routes(routes!(list::show_me))
        .routes(routes!(coaching::agent_coaching))
}

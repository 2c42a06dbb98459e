//! Agents' task lists: check-ins, follow-ups and alerts.

mod complete;
mod list;

use crate::app::App;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(list::list_tasks))
        .routes(routes!(complete::complete_task))
}

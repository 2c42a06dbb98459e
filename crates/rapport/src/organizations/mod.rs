//! Organizations: the companies customers belong to.

mod create;
mod domains;
mod health;
mod show;
mod timeline;
mod update;

use crate::app::App;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(create::create_organization))
        .routes(routes!(
            show::show_organization,
            update::update_organization
        ))
        .routes(routes!(domains::add_domain))
        .routes(routes!(domains::remove_domain))
        .routes(routes!(timeline::organization_timeline))
        .routes(routes!(health::organization_health))
}

//! Customers: the people we serve.

mod create;
mod list;
mod show;

use crate::app::App;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(create::create_customer, list::list_customers))
        .routes(routes!(show::show_customer))
}

//! Customers: the people we serve.

mod create;
mod data;
mod emails;
mod health;
mod list;
mod merge;
mod moments;
mod show;
pub(crate) mod timeline;
mod update;

use crate::app::App;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(create::create_customer, list::list_customers))
        .routes(routes!(show::show_customer, update::update_customer))
        .routes(routes!(merge::merge_customer))
        .routes(routes!(emails::add_email))
        .routes(routes!(emails::remove_email))
        .routes(routes!(emails::make_primary))
        .routes(routes!(moments::note_moment, moments::list_moments))
        .routes(routes!(timeline::customer_timeline))
        .routes(routes!(health::customer_health))
        .routes(routes!(data::export_customer_data))
        .routes(routes!(data::erase_customer))
}

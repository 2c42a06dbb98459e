//! Promises: who promised what to which customer, by when. A promise is a debt.

mod accept;
mod create;
mod list;
mod settle;

use crate::app::App;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(create::create_promise))
        .routes(routes!(list::list_customer_promises))
        .routes(routes!(settle::settle_promise))
        .routes(routes!(accept::accept_promise))
}

//! The audit trail for admins: every recorded change, sign-in and refused sign-in.

mod list;

use crate::app::App;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new().routes(routes!(list::list_audit))
}

//! API tokens: an agent lists, makes and revokes their own; an admin sees and revokes anyone's.
//! The secret is shown once, when made; lists never carry it.

mod create;
mod list;
mod revoke;

use crate::app::App;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(list::list_tokens, create::create_token))
        .routes(routes!(revoke::revoke_token))
}

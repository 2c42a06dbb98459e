use crate::app::App;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{AuthAgent, Json, Path, Query};
use axum::extract::State;
use rapport_store::promises::Promise;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct PromiseQuery {
    /// `open` for the promises still owed, `all` (default) for every one.
    status: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct PromiseList {
    items: Vec<Promise>,
}

/// The promises made to a customer, soonest due first; those on a restricted team's tickets
/// only for its members and admins.
#[utoipa::path(get, path = "/api/v1/customers/{id}/promises", tag = "promises", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Customer id"), PromiseQuery),
    responses((status = 200, body = PromiseList), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_customer_promises(
    State(app): State<App>,
    auth: AuthAgent,
    Path(id): Path<i64>,
    Query(query): Query<PromiseQuery>,
) -> ApiResult<Json<PromiseList>> {
    let open_only = match query.status.as_deref() {
        None | Some("all") => false,
        Some("open") => true,
        Some(other) => {
            return Err(ApiError::bad_request(
                "invalid_query",
                format!("`status` is `open` or `all`, not `{other}`."),
            ));
        }
    };
    app.store.customer(id).await?;
    let mut items = app.store.promises_for(id, open_only).await?;
    app.store
        .retain_visible(&auth.0, &mut items, |promise| promise.ticket_id)
        .await?;
    Ok(Json(PromiseList { items }))
}

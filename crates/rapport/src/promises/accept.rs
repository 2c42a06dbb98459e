use crate::app::App;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{AuthAgent, Json, Path};
use axum::extract::State;
use rapport_store::promises::Promise;

/// Accept a call-back the customer asked for in the portal: it becomes the accepting agent's
/// promise, and the customer sees it in their name. Until then the portal says it was asked
/// for, not promised. Accepted once (409 after).
#[utoipa::path(post, path = "/api/v1/promises/{id}/accept", tag = "promises", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Promise id")),
    responses((status = 200, body = Promise), (status = 403, description = "The promise is on a restricted team's ticket the agent is not in", body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, description = "Already accepted, or no longer open", body = ErrorBody)))]
pub async fn accept_promise(
    State(app): State<App>,
    auth: AuthAgent,
    Path(id): Path<i64>,
) -> ApiResult<Json<Promise>> {
    if let Some(ticket_id) = app.store.promise(id).await?.ticket_id {
        crate::tickets::visible_to(&app, &auth, ticket_id).await?;
    }
    Ok(Json(app.store.accept_promise(id, auth.0.id).await?))
}

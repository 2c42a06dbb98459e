use crate::app::App;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{AuthAgent, Json, Path};
use axum::extract::State;
use rapport_store::promises::{Promise, PromiseStatus};
use serde::Deserialize;
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettlePromise {
    /// `kept`, or `renegotiated` when a new promise replaces it (make the new one separately).
    status: PromiseStatus,
    /// What was done to keep it, in a line; kept in the promise's history.
    outcome: Option<String>,
}

/// Mark an open promise kept or renegotiated.
#[utoipa::path(post, path = "/api/v1/promises/{id}/settle", tag = "promises", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Promise id")),
    request_body = SettlePromise,
    responses((status = 200, body = Promise), (status = 403, description = "The promise is on a restricted team's ticket the agent is not in", body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn settle_promise(
    State(app): State<App>,
    auth: AuthAgent,
    Path(id): Path<i64>,
    Json(input): Json<SettlePromise>,
) -> ApiResult<Json<Promise>> {
    if let Some(ticket_id) = app.store.promise(id).await?.ticket_id {
        crate::tickets::visible_to(&app, &auth, ticket_id).await?;
    }
    Ok(Json(
        app.store
            .settle_promise(id, input.status, input.outcome.as_deref(), auth.actor())
            .await?,
    ))
}

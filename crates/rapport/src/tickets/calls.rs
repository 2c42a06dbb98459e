use crate::app::App;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{AuthAgent, Json, Path};
use axum::extract::State;
use axum::http::StatusCode;
use rapport_store::calls::{Call, CallDirection, NewCall};
use serde::Deserialize;
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LogCall {
    direction: CallDirection,
    /// When the call started, e.g. `2026-11-24T15:00:00Z`.
    started_at: String,
    duration_seconds: i64,
    summary: String,
    /// What the customer agreed to.
    agreed: Option<String>,
}

/// Log a phone call on a ticket. An outbound call keeps the customer's open call-back promises.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/calls", tag = "tickets", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Ticket id")),
    request_body = LogCall,
    responses((status = 201, body = Call), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn log_call(
    State(app): State<App>,
    auth: AuthAgent,
    Path(id): Path<i64>,
    Json(input): Json<LogCall>,
) -> ApiResult<(StatusCode, Json<Call>)> {
    super::visible_to(&app, &auth, id).await?;
    let call = app
        .store
        .log_call(NewCall {
            ticket_id: id,
            agent_id: auth.0.id,
            direction: input.direction,
            started_at: &input.started_at,
            duration_seconds: input.duration_seconds,
            summary: &input.summary,
            agreed: input.agreed.as_deref(),
        })
        .await?;
    Ok((StatusCode::CREATED, Json(call)))
}

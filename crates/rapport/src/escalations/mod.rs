//! Escalations in the API: an agent sends a case up with a reason; the named manager (or
//! someone above them, or an admin) acknowledges it; each agent lists the open escalations
//! waiting on them or anyone below them, soonest deadline first.

use crate::app::App;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{AuthAgent, Json, Path};
use axum::extract::State;
use axum::http::StatusCode;
use rapport_store::escalations::{Escalation, WaitingEscalation};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(escalate_ticket))
        .routes(routes!(list_escalations))
        .routes(routes!(acknowledge_escalation))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EscalateInput {
    /// Why the case goes up; the manager reads it first.
    pub reason: String,
}

/// Send a case up: to the handler's supervisor (the handler when they report to nobody),
/// named, with the workspace's time to acknowledge it in business minutes; unacknowledged,
/// it goes one level up the reporting line, and again. 409 while one is open.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/escalate", tag = "escalations", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Ticket id")),
    request_body = EscalateInput,
    responses((status = 201, body = Escalation), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn escalate_ticket(
    State(app): State<App>,
    auth: AuthAgent,
    Path(id): Path<i64>,
    Json(input): Json<EscalateInput>,
) -> ApiResult<(StatusCode, Json<Escalation>)> {
    crate::tickets::visible_to(&app, &auth, id).await?;
    let escalation = app.store.escalate(id, &input.reason, auth.actor()).await?;
    Ok((StatusCode::CREATED, Json(escalation)))
}

#[derive(Serialize, ToSchema)]
pub struct EscalationList {
    items: Vec<WaitingEscalation>,
}

/// The open escalations waiting on the caller or anyone below them in the reporting line,
/// soonest deadline first (at most 500), without tickets of restricted teams they are not in.
#[utoipa::path(get, path = "/api/v1/escalations", tag = "escalations", security(("bearer" = [])),
    responses((status = 200, body = EscalationList)))]
pub async fn list_escalations(
    State(app): State<App>,
    auth: AuthAgent,
) -> ApiResult<Json<EscalationList>> {
    Ok(Json(EscalationList {
        items: app.store.escalations_waiting_on(&auth.0).await?,
    }))
}

/// Take an escalation: from now on it is the caller's, and it stops going up. The manager it
/// waits on, someone above them, or an admin; acknowledging twice changes nothing.
#[utoipa::path(post, path = "/api/v1/escalations/{id}/acknowledge", tag = "escalations", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Escalation id")),
    responses((status = 200, body = Escalation), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn acknowledge_escalation(
    State(app): State<App>,
    auth: AuthAgent,
    Path(id): Path<i64>,
) -> ApiResult<Json<Escalation>> {
    let escalation = app.store.escalation(id).await?;
    crate::tickets::visible_to(&app, &auth, escalation.ticket_id).await?;
    Ok(Json(app.store.acknowledge_escalation(id, &auth.0).await?))
}

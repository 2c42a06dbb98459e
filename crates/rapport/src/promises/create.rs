use crate::app::App;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{AuthAgent, Json};
use axum::extract::State;
use axum::http::StatusCode;
use rapport_store::StoreError;
use rapport_store::promises::{NewPromise, Promise, PromiseKind};
use serde::Deserialize;
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreatePromise {
    /// The ticket the promise is about; its customer is the one promised.
    ticket_id: Option<i64>,
    /// The customer promised, when there is no ticket.
    customer_id: Option<i64>,
    /// `reply` (kept by a public reply), `call_back` (kept by a logged call) or `other`.
    kind: PromiseKind,
    /// What was promised, in the words the customer heard.
    what: String,
    /// How it will be kept: `phone`, `email`, ... (`phone` for a call-back unless given).
    channel: Option<String>,
    /// For a call-back: the number to call.
    phone: Option<String>,
    /// For a call-back: the start of the window the customer chose.
    window_start: Option<String>,
    /// By when, e.g. `2026-11-24T15:00:00Z`; for a call-back, the end of the window.
    due_at: String,
}

/// Record a promise to a customer. It is reminded before it is due and becomes `broken` if it
/// is not kept in time, which alerts the promiser and their supervisor.
#[utoipa::path(post, path = "/api/v1/promises", tag = "promises", security(("bearer" = [])),
    request_body = CreatePromise,
    responses((status = 201, body = Promise), (status = 403, description = "`ticket_id` names a restricted team's ticket the agent is not in", body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_promise(
    State(app): State<App>,
    auth: AuthAgent,
    Json(input): Json<CreatePromise>,
) -> ApiResult<(StatusCode, Json<Promise>)> {
    let customer_id = match (input.ticket_id, input.customer_id) {
        (Some(ticket_id), _) => {
            let ticket = app.store.ticket(ticket_id).await.map_err(|err| match err {
                StoreError::NotFound { .. } => {
                    StoreError::unknown("ticket", "ticket_id", ticket_id)
                }
                other => other,
            })?;
            crate::tickets::ensure_visible(&app, &auth.0, &ticket).await?;
            if input.customer_id.is_some_and(|id| id != ticket.customer_id) {
                return Err(ApiError::invalid(
                    "`customer_id` is not the customer of `ticket_id`; give one or the other.",
                ));
            }
            ticket.customer_id
        }
        (None, Some(customer_id)) => customer_id,
        (None, None) => {
            return Err(ApiError::invalid(
                "Say who the promise is to: `ticket_id` or `customer_id`.",
            ));
        }
    };
    let default_channel = if input.kind == PromiseKind::CallBack {
        "phone"
    } else {
        "email"
    };
    let new = NewPromise {
        customer_id,
        ticket_id: input.ticket_id,
        agent_id: auth.0.id,
        kind: input.kind,
        what: &input.what,
        channel: input.channel.as_deref().unwrap_or(default_channel),
        phone: input.phone.as_deref(),
        window_start: input.window_start.as_deref(),
        due_at: &input.due_at,
    };
    Ok((
        StatusCode::CREATED,
        Json(app.store.create_promise(new, auth.actor()).await?),
    ))
}

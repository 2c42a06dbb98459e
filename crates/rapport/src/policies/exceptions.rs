//! Exceptions to policies: asked on a ticket with a reason and a cost, decided once by the
//! named decider (or an admin standing in, never the requester), listed as precedent.
//! An exception on a restricted team's ticket is for those who may see the ticket.

use crate::app::App;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{AuthAgent, Json, Path, Query};
use axum::extract::State;
use axum::http::StatusCode;
use rapport_domain::Agent;
use rapport_domain::policy::ExceptionStatus;
use rapport_store::policies::{ExceptionFilter, ExceptionRequest, PolicyException, search_words};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExceptionInput {
    pub policy_id: i64,
    /// Why this case deserves an exception; the decider reads it, and later agents find it.
    pub reason: String,
    /// What it costs, in minor units (cents); 0 when it costs nothing.
    #[serde(default)]
    pub cost_minor: i64,
    /// The currency's three-letter code, such as EUR.
    pub currency: String,
    /// Who decides: a supervisor or admin other than the caller. Left out, the caller's
    /// supervisor (else the first admin).
    pub decider_id: Option<i64>,
}

/// 404 unless the exception exists, 403 when its ticket is a restricted team's the agent is
/// not in.
pub async fn exception_visible(app: &App, agent: &Agent, id: i64) -> ApiResult<PolicyException> {
    let exception = app.store.policy_exception(id).await?;
    let ticket = app.store.ticket(exception.ticket_id).await?;
    crate::tickets::ensure_visible(app, agent, &ticket).await?;
    Ok(exception)
}

/// Ask for an exception to a policy on a ticket. The decider gets a task and a notification.
/// 409 when the customer has reached the policy's limit; 422 for an unknown policy or a
/// decider who may not decide.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/policy-exceptions", tag = "policies", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Ticket id")),
    request_body = ExceptionInput,
    responses((status = 201, body = PolicyException), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn request_exception(
    State(app): State<App>,
    auth: AuthAgent,
    Path(id): Path<i64>,
    Json(input): Json<ExceptionInput>,
) -> ApiResult<(StatusCode, Json<PolicyException>)> {
    crate::tickets::visible_to(&app, &auth, id).await?;
    let exception = app
        .store
        .request_policy_exception(
            ExceptionRequest {
                ticket_id: id,
                policy_id: input.policy_id,
                reason: &input.reason,
                cost_minor: input.cost_minor,
                currency: &input.currency,
                decider_id: input.decider_id,
            },
            &auth.0,
        )
        .await?;
    Ok((StatusCode::CREATED, Json(exception)))
}

/// What a search of precedents asks, as given; read as text so that an empty value (a
/// form's "any") means "not given" and anything unreadable gets a sentence.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ExceptionParams {
    /// Only exceptions to this policy.
    #[param(value_type = Option<i64>)]
    pub policy_id: Option<String>,
    /// Only those asked on this ticket.
    #[param(value_type = Option<i64>)]
    pub ticket_id: Option<String>,
    /// Words, all of which must appear in the reason or the decision's note.
    pub q: Option<String>,
    /// `pending`, `approved` or `declined`.
    pub outcome: Option<String>,
    /// Asked on or after this day, `YYYY-MM-DD` (UTC).
    pub from: Option<String>,
    /// Asked on or before this day, `YYYY-MM-DD` (UTC).
    pub to: Option<String>,
    /// `true`: only those waiting for the caller's decision.
    pub waiting_on_me: Option<String>,
}

fn given(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

fn day(field: &str, value: &str) -> Result<String, String> {
    let bytes = value.as_bytes();
    let shaped = bytes.len() == 10
        && bytes[4] == b'-'
        && bytes[7] == b'-'
        && bytes
            .iter()
            .enumerate()
            .all(|(i, b)| i == 4 || i == 7 || b.is_ascii_digit());
    let month: u32 = value.get(5..7).and_then(|m| m.parse().ok()).unwrap_or(0);
    let day: u32 = value.get(8..10).and_then(|d| d.parse().ok()).unwrap_or(0);
    if !shaped || !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return Err(format!(
            "The {field} date \"{value}\" is not a day written as year-month-day, such as 2026-11-24."
        ));
    }
    Ok(value.to_owned())
}

fn id(field: &str, value: &str) -> Result<i64, String> {
    value
        .parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| format!("The {field} \"{value}\" is not a number such as 12."))
}

impl ExceptionParams {
    /// The filter, or a sentence saying what could not be read.
    pub fn filter(&self, agent: &Agent) -> Result<ExceptionFilter, String> {
        let status = match given(&self.outcome) {
            None | Some("any") => None,
            Some(outcome) => Some(outcome.parse::<ExceptionStatus>().map_err(|_| {
                format!("The outcome \"{outcome}\" is not one of pending, approved or declined.")
            })?),
        };
        let from = given(&self.from).map(|v| day("from", v)).transpose()?;
        let to = given(&self.to).map(|v| day("to", v)).transpose()?;
        if let (Some(from), Some(to)) = (&from, &to)
            && from > to
        {
            return Err(format!(
                "The range starts on {from}, after it ends on {to}."
            ));
        }
        let q = given(&self.q).unwrap_or("");
        if q.chars().count() > 500 {
            return Err(
                "The search is longer than 500 characters; a few words will do.".to_owned(),
            );
        }
        Ok(ExceptionFilter {
            policy_id: given(&self.policy_id)
                .map(|v| id("policy", v))
                .transpose()?,
            ticket_id: given(&self.ticket_id)
                .map(|v| id("ticket", v))
                .transpose()?,
            words: search_words(q),
            status,
            from,
            to,
            decider_id: match given(&self.waiting_on_me) {
                None | Some("false") => None,
                Some("true" | "1" | "on") => Some(agent.id),
                Some(other) => {
                    return Err(format!("waiting_on_me is true or false, not \"{other}\"."));
                }
            },
        })
    }
}

#[derive(Serialize, ToSchema)]
pub struct ExceptionList {
    items: Vec<PolicyException>,
}

/// Exceptions as precedent, newest first (at most 200): by policy, ticket, words in the reason
/// or the decision's note, outcome and the day they were asked; without those on restricted
/// teams' tickets the caller may not see.
#[utoipa::path(get, path = "/api/v1/policy-exceptions", tag = "policies", security(("bearer" = [])),
    params(ExceptionParams),
    responses((status = 200, body = ExceptionList), (status = 422, body = ErrorBody)))]
pub async fn list_exceptions(
    State(app): State<App>,
    auth: AuthAgent,
    Query(params): Query<ExceptionParams>,
) -> ApiResult<Json<ExceptionList>> {
    let filter = params.filter(&auth.0).map_err(ApiError::invalid)?;
    Ok(Json(ExceptionList {
        items: app.store.policy_exceptions(&filter, &auth.0).await?,
    }))
}

#[utoipa::path(get, path = "/api/v1/policy-exceptions/{id}", tag = "policies", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Exception id")),
    responses((status = 200, body = PolicyException), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn show_exception(
    State(app): State<App>,
    auth: AuthAgent,
    Path(id): Path<i64>,
) -> ApiResult<Json<PolicyException>> {
    Ok(Json(exception_visible(&app, &auth.0, id).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionInput {
    /// `approved` or `declined`.
    pub outcome: ExceptionStatus,
    /// Why, for whoever finds this as precedent.
    #[serde(default)]
    pub note: String,
}

/// Approve or decline an exception: its named decider, or an admin standing in, never the
/// one who asked. Decided once: a second decision is refused with 409.
#[utoipa::path(post, path = "/api/v1/policy-exceptions/{id}/decide", tag = "policies", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Exception id")),
    request_body = DecisionInput,
    responses((status = 200, body = PolicyException), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn decide_exception(
    State(app): State<App>,
    auth: AuthAgent,
    Path(id): Path<i64>,
    Json(input): Json<DecisionInput>,
) -> ApiResult<Json<PolicyException>> {
    exception_visible(&app, &auth.0, id).await?;
    let approve = match input.outcome {
        ExceptionStatus::Approved => true,
        ExceptionStatus::Declined => false,
        ExceptionStatus::Pending => {
            return Err(ApiError::invalid(
                "A decision is approved or declined; pending is where it starts.",
            ));
        }
    };
    Ok(Json(
        app.store
            .decide_policy_exception(id, approve, &input.note, &auth.0)
            .await?,
    ))
}

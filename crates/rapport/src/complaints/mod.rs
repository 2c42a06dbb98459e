//! Complaints in the API: agents open a complaint on a customer (usually on a ticket), record
//! what was done to make it right with its cost, and close it with an outcome; supervisors and
//! admins read the recovery report. A complaint on a restricted team's ticket is for those who
//! may see the ticket.

use crate::app::App;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{AuthAgent, Json, Path, Query};
use axum::extract::State;
use axum::http::StatusCode;
use rapport_domain::complaint::{Cause, ComplaintChannel, Outcome, RecoveryKind, Severity};
use rapport_domain::{Agent, Role};
use rapport_store::complaints::{
    Complaint, ComplaintChanges, NewAction, NewComplaint, RecoveryAction, RecoveryReport,
};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(list_complaints, open_complaint))
        .routes(routes!(get_complaint, update_complaint))
        .routes(routes!(add_action))
        .routes(routes!(close_complaint))
        .routes(routes!(ticket_complaints, open_ticket_complaint))
        .routes(routes!(customer_complaints))
        .routes(routes!(recovery_report))
}

/// 403 unless the agent may see the complaint's ticket (one without a ticket is for everyone).
pub(crate) async fn visible_complaint(app: &App, agent: &Agent, id: i64) -> ApiResult<Complaint> {
    let complaint = app.store.complaint(id).await?;
    if let Some(ticket_id) = complaint.ticket_id {
        let ticket = app.store.ticket(ticket_id).await?;
        crate::tickets::ensure_visible(app, agent, &ticket).await?;
    }
    Ok(complaint)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ComplaintInput {
    /// The customer who complained; may be left out when `ticket_id` is given.
    pub customer_id: Option<i64>,
    /// The ticket it is about, usually.
    pub ticket_id: Option<i64>,
    pub cause: Cause,
    /// The staff member it is about, when known.
    pub staff_agent_id: Option<i64>,
    pub severity: Severity,
    pub channel: ComplaintChannel,
    /// The incident as the customer told it.
    pub incident: String,
    /// The account of the staff member involved.
    #[serde(default)]
    pub staff_account: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TicketComplaintInput {
    pub cause: Cause,
    pub staff_agent_id: Option<i64>,
    pub severity: Severity,
    pub channel: ComplaintChannel,
    pub incident: String,
    #[serde(default)]
    pub staff_account: String,
}

fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<i64>>, D::Error> {
    Option::<i64>::deserialize(d).map(Some)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ComplaintUpdate {
    pub cause: Option<Cause>,
    /// The staff member it is about; `null` clears it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i64>)]
    pub staff_agent_id: Option<Option<i64>>,
    pub severity: Option<Severity>,
    pub channel: Option<ComplaintChannel>,
    pub incident: Option<String>,
    pub staff_account: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionInput {
    pub kind: RecoveryKind,
    /// Who did it; the caller when left out.
    pub agent_id: Option<i64>,
    #[serde(default)]
    pub note: String,
    /// What it cost, in minor units (cents); 0 when left out.
    #[serde(default)]
    pub cost_minor: i64,
    /// Three letters; EUR when left out.
    pub currency: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OutcomeInput {
    pub outcome: Outcome,
}

#[derive(Serialize, ToSchema)]
pub struct ComplaintList {
    items: Vec<Complaint>,
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ComplaintQuery {
    /// Only this customer's.
    customer_id: Option<i64>,
    /// Only this ticket's.
    ticket_id: Option<i64>,
}

/// Complaints, newest first (at most 500), without those on tickets of restricted teams the
/// caller is not in.
#[utoipa::path(get, path = "/api/v1/complaints", tag = "complaints", security(("bearer" = [])),
    params(ComplaintQuery),
    responses((status = 200, body = ComplaintList), (status = 400, body = ErrorBody)))]
pub async fn list_complaints(
    State(app): State<App>,
    auth: AuthAgent,
    Query(query): Query<ComplaintQuery>,
) -> ApiResult<Json<ComplaintList>> {
    Ok(Json(ComplaintList {
        items: app
            .store
            .complaints(&auth.0, query.customer_id, query.ticket_id)
            .await?,
    }))
}

/// Opens a complaint on a customer, usually on one of their tickets. While it is open it
/// counts against the customer's relationship health.
#[utoipa::path(post, path = "/api/v1/complaints", tag = "complaints", security(("bearer" = [])),
    request_body = ComplaintInput,
    responses((status = 201, body = Complaint), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn open_complaint(
    State(app): State<App>,
    auth: AuthAgent,
    Json(input): Json<ComplaintInput>,
) -> ApiResult<(StatusCode, Json<Complaint>)> {
    let customer_id = match (input.customer_id, input.ticket_id) {
        (Some(customer), _) => customer,
        (None, Some(ticket_id)) => app.store.ticket(ticket_id).await?.customer_id,
        (None, None) => {
            return Err(ApiError::invalid(
                "Say whose complaint it is: give `customer_id`, or the `ticket_id` it is about.",
            ));
        }
    };
    open(&app, &auth, customer_id, input.ticket_id, input.into()).await
}

struct Told {
    cause: Cause,
    staff_agent_id: Option<i64>,
    severity: Severity,
    channel: ComplaintChannel,
    incident: String,
    staff_account: String,
}

impl From<ComplaintInput> for Told {
    fn from(i: ComplaintInput) -> Told {
        Told {
            cause: i.cause,
            staff_agent_id: i.staff_agent_id,
            severity: i.severity,
            channel: i.channel,
            incident: i.incident,
            staff_account: i.staff_account,
        }
    }
}

impl From<TicketComplaintInput> for Told {
    fn from(i: TicketComplaintInput) -> Told {
        Told {
            cause: i.cause,
            staff_agent_id: i.staff_agent_id,
            severity: i.severity,
            channel: i.channel,
            incident: i.incident,
            staff_account: i.staff_account,
        }
    }
}

async fn open(
    app: &App,
    auth: &AuthAgent,
    customer_id: i64,
    ticket_id: Option<i64>,
    told: Told,
) -> ApiResult<(StatusCode, Json<Complaint>)> {
    if let Some(ticket_id) = ticket_id {
        crate::tickets::visible_to(app, auth, ticket_id).await?;
    }
    let complaint = app
        .store
        .open_complaint(
            NewComplaint {
                customer_id,
                ticket_id,
                cause: told.cause,
                staff_agent_id: told.staff_agent_id,
                severity: told.severity,
                channel: told.channel,
                incident: told.incident,
                staff_account: told.staff_account,
            },
            auth.actor(),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(complaint)))
}

/// One complaint with its recovery actions, outcome, and the first survey the customer
/// answered after it was opened.
#[utoipa::path(get, path = "/api/v1/complaints/{id}", tag = "complaints", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Complaint id")),
    responses((status = 200, body = Complaint), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_complaint(
    State(app): State<App>,
    auth: AuthAgent,
    Path(id): Path<i64>,
) -> ApiResult<Json<Complaint>> {
    Ok(Json(visible_complaint(&app, &auth.0, id).await?))
}

/// Changes what a complaint says (cause, staff member, severity, channel, the incident, the
/// staff member's account); fields left out stay as they are.
#[utoipa::path(patch, path = "/api/v1/complaints/{id}", tag = "complaints", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Complaint id")),
    request_body = ComplaintUpdate,
    responses((status = 200, body = Complaint), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_complaint(
    State(app): State<App>,
    auth: AuthAgent,
    Path(id): Path<i64>,
    Json(input): Json<ComplaintUpdate>,
) -> ApiResult<Json<Complaint>> {
    visible_complaint(&app, &auth.0, id).await?;
    let changes = ComplaintChanges {
        cause: input.cause,
        staff_agent_id: input.staff_agent_id,
        severity: input.severity,
        channel: input.channel,
        incident: input.incident,
        staff_account: input.staff_account,
    };
    Ok(Json(
        app.store
            .update_complaint(id, changes, auth.actor())
            .await?,
    ))
}

/// Records a recovery action: what was done to make it right, by whom, and its cost.
#[utoipa::path(post, path = "/api/v1/complaints/{id}/actions", tag = "complaints", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Complaint id")),
    request_body = ActionInput,
    responses((status = 201, body = RecoveryAction), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_action(
    State(app): State<App>,
    auth: AuthAgent,
    Path(id): Path<i64>,
    Json(input): Json<ActionInput>,
) -> ApiResult<(StatusCode, Json<RecoveryAction>)> {
    visible_complaint(&app, &auth.0, id).await?;
    let action = app
        .store
        .add_recovery_action(
            id,
            NewAction {
                kind: input.kind,
                agent_id: input.agent_id,
                note: input.note,
                cost_minor: input.cost_minor,
                currency: input.currency,
            },
            auth.actor(),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(action)))
}

/// Closes a complaint with its outcome, or changes the outcome. Recovered or partly recovered
/// needs at least one recovery action on record (422 otherwise); lost does not.
#[utoipa::path(post, path = "/api/v1/complaints/{id}/outcome", tag = "complaints", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Complaint id")),
    request_body = OutcomeInput,
    responses((status = 200, body = Complaint), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn close_complaint(
    State(app): State<App>,
    auth: AuthAgent,
    Path(id): Path<i64>,
    Json(input): Json<OutcomeInput>,
) -> ApiResult<Json<Complaint>> {
    visible_complaint(&app, &auth.0, id).await?;
    Ok(Json(
        app.store
            .close_complaint(id, input.outcome, auth.actor())
            .await?,
    ))
}

/// The complaints about a ticket, newest first.
#[utoipa::path(get, path = "/api/v1/tickets/{id}/complaints", tag = "complaints", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Ticket id")),
    responses((status = 200, body = ComplaintList), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn ticket_complaints(
    State(app): State<App>,
    auth: AuthAgent,
    Path(id): Path<i64>,
) -> ApiResult<Json<ComplaintList>> {
    crate::tickets::visible_to(&app, &auth, id).await?;
    Ok(Json(ComplaintList {
        items: app.store.complaints(&auth.0, None, Some(id)).await?,
    }))
}

/// Opens a complaint about a ticket, on the ticket's customer.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/complaints", tag = "complaints", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Ticket id")),
    request_body = TicketComplaintInput,
    responses((status = 201, body = Complaint), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn open_ticket_complaint(
    State(app): State<App>,
    auth: AuthAgent,
    Path(id): Path<i64>,
    Json(input): Json<TicketComplaintInput>,
) -> ApiResult<(StatusCode, Json<Complaint>)> {
    let ticket = crate::tickets::visible_to(&app, &auth, id).await?;
    open(&app, &auth, ticket.customer_id, Some(id), input.into()).await
}

/// A customer's complaints, newest first, without those on tickets the caller may not see.
#[utoipa::path(get, path = "/api/v1/customers/{id}/complaints", tag = "complaints", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Customer id")),
    responses((status = 200, body = ComplaintList), (status = 404, body = ErrorBody)))]
pub async fn customer_complaints(
    State(app): State<App>,
    auth: AuthAgent,
    Path(id): Path<i64>,
) -> ApiResult<Json<ComplaintList>> {
    app.store.customer(id).await?;
    Ok(Json(ComplaintList {
        items: app.store.complaints(&auth.0, Some(id), None).await?,
    }))
}

/// The period of the recovery report.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ReportQuery {
    /// First day, `YYYY-MM-DD` (default: 90 days before `to`).
    pub from: Option<String>,
    /// Day after the last, `YYYY-MM-DD` (default: tomorrow).
    pub to: Option<String>,
}

impl ReportQuery {
    /// The first day and the day after the last, as `YYYY-MM-DD`; the defaults count from
    /// `today`.
    pub fn range(&self, today: time::Date) -> Result<(time::Date, time::Date), String> {
        let day = |field: &str, value: &str| {
            rapport_store::coaching::parse_day(value.trim()).map_err(|_| {
                format!("The {field} day must be a day such as 2026-11-23, not “{value}”.")
            })
        };
        let to = match self.to.as_deref().filter(|v| !v.trim().is_empty()) {
            Some(value) => day("last", value)?,
            None => today + time::Duration::days(1),
        };
        let from = match self.from.as_deref().filter(|v| !v.trim().is_empty()) {
            Some(value) => day("first", value)?,
            None => to - time::Duration::days(90),
        };
        if from >= to {
            return Err("The first day must come before the last.".to_owned());
        }
        Ok((from, to))
    }
}

/// The recovery report over the complaints opened in a period: by cause and severity, the
/// median time to recovery, the recovery rate, the cost per kind of action and currency, and
/// each customer's health and survey answers before and after. Supervisors and admins.
#[utoipa::path(get, path = "/api/v1/reports/recovery", tag = "complaints", security(("bearer" = [])),
    params(ReportQuery),
    responses((status = 200, body = RecoveryReport), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn recovery_report(
    State(app): State<App>,
    auth: AuthAgent,
    Query(query): Query<ReportQuery>,
) -> ApiResult<Json<RecoveryReport>> {
    auth.require(Role::Supervisor, "Reading the recovery report")?;
    let calendar = app.store.calendar().await?;
    let (from, to) = query
        .range(calendar.today(app.store.clock().now()))
        .map_err(|message| ApiError::bad_request("invalid_query", message))?;
    Ok(Json(
        app.store
            .recovery_report(&auth.0, &from.to_string(), &to.to_string())
            .await?,
    ))
}

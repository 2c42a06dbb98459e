//! Service levels in the API: the policies (every agent reads them, admins write them) and
//! where a ticket's targets stand. Targets count business minutes of the workspace calendar.

use crate::app::App;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{AuthAgent, Json, Path};
use axum::extract::State;
use axum::http::StatusCode;
use rapport_domain::sla::SlaPolicy;
use rapport_domain::{Priority, Role};
use rapport_store::sla::{PolicyFields, TicketSla};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(list_policies, create_policy))
        .routes(routes!(show_policy, update_policy, remove_policy))
        .routes(routes!(show_ticket_sla))
}

#[derive(Serialize, ToSchema)]
pub struct SlaPolicyList {
    items: Vec<SlaPolicy>,
}

/// A policy as an admin writes it: at least one target; conditions left out apply to all.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SlaPolicyInput {
    pub name: String,
    /// Only tickets of this priority.
    pub priority: Option<Priority>,
    /// Only this organization's customers.
    pub organization_id: Option<i64>,
    /// Only this customer.
    pub customer_id: Option<i64>,
    /// Business minutes to our first public reply (1 to 525,600).
    pub first_response_minutes: Option<i64>,
    /// Business minutes to our next reply after the customer writes.
    pub next_response_minutes: Option<i64>,
    /// Business minutes the problem may stay open, not counting time waiting on the customer.
    pub resolution_minutes: Option<i64>,
}

impl From<SlaPolicyInput> for PolicyFields {
    fn from(input: SlaPolicyInput) -> PolicyFields {
        PolicyFields {
            name: input.name,
            priority: input.priority,
            organization_id: input.organization_id,
            customer_id: input.customer_id,
            first_response_minutes: input.first_response_minutes,
            next_response_minutes: input.next_response_minutes,
            resolution_minutes: input.resolution_minutes,
        }
    }
}

/// The service level policies. A ticket follows the most specific that applies: a customer's,
/// then an organization's, then a priority's, then one for all.
#[utoipa::path(get, path = "/api/v1/sla-policies", tag = "service levels", security(("bearer" = [])),
    responses((status = 200, body = SlaPolicyList)))]
pub async fn list_policies(
    State(app): State<App>,
    _auth: AuthAgent,
) -> ApiResult<Json<SlaPolicyList>> {
    Ok(Json(SlaPolicyList {
        items: app.store.sla_policies().await?,
    }))
}

/// Add a policy; open tickets it fits follow it at once. Needs the admin role.
#[utoipa::path(post, path = "/api/v1/sla-policies", tag = "service levels", security(("bearer" = [])),
    request_body = SlaPolicyInput,
    responses((status = 201, body = SlaPolicy), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_policy(
    State(app): State<App>,
    auth: AuthAgent,
    Json(input): Json<SlaPolicyInput>,
) -> ApiResult<(StatusCode, Json<SlaPolicy>)> {
    auth.require(Role::Admin, "Adding a service level policy")?;
    let policy = app
        .store
        .create_sla_policy(input.into(), auth.actor())
        .await?;
    Ok((StatusCode::CREATED, Json(policy)))
}

#[utoipa::path(get, path = "/api/v1/sla-policies/{id}", tag = "service levels", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Policy id")),
    responses((status = 200, body = SlaPolicy), (status = 404, body = ErrorBody)))]
pub async fn show_policy(
    State(app): State<App>,
    _auth: AuthAgent,
    Path(id): Path<i64>,
) -> ApiResult<Json<SlaPolicy>> {
    Ok(Json(app.store.sla_policy(id).await?))
}

/// Replace a policy's name, conditions and targets. Needs the admin role.
#[utoipa::path(patch, path = "/api/v1/sla-policies/{id}", tag = "service levels", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Policy id")),
    request_body = SlaPolicyInput,
    responses((status = 200, body = SlaPolicy), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_policy(
    State(app): State<App>,
    auth: AuthAgent,
    Path(id): Path<i64>,
    Json(input): Json<SlaPolicyInput>,
) -> ApiResult<Json<SlaPolicy>> {
    auth.require(Role::Admin, "Changing a service level policy")?;
    Ok(Json(
        app.store
            .update_sla_policy(id, input.into(), auth.actor())
            .await?,
    ))
}

/// Remove a policy: it no longer applies; breaches already recorded stay. Needs the admin role.
#[utoipa::path(delete, path = "/api/v1/sla-policies/{id}", tag = "service levels", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Policy id")),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn remove_policy(
    State(app): State<App>,
    auth: AuthAgent,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    auth.require(Role::Admin, "Removing a service level policy")?;
    app.store.remove_sla_policy(id, auth.actor()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Where a ticket's service level stands: its policy, and for each target when it falls due,
/// whether it was met, and how often it was missed.
#[utoipa::path(get, path = "/api/v1/tickets/{id}/sla", tag = "service levels", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Ticket id")),
    responses((status = 200, body = TicketSla), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn show_ticket_sla(
    State(app): State<App>,
    auth: AuthAgent,
    Path(id): Path<i64>,
) -> ApiResult<Json<TicketSla>> {
    crate::tickets::visible_to(&app, &auth, id).await?;
    Ok(Json(app.store.ticket_sla(id).await?))
}

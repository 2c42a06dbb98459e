//! An organization's mail domains: new customers at a domain join its organization, and so do
//! those already here without one when it is added. Supervisors and admins change them, since
//! one change can move many customers.

use crate::app::App;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{AuthAgent, Json, Path};
use axum::extract::State;
use axum::http::StatusCode;
use rapport_domain::{Organization, Role};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddDomain {
    /// A mail domain such as example.com; public mail services (gmail.com, outlook.com, ...)
    /// are refused.
    domain: String,
}

#[derive(Serialize, ToSchema)]
pub struct DomainAdded {
    organization: Organization,
    /// The customers who joined the organization by this domain: those with an address at it
    /// who had no organization.
    attached_customers: Vec<i64>,
}

/// Add a mail domain to an organization (supervisor or admin). Customers with an address at it
/// and no organization join it now, each with an entry in their history; new ones join when
/// they are created. A domain belongs to one organization (409 otherwise).
#[utoipa::path(post, path = "/api/v1/organizations/{id}/domains", tag = "organizations", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Organization id")),
    request_body = AddDomain,
    responses((status = 201, body = DomainAdded), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "The domain belongs to an organization already", body = ErrorBody),
        (status = 422, description = "Not a domain, or a public mail service's", body = ErrorBody)))]
pub async fn add_domain(
    State(app): State<App>,
    auth: AuthAgent,
    Path(id): Path<i64>,
    Json(input): Json<AddDomain>,
) -> ApiResult<(StatusCode, Json<DomainAdded>)> {
    auth.require(Role::Supervisor, "Changing an organization's mail domains")?;
    let added = app
        .store
        .add_organization_domain(id, &input.domain, auth.actor())
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(DomainAdded {
            organization: added.organization,
            attached_customers: added.attached_customers,
        }),
    ))
}

/// Remove a mail domain from an organization (supervisor or admin). Its customers stay in it.
#[utoipa::path(delete, path = "/api/v1/organizations/{id}/domains/{domain}", tag = "organizations", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Organization id"), ("domain" = String, Path, description = "The domain")),
    responses((status = 200, body = Organization), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn remove_domain(
    State(app): State<App>,
    auth: AuthAgent,
    Path((id, domain)): Path<(i64, String)>,
) -> ApiResult<Json<Organization>> {
    auth.require(Role::Supervisor, "Changing an organization's mail domains")?;
    let organization = app
        .store
        .remove_organization_domain(id, &domain, auth.actor())
        .await?;
    Ok(Json(organization))
}

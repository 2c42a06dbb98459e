use crate::app::App;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{AuthAgent, Json};
use axum::extract::State;
use axum::http::StatusCode;
use rapport_domain::{Organization, RelationshipKind, Role};
use rapport_store::organizations::NewOrganization;
use serde::Deserialize;
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateOrganization {
    name: String,
    /// Mail domains; new customers with an address there join the organization.
    #[serde(default)]
    domains: Vec<String>,
    /// `transactional` (the default) or `partnership`.
    relationship_kind: Option<RelationshipKind>,
    /// The agent who owns the relationship.
    owner_id: Option<i64>,
}

/// Create an organization. Needs the supervisor or admin role.
#[utoipa::path(post, path = "/api/v1/organizations", tag = "organizations", security(("bearer" = [])),
    request_body = CreateOrganization,
    responses(
        (status = 201, body = Organization),
        (status = 403, body = ErrorBody),
        (status = 409, description = "A domain belongs to another organization", body = ErrorBody),
        (status = 422, body = ErrorBody),
    ))]
pub async fn create_organization(
    State(app): State<App>,
    auth: AuthAgent,
    Json(input): Json<CreateOrganization>,
) -> ApiResult<(StatusCode, Json<Organization>)> {
    auth.require(Role::Supervisor, "Creating an organization")?;
    let new = NewOrganization {
        name: &input.name,
        domains: &input.domains,
        relationship_kind: input
            .relationship_kind
            .unwrap_or(RelationshipKind::Transactional),
        owner_id: input.owner_id,
    };
    let organization = app.store.create_organization(new, auth.actor()).await?;
    Ok((StatusCode::CREATED, Json(organization)))
}

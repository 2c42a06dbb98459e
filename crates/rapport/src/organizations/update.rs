use crate::app::App;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{AuthAgent, Json, Path};
use axum::extract::State;
use rapport_domain::{Organization, Role};
use rapport_store::customer_details::OrganizationChanges;
use serde::Deserialize;
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateOrganization {
    /// The organization's name.
    name: Option<String>,
    /// Notes for staff; `null` or empty for none.
    #[serde(default, deserialize_with = "crate::extract::present")]
    #[schema(value_type = Option<String>)]
    notes: Option<Option<String>>,
    /// The relationship owner; `null` for none. Left alone when absent.
    #[serde(default, deserialize_with = "crate::extract::present")]
    #[schema(value_type = Option<i64>)]
    owner_id: Option<Option<i64>>,
    /// Required when replacing an owner: what the next person needs to know.
    handover_note: Option<String>,
    /// Let the organization's customers see each other's tickets in the portal (admin only).
    portal_shared: Option<bool>,
}

/// Change an organization: its name and notes (any agent), its relationship owner (supervisor
/// or admin; replacing an owner needs a hand-over note), or let its customers see each other's
/// tickets in the portal (admin). Its mail domains have their own routes
/// (`/api/v1/organizations/{id}/domains`).
#[utoipa::path(patch, path = "/api/v1/organizations/{id}", tag = "organizations", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Organization id")),
    request_body = UpdateOrganization,
    responses((status = 200, body = Organization), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_organization(
    State(app): State<App>,
    auth: AuthAgent,
    Path(id): Path<i64>,
    Json(input): Json<UpdateOrganization>,
) -> ApiResult<Json<Organization>> {
    // Every permission is checked before anything changes.
    if input.portal_shared.is_some() {
        auth.require(
            Role::Admin,
            "Sharing an organization's tickets in the portal",
        )?;
    }
    if input.owner_id.is_some() {
        auth.require(Role::Supervisor, "Changing an organization's owner")?;
    }
    if input.name.is_some() || input.notes.is_some() {
        let changes = OrganizationChanges {
            name: input.name.as_deref(),
            notes: input.notes.as_ref().map(Option::as_deref),
        };
        app.store
            .update_organization(id, changes, auth.actor())
            .await?;
    }
    if let Some(shared) = input.portal_shared {
        app.store
            .set_portal_shared(id, shared, auth.actor())
            .await?;
    }
    if let Some(owner) = input.owner_id {
        app.store
            .set_organization_owner(id, owner, input.handover_note.as_deref(), auth.actor())
            .await?;
    }
    Ok(Json(app.store.organization(id).await?))
}

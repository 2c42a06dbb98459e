use crate::app::App;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{AuthAgent, Json, Path};
use axum::extract::State;
use rapport_domain::{Organization, Role};
use serde::Deserialize;
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateOrganization {
    /// The relationship owner; `null` for none.
    #[serde(deserialize_with = "crate::extract::present")]
    #[schema(value_type = Option<i64>)]
    owner_id: Option<Option<i64>>,
    /// Required when replacing an owner: what the next person needs to know.
    handover_note: Option<String>,
}

/// Name an organization's relationship owner. Needs the supervisor or admin role; replacing an
/// owner needs a hand-over note.
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
    auth.require(Role::Supervisor, "Changing an organization's owner")?;
    let owner = input.owner_id.flatten();
    Ok(Json(
        app.store
            .set_organization_owner(id, owner, input.handover_note.as_deref(), auth.actor())
            .await?,
    ))
}

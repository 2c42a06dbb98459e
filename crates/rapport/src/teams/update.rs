use crate::app::App;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{AuthAgent, Json, Path};
use axum::extract::State;
use rapport_domain::{Role, Team};
use rapport_store::teams::TeamChange;
use serde::Deserialize;
use utoipa::ToSchema;

/// Fields left out stay as they are.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateTeam {
    name: Option<String>,
    /// All the team's members: replaces the list.
    member_ids: Option<Vec<i64>>,
    /// Only the team's members (and admins) see its tickets.
    restricted: Option<bool>,
}

/// Rename a team, set its members, or restrict it (or open it). Needs the admin role.
#[utoipa::path(patch, path = "/api/v1/teams/{id}", tag = "teams", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Team id")),
    request_body = UpdateTeam,
    responses((status = 200, body = Team), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_team(
    State(app): State<App>,
    auth: AuthAgent,
    Path(id): Path<i64>,
    Json(input): Json<UpdateTeam>,
) -> ApiResult<Json<Team>> {
    auth.require(Role::Admin, "Changing a team")?;
    let change = TeamChange {
        name: input.name,
        member_ids: input.member_ids,
        restricted: input.restricted,
    };
    Ok(Json(app.store.update_team(id, change, auth.actor()).await?))
}

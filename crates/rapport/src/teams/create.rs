use crate::app::App;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{AuthAgent, Json};
use axum::extract::State;
use axum::http::StatusCode;
use rapport_domain::{Role, Team};
use serde::Deserialize;
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTeam {
    name: String,
    #[serde(default)]
    member_ids: Vec<i64>,
    /// Only the team's members (and admins) see its tickets.
    #[serde(default)]
    restricted: bool,
}

/// Create a team. Needs the admin role.
#[utoipa::path(post, path = "/api/v1/teams", tag = "teams", security(("bearer" = [])),
    request_body = CreateTeam,
    responses((status = 201, body = Team), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_team(
    State(app): State<App>,
    auth: AuthAgent,
    Json(input): Json<CreateTeam>,
) -> ApiResult<(StatusCode, Json<Team>)> {
    auth.require(Role::Admin, "Creating a team")?;
    let team = app
        .store
        .create_team(
            &input.name,
            &input.member_ids,
            input.restricted,
            auth.actor(),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(team)))
}

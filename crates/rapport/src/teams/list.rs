use crate::app::App;
use crate::error::ApiResult;
use crate::extract::{AuthAgent, Json};
use axum::extract::State;
use rapport_domain::Team;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct TeamList {
    items: Vec<Team>,
}

/// All teams, by name.
#[utoipa::path(get, path = "/api/v1/teams", tag = "teams", security(("bearer" = [])),
    responses((status = 200, body = TeamList)))]
pub async fn list_teams(State(app): State<App>, _auth: AuthAgent) -> ApiResult<Json<TeamList>> {
    Ok(Json(TeamList {
        items: app.store.teams().await?,
    }))
}

use crate::app::App;
use crate::error::ApiResult;
use crate::extract::{AuthAgent, Json};
use axum::extract::State;
use rapport_domain::Agent;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct AgentList {
    items: Vec<Agent>,
}

/// All active agents, with whom each reports to.
#[utoipa::path(get, path = "/api/v1/agents", tag = "agents", security(("bearer" = [])),
    responses((status = 200, body = AgentList)))]
pub async fn list_agents(State(app): State<App>, _auth: AuthAgent) -> ApiResult<Json<AgentList>> {
    Ok(Json(AgentList {
        items: app.store.agents().await?,
    }))
}

/// The agent the token belongs to.
#[utoipa::path(get, path = "/api/v1/agents/me", tag = "agents", security(("bearer" = [])),
    responses((status = 200, body = Agent)))]
pub async fn show_me(auth: AuthAgent) -> Json<Agent> {
    Json(auth.0)
}

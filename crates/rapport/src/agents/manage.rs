//! Running the team: an admin invites agents (they choose their password through a mailed
//! link), changes their name, role, teams and supervisor, and deactivates those who leave,
//! handing their open work to someone who stays.

use crate::app::App;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{AuthAgent, Json, Path};
use axum::extract::State;
use axum::http::StatusCode;
use rapport_domain::{Agent, Role};
use rapport_store::agent_links::Invitation;
use rapport_store::agents::Staff;
use rapport_store::handover::Work;
use rapport_store::staffing::AgentChange;
use serde::Deserialize;
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InviteAgent {
    email: String,
    name: String,
    /// `agent` unless given.
    role: Option<Role>,
    /// Whom they report to: requests for a manager and letters go up this line.
    reports_to_id: Option<i64>,
    #[serde(default)]
    team_ids: Vec<i64>,
}

/// Invite an agent: they are created without a password and get a mail with a link to choose
/// one (it works once, for 7 days). Needs the admin role.
#[utoipa::path(post, path = "/api/v1/agents", tag = "agents", security(("bearer" = [])),
    request_body = InviteAgent,
    responses((status = 201, body = Agent), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn invite_agent(
    State(app): State<App>,
    auth: AuthAgent,
    Json(input): Json<InviteAgent>,
) -> ApiResult<(StatusCode, Json<Agent>)> {
    auth.require(Role::Admin, "Inviting an agent")?;
    let agent = app
        .store
        .invite_agent(
            Invitation {
                staff: Staff {
                    email: &input.email,
                    name: &input.name,
                    role: input.role.unwrap_or(Role::Agent),
                    reports_to: input.reports_to_id,
                },
                team_ids: &input.team_ids,
            },
            auth.actor(),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(agent)))
}

/// Mail a new invitation to an agent who has not chosen a password yet; earlier ones stop
/// working. Needs the admin role.
#[utoipa::path(post, path = "/api/v1/agents/{id}/invitation", tag = "agents", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Agent id")),
    responses((status = 200, body = Agent), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn resend_invitation(
    State(app): State<App>,
    auth: AuthAgent,
    Path(id): Path<i64>,
) -> ApiResult<Json<Agent>> {
    auth.require(Role::Admin, "Sending an invitation")?;
    Ok(Json(app.store.resend_invitation(id, auth.actor()).await?))
}

/// Fields left out stay as they are; `"reports_to_id": null` means reporting to nobody.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateAgent {
    name: Option<String>,
    role: Option<Role>,
    #[serde(default, deserialize_with = "crate::extract::present")]
    #[schema(value_type = Option<i64>)]
    reports_to_id: Option<Option<i64>>,
    /// All the agent's teams: replaces their memberships.
    team_ids: Option<Vec<i64>>,
    /// Their title, as customers may read it; empty to remove.
    title: Option<String>,
    /// Their direct phone number, shown to customers when the workspace publishes phones;
    /// empty to remove.
    phone: Option<String>,
}

/// Change an agent's name, role, supervisor, teams, title or phone number. The reporting line cannot become a
/// circle, and the last admin cannot step down. Needs the admin role.
#[utoipa::path(patch, path = "/api/v1/agents/{id}", tag = "agents", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Agent id")),
    request_body = UpdateAgent,
    responses((status = 200, body = Agent), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_agent(
    State(app): State<App>,
    auth: AuthAgent,
    Path(id): Path<i64>,
    Json(input): Json<UpdateAgent>,
) -> ApiResult<Json<Agent>> {
    auth.require(Role::Admin, "Changing an agent")?;
    let change = AgentChange {
        name: input.name,
        role: input.role,
        reports_to: input.reports_to_id,
        team_ids: input.team_ids,
        title: input.title,
        phone: input.phone,
    };
    Ok(Json(
        app.store.update_agent(id, change, auth.actor()).await?,
    ))
}

/// What an agent carries now, which would move if they left: open tickets, the customers and
/// organizations they own, open promises and tasks, escalations waiting on them, and their
/// direct reports. Needs the admin role.
#[utoipa::path(get, path = "/api/v1/agents/{id}/work", tag = "agents", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Agent id")),
    responses((status = 200, body = Work), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn show_work(
    State(app): State<App>,
    auth: AuthAgent,
    Path(id): Path<i64>,
) -> ApiResult<Json<Work>> {
    auth.require(Role::Admin, "Seeing what an agent would hand over")?;
    Ok(Json(app.store.work_of(id).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Deactivate {
    /// Who takes over everything the agent carries.
    hand_to_id: i64,
    /// The hand-over note for the person taking over, kept on every ticket and relationship
    /// that moves.
    note: String,
}

/// Deactivate an agent who leaves: in one step their open work goes to `hand_to_id` (the
/// answer lists what moved), their sessions end, their tokens stop working and they leave their
/// teams. History keeps their name. Needs the admin role; nobody deactivates themselves, and
/// the last admin stays.
#[utoipa::path(post, path = "/api/v1/agents/{id}/deactivate", tag = "agents", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Agent id")),
    request_body = Deactivate,
    responses((status = 200, body = Work), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn deactivate_agent(
    State(app): State<App>,
    auth: AuthAgent,
    Path(id): Path<i64>,
    Json(input): Json<Deactivate>,
) -> ApiResult<Json<Work>> {
    auth.require(Role::Admin, "Deactivating an agent")?;
    let moved = app
        .store
        .deactivate_agent(id, input.hand_to_id, &input.note, auth.actor())
        .await?;
    Ok(Json(moved))
}

#[derive(serde::Serialize, ToSchema)]
pub struct AgentSessionsEnded {
    /// How many browser sessions ended.
    sessions_ended: u64,
}

/// Sign an agent out of every browser (a lost laptop, a shared computer). Their API tokens are
/// revoked separately (`DELETE /api/v1/tokens/{id}`). Needs the admin role.
#[utoipa::path(post, path = "/api/v1/agents/{id}/sessions/end", tag = "agents", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Agent id")),
    responses((status = 200, body = AgentSessionsEnded), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn end_agent_sessions(
    State(app): State<App>,
    auth: AuthAgent,
    Path(id): Path<i64>,
) -> ApiResult<Json<AgentSessionsEnded>> {
    auth.require(Role::Admin, "Signing an agent out everywhere")?;
    app.store.agent(id).await?;
    let sessions_ended = app.store.end_other_sessions(auth.actor(), id, None).await?;
    Ok(Json(AgentSessionsEnded { sessions_ended }))
}

//! `/admin/teams`: teams, their members, and whether they are restricted (only members and
//! admins see a restricted team's tickets).

use super::{Fields, admin_only, back};
use crate::app::App;
use crate::pages::{Id, PageError, PageResult, SignedIn, Submitted, correctable, render_with};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use rapport_domain::{Actor, Agent, Team};
use rapport_store::teams::TeamChange;

#[derive(Template)]
#[template(path = "admin/teams.html")]
struct TeamsPage {
    agent: Agent,
    csrf: String,
    query: String,
    teams: Vec<TeamLine>,
    agents: Vec<Agent>,
    flash: Option<String>,
    error: Option<String>,
}

struct TeamLine {
    team: Team,
    members: Vec<String>,
}

async fn teams_page(
    app: &App,
    signed_in: SignedIn,
    status: StatusCode,
    flash: Option<String>,
    error: Option<String>,
) -> PageResult {
    let names = app.store.agent_names().await?;
    let teams = app
        .store
        .teams()
        .await?
        .into_iter()
        .map(|team| TeamLine {
            members: team
                .member_ids
                .iter()
                .filter_map(|id| names.get(id).cloned())
                .collect(),
            team,
        })
        .collect();
    Ok(render_with(
        status,
        &TeamsPage {
            agent: signed_in.agent,
            csrf: signed_in.csrf,
            query: String::new(),
            teams,
            agents: app.store.agents().await?,
            flash,
            error,
        },
    ))
}

pub async fn list_teams(
    State(app): State<App>,
    signed_in: SignedIn,
    Query(query): Query<super::Done>,
) -> PageResult {
    admin_only(&signed_in)?;
    teams_page(&app, signed_in, StatusCode::OK, query.done, None).await
}

pub async fn create_team(
    State(app): State<App>,
    signed_in: SignedIn,
    Submitted(fields): Submitted<Vec<(String, String)>>,
) -> PageResult {
    admin_only(&signed_in)?;
    let fields = Fields::new(fields);
    let created = app
        .store
        .create_team(
            &fields.text("name"),
            &fields.ids("member_ids")?,
            fields.checked("restricted"),
            Actor::Agent(signed_in.agent.id),
        )
        .await;
    match created {
        Ok(team) => Ok(back(
            "/admin/teams",
            &format!("Created the team {}.", team.name),
        )),
        Err(error) => {
            let (status, message) = correctable(error)?;
            teams_page(&app, signed_in, status, None, Some(message)).await
        }
    }
}

#[derive(Template)]
#[template(path = "admin/team.html")]
struct TeamPage {
    agent: Agent,
    csrf: String,
    query: String,
    team: Team,
    agents: Vec<Agent>,
    flash: Option<String>,
    error: Option<String>,
}

async fn team_page(
    app: &App,
    signed_in: SignedIn,
    id: i64,
    status: StatusCode,
    flash: Option<String>,
    error: Option<String>,
) -> PageResult {
    let team = app
        .store
        .teams()
        .await?
        .into_iter()
        .find(|team| team.id == id)
        .ok_or_else(|| {
            PageError::not_found("There is no such team. The teams are listed at /admin/teams.")
        })?;
    Ok(render_with(
        status,
        &TeamPage {
            agent: signed_in.agent,
            csrf: signed_in.csrf,
            query: String::new(),
            team,
            agents: app.store.agents().await?,
            flash,
            error,
        },
    ))
}

pub async fn show_team(
    State(app): State<App>,
    signed_in: SignedIn,
    Id(id): Id,
    Query(query): Query<super::Done>,
) -> PageResult {
    admin_only(&signed_in)?;
    team_page(&app, signed_in, id, StatusCode::OK, query.done, None).await
}

pub async fn update_team(
    State(app): State<App>,
    signed_in: SignedIn,
    Id(id): Id,
    Submitted(fields): Submitted<Vec<(String, String)>>,
) -> PageResult {
    admin_only(&signed_in)?;
    let fields = Fields::new(fields);
    let change = TeamChange {
        name: Some(fields.text("name")),
        member_ids: Some(fields.ids("member_ids")?),
        restricted: Some(fields.checked("restricted")),
    };
    match app
        .store
        .update_team(id, change, Actor::Agent(signed_in.agent.id))
        .await
    {
        Ok(team) => Ok(back(
            &format!("/admin/teams/{id}"),
            &format!("Saved the team {}.", team.name),
        )),
        Err(error) => {
            let (status, message) = correctable(error)?;
            team_page(&app, signed_in, id, status, None, Some(message)).await
        }
    }
}

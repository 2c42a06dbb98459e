//! `/admin/agents`: the team's people. Invite, change, send a new invitation, deactivate with
//! a hand-over that shows what moves and to whom.

use super::{Done, Fields, admin_only, back};
use crate::app::App;
use crate::pages::{Id, PageResult, SignedIn, Submitted, When, correctable, render_with};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use rapport_domain::{Actor, Agent, Role, Team};
use rapport_store::agent_links::Invitation;
use rapport_store::agents::Staff;
use rapport_store::handover::Work;
use rapport_store::staffing::AgentChange;
use serde::Deserialize;
use std::collections::HashMap;

/// One agent as the admin pages list them.
struct Person {
    agent: Agent,
    reports_to: Option<String>,
    teams: Vec<String>,
    /// "active", "invited" (no password chosen yet) or "deactivated".
    state: &'static str,
    left: Option<When>,
}

#[derive(Template)]
#[template(path = "admin/agents.html")]
struct AgentsPage {
    agent: Agent,
    csrf: String,
    query: String,
    people: Vec<Person>,
    /// For the invitation form: who one may report to, and the teams.
    active: Vec<Agent>,
    teams: Vec<Team>,
    roles: &'static [Role],
    flash: Option<String>,
    error: Option<String>,
    /// What the invitation form held, when it is shown again with an error.
    form: InviteForm,
}

#[derive(Default)]
struct InviteForm {
    email: String,
    name: String,
    role: String,
    reports_to: Option<i64>,
    team_ids: Vec<i64>,
}

async fn people(app: &App) -> PageResult<(Vec<Person>, Vec<Team>)> {
    let everyone = app.store.all_agents().await?;
    let teams = app.store.teams().await?;
    let calendar = app.store.calendar().await?;
    let names: HashMap<i64, String> = everyone
        .iter()
        .map(|(agent, _)| (agent.id, agent.name.clone()))
        .collect();
    let mut people = Vec::with_capacity(everyone.len());
    for (agent, left) in everyone {
        let state = if left.is_some() {
            "deactivated"
        } else if app.store.agent_has_password(agent.id).await? {
            "active"
        } else {
            "invited"
        };
        people.push(Person {
            reports_to: agent.reports_to.and_then(|id| names.get(&id).cloned()),
            teams: teams
                .iter()
                .filter(|team| team.member_ids.contains(&agent.id))
                .map(|team| team.name.clone())
                .collect(),
            state,
            left: left.as_deref().map(|at| When::on(&calendar, at)),
            agent,
        });
    }
    Ok((people, teams))
}

async fn agents_page(
    app: &App,
    signed_in: SignedIn,
    status: StatusCode,
    flash: Option<String>,
    error: Option<String>,
    form: InviteForm,
) -> PageResult {
    let (people, teams) = people(app).await?;
    Ok(render_with(
        status,
        &AgentsPage {
            agent: signed_in.agent,
            csrf: signed_in.csrf,
            query: String::new(),
            active: app.store.agents().await?,
            people,
            teams,
            roles: Role::ALL,
            flash,
            error,
            form,
        },
    ))
}

pub async fn list_agents(
    State(app): State<App>,
    signed_in: SignedIn,
    Query(query): Query<Done>,
) -> PageResult {
    admin_only(&signed_in)?;
    let form = InviteForm {
        role: Role::Agent.to_string(),
        ..InviteForm::default()
    };
    agents_page(&app, signed_in, StatusCode::OK, query.done, None, form).await
}

fn role_in(fields: &Fields) -> PageResult<Role> {
    fields.text("role").parse().map_err(|_| {
        crate::pages::PageError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Choose a role: agent, supervisor or admin.",
        )
    })
}

pub async fn invite_agent(
    State(app): State<App>,
    signed_in: SignedIn,
    Submitted(fields): Submitted<Vec<(String, String)>>,
) -> PageResult {
    admin_only(&signed_in)?;
    let fields = Fields::new(fields);
    let role = role_in(&fields)?;
    let form = InviteForm {
        email: fields.text("email"),
        name: fields.text("name"),
        role: role.to_string(),
        reports_to: fields.optional_id("reports_to")?,
        team_ids: fields.ids("team_ids")?,
    };
    let invited = app
        .store
        .invite_agent(
            Invitation {
                staff: Staff {
                    email: &form.email,
                    name: &form.name,
                    role,
                    reports_to: form.reports_to,
                },
                team_ids: &form.team_ids,
            },
            Actor::Agent(signed_in.agent.id),
        )
        .await;
    match invited {
        Ok(agent) => Ok(back(
            "/admin/agents",
            &format!(
                "Invited {}: a link to choose a password is on its way to {} (it works for 7 days).",
                agent.name, agent.email
            ),
        )),
        Err(error) => {
            let (status, message) = correctable(error)?;
            agents_page(&app, signed_in, status, None, Some(message), form).await
        }
    }
}

#[derive(Template)]
#[template(path = "admin/agent.html")]
struct AgentPage {
    agent: Agent,
    csrf: String,
    query: String,
    person: Person,
    /// Who they may report to or hand over to: everyone else still active.
    others: Vec<Agent>,
    teams: Vec<Team>,
    roles: &'static [Role],
    /// What would move if they left; `None` once they have.
    work: Option<Work>,
    flash: Option<String>,
    error: Option<String>,
}

async fn agent_page(
    app: &App,
    signed_in: SignedIn,
    id: i64,
    status: StatusCode,
    flash: Option<String>,
    error: Option<String>,
) -> PageResult {
    let (people, teams) = people(app).await?;
    let person = people
        .into_iter()
        .find(|person| person.agent.id == id)
        .ok_or_else(|| {
            crate::pages::PageError::not_found(
                "There is no such agent. The list of agents is at /admin/agents.",
            )
        })?;
    let work = if person.state == "deactivated" {
        None
    } else {
        Some(app.store.work_of(id).await?)
    };
    let others = app
        .store
        .agents()
        .await?
        .into_iter()
        .filter(|other| other.id != id)
        .collect();
    Ok(render_with(
        status,
        &AgentPage {
            agent: signed_in.agent,
            csrf: signed_in.csrf,
            query: String::new(),
            person,
            others,
            teams,
            roles: Role::ALL,
            work,
            flash,
            error,
        },
    ))
}

pub async fn show_agent(
    State(app): State<App>,
    signed_in: SignedIn,
    Id(id): Id,
    Query(query): Query<Done>,
) -> PageResult {
    admin_only(&signed_in)?;
    agent_page(&app, signed_in, id, StatusCode::OK, query.done, None).await
}

pub async fn update_agent(
    State(app): State<App>,
    signed_in: SignedIn,
    Id(id): Id,
    Submitted(fields): Submitted<Vec<(String, String)>>,
) -> PageResult {
    admin_only(&signed_in)?;
    let fields = Fields::new(fields);
    let change = AgentChange {
        name: Some(fields.text("name")),
        role: Some(role_in(&fields)?),
        reports_to: Some(fields.optional_id("reports_to")?),
        team_ids: Some(fields.ids("team_ids")?),
        title: Some(fields.text("title")),
        phone: Some(fields.text("phone")),
    };
    let path = format!("/admin/agents/{id}");
    match app
        .store
        .update_agent(id, change, Actor::Agent(signed_in.agent.id))
        .await
    {
        Ok(agent) => Ok(back(
            &path,
            &format!("Saved the changes to {}.", agent.name),
        )),
        Err(error) => {
            let (status, message) = correctable(error)?;
            agent_page(&app, signed_in, id, status, None, Some(message)).await
        }
    }
}

#[derive(Deserialize)]
pub struct Resend {}

pub async fn resend_invitation(
    State(app): State<App>,
    signed_in: SignedIn,
    Id(id): Id,
    Submitted(Resend {}): Submitted<Resend>,
) -> PageResult {
    admin_only(&signed_in)?;
    let path = format!("/admin/agents/{id}");
    match app
        .store
        .resend_invitation(id, Actor::Agent(signed_in.agent.id))
        .await
    {
        Ok(agent) => Ok(back(
            &path,
            &format!(
                "A new invitation is on its way to {}; earlier links no longer work.",
                agent.email
            ),
        )),
        Err(error) => {
            let (status, message) = correctable(error)?;
            agent_page(&app, signed_in, id, status, None, Some(message)).await
        }
    }
}

pub async fn deactivate_agent(
    State(app): State<App>,
    signed_in: SignedIn,
    Id(id): Id,
    Submitted(fields): Submitted<Vec<(String, String)>>,
) -> PageResult {
    admin_only(&signed_in)?;
    let fields = Fields::new(fields);
    let path = format!("/admin/agents/{id}");
    let Some(hand_to) = fields.optional_id("hand_to")? else {
        let message = "Choose who takes over their work.".to_owned();
        return agent_page(
            &app,
            signed_in,
            id,
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
            Some(message),
        )
        .await;
    };
    match app
        .store
        .deactivate_agent(
            id,
            hand_to,
            &fields.text("note"),
            Actor::Agent(signed_in.agent.id),
        )
        .await
    {
        Ok(moved) => {
            let count = moved.tickets.len()
                + moved.customers.len()
                + moved.organizations.len()
                + moved.promises.len()
                + moved.tasks.len()
                + moved.escalations.len()
                + moved.reports.len();
            Ok(back(
                &path,
                &format!(
                    "Deactivated. {count} open item(s) were handed over; their sessions and tokens no longer work."
                ),
            ))
        }
        Err(error) => {
            let (status, message) = correctable(error)?;
            agent_page(&app, signed_in, id, status, None, Some(message)).await
        }
    }
}

impl InviteForm {
    fn reports_to_is(&self, id: &i64) -> bool {
        self.reports_to == Some(*id)
    }

    fn in_team(&self, id: &i64) -> bool {
        self.team_ids.contains(id)
    }

    fn role_is(&self, role: &Role) -> bool {
        self.role == role.as_str()
    }
}

impl Person {
    fn reports_to_is(&self, id: &i64) -> bool {
        self.agent.reports_to == Some(*id)
    }

    fn role_is(&self, role: &Role) -> bool {
        self.agent.role == *role
    }
}

pub async fn sign_out_everywhere(
    State(app): State<App>,
    signed_in: SignedIn,
    Id(id): Id,
    Submitted(Resend {}): Submitted<Resend>,
) -> PageResult {
    admin_only(&signed_in)?;
    let agent = app.store.agent(id).await?;
    let ended = app
        .store
        .end_other_sessions(Actor::Agent(signed_in.agent.id), id, None)
        .await?;
    Ok(back(
        &format!("/admin/agents/{id}"),
        &format!("Signed {} out of {ended} browser session(s).", agent.name),
    ))
}

pub async fn reset_two_factor(
    State(app): State<App>,
    signed_in: SignedIn,
    Id(id): Id,
    Submitted(Resend {}): Submitted<Resend>,
) -> PageResult {
    admin_only(&signed_in)?;
    let path = format!("/admin/agents/{id}");
    match app
        .store
        .reset_two_factor(Actor::Agent(signed_in.agent.id), id)
        .await
    {
        Ok(true) => Ok(back(
            &path,
            "Two-factor sign-in is off for them: they sign in with their password (and set it up again if the workspace requires it).",
        )),
        Ok(false) => Ok(back(&path, "They had no two-factor sign-in to reset.")),
        Err(error) => {
            let (status, message) = correctable(error)?;
            agent_page(&app, signed_in, id, status, None, Some(message)).await
        }
    }
}

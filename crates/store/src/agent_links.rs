//! Single-use links that let an agent choose a password: the invitation an admin sends to a
//! new agent, and the reset an agent asks for on the sign-in page. Only the token's digest is
//! stored; a link is claimed by one conditional update, so it works once however often it is
//! pressed at once.

use crate::agents::{Staff, agent_from, insert_agent};
use crate::rows::text;
use crate::{Store, StoreError, StoreResult, Tx, events, secrets};
use rapport_domain::agent::AgentLinkPurpose;
use rapport_domain::timings::{INVITE_DAYS, PASSWORD_RESET_MINUTES};
use rapport_domain::wording::{self, Mail};
use rapport_domain::{Actor, Agent, validate};
use serde_json::json;

/// At most [`MAX_RESETS_PER_WINDOW`] reset links go to one agent within this long. (How long
/// each link works is the workspace timing `password_reset_minutes`, and an invitation's
/// `invite_days`.)
const RESET_WINDOW_SECONDS: i64 = 60 * 60;
const MAX_RESETS_PER_WINDOW: i64 = 3;

/// The setting that holds the workspace's name, as agents and customers read it in mail.
pub const WORKSPACE_NAME_SETTING: &str = "workspace_name";
pub const DEFAULT_WORKSPACE_NAME: &str = "Rapport";

/// Someone to invite: who they are and the teams they join.
pub struct Invitation<'a> {
    pub staff: Staff<'a>,
    pub team_ids: &'a [i64],
}

/// What an unused link offers, for the page that asks for the password.
#[derive(Debug, Clone)]
pub struct LinkFor {
    pub purpose: AgentLinkPurpose,
    pub name: String,
    pub email: String,
}

impl Store {
    /// Creates an agent without a password and mails them an invitation to choose one. Until
    /// they do, nobody can sign in as them.
    pub async fn invite_agent(
        &self,
        invitation: Invitation<'_>,
        actor: Actor,
    ) -> StoreResult<Agent> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let agent = insert_agent(&mut tx, &now, invitation.staff, None, actor).await?;
        crate::teams::join_teams(&mut tx, agent.id, invitation.team_ids).await?;
        mail_invitation(self, &mut tx, &now, &agent, actor).await?;
        tx.commit().await?;
        Ok(agent)
    }

    /// Mails a new invitation to an agent who has not chosen a password yet (the first one
    /// expired or went astray). Earlier invitations stop working.
    pub async fn resend_invitation(&self, agent_id: i64, actor: Actor) -> StoreResult<Agent> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(
            "SELECT id, email, name, role, reports_to, title, phone, created_at, password_hash, deactivated_at \
             FROM agents WHERE id = $1",
        )
        .bind(agent_id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| StoreError::not_found("agent", agent_id))?;
        let agent = agent_from(&row)?;
        if crate::rows::opt_text(&row, "deactivated_at")?.is_some() {
            return Err(StoreError::Conflict {
                code: "agent_deactivated",
                message: format!(
                    "{} has been deactivated; an invitation would not let them in",
                    agent.name
                ),
            });
        }
        if crate::rows::opt_text(&row, "password_hash")?.is_some() {
            return Err(StoreError::Conflict {
                code: "agent_has_password",
                message: format!(
                    "{} has already chosen a password; if they forgot it, they can ask for a reset on the sign-in page",
                    agent.name
                ),
            });
        }
        retire_links(&mut tx, &now, agent.id).await?;
        mail_invitation(self, &mut tx, &now, &agent, actor).await?;
        tx.commit().await?;
        Ok(agent)
    }

    /// Mails a password reset link to an active agent's address. Says nothing about whether
    /// the address is an agent's (the form must not tell strangers who works here), and sends
    /// at most three links an hour to one agent, so the form cannot flood a mailbox.
    pub async fn send_password_reset(&self, email: &str) -> StoreResult<()> {
        let Ok(email) = validate::email(email) else {
            return Ok(());
        };
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(
            "SELECT id, email, name, role, reports_to, title, phone, created_at FROM agents \
             WHERE email = $1 AND deactivated_at IS NULL",
        )
        .bind(&email)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            return Ok(());
        };
        let agent = agent_from(&row)?;
        // Many requests at once must not all count the same links.
        if self.backend() == crate::Backend::Postgres {
            sqlx::query("SELECT id FROM agents WHERE id = $1 FOR UPDATE")
                .bind(agent.id)
                .fetch_optional(&mut *tx)
                .await?;
        }
        let recent: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM agent_links WHERE agent_id = $1 AND purpose = $2 AND created_at > $3",
        )
        .bind(agent.id)
        .bind(AgentLinkPurpose::PasswordReset.as_str())
        .bind(self.from_now(-RESET_WINDOW_SECONDS))
        .fetch_one(&mut *tx)
        .await?;
        if recent >= MAX_RESETS_PER_WINDOW {
            return Ok(());
        }
        let lifetime = crate::settings::timing_in(&mut tx, PASSWORD_RESET_MINUTES).await?;
        let token = insert_link(
            &mut tx,
            &now,
            agent.id,
            AgentLinkPurpose::PasswordReset,
            &self.from_now(lifetime * 60),
        )
        .await?;
        let workspace = workspace_name(&mut tx).await?;
        let link = format!("{}/password/{token}", self.public_url());
        let text = wording::mail::PasswordReset {
            first_name: &wording::first_name(Some(&agent.name)),
            workspace: &workspace,
            email: &agent.email,
            link: &link,
            minutes: lifetime,
        }
        .text();
        crate::mail_outbox::queue_notice(
            &mut tx,
            &now,
            &agent.email,
            wording::mail::PASSWORD_RESET_SUBJECT,
            &text,
        )
        .await?;
        events::record(
            &mut tx,
            &now,
            Actor::System,
            "agent",
            agent.id,
            "agent.password_reset_sent",
            json!({}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Whom an unused, unexpired link is for; otherwise why it cannot be used.
    pub async fn agent_link(&self, token: &str) -> StoreResult<LinkFor> {
        let row = sqlx::query(
            "SELECT l.purpose, l.used_at, l.expires_at, a.name, a.email, a.deactivated_at \
             FROM agent_links l JOIN agents a ON a.id = l.agent_id WHERE l.token_hash = $1",
        )
        .bind(secrets::digest(token))
        .fetch_optional(self.pool())
        .await?
        .ok_or_else(not_a_link)?;
        let purpose: AgentLinkPurpose = crate::rows::named(&row, "purpose")?;
        if crate::rows::opt_text(&row, "used_at")?.is_some() {
            return Err(used(purpose));
        }
        if text(&row, "expires_at")? <= self.now()
            || crate::rows::opt_text(&row, "deactivated_at")?.is_some()
        {
            return Err(expired(purpose));
        }
        Ok(LinkFor {
            purpose,
            name: text(&row, "name")?,
            email: text(&row, "email")?,
        })
    }

    /// Uses a link: sets the agent's password, ends every session they had (whoever knew the
    /// old password is out) and retires their other links. Returns the agent, who then signs
    /// in as usual (with their second factor, if they have one).
    pub async fn use_agent_link(&self, token: &str, password: &str) -> StoreResult<Agent> {
        validate::password(password)?;
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let claimed = sqlx::query(
            "UPDATE agent_links SET used_at = $1 \
             WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1 RETURNING agent_id, purpose",
        )
        .bind(&now)
        .bind(secrets::digest(token))
        .fetch_optional(&mut *tx)
        .await?;
        let Some(claimed) = claimed else {
            drop(tx);
            return Err(match self.agent_link(token).await {
                Ok(_) => not_a_link(),
                Err(why) => why,
            });
        };
        let agent_id = crate::rows::int(&claimed, "agent_id")?;
        let purpose: AgentLinkPurpose = crate::rows::named(&claimed, "purpose")?;
        let row = sqlx::query(
            "SELECT id, email, name, role, reports_to, title, phone, created_at FROM agents \
             WHERE id = $1 AND deactivated_at IS NULL",
        )
        .bind(agent_id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| expired(purpose))?;
        let agent = agent_from(&row)?;
        sqlx::query("UPDATE agents SET password_hash = $1 WHERE id = $2")
            .bind(secrets::hash_password(password))
            .bind(agent.id)
            .execute(&mut *tx)
            .await?;
        let ended = sqlx::query("DELETE FROM sessions WHERE agent_id = $1")
            .bind(agent.id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        retire_links(&mut tx, &now, agent.id).await?;
        events::record(
            &mut tx,
            &now,
            Actor::Agent(agent.id),
            "agent",
            agent.id,
            "agent.password_set",
            json!({ "via": purpose.as_str(), "sessions_ended": ended }),
        )
        .await?;
        tx.commit().await?;
        Ok(agent)
    }
}

/// The workspace's name as mail shows it.
pub(crate) async fn workspace_name(tx: &mut Tx) -> StoreResult<String> {
    let name: Option<String> = sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
        .bind(WORKSPACE_NAME_SETTING)
        .fetch_optional(&mut **tx)
        .await?;
    Ok(name.unwrap_or_else(|| DEFAULT_WORKSPACE_NAME.to_owned()))
}

async fn mail_invitation(
    store: &Store,
    tx: &mut Tx,
    now: &str,
    agent: &Agent,
    actor: Actor,
) -> StoreResult<()> {
    let days = crate::settings::timing_in(tx, INVITE_DAYS).await?;
    let token = insert_link(
        tx,
        now,
        agent.id,
        AgentLinkPurpose::Invite,
        &store.from_now(days * 24 * 60 * 60),
    )
    .await?;
    let inviter = match actor {
        Actor::Agent(id) => {
            sqlx::query_scalar::<_, String>("SELECT name FROM agents WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut **tx)
                .await?
        }
        _ => None,
    }
    .unwrap_or_else(|| "An administrator".to_owned());
    let workspace = workspace_name(tx).await?;
    let link = format!("{}/password/{token}", store.public_url());
    let text = wording::mail::AgentInvite {
        first_name: &wording::first_name(Some(&agent.name)),
        inviter: &inviter,
        workspace: &workspace,
        email: &agent.email,
        link: &link,
        days,
    }
    .text();
    let subject = wording::mail::agent_invite_subject(&workspace);
    crate::mail_outbox::queue_notice(tx, now, &agent.email, &subject, &text).await?;
    events::record(
        tx,
        now,
        actor,
        "agent",
        agent.id,
        "agent.invited",
        json!({ "email": agent.email }),
    )
    .await
}

async fn insert_link(
    tx: &mut Tx,
    now: &str,
    agent_id: i64,
    purpose: AgentLinkPurpose,
    expires_at: &str,
) -> StoreResult<String> {
    let token = secrets::generate("");
    sqlx::query(
        "INSERT INTO agent_links (agent_id, purpose, token_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(agent_id)
    .bind(purpose.as_str())
    .bind(secrets::digest(&token))
    .bind(now)
    .bind(expires_at)
    .execute(&mut **tx)
    .await?;
    Ok(token)
}

/// Marks every unused link of an agent used: only the newest invitation works, and none
/// works once a password has been chosen.
pub(crate) async fn retire_links(tx: &mut Tx, now: &str, agent_id: i64) -> StoreResult<()> {
    sqlx::query("UPDATE agent_links SET used_at = $1 WHERE agent_id = $2 AND used_at IS NULL")
        .bind(now)
        .bind(agent_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

fn not_a_link() -> StoreError {
    StoreError::not_found("link", "given")
}

fn used(purpose: AgentLinkPurpose) -> StoreError {
    StoreError::Conflict {
        code: "link_used",
        message: match purpose {
            AgentLinkPurpose::Invite => {
                "This invitation has already been used. Sign in with the password you chose, or ask for a new password on the sign-in page."
            }
            AgentLinkPurpose::PasswordReset => {
                "This link has already been used. If you need another, ask for a new password on the sign-in page."
            }
        }
        .into(),
    }
}

fn expired(purpose: AgentLinkPurpose) -> StoreError {
    StoreError::Conflict {
        code: "link_expired",
        message: match purpose {
            AgentLinkPurpose::Invite => {
                "This invitation has expired. Ask an administrator to send a new one."
            }
            AgentLinkPurpose::PasswordReset => {
                "This link has expired. Ask for a new password on the sign-in page; the new link works for an hour."
            }
        }
        .into(),
    }
}

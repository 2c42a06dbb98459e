//! API tokens for integrations and sessions for the browser. Both are random secrets shown
//! once and stored only as digests. Creating, revoking and signing in leave events in the
//! audit trail; the secrets never do.

use crate::agents::agent_from;
use crate::events::{self, change};
use crate::rows::{int, opt_text, text};
use crate::{Store, StoreError, StoreResult, secrets};
use rapport_domain::{Actor, Agent};
use serde_json::json;

pub use rapport_domain::agent::{SESSION_IDLE_SECONDS, SESSION_MAX_SECONDS};

/// How mail intake tokens begin, so that a misplaced one can be named as such.
pub const INTAKE_TOKEN_PREFIX: &str = "rpi_";

/// A freshly created API token: the secret is in `token`, and this is the only time it exists
/// outside the caller's hands.
pub struct IssuedToken {
    pub id: i64,
    pub token: String,
}

/// What is known about an API token, never the secret.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct TokenInfo {
    pub id: i64,
    pub agent_id: i64,
    pub label: String,
    pub created_at: String,
    pub last_used_at: Option<String>,
    /// When it was revoked; `null` while it works.
    pub revoked_at: Option<String>,
}

/// Where an agent signed in, for the audit trail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignInVia {
    /// `POST /api/v1/session`.
    Api,
    /// The workspace's sign-in page.
    Workspace,
}

impl SignInVia {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            SignInVia::Api => "api",
            SignInVia::Workspace => "workspace",
        }
    }

    pub(crate) fn from_name(name: &str) -> SignInVia {
        if name == "api" {
            SignInVia::Api
        } else {
            SignInVia::Workspace
        }
    }
}

/// A failed sign-in names no agent when the address is unknown; its event is about this id.
const NO_AGENT: i64 = 0;
/// Longer addresses than this are cut in the audit trail (an address has at most 254).
const MAX_TRIED_ADDRESS_CHARS: usize = 254;

impl Store {
    /// A new token for an agent, made by the system (the command line).
    pub async fn create_token(&self, agent_id: i64, label: &str) -> StoreResult<IssuedToken> {
        self.create_token_by(Actor::System, agent_id, label).await
    }

    /// A new token for an agent; the event names who made it, never the token.
    pub async fn create_token_by(
        &self,
        actor: Actor,
        agent_id: i64,
        label: &str,
    ) -> StoreResult<IssuedToken> {
        let label = rapport_domain::validate::line("label", label, 100)?;
        let token = secrets::generate("rpt_");
        let now = self.now();
        let mut tx = self.begin_write().await?;
        crate::agents::ensure_agent(&mut tx, "agent_id", agent_id).await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO api_tokens (agent_id, label, token_hash, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(agent_id)
        .bind(&label)
        .bind(secrets::digest(&token))
        .bind(&now)
        .fetch_one(&mut *tx)
        .await?;
        events::record(
            &mut tx,
            &now,
            actor,
            "api_token",
            id,
            "token.created",
            json!({
                "agent_id": change(None::<i64>, agent_id),
                "label": change(None::<String>, &label),
            }),
        )
        .await?;
        tx.commit().await?;
        Ok(IssuedToken { id, token })
    }

    /// The active agent a token belongs to, or `None` for an unknown or revoked token.
    pub async fn agent_for_token(&self, token: &str) -> StoreResult<Option<Agent>> {
        let row = sqlx::query(
            "SELECT t.id AS token_id, t.last_used_at, a.id, a.email, a.name, a.role, a.reports_to, a.title, a.phone, a.created_at \
             FROM api_tokens t JOIN agents a ON a.id = t.agent_id \
             WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND a.deactivated_at IS NULL",
        )
        .bind(secrets::digest(token))
        .fetch_optional(self.pool())
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        // Record use at most once a minute, so that reads do not turn into writes.
        let last_used = opt_text(&row, "last_used_at")?;
        if last_used.is_none_or(|at| at < self.from_now(-60)) {
            sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
                .bind(self.now())
                .bind(int(&row, "token_id")?)
                .execute(self.pool())
                .await?;
        }
        Ok(Some(agent_from(&row)?))
    }

    /// API tokens, newest first: one agent's, or everyone's when `agent_id` is `None`.
    pub async fn tokens(&self, agent_id: Option<i64>) -> StoreResult<Vec<TokenInfo>> {
        let rows = sqlx::query(
            "SELECT id, agent_id, label, created_at, last_used_at, revoked_at FROM api_tokens \
             WHERE agent_id = $1 OR $2 ORDER BY id DESC LIMIT 1000",
        )
        .bind(agent_id.unwrap_or(NO_AGENT))
        .bind(agent_id.is_none())
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(TokenInfo {
                    id: int(row, "id")?,
                    agent_id: int(row, "agent_id")?,
                    label: text(row, "label")?,
                    created_at: text(row, "created_at")?,
                    last_used_at: opt_text(row, "last_used_at")?,
                    revoked_at: opt_text(row, "revoked_at")?,
                })
            })
            .collect()
    }

    /// Revokes a token at once. With `owner`, only a token of that agent (another's is not
    /// found); revoking a revoked token changes nothing.
    pub async fn revoke_token(
        &self,
        actor: Actor,
        token_id: i64,
        owner: Option<i64>,
    ) -> StoreResult<()> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let row = sqlx::query("SELECT agent_id, revoked_at FROM api_tokens WHERE id = $1")
            .bind(token_id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| StoreError::not_found("token", token_id))?;
        let agent_id = int(&row, "agent_id")?;
        if owner.is_some_and(|owner| owner != agent_id) {
            return Err(StoreError::not_found("token", token_id));
        }
        if opt_text(&row, "revoked_at")?.is_some() {
            return Ok(());
        }
        // Two revocations at once: one revokes and records it, the other changes nothing.
        let revoked = sqlx::query(
            "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
        )
        .bind(&now)
        .bind(token_id)
        .execute(&mut *tx)
        .await?;
        if revoked.rows_affected() == 0 {
            return Ok(());
        }
        events::record(
            &mut tx,
            &now,
            actor,
            "api_token",
            token_id,
            "token.revoked",
            json!({
                "agent_id": agent_id,
                "revoked_at": change(None::<String>, &now),
            }),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Creates a mail intake token: it may post inbound mail and do nothing else, and no
    /// agent's token may post mail (see `POST /api/v1/inbound/email`).
    pub async fn create_intake_token(&self, label: &str) -> StoreResult<IssuedToken> {
        let token = secrets::generate(INTAKE_TOKEN_PREFIX);
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO intake_tokens (label, token_hash, created_at) VALUES ($1, $2, $3) RETURNING id",
        )
        .bind(label)
        .bind(secrets::digest(&token))
        .bind(self.now())
        .fetch_one(self.pool())
        .await?;
        Ok(IssuedToken { id, token })
    }

    /// Whether this is a live (not revoked) mail intake token.
    pub async fn is_intake_token(&self, token: &str) -> StoreResult<bool> {
        let row = sqlx::query(
            "SELECT id, last_used_at FROM intake_tokens WHERE token_hash = $1 AND revoked_at IS NULL",
        )
        .bind(secrets::digest(token))
        .fetch_optional(self.pool())
        .await?;
        let Some(row) = row else {
            return Ok(false);
        };
        // As for API tokens: record use at most once a minute.
        let last_used = crate::rows::opt_text(&row, "last_used_at")?;
        if last_used.is_none_or(|at| at < self.from_now(-60)) {
            sqlx::query("UPDATE intake_tokens SET last_used_at = $1 WHERE id = $2")
                .bind(self.now())
                .bind(crate::rows::int(&row, "id")?)
                .execute(self.pool())
                .await?;
        }
        Ok(true)
    }

    /// Starts a browser session for an agent who just signed in, and returns its secret id (for
    /// the cookie). The sign-in is in the audit trail.
    pub async fn create_session(&self, agent_id: i64, via: SignInVia) -> StoreResult<String> {
        let mut tx = self.begin_write().await?;
        let session = self
            .insert_session(&mut tx, agent_id, json!({ "via": via.as_str() }))
            .await?;
        tx.commit().await?;
        Ok(session)
    }

    /// A new session inside a transaction, with its `agent.signed_in` event (`how` says how).
    pub(crate) async fn insert_session(
        &self,
        tx: &mut crate::Tx,
        agent_id: i64,
        how: serde_json::Value,
    ) -> StoreResult<String> {
        let session = secrets::generate("");
        let now = self.now();
        sqlx::query(
            "INSERT INTO sessions (id_hash, agent_id, created_at, last_seen_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(secrets::digest(&session))
        .bind(agent_id)
        .bind(&now)
        .bind(&now)
        .bind(self.from_now(SESSION_IDLE_SECONDS.min(SESSION_MAX_SECONDS)))
        .execute(&mut **tx)
        .await?;
        events::record(
            tx,
            &now,
            Actor::Agent(agent_id),
            "agent",
            agent_id,
            "agent.signed_in",
            how,
        )
        .await?;
        Ok(session)
    }

    /// Records a refused sign-in: the address tried (never the password), about the agent it
    /// belongs to if any. Nobody is known to have tried, so the actor is the system.
    pub async fn record_failed_sign_in(&self, email: &str, via: SignInVia) -> StoreResult<()> {
        let tried: String = email.trim().chars().take(MAX_TRIED_ADDRESS_CHARS).collect();
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let agent_id: Option<i64> = match rapport_domain::validate::email(&tried) {
            Ok(address) => {
                sqlx::query_scalar("SELECT id FROM agents WHERE email = $1")
                    .bind(address)
                    .fetch_optional(&mut *tx)
                    .await?
            }
            Err(_) => None,
        };
        events::record(
            &mut tx,
            &now,
            Actor::System,
            "agent",
            agent_id.unwrap_or(NO_AGENT),
            "agent.sign_in_failed",
            json!({ "email": tried, "via": via.as_str() }),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The agent of a live session, extending it; `None` when unknown, idle too long, or
    /// older than [`SESSION_MAX_SECONDS`] however busy.
    pub async fn agent_for_session(&self, session: &str) -> StoreResult<Option<Agent>> {
        let digest = secrets::digest(session);
        let row = sqlx::query(
            "SELECT s.created_at AS signed_in_at, s.last_seen_at, a.id, a.email, a.name, a.role, a.reports_to, a.title, a.phone, a.created_at \
             FROM sessions s JOIN agents a ON a.id = s.agent_id \
             WHERE s.id_hash = $1 AND s.expires_at > $2 AND s.created_at > $3 AND a.deactivated_at IS NULL",
        )
        .bind(&digest)
        .bind(self.now())
        .bind(self.from_now(-SESSION_MAX_SECONDS))
        .fetch_optional(self.pool())
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let last_seen = text(&row, "last_seen_at")?;
        if last_seen < self.from_now(-60) {
            // Use extends the session by the idle limit, never past its absolute end.
            let idle_end = self.from_now(SESSION_IDLE_SECONDS);
            let absolute_end = crate::clock::parse(&text(&row, "signed_in_at")?)
                .map(|at| crate::clock::format(at + time::Duration::seconds(SESSION_MAX_SECONDS)))
                .unwrap_or_else(|| idle_end.clone());
            sqlx::query(
                "UPDATE sessions SET last_seen_at = $1, expires_at = $2 WHERE id_hash = $3",
            )
            .bind(self.now())
            .bind(idle_end.min(absolute_end))
            .bind(&digest)
            .execute(self.pool())
            .await?;
        }
        Ok(Some(agent_from(&row)?))
    }

    pub async fn end_session(&self, session: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
            .bind(secrets::digest(session))
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Ends every browser session of an agent except `keep` (the one asking, if it is a
    /// browser), and returns how many ended.
    pub async fn end_other_sessions(
        &self,
        actor: Actor,
        agent_id: i64,
        keep: Option<&str>,
    ) -> StoreResult<u64> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let ended = end_sessions_in(&mut tx, agent_id, keep).await?;
        events::record(
            &mut tx,
            &now,
            actor,
            "agent",
            agent_id,
            "session.ended_others",
            json!({ "sessions_ended": ended }),
        )
        .await?;
        tx.commit().await?;
        Ok(ended)
    }

    /// Changes an agent's password when `current` is right (`Ok(None)` when it is not), and
    /// ends the agent's other browser sessions (`Some` says how many): whoever learnt the old
    /// password is signed out.
    pub async fn change_password(
        &self,
        agent_id: i64,
        current: &str,
        new: &str,
        keep: Option<&str>,
    ) -> StoreResult<Option<u64>> {
        rapport_domain::validate::password(new)?;
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let stored: Option<String> =
            sqlx::query_scalar("SELECT password_hash FROM agents WHERE id = $1")
                .bind(agent_id)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or_else(|| StoreError::not_found("agent", agent_id))?;
        if !stored.is_some_and(|hash| secrets::verify_password(current, &hash)) {
            return Ok(None);
        }
        sqlx::query("UPDATE agents SET password_hash = $1 WHERE id = $2")
            .bind(secrets::hash_password(new))
            .bind(agent_id)
            .execute(&mut *tx)
            .await?;
        let ended = end_sessions_in(&mut tx, agent_id, keep).await?;
        events::record(
            &mut tx,
            &now,
            Actor::Agent(agent_id),
            "agent",
            agent_id,
            "agent.password_changed",
            json!({ "sessions_ended": ended }),
        )
        .await?;
        tx.commit().await?;
        Ok(Some(ended))
    }
}

async fn end_sessions_in(
    tx: &mut crate::Tx,
    agent_id: i64,
    keep: Option<&str>,
) -> StoreResult<u64> {
    let done = sqlx::query("DELETE FROM sessions WHERE agent_id = $1 AND id_hash <> $2")
        .bind(agent_id)
        .bind(keep.map(secrets::digest).unwrap_or_default())
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected())
}

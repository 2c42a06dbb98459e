//! API tokens for integrations and sessions for the browser. Both are random secrets shown
//! once and stored only as digests.

use crate::agents::agent_from;
use crate::{Store, StoreError, StoreResult, secrets};
use rapport_domain::Agent;

/// How long a browser session lasts without use.
pub const SESSION_IDLE_SECONDS: i64 = 14 * 24 * 60 * 60;

/// How mail intake tokens begin, so that a misplaced one can be named as such.
pub const INTAKE_TOKEN_PREFIX: &str = "rpi_";

/// A freshly created API token: the secret is in `token`, and this is the only time it exists
/// outside the caller's hands.
pub struct IssuedToken {
    pub id: i64,
    pub token: String,
}

impl Store {
    pub async fn create_token(&self, agent_id: i64, label: &str) -> StoreResult<IssuedToken> {
        let token = secrets::generate("rpt_");
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO api_tokens (agent_id, label, token_hash, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(agent_id)
        .bind(label)
        .bind(secrets::digest(&token))
        .bind(self.now())
        .fetch_one(self.pool())
        .await?;
        Ok(IssuedToken { id, token })
    }

    /// The active agent a token belongs to, or `None` for an unknown or revoked token.
    pub async fn agent_for_token(&self, token: &str) -> StoreResult<Option<Agent>> {
        let row = sqlx::query(
            "SELECT t.id AS token_id, t.last_used_at, a.id, a.email, a.name, a.role, a.reports_to, a.created_at \
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
        let last_used = crate::rows::opt_text(&row, "last_used_at")?;
        if last_used.is_none_or(|at| at < self.from_now(-60)) {
            sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
                .bind(self.now())
                .bind(crate::rows::int(&row, "token_id")?)
                .execute(self.pool())
                .await?;
        }
        Ok(Some(agent_from(&row)?))
    }

    pub async fn revoke_token(&self, token_id: i64) -> StoreResult<()> {
        let done = sqlx::query(
            "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
        )
        .bind(self.now())
        .bind(token_id)
        .execute(self.pool())
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::not_found("token", token_id));
        }
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

    /// Starts a browser session for an agent and returns its secret id (for the cookie).
    pub async fn create_session(&self, agent_id: i64) -> StoreResult<String> {
        let session = secrets::generate("");
        let now = self.now();
        sqlx::query(
            "INSERT INTO sessions (id_hash, agent_id, created_at, last_seen_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(secrets::digest(&session))
        .bind(agent_id)
        .bind(&now)
        .bind(&now)
        .bind(self.from_now(SESSION_IDLE_SECONDS))
        .execute(self.pool())
        .await?;
        Ok(session)
    }

    /// The agent of a live session, extending it; `None` when unknown or expired.
    pub async fn agent_for_session(&self, session: &str) -> StoreResult<Option<Agent>> {
        let digest = secrets::digest(session);
        let row = sqlx::query(
            "SELECT s.last_seen_at, a.id, a.email, a.name, a.role, a.reports_to, a.created_at \
             FROM sessions s JOIN agents a ON a.id = s.agent_id \
             WHERE s.id_hash = $1 AND s.expires_at > $2 AND a.deactivated_at IS NULL",
        )
        .bind(&digest)
        .bind(self.now())
        .fetch_optional(self.pool())
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let last_seen = crate::rows::text(&row, "last_seen_at")?;
        if last_seen < self.from_now(-60) {
            sqlx::query(
                "UPDATE sessions SET last_seen_at = $1, expires_at = $2 WHERE id_hash = $3",
            )
            .bind(self.now())
            .bind(self.from_now(SESSION_IDLE_SECONDS))
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
}

//! Staff accounts.

use crate::rows::{int, named, opt_int, text};
use crate::{Store, StoreError, StoreResult, Tx, events, secrets};
use rapport_domain::{Actor, Agent, Role, validate};
use serde_json::json;
use sqlx::any::AnyRow;

pub struct NewAgent<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub role: Role,
    pub reports_to: Option<&'a str>,
    pub password: Option<&'a str>,
}

const COLUMNS: &str = "id, email, name, role, reports_to, created_at";

pub(crate) fn agent_from(row: &AnyRow) -> StoreResult<Agent> {
    Ok(Agent {
        id: int(row, "id")?,
        email: text(row, "email")?,
        name: text(row, "name")?,
        role: named(row, "role")?,
        reports_to: opt_int(row, "reports_to")?,
        created_at: text(row, "created_at")?,
    })
}

impl Store {
    pub async fn create_agent(&self, new: NewAgent<'_>, actor: Actor) -> StoreResult<Agent> {
        let email = validate::email(new.email)?;
        let name = validate::line("name", new.name, validate::MAX_NAME_CHARS)?;
        if let Some(password) = new.password {
            validate::password(password)?;
        }
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let reports_to = match new.reports_to {
            None => None,
            Some(boss) => {
                let boss = validate::email(boss)?;
                let id: Option<i64> = sqlx::query_scalar("SELECT id FROM agents WHERE email = $1")
                    .bind(&boss)
                    .fetch_optional(&mut *tx)
                    .await?;
                Some(id.ok_or_else(|| StoreError::UnknownReference {
                    entity: "agent",
                    message: format!("`reports_to`: there is no agent with the email {boss}; create that agent first"),
                })?)
            }
        };
        let taken: Option<i64> = sqlx::query_scalar("SELECT id FROM agents WHERE email = $1")
            .bind(&email)
            .fetch_optional(&mut *tx)
            .await?;
        if taken.is_some() {
            return Err(StoreError::Conflict {
                code: "agent_exists",
                message: format!("an agent with the email {email} already exists"),
            });
        }
        let row = sqlx::query(&format!(
            "INSERT INTO agents (email, name, role, reports_to, password_hash, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING {COLUMNS}"
        ))
        .bind(&email)
        .bind(&name)
        .bind(new.role.as_str())
        .bind(reports_to)
        .bind(new.password.map(secrets::hash_password))
        .bind(&now)
        .fetch_one(&mut *tx)
        .await?;
        let agent = agent_from(&row)?;
        events::record(
            &mut tx,
            &now,
            actor,
            "agent",
            agent.id,
            "agent.created",
            json!({
                "email": events::change(None::<String>, &agent.email),
                "role": events::change(None::<String>, agent.role),
                "reports_to": events::change(None::<i64>, agent.reports_to),
            }),
        )
        .await?;
        tx.commit().await?;
        Ok(agent)
    }

    pub async fn agent(&self, id: i64) -> StoreResult<Agent> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM agents WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .ok_or_else(|| StoreError::not_found("agent", id))?;
        agent_from(&row)
    }

    pub async fn agent_by_email(&self, email: &str) -> StoreResult<Agent> {
        let email = validate::email(email)?;
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM agents WHERE email = $1"))
            .bind(&email)
            .fetch_optional(self.pool())
            .await?
            .ok_or_else(|| StoreError::not_found("agent", &email))?;
        agent_from(&row)
    }

    pub async fn agents(&self) -> StoreResult<Vec<Agent>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM agents WHERE deactivated_at IS NULL ORDER BY id"
        ))
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(agent_from).collect()
    }

    /// Every agent's name by id, those who have left included: history keeps its names.
    pub async fn agent_names(&self) -> StoreResult<std::collections::HashMap<i64, String>> {
        let rows = sqlx::query("SELECT id, name FROM agents")
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|row| {
                Ok((
                    crate::rows::int(row, "id")?,
                    crate::rows::text(row, "name")?,
                ))
            })
            .collect()
    }

    pub async fn agent_count(&self) -> StoreResult<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM agents")
            .fetch_one(self.pool())
            .await?)
    }

    /// Checks an agent's email and password; `None` when either is wrong (the caller must not
    /// say which, so that sign-in does not reveal who has an account). Every call runs one
    /// password hash, for an unknown address too, so the time it takes tells nothing either.
    pub async fn verify_agent_password(
        &self,
        email: &str,
        password: &str,
    ) -> StoreResult<Option<Agent>> {
        let row = match validate::email(email) {
            Ok(email) => {
                sqlx::query(&format!(
                    "SELECT {COLUMNS}, password_hash FROM agents WHERE email = $1 AND deactivated_at IS NULL"
                ))
                .bind(&email)
                .fetch_optional(self.pool())
                .await?
            }
            Err(_) => None,
        };
        let stored = match &row {
            Some(row) => crate::rows::opt_text(row, "password_hash")?,
            None => None,
        };
        self.password_checks
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        // Tens of milliseconds of hashing would hold up every other request on this thread.
        let password = password.to_owned();
        let matches = tokio::task::spawn_blocking(move || {
            secrets::verify_password_or_nothing(&password, stored.as_deref())
        })
        .await
        .unwrap_or_else(|error| {
            // Only a panic in the hash (or the runtime stopping) gets here: refuse the sign-in.
            tracing::error!(%error, "the password check did not finish");
            false
        });
        match row {
            Some(row) if matches => Ok(Some(agent_from(&row)?)),
            _ => Ok(None),
        }
    }
}

/// The rule every new password follows, at creation and on a change.
/// Fails with a 422-style error unless the agent exists.
pub(crate) async fn ensure_agent(tx: &mut Tx, field: &str, id: i64) -> StoreResult<()> {
    let found: Option<i64> = sqlx::query_scalar("SELECT id FROM agents WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?;
    found
        .map(|_| ())
        .ok_or_else(|| StoreError::unknown("agent", field, id))
}

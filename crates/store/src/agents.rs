//! Staff accounts.

use crate::rows::{int, named, opt_int, opt_text, text};
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

pub(crate) const COLUMNS: &str = "id, email, name, role, reports_to, title, phone, created_at";

pub(crate) fn agent_from(row: &AnyRow) -> StoreResult<Agent> {
    Ok(Agent {
        id: int(row, "id")?,
        email: text(row, "email")?,
        name: text(row, "name")?,
        role: named(row, "role")?,
        reports_to: opt_int(row, "reports_to")?,
        title: opt_text(row, "title")?,
        phone: opt_text(row, "phone")?,
        created_at: text(row, "created_at")?,
    })
}

/// Who a new staff member is: what an admin types when creating or inviting them.
pub struct Staff<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub role: Role,
    pub reports_to: Option<i64>,
}

/// Inserts an agent (with a password hash, or none until they choose one through an
/// invitation) and its `agent.created` event.
pub(crate) async fn insert_agent(
    tx: &mut Tx,
    now: &str,
    staff: Staff<'_>,
    password_hash: Option<String>,
    actor: Actor,
) -> StoreResult<Agent> {
    let email = validate::email(staff.email)?;
    let name = validate::line("name", staff.name, validate::MAX_NAME_CHARS)?;
    if let Some(boss) = staff.reports_to {
        ensure_agent(tx, "reports_to", boss).await?;
    }
    let taken: Option<i64> = sqlx::query_scalar("SELECT id FROM agents WHERE email = $1")
        .bind(&email)
        .fetch_optional(&mut **tx)
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
    .bind(staff.role.as_str())
    .bind(staff.reports_to)
    .bind(password_hash)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?;
    let agent = agent_from(&row)?;
    events::record(
        tx,
        now,
        actor,
        "agent",
        agent.id,
        "agent.created",
        json!({
            "email": events::change(None::<String>, &agent.email),
            "name": events::change(None::<String>, &agent.name),
            "role": events::change(None::<String>, agent.role),
            "reports_to": events::change(None::<i64>, agent.reports_to),
        }),
    )
    .await?;
    Ok(agent)
}

impl Store {
    pub async fn create_agent(&self, new: NewAgent<'_>, actor: Actor) -> StoreResult<Agent> {
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
        let agent = insert_agent(
            &mut tx,
            &now,
            Staff {
                email: new.email,
                name: new.name,
                role: new.role,
                reports_to,
            },
            new.password.map(secrets::hash_password),
            actor,
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

/// Fails with a 422-style error unless the agent exists and is still on the team: work never
/// goes to someone who has been deactivated.
pub(crate) async fn ensure_agent(tx: &mut Tx, field: &str, id: i64) -> StoreResult<()> {
    let found: Option<Option<String>> =
        sqlx::query_scalar("SELECT deactivated_at FROM agents WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut **tx)
            .await?;
    match found {
        None => Err(StoreError::unknown("agent", field, id)),
        Some(Some(_)) => Err(StoreError::UnknownReference {
            entity: "agent",
            message: format!(
                "`{field}`: agent {id} has been deactivated; choose someone who is still on the team"
            ),
        }),
        Some(None) => Ok(()),
    }
}

impl Store {
    /// Every agent, those who were deactivated included, with when they left.
    pub async fn all_agents(&self) -> StoreResult<Vec<(Agent, Option<String>)>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS}, deactivated_at FROM agents ORDER BY deactivated_at IS NOT NULL, name, id"
        ))
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok((
                    agent_from(row)?,
                    crate::rows::opt_text(row, "deactivated_at")?,
                ))
            })
            .collect()
    }

    /// Whether the agent has chosen a password (an invited agent has not, until they do).
    pub async fn agent_has_password(&self, id: i64) -> StoreResult<bool> {
        let hash: Option<Option<String>> =
            sqlx::query_scalar("SELECT password_hash FROM agents WHERE id = $1")
                .bind(id)
                .fetch_optional(self.pool())
                .await?;
        Ok(hash.flatten().is_some())
    }
}

/// An agent, whether or not they are still on the team.
pub(crate) async fn agent_in(tx: &mut Tx, id: i64) -> StoreResult<Agent> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM agents WHERE id = $1"))
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or_else(|| StoreError::not_found("agent", id))?;
    agent_from(&row)
}

/// An agent who is still on the team, or why not.
pub(crate) async fn active_agent(tx: &mut Tx, id: i64) -> StoreResult<Agent> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS}, deactivated_at FROM agents WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or_else(|| StoreError::not_found("agent", id))?;
    let agent = agent_from(&row)?;
    if crate::rows::opt_text(&row, "deactivated_at")?.is_some() {
        return Err(StoreError::Conflict {
            code: "agent_deactivated",
            message: format!(
                "{} has been deactivated; their account can no longer change",
                agent.name
            ),
        });
    }
    Ok(agent)
}

impl Store {
    /// Creates the workspace's first agent, an admin, from the browser on first run. Returns
    /// `None` once any agent exists: of many tries at once, exactly one creates the admin.
    pub async fn create_first_admin(
        &self,
        email: &str,
        name: &str,
        password: &str,
    ) -> StoreResult<Option<Agent>> {
        validate::password(password)?;
        let now = self.now();
        let mut tx = self.begin_write().await?;
        // SQLite's write transaction already runs these one at a time; on PostgreSQL two
        // first-run forms at once would each count no agents without this lock.
        if self.backend() == crate::Backend::Postgres {
            sqlx::query("LOCK TABLE agents IN SHARE ROW EXCLUSIVE MODE")
                .execute(&mut *tx)
                .await?;
        }
        let existing: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM agents")
            .fetch_one(&mut *tx)
            .await?;
        if existing > 0 {
            return Ok(None);
        }
        let staff = Staff {
            email,
            name,
            role: Role::Admin,
            reports_to: None,
        };
        let hash = secrets::hash_password(password);
        let agent = insert_agent(&mut tx, &now, staff, Some(hash), Actor::System).await?;
        tx.commit().await?;
        Ok(Some(agent))
    }
}

/// On PostgreSQL, holds the active admins' rows, so that two changes at once (two admins
/// deactivating each other) cannot both count the other as the admin who stays. SQLite's
/// write transaction already runs them one after the other.
pub(crate) async fn lock_admins(backend: crate::Backend, tx: &mut Tx) -> StoreResult<()> {
    if backend == crate::Backend::Postgres {
        sqlx::query("SELECT id FROM agents WHERE role = $1 AND deactivated_at IS NULL FOR UPDATE")
            .bind(Role::Admin.as_str())
            .fetch_all(&mut **tx)
            .await?;
    }
    Ok(())
}

/// Everyone on staff, active or not, as the chain needs them.
pub(crate) async fn load_staff(tx: &mut Tx) -> StoreResult<rapport_domain::escalation::Staff> {
    let rows = sqlx::query(
        "SELECT id, email, name, role, reports_to, title, phone, created_at, deactivated_at FROM agents ORDER BY id",
    )
    .fetch_all(&mut **tx)
    .await?;
    let members = rows.iter().map(|row| {
        Ok(rapport_domain::escalation::StaffMember {
            agent: agent_from(row)?,
            active: crate::rows::opt_text(row, "deactivated_at")?.is_none(),
        })
    });
    Ok(rapport_domain::escalation::Staff::new(
        members.collect::<StoreResult<Vec<_>>>()?,
    ))
}

impl Store {
    /// `agent_id` and everyone whose reporting line passes through them, as a list of ids for
    /// an SQL `IN (...)`: what waits on a manager includes what waits on their reports.
    pub(crate) async fn chain_of(&self, agent_id: i64) -> StoreResult<String> {
        let mut tx = self.pool().begin().await?;
        let staff = load_staff(&mut tx).await?;
        let mut ids = staff.below(agent_id);
        ids.push(agent_id);
        Ok(ids
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(", "))
    }
}

//! Changing who is on the team and how: an agent's name, role, teams and supervisor. The
//! reporting line cannot become a circle, and the last active admin stays.

use crate::agents::{active_agent, ensure_agent, load_staff, lock_admins};
use crate::{Store, StoreError, StoreResult, events};
use rapport_domain::{Actor, Agent, Role, validate};

/// What an admin changes about an agent; `None` leaves a field as it is.
#[derive(Debug, Default)]
pub struct AgentChange {
    pub name: Option<String>,
    pub role: Option<Role>,
    /// `Some(None)`: reports to nobody.
    pub reports_to: Option<Option<i64>>,
    /// The agent's teams, all of them.
    pub team_ids: Option<Vec<i64>>,
    /// Their title for customers; blank for none.
    pub title: Option<String>,
    /// Their direct phone number for customers; blank for none.
    pub phone: Option<String>,
}

impl Store {
    /// Changes an agent's name, role, reporting line or teams, with one `agent.updated` event
    /// saying what changed. The reporting line cannot become a circle, and the last active
    /// admin cannot step down.
    pub async fn update_agent(
        &self,
        id: i64,
        change: AgentChange,
        actor: Actor,
    ) -> StoreResult<Agent> {
        let name = change
            .name
            .as_deref()
            .map(|name| validate::line("name", name, validate::MAX_NAME_CHARS))
            .transpose()?;
        let title = change
            .title
            .as_deref()
            .map(|title| validate::optional_line("title", title, 100))
            .transpose()?;
        let phone = change.phone.as_deref().map(validate::phone).transpose()?;
        let now = self.now();
        let mut tx = self.begin_write().await?;
        lock_admins(self.backend(), &mut tx).await?;
        let staff = load_staff(&mut tx).await?;
        let before = active_agent(&mut tx, id).await?;
        let mut after = before.clone();
        let mut changes = serde_json::Map::new();
        if let Some(name) = name.filter(|name| *name != before.name) {
            changes.insert("name".into(), events::change(&before.name, &name));
            after.name = name;
        }
        if let Some(title) = title.filter(|title| *title != before.title) {
            changes.insert("title".into(), events::change(&before.title, &title));
            after.title = title;
        }
        if let Some(phone) = phone.filter(|phone| *phone != before.phone) {
            changes.insert("phone".into(), events::change(&before.phone, &phone));
            after.phone = phone;
        }
        if let Some(role) = change.role.filter(|role| *role != before.role) {
            if before.role == Role::Admin && staff.active_admins() <= 1 {
                return Err(StoreError::Conflict {
                    code: "last_admin",
                    message: format!(
                        "{} is the only admin left; make someone else an admin first, or nobody could run the workspace",
                        before.name
                    ),
                });
            }
            changes.insert("role".into(), events::change(before.role, role));
            after.role = role;
        }
        if let Some(boss) = change.reports_to.filter(|boss| *boss != before.reports_to) {
            if let Some(boss) = boss {
                ensure_agent(&mut tx, "reports_to", boss).await?;
                if staff.would_loop(id, boss) {
                    return Err(validate::Invalid::new(
                        "reports_to",
                        "that would make the reporting line a circle: the new supervisor reports (directly or further up) to this agent",
                    )
                    .into());
                }
            }
            changes.insert("reports_to".into(), events::change(before.reports_to, boss));
            after.reports_to = boss;
        }
        if let Some(team_ids) = change.team_ids {
            let before_teams = crate::teams::teams_of(&mut tx, id).await?;
            let mut wanted = team_ids;
            wanted.sort_unstable();
            wanted.dedup();
            if wanted != before_teams {
                crate::teams::ensure_teams(&mut tx, "team_ids", &wanted).await?;
                sqlx::query("DELETE FROM team_members WHERE agent_id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                crate::teams::join_teams(&mut tx, id, &wanted).await?;
                changes.insert("team_ids".into(), events::change(&before_teams, &wanted));
            }
        }
        if changes.is_empty() {
            return Ok(before);
        }
        sqlx::query(
            "UPDATE agents SET name = $1, role = $2, reports_to = $3, title = $4, phone = $5 WHERE id = $6",
        )
        .bind(&after.name)
        .bind(after.role.as_str())
        .bind(after.reports_to)
        .bind(&after.title)
        .bind(&after.phone)
        .bind(id)
            .execute(&mut *tx)
            .await?;
        events::record(
            &mut tx,
            &now,
            actor,
            "agent",
            id,
            "agent.updated",
            serde_json::Value::Object(changes),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }
}

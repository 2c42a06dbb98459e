//! Teams of agents.

use crate::rows::{int, placeholders, text};
use crate::{Store, StoreError, StoreResult, Tx, events};
use rapport_domain::{Actor, Team, validate};
use serde_json::json;

impl Store {
    pub async fn create_team(
        &self,
        name: &str,
        member_ids: &[i64],
        restricted: bool,
        actor: Actor,
    ) -> StoreResult<Team> {
        let name = validate::line("name", name, validate::MAX_NAME_CHARS)?;
        let mut member_ids = member_ids.to_vec();
        member_ids.sort_unstable();
        member_ids.dedup();
        let mut tx = self.begin_write().await?;
        let taken: Option<i64> = sqlx::query_scalar("SELECT id FROM teams WHERE name = $1")
            .bind(&name)
            .fetch_optional(&mut *tx)
            .await?;
        if taken.is_some() {
            return Err(StoreError::Conflict {
                code: "team_exists",
                message: format!("a team named {name} already exists"),
            });
        }
        for &agent_id in &member_ids {
            let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM agents WHERE id = $1")
                .bind(agent_id)
                .fetch_optional(&mut *tx)
                .await?;
            if exists.is_none() {
                return Err(StoreError::unknown("agent", "member_ids", agent_id));
            }
        }
        let now = self.now();
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO teams (name, restricted, created_at) VALUES ($1, $2, $3) RETURNING id",
        )
        .bind(&name)
        .bind(i64::from(restricted))
        .bind(&now)
        .fetch_one(&mut *tx)
        .await?;
        for &agent_id in &member_ids {
            sqlx::query("INSERT INTO team_members (team_id, agent_id) VALUES ($1, $2)")
                .bind(id)
                .bind(agent_id)
                .execute(&mut *tx)
                .await?;
        }
        events::record(
            &mut tx,
            &now,
            actor,
            "team",
            id,
            "team.created",
            json!({
                "name": events::change(None::<String>, &name),
                "member_ids": events::change(None::<Vec<i64>>, &member_ids),
                "restricted": events::change(None::<bool>, restricted),
            }),
        )
        .await?;
        tx.commit().await?;
        Ok(Team {
            id,
            name,
            member_ids,
            restricted,
            created_at: now,
        })
    }

    pub async fn teams(&self) -> StoreResult<Vec<Team>> {
        let rows = sqlx::query("SELECT id, name, restricted, created_at FROM teams ORDER BY name")
            .fetch_all(self.pool())
            .await?;
        let mut teams: Vec<Team> = rows
            .iter()
            .map(|row| {
                Ok(Team {
                    id: int(row, "id")?,
                    name: text(row, "name")?,
                    member_ids: vec![],
                    restricted: int(row, "restricted")? != 0,
                    created_at: text(row, "created_at")?,
                })
            })
            .collect::<StoreResult<_>>()?;
        if teams.is_empty() {
            return Ok(teams);
        }
        let ids: Vec<i64> = teams.iter().map(|team| team.id).collect();
        let sql = format!(
            "SELECT team_id, agent_id FROM team_members WHERE team_id IN ({}) ORDER BY agent_id",
            placeholders(1, ids.len())
        );
        let mut query = sqlx::query(&sql);
        for id in &ids {
            query = query.bind(*id);
        }
        for row in query.fetch_all(self.pool()).await? {
            let team_id = int(&row, "team_id")?;
            if let Some(team) = teams.iter_mut().find(|team| team.id == team_id) {
                team.member_ids.push(int(&row, "agent_id")?);
            }
        }
        Ok(teams)
    }
}

/// What an admin changes about a team; `None` leaves a field as it is.
#[derive(Debug, Default)]
pub struct TeamChange {
    pub name: Option<String>,
    /// The members, all of them.
    pub member_ids: Option<Vec<i64>>,
    pub restricted: Option<bool>,
}

impl Store {
    /// Renames a team, sets its members or makes it restricted (or open), with one
    /// `team.updated` event saying what changed.
    pub async fn update_team(
        &self,
        id: i64,
        change: TeamChange,
        actor: Actor,
    ) -> StoreResult<Team> {
        let name = change
            .name
            .as_deref()
            .map(|name| validate::line("name", name, validate::MAX_NAME_CHARS))
            .transpose()?;
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let before = load_team(&mut tx, id).await?;
        let mut after = before.clone();
        let mut changes = serde_json::Map::new();
        if let Some(name) = name.filter(|name| *name != before.name) {
            let taken: Option<i64> =
                sqlx::query_scalar("SELECT id FROM teams WHERE name = $1 AND id <> $2")
                    .bind(&name)
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?;
            if taken.is_some() {
                return Err(StoreError::Conflict {
                    code: "team_exists",
                    message: format!("a team named {name} already exists"),
                });
            }
            changes.insert("name".into(), events::change(&before.name, &name));
            after.name = name;
        }
        if let Some(restricted) = change.restricted.filter(|r| *r != before.restricted) {
            changes.insert(
                "restricted".into(),
                events::change(before.restricted, restricted),
            );
            after.restricted = restricted;
        }
        if let Some(mut members) = change.member_ids {
            members.sort_unstable();
            members.dedup();
            if members != before.member_ids {
                for &agent_id in &members {
                    crate::agents::ensure_agent(&mut tx, "member_ids", agent_id).await?;
                }
                sqlx::query("DELETE FROM team_members WHERE team_id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                for &agent_id in &members {
                    sqlx::query("INSERT INTO team_members (team_id, agent_id) VALUES ($1, $2)")
                        .bind(id)
                        .bind(agent_id)
                        .execute(&mut *tx)
                        .await?;
                }
                changes.insert(
                    "member_ids".into(),
                    events::change(&before.member_ids, &members),
                );
                after.member_ids = members;
            }
        }
        if changes.is_empty() {
            return Ok(before);
        }
        sqlx::query("UPDATE teams SET name = $1, restricted = $2 WHERE id = $3")
            .bind(&after.name)
            .bind(i64::from(after.restricted))
            .bind(id)
            .execute(&mut *tx)
            .await?;
        events::record(
            &mut tx,
            &now,
            actor,
            "team",
            id,
            "team.updated",
            serde_json::Value::Object(changes),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }
}

/// The teams an agent is in, by id.
pub(crate) async fn teams_of(tx: &mut Tx, agent_id: i64) -> StoreResult<Vec<i64>> {
    Ok(
        sqlx::query_scalar("SELECT team_id FROM team_members WHERE agent_id = $1 ORDER BY team_id")
            .bind(agent_id)
            .fetch_all(&mut **tx)
            .await?,
    )
}

/// Fails with a 422-style error unless every team exists.
pub(crate) async fn ensure_teams(tx: &mut Tx, field: &str, team_ids: &[i64]) -> StoreResult<()> {
    for &team_id in team_ids {
        let found: Option<i64> = sqlx::query_scalar("SELECT id FROM teams WHERE id = $1")
            .bind(team_id)
            .fetch_optional(&mut **tx)
            .await?;
        found.ok_or_else(|| StoreError::unknown("team", field, team_id))?;
    }
    Ok(())
}

/// Puts an agent into teams (checked to exist).
pub(crate) async fn join_teams(tx: &mut Tx, agent_id: i64, team_ids: &[i64]) -> StoreResult<()> {
    let mut team_ids = team_ids.to_vec();
    team_ids.sort_unstable();
    team_ids.dedup();
    ensure_teams(tx, "team_ids", &team_ids).await?;
    for team_id in team_ids {
        sqlx::query("INSERT INTO team_members (team_id, agent_id) VALUES ($1, $2)")
            .bind(team_id)
            .bind(agent_id)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

async fn load_team(tx: &mut Tx, id: i64) -> StoreResult<Team> {
    let row = sqlx::query("SELECT id, name, restricted, created_at FROM teams WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or_else(|| StoreError::not_found("team", id))?;
    let member_ids = sqlx::query_scalar(
        "SELECT agent_id FROM team_members WHERE team_id = $1 ORDER BY agent_id",
    )
    .bind(id)
    .fetch_all(&mut **tx)
    .await?;
    Ok(Team {
        id: int(&row, "id")?,
        name: text(&row, "name")?,
        member_ids,
        restricted: int(&row, "restricted")? != 0,
        created_at: text(&row, "created_at")?,
    })
}

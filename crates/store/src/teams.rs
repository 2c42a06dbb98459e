//! Teams of agents.

use crate::rows::{int, placeholders, text};
use crate::{Store, StoreError, StoreResult, events};
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

//! Saved replies: an agent's own, or shared with everyone. The text is checked for
//! placeholders Rapport can fill (`rapport_domain::saved_reply`); the actions sent with it
//! are kept as JSON.

use crate::rows::{int, opt_int, text};
use crate::{Store, StoreError, StoreResult, events};
use rapport_domain::saved_reply::{self, Actions};
use rapport_domain::{Actor, Agent, validate};
use serde::Serialize;
use serde_json::json;
use sqlx::any::AnyRow;
use utoipa::ToSchema;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SavedReply {
    pub id: i64,
    /// The agent it belongs to; `null` when it is shared with everyone.
    pub owner_id: Option<i64>,
    pub title: String,
    /// The text, with placeholders such as `{{customer.first_name}}`.
    pub body: String,
    pub actions: Actions,
    pub created_by: i64,
    pub created_at: String,
    pub updated_at: String,
}

/// A saved reply as written: `shared` ones belong to nobody in particular.
pub struct SavedReplyText<'a> {
    pub title: &'a str,
    pub body: &'a str,
    pub shared: bool,
    pub actions: Actions,
}

const COLUMNS: &str = "id, owner_id, title, body, actions, created_by, created_at, updated_at";

fn saved_reply_from(row: &AnyRow) -> StoreResult<SavedReply> {
    let id = int(row, "id")?;
    Ok(SavedReply {
        id,
        owner_id: opt_int(row, "owner_id")?,
        title: text(row, "title")?,
        body: text(row, "body")?,
        actions: serde_json::from_str(&text(row, "actions")?)
            .map_err(|err| StoreError::Corrupt(format!("saved reply {id}: {err}")))?,
        created_by: int(row, "created_by")?,
        created_at: text(row, "created_at")?,
        updated_at: text(row, "updated_at")?,
    })
}

/// The title, text and actions checked, as they will be stored.
fn checked(new: &SavedReplyText<'_>) -> StoreResult<(String, String, String)> {
    let title = validate::line("title", new.title, validate::MAX_SUBJECT_CHARS)?;
    let body = validate::body(new.body)?;
    saved_reply::check(&body)?;
    let actions = Actions {
        add_tags: validate::tags(&new.actions.add_tags)?,
        ..new.actions.clone()
    };
    let actions = serde_json::to_string(&actions)
        .map_err(|err| StoreError::Corrupt(format!("actions: {err}")))?;
    Ok((title, body, actions))
}

impl Store {
    /// The saved replies an agent may use: the shared ones and their own, by title.
    pub async fn saved_replies_for(&self, agent: &Agent) -> StoreResult<Vec<SavedReply>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM saved_replies WHERE owner_id IS NULL OR owner_id = $1 ORDER BY title, id"
        ))
        .bind(agent.id)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(saved_reply_from).collect()
    }

    pub async fn saved_reply(&self, id: i64) -> StoreResult<SavedReply> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM saved_replies WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(self.pool())
        .await?
        .ok_or_else(|| StoreError::not_found("saved reply", id))?;
        saved_reply_from(&row)
    }

    pub async fn create_saved_reply(
        &self,
        new: SavedReplyText<'_>,
        agent: &Agent,
    ) -> StoreResult<SavedReply> {
        let (title, body, actions) = checked(&new)?;
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(&format!(
            "INSERT INTO saved_replies (owner_id, title, body, actions, created_by, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING {COLUMNS}"
        ))
        .bind((!new.shared).then_some(agent.id))
        .bind(&title)
        .bind(&body)
        .bind(&actions)
        .bind(agent.id)
        .bind(&now)
        .fetch_one(&mut *tx)
        .await?;
        let saved = saved_reply_from(&row)?;
        events::record(
            &mut tx,
            &now,
            Actor::Agent(agent.id),
            "saved_reply",
            saved.id,
            "saved_reply.created",
            json!({ "title": events::change(None::<String>, &saved.title), "shared": new.shared }),
        )
        .await?;
        tx.commit().await?;
        Ok(saved)
    }

    /// Rewrites a saved reply (its owner stays; whether it is shared does not change here).
    pub async fn update_saved_reply(
        &self,
        id: i64,
        new: SavedReplyText<'_>,
        actor: Actor,
    ) -> StoreResult<SavedReply> {
        let (title, body, actions) = checked(&new)?;
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(&format!(
            "UPDATE saved_replies SET title = $1, body = $2, actions = $3, updated_at = $4 WHERE id = $5 RETURNING {COLUMNS}"
        ))
        .bind(&title)
        .bind(&body)
        .bind(&actions)
        .bind(&now)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| StoreError::not_found("saved reply", id))?;
        let saved = saved_reply_from(&row)?;
        events::record(
            &mut tx,
            &now,
            actor,
            "saved_reply",
            id,
            "saved_reply.updated",
            json!({ "title": events::change(None::<String>, &saved.title) }),
        )
        .await?;
        tx.commit().await?;
        Ok(saved)
    }

    pub async fn delete_saved_reply(&self, id: i64, actor: Actor) -> StoreResult<()> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let title: Option<String> =
            sqlx::query_scalar("DELETE FROM saved_replies WHERE id = $1 RETURNING title")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
        let title = title.ok_or_else(|| StoreError::not_found("saved reply", id))?;
        events::record(
            &mut tx,
            &now,
            actor,
            "saved_reply",
            id,
            "saved_reply.deleted",
            json!({ "title": events::change(Some(title), None::<String>) }),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

//! Workspace settings: a small key/value table.

use crate::{Store, StoreResult, events};
use rapport_domain::Actor;
use serde_json::Value;

impl Store {
    pub async fn setting(&self, key: &str) -> StoreResult<Option<String>> {
        Ok(
            sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
                .bind(key)
                .fetch_optional(self.pool())
                .await?,
        )
    }

    /// The workspace's name, as agents and customers read it.
    pub async fn workspace_name(&self) -> StoreResult<String> {
        Ok(self
            .setting(crate::agent_links::WORKSPACE_NAME_SETTING)
            .await?
            .unwrap_or_else(|| crate::agent_links::DEFAULT_WORKSPACE_NAME.to_owned()))
    }

    pub async fn set_setting(&self, key: &str, value: &str) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(key)
        .bind(value)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Changes workspace settings in one transaction, with one `settings.updated` event whose
    /// `changes` the caller describes (each setting's value before and after, as people read
    /// it).
    pub async fn update_settings(
        &self,
        actor: Actor,
        values: &[(&str, String)],
        changes: Value,
    ) -> StoreResult<()> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        for (key, value) in values {
            sqlx::query(
                "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            )
            .bind(key)
            .bind(value)
            .execute(&mut *tx)
            .await?;
        }
        events::record(
            &mut tx,
            &now,
            actor,
            "settings",
            0,
            "settings.updated",
            changes,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

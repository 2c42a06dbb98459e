//! Workspace settings: a small key/value table.

use crate::{Store, StoreResult, events};
use rapport_domain::Actor;
use rapport_domain::calendar::{self, Calendar};
use rapport_domain::staff::{self, Publishing};
use rapport_domain::timings::Timing;
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

/// One setting's stored value, read on a connection of its own (inside a transaction that
/// schedules by it).
pub(crate) async fn setting_in(
    conn: &mut sqlx::AnyConnection,
    key: &str,
) -> StoreResult<Option<String>> {
    Ok(
        sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
            .bind(key)
            .fetch_optional(conn)
            .await?,
    )
}

/// The workspace calendar, read on `conn`.
pub(crate) async fn calendar_in(conn: &mut sqlx::AnyConnection) -> StoreResult<Calendar> {
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT key, value FROM settings WHERE key IN ($1, $2, $3)")
            .bind(calendar::TIME_ZONE_SETTING)
            .bind(calendar::BUSINESS_HOURS_SETTING)
            .bind(calendar::HOLIDAYS_SETTING)
            .fetch_all(conn)
            .await?;
    let value = |key: &str| {
        rows.iter()
            .find(|(k, _)| k == key)
            .map(|(_, value)| value.as_str())
    };
    Ok(Calendar::from_stored(
        value(calendar::TIME_ZONE_SETTING),
        value(calendar::BUSINESS_HOURS_SETTING),
        value(calendar::HOLIDAYS_SETTING),
    ))
}

/// A timing in force (in its unit), read on `conn`.
pub(crate) async fn timing_in(conn: &mut sqlx::AnyConnection, timing: Timing) -> StoreResult<i64> {
    Ok(timing.value(setting_in(conn, timing.key).await?.as_deref()))
}

/// When a timing of business minutes runs out if it starts at `now`, on the workspace
/// calendar, in the stored time format: an escalation's time to be acknowledged, a letter's to
/// be answered.
pub(crate) async fn business_deadline_in(
    conn: &mut sqlx::AnyConnection,
    now: &str,
    timing: Timing,
) -> StoreResult<String> {
    let calendar = calendar_in(conn).await?;
    let minutes = timing_in(conn, timing).await?;
    let start =
        crate::clock::parse(now).ok_or_else(|| crate::StoreError::Corrupt(now.to_owned()))?;
    Ok(crate::clock::format(calendar.add_business_time(
        start,
        time::Duration::minutes(minutes),
    )))
}

impl Store {
    /// The workspace calendar: time zone, opening hours and holidays.
    pub async fn calendar(&self) -> StoreResult<Calendar> {
        let mut conn = self.pool().acquire().await?;
        calendar_in(&mut conn).await
    }

    /// A timing in force, in its unit (minutes or days).
    pub async fn timing(&self, timing: Timing) -> StoreResult<i64> {
        Ok(timing.value(self.setting(timing.key).await?.as_deref()))
    }

    /// Which staff details customers see.
    pub async fn staff_publishing(&self) -> StoreResult<Publishing> {
        let mut conn = self.pool().acquire().await?;
        staff_publishing_in(&mut conn).await
    }
}

/// Which staff details customers see, read on `conn`.
pub(crate) async fn staff_publishing_in(conn: &mut sqlx::AnyConnection) -> StoreResult<Publishing> {
    let mut flag = async |setting: staff::FlagSetting| -> StoreResult<bool> {
        Ok(staff::flag(
            setting,
            setting_in(conn, setting.0).await?.as_deref(),
        ))
    };
    Ok(Publishing {
        names: flag(staff::PUBLISH_NAMES).await?,
        titles: flag(staff::PUBLISH_TITLES).await?,
        phones: flag(staff::PUBLISH_PHONES).await?,
    })
}

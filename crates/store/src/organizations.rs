//! Organizations: the companies customers belong to.

use crate::rows::{int, named, opt_int, opt_text, text};
use crate::{Store, StoreError, StoreResult, events};
use rapport_domain::{Actor, Organization, RelationshipKind, validate};
use serde_json::json;

pub struct NewOrganization<'a> {
    pub name: &'a str,
    pub domains: &'a [String],
    pub relationship_kind: RelationshipKind,
    pub owner_id: Option<i64>,
}

impl Store {
    pub async fn create_organization(
        &self,
        new: NewOrganization<'_>,
        actor: Actor,
    ) -> StoreResult<Organization> {
        let name = validate::line("name", new.name, validate::MAX_NAME_CHARS)?;
        let mut domains = new
            .domains
            .iter()
            .map(|d| validate::organization_domain(d))
            .collect::<Result<Vec<_>, _>>()?;
        domains.sort();
        domains.dedup();
        let mut tx = self.begin_write().await?;
        if let Some(owner_id) = new.owner_id {
            crate::agents::ensure_agent(&mut tx, "owner_id", owner_id).await?;
        }
        for domain in &domains {
            let owner: Option<i64> = sqlx::query_scalar(
                "SELECT organization_id FROM organization_domains WHERE domain = $1",
            )
            .bind(domain)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(other) = owner {
                return Err(StoreError::Conflict {
                    code: "domain_taken",
                    message: format!("the domain {domain} already belongs to organization {other}"),
                });
            }
        }
        let now = self.now();
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO organizations (name, relationship_kind, owner_id, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(&name)
        .bind(new.relationship_kind.as_str())
        .bind(new.owner_id)
        .bind(&now)
        .fetch_one(&mut *tx)
        .await?;
        for domain in &domains {
            sqlx::query(
                "INSERT INTO organization_domains (domain, organization_id) VALUES ($1, $2)",
            )
            .bind(domain)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        }
        events::record(
            &mut tx,
            &now,
            actor,
            "organization",
            id,
            "organization.created",
            json!({
                "name": events::change(None::<String>, &name),
                "domains": events::change(None::<Vec<String>>, &domains),
                "relationship_kind": events::change(None::<String>, new.relationship_kind),
                "owner_id": events::change(None::<i64>, new.owner_id),
            }),
        )
        .await?;
        tx.commit().await?;
        Ok(Organization {
            id,
            name,
            domains,
            relationship_kind: new.relationship_kind,
            owner_id: new.owner_id,
            portal_shared: false,
            notes: None,
            created_at: now,
        })
    }

    pub async fn organization(&self, id: i64) -> StoreResult<Organization> {
        let row = sqlx::query("SELECT id, name, relationship_kind, owner_id, portal_shared, notes, created_at FROM organizations WHERE id = $1")
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .ok_or_else(|| StoreError::not_found("organization", id))?;
        let domains: Vec<String> = sqlx::query_scalar(
            "SELECT domain FROM organization_domains WHERE organization_id = $1 ORDER BY domain",
        )
        .bind(id)
        .fetch_all(self.pool())
        .await?;
        Ok(Organization {
            id: int(&row, "id")?,
            name: text(&row, "name")?,
            domains,
            relationship_kind: named(&row, "relationship_kind")?,
            owner_id: opt_int(&row, "owner_id")?,
            portal_shared: int(&row, "portal_shared")? != 0,
            notes: opt_text(&row, "notes")?,
            created_at: text(&row, "created_at")?,
        })
    }
}

impl Store {
    /// Names an organization's relationship owner; replacing one needs a hand-over note, kept
    /// in the audit trail.
    pub async fn set_organization_owner(
        &self,
        id: i64,
        owner_id: Option<i64>,
        note: Option<&str>,
        actor: Actor,
    ) -> StoreResult<Organization> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let before: Option<Option<i64>> =
            sqlx::query_scalar("SELECT owner_id FROM organizations WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
        let before = before.ok_or_else(|| StoreError::not_found("organization", id))?;
        crate::customers::change_owner(
            &mut tx,
            &now,
            "organization",
            id,
            before,
            owner_id,
            note,
            actor,
        )
        .await?;
        tx.commit().await?;
        self.organization(id).await
    }
}

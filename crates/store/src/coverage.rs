//! Changes to what a customer is entitled to that move their tickets' service levels: a new
//! contract (the customer's open tickets follow its promise at once) and a ticket said to be
//! about an asset (it follows the contract that covers the asset). Rows and the entitlement
//! rule are in [`crate::contracts`]; the clocks in [`crate::sla`].

use crate::contracts::{
    CONTRACT_COLUMNS, Holder, NewContract, asset_in, contract_from, day, ensure_holder,
};
use crate::rows::int;
use crate::{Store, StoreError, StoreResult, events};
use rapport_domain::contract::{self, Contract};
use rapport_domain::{Actor, validate};
use serde_json::json;

impl Store {
    pub async fn create_contract(&self, new: NewContract, actor: Actor) -> StoreResult<Contract> {
        let name = validate::line("name", &new.name, validate::MAX_NAME_CHARS)?;
        let from = day("starts_on", &new.starts_on)?;
        let to = day("ends_on", &new.ends_on)?;
        contract::check_period(from, to)?;
        let first = rapport_domain::sla::check_minutes(
            "first_response_minutes",
            new.first_response_minutes,
        )?;
        let resolution =
            rapport_domain::sla::check_minutes("resolution_minutes", new.resolution_minutes)?;
        let now = self.now();
        let mut tx = self.begin_write().await?;
        ensure_holder(&mut tx, new.holder).await?;
        let mut asset_ids = new.asset_ids.clone();
        asset_ids.sort_unstable();
        asset_ids.dedup();
        for id in &asset_ids {
            let asset = asset_in(&mut tx, *id).await.map_err(|err| match err {
                StoreError::NotFound { .. } => StoreError::unknown("asset", "asset_ids", *id),
                other => other,
            })?;
            if (asset.customer_id, asset.organization_id) != new.holder.ids() {
                return Err(validate::Invalid::new(
                    "asset_ids",
                    format!(
                        "{} belongs to someone else than the contract's holder",
                        asset.name
                    ),
                )
                .into());
            }
        }
        let (customer_id, organization_id) = new.holder.ids();
        let row = sqlx::query(&format!(
            "INSERT INTO contracts (kind, name, customer_id, organization_id, starts_on, ends_on, \
             first_response_minutes, resolution_minutes, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             RETURNING {CONTRACT_COLUMNS}"
        ))
        .bind(new.kind.as_str())
        .bind(&name)
        .bind(customer_id)
        .bind(organization_id)
        .bind(from.to_string())
        .bind(to.to_string())
        .bind(first)
        .bind(resolution)
        .bind(&now)
        .fetch_one(&mut *tx)
        .await?;
        let id = int(&row, "id")?;
        for asset in &asset_ids {
            sqlx::query("INSERT INTO contract_assets (contract_id, asset_id) VALUES ($1, $2)")
                .bind(id)
                .bind(asset)
                .execute(&mut *tx)
                .await?;
        }
        let contract = contract_from(&row, asset_ids)?;
        let (entity, entity_id) = match new.holder {
            Holder::Customer(id) => ("customer", id),
            Holder::Organization(id) => ("organization", id),
        };
        events::record(
            &mut tx,
            &now,
            actor,
            entity,
            entity_id,
            "contract.created",
            serde_json::to_value(&contract).unwrap_or_default(),
        )
        .await?;
        // The customers' open tickets follow the new promise at once.
        let tickets: Vec<i64> = sqlx::query_scalar(
            "SELECT t.id FROM tickets t JOIN customers c ON c.id = t.customer_id \
             WHERE t.problem = 'open' AND (c.id = $1 OR c.organization_id = $2) ORDER BY t.id DESC LIMIT 500",
        )
        .bind(customer_id.unwrap_or(0))
        .bind(organization_id.unwrap_or(0))
        .fetch_all(&mut *tx)
        .await?;
        for ticket in tickets {
            crate::sla::refresh(&mut tx, &now, ticket).await?;
        }
        tx.commit().await?;
        Ok(contract)
    }

    /// Says a ticket is about an asset of its customer (or their organization); its service
    /// level follows the contract that covers the asset. Linking twice changes nothing.
    pub async fn link_asset(&self, ticket_id: i64, asset_id: i64, actor: Actor) -> StoreResult<()> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let ticket = crate::tickets::load_ticket(&mut tx, ticket_id).await?;
        let asset = asset_in(&mut tx, asset_id).await?;
        let mine = asset.customer_id == Some(ticket.customer_id)
            || (asset.organization_id.is_some() && asset.organization_id == ticket.organization_id);
        if !mine {
            return Err(validate::Invalid::new(
                "asset_id",
                format!(
                    "{} is not the customer's (nor their organization's)",
                    asset.name
                ),
            )
            .into());
        }
        let done = sqlx::query(
            "INSERT INTO ticket_assets (ticket_id, asset_id, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (ticket_id, asset_id) DO NOTHING",
        )
        .bind(ticket_id)
        .bind(asset_id)
        .bind(&now)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() > 0 {
            events::record(
                &mut tx,
                &now,
                actor,
                "ticket",
                ticket_id,
                "ticket.asset_linked",
                json!({ "asset_id": asset_id, "name": asset.name }),
            )
            .await?;
            crate::sla::refresh(&mut tx, &now, ticket_id).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

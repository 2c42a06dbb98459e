//! Contracts, assets and warranties in the store: a customer's or organization's contracts and
//! assets, which assets a ticket is about, and the entitlement a ticket has today (the rules
//! are in [`rapport_domain::contract`]).

use crate::events;
use crate::rows::{int, named, opt_int, opt_text, text};
use crate::{Store, StoreError, StoreResult, Tx};
use rapport_domain::contract::{self, Asset, Contract, ContractKind, Standing};
use rapport_domain::{Actor, validate};
use serde::Serialize;
use serde_json::json;
use sqlx::any::AnyRow;
use time::Date;

pub(crate) const CONTRACT_COLUMNS: &str = "id, kind, name, customer_id, organization_id, starts_on, ends_on, \
                                first_response_minutes, resolution_minutes, created_at";
const ASSET_COLUMNS: &str = "id, name, serial_number, customer_id, organization_id, created_at";

pub(crate) fn contract_from(row: &AnyRow, asset_ids: Vec<i64>) -> StoreResult<Contract> {
    Ok(Contract {
        id: int(row, "id")?,
        kind: named(row, "kind")?,
        name: text(row, "name")?,
        customer_id: opt_int(row, "customer_id")?,
        organization_id: opt_int(row, "organization_id")?,
        starts_on: text(row, "starts_on")?,
        ends_on: text(row, "ends_on")?,
        first_response_minutes: opt_int(row, "first_response_minutes")?,
        resolution_minutes: opt_int(row, "resolution_minutes")?,
        asset_ids,
        created_at: text(row, "created_at")?,
    })
}

fn asset_from(row: &AnyRow) -> StoreResult<Asset> {
    Ok(Asset {
        id: int(row, "id")?,
        name: text(row, "name")?,
        serial_number: opt_text(row, "serial_number")?,
        customer_id: opt_int(row, "customer_id")?,
        organization_id: opt_int(row, "organization_id")?,
        created_at: text(row, "created_at")?,
    })
}

pub(crate) fn day(field: &'static str, value: &str) -> StoreResult<Date> {
    rapport_domain::calendar::parse_date(value).ok_or_else(|| {
        validate::Invalid::new(field, format!("“{value}” is not a date such as 2026-12-31")).into()
    })
}

/// Who a contract or asset belongs to: a customer, or an organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Holder {
    Customer(i64),
    Organization(i64),
}

impl Holder {
    pub(crate) fn ids(self) -> (Option<i64>, Option<i64>) {
        match self {
            Holder::Customer(id) => (Some(id), None),
            Holder::Organization(id) => (None, Some(id)),
        }
    }
}

/// A new contract, as an agent writes it.
#[derive(Debug, Clone)]
pub struct NewContract {
    pub holder: Holder,
    pub kind: ContractKind,
    pub name: String,
    pub starts_on: String,
    pub ends_on: String,
    pub first_response_minutes: Option<i64>,
    pub resolution_minutes: Option<i64>,
    /// The holder's assets it covers; none covers everything.
    pub asset_ids: Vec<i64>,
}

/// A new asset.
#[derive(Debug, Clone)]
pub struct NewAsset {
    pub holder: Holder,
    pub name: String,
    pub serial_number: Option<String>,
}

/// A ticket's entitlement today, as pages and the API show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Entitlement {
    /// `covered`, `expired` or `none`.
    pub state: &'static str,
    pub contract: Option<Contract>,
    /// The assets the ticket is about.
    pub assets: Vec<Asset>,
}

/// One ticket in an asset's repair history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Repair {
    pub ticket_id: i64,
    pub subject: String,
    pub problem: String,
    pub created_at: String,
}

pub(crate) async fn ensure_holder(tx: &mut Tx, holder: Holder) -> StoreResult<()> {
    let (sql, id, entity, field) = match holder {
        Holder::Customer(id) => (
            "SELECT id FROM customers WHERE id = $1",
            id,
            "customer",
            "customer_id",
        ),
        Holder::Organization(id) => (
            "SELECT id FROM organizations WHERE id = $1",
            id,
            "organization",
            "organization_id",
        ),
    };
    let found: Option<i64> = sqlx::query_scalar(sql)
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?;
    found
        .map(drop)
        .ok_or_else(|| StoreError::unknown(entity, field, id))
}

/// The holder of an asset must be the contract's (or the ticket customer's, or their
/// organization's).
pub(crate) async fn asset_in(tx: &mut Tx, id: i64) -> StoreResult<Asset> {
    let row = sqlx::query(&format!("SELECT {ASSET_COLUMNS} FROM assets WHERE id = $1"))
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or_else(|| StoreError::not_found("asset", id))?;
    asset_from(&row)
}

async fn asset_ids_of(conn: &mut sqlx::AnyConnection, contract: i64) -> StoreResult<Vec<i64>> {
    Ok(sqlx::query_scalar(
        "SELECT asset_id FROM contract_assets WHERE contract_id = $1 ORDER BY asset_id",
    )
    .bind(contract)
    .fetch_all(conn)
    .await?)
}

/// The contracts of a customer and of their organization, with the days they run.
async fn contracts_of(
    conn: &mut sqlx::AnyConnection,
    customer_id: i64,
) -> StoreResult<Vec<(Contract, Date, Date)>> {
    let rows = sqlx::query(&format!(
        "SELECT {CONTRACT_COLUMNS} FROM contracts WHERE customer_id = $1 \
         OR organization_id = (SELECT organization_id FROM customers WHERE id = $1) ORDER BY id"
    ))
    .bind(customer_id)
    .fetch_all(&mut *conn)
    .await?;
    let mut contracts = Vec::with_capacity(rows.len());
    for row in &rows {
        let id = int(row, "id")?;
        let assets = asset_ids_of(conn, id).await?;
        let contract = contract_from(row, assets)?;
        let from = day("starts_on", &contract.starts_on)?;
        let to = day("ends_on", &contract.ends_on)?;
        contracts.push((contract, from, to));
    }
    Ok(contracts)
}

/// A ticket's entitlement on the workspace's today: the running contract that covers the asset
/// the ticket is about (or everything), else the one that ended last.
pub(crate) async fn entitlement_in(
    conn: &mut sqlx::AnyConnection,
    ticket_id: i64,
    customer_id: i64,
    today: Date,
) -> StoreResult<Entitlement> {
    let contracts = contracts_of(conn, customer_id).await?;
    let rows = sqlx::query(&format!(
        "SELECT {} FROM assets a JOIN ticket_assets ta ON ta.asset_id = a.id WHERE ta.ticket_id = $1 ORDER BY a.id",
        ASSET_COLUMNS
            .split(", ")
            .map(|c| format!("a.{c}"))
            .collect::<Vec<_>>()
            .join(", ")
    ))
    .bind(ticket_id)
    .fetch_all(&mut *conn)
    .await?;
    let assets = rows
        .iter()
        .map(asset_from)
        .collect::<StoreResult<Vec<_>>>()?;
    // With several assets, the best coverage of any of them.
    let mut chosen = contract::entitlement(&contracts, None, today);
    for asset in &assets {
        let found = contract::entitlement(&contracts, Some(asset.id), today);
        let better = match (found, chosen) {
            (Some((_, Standing::Running)), Some((_, Standing::Expired)) | None) => true,
            (Some((a, Standing::Running)), Some((b, Standing::Running))) => {
                a.first_response_minutes.unwrap_or(i64::MAX)
                    < b.first_response_minutes.unwrap_or(i64::MAX)
            }
            (Some(_), None) => true,
            _ => false,
        };
        if better {
            chosen = found;
        }
    }
    Ok(match chosen {
        Some((contract, Standing::Running)) => Entitlement {
            state: "covered",
            contract: Some(contract.clone()),
            assets,
        },
        Some((contract, _)) => Entitlement {
            state: "expired",
            contract: Some(contract.clone()),
            assets,
        },
        None => Entitlement {
            state: "none",
            contract: None,
            assets,
        },
    })
}

impl Store {
    pub async fn contract(&self, id: i64) -> StoreResult<Contract> {
        let mut conn = self.pool().acquire().await?;
        let row = sqlx::query(&format!(
            "SELECT {CONTRACT_COLUMNS} FROM contracts WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| StoreError::not_found("contract", id))?;
        let assets = asset_ids_of(&mut conn, id).await?;
        contract_from(&row, assets)
    }

    /// A customer's contracts and their organization's, oldest first.
    pub async fn contracts_for_customer(&self, customer_id: i64) -> StoreResult<Vec<Contract>> {
        let mut conn = self.pool().acquire().await?;
        Ok(contracts_of(&mut conn, customer_id)
            .await?
            .into_iter()
            .map(|(contract, _, _)| contract)
            .collect())
    }

    pub async fn create_asset(&self, new: NewAsset, actor: Actor) -> StoreResult<Asset> {
        let name = validate::line("name", &new.name, validate::MAX_NAME_CHARS)?;
        let serial = new
            .serial_number
            .as_deref()
            .map(|s| validate::optional_line("serial_number", s, 100))
            .transpose()?
            .flatten();
        let now = self.now();
        let mut tx = self.begin_write().await?;
        ensure_holder(&mut tx, new.holder).await?;
        let (customer_id, organization_id) = new.holder.ids();
        let row = sqlx::query(&format!(
            "INSERT INTO assets (name, serial_number, customer_id, organization_id, created_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING {ASSET_COLUMNS}"
        ))
        .bind(&name)
        .bind(&serial)
        .bind(customer_id)
        .bind(organization_id)
        .bind(&now)
        .fetch_one(&mut *tx)
        .await?;
        let asset = asset_from(&row)?;
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
            "asset.created",
            json!({ "asset_id": asset.id, "name": asset.name, "serial_number": asset.serial_number }),
        )
        .await?;
        tx.commit().await?;
        Ok(asset)
    }

    pub async fn asset(&self, id: i64) -> StoreResult<Asset> {
        let mut tx = self.pool().begin().await?;
        asset_in(&mut tx, id).await
    }

    /// A customer's assets and their organization's.
    pub async fn assets_for_customer(&self, customer_id: i64) -> StoreResult<Vec<Asset>> {
        let rows = sqlx::query(&format!(
            "SELECT {ASSET_COLUMNS} FROM assets WHERE customer_id = $1 \
             OR organization_id = (SELECT organization_id FROM customers WHERE id = $1) ORDER BY id"
        ))
        .bind(customer_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(asset_from).collect()
    }

    /// The tickets about an asset, newest first: its repair history.
    pub async fn asset_history(&self, asset_id: i64) -> StoreResult<Vec<Repair>> {
        let rows = sqlx::query(
            "SELECT t.id, t.subject, t.problem, t.created_at FROM ticket_assets ta JOIN tickets t ON t.id = ta.ticket_id \
             WHERE ta.asset_id = $1 ORDER BY t.id DESC LIMIT 500",
        )
        .bind(asset_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(Repair {
                    ticket_id: int(row, "id")?,
                    subject: text(row, "subject")?,
                    problem: text(row, "problem")?,
                    created_at: text(row, "created_at")?,
                })
            })
            .collect()
    }

    /// What a ticket's customer is entitled to today, for the ticket.
    pub async fn ticket_entitlement(&self, ticket_id: i64) -> StoreResult<Entitlement> {
        let mut conn = self.pool().acquire().await?;
        let ticket = crate::tickets::load_ticket(&mut conn, ticket_id).await?;
        let calendar = crate::settings::calendar_in(&mut conn).await?;
        let today = calendar.today(self.clock().now());
        entitlement_in(&mut conn, ticket_id, ticket.customer_id, today).await
    }
}

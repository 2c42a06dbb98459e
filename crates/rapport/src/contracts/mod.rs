//! Contracts, assets and warranties in the API. Every agent reads them and records assets and
//! which asset a ticket is about; contracts (commercial promises) are written by supervisors
//! and admins. A running contract's response promise sets the service level of its holder's
//! tickets.

use crate::app::App;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{AuthAgent, Json, Path};
use axum::extract::State;
use axum::http::StatusCode;
use rapport_domain::Role;
use rapport_domain::contract::{Asset, Contract, ContractKind};
use rapport_store::contracts::{Entitlement, Holder, NewAsset, NewContract, Repair};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(create_contract))
        .routes(routes!(show_contract))
        .routes(routes!(customer_coverage))
        .routes(routes!(create_asset))
        .routes(routes!(show_asset))
        .routes(routes!(link_asset))
        .routes(routes!(ticket_entitlement))
}

/// Exactly one of the two: the customer or the organization the contract or asset is with.
fn holder(customer_id: Option<i64>, organization_id: Option<i64>) -> ApiResult<Holder> {
    match (customer_id, organization_id) {
        (Some(id), None) => Ok(Holder::Customer(id)),
        (None, Some(id)) => Ok(Holder::Organization(id)),
        _ => Err(ApiError::invalid(
            "Name either `customer_id` or `organization_id`: who it is with.",
        )),
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContractInput {
    pub kind: ContractKind,
    /// How people name it: "Extended warranty 3 years", a contract number.
    pub name: String,
    pub customer_id: Option<i64>,
    pub organization_id: Option<i64>,
    /// The first and last day it covers, such as `2026-01-01`.
    pub starts_on: String,
    pub ends_on: String,
    /// The response it promises, in business minutes.
    pub first_response_minutes: Option<i64>,
    pub resolution_minutes: Option<i64>,
    /// The holder's assets it covers; none covers everything.
    #[serde(default)]
    pub asset_ids: Vec<i64>,
}

/// Record a contract (warranty, extended warranty, service contract). While it runs, its
/// response promise sets the service level of its holder's tickets. Supervisors and admins.
#[utoipa::path(post, path = "/api/v1/contracts", tag = "contracts", security(("bearer" = [])),
    request_body = ContractInput,
    responses((status = 201, body = Contract), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_contract(
    State(app): State<App>,
    auth: AuthAgent,
    Json(input): Json<ContractInput>,
) -> ApiResult<(StatusCode, Json<Contract>)> {
    auth.require(Role::Supervisor, "Recording a contract")?;
    let new = NewContract {
        holder: holder(input.customer_id, input.organization_id)?,
        kind: input.kind,
        name: input.name,
        starts_on: input.starts_on,
        ends_on: input.ends_on,
        first_response_minutes: input.first_response_minutes,
        resolution_minutes: input.resolution_minutes,
        asset_ids: input.asset_ids,
    };
    let contract = app.store.create_contract(new, auth.actor()).await?;
    Ok((StatusCode::CREATED, Json(contract)))
}

#[utoipa::path(get, path = "/api/v1/contracts/{id}", tag = "contracts", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Contract id")),
    responses((status = 200, body = Contract), (status = 404, body = ErrorBody)))]
pub async fn show_contract(
    State(app): State<App>,
    _auth: AuthAgent,
    Path(id): Path<i64>,
) -> ApiResult<Json<Contract>> {
    Ok(Json(app.store.contract(id).await?))
}

#[derive(Serialize, ToSchema)]
pub struct Coverage {
    /// The customer's contracts and their organization's, oldest first.
    contracts: Vec<Contract>,
    /// The customer's assets and their organization's.
    assets: Vec<Asset>,
}

/// What a customer (and their organization) has with us: contracts and assets.
#[utoipa::path(get, path = "/api/v1/customers/{id}/contracts", tag = "contracts", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Customer id")),
    responses((status = 200, body = Coverage), (status = 404, body = ErrorBody)))]
pub async fn customer_coverage(
    State(app): State<App>,
    _auth: AuthAgent,
    Path(id): Path<i64>,
) -> ApiResult<Json<Coverage>> {
    app.store.customer(id).await?;
    Ok(Json(Coverage {
        contracts: app.store.contracts_for_customer(id).await?,
        assets: app.store.assets_for_customer(id).await?,
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssetInput {
    pub name: String,
    pub serial_number: Option<String>,
    pub customer_id: Option<i64>,
    pub organization_id: Option<i64>,
}

/// Record an asset: a thing the customer has that tickets can be about.
#[utoipa::path(post, path = "/api/v1/assets", tag = "contracts", security(("bearer" = [])),
    request_body = AssetInput,
    responses((status = 201, body = Asset), (status = 422, body = ErrorBody)))]
pub async fn create_asset(
    State(app): State<App>,
    auth: AuthAgent,
    Json(input): Json<AssetInput>,
) -> ApiResult<(StatusCode, Json<Asset>)> {
    let new = NewAsset {
        holder: holder(input.customer_id, input.organization_id)?,
        name: input.name,
        serial_number: input.serial_number,
    };
    Ok((
        StatusCode::CREATED,
        Json(app.store.create_asset(new, auth.actor()).await?),
    ))
}

#[derive(Serialize, ToSchema)]
pub struct AssetView {
    asset: Asset,
    /// Its repair history: the tickets about it the caller may see, newest first.
    repairs: Vec<Repair>,
}

#[utoipa::path(get, path = "/api/v1/assets/{id}", tag = "contracts", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Asset id")),
    responses((status = 200, body = AssetView), (status = 404, body = ErrorBody)))]
pub async fn show_asset(
    State(app): State<App>,
    auth: AuthAgent,
    Path(id): Path<i64>,
) -> ApiResult<Json<AssetView>> {
    let asset = app.store.asset(id).await?;
    let mut repairs = app.store.asset_history(id).await?;
    app.store
        .retain_visible(&auth.0, &mut repairs, |r| Some(r.ticket_id))
        .await?;
    Ok(Json(AssetView { asset, repairs }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkAsset {
    pub asset_id: i64,
}

/// Say the ticket is about an asset of its customer (or their organization): it joins the
/// asset's repair history, and follows the contract that covers the asset.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/assets", tag = "contracts", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Ticket id")),
    request_body = LinkAsset,
    responses((status = 200, body = Entitlement), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn link_asset(
    State(app): State<App>,
    auth: AuthAgent,
    Path(id): Path<i64>,
    Json(input): Json<LinkAsset>,
) -> ApiResult<Json<Entitlement>> {
    crate::tickets::visible_to(&app, &auth, id).await?;
    app.store
        .link_asset(id, input.asset_id, auth.actor())
        .await?;
    Ok(Json(app.store.ticket_entitlement(id).await?))
}

/// What the ticket's customer is entitled to today: the contract that covers them (and the
/// ticket's asset), an expired one, or none.
#[utoipa::path(get, path = "/api/v1/tickets/{id}/entitlement", tag = "contracts", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Ticket id")),
    responses((status = 200, body = Entitlement), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn ticket_entitlement(
    State(app): State<App>,
    auth: AuthAgent,
    Path(id): Path<i64>,
) -> ApiResult<Json<Entitlement>> {
    crate::tickets::visible_to(&app, &auth, id).await?;
    Ok(Json(app.store.ticket_entitlement(id).await?))
}

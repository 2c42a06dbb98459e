//! Contracts, assets and warranties: what a customer (or their organization) is entitled to.
//! A contract covers assets for a period and may promise a response, in business minutes,
//! which sets the service level of the customer's tickets while it runs. A new ticket shows
//! the entitlement; an expired or missing one is shown too, never hidden.

use crate::named_enum;
use crate::validate::Invalid;
use time::Date;

named_enum! {
    /// What kind of promise a contract is.
    ContractKind, "contract kind" {
        /// The maker's warranty that came with the product.
        Warranty => "warranty",
        /// A warranty bought on top, usually longer or faster.
        ExtendedWarranty => "extended_warranty",
        /// A service contract: support for a period, whatever the product.
        ServiceContract => "service_contract",
    }
}

impl ContractKind {
    pub fn words(self) -> &'static str {
        match self {
            ContractKind::Warranty => "warranty",
            ContractKind::ExtendedWarranty => "extended warranty",
            ContractKind::ServiceContract => "service contract",
        }
    }
}

/// A contract.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Contract {
    pub id: i64,
    pub kind: ContractKind,
    /// How people name it: "Extended warranty 3 years", a contract number.
    pub name: String,
    /// The customer it is with, or else the organization.
    pub customer_id: Option<i64>,
    pub organization_id: Option<i64>,
    /// The first and last day it covers (`2026-01-01`).
    pub starts_on: String,
    pub ends_on: String,
    /// The response it promises, in business minutes: the first reply, and the resolution.
    pub first_response_minutes: Option<i64>,
    pub resolution_minutes: Option<i64>,
    /// The assets it covers (none: everything the customer has with us).
    pub asset_ids: Vec<i64>,
    pub created_at: String,
}

/// A thing a customer has that tickets can be about: a computer, a printer, a line.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Asset {
    pub id: i64,
    pub name: String,
    pub serial_number: Option<String>,
    pub customer_id: Option<i64>,
    pub organization_id: Option<i64>,
    pub created_at: String,
}

/// Where a contract stands on a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    NotYet,
    Running,
    Expired,
}

/// Where a contract running from `starts_on` to `ends_on` (both included) stands on `today`.
pub fn standing(starts_on: Date, ends_on: Date, today: Date) -> Standing {
    if today < starts_on {
        Standing::NotYet
    } else if today > ends_on {
        Standing::Expired
    } else {
        Standing::Running
    }
}

/// Checks a contract's period: the end is not before the start, and it lasts at most 30 years.
pub fn check_period(starts_on: Date, ends_on: Date) -> Result<(), Invalid> {
    if ends_on < starts_on {
        return Err(Invalid::new(
            "ends_on",
            "the contract ends before it starts",
        ));
    }
    if (ends_on - starts_on).whole_days() > 30 * 366 {
        return Err(Invalid::new("ends_on", "a contract lasts at most 30 years"));
    }
    Ok(())
}

/// Of a customer's contracts (with the days they run), the one that decides their entitlement
/// on `today`: a running one that covers the asset the ticket is about (or covers everything),
/// with the fastest promised first reply; else the one that ended last; else none.
pub fn entitlement(
    contracts: &[(Contract, Date, Date)],
    asset: Option<i64>,
    today: Date,
) -> Option<(&Contract, Standing)> {
    let covers = |contract: &Contract| {
        contract.asset_ids.is_empty() || asset.is_some_and(|a| contract.asset_ids.contains(&a))
    };
    let running = contracts
        .iter()
        .filter(|(c, from, to)| covers(c) && standing(*from, *to, today) == Standing::Running)
        .min_by_key(|(c, _, _)| (c.first_response_minutes.unwrap_or(i64::MAX), c.id));
    if let Some((contract, _, _)) = running {
        return Some((contract, Standing::Running));
    }
    contracts
        .iter()
        .filter(|(c, from, to)| covers(c) && standing(*from, *to, today) == Standing::Expired)
        .max_by_key(|(c, _, to)| (*to, c.id))
        .map(|(contract, _, _)| (contract, Standing::Expired))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn contract(id: i64, assets: &[i64], minutes: Option<i64>) -> Contract {
        Contract {
            id,
            kind: ContractKind::ExtendedWarranty,
            name: format!("Contract {id}"),
            customer_id: Some(1),
            organization_id: None,
            starts_on: String::new(),
            ends_on: String::new(),
            first_response_minutes: minutes,
            resolution_minutes: None,
            asset_ids: assets.to_vec(),
            created_at: String::new(),
        }
    }

    #[test]
    fn the_running_contract_that_covers_the_asset_and_answers_fastest_decides() {
        let all = [
            (
                contract(1, &[], Some(480)),
                date!(2026 - 01 - 01),
                date!(2026 - 12 - 31),
            ),
            (
                contract(2, &[7], Some(60)),
                date!(2026 - 01 - 01),
                date!(2026 - 12 - 31),
            ),
            (
                contract(3, &[], Some(30)),
                date!(2025 - 01 - 01),
                date!(2025 - 12 - 31),
            ),
        ];
        let today = date!(2026 - 06 - 01);
        let pick = |asset| entitlement(&all, asset, today).map(|(c, s)| (c.id, s));
        assert_eq!(pick(Some(7)), Some((2, Standing::Running)));
        assert_eq!(
            pick(Some(8)),
            Some((1, Standing::Running)),
            "only the general one"
        );
        assert_eq!(pick(None), Some((1, Standing::Running)));
        // In 2027 everything has ended: the one that ended last is shown as expired.
        assert_eq!(
            entitlement(&all, None, date!(2027 - 02 - 01)).map(|(c, s)| (c.id, s)),
            Some((1, Standing::Expired))
        );
        assert_eq!(entitlement(&[], None, today), None);
    }

    #[test]
    fn a_period_ends_after_it_starts() {
        assert!(check_period(date!(2026 - 02 - 01), date!(2026 - 01 - 01)).is_err());
        assert!(check_period(date!(2026 - 01 - 01), date!(2026 - 01 - 01)).is_ok());
        assert_eq!(
            standing(
                date!(2026 - 01 - 01),
                date!(2026 - 01 - 31),
                date!(2026 - 01 - 31)
            ),
            Standing::Running,
            "the last day is covered"
        );
    }
}

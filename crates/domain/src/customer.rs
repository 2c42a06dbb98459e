//! Customers and the organizations they belong to.

use crate::named_enum;

named_enum! {
    /// Seed 001: a relationship may be short-term and transactional, or a longer partnership.
    /// The kind changes what "good service" means, so it is recorded, not guessed.
    RelationshipKind, "relationship kind" {
        Transactional => "transactional",
        Partnership => "partnership",
    }
}

/// A person we serve. The first address in `emails` is the primary one, which we write to.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Customer {
    pub id: i64,
    pub name: String,
    pub emails: Vec<String>,
    pub phone: Option<String>,
    /// What agents keep in mind about this person (staff only).
    pub notes: Option<String>,
    pub organization_id: Option<i64>,
    /// The agent who owns the relationship, separate from whoever handles a given ticket.
    pub owner_id: Option<i64>,
    /// Set when this record was a duplicate merged into another customer.
    pub merged_into: Option<i64>,
    pub created_at: String,
}

/// A company. Customers whose address is at one of its `domains` join it when they are
/// created, and those without an organization join it when the domain is added.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Organization {
    pub id: i64,
    pub name: String,
    pub domains: Vec<String>,
    pub relationship_kind: RelationshipKind,
    /// The agent who owns the relationship, separate from whoever handles a given ticket.
    pub owner_id: Option<i64>,
    /// Whether its customers see each other's tickets in the portal.
    pub portal_shared: bool,
    /// What agents keep in mind about this company (staff only).
    pub notes: Option<String>,
    pub created_at: String,
}

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

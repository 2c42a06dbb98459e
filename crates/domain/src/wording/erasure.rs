//! What is left in place of a customer's words after they asked to be erased.

/// Stands where the customer's own words (messages, letters, notes about them) were.
pub const ERASED_TEXT: &str = "(Erased at the customer's request.)";

/// Stands where something named the customer (their name in our replies, in tasks).
pub const ERASED_NAME: &str = "(erased customer)";

/// The name an erased customer keeps, so histories still read.
pub fn erased_customer(id: i64) -> String {
    format!("Erased customer {id}")
}

/// The subject of an erased customer's ticket.
pub fn erased_subject(ticket_id: i64) -> String {
    format!("Request #{ticket_id} (erased)")
}

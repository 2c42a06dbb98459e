//! The audit trail: every change, who made it and when, with the values before and after.

use crate::named_enum;

named_enum! {
    ActorKind, "actor kind" {
        Agent => "agent",
        Customer => "customer",
        System => "system",
    }
}

/// Whoever causes a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    Agent(i64),
    Customer(i64),
    System,
}

impl Actor {
    pub fn kind(self) -> ActorKind {
        match self {
            Actor::Agent(_) => ActorKind::Agent,
            Actor::Customer(_) => ActorKind::Customer,
            Actor::System => ActorKind::System,
        }
    }

    pub fn id(self) -> Option<i64> {
        match self {
            Actor::Agent(id) | Actor::Customer(id) => Some(id),
            Actor::System => None,
        }
    }
}

/// One recorded change. `changes` maps each field that changed to `{"before": .., "after": ..}`;
/// a creation has `null` before every field.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct Event {
    pub id: i64,
    pub at: String,
    pub actor: EventActor,
    pub entity: String,
    pub entity_id: i64,
    /// What happened, such as `ticket.created`, `ticket.updated` or `message.added`.
    pub action: String,
    #[schema(value_type = Object)]
    pub changes: serde_json::Value,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct EventActor {
    pub kind: ActorKind,
    pub id: Option<i64>,
}

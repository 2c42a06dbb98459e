//! Rapport's domain: the names from DESIGN.md section 3, their states and the rules that move
//! them. Nothing here does I/O, so every rule can be tested directly and reused by the web app,
//! the worker and the command line alike.

pub mod agent;
pub mod calendar;
pub mod complaint;
pub mod contract;
pub mod customer;
pub mod escalation;
pub mod event;
pub mod file;
pub mod health;
pub mod inbox;
pub mod job;
pub mod message;
pub mod notification;
pub mod policy;
pub mod promise;
pub mod redirect;
pub mod saved_reply;
pub mod schedule;
pub mod search;
pub mod sla;
pub mod staff;
pub mod survey;
pub mod task;
pub mod ticket;
pub mod timeline;
pub mod timings;
pub mod two_factor;
pub mod validate;
pub mod webhook;
pub mod wording;

pub use agent::Role;
pub use agent::{Agent, Team};
pub use customer::{Customer, Organization, RelationshipKind};
pub use event::{Actor, ActorKind, Event, EventActor};
pub use job::Job;
pub use message::{AttachmentInfo, Author, AuthorKind, Channel, EmailInfo, Message, Visibility};
pub use notification::NotificationKind;
pub use task::TaskKind;
pub use ticket::{Conversation, Priority, Problem, Ticket, TransitionError};
pub use validate::Invalid;

/// Declares a closed set of snake_case names, with parsing that tells the reader which names
/// are allowed. Every enum stored as text or sent over the API is declared this way, so the
/// spelling in the database, the JSON and the error messages is one and the same.
#[macro_export]
macro_rules! named_enum {
    ($(#[$meta:meta])* $name:ident, $what:literal { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::validate::Invalid;

            fn from_str(text: &str) -> Result<Self, Self::Err> {
                match text {
                    $($text => Ok($name::$variant),)+
                    _ => Err($crate::validate::Invalid::new(
                        $what,
                        format!(
                            "`{text}` is not a {}; use one of: {}",
                            $what,
                            [$($text),+].join(", ")
                        ),
                    )),
                }
            }
        }
    };
}

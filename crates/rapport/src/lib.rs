//! The `rapport` server: HTTP API, command line, and the wiring between them and the store.
//! `main.rs` only parses flags and calls [`cli::run`].

mod admin;
mod agents;
pub mod app;
mod audit;
pub mod backup;
pub mod cli;
mod coach;
mod complaints;
pub mod config;
mod contracts;
mod cursor;
mod customers;
pub mod demo;
pub mod error;
mod escalations;
pub mod extract;
mod filtered;
mod healthz;
pub mod imap;
mod inbound;
mod insight;
pub mod intake;
pub mod jobs;
mod letters;
pub mod live;
pub mod metrics;
pub mod move_in;
mod notifications;
mod openapi;
mod organizations;
pub mod pages;
mod policies;
mod portal;
mod promises;
mod public;
pub mod request_id;
pub mod router;
mod saved_replies;
mod search;
mod service_levels;
mod session;
mod settings;
pub mod smtp;
mod tasks;
mod teams;
mod tickets;
mod tokens;
mod two_factor;
pub mod webhooks;
mod workspace;

pub use app::{App, serve, work};
pub use config::Config;
/// The sign-in limit's rules (the worker prunes the counts by them).
pub use session::SIGN_IN_RULES;

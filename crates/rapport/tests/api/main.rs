//! Integration tests: the real server on a real database (see `helpers.rs`). Modules mirror
//! the routes; `cli` and `durability` drive the `rapport` binary itself.

mod helpers;

mod account;
mod admin;
mod agents;
mod audit;
mod auth;
mod backup;
mod calendar;
mod cli;
mod coach;
mod coaching_pages;
mod complaints;
mod contracts;
mod customer_details;
mod customers;
mod durability;
mod email;
mod errors;
mod escalations;
mod faults;
mod files;
mod filtered_mail;
mod healthz;
mod inbox_views;
mod jobs;
mod letters;
mod logs;
mod mail_reading;
mod matrix;
mod metrics;
mod move_in;
mod notifications;
mod openapi;
mod opening;
mod organizations;
mod policies;
mod portal;
mod relationship;

mod restricted_teams;
mod saved_replies;
mod search;
mod service_levels;
mod session;
mod several_nodes;
mod teams;
mod tickets;
mod tokens;
mod two_factor;
mod webhooks;
mod workspace;

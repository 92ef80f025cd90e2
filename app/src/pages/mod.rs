//! One module per page.

pub mod account;
pub mod agent;
pub mod agents;
mod agents_table;
pub mod audit;
pub mod auth;
pub mod directory_query;
pub mod home;
pub mod invite;
pub mod join;
pub mod not_found;
pub mod organization;
pub mod outbox;
pub mod pending;
pub mod register;
pub mod reset;
pub mod runs;
mod saved_views;
pub mod tokens;
pub mod transfers;

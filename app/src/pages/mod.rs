//! One module per page.

pub mod account;
pub mod agents;
pub mod audit;
pub mod auth;
pub mod home;
pub mod invite;
pub mod join;
pub mod not_found;
pub mod organization;
pub mod outbox;
pub mod pending;
pub mod register;
pub mod reset;
pub mod tokens;

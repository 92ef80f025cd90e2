//! REST handlers: each is one function that calls the services layer.

pub mod agents;
pub mod audit;
pub mod auth;
pub mod docs;
pub mod health;
pub mod invitations;
pub mod keys;
pub mod organizations;
pub mod outbox;
pub mod registration;
pub mod run_events;
pub mod runs;
pub mod security;
pub mod transfers;
pub mod variations;
pub mod views;
pub mod webhooks;

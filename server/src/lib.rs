//! The Agentry server: REST API, server-side rendering, static files, and the command line.
//!
//! A request goes route → [`agentry_services::Services`] → storage; this crate only
//! adapts HTTP to the services layer and back.

#![recursion_limit = "256"]

pub mod agent_cli;
pub mod agents_cli;
pub mod cli;
pub mod client_ip;
mod extract;
mod housekeeping;
mod middleware;
mod problem;
mod routes;
pub mod runner_cli;
pub mod startup;
mod web;

pub use startup::{Application, Settings};

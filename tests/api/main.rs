//! API integration tests: the real server, real HTTP, SQLite and PostgreSQL.
// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod accounts;
mod agent_audit;
mod agent_matrix;
mod api_keys;
mod audit;
mod audit_odata;
mod cli;
mod cli_agents;
mod directory;
mod directory_list;
mod docs;
mod http_basics;
mod identity;
mod invitations;
mod invites;
mod literals;
mod metrics;
mod organizations;
mod outbox;
mod plans;
mod proxy;
mod races;
mod registration;
mod role_matrix;
mod run_events;
mod run_schedules;
mod run_support;
mod runner_cli;
mod runs;
mod saved_views;
mod schema;
mod seats;
mod security;
mod transfers;

//! API integration tests: the real server, real HTTP, SQLite and PostgreSQL.
#![allow(clippy::unwrap_used)]

mod accounts;
mod api_keys;
mod http_basics;
mod outbox;
mod invites;
mod races;
mod registration;
mod cli;

//! API integration tests: the real server, real HTTP, SQLite and PostgreSQL.
#![allow(clippy::unwrap_used)]

mod accounts;
mod api_keys;
mod cli;
mod http_basics;
mod invites;
mod outbox;
mod proxy;
mod races;
mod registration;
mod schema;

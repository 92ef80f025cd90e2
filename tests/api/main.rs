//! API integration tests: the real server, real HTTP, SQLite and PostgreSQL.
#![allow(clippy::unwrap_used)]

mod accounts;
mod api_keys;
mod cli;
mod docs;
mod http_basics;
mod invites;
mod outbox;
mod races;
mod registration;

//! Agentry's web app: Leptos components and server functions.
//!
//! The server renders [`shell`] (with [`App`] inside) for every page; the `agentry-hydrate`
//! crate hydrates [`App`] in the browser. Server functions in [`api`] are thin adapters
//! over `agentry_services` and live under `/fn/…`.
//!
//! Features: `ssr` for the server build, `hydrate` for the wasm build. Never both.

// Leptos view types nest deeply; the page types exceed the default limit of 128.
#![recursion_limit = "256"]

pub mod api;
mod app;
mod browser;
mod components;
pub mod error;
mod format;
mod pages;
pub mod routing;
mod shell;

pub use app::{App, Session};
pub use error::AppError;
pub use shell::shell;

#[cfg(test)]
mod rules_test;

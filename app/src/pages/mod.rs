//! One module per page.

pub mod agents;
pub mod auth;
pub mod home;
pub mod not_found;

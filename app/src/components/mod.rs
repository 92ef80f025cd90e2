//! Reusable pieces of UI.

pub mod dialog;
pub mod form;
pub mod nav;
pub mod secret;
pub mod signed_in;

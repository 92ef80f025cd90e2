//! invites (see docs/REGISTRATION.md).

//! mailer (see docs/REGISTRATION.md).

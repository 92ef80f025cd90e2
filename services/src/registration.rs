//! registration (see docs/REGISTRATION.md).

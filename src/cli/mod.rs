//! Command-line front end of `aiid`.
pub mod passport;
pub mod registry;
pub mod scl;

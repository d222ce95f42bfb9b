//! Command-line front end of `aiid`.
pub mod passport;
pub mod scl;

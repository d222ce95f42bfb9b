//! Command-line front end of `aiid`.
pub mod attest;
pub mod declare;
pub mod passport;
pub mod registry;
pub mod scl;

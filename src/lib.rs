#![forbid(unsafe_code)]
//! aiid: deterministic identity for AI (facade crate).

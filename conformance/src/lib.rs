//! Conformance vectors and runner (work in progress).
#![forbid(unsafe_code)]

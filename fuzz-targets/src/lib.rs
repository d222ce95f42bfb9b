//! Fuzz target functions for this workspace.
//!
//! Each public `fn name(data: &[u8])` here is one fuzz target. The cargo-fuzz
//! package in `fuzz/` wraps each of them in a one-line `fuzz_target!`, and the
//! stable test `tests/replay.rs` feeds every file of `fuzz/corpus/<name>/` and
//! `fuzz/regressions/<name>/` through the very same function, so a crash found
//! by a fuzzer becomes an ordinary test failure once its input is committed.
//!
//! The functions **panic on purpose** when a property fails: a panic is how a
//! fuzzer learns that an input is interesting. Inputs that a function merely
//! rejects (bytes that are not a document, structured inputs the SCL builder
//! refuses, …) return normally.
//!
//! Structured targets take raw bytes too and turn them into their input type
//! with [`arbitrary::Unstructured`] (`arbitrary_take_rest`), exactly as
//! `libfuzzer-sys` would, so that replaying a file reproduces the fuzzer run.
//!
//! [`spec_literal`] is a second, deliberately simple SCL:V1 engine written
//! from the specification text, used as the oracle of [`scl_differential`].

mod attest_targets;
mod passport_targets;
mod scl;
pub mod spec_literal;
mod stream;

pub use attest_targets::attest_verify;
pub use passport_targets::{
    jwks_parse, passport_verify, passport_verify_bytes, IssueInput, JsonValue, KnownString, Name,
    PassportInput, SignerInput, Tamper,
};
pub use scl::{
    canon_decode, scl_differential, scl_parse, scl_roundtrip, scl_roundtrip_bytes, HandleInput,
    IdInput, Piece, SclRoundtripInput, TextInput,
};
pub use stream::scl_stream;

/// A fuzz target: takes the raw bytes a fuzzer (or a corpus file) provides.
pub type Target = fn(&[u8]);

/// Every fuzz target, by the name of its `fuzz/fuzz_targets/<name>.rs` file
/// and of its `fuzz/corpus/<name>/` and `fuzz/regressions/<name>/` folders.
pub const TARGETS: &[(&str, Target)] = &[
    ("scl_parse", scl_parse),
    ("scl_roundtrip", scl_roundtrip_bytes),
    ("scl_differential", scl_differential),
    ("scl_stream", scl_stream),
    ("canon_decode", canon_decode),
    ("passport_verify", passport_verify_bytes),
    ("jwks_parse", jwks_parse),
    ("attest_verify", attest_verify),
];

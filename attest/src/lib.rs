#![doc = include_str!("../README.md")]
// Errors are values here: no unwrap, expect, panic!, unreachable!, todo! or
// unimplemented! outside tests.
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::unreachable,
        clippy::todo,
        clippy::unimplemented
    )
)]

pub mod conformance;
pub mod declaration;
pub mod dsse;
pub mod error;
pub mod sign;
pub mod statement;
pub mod time;
pub mod verify;

pub use declaration::{DeclarationError, RunDeclaration};
pub use dsse::{Envelope, MAX_ENVELOPE_BYTES};
pub use error::{AttestError, Layer};
pub use sign::AgentSigner;
pub use statement::{DeclaredAt, Statement, PAYLOAD_TYPE, PREDICATE_TYPE, STATEMENT_TYPE};
pub use verify::{AgentKeySource, AgentKeys, VerifiedAttestation, Verifier};

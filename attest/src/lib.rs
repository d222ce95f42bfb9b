#![doc = include_str!("../README.md")]

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

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
mod error;
mod handshake;
mod issue;
mod keys;
mod mcp;
mod revocation;
mod strict;
mod types;
mod verify;

// The whole API, in one place. Everything is reachable from the crate root
// except the conformance protocol, which keeps its own namespace
// (`passport::conformance::respond`, …) because its names are generic.
//
// Foreign types, on purpose: `SigningKey`, `VerifyingKey` and `Signature`
// of ed25519-dalek 2 are re-exported below and appear in this API (keys,
// `Jwk::key`, `KeySource`, `verify_signature_strict`), since they are the
// Rust ecosystem's Ed25519 key types and wrapping them would only force
// conversions on every caller; a major version of ed25519-dalek is a major
// version of this crate. `serde_json::Value` / `Map` appear where JSON is the
// subject (raw claims, JWK documents, the conformance protocol);
// serde_json 1 is stable. No other dependency's type is public.
pub use ed25519_dalek::{Signature, SigningKey, VerifyingKey};
pub use error::{
    Cause, ErrorCode, InvalidValue, IssueError, KeyError, Part, PassportError, SourceError,
    UnknownErrorCode,
};
pub use handshake::{
    AwaitingInitiatorPassport, AwaitingResponderPassport, HandshakeError, HandshakeMessage,
    HandshakeRequest, HandshakeResponse, Initiator, Party, Responder, TrustContext,
};
pub use issue::Issuer;
pub use keys::{
    generate_signing_key, signing_key_from_jwk, signing_key_from_pem, signing_key_from_seed,
    signing_key_to_pem, thumbprint, verifying_key_from_bytes, Jwk, Jwks,
};
pub use mcp::{
    check_binding, is_rfc3339, McpError, McpPolicy, RecordSurface, RegistryRecord, TrustedServer,
    WellKnownIdentity,
};
pub use revocation::{RevocationList, RevocationQuery, RevocationSource};
pub use strict::{b64url_decode, b64url_encode, parse_object, parse_value, JsonError};
pub use types::{
    Audience, Capability, Claims, ClaimsBuilder, IdentityId, KeyId, NumericDate, Operator, Surface,
    Tier, Url, MAX_NUMERIC_DATE, REQUIRED_CLAIMS,
};
pub use verify::{
    inspect_untrusted, verify_jws, verify_signature_strict, Clock, FixedClock, Header, KeySource,
    Policy, SystemClock, Untrusted, VerifiedPassport, Verifier, DEFAULT_LEEWAY_SECS,
    FORBIDDEN_HEADERS, MAX_TOKEN_BYTES,
};

#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod conformance;
pub mod error;
pub mod handshake;
pub mod issue;
pub mod keys;
pub mod mcp;
pub mod revocation;
pub mod strict;
pub mod types;
pub mod verify;

pub use error::{InvalidValue, IssueError, KeyError, Part, PassportError};
pub use issue::Issuer;
pub use keys::{
    generate_signing_key, signing_key_from_jwk, signing_key_from_pem, signing_key_from_seed,
    signing_key_to_pem, thumbprint, Jwk, Jwks, SigningKey, VerifyingKey,
};
pub use revocation::{RevocationList, RevocationQuery, RevocationSource};
pub use types::{
    Audience, Capability, Claims, IdentityId, KeyId, NumericDate, Operator, Surface, Tier, Url,
};
pub use verify::{
    inspect_untrusted, verify_jws, verify_signature_strict, Clock, FixedClock, Header, KeySource,
    Policy, SystemClock, VerifiedPassport, Verifier, DEFAULT_LEEWAY_SECS, MAX_TOKEN_BYTES,
};

//! Typed errors. Every variant has a stable string code (see [`PassportError::code`]).

use crate::types::Tier;
use std::fmt;

/// Which of the three segments of a compact token an error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Part {
    /// The protected header (first segment).
    Header,
    /// The payload, i.e. the claims set (second segment).
    Claims,
    /// The signature (third segment).
    Signature,
}

impl Part {
    /// The lowercase name of the part: `header`, `claims` or `signature`.
    pub fn as_str(self) -> &'static str {
        match self {
            Part::Header => "header",
            Part::Claims => "claims",
            Part::Signature => "signature",
        }
    }
}

impl fmt::Display for Part {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a passport (or a bare JWS at the signature layer) was rejected.
///
/// The variants are listed in the order in which the verifier checks them
/// (see `spec/passport.md`); the first failing check decides the error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PassportError {
    /// The token is longer than the size cap; nothing was decoded.
    #[error("token is {len} bytes, more than the {max}-byte cap")]
    TokenTooLarge {
        /// Length of the token in bytes.
        len: usize,
        /// The cap in bytes.
        max: usize,
    },
    /// Not three non-empty dot-separated segments.
    #[error("malformed token: {0}")]
    MalformedToken(&'static str),
    /// A segment is not strict unpadded base64url.
    #[error("{0} is not strict unpadded base64url")]
    InvalidBase64(Part),
    /// The header is not a JSON object of the expected shape.
    #[error("malformed header: {0}")]
    MalformedHeader(String),
    /// A JSON object in the header or in the claims repeats a member name.
    #[error("duplicate member {name:?} in the {part}")]
    DuplicateMember {
        /// Where the duplicate was found.
        part: Part,
        /// The repeated member name.
        name: String,
    },
    /// `alg` is anything but `EdDSA` (including `none`).
    #[error("unsupported algorithm {0:?}: only EdDSA is accepted")]
    UnsupportedAlgorithm(String),
    /// The header has no `kid`.
    #[error("header has no kid")]
    MissingKid,
    /// The header has a `crit` member; no critical extension is supported.
    #[error("header has a crit member; no critical extension is supported")]
    CritHeader,
    /// The header carries a key or key location (`jku`, `jwk`, `x5u`, `x5c`).
    #[error("header member {0:?} is forbidden: keys are never taken from a token")]
    ForbiddenHeader(&'static str),
    /// `typ` is present and is not `JWT`.
    #[error("header typ {0:?} is not JWT")]
    BadType(String),
    /// No trusted key has the header's `kid`.
    #[error("no trusted key with kid {0:?}")]
    UnknownKey(String),
    /// The key source could not answer.
    #[error("key source unavailable: {0}")]
    KeySourceUnavailable(String),
    /// The signature does not verify under strict Ed25519 rules.
    #[error("bad signature: {0}")]
    BadSignature(&'static str),
    /// The payload is not a JSON object.
    #[error("malformed claims: {0}")]
    MalformedClaims(String),
    /// A required claim is absent.
    #[error("missing required claim {0:?}")]
    MissingClaim(&'static str),
    /// A claim has the wrong type or an invalid value.
    #[error("invalid claim {claim:?}: {reason}")]
    InvalidClaim {
        /// The claim name.
        claim: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// `tier` is a string but not one of the four tiers.
    #[error("unknown tier {0:?}")]
    UnknownTier(String),
    /// The `key_id` claim differs from the header `kid`.
    #[error("header kid {header:?} differs from key_id claim {claim:?}")]
    KidMismatch {
        /// The header's `kid`.
        header: String,
        /// The `key_id` claim.
        claim: String,
    },
    /// `iss` is not an accepted issuer.
    #[error("issuer {0:?} is not accepted")]
    WrongIssuer(String),
    /// `aud` does not name this verifier's audience.
    #[error("audience does not include {0:?}")]
    WrongAudience(String),
    /// `exp` (plus leeway) has passed.
    #[error("expired at {exp} (now {now})")]
    Expired {
        /// The `exp` claim.
        exp: i64,
        /// The verifier's clock.
        now: i64,
    },
    /// `nbf` (minus leeway) is still in the future.
    #[error("not valid before {nbf} (now {now})")]
    NotYetValid {
        /// The `nbf` claim.
        nbf: i64,
        /// The verifier's clock.
        now: i64,
    },
    /// `iat` lies in the future by more than the leeway.
    #[error("issued in the future at {iat} (now {now})")]
    IssuedInFuture {
        /// The `iat` claim.
        iat: i64,
        /// The verifier's clock.
        now: i64,
    },
    /// The passport's tier is below the policy's minimum.
    #[error("tier {tier} is below the required {required}")]
    TierTooLow {
        /// The passport's tier.
        tier: Tier,
        /// The policy's minimum.
        required: Tier,
    },
    /// The revocation source lists this identity, passport or key.
    #[error("revoked: {0}")]
    Revoked(String),
    /// The revocation source could not answer (or its list is stale); fail closed.
    #[error("revocation status unavailable: {0}")]
    RevocationUnavailable(String),
}

impl PassportError {
    /// The stable machine-readable code of this error, used in the vectors and
    /// in `aiid passport verify --json`.
    pub fn code(&self) -> &'static str {
        match self {
            PassportError::TokenTooLarge { .. } => "token_too_large",
            PassportError::MalformedToken(_) => "malformed_token",
            PassportError::InvalidBase64(_) => "invalid_base64",
            PassportError::MalformedHeader(_) => "malformed_header",
            PassportError::DuplicateMember { .. } => "duplicate_member",
            PassportError::UnsupportedAlgorithm(_) => "unsupported_algorithm",
            PassportError::MissingKid => "missing_kid",
            PassportError::CritHeader => "crit_header",
            PassportError::ForbiddenHeader(_) => "forbidden_header",
            PassportError::BadType(_) => "bad_typ",
            PassportError::UnknownKey(_) => "unknown_key",
            PassportError::KeySourceUnavailable(_) => "key_source_unavailable",
            PassportError::BadSignature(_) => "bad_signature",
            PassportError::MalformedClaims(_) => "malformed_claims",
            PassportError::MissingClaim(_) => "missing_claim",
            PassportError::InvalidClaim { .. } => "invalid_claim",
            PassportError::UnknownTier(_) => "unknown_tier",
            PassportError::KidMismatch { .. } => "kid_mismatch",
            PassportError::WrongIssuer(_) => "wrong_issuer",
            PassportError::WrongAudience(_) => "wrong_audience",
            PassportError::Expired { .. } => "expired",
            PassportError::NotYetValid { .. } => "not_yet_valid",
            PassportError::IssuedInFuture { .. } => "issued_in_future",
            PassportError::TierTooLow { .. } => "tier_too_low",
            PassportError::Revoked(_) => "revoked",
            PassportError::RevocationUnavailable(_) => "revocation_unavailable",
        }
    }

    /// The claim an error is about, when there is one (`missing_claim`,
    /// `invalid_claim`, `unknown_tier`, time and audience errors).
    pub fn claim(&self) -> Option<&'static str> {
        match self {
            PassportError::MissingClaim(c) => Some(c),
            PassportError::InvalidClaim { claim, .. } => Some(claim),
            PassportError::UnknownTier(_) | PassportError::TierTooLow { .. } => Some("tier"),
            PassportError::KidMismatch { .. } => Some("key_id"),
            PassportError::WrongIssuer(_) => Some("iss"),
            PassportError::WrongAudience(_) => Some("aud"),
            PassportError::Expired { .. } => Some("exp"),
            PassportError::NotYetValid { .. } => Some("nbf"),
            PassportError::IssuedInFuture { .. } => Some("iat"),
            _ => None,
        }
    }

    /// Every code [`PassportError::code`] can return, in check order.
    pub const CODES: &'static [&'static str] = &[
        "token_too_large",
        "malformed_token",
        "invalid_base64",
        "malformed_header",
        "duplicate_member",
        "unsupported_algorithm",
        "missing_kid",
        "crit_header",
        "forbidden_header",
        "bad_typ",
        "unknown_key",
        "key_source_unavailable",
        "bad_signature",
        "malformed_claims",
        "missing_claim",
        "invalid_claim",
        "unknown_tier",
        "kid_mismatch",
        "wrong_issuer",
        "wrong_audience",
        "expired",
        "not_yet_valid",
        "issued_in_future",
        "tier_too_low",
        "revoked",
        "revocation_unavailable",
    ];
}

/// Errors loading or converting keys (PEM, seeds, JWKs, JWKS documents).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// Not a PKCS#8 PEM Ed25519 private key.
    #[error("not a PKCS#8 PEM Ed25519 private key: {0}")]
    InvalidPem(String),
    /// A seed that is not exactly 32 bytes.
    #[error("an Ed25519 seed is 32 bytes, got {0}")]
    InvalidSeed(usize),
    /// A JWK or JWKS that breaks the rules of `spec/passport.md`.
    #[error("invalid JWK: {0}")]
    InvalidJwk(String),
    /// A JWKS whose JSON repeats a member name.
    #[error("duplicate member {0:?} in JWK set")]
    DuplicateMember(String),
    /// A public key of small order (or not a curve point).
    #[error("weak or invalid Ed25519 public key (kid {0:?})")]
    WeakKey(String),
    /// Two Ed25519 keys with the same `kid`.
    #[error("duplicate kid {0:?} in JWK set")]
    DuplicateKid(String),
    /// The operating system's random number generator failed.
    #[error("random number generator failed: {0}")]
    Random(String),
}

impl KeyError {
    /// Stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            KeyError::InvalidPem(_) => "invalid_pem",
            KeyError::InvalidSeed(_) => "invalid_seed",
            KeyError::InvalidJwk(_) => "invalid_jwk",
            KeyError::DuplicateMember(_) => "duplicate_member",
            KeyError::WeakKey(_) => "weak_key",
            KeyError::DuplicateKid(_) => "duplicate_kid",
            KeyError::Random(_) => "random_failure",
        }
    }
}

/// A value that does not satisfy the rules of its type
/// ([`crate::IdentityId`], [`crate::KeyId`], [`crate::Operator`], …).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {what}: {reason}")]
pub struct InvalidValue {
    /// The kind of value (`identity id`, `key id`, …).
    pub what: &'static str,
    /// What is wrong with it.
    pub reason: String,
}

impl InvalidValue {
    pub(crate) fn new(what: &'static str, reason: impl Into<String>) -> Self {
        InvalidValue {
            what,
            reason: reason.into(),
        }
    }
}

/// Errors issuing a passport.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IssueError {
    /// The claims' `iss` differs from the issuer's.
    #[error("claims iss {claims:?} differs from the issuer's {issuer:?}")]
    IssuerMismatch {
        /// `iss` of the claims.
        claims: String,
        /// The issuer's URL.
        issuer: String,
    },
    /// The claims' `key_id` differs from the issuer's `kid`.
    #[error("claims key_id {claims:?} differs from the issuer's kid {issuer:?}")]
    KidMismatch {
        /// `key_id` of the claims.
        claims: String,
        /// The issuer's kid.
        issuer: String,
    },
    /// `exp` is not after `iat`, or `nbf` is after `exp`.
    #[error("invalid validity window: {0}")]
    InvalidWindow(&'static str),
    /// The JWT library failed to sign.
    #[error("signing failed: {0}")]
    Signing(String),
}

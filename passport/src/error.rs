//! Typed errors. Every error has a stable code, an [`ErrorCode`] (see
//! [`PassportError::code`]); where a lower-level error caused it, that error
//! is kept as [`std::error::Error::source`].

use crate::types::Tier;
use std::fmt;
use std::sync::Arc;

macro_rules! error_codes {
    ($( $(#[$m:meta])* $variant:ident = $s:literal, )*) => {
        /// The stable machine-readable codes of every error this crate
        /// produces: the strings of `spec/passport.md`, of
        /// `spec/vectors/passport.json`, of `aiid passport verify --json` and
        /// of the conformance protocol. A string never changes meaning; new
        /// codes may be added (the enum is non-exhaustive).
        ///
        /// One code may be produced by several error types (`duplicate_member`
        /// by [`PassportError`] and [`KeyError`], `kid_mismatch` by
        /// [`PassportError`] and [`IssueError`], `tier_too_low` by
        /// [`PassportError`] and [`McpError`](crate::McpError)).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum ErrorCode {
            $( $(#[$m])* $variant, )*
        }

        impl ErrorCode {
            /// Every code, in this order: the passport checks in check order
            /// (as [`PassportError::CODES`]), then key, issuing, handshake, MCP
            /// and protocol codes.
            pub const ALL: &'static [ErrorCode] = &[ $( ErrorCode::$variant, )* ];

            /// The code as written in the specification, e.g. `"expired"`.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $( ErrorCode::$variant => $s, )*
                }
            }
        }
    };
}

error_codes! {
    /// The token is longer than the size cap.
    TokenTooLarge = "token_too_large",
    /// Not three non-empty dot-separated segments.
    MalformedToken = "malformed_token",
    /// A segment is not strict unpadded base64url.
    InvalidBase64 = "invalid_base64",
    /// The header is not a JSON object of the expected shape.
    MalformedHeader = "malformed_header",
    /// A JSON object repeats a member name (token or JWK set).
    DuplicateMember = "duplicate_member",
    /// `alg` is not `EdDSA`.
    UnsupportedAlgorithm = "unsupported_algorithm",
    /// The header has no `kid`.
    MissingKid = "missing_kid",
    /// The header has a `crit` member.
    CritHeader = "crit_header",
    /// The header carries a key or key location.
    ForbiddenHeader = "forbidden_header",
    /// `typ` is present and is not `JWT`.
    BadTyp = "bad_typ",
    /// No trusted key has the header's `kid`.
    UnknownKey = "unknown_key",
    /// The key source could not answer.
    KeySourceUnavailable = "key_source_unavailable",
    /// The signature does not verify under strict Ed25519 rules.
    BadSignature = "bad_signature",
    /// The payload is not a JSON object.
    MalformedClaims = "malformed_claims",
    /// A required claim is absent.
    MissingClaim = "missing_claim",
    /// A claim has the wrong type or an invalid value.
    InvalidClaim = "invalid_claim",
    /// `tier` names no tier.
    UnknownTier = "unknown_tier",
    /// `key_id` differs from the header `kid` (or, issuing, from the issuer's kid).
    KidMismatch = "kid_mismatch",
    /// `iss` is not an accepted issuer.
    WrongIssuer = "wrong_issuer",
    /// `aud` does not name the verifier's audience.
    WrongAudience = "wrong_audience",
    /// `exp` (plus leeway) has passed.
    Expired = "expired",
    /// `nbf` (minus leeway) is in the future.
    NotYetValid = "not_yet_valid",
    /// `iat` is in the future by more than the leeway.
    IssuedInFuture = "issued_in_future",
    /// The tier is below the required minimum.
    TierTooLow = "tier_too_low",
    /// Revoked.
    Revoked = "revoked",
    /// The revocation status is unknown (source failed or list stale).
    RevocationUnavailable = "revocation_unavailable",
    /// Not a PKCS#8 PEM Ed25519 private key.
    InvalidPem = "invalid_pem",
    /// A PKCS#8 v2 key whose attached public key is not the private key's.
    PublicKeyMismatch = "public_key_mismatch",
    /// An Ed25519 seed that is not 32 bytes.
    InvalidSeed = "invalid_seed",
    /// A JWK or JWK set breaking the rules.
    InvalidJwk = "invalid_jwk",
    /// A weak (small-order) or non-canonical public key.
    WeakKey = "weak_key",
    /// Two keys with one `kid` in a JWK set.
    DuplicateKid = "duplicate_kid",
    /// The operating system's random number generator failed.
    RandomFailure = "random_failure",
    /// Issuing: the claims' `iss` is not the issuer's.
    IssuerMismatch = "issuer_mismatch",
    /// Issuing: `exp` not after `iat`, or `nbf` not before `exp`.
    InvalidWindow = "invalid_window",
    /// Issuing: the claims could not be serialized.
    EncodingFailed = "encoding_failed",
    /// Handshake: not a handshake message.
    MalformedMessage = "malformed_message",
    /// Handshake: a message of the other kind arrived.
    UnexpectedMessage = "unexpected_message",
    /// Handshake: the peer's passport is for another identity.
    PeerMismatch = "peer_mismatch",
    /// Handshake: the peer presented our own identity.
    Reflection = "reflection",
    /// Handshake: the verifier has no revocation source.
    NoRevocationSource = "no_revocation_source",
    /// MCP: the document or record is malformed.
    Malformed = "malformed",
    /// MCP: the document's `version` is not `"1"`.
    UnsupportedVersion = "unsupported_version",
    /// MCP: the document names an untrusted registry.
    UntrustedRegistry = "untrusted_registry",
    /// MCP: the record is for another identity.
    IdentityMismatch = "identity_mismatch",
    /// MCP: the identity is not active.
    Inactive = "inactive",
    /// MCP: the host is not a verified surface of the identity.
    SurfaceNotBound = "surface_not_bound",
    /// Conformance protocol: a request the implementation cannot understand.
    BadRequest = "bad_request",
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl AsRef<str> for ErrorCode {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl PartialEq<str> for ErrorCode {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for ErrorCode {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl serde::Serialize for ErrorCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// A string that is not one of the [`ErrorCode`]s.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown passport error code {0:?}")]
pub struct UnknownErrorCode(pub String);

impl std::str::FromStr for ErrorCode {
    type Err = UnknownErrorCode;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ErrorCode::ALL
            .iter()
            .copied()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| UnknownErrorCode(s.to_owned()))
    }
}

/// The lower-level error behind one of this crate's errors (a JSON syntax
/// error, a random number generator failure, …), returned by
/// [`std::error::Error::source`].
///
/// It is opaque so that no dependency's error type becomes part of this
/// crate's API; walk on with its own `source()` or downcast it through
/// [`Cause::get`]. Two causes compare equal when their messages do (errors
/// are compared in tests by what they say).
#[derive(Clone)]
pub struct Cause(Arc<dyn std::error::Error + Send + Sync + 'static>);

impl Cause {
    pub(crate) fn new(e: impl std::error::Error + Send + Sync + 'static) -> Cause {
        Cause(Arc::new(e))
    }

    /// The underlying error, to downcast (`cause.get().downcast_ref::<T>()`).
    pub fn get(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
        &*self.0
    }
}

impl fmt::Debug for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&*self.0, f)
    }
}

impl std::error::Error for Cause {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source()
    }
}

impl PartialEq for Cause {
    fn eq(&self, other: &Cause) -> bool {
        self.0.to_string() == other.0.to_string()
    }
}

impl Eq for Cause {}

/// Why a [`KeySource`](crate::KeySource), a
/// [`RevocationSource`](crate::RevocationSource) or another source of trusted
/// data could not answer: a message that says it all on its own, and the
/// lower-level error behind it, when there is one, as
/// [`std::error::Error::source`] (for example the registry client's error
/// when a JWKS could not be fetched).
///
/// ```
/// use aiid_passport::SourceError;
/// use std::error::Error;
///
/// let io = std::io::Error::new(std::io::ErrorKind::TimedOut, "timed out");
/// let e = SourceError::caused_by("registry JWKS unavailable: timed out", io);
/// assert_eq!(e.to_string(), "registry JWKS unavailable: timed out");
/// assert!(e.source().is_some());
/// assert!(SourceError::new("list is stale").source().is_none());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceError {
    message: String,
    cause: Option<Cause>,
}

impl SourceError {
    /// An error with no lower-level cause.
    pub fn new(message: impl Into<String>) -> SourceError {
        SourceError {
            message: message.into(),
            cause: None,
        }
    }

    /// An error caused by `cause`, returned by `source()`.
    pub fn caused_by(
        message: impl Into<String>,
        cause: impl std::error::Error + Send + Sync + 'static,
    ) -> SourceError {
        SourceError {
            message: message.into(),
            cause: Some(Cause::new(cause)),
        }
    }

    /// The message (the same text as `Display`).
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for SourceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for SourceError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.cause
            .as_ref()
            .map(|c| c.get() as &(dyn std::error::Error + 'static))
    }
}

impl From<String> for SourceError {
    fn from(message: String) -> SourceError {
        SourceError::new(message)
    }
}

impl From<&str> for SourceError {
    fn from(message: &str) -> SourceError {
        SourceError::new(message)
    }
}

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
    #[error("malformed header: {reason}")]
    MalformedHeader {
        /// What is wrong with it.
        reason: String,
        /// The JSON syntax error, when that is what is wrong.
        #[source]
        source: Option<Cause>,
    },
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
    KeySourceUnavailable(#[source] SourceError),
    /// The signature does not verify under strict Ed25519 rules.
    #[error("bad signature: {0}")]
    BadSignature(&'static str),
    /// The payload is not a JSON object.
    #[error("malformed claims: {reason}")]
    MalformedClaims {
        /// What is wrong with it.
        reason: String,
        /// The JSON syntax error, when that is what is wrong.
        #[source]
        source: Option<Cause>,
    },
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
        /// The value rule that failed, when the claim has the right type.
        #[source]
        source: Option<InvalidValue>,
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
    RevocationUnavailable(#[source] SourceError),
}

impl PassportError {
    /// The stable machine-readable code of this error, used in the vectors and
    /// in `aiid passport verify --json`.
    pub fn code(&self) -> ErrorCode {
        match self {
            PassportError::TokenTooLarge { .. } => ErrorCode::TokenTooLarge,
            PassportError::MalformedToken(_) => ErrorCode::MalformedToken,
            PassportError::InvalidBase64(_) => ErrorCode::InvalidBase64,
            PassportError::MalformedHeader { .. } => ErrorCode::MalformedHeader,
            PassportError::DuplicateMember { .. } => ErrorCode::DuplicateMember,
            PassportError::UnsupportedAlgorithm(_) => ErrorCode::UnsupportedAlgorithm,
            PassportError::MissingKid => ErrorCode::MissingKid,
            PassportError::CritHeader => ErrorCode::CritHeader,
            PassportError::ForbiddenHeader(_) => ErrorCode::ForbiddenHeader,
            PassportError::BadType(_) => ErrorCode::BadTyp,
            PassportError::UnknownKey(_) => ErrorCode::UnknownKey,
            PassportError::KeySourceUnavailable(_) => ErrorCode::KeySourceUnavailable,
            PassportError::BadSignature(_) => ErrorCode::BadSignature,
            PassportError::MalformedClaims { .. } => ErrorCode::MalformedClaims,
            PassportError::MissingClaim(_) => ErrorCode::MissingClaim,
            PassportError::InvalidClaim { .. } => ErrorCode::InvalidClaim,
            PassportError::UnknownTier(_) => ErrorCode::UnknownTier,
            PassportError::KidMismatch { .. } => ErrorCode::KidMismatch,
            PassportError::WrongIssuer(_) => ErrorCode::WrongIssuer,
            PassportError::WrongAudience(_) => ErrorCode::WrongAudience,
            PassportError::Expired { .. } => ErrorCode::Expired,
            PassportError::NotYetValid { .. } => ErrorCode::NotYetValid,
            PassportError::IssuedInFuture { .. } => ErrorCode::IssuedInFuture,
            PassportError::TierTooLow { .. } => ErrorCode::TierTooLow,
            PassportError::Revoked(_) => ErrorCode::Revoked,
            PassportError::RevocationUnavailable(_) => ErrorCode::RevocationUnavailable,
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
    pub const CODES: &'static [ErrorCode] = &[
        ErrorCode::TokenTooLarge,
        ErrorCode::MalformedToken,
        ErrorCode::InvalidBase64,
        ErrorCode::MalformedHeader,
        ErrorCode::DuplicateMember,
        ErrorCode::UnsupportedAlgorithm,
        ErrorCode::MissingKid,
        ErrorCode::CritHeader,
        ErrorCode::ForbiddenHeader,
        ErrorCode::BadTyp,
        ErrorCode::UnknownKey,
        ErrorCode::KeySourceUnavailable,
        ErrorCode::BadSignature,
        ErrorCode::MalformedClaims,
        ErrorCode::MissingClaim,
        ErrorCode::InvalidClaim,
        ErrorCode::UnknownTier,
        ErrorCode::KidMismatch,
        ErrorCode::WrongIssuer,
        ErrorCode::WrongAudience,
        ErrorCode::Expired,
        ErrorCode::NotYetValid,
        ErrorCode::IssuedInFuture,
        ErrorCode::TierTooLow,
        ErrorCode::Revoked,
        ErrorCode::RevocationUnavailable,
    ];

    pub(crate) fn malformed_header(reason: impl Into<String>) -> PassportError {
        PassportError::MalformedHeader {
            reason: reason.into(),
            source: None,
        }
    }

    pub(crate) fn malformed_claims(reason: impl Into<String>) -> PassportError {
        PassportError::MalformedClaims {
            reason: reason.into(),
            source: None,
        }
    }
}

/// Errors loading or converting keys (PEM, seeds, JWKs, JWKS documents).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// Not an RFC 8410 PKCS#8 (v1 or v2) PEM Ed25519 private key.
    #[error("not a PKCS#8 PEM Ed25519 private key: {0}")]
    InvalidPem(String),
    /// A PKCS#8 v2 key whose attached public key is not the public key of
    /// its private key (a corrupted or tampered file).
    #[error("the public key attached to the PKCS#8 v2 private key is not its public key")]
    PublicKeyMismatch,
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
    Random(#[source] Cause),
}

impl KeyError {
    /// Stable machine-readable code.
    pub fn code(&self) -> ErrorCode {
        match self {
            KeyError::InvalidPem(_) => ErrorCode::InvalidPem,
            KeyError::PublicKeyMismatch => ErrorCode::PublicKeyMismatch,
            KeyError::InvalidSeed(_) => ErrorCode::InvalidSeed,
            KeyError::InvalidJwk(_) => ErrorCode::InvalidJwk,
            KeyError::DuplicateMember(_) => ErrorCode::DuplicateMember,
            KeyError::WeakKey(_) => ErrorCode::WeakKey,
            KeyError::DuplicateKid(_) => ErrorCode::DuplicateKid,
            KeyError::Random(_) => ErrorCode::RandomFailure,
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
    /// The claims could not be serialized to JSON.
    #[error("cannot serialize the claims: {0}")]
    Encoding(#[source] Cause),
}

impl IssueError {
    /// Stable machine-readable code.
    pub fn code(&self) -> ErrorCode {
        match self {
            IssueError::IssuerMismatch { .. } => ErrorCode::IssuerMismatch,
            IssueError::KidMismatch { .. } => ErrorCode::KidMismatch,
            IssueError::InvalidWindow(_) => ErrorCode::InvalidWindow,
            IssueError::Encoding(_) => ErrorCode::EncodingFailed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn codes_round_trip_and_are_unique() {
        let mut seen = BTreeSet::new();
        for &c in ErrorCode::ALL {
            assert!(seen.insert(c.as_str()), "{c} twice");
            assert_eq!(c.as_str().parse::<ErrorCode>(), Ok(c));
            assert_eq!(c.to_string(), c.as_str());
            assert_eq!(serde_json::to_value(c).unwrap(), c.as_str());
        }
        assert_eq!(
            "Expired".parse::<ErrorCode>(),
            Err(UnknownErrorCode("Expired".into()))
        );
        // The verification codes lead ALL, in check order.
        assert_eq!(
            &ErrorCode::ALL[..PassportError::CODES.len()],
            PassportError::CODES
        );
    }
}

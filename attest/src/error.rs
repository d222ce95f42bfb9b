//! Typed errors with stable codes (see [`AttestError::code`]).

use passport::{KeyError, PassportError, SourceError};
use std::fmt;

/// Which JSON document an error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Layer {
    /// The DSSE envelope (the outer JSON object).
    Envelope,
    /// The in-toto Statement (the decoded payload).
    Statement,
}

impl Layer {
    /// `envelope` or `statement`.
    pub fn as_str(self) -> &'static str {
        match self {
            Layer::Envelope => "envelope",
            Layer::Statement => "statement",
        }
    }
}

impl fmt::Display for Layer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why an attestation could not be made or was rejected.
///
/// Verification variants are listed in the order the verifier checks them
/// (`spec/attestation.md` §5); the first failing check decides the error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AttestError {
    /// The envelope is longer than the size cap; nothing was parsed.
    #[error("envelope is {len} bytes, more than the {max}-byte cap")]
    TooLarge {
        /// Length in bytes.
        len: usize,
        /// The cap in bytes.
        max: usize,
    },
    /// Not JSON, or not a JSON object, at this layer.
    #[error("malformed {layer}: {reason}")]
    MalformedJson {
        /// Envelope or statement.
        layer: Layer,
        /// What the JSON parser said.
        reason: String,
    },
    /// A JSON object repeats a member name (at any depth).
    #[error("duplicate member {name:?} in the {layer}")]
    DuplicateMember {
        /// Envelope or statement.
        layer: Layer,
        /// The repeated name.
        name: String,
    },
    /// A required envelope field is missing or has the wrong type.
    #[error("malformed envelope: {0}")]
    MalformedEnvelope(String),
    /// `payload` or a `sig` is not base64 (standard or URL-safe alphabet).
    #[error("{0} is not valid base64")]
    InvalidBase64(&'static str),
    /// `payloadType` is not `application/vnd.in-toto+json`.
    #[error("payloadType {0:?} is not application/vnd.in-toto+json")]
    WrongPayloadType(String),
    /// `signatures` is empty.
    #[error("the envelope has no signature")]
    NoSignatures,
    /// More signatures than the verifier will try.
    #[error("{count} signatures, more than the {max} this verifier tries")]
    TooManySignatures {
        /// Number of signatures in the envelope.
        count: usize,
        /// The cap.
        max: usize,
    },
    /// The statement does not have the shape of an in-toto Statement v1
    /// carrying our predicate (a field missing or of the wrong type).
    #[error("malformed statement: {0}")]
    MalformedStatement(String),
    /// `_type` is not `https://in-toto.io/Statement/v1`.
    #[error("statement _type {0:?} is not https://in-toto.io/Statement/v1")]
    WrongStatementType(String),
    /// `predicateType` is not ours.
    #[error("predicateType {0:?} is not {pt}", pt = crate::PREDICATE_TYPE)]
    WrongPredicateType(String),
    /// Not exactly one subject, or its `digest.sha256` is not 64 lowercase hex digits.
    #[error("bad subject: {0}")]
    BadSubject(String),
    /// `predicate.identity` is not an AI Identity id.
    #[error("predicate identity is invalid: {0}")]
    InvalidIdentity(String),
    /// `predicate.declared_at` is not an RFC 3339 UTC timestamp.
    #[error(
        "predicate declared_at {0:?} is not an RFC 3339 UTC time (YYYY-MM-DDTHH:MM:SS[.frac]Z)"
    )]
    InvalidDeclaredAt(String),
    /// `predicate.passport` is present and not a string.
    #[error("predicate passport must be a string (a compact JWT)")]
    InvalidPassportField,
    /// No agent keys are known for the identity the predicate names.
    #[error("no agent keys known for identity {0}")]
    UnknownIdentity(String),
    /// The key source could not answer.
    #[error("agent key source unavailable: {0}")]
    KeySourceUnavailable(#[source] SourceError),
    /// No signature names (by `keyid`) a key of the identity.
    #[error("no signature names a key of identity {identity} (keyids: {keyids})")]
    NoMatchingKey {
        /// The identity.
        identity: String,
        /// The keyids found, comma-separated.
        keyids: String,
    },
    /// No signature verifies over PAE(payloadType, payload) under the identity's keys.
    #[error("bad signature: no signature verifies under a key of identity {0}")]
    BadSignature(String),
    /// The subject digest is not the identity of the declaration the verifier holds.
    #[error("subject digest {found} is not the identity {expected} of the declaration")]
    SubjectMismatch {
        /// The doc_hash recomputed from the declaration.
        expected: String,
        /// The subject's `digest.sha256`.
        found: String,
    },
    /// `declared_at` lies in the future by more than the leeway.
    #[error("declared at {declared_at} (unix {at}), in the future (now {now})")]
    DeclaredInFuture {
        /// The timestamp as written.
        declared_at: String,
        /// It in Unix seconds.
        at: i64,
        /// The verifier's clock.
        now: i64,
    },
    /// The envelope carries a passport but the verifier has no issuer policy.
    #[error(
        "the attestation carries a passport but no issuer JWKS and policy were given to check it"
    )]
    PassportNotCheckable,
    /// The passport fails the passport policy.
    #[error("passport invalid: {0}")]
    PassportInvalid(#[source] PassportError),
    /// The passport's `sub` is not the predicate's identity.
    #[error("passport is for {passport}, not for the attesting identity {identity}")]
    PassportSubjectMismatch {
        /// The passport's `sub`.
        passport: String,
        /// The predicate's identity.
        identity: String,
    },
    /// The identity or the agent key is revoked.
    #[error("revoked: {0}")]
    Revoked(String),
    /// The revocation source could not answer; fail closed.
    #[error("revocation status unavailable: {0}")]
    RevocationUnavailable(#[source] SourceError),
    /// The declaration is not a valid SCL:V1 document.
    #[error("declaration is not valid SCL:V1: {0}")]
    InvalidDeclaration(#[source] scl_parse::ParseError),
    /// A key could not be loaded.
    #[error("key: {0}")]
    Key(#[source] KeyError),
    /// Signing input that cannot be attested (e.g. a bad time).
    #[error("cannot sign: {0}")]
    Signing(String),
}

impl AttestError {
    /// The stable machine-readable code of this error (vectors, `--json`).
    pub fn code(&self) -> &'static str {
        match self {
            AttestError::TooLarge { .. } => "too_large",
            AttestError::MalformedJson { .. } => "malformed_json",
            AttestError::DuplicateMember { .. } => "duplicate_member",
            AttestError::MalformedEnvelope(_) => "malformed_envelope",
            AttestError::InvalidBase64(_) => "invalid_base64",
            AttestError::WrongPayloadType(_) => "wrong_payload_type",
            AttestError::NoSignatures => "no_signatures",
            AttestError::TooManySignatures { .. } => "too_many_signatures",
            AttestError::MalformedStatement(_) => "malformed_statement",
            AttestError::WrongStatementType(_) => "wrong_statement_type",
            AttestError::WrongPredicateType(_) => "wrong_predicate_type",
            AttestError::BadSubject(_) => "bad_subject",
            AttestError::InvalidIdentity(_) => "invalid_identity",
            AttestError::InvalidDeclaredAt(_) => "invalid_declared_at",
            AttestError::InvalidPassportField => "invalid_passport_field",
            AttestError::UnknownIdentity(_) => "unknown_identity",
            AttestError::KeySourceUnavailable(_) => "key_source_unavailable",
            AttestError::NoMatchingKey { .. } => "no_matching_key",
            AttestError::BadSignature(_) => "bad_signature",
            AttestError::SubjectMismatch { .. } => "subject_mismatch",
            AttestError::DeclaredInFuture { .. } => "declared_in_future",
            AttestError::PassportNotCheckable => "passport_not_checkable",
            AttestError::PassportInvalid(_) => "passport_invalid",
            AttestError::PassportSubjectMismatch { .. } => "passport_subject_mismatch",
            AttestError::Revoked(_) => "revoked",
            AttestError::RevocationUnavailable(_) => "revocation_unavailable",
            AttestError::InvalidDeclaration(_) => "invalid_declaration",
            AttestError::Key(_) => "key_error",
            AttestError::Signing(_) => "signing_error",
        }
    }

    /// For `passport_invalid`, the passport crate's own code (`expired`, …).
    pub fn passport_code(&self) -> Option<&'static str> {
        match self {
            AttestError::PassportInvalid(e) => Some(e.code().as_str()),
            _ => None,
        }
    }

    /// Every verification code, in check order.
    pub const VERIFY_CODES: &'static [&'static str] = &[
        "too_large",
        "malformed_json",
        "duplicate_member",
        "malformed_envelope",
        "invalid_base64",
        "wrong_payload_type",
        "no_signatures",
        "too_many_signatures",
        "malformed_statement",
        "wrong_statement_type",
        "wrong_predicate_type",
        "bad_subject",
        "invalid_identity",
        "invalid_declared_at",
        "invalid_passport_field",
        "unknown_identity",
        "key_source_unavailable",
        "no_matching_key",
        "bad_signature",
        "subject_mismatch",
        "declared_in_future",
        "passport_not_checkable",
        "passport_invalid",
        "passport_subject_mismatch",
        "revoked",
        "revocation_unavailable",
    ];
}

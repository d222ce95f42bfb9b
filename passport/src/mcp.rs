//! MCP identity: `/.well-known/ai-identity.json` documents and the
//! surface-binding rule against a registry record. No network here: the
//! caller fetches the document from the server and the record from a
//! registry it already trusts.

use crate::error::{Cause, ErrorCode};
use crate::strict::{parse_value, JsonError};
use crate::types::{IdentityId, Surface, Tier};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde_json::{Map, Value};

/// Why an MCP identity document or binding was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum McpError {
    /// The document or record is not valid JSON of the expected shape.
    #[error("malformed {what}: {reason}")]
    Malformed {
        /// `document` or `record`.
        what: &'static str,
        /// What is wrong.
        reason: String,
        /// The lower-level error (JSON syntax, a value rule), when there is one.
        #[source]
        source: Option<Cause>,
    },
    /// `version` is not `"1"`.
    #[error("unsupported version {0:?}")]
    UnsupportedVersion(String),
    /// The document names a registry the client does not trust.
    #[error("registry {0:?} is not trusted")]
    UntrustedRegistry(String),
    /// The registry record is for another identity.
    #[error("registry record is for {record}, document names {document}")]
    IdentityMismatch {
        /// The document's `identity_id`.
        document: IdentityId,
        /// The record's identity.
        record: IdentityId,
    },
    /// The record's status is not `active`.
    #[error("identity status is {0:?}, not active")]
    Inactive(String),
    /// The record does not list `mcp:<host>` as a verified surface.
    #[error("host {0:?} is not a verified surface of the identity")]
    SurfaceNotBound(String),
    /// The record's tier is below the client's minimum.
    #[error("tier {tier} is below the required {required}")]
    TierTooLow {
        /// The record's tier.
        tier: Tier,
        /// The client's minimum.
        required: Tier,
    },
}

impl McpError {
    /// Stable machine-readable code.
    pub fn code(&self) -> ErrorCode {
        match self {
            McpError::Malformed { .. } => ErrorCode::Malformed,
            McpError::UnsupportedVersion(_) => ErrorCode::UnsupportedVersion,
            McpError::UntrustedRegistry(_) => ErrorCode::UntrustedRegistry,
            McpError::IdentityMismatch { .. } => ErrorCode::IdentityMismatch,
            McpError::Inactive(_) => ErrorCode::Inactive,
            McpError::SurfaceNotBound(_) => ErrorCode::SurfaceNotBound,
            McpError::TierTooLow { .. } => ErrorCode::TierTooLow,
        }
    }
}

fn malformed(what: &'static str, reason: impl Into<String>) -> McpError {
    McpError::Malformed {
        what,
        reason: reason.into(),
        source: None,
    }
}

/// `malformed`, keeping `e` as the source.
fn malformed_by(what: &'static str, e: impl std::error::Error + Send + Sync + 'static) -> McpError {
    McpError::Malformed {
        what,
        reason: e.to_string(),
        source: Some(Cause::new(e)),
    }
}

fn object(text: &str, what: &'static str) -> Result<Map<String, Value>, McpError> {
    match parse_value(text.as_bytes()) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(malformed(what, "not a JSON object")),
        Err(JsonError::Duplicate(n)) => Err(malformed(what, format!("duplicate member {n:?}"))),
        Err(JsonError::Syntax(e)) => Err(McpError::Malformed {
            what,
            reason: format!("not JSON: {e}"),
            source: Some(e),
        }),
        Err(JsonError::NotObject) => Err(malformed(what, "not a JSON object")),
    }
}

fn req_str<'a>(
    m: &'a Map<String, Value>,
    name: &str,
    what: &'static str,
) -> Result<&'a str, McpError> {
    match m.get(name) {
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(malformed(what, format!("{name} must be a string"))),
        None => Err(malformed(what, format!("{name} is required"))),
    }
}

/// Checks an RFC 3339 date-time: `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`.
pub fn is_rfc3339(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| {
        b.get(r.clone())
            .is_some_and(|x| x.iter().all(u8::is_ascii_digit))
    };
    let num = |r: std::ops::Range<usize>| -> u32 {
        b.get(r).map_or(99, |x| {
            x.iter()
                .fold(0u32, |a, d| a * 10 + u32::from(d.saturating_sub(b'0')))
        })
    };
    if b.len() < 20
        || !digits(0..4)
        || b[4] != b'-'
        || !digits(5..7)
        || b[7] != b'-'
        || !digits(8..10)
        || !(b[10] == b'T' || b[10] == b't')
        || !digits(11..13)
        || b[13] != b':'
        || !digits(14..16)
        || b[16] != b':'
        || !digits(17..19)
    {
        return false;
    }
    if !(1..=12).contains(&num(5..7))
        || !(1..=31).contains(&num(8..10))
        || num(11..13) > 23
        || num(14..16) > 59
        || num(17..19) > 60
    {
        return false;
    }
    let mut i = 19;
    if b[i] == b'.' {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return false;
        }
    }
    match &b[i..] {
        [b'Z' | b'z'] => true,
        [b'+' | b'-', ..] => {
            b.len() == i + 6
                && digits(i + 1..i + 3)
                && b[i + 3] == b':'
                && digits(i + 4..i + 6)
                && num(i + 1..i + 3) <= 23
                && num(i + 4..i + 6) <= 59
        }
        _ => false,
    }
}

/// A `/.well-known/ai-identity.json` document (version 1).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct WellKnownIdentity {
    /// The identity the server claims.
    pub identity_id: IdentityId,
    /// The registry the server names (trusted only if the client already trusts it).
    pub registry: String,
    /// When the identity was issued (RFC 3339 text, as published).
    pub issued_at: String,
    /// The optional `ed25519:<base64>` signature, decoded (64 bytes). Version 1
    /// of the draft does not say what it signs, so it is format-checked only
    /// and never sufficient on its own.
    pub signature: Option<[u8; 64]>,
}

impl WellKnownIdentity {
    /// Parses and checks a document: `version` `"1"`, `identity_id` an
    /// identity id, `registry` an http(s) URL, `issued_at` RFC 3339,
    /// `signature` absent or `ed25519:` + standard padded base64 of 64 bytes.
    /// Duplicate members are rejected; unknown members are ignored.
    pub fn from_json(text: &str) -> Result<WellKnownIdentity, McpError> {
        const W: &str = "document";
        let m = object(text, W)?;
        let version = req_str(&m, "version", W)?;
        if version != "1" {
            return Err(McpError::UnsupportedVersion(version.to_owned()));
        }
        let identity_id =
            IdentityId::new(req_str(&m, "identity_id", W)?).map_err(|e| malformed_by(W, e))?;
        let registry = req_str(&m, "registry", W)?;
        crate::types::Url::new(registry).map_err(|e| malformed_by(W, e))?;
        let issued_at = req_str(&m, "issued_at", W)?;
        if !is_rfc3339(issued_at) {
            return Err(malformed(W, "issued_at must be an RFC 3339 date-time"));
        }
        let signature = match m.get("signature") {
            None => None,
            Some(Value::String(s)) => {
                let b64 = s
                    .strip_prefix("ed25519:")
                    .ok_or_else(|| malformed(W, "signature must start with ed25519:"))?;
                let bytes = STANDARD
                    .decode(b64)
                    .map_err(|_| malformed(W, "signature is not base64"))?;
                Some(
                    <[u8; 64]>::try_from(bytes.as_slice())
                        .map_err(|_| malformed(W, "an Ed25519 signature is 64 bytes"))?,
                )
            }
            Some(_) => return Err(malformed(W, "signature must be a string")),
        };
        Ok(WellKnownIdentity {
            identity_id,
            registry: registry.to_owned(),
            issued_at: issued_at.to_owned(),
            signature,
        })
    }
}

/// One surface of a registry record.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RecordSurface {
    /// The surface.
    pub surface: Surface,
    /// Whether the registry verified that the identity controls it.
    pub verified: bool,
}

/// The part of a registry record the binding rule needs:
/// `{"identity":"aii_…","tier":"…","status":"active","surfaces":[{"surface":"mcp:host","verified":true}]}`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RegistryRecord {
    /// The identity.
    pub identity: IdentityId,
    /// Its tier.
    pub tier: Tier,
    /// Its status (`active`, `suspended`, `revoked`, …).
    pub status: String,
    /// Its surfaces; a plain string entry counts as unverified.
    pub surfaces: Vec<RecordSurface>,
}

impl RegistryRecord {
    /// Parses a record (duplicate members rejected, unknown ones ignored).
    pub fn from_json(text: &str) -> Result<RegistryRecord, McpError> {
        const R: &str = "record";
        let m = object(text, R)?;
        let identity =
            IdentityId::new(req_str(&m, "identity", R)?).map_err(|e| malformed_by(R, e))?;
        let tier_s = req_str(&m, "tier", R)?;
        let tier = tier_s
            .parse()
            .map_err(|_| malformed(R, format!("unknown tier {tier_s:?}")))?;
        let status = req_str(&m, "status", R)?.to_owned();
        let mut surfaces = Vec::new();
        match m.get("surfaces") {
            None => {}
            Some(Value::Array(a)) => {
                for e in a {
                    let (s, verified) = match e {
                        Value::String(s) => (s.as_str(), false),
                        Value::Object(o) => (
                            req_str(o, "surface", R)?,
                            o.get("verified") == Some(&Value::Bool(true)),
                        ),
                        _ => return Err(malformed(R, "surfaces hold strings or objects")),
                    };
                    let surface = Surface::new(s).map_err(|e| malformed_by(R, e))?;
                    surfaces.push(RecordSurface { surface, verified });
                }
            }
            Some(_) => return Err(malformed(R, "surfaces must be an array")),
        }
        Ok(RegistryRecord {
            identity,
            tier,
            status,
            surfaces,
        })
    }
}

/// What an MCP client accepts. Build it with [`McpPolicy::new`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct McpPolicy {
    /// Registry base URLs the client trusts (exact comparison, one trailing
    /// `/` ignored). A document naming any other registry is rejected: the
    /// client never looks an identity up somewhere just because the server
    /// said so.
    pub trusted_registries: Vec<String>,
    /// The lowest acceptable tier.
    pub min_tier: Tier,
}

impl McpPolicy {
    /// A policy trusting `trusted_registries` and requiring at least `min_tier`.
    pub fn new<I, S>(trusted_registries: I, min_tier: Tier) -> McpPolicy
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        McpPolicy {
            trusted_registries: trusted_registries.into_iter().map(Into::into).collect(),
            min_tier,
        }
    }
}

/// A server whose identity passed the binding rule.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TrustedServer {
    /// The identity.
    pub identity: IdentityId,
    /// Its tier.
    pub tier: Tier,
    /// The host that was bound.
    pub host: String,
}

fn normalize_host(h: &str) -> String {
    h.strip_suffix('.').unwrap_or(h).to_ascii_lowercase()
}

/// The surface-binding rule: trust the server at `host` (the host the client
/// connected to and fetched the document from, with `:port` if not the
/// default) only if the document names a trusted registry, the record is for
/// the document's identity, is `active`, has a tier at least the minimum, and
/// lists `mcp:<host>` as a **verified** surface (host compared
/// ASCII-case-insensitively, one trailing dot ignored).
pub fn check_binding(
    doc: &WellKnownIdentity,
    host: &str,
    record: &RegistryRecord,
    policy: &McpPolicy,
) -> Result<TrustedServer, McpError> {
    let trim = |s: &str| s.strip_suffix('/').unwrap_or(s).to_owned();
    if !policy
        .trusted_registries
        .iter()
        .any(|r| trim(r) == trim(&doc.registry))
    {
        return Err(McpError::UntrustedRegistry(doc.registry.clone()));
    }
    if record.identity != doc.identity_id {
        return Err(McpError::IdentityMismatch {
            document: doc.identity_id.clone(),
            record: record.identity.clone(),
        });
    }
    if record.status != "active" {
        return Err(McpError::Inactive(record.status.clone()));
    }
    let want = normalize_host(host);
    let bound = !want.is_empty()
        && record.surfaces.iter().any(|s| {
            s.verified && s.surface.kind() == "mcp" && normalize_host(s.surface.value()) == want
        });
    if !bound {
        return Err(McpError::SurfaceNotBound(host.to_owned()));
    }
    if record.tier < policy.min_tier {
        return Err(McpError::TierTooLow {
            tier: record.tier,
            required: policy.min_tier,
        });
    }
    Ok(TrustedServer {
        identity: record.identity.clone(),
        tier: record.tier,
        host: want,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339() {
        for ok in [
            "2026-04-12T10:30:00Z",
            "2026-04-12T10:30:00.123Z",
            "2026-04-12T10:30:00+02:00",
        ] {
            assert!(is_rfc3339(ok), "{ok}");
        }
        for bad in [
            "2026-04-12",
            "2026-04-12 10:30:00Z",
            "2026-13-12T10:30:00Z",
            "2026-04-12T10:30:00",
            "2026-04-12T10:30:00.Z",
            "2026-04-12T10:30:00+0200",
            "2026-04-12T10:30:00Zx",
        ] {
            assert!(!is_rfc3339(bad), "{bad}");
        }
    }
}

//! Wire types of the registry HTTP API, shared by the client and the server
//! (`registry-server` serializes exactly these).

use passport::{Capability, IdentityId, Surface, Tier};
use serde::{Deserialize, Serialize};

/// The status of an identity in the registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdentityStatus {
    /// In good standing.
    Active,
    /// Suspended by the registry (not used by `registry-server`, accepted from others).
    Suspended,
    /// Revoked: every passport of the identity is revoked.
    Revoked,
    /// A status this client does not know (treated as not active).
    #[serde(other)]
    Unknown,
}

impl IdentityStatus {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            IdentityStatus::Active => "active",
            IdentityStatus::Suspended => "suspended",
            IdentityStatus::Revoked => "revoked",
            IdentityStatus::Unknown => "unknown",
        }
    }
}

/// `POST /api/v1/verify` request: exactly one of `passport` and `id`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifyRequest {
    /// A compact passport token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passport: Option<String>,
    /// A bare identity id (status lookup, no token).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<IdentityId>,
    /// The audience to check the passport against (default `verifier`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audience: Option<String>,
}

/// `POST /api/v1/verify` answer (HTTP 200 whether valid or not).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifyResponse {
    /// Whether the passport (or identity) is valid right now.
    pub valid: bool,
    /// The identity, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<IdentityId>,
    /// The tier (the passport's for a passport, the record's for an id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tier: Option<Tier>,
    /// The operator (`anon` or a display name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operator: Option<String>,
    /// A 0–100 score derived from tier and status (see `spec/registry.md`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trust_score: Option<u8>,
    /// When the passport was issued (or the identity created), RFC 3339.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issued_at: Option<String>,
    /// When the passport expires, RFC 3339 (passports only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
    /// When the registry answered this request, RFC 3339.
    pub last_verified_at: String,
    /// The identity's status, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<IdentityStatus>,
    /// The identity's whois URL on this registry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registry_url: Option<String>,
    /// When invalid: the stable error code (the passport crate's codes, or
    /// `revoked`, `unknown_identity`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// When invalid: a human-readable reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// One surface of an identity record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SurfaceEntry {
    /// The surface (`kind:value`, e.g. `mcp:tools.example.com`).
    pub surface: Surface,
    /// Whether the registry verified that the identity controls it.
    pub verified: bool,
}

/// An identity record, as served by `GET /api/v1/whois/{id}` and
/// `GET /api/v1/identities/{id}`. Its JSON is also what
/// [`passport::RegistryRecord::from_json`] reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentityRecord {
    /// The identity id.
    pub identity: IdentityId,
    /// Its DID (`did:aiidentity:<suffix>`).
    pub did: String,
    /// Operator: `anon` or a display name.
    pub operator: String,
    /// Current tier.
    pub tier: Tier,
    /// Current status.
    pub status: IdentityStatus,
    /// 0–100 score derived from tier and status.
    pub trust_score: u8,
    /// Surfaces.
    pub surfaces: Vec<SurfaceEntry>,
    /// Capabilities.
    pub capabilities: Vec<Capability>,
    /// Creation time, RFC 3339.
    pub created_at: String,
    /// Last change, RFC 3339.
    pub updated_at: String,
    /// Revocation time, RFC 3339, when revoked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<String>,
    /// Revocation reason, when revoked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revocation_reason: Option<String>,
    /// The record's whois URL on this registry.
    pub registry_url: String,
}

/// `POST /api/v1/issue` request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssueRequest {
    /// The identity to issue a passport for.
    pub identity: IdentityId,
    /// Lifetime in days (1–366, default 365).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl_days: Option<u32>,
    /// The `aud` claim (default `verifier`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audience: Option<String>,
}

/// `POST /api/v1/issue` answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssueResponse {
    /// The compact passport token.
    pub passport: String,
    /// Its subject.
    pub identity: IdentityId,
    /// Its `jti` (passport-level revocation uses it).
    pub jti: String,
    /// The signing key id.
    pub key_id: String,
    /// `iat`, RFC 3339.
    pub issued_at: String,
    /// `exp`, RFC 3339.
    pub expires_at: String,
}

/// `POST /api/v1/revoke` request: exactly one of `identity` and `passport`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevokeRequest {
    /// Revoke an identity (all its passports).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<IdentityId>,
    /// Revoke one passport, by `jti` or SHA-256 hex of the token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passport: Option<String>,
    /// Why (free text, at most 512 bytes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// What a revocation entry is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RevocationKind {
    /// An identity.
    Identity,
    /// One passport (by `jti` or token SHA-256).
    Passport,
    /// A signing key (by `kid`).
    Key,
}

/// `POST /api/v1/revoke` answer, sent only once the revocation is durable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevokeResponse {
    /// What was revoked.
    pub kind: RevocationKind,
    /// Its id.
    pub id: String,
    /// The reason recorded.
    pub reason: String,
    /// When it was (first) revoked, RFC 3339.
    pub revoked_at: String,
    /// `false` when it had already been revoked before this request.
    pub newly_revoked: bool,
}

/// One entry of the revocation list, with details.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevocationEntry {
    /// What is revoked.
    pub kind: RevocationKind,
    /// Its id.
    pub id: String,
    /// Why.
    pub reason: String,
    /// When, RFC 3339.
    pub revoked_at: String,
}

/// `GET /api/v1/revocations`: the passport crate's list shape
/// (`generated_at`, `identities`, `passports`, `keys`) plus `max_age_secs`
/// and detailed `entries`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevocationsDocument {
    /// When the list was produced (seconds since the epoch).
    pub generated_at: i64,
    /// How long a verifier may rely on this list, in seconds.
    pub max_age_secs: u64,
    /// Revoked identities.
    pub identities: Vec<IdentityId>,
    /// Revoked passports (`jti` or SHA-256 hex of the token).
    pub passports: Vec<String>,
    /// Revoked signing keys.
    pub keys: Vec<String>,
    /// Every entry with reason and time, oldest first.
    pub entries: Vec<RevocationEntry>,
}

/// The JSON error body of every non-2xx answer: `{"error":"…","message":"…"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// Stable machine-readable code.
    pub error: String,
    /// Human-readable explanation.
    pub message: String,
}

/// The trust score the registry derives from tier and status (0 when not
/// active). The draft gives one example (84) and no formula; this project's
/// is a fixed table, see `spec/registry.md`.
pub fn trust_score(tier: Tier, status: IdentityStatus) -> u8 {
    if status != IdentityStatus::Active {
        return 0;
    }
    match tier {
        Tier::Issued => 25,
        Tier::IdentityVerified => 55,
        Tier::CreatorVerified => 80,
        Tier::BusinessVerified => 95,
    }
}

/// The DID of an identity: `aii_X` ↔ `did:aiidentity:X`.
pub fn did_of(id: &IdentityId) -> String {
    let s = id.as_str();
    format!("did:aiidentity:{}", s.strip_prefix("aii_").unwrap_or(s))
}

/// The identity of a `did:aiidentity:X` DID, `None` for any other form.
pub fn identity_of_did(did: &str) -> Option<IdentityId> {
    let rest = did.strip_prefix("did:aiidentity:")?;
    IdentityId::new(format!("aii_{rest}")).ok()
}

/// Formats seconds since the Unix epoch as RFC 3339 UTC (`2026-03-12T00:00:00Z`).
pub fn rfc3339(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_dates() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_714_694_400), "2024-05-03T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_773_273_600), "2026-03-12T00:00:00Z");
        assert!(passport::is_rfc3339(&rfc3339(1_777_462_200)));
    }

    #[test]
    fn dids() {
        let id = IdentityId::new("aii_demo").unwrap();
        assert_eq!(did_of(&id), "did:aiidentity:demo");
        assert_eq!(identity_of_did("did:aiidentity:demo"), Some(id));
        assert_eq!(identity_of_did("did:web:demo"), None);
        assert_eq!(identity_of_did("did:aiidentity:de-mo"), None);
    }

    #[test]
    fn record_is_readable_by_the_binding_rule() {
        let rec = IdentityRecord {
            identity: IdentityId::new("aii_demo").unwrap(),
            did: "did:aiidentity:demo".into(),
            operator: "anon".into(),
            tier: Tier::IdentityVerified,
            status: IdentityStatus::Active,
            trust_score: 55,
            surfaces: vec![SurfaceEntry {
                surface: Surface::new("mcp:tools.example.com").unwrap(),
                verified: true,
            }],
            capabilities: vec![],
            created_at: rfc3339(0),
            updated_at: rfc3339(0),
            revoked_at: None,
            revocation_reason: None,
            registry_url: "http://x/api/v1/whois/aii_demo".into(),
        };
        let json = serde_json::to_string(&rec).unwrap();
        let parsed = passport::RegistryRecord::from_json(&json).unwrap();
        assert_eq!(parsed.status, "active");
        assert!(parsed.surfaces[0].verified);
        let back: IdentityRecord = serde_json::from_str(&json).unwrap();
        assert_eq!(back, rec);
    }

    #[test]
    fn unknown_status_is_tolerated() {
        let s: IdentityStatus = serde_json::from_str("\"frozen\"").unwrap();
        assert_eq!(s, IdentityStatus::Unknown);
    }
}

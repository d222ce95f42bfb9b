//! Administration of a store (what `aiid registry admin` runs). Safe while
//! servers run on the same data directory or database: the database
//! serializes the writers, and servers pick revocations up within their poll
//! interval (PostgreSQL: at once, through `NOTIFY`).

use crate::app::{now_secs, SCOPE_ISSUE, SCOPE_REVOKE};
use crate::ids;
use crate::store::{NewIdentity, RevokeOutcome, Store, StoredIdentity, StoredSigningKey};
use crate::ServerError;
use passport::{
    generate_signing_key, signing_key_to_pem, Capability, IdentityId, KeyId, Operator, Surface,
    Tier,
};
use registry_client::{RevocationKind, SurfaceEntry};
use std::time::Duration;

/// Scopes an API key may carry.
pub const KNOWN_SCOPES: [&str; 2] = [SCOPE_ISSUE, SCOPE_REVOKE];

/// Creates an identity with a fresh id. Surfaces added by the registry
/// administrator are recorded as verified.
pub fn create_identity(
    store: &dyn Store,
    operator: &Operator,
    tier: Tier,
    surfaces: &[Surface],
    capabilities: &[Capability],
) -> Result<StoredIdentity, ServerError> {
    let id = ids::new_identity_id()?;
    let new = NewIdentity {
        operator: operator.as_str().to_owned(),
        tier,
        surfaces: surfaces
            .iter()
            .map(|s| SurfaceEntry {
                surface: s.clone(),
                verified: true,
            })
            .collect(),
        capabilities: capabilities.to_vec(),
    };
    Ok(store.create_identity(&id, &new, now_secs())?)
}

/// Creates an API key for `org` with `scopes`; returns the key text (shown
/// once; only its SHA-256 is stored).
pub fn create_api_key(
    store: &dyn Store,
    org: &str,
    scopes: &[String],
) -> Result<String, ServerError> {
    if scopes.is_empty() {
        return Err(ServerError::Config("at least one scope is required".into()));
    }
    if let Some(s) = scopes.iter().find(|s| !KNOWN_SCOPES.contains(&s.as_str())) {
        return Err(ServerError::Config(format!(
            "unknown scope {s:?} (known: {})",
            KNOWN_SCOPES.join(", ")
        )));
    }
    if org.is_empty() || org.len() > 128 || org.chars().any(char::is_control) {
        return Err(ServerError::Config(
            "organisation must be 1 to 128 bytes without control characters".into(),
        ));
    }
    let key = ids::new_api_key()?;
    store.create_api_key(&ids::hash_api_key(&key), org, scopes, now_secs())?;
    Ok(key)
}

/// What `admin revoke` revokes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RevokeTarget {
    /// An identity (given as its `aii_` id or resolved from its DID).
    Identity(IdentityId),
    /// A passport, by `jti` or token SHA-256 hex.
    Passport(String),
}

/// Reads the target of `admin revoke` strictly: exactly an identity id
/// (`aii_…`), a `did:aiidentity:` DID (resolved to its identity), or an
/// explicit passport id. Anything else — other DID methods, surrounding
/// spaces, other strings — is an error and nothing is revoked.
pub fn revoke_target(
    id: Option<&str>,
    passport: Option<&str>,
) -> Result<RevokeTarget, ServerError> {
    let usage = |m: String| Err(ServerError::Config(m));
    match (id, passport) {
        (Some(id), None) => {
            if id.starts_with("did:") {
                return match registry_client::identity_of_did(id) {
                    Some(i) => Ok(RevokeTarget::Identity(i)),
                    None => usage(format!(
                        "{id:?} is not a did:aiidentity DID of this registry (did:aiidentity: followed by 1 to 64 ASCII letters or digits)"
                    )),
                };
            }
            if id.starts_with("aii_") {
                return IdentityId::new(id)
                    .map(RevokeTarget::Identity)
                    .map_err(|e| ServerError::Config(format!("{id:?}: {e}")));
            }
            usage(format!(
                "{id:?} is neither an identity id (aii_…) nor a DID (did:aiidentity:…); to revoke a passport use --passport JTI"
            ))
        }
        (None, Some(p)) => {
            if p.is_empty() || p.len() > 128 || !p.bytes().all(|b| (0x21..=0x7e).contains(&b)) {
                return usage(format!(
                    "{p:?}: a passport id is a jti or a SHA-256 hex: 1 to 128 printable ASCII characters"
                ));
            }
            Ok(RevokeTarget::Passport(p.to_owned()))
        }
        (Some(_), Some(_)) => usage("give an identity id or DID, or --passport, not both".into()),
        (None, None) => usage("give an identity id (aii_…), a DID, or --passport JTI".into()),
    }
}

/// Checks a revocation reason (1 to 512 bytes, no control characters).
pub fn check_reason(reason: &str) -> Result<(), ServerError> {
    if reason.is_empty() || reason.len() > 512 || reason.chars().any(char::is_control) {
        return Err(ServerError::Config(
            "the reason must be 1 to 512 bytes without control characters".into(),
        ));
    }
    Ok(())
}

/// Revokes an identity or a passport. Durable when it returns. A running
/// server enforces it within its poll interval (1 s by default).
pub fn revoke(
    store: &dyn Store,
    target: &RevokeTarget,
    reason: &str,
) -> Result<RevokeOutcome, ServerError> {
    check_reason(reason)?;
    let (kind, subject) = match target {
        RevokeTarget::Identity(id) => (RevocationKind::Identity, id.as_str()),
        RevokeTarget::Passport(p) => (RevocationKind::Passport, p.as_str()),
    };
    Ok(store.revoke(kind, subject, reason, now_secs())?)
}

/// An API key as `admin api-key list` shows it (never the key itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKeyInfo {
    /// Stable public id: `ak_` + the first 16 hex digits of the key's SHA-256.
    pub id: String,
    /// Organisation.
    pub org: String,
    /// Scopes.
    pub scopes: Vec<String>,
    /// Creation time (Unix seconds).
    pub created_at: i64,
    /// Last use (Unix seconds, about one-minute precision), if any.
    pub last_used_at: Option<i64>,
}

/// The public id of an API key, from its stored hash.
pub fn api_key_id(hash: &str) -> String {
    format!("ak_{}", hash.get(..16).unwrap_or(hash))
}

/// Every API key, oldest first.
pub fn list_api_keys(store: &dyn Store) -> Result<Vec<ApiKeyInfo>, ServerError> {
    Ok(store
        .api_keys()?
        .into_iter()
        .map(|k| ApiKeyInfo {
            id: api_key_id(&k.hash),
            org: k.org,
            scopes: k.scopes,
            created_at: k.created_at,
            last_used_at: k.last_used_at,
        })
        .collect())
}

/// Revokes (deletes) an API key given as the key itself (`aii_live_…`) or
/// its id (`ak_…`); returns the id, or `None` when no such key exists. A
/// running server refuses the key from its next request on.
pub fn revoke_api_key(store: &dyn Store, key_or_id: &str) -> Result<Option<String>, ServerError> {
    let hash = if key_or_id.starts_with("aii_live_") {
        Some(ids::hash_api_key(key_or_id))
    } else if key_or_id.starts_with("ak_") {
        store
            .api_keys()?
            .into_iter()
            .find(|k| api_key_id(&k.hash) == key_or_id)
            .map(|k| k.hash)
    } else {
        return Err(ServerError::Config(format!(
            "{key_or_id:?} is neither an API key (aii_live_…) nor an API key id (ak_…)"
        )));
    };
    match hash {
        Some(h) if store.delete_api_key(&h)? => Ok(Some(api_key_id(&h))),
        _ => Ok(None),
    }
}

/// Changes the tier of an identity; `None` when unknown.
pub fn set_tier(
    store: &dyn Store,
    id: &IdentityId,
    tier: Tier,
) -> Result<Option<StoredIdentity>, ServerError> {
    Ok(store.set_tier(id, tier, now_secs())?)
}

/// A fresh Ed25519 issuer key with a new key id, not yet stored.
pub fn generate_key() -> Result<StoredSigningKey, ServerError> {
    let sk = generate_signing_key().map_err(|e| ServerError::Key(e.to_string()))?;
    let pem = signing_key_to_pem(&sk).map_err(|e| ServerError::Key(e.to_string()))?;
    Ok(StoredSigningKey {
        kid: ids::new_key_id()?,
        private_pem: Some(pem),
        public_key: sk.verifying_key().to_bytes(),
        created_at: now_secs(),
        delete_private_at: None,
        last_passport_expiry: None,
    })
}

/// How long a retired key's private part is kept after `key rotate` when
/// no `--retire-after` is given.
pub const DEFAULT_RETIRE_AFTER: Duration = Duration::from_secs(86_400);

/// Generates a new Ed25519 issuer key and makes it current (a running
/// server switches to it within its poll interval). Every older key that
/// still has its private part and no deletion date gets one:
/// `retire_after` from now (default [`DEFAULT_RETIRE_AFTER`]); private
/// parts already due are deleted at once. The public keys stay published
/// while passports they signed are unexpired.
pub fn rotate_key(store: &dyn Store, retire_after: Option<Duration>) -> Result<KeyId, ServerError> {
    let sk = generate_signing_key().map_err(|e| ServerError::Key(e.to_string()))?;
    let pem = signing_key_to_pem(&sk).map_err(|e| ServerError::Key(e.to_string()))?;
    let kid = ids::new_key_id()?;
    let now = now_secs();
    let older = store.signing_keys()?;
    store.add_signing_key(&StoredSigningKey {
        kid: kid.clone(),
        private_pem: Some(pem),
        public_key: sk.verifying_key().to_bytes(),
        created_at: now,
        delete_private_at: None,
        last_passport_expiry: None,
    })?;
    let grace =
        i64::try_from(retire_after.unwrap_or(DEFAULT_RETIRE_AFTER).as_secs()).unwrap_or(i64::MAX);
    for k in older {
        if k.private_pem.is_some() && k.delete_private_at.is_none() {
            store.retire_signing_key(&k.kid, now.saturating_add(grace))?;
        }
    }
    delete_due_private_keys(store)?;
    Ok(kid)
}

/// Deletes the private part of retired keys whose grace period has passed.
pub fn delete_due_private_keys(store: &dyn Store) -> Result<Vec<KeyId>, ServerError> {
    Ok(store.delete_due_private_keys(now_secs())?)
}

/// The state of an issuer key as `admin key list` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyInfo {
    /// Key id.
    pub kid: KeyId,
    /// `current`, `retiring` (private part kept until `delete_private_at`),
    /// `retired` (public only) or `revoked`.
    pub status: &'static str,
    /// Creation time.
    pub created_at: i64,
    /// When the private part is (was) deleted.
    pub delete_private_at: Option<i64>,
    /// Latest expiry of a passport it signed.
    pub last_passport_expiry: Option<i64>,
}

/// Every issuer key, newest first, with its status.
pub fn list_keys(store: &dyn Store) -> Result<Vec<KeyInfo>, ServerError> {
    let revoked: Vec<String> = store
        .revocations()?
        .into_iter()
        .filter(|r| r.kind == RevocationKind::Key)
        .map(|r| r.subject)
        .collect();
    let mut current_seen = false;
    Ok(store
        .signing_keys()?
        .into_iter()
        .map(|k| {
            let status = if revoked.iter().any(|r| r == k.kid.as_str()) {
                "revoked"
            } else if k.private_pem.is_some() && !current_seen {
                current_seen = true;
                "current"
            } else if k.private_pem.is_some() {
                "retiring"
            } else {
                "retired"
            };
            KeyInfo {
                kid: k.kid,
                status,
                created_at: k.created_at,
                delete_private_at: k.delete_private_at,
                last_passport_expiry: k.last_passport_expiry,
            }
        })
        .collect())
}

/// What `admin key revoke` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRevocation {
    /// The revocation entry (new or existing).
    pub outcome: RevokeOutcome,
    /// A key generated because the revoked one was the last usable signer.
    pub new_current: Option<KeyId>,
}

/// Revokes an issuer key in an emergency: it is listed in the revocation
/// list (`keys`), dropped from the JWKS, every passport it signed stops
/// verifying, and its private part is deleted at once. When no usable key
/// is left a new one is generated. `Ok(None)` when the key is unknown.
pub fn revoke_key(
    store: &dyn Store,
    kid: &str,
    reason: &str,
) -> Result<Option<KeyRevocation>, ServerError> {
    check_reason(reason)?;
    let keys = store.signing_keys()?;
    let Some(key) = keys.iter().find(|k| k.kid.as_str() == kid) else {
        return Ok(None);
    };
    let revoked: Vec<String> = store
        .revocations()?
        .into_iter()
        .filter(|r| r.kind == RevocationKind::Key)
        .map(|r| r.subject)
        .collect();
    let usable_left = keys.iter().any(|k| {
        k.kid != key.kid && k.private_pem.is_some() && !revoked.iter().any(|r| r == k.kid.as_str())
    });
    // The replacement exists before the revocation, so a running server
    // never sees a moment without a usable signing key.
    let new_current = if usable_left {
        None
    } else {
        Some(rotate_key(store, None)?)
    };
    let now = now_secs();
    let outcome = store.revoke(RevocationKind::Key, key.kid.as_str(), reason, now)?;
    store.retire_signing_key(&key.kid, now)?;
    store.delete_due_private_keys(now)?;
    Ok(Some(KeyRevocation {
        outcome,
        new_current,
    }))
}

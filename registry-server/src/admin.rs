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

/// Revokes an identity (`aii_…`) or, for any other id, a passport (`jti` or
/// token SHA-256 hex). Durable when it returns.
pub fn revoke(store: &dyn Store, id: &str, reason: &str) -> Result<RevokeOutcome, ServerError> {
    let kind = if id.starts_with("aii_") {
        IdentityId::new(id).map_err(|e| ServerError::Config(e.to_string()))?;
        RevocationKind::Identity
    } else {
        RevocationKind::Passport
    };
    Ok(store.revoke(kind, id, reason, now_secs())?)
}

/// Changes the tier of an identity; `None` when unknown.
pub fn set_tier(
    store: &dyn Store,
    id: &IdentityId,
    tier: Tier,
) -> Result<Option<StoredIdentity>, ServerError> {
    Ok(store.set_tier(id, tier, now_secs())?)
}

/// Generates a new Ed25519 issuer key and makes it current; the previous
/// key stays published in the JWKS. A running server uses the new key
/// after a restart.
pub fn rotate_key(store: &dyn Store) -> Result<KeyId, ServerError> {
    let key = generate_key()?;
    store.add_signing_key(&key)?;
    Ok(key.kid)
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

//! Run attestations at the registry (`spec/attestation.md`, issue 13):
//! agents' public keys in the identity record, `POST /api/v1/attestations`
//! (verify, then store), `GET /api/v1/attestations/{doc_hash}`, and the data
//! behind the MCP tool `attestations`.
//!
//! Agent keys and attestations live in their own SQLite database in the data
//! directory (`attestations.sqlite3`, WAL), next to the identity store: the
//! identity store's trait is untouched, and the two can be merged later.

use crate::app::{
    admit, blocking, json_response, now_secs, read_body, ApiError, Shared, DEFAULT_AUDIENCE,
};
use crate::ratelimit::Class;
use attest::{AgentKeySource, AttestError, Verifier};
use axum::body::Body;
use axum::extract::{ConnectInfo, Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use passport::{IdentityId, Jwk, Jwks, Policy, SourceError};
use registry_client::rfc3339;
use rusqlite::{params, Connection, OptionalExtension};
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Mutex, PoisonError};

/// The database file inside the data directory.
pub const DB_FILE: &str = "attestations.sqlite3";

/// The most attestations listed for one run identity (newest first).
pub const MAX_LISTED: usize = 200;

/// The most agent keys one identity may have.
pub const MAX_AGENT_KEYS: usize = 16;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS agent_keys (
    identity   TEXT NOT NULL,
    kid        TEXT NOT NULL,
    x          TEXT NOT NULL,
    added_at   INTEGER NOT NULL,
    PRIMARY KEY (identity, kid)
);
CREATE TABLE IF NOT EXISTS attestations (
    id          TEXT PRIMARY KEY,          -- SHA-256 hex of the statement payload
    doc_hash    TEXT NOT NULL,
    identity    TEXT NOT NULL,
    agent_kid   TEXT NOT NULL,
    declared_at TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    envelope    TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS attestations_by_run ON attestations (doc_hash, received_at);
";

/// Errors of the attestation store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AttestationStoreError {
    /// The database reported an error.
    #[error("attestation database: {0}")]
    Database(#[from] rusqlite::Error),
    /// A stored value no longer parses.
    #[error("corrupt stored agent key {identity}/{kid}: {reason}")]
    Corrupt {
        /// The identity.
        identity: String,
        /// The key id.
        kid: String,
        /// What is wrong.
        reason: String,
    },
    /// The identity already has a different key under this `kid`, or too many keys.
    #[error("{0}")]
    Conflict(String),
}

/// One stored attestation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAttestation {
    /// SHA-256 (hex) of the statement payload: the attestation's id.
    pub id: String,
    /// The run identity it attests.
    pub doc_hash: String,
    /// The declaring identity.
    pub identity: String,
    /// The agent key that signed.
    pub agent_kid: String,
    /// `declared_at` as written in the predicate.
    pub declared_at: String,
    /// When the registry stored it (Unix seconds).
    pub received_at: i64,
    /// The envelope JSON text as received.
    pub envelope: String,
}

impl StoredAttestation {
    /// The public JSON form (the envelope as a JSON object).
    pub fn to_json(&self) -> Value {
        json!({
            "attestation": self.id,
            "doc_hash": self.doc_hash,
            "identity": self.identity,
            "agent_kid": self.agent_kid,
            "declared_at": self.declared_at,
            "received_at": rfc3339(self.received_at),
            "envelope": serde_json::from_str::<Value>(&self.envelope)
                .unwrap_or(Value::String(self.envelope.clone())),
        })
    }
}

/// Agent keys and attestations (SQLite, WAL, one connection).
#[derive(Debug)]
pub struct AttestationStore {
    conn: Mutex<Connection>,
}

impl AttestationStore {
    /// Opens (creating if needed) `attestations.sqlite3` in `data_dir`.
    pub fn open_in(data_dir: &Path) -> Result<AttestationStore, AttestationStoreError> {
        // Private from birth, like the registry database (spec RG-34).
        crate::sys::with_private_umask(|| AttestationStore::open(&data_dir.join(DB_FILE)))
    }

    /// Opens (creating if needed) the database at `path`.
    pub fn open(path: &Path) -> Result<AttestationStore, AttestationStoreError> {
        let conn = Connection::open(path)?;
        let _mode: String = conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))?;
        conn.execute_batch("PRAGMA synchronous=FULL; PRAGMA busy_timeout=5000;")?;
        conn.execute_batch(SCHEMA)?;
        Ok(AttestationStore {
            conn: Mutex::new(conn),
        })
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds an agent key to an identity. Adding the same key again is a
    /// no-op (`Ok(false)`); another key under an existing `kid` is a conflict.
    pub fn add_agent_key(
        &self,
        identity: &IdentityId,
        jwk: &Jwk,
        now: i64,
    ) -> Result<bool, AttestationStoreError> {
        let x = jwk.to_json()["x"].as_str().unwrap_or_default().to_owned();
        let conn = self.conn();
        let existing: Option<String> = conn
            .query_row(
                "SELECT x FROM agent_keys WHERE identity = ?1 AND kid = ?2",
                params![identity.as_str(), jwk.kid.as_str()],
                |r| r.get(0),
            )
            .optional()?;
        match existing {
            Some(e) if e == x => return Ok(false),
            Some(_) => {
                return Err(AttestationStoreError::Conflict(format!(
                    "identity {identity} already has another key with kid {}",
                    jwk.kid
                )))
            }
            None => {}
        }
        let count: i64 = conn.query_row(
            "SELECT COUNT(*) FROM agent_keys WHERE identity = ?1",
            params![identity.as_str()],
            |r| r.get(0),
        )?;
        if usize::try_from(count).unwrap_or(usize::MAX) >= MAX_AGENT_KEYS {
            return Err(AttestationStoreError::Conflict(format!(
                "identity {identity} already has {MAX_AGENT_KEYS} agent keys"
            )));
        }
        conn.execute(
            "INSERT INTO agent_keys (identity, kid, x, added_at) VALUES (?1, ?2, ?3, ?4)",
            params![identity.as_str(), jwk.kid.as_str(), x, now],
        )?;
        Ok(true)
    }

    /// The agent keys of an identity (in the order they were added).
    pub fn agent_keys(&self, identity: &IdentityId) -> Result<Jwks, AttestationStoreError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare("SELECT kid, x FROM agent_keys WHERE identity = ?1 ORDER BY added_at, kid")?;
        let rows = stmt.query_map(params![identity.as_str()], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })?;
        let mut set = Jwks::new();
        for row in rows {
            let (kid, x) = row?;
            let corrupt = |reason: String| AttestationStoreError::Corrupt {
                identity: identity.to_string(),
                kid: kid.clone(),
                reason,
            };
            let jwk = Jwk::from_json_object(
                json!({"kty": "OKP", "crv": "Ed25519", "kid": kid, "x": x})
                    .as_object()
                    .ok_or_else(|| corrupt("not an object".into()))?,
            )
            .map_err(|e| corrupt(e.to_string()))?;
            set.push(jwk).map_err(|e| corrupt(e.to_string()))?;
        }
        Ok(set)
    }

    /// Stores an attestation; `Ok(false)` when it was already stored.
    pub fn insert(&self, a: &StoredAttestation) -> Result<bool, AttestationStoreError> {
        let n = self.conn().execute(
            "INSERT OR IGNORE INTO attestations
             (id, doc_hash, identity, agent_kid, declared_at, received_at, envelope)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                a.id,
                a.doc_hash,
                a.identity,
                a.agent_kid,
                a.declared_at,
                a.received_at,
                a.envelope
            ],
        )?;
        Ok(n == 1)
    }

    /// The attestations of one run identity, newest first, at most [`MAX_LISTED`].
    pub fn for_run(&self, doc_hash: &str) -> Result<Vec<StoredAttestation>, AttestationStoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT id, doc_hash, identity, agent_kid, declared_at, received_at, envelope
             FROM attestations WHERE doc_hash = ?1 ORDER BY received_at DESC, id LIMIT ?2",
        )?;
        let rows = stmt.query_map(
            params![doc_hash, i64::try_from(MAX_LISTED).unwrap_or(i64::MAX)],
            |r| {
                Ok(StoredAttestation {
                    id: r.get(0)?,
                    doc_hash: r.get(1)?,
                    identity: r.get(2)?,
                    agent_kid: r.get(3)?,
                    declared_at: r.get(4)?,
                    received_at: r.get(5)?,
                    envelope: r.get(6)?,
                })
            },
        )?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

/// The registry as an [`AgentKeySource`]: the agent keys of registered
/// identities (an unregistered identity has none).
struct RegistryKeys {
    state: Shared,
}

impl AgentKeySource for RegistryKeys {
    fn agent_keys(&self, identity: &IdentityId) -> Result<Option<Jwks>, SourceError> {
        if self
            .state
            .store
            .identity(identity)
            .map_err(|e| SourceError::caused_by(e.to_string(), e))?
            .is_none()
        {
            return Ok(None);
        }
        let keys = self
            .state
            .attestations
            .agent_keys(identity)
            .map_err(|e| SourceError::caused_by(e.to_string(), e))?;
        Ok((!keys.keys().is_empty()).then_some(keys))
    }
}

/// Verifies an envelope against the registry: the keys of the identity it
/// names, this registry's passports (issuer keys, default audience) and
/// revocations. The subject is not checked against a declaration (the
/// registry holds none); it is stored under the run identity it names.
pub(crate) fn verify_envelope(
    state: &Shared,
    envelope: &[u8],
) -> Result<attest::VerifiedAttestation, AttestError> {
    Verifier::new(RegistryKeys {
        state: state.clone(),
    })
    .with_issuer(
        Policy::new(state.issuer_url.clone(), DEFAULT_AUDIENCE),
        state.key_state().jwks.clone(),
    )
    .with_revocation(state.revocations.clone())
    .verify_for(None, envelope)
}

/// `POST /api/v1/attestations`: the result of verifying and storing.
/// `Err((code, message))` when the envelope is refused.
pub(crate) async fn submit(
    state: &Shared,
    body: Vec<u8>,
) -> Result<Result<Value, (String, String)>, ApiError> {
    let st = state.clone();
    let outcome = tokio::task::spawn_blocking(move || -> Result<_, AttestationStoreError> {
        let ok = match verify_envelope(&st, &body) {
            Ok(ok) => ok,
            Err(e) => return Ok(Err((e.code().to_owned(), e.to_string()))),
        };
        let rec = StoredAttestation {
            id: ok.payload_sha256.clone(),
            doc_hash: ok.statement.doc_hash.to_string(),
            identity: ok.statement.identity.to_string(),
            agent_kid: ok.agent_kid.to_string(),
            declared_at: ok.statement.declared_at.as_str().to_owned(),
            received_at: now_secs(),
            envelope: String::from_utf8_lossy(&body).into_owned(),
        };
        let stored = st.attestations.insert(&rec)?;
        let mut v = ok.to_json();
        if let Some(o) = v.as_object_mut() {
            o.insert("stored".into(), Value::Bool(stored));
        }
        Ok(Ok(v))
    })
    .await
    .map_err(internal)?;
    outcome.map_err(internal)
}

/// Checks a `{doc_hash}` path segment: 64 hex digits (either case), returned lowercase.
pub(crate) fn parse_doc_hash(s: &str) -> Option<String> {
    (s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())).then(|| s.to_ascii_lowercase())
}

/// The listing for one run identity.
pub(crate) async fn list(state: &Shared, doc_hash: String) -> Result<Value, ApiError> {
    let st = state.clone();
    let h = doc_hash.clone();
    let rows = tokio::task::spawn_blocking(move || st.attestations.for_run(&h))
        .await
        .map_err(internal)?
        .map_err(internal)?;
    Ok(json!({
        "doc_hash": doc_hash,
        "count": rows.len(),
        "attestations": rows.iter().map(StoredAttestation::to_json).collect::<Vec<_>>(),
    }))
}

/// The agent keys of an identity as JWKs (for whois and the DID document).
pub(crate) async fn agent_keys_json(
    state: &Shared,
    id: &IdentityId,
) -> Result<Vec<Value>, ApiError> {
    let st = state.clone();
    let id = id.clone();
    let keys = blocking(state, move |_| Ok(st.attestations.agent_keys(&id)))
        .await?
        .map_err(internal)?;
    Ok(keys.keys().iter().map(Jwk::to_json).collect())
}

/// Adds `agent_keys` to a whois record (JSON).
pub(crate) async fn whois_json(
    state: &Shared,
    rec: &registry_client::IdentityRecord,
) -> Result<Value, ApiError> {
    let mut v = serde_json::to_value(rec).map_err(internal)?;
    let keys = agent_keys_json(state, &rec.identity).await?;
    if let Some(o) = v.as_object_mut() {
        o.insert("agent_keys".into(), Value::Array(keys));
    }
    Ok(v)
}

/// Adds the agent keys to a DID document as verification methods that
/// authenticate the identity and assert for it (`#agent-<kid>`).
pub(crate) async fn did_json(
    state: &Shared,
    did: &str,
    rec: &registry_client::IdentityRecord,
) -> Result<Value, ApiError> {
    let mut doc = crate::app::did_document(state, did, rec);
    let keys = agent_keys_json(state, &rec.identity).await?;
    let ids: Vec<Value> = keys
        .iter()
        .map(|k| {
            Value::String(format!(
                "{did}#agent-{}",
                k["kid"].as_str().unwrap_or_default()
            ))
        })
        .collect();
    if let Some(o) = doc.as_object_mut() {
        if let Some(Value::Array(m)) = o.get_mut("verificationMethod") {
            for (k, id) in keys.iter().zip(&ids) {
                m.push(json!({"id": id, "type": "JsonWebKey2020", "controller": did, "publicKeyJwk": k}));
            }
        }
        if let Some(Value::Array(a)) = o.get_mut("assertionMethod") {
            a.extend(ids.iter().cloned());
        }
        o.insert("authentication".into(), Value::Array(ids));
    }
    Ok(doc)
}

/// Adds an agent key to a registered identity (what `aiid registry admin
/// identity add-key` runs). `Ok(false)` when the key was already there.
pub fn add_key(
    store: &dyn crate::store::Store,
    data_dir: &Path,
    id: &IdentityId,
    jwk: &Jwk,
) -> Result<bool, crate::ServerError> {
    if store.identity(id)?.is_none() {
        return Err(crate::ServerError::Config(format!("no identity {id}")));
    }
    let a = AttestationStore::open_in(data_dir)
        .map_err(|e| crate::ServerError::Config(e.to_string()))?;
    a.add_agent_key(id, jwk, now_secs())
        .map_err(|e| crate::ServerError::Config(e.to_string()))
}

/// A 500 with a generic message; the detail is logged (never sent).
fn internal(e: impl std::fmt::Display) -> ApiError {
    ApiError::internal(e)
}

/// `POST /api/v1/attestations`: 201 when newly stored, 200 when already
/// stored, 422 `{"error":<code of spec/attestation.md §5>,…}` when refused.
pub(crate) async fn post_attestation(
    State(state): State<Shared>,
    ConnectInfo(ip): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    admit(&state, &headers, ip, Class::Verify).await?;
    if !state.attestations_stored {
        return Err(ApiError::new(
            StatusCode::NOT_IMPLEMENTED,
            "not_implemented",
            "this registry runs on PostgreSQL, which does not store attestations yet",
        ));
    }
    let bytes = read_body(&state, &headers, body).await?;
    match submit(&state, bytes).await? {
        Ok(v) => {
            let status = if v.get("stored") == Some(&Value::Bool(true)) {
                StatusCode::CREATED
            } else {
                StatusCode::OK
            };
            Ok(json_response(status, &v))
        }
        Err((code, message)) => Ok(json_response(
            StatusCode::UNPROCESSABLE_ENTITY,
            &json!({"valid": false, "error": code, "message": message}),
        )),
    }
}

/// `GET /api/v1/attestations/{doc_hash}`.
pub(crate) async fn get_attestations(
    State(state): State<Shared>,
    ConnectInfo(ip): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    UrlPath(doc_hash): UrlPath<String>,
) -> Result<Response, ApiError> {
    admit(&state, &headers, ip, Class::Whois).await?;
    let h = parse_doc_hash(&doc_hash).ok_or_else(|| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_doc_hash",
            "a run identity is 64 hex digits (SHA-256)",
        )
    })?;
    Ok(json_response(StatusCode::OK, &list(&state, h).await?))
}

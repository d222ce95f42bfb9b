//! Run attestations at the registry (`spec/attestation.md`, issue 13):
//! agents' public keys in the identity record, `POST /api/v1/attestations`
//! (verify, then store), `GET /api/v1/attestations/{doc_hash}`, and the data
//! behind the MCP tool `attestations`.
//!
//! Agent keys and attestations are kept behind the [`AttestationStore`]
//! trait, by the backend of the registry:
//! - **SQLite** ([`SqliteAttestations`]): their own database in the data
//!   directory (`attestations.sqlite3`, WAL), next to the identity store; one
//!   writer whose lock waits are bounded by the busy timeout (a lock held
//!   longer answers 503 with `Retry-After`, as the identity store does) and
//!   one read connection.
//! - **PostgreSQL** ([`crate::pg::PgStore`]): tables of the shared database
//!   (schema migration 2), so every replica sees the same agent keys and
//!   attestations; they are read from the database on every request (no
//!   cache, hence nothing to invalidate).

use crate::app::{admit, json_response, now_secs, read_body, ApiError, Shared, DEFAULT_AUDIENCE};
use crate::ratelimit::Class;
use crate::store::{lock_within, open_conn, StoreError};
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
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

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
    /// The database reported an error, is busy or cannot be reached (the
    /// same classification as the identity store: busy and unreachable
    /// databases answer 503 with `Retry-After`).
    #[error("attestation store: {0}")]
    Store(#[from] StoreError),
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

impl From<rusqlite::Error> for AttestationStoreError {
    fn from(e: rusqlite::Error) -> Self {
        AttestationStoreError::Store(StoreError::from(e))
    }
}

impl From<tokio_postgres::Error> for AttestationStoreError {
    fn from(e: tokio_postgres::Error) -> Self {
        AttestationStoreError::Store(StoreError::from(e))
    }
}

impl From<AttestationStoreError> for ApiError {
    fn from(e: AttestationStoreError) -> Self {
        match e {
            AttestationStoreError::Store(s) => ApiError::from(s),
            other => ApiError::internal(other),
        }
    }
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

/// Where agent keys and attestations are kept (see the module
/// documentation). Every write returns once it is durable.
pub trait AttestationStore: Send + Sync {
    /// Adds an agent key to an identity. Adding the same key again is a
    /// no-op (`Ok(false)`); another key under an existing `kid`, or a key
    /// beyond [`MAX_AGENT_KEYS`], is a [`AttestationStoreError::Conflict`].
    fn add_agent_key(
        &self,
        identity: &IdentityId,
        jwk: &Jwk,
        now: i64,
    ) -> Result<bool, AttestationStoreError>;
    /// The agent keys of an identity (in the order they were added).
    fn agent_keys(&self, identity: &IdentityId) -> Result<Jwks, AttestationStoreError>;
    /// Stores an attestation; `Ok(false)` when it was already stored.
    fn insert(&self, a: &StoredAttestation) -> Result<bool, AttestationStoreError>;
    /// The attestations of one run identity, newest first, at most [`MAX_LISTED`].
    fn for_run(&self, doc_hash: &str) -> Result<Vec<StoredAttestation>, AttestationStoreError>;
}

/// The public key (`x`, base64url) of an agent JWK, as stored.
pub(crate) fn jwk_x(jwk: &Jwk) -> String {
    jwk.to_json()["x"].as_str().unwrap_or_default().to_owned()
}

/// What adding an agent key does, given the key stored under its `kid`
/// (if any) and how many keys the identity has: `Ok(true)` insert it,
/// `Ok(false)` already there, `Err` refused. Shared by both backends.
pub(crate) fn decide_add(
    identity: &IdentityId,
    jwk: &Jwk,
    existing_x: Option<&str>,
    count: i64,
) -> Result<bool, AttestationStoreError> {
    match existing_x {
        Some(e) if e == jwk_x(jwk) => Ok(false),
        Some(_) => Err(AttestationStoreError::Conflict(format!(
            "identity {identity} already has another key with kid {}",
            jwk.kid
        ))),
        None if usize::try_from(count).unwrap_or(usize::MAX) >= MAX_AGENT_KEYS => {
            Err(AttestationStoreError::Conflict(format!(
                "identity {identity} already has {MAX_AGENT_KEYS} agent keys"
            )))
        }
        None => Ok(true),
    }
}

/// Stored `(kid, x)` rows as a JWK set. Shared by both backends.
pub(crate) fn jwks_of_rows(
    identity: &IdentityId,
    rows: Vec<(String, String)>,
) -> Result<Jwks, AttestationStoreError> {
    let mut set = Jwks::new();
    for (kid, x) in rows {
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

/// Agent keys and attestations next to an SQLite data directory (WAL,
/// `synchronous=FULL`): one writer connection, whose lock waits (behind this
/// process's writes or another process's lock) are bounded by the busy
/// timeout and then reported as [`StoreError::Busy`], and one read
/// connection, so lookups do not queue behind a waiting write.
#[derive(Debug)]
pub struct SqliteAttestations {
    writer: Mutex<Connection>,
    reader: Mutex<Connection>,
    busy_timeout: Duration,
}

impl SqliteAttestations {
    /// Opens (creating if needed) `attestations.sqlite3` in `data_dir`.
    pub fn open_in(
        data_dir: &Path,
        busy_timeout: Duration,
    ) -> Result<SqliteAttestations, AttestationStoreError> {
        // Private from birth, like the registry database (spec RG-34).
        crate::sys::with_private_umask(|| {
            SqliteAttestations::open(&data_dir.join(DB_FILE), busy_timeout)
        })
    }

    /// Opens (creating if needed) the database at `path`; a lock held by
    /// another process longer than `busy_timeout` is [`StoreError::Busy`].
    pub fn open(
        path: &Path,
        busy_timeout: Duration,
    ) -> Result<SqliteAttestations, AttestationStoreError> {
        let writer = open_conn(path, busy_timeout)?;
        writer.execute_batch(SCHEMA)?;
        let reader = open_conn(path, busy_timeout)?;
        reader.execute_batch("PRAGMA query_only=1;")?;
        Ok(SqliteAttestations {
            writer: Mutex::new(writer),
            reader: Mutex::new(reader),
            busy_timeout,
        })
    }

    fn writer(&self) -> Result<std::sync::MutexGuard<'_, Connection>, AttestationStoreError> {
        Ok(lock_within(&self.writer, self.busy_timeout)?)
    }

    fn reader(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.reader.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl AttestationStore for SqliteAttestations {
    fn add_agent_key(
        &self,
        identity: &IdentityId,
        jwk: &Jwk,
        now: i64,
    ) -> Result<bool, AttestationStoreError> {
        let mut conn = self.writer()?;
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let existing: Option<String> = tx
            .query_row(
                "SELECT x FROM agent_keys WHERE identity = ?1 AND kid = ?2",
                params![identity.as_str(), jwk.kid.as_str()],
                |r| r.get(0),
            )
            .optional()?;
        let count: i64 = tx.query_row(
            "SELECT COUNT(*) FROM agent_keys WHERE identity = ?1",
            params![identity.as_str()],
            |r| r.get(0),
        )?;
        if !decide_add(identity, jwk, existing.as_deref(), count)? {
            return Ok(false);
        }
        tx.execute(
            "INSERT INTO agent_keys (identity, kid, x, added_at) VALUES (?1, ?2, ?3, ?4)",
            params![identity.as_str(), jwk.kid.as_str(), jwk_x(jwk), now],
        )?;
        tx.commit()?;
        Ok(true)
    }

    fn agent_keys(&self, identity: &IdentityId) -> Result<Jwks, AttestationStoreError> {
        let rows: Vec<(String, String)> = {
            let conn = self.reader();
            let mut stmt = conn.prepare_cached(
                "SELECT kid, x FROM agent_keys WHERE identity = ?1 ORDER BY added_at, kid",
            )?;
            let rows = stmt.query_map(params![identity.as_str()], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
            })?;
            rows.collect::<Result<_, _>>()?
        };
        jwks_of_rows(identity, rows)
    }

    fn insert(&self, a: &StoredAttestation) -> Result<bool, AttestationStoreError> {
        let n = self.writer()?.execute(
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

    fn for_run(&self, doc_hash: &str) -> Result<Vec<StoredAttestation>, AttestationStoreError> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(
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

/// Runs blocking attestation-store work off the async workers; busy and
/// unreachable databases answer 503 (see [`ApiError`]'s `From<StoreError>`).
async fn att_blocking<T, F>(state: &Shared, f: F) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce(&dyn AttestationStore) -> Result<T, AttestationStoreError> + Send + 'static,
{
    let st = state.clone();
    tokio::task::spawn_blocking(move || f(st.attestations.as_ref()))
        .await
        .map_err(|e| ApiError::internal(format!("storage task failed: {e}")))?
        .map_err(ApiError::from)
}

/// The registry as an [`AgentKeySource`]: the agent keys of registered
/// identities (an unregistered identity has none). A busy or unreachable
/// database is noted in `transient`, so that the POST answers 503 (retry)
/// rather than a verdict on the envelope.
struct RegistryKeys {
    state: Shared,
    transient: Arc<AtomicBool>,
}

impl RegistryKeys {
    /// Notes a lookup failure; the detail goes to the server log only, the
    /// client sees a generic reason.
    fn note(
        &self,
        e: impl std::error::Error + Send + Sync + 'static,
        transient: bool,
    ) -> SourceError {
        if transient {
            self.transient.store(true, Ordering::Relaxed);
        }
        eprintln!("aiid registry: looking up agent keys: {e}");
        SourceError::caused_by(
            "the registry could not read its key store (details are in the server log)",
            e,
        )
    }
}

impl AgentKeySource for RegistryKeys {
    fn agent_keys(&self, identity: &IdentityId) -> Result<Option<Jwks>, SourceError> {
        if self
            .state
            .store
            .identity(identity)
            .map_err(|e| {
                let transient = e.is_transient();
                self.note(e, transient)
            })?
            .is_none()
        {
            return Ok(None);
        }
        let keys = self.state.attestations.agent_keys(identity).map_err(|e| {
            let transient = matches!(&e, AttestationStoreError::Store(s) if s.is_transient());
            self.note(e, transient)
        })?;
        Ok((!keys.keys().is_empty()).then_some(keys))
    }
}

/// Verifies an envelope against the registry: the keys of the identity it
/// names, this registry's passports (issuer keys, default audience) and
/// revocations. The subject is not checked against a declaration (the
/// registry holds none); it is stored under the run identity it names.
/// `Err` (503) when the keys could not be looked up because the database is
/// busy or unreachable.
pub(crate) fn verify_envelope(
    state: &Shared,
    envelope: &[u8],
) -> Result<Result<attest::VerifiedAttestation, AttestError>, ApiError> {
    let transient = Arc::new(AtomicBool::new(false));
    let verdict = Verifier::new(RegistryKeys {
        state: state.clone(),
        transient: transient.clone(),
    })
    .with_issuer(
        Policy::new(state.issuer_url.clone(), DEFAULT_AUDIENCE),
        state.key_state().jwks.clone(),
    )
    .with_revocation(state.revocations.clone())
    .verify_for(None, envelope);
    if verdict.is_err() && transient.load(Ordering::Relaxed) {
        eprintln!("aiid registry: database busy or unreachable while verifying an attestation; answered 503");
        return Err(ApiError::busy());
    }
    Ok(verdict)
}

/// `POST /api/v1/attestations`: the result of verifying and storing.
/// `Err((code, message))` when the envelope is refused.
pub(crate) async fn submit(
    state: &Shared,
    body: Vec<u8>,
) -> Result<Result<Value, (String, String)>, ApiError> {
    let st = state.clone();
    let outcome = tokio::task::spawn_blocking(move || -> Result<_, ApiError> {
        let ok = match verify_envelope(&st, &body)? {
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
    // A busy or unreachable database is 503 with Retry-After, as for the
    // identity store; anything else a generic 500.
    outcome
}

/// Checks a `{doc_hash}` path segment: 64 hex digits (either case), returned lowercase.
pub(crate) fn parse_doc_hash(s: &str) -> Option<String> {
    (s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())).then(|| s.to_ascii_lowercase())
}

/// The listing for one run identity.
pub(crate) async fn list(state: &Shared, doc_hash: String) -> Result<Value, ApiError> {
    let h = doc_hash.clone();
    let rows = att_blocking(state, move |a| a.for_run(&h)).await?;
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
    let id = id.clone();
    let keys = att_blocking(state, move |a| a.agent_keys(&id)).await?;
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
/// identity add-key` runs), in the attestation store of the registry (see
/// [`crate::open_attestations`]). `Ok(false)` when the key was already there.
pub fn add_key(
    store: &dyn crate::store::Store,
    attestations: &dyn AttestationStore,
    id: &IdentityId,
    jwk: &Jwk,
) -> Result<bool, crate::ServerError> {
    if store.identity(id)?.is_none() {
        return Err(crate::ServerError::Config(format!("no identity {id}")));
    }
    Ok(attestations.add_agent_key(id, jwk, now_secs())?)
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    fn record() -> StoredAttestation {
        StoredAttestation {
            id: "a".repeat(64),
            doc_hash: "b".repeat(64),
            identity: "aii_X".into(),
            agent_kid: "agent-1".into(),
            declared_at: "2026-12-01T00:00:00Z".into(),
            received_at: 1,
            envelope: "{}".into(),
        }
    }

    /// A write lock held by another process: the write gives up after the
    /// busy timeout as `StoreError::Busy` (503 with Retry-After, not 500);
    /// reads go on; the write succeeds once the lock is gone.
    #[test]
    fn a_locked_database_is_busy_not_an_internal_error() {
        let d = tempfile::tempdir().unwrap();
        let s = SqliteAttestations::open_in(d.path(), Duration::from_millis(150)).unwrap();
        let lock = Connection::open(d.path().join(DB_FILE)).unwrap();
        lock.execute_batch("BEGIN IMMEDIATE").unwrap();
        let t = Instant::now();
        let e = s.insert(&record()).unwrap_err();
        assert!(
            matches!(e, AttestationStoreError::Store(StoreError::Busy)),
            "{e}"
        );
        assert!(t.elapsed() < Duration::from_secs(2), "{:?}", t.elapsed());
        let who = IdentityId::new("aii_X").unwrap();
        let sk = passport::SigningKey::from_bytes(&[7; 32]);
        let jwk = Jwk::new(passport::KeyId::new("k").unwrap(), sk.verifying_key());
        assert!(matches!(
            s.add_agent_key(&who, &jwk, 1),
            Err(AttestationStoreError::Store(StoreError::Busy))
        ));
        let api = ApiError::from(e);
        assert_eq!(
            (api.status, api.code, api.retry_after),
            (StatusCode::SERVICE_UNAVAILABLE, "unavailable", Some(1))
        );
        assert!(s.for_run(&"b".repeat(64)).unwrap().is_empty());
        assert!(s.agent_keys(&who).unwrap().keys().is_empty());
        lock.execute_batch("COMMIT").unwrap();
        assert!(s.insert(&record()).unwrap());
        // Other failures stay a generic 500.
        let conflict = ApiError::from(AttestationStoreError::Conflict("x".into()));
        assert_eq!(conflict.status, StatusCode::INTERNAL_SERVER_ERROR);
    }

    /// Waiting behind this process's own long write is bounded too.
    #[test]
    fn a_long_write_in_this_process_is_busy_for_the_others() {
        let d = tempfile::tempdir().unwrap();
        let s = SqliteAttestations::open_in(d.path(), Duration::from_millis(100)).unwrap();
        let held = s.writer().unwrap();
        let t = Instant::now();
        assert!(matches!(
            s.insert(&record()),
            Err(AttestationStoreError::Store(StoreError::Busy))
        ));
        assert!(t.elapsed() < Duration::from_secs(1));
        drop(held);
        assert!(s.insert(&record()).unwrap());
    }
}

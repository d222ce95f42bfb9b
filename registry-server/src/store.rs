//! Storage behind the [`Store`] trait, and its SQLite implementation (the
//! PostgreSQL one, for stateless replicas, is [`crate::pg::PgStore`]).
//!
//! Handlers only ever see `dyn Store`.

use passport::{Capability, IdentityId, KeyId, Tier};
use registry_client::{RevocationKind, SurfaceEntry};
use rusqlite::{params, Connection, OptionalExtension};
use std::path::Path;
use std::sync::{Mutex, MutexGuard, PoisonError};

/// Storage failures.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The database reported an error.
    #[error("database error: {0}")]
    Database(#[from] rusqlite::Error),
    /// A stored value no longer parses (the database was edited by hand or
    /// written by an incompatible version).
    #[error("corrupt stored value in {table}.{column}: {reason}")]
    Corrupt {
        /// Table.
        table: &'static str,
        /// Column.
        column: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The row to create already exists.
    #[error("{0} already exists")]
    Conflict(String),
    /// A filesystem operation on the data directory failed.
    #[error("data directory: {0}")]
    Io(String),
    /// PostgreSQL reported an error (the message includes its cause).
    #[error("PostgreSQL: {message}")]
    Postgres {
        /// The driver's error and its causes, in one line.
        message: String,
        /// The driver's error.
        #[source]
        source: tokio_postgres::Error,
    },
    /// No PostgreSQL connection could be had (server unreachable, pool
    /// exhausted for longer than its wait timeout, store shutting down).
    #[error("PostgreSQL connection pool: {0}")]
    Pool(String),
    /// The `--database` URL is not a usable `postgres://` URL.
    #[error("database URL: {0}")]
    InvalidDatabaseUrl(String),
    /// The database was migrated by a newer version of this software.
    #[error(
        "database schema version {found} is newer than this program knows ({known}); upgrade aiid"
    )]
    SchemaTooNew {
        /// Version found in the database.
        found: i32,
        /// Newest version this program knows.
        known: i32,
    },
}

impl From<tokio_postgres::Error> for StoreError {
    fn from(source: tokio_postgres::Error) -> Self {
        let mut message = source.to_string();
        let mut cause = std::error::Error::source(&source);
        while let Some(c) = cause {
            message.push_str(": ");
            message.push_str(&c.to_string());
            cause = c.source();
        }
        StoreError::Postgres { message, source }
    }
}

/// A new identity, as the admin creates it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewIdentity {
    /// Operator (`anon` or a display name, already validated).
    pub operator: String,
    /// Tier.
    pub tier: Tier,
    /// Surfaces.
    pub surfaces: Vec<SurfaceEntry>,
    /// Capabilities.
    pub capabilities: Vec<Capability>,
}

/// An identity as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredIdentity {
    /// Id.
    pub id: IdentityId,
    /// Operator.
    pub operator: String,
    /// Tier.
    pub tier: Tier,
    /// Surfaces.
    pub surfaces: Vec<SurfaceEntry>,
    /// Capabilities.
    pub capabilities: Vec<Capability>,
    /// Creation time (Unix seconds).
    pub created_at: i64,
    /// Last change (Unix seconds).
    pub updated_at: i64,
    /// Revocation time and reason, when revoked.
    pub revoked: Option<(i64, String)>,
}

/// One revocation as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRevocation {
    /// Monotonic sequence number.
    pub seq: i64,
    /// What is revoked.
    pub kind: RevocationKind,
    /// Identity id, passport id (`jti` or token SHA-256 hex) or key id.
    pub subject: String,
    /// Why.
    pub reason: String,
    /// When (Unix seconds).
    pub revoked_at: i64,
}

/// What a revoke call did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RevokeOutcome {
    /// Newly revoked; durable when this is returned.
    Revoked(StoredRevocation),
    /// Was already revoked (the original entry).
    AlreadyRevoked(StoredRevocation),
    /// No such identity (identity revocations only).
    UnknownIdentity,
}

/// An API key record (the key itself is never stored, only its SHA-256).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKeyRecord {
    /// The organisation the key belongs to (rate limits are per organisation).
    pub org: String,
    /// Granted scopes (`passport:issue`, `identity:revoke`, …).
    pub scopes: Vec<String>,
    /// Creation time.
    pub created_at: i64,
}

/// An issuer signing key.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredSigningKey {
    /// Key id.
    pub kid: KeyId,
    /// PKCS#8 PEM of the Ed25519 private key.
    pub private_pem: String,
    /// Creation time.
    pub created_at: i64,
}

impl std::fmt::Debug for StoredSigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredSigningKey")
            .field("kid", &self.kid)
            .field("created_at", &self.created_at)
            .finish_non_exhaustive()
    }
}

/// The registry's storage. Every write method returns only once the write is
/// durable (committed and synced).
pub trait Store: Send + Sync {
    /// Creates an identity.
    fn create_identity(
        &self,
        id: &IdentityId,
        new: &NewIdentity,
        now: i64,
    ) -> Result<StoredIdentity, StoreError>;
    /// Looks an identity up.
    fn identity(&self, id: &IdentityId) -> Result<Option<StoredIdentity>, StoreError>;
    /// Changes an identity's tier; `None` when unknown.
    fn set_tier(
        &self,
        id: &IdentityId,
        tier: Tier,
        now: i64,
    ) -> Result<Option<StoredIdentity>, StoreError>;
    /// Revokes an identity (marking its record in the same transaction), a
    /// passport or a key.
    fn revoke(
        &self,
        kind: RevocationKind,
        subject: &str,
        reason: &str,
        now: i64,
    ) -> Result<RevokeOutcome, StoreError>;
    /// Every revocation, oldest first.
    fn revocations(&self) -> Result<Vec<StoredRevocation>, StoreError>;
    /// The highest revocation sequence number (0 when none): replicas poll
    /// it to notice revocations made elsewhere.
    fn revocation_seq(&self) -> Result<i64, StoreError>;
    /// Stores an API key by its hash.
    fn create_api_key(
        &self,
        hash: &str,
        org: &str,
        scopes: &[String],
        now: i64,
    ) -> Result<(), StoreError>;
    /// Looks an API key up by its hash.
    fn api_key(&self, hash: &str) -> Result<Option<ApiKeyRecord>, StoreError>;
    /// Issuer signing keys, newest first.
    fn signing_keys(&self) -> Result<Vec<StoredSigningKey>, StoreError>;
    /// Adds an issuer signing key (it becomes the current one).
    fn add_signing_key(&self, key: &StoredSigningKey) -> Result<(), StoreError>;
    /// Records an issued passport (audit trail).
    fn record_passport(
        &self,
        jti: &str,
        identity: &IdentityId,
        key_id: &KeyId,
        iat: i64,
        exp: i64,
    ) -> Result<(), StoreError>;
    /// A counter that moves whenever any process sharing this store
    /// changed something a server caches (revocations, API keys, signing
    /// keys): PostgreSQL `LISTEN/NOTIFY`. `None` for backends without
    /// notifications; servers then rely on polling alone.
    fn change_notifications(&self) -> Option<tokio::sync::watch::Receiver<u64>> {
        None
    }
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS identities (
    id TEXT PRIMARY KEY,
    operator TEXT NOT NULL,
    tier TEXT NOT NULL,
    surfaces TEXT NOT NULL,
    capabilities TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    revoked_at INTEGER,
    revocation_reason TEXT
);
CREATE TABLE IF NOT EXISTS revocations (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    reason TEXT NOT NULL,
    revoked_at INTEGER NOT NULL,
    UNIQUE (kind, subject)
);
CREATE TABLE IF NOT EXISTS api_keys (
    hash TEXT PRIMARY KEY,
    org TEXT NOT NULL,
    scopes TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS signing_keys (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    kid TEXT NOT NULL UNIQUE,
    private_pem TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS passports (
    jti TEXT PRIMARY KEY,
    identity TEXT NOT NULL,
    key_id TEXT NOT NULL,
    iat INTEGER NOT NULL,
    exp INTEGER NOT NULL
);
";

/// SQLite storage: one file, WAL journal, `synchronous=FULL` (a commit is
/// on disk before the call returns), `busy_timeout` 5 s so the admin CLI and
/// a running server can share the file.
#[derive(Debug)]
pub struct SqliteStore {
    conn: Mutex<Connection>,
}

pub(crate) fn kind_str(k: RevocationKind) -> &'static str {
    match k {
        RevocationKind::Identity => "identity",
        RevocationKind::Passport => "passport",
        RevocationKind::Key => "key",
    }
}

pub(crate) fn kind_of(s: &str) -> Result<RevocationKind, StoreError> {
    match s {
        "identity" => Ok(RevocationKind::Identity),
        "passport" => Ok(RevocationKind::Passport),
        "key" => Ok(RevocationKind::Key),
        other => Err(corrupt("revocations", "kind", format!("{other:?}"))),
    }
}

pub(crate) fn corrupt(table: &'static str, column: &'static str, reason: String) -> StoreError {
    StoreError::Corrupt {
        table,
        column,
        reason,
    }
}

pub(crate) type IdentityRow = (
    String,
    String,
    String,
    String,
    String,
    i64,
    i64,
    Option<i64>,
    Option<String>,
);

pub(crate) fn identity_from_row(r: IdentityRow) -> Result<StoredIdentity, StoreError> {
    let (id, operator, tier, surfaces, caps, created_at, updated_at, rev_at, rev_reason) = r;
    let c = |col, e: String| corrupt("identities", col, e);
    Ok(StoredIdentity {
        id: IdentityId::new(id).map_err(|e| c("id", e.to_string()))?,
        operator,
        tier: tier
            .parse()
            .map_err(|e: passport::InvalidValue| c("tier", e.to_string()))?,
        surfaces: serde_json::from_str(&surfaces).map_err(|e| c("surfaces", e.to_string()))?,
        capabilities: serde_json::from_str(&caps).map_err(|e| c("capabilities", e.to_string()))?,
        created_at,
        updated_at,
        revoked: rev_at.map(|t| (t, rev_reason.unwrap_or_default())),
    })
}

pub(crate) const IDENTITY_COLUMNS: &str = "id, operator, tier, surfaces, capabilities, created_at, updated_at, revoked_at, revocation_reason";

fn read_identity(conn: &Connection, id: &str) -> Result<Option<StoredIdentity>, StoreError> {
    let row: Option<IdentityRow> = conn
        .query_row(
            &format!("SELECT {IDENTITY_COLUMNS} FROM identities WHERE id = ?1"),
            params![id],
            |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                    r.get(7)?,
                    r.get(8)?,
                ))
            },
        )
        .optional()?;
    row.map(identity_from_row).transpose()
}

fn read_revocation(
    conn: &Connection,
    kind: RevocationKind,
    subject: &str,
) -> Result<Option<StoredRevocation>, StoreError> {
    let row: Option<(i64, String, i64)> = conn
        .query_row(
            "SELECT seq, reason, revoked_at FROM revocations WHERE kind = ?1 AND subject = ?2",
            params![kind_str(kind), subject],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    Ok(row.map(|(seq, reason, revoked_at)| StoredRevocation {
        seq,
        kind,
        subject: subject.to_owned(),
        reason,
        revoked_at,
    }))
}

impl SqliteStore {
    /// Opens (creating if needed) the database file and its schema.
    pub fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        let conn = Connection::open(path)?;
        let mode: String = conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::Io(format!(
                "cannot enable WAL journal mode (got {mode})"
            )));
        }
        conn.execute_batch(
            "PRAGMA synchronous=FULL; PRAGMA busy_timeout=5000; PRAGMA foreign_keys=ON;",
        )?;
        conn.execute_batch(SCHEMA)?;
        Ok(SqliteStore {
            conn: Mutex::new(conn),
        })
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

pub(crate) fn json_text<T: serde::Serialize>(v: &T) -> Result<String, StoreError> {
    serde_json::to_string(v).map_err(|e| StoreError::Io(e.to_string()))
}

impl Store for SqliteStore {
    fn create_identity(
        &self,
        id: &IdentityId,
        new: &NewIdentity,
        now: i64,
    ) -> Result<StoredIdentity, StoreError> {
        let conn = self.conn();
        let n = conn.execute(
            "INSERT OR IGNORE INTO identities (id, operator, tier, surfaces, capabilities, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
            params![
                id.as_str(),
                new.operator,
                new.tier.as_str(),
                json_text(&new.surfaces)?,
                json_text(&new.capabilities)?,
                now
            ],
        )?;
        if n == 0 {
            return Err(StoreError::Conflict(format!("identity {id}")));
        }
        read_identity(&conn, id.as_str())?
            .ok_or_else(|| StoreError::Io(format!("identity {id} vanished after insert")))
    }

    fn identity(&self, id: &IdentityId) -> Result<Option<StoredIdentity>, StoreError> {
        read_identity(&self.conn(), id.as_str())
    }

    fn set_tier(
        &self,
        id: &IdentityId,
        tier: Tier,
        now: i64,
    ) -> Result<Option<StoredIdentity>, StoreError> {
        let conn = self.conn();
        conn.execute(
            "UPDATE identities SET tier = ?2, updated_at = ?3 WHERE id = ?1",
            params![id.as_str(), tier.as_str(), now],
        )?;
        read_identity(&conn, id.as_str())
    }

    fn revoke(
        &self,
        kind: RevocationKind,
        subject: &str,
        reason: &str,
        now: i64,
    ) -> Result<RevokeOutcome, StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        if let Some(existing) = read_revocation(&tx, kind, subject)? {
            return Ok(RevokeOutcome::AlreadyRevoked(existing));
        }
        if kind == RevocationKind::Identity {
            let n = tx.execute(
                "UPDATE identities SET revoked_at = ?2, revocation_reason = ?3, updated_at = ?2 WHERE id = ?1",
                params![subject, now, reason],
            )?;
            if n == 0 {
                return Ok(RevokeOutcome::UnknownIdentity);
            }
        }
        tx.execute(
            "INSERT INTO revocations (kind, subject, reason, revoked_at) VALUES (?1, ?2, ?3, ?4)",
            params![kind_str(kind), subject, reason, now],
        )?;
        let seq = tx.last_insert_rowid();
        tx.commit()?;
        Ok(RevokeOutcome::Revoked(StoredRevocation {
            seq,
            kind,
            subject: subject.to_owned(),
            reason: reason.to_owned(),
            revoked_at: now,
        }))
    }

    fn revocations(&self) -> Result<Vec<StoredRevocation>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT seq, kind, subject, reason, revoked_at FROM revocations ORDER BY seq",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, i64>(4)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (seq, kind, subject, reason, revoked_at) = row?;
            out.push(StoredRevocation {
                seq,
                kind: kind_of(&kind)?,
                subject,
                reason,
                revoked_at,
            });
        }
        Ok(out)
    }

    fn revocation_seq(&self) -> Result<i64, StoreError> {
        Ok(self
            .conn()
            .query_row("SELECT COALESCE(MAX(seq), 0) FROM revocations", [], |r| {
                r.get(0)
            })?)
    }

    fn create_api_key(
        &self,
        hash: &str,
        org: &str,
        scopes: &[String],
        now: i64,
    ) -> Result<(), StoreError> {
        let n = self.conn().execute(
            "INSERT OR IGNORE INTO api_keys (hash, org, scopes, created_at) VALUES (?1, ?2, ?3, ?4)",
            params![hash, org, json_text(&scopes)?, now],
        )?;
        if n == 0 {
            return Err(StoreError::Conflict("api key".into()));
        }
        Ok(())
    }

    fn api_key(&self, hash: &str) -> Result<Option<ApiKeyRecord>, StoreError> {
        let row: Option<(String, String, i64)> = self
            .conn()
            .query_row(
                "SELECT org, scopes, created_at FROM api_keys WHERE hash = ?1",
                params![hash],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        row.map(|(org, scopes, created_at)| {
            Ok(ApiKeyRecord {
                org,
                scopes: serde_json::from_str(&scopes)
                    .map_err(|e| corrupt("api_keys", "scopes", e.to_string()))?,
                created_at,
            })
        })
        .transpose()
    }

    fn signing_keys(&self) -> Result<Vec<StoredSigningKey>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare("SELECT kid, private_pem, created_at FROM signing_keys ORDER BY seq DESC")?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (kid, private_pem, created_at) = row?;
            out.push(StoredSigningKey {
                kid: KeyId::new(kid).map_err(|e| corrupt("signing_keys", "kid", e.to_string()))?,
                private_pem,
                created_at,
            });
        }
        Ok(out)
    }

    fn add_signing_key(&self, key: &StoredSigningKey) -> Result<(), StoreError> {
        let n = self.conn().execute(
            "INSERT OR IGNORE INTO signing_keys (kid, private_pem, created_at) VALUES (?1, ?2, ?3)",
            params![key.kid.as_str(), key.private_pem, key.created_at],
        )?;
        if n == 0 {
            return Err(StoreError::Conflict(format!("signing key {}", key.kid)));
        }
        Ok(())
    }

    fn record_passport(
        &self,
        jti: &str,
        identity: &IdentityId,
        key_id: &KeyId,
        iat: i64,
        exp: i64,
    ) -> Result<(), StoreError> {
        let n = self.conn().execute(
            "INSERT OR IGNORE INTO passports (jti, identity, key_id, iat, exp) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![jti, identity.as_str(), key_id.as_str(), iat, exp],
        )?;
        if n == 0 {
            return Err(StoreError::Conflict(format!("passport {jti}")));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, SqliteStore) {
        let d = tempfile::tempdir().unwrap();
        let s = SqliteStore::open(&d.path().join("db.sqlite3")).unwrap();
        (d, s)
    }

    #[test]
    fn identity_lifecycle() {
        let (_d, s) = store();
        let id = IdentityId::new("aii_TEST1").unwrap();
        let new = NewIdentity {
            operator: "Acme".into(),
            tier: Tier::Issued,
            surfaces: vec![],
            capabilities: vec![Capability::new("support").unwrap()],
        };
        let rec = s.create_identity(&id, &new, 100).unwrap();
        assert_eq!(rec.tier, Tier::Issued);
        assert!(matches!(
            s.create_identity(&id, &new, 100),
            Err(StoreError::Conflict(_))
        ));
        let rec = s
            .set_tier(&id, Tier::BusinessVerified, 200)
            .unwrap()
            .unwrap();
        assert_eq!((rec.tier, rec.updated_at), (Tier::BusinessVerified, 200));
        assert_eq!(s.revocation_seq().unwrap(), 0);
        let out = s
            .revoke(RevocationKind::Identity, id.as_str(), "lost key", 300)
            .unwrap();
        assert!(matches!(out, RevokeOutcome::Revoked(ref r) if r.seq == 1));
        let again = s
            .revoke(RevocationKind::Identity, id.as_str(), "again", 400)
            .unwrap();
        assert!(matches!(again, RevokeOutcome::AlreadyRevoked(ref r) if r.reason == "lost key"));
        assert_eq!(
            s.identity(&id).unwrap().unwrap().revoked,
            Some((300, "lost key".into()))
        );
        let unknown = s
            .revoke(RevocationKind::Identity, "aii_NOPE", "x", 1)
            .unwrap();
        assert_eq!(unknown, RevokeOutcome::UnknownIdentity);
        assert_eq!(s.revocations().unwrap().len(), 1);
        assert_eq!(s.revocation_seq().unwrap(), 1);
    }

    #[test]
    fn api_keys_and_signing_keys() {
        let (_d, s) = store();
        s.create_api_key("abc", "org", &["passport:issue".into()], 1)
            .unwrap();
        assert_eq!(
            s.api_key("abc").unwrap().unwrap().scopes,
            ["passport:issue"]
        );
        assert!(s.api_key("abd").unwrap().is_none());
        for (i, kid) in ["k_a", "k_b"].iter().enumerate() {
            s.add_signing_key(&StoredSigningKey {
                kid: KeyId::new(*kid).unwrap(),
                private_pem: "pem".into(),
                created_at: i64::try_from(i).unwrap(),
            })
            .unwrap();
        }
        let keys = s.signing_keys().unwrap();
        assert_eq!(keys[0].kid.as_str(), "k_b");
        assert_eq!(keys[1].kid.as_str(), "k_a");
    }
}

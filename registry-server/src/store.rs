//! Storage behind the [`Store`] trait, and its SQLite implementation (the
//! PostgreSQL one, for stateless replicas, is [`crate::pg::PgStore`]).
//!
//! Handlers only ever see `dyn Store`.

use crate::attestations::AttestationStore;
use passport::{Capability, IdentityId, KeyId, Tier};
use registry_client::{RevocationKind, SurfaceEntry};
use rusqlite::{params, Connection, OptionalExtension};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError, TryLockError};
use std::time::Duration;

/// Storage failures.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The database reported an error.
    #[error("database error: {0}")]
    Database(rusqlite::Error),
    /// The database is busy (another process holds a write lock longer than
    /// the busy timeout). Transient: the HTTP layer answers 503 with
    /// `Retry-After`. Every backend maps its lock or serialization timeouts here.
    #[error("the database is busy")]
    Busy,
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
    /// The database cannot be reached (connection refused or lost, connect
    /// timeout, store shutting down). Transient: the HTTP layer answers 503
    /// with `Retry-After`, so a load balancer can try another replica.
    #[error("database unavailable: {0}")]
    Unavailable(String),
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

impl StoreError {
    /// Whether the failure is transient (busy, or the database cannot be
    /// reached): the HTTP layer answers 503 with `Retry-After`, not 500.
    pub fn is_transient(&self) -> bool {
        matches!(self, StoreError::Busy | StoreError::Unavailable(_))
    }
}

impl From<tokio_postgres::Error> for StoreError {
    fn from(source: tokio_postgres::Error) -> Self {
        use tokio_postgres::error::SqlState;
        if let Some(
            &SqlState::LOCK_NOT_AVAILABLE
            | &SqlState::T_R_SERIALIZATION_FAILURE
            | &SqlState::T_R_DEADLOCK_DETECTED,
        ) = source.code()
        {
            return StoreError::Busy;
        }
        if source.is_closed() {
            return StoreError::Unavailable("the connection to PostgreSQL was lost".into());
        }
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

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        match e.sqlite_error_code() {
            Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => {
                StoreError::Busy
            }
            _ => StoreError::Database(e),
        }
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
    /// Lowercase hex SHA-256 of the key text (the primary key).
    pub hash: String,
    /// The organisation the key belongs to (rate limits are per organisation).
    pub org: String,
    /// Granted scopes (`passport:issue`, `identity:revoke`, …).
    pub scopes: Vec<String>,
    /// Creation time.
    pub created_at: i64,
    /// Last time the key was used (Unix seconds; recorded at most about
    /// once a minute per key), `None` if never.
    pub last_used_at: Option<i64>,
}

/// An issuer signing key.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredSigningKey {
    /// Key id.
    pub kid: KeyId,
    /// PKCS#8 PEM of the Ed25519 private key; `None` once deleted (after
    /// the retirement grace period, or on revocation).
    pub private_pem: Option<String>,
    /// The 32-byte Ed25519 public key (kept after the private key is deleted).
    pub public_key: [u8; 32],
    /// Creation time.
    pub created_at: i64,
    /// When the private key is deleted (set when the key is retired by a
    /// rotation with a grace period); `None` while it is not scheduled.
    pub delete_private_at: Option<i64>,
    /// The latest `exp` of the passports recorded as signed with this key
    /// (computed by the store from its passport log), `None` if none.
    pub last_passport_expiry: Option<i64>,
}

impl std::fmt::Debug for StoredSigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredSigningKey")
            .field("kid", &self.kid)
            .field("created_at", &self.created_at)
            .field("has_private", &self.private_pem.is_some())
            .field("delete_private_at", &self.delete_private_at)
            .field("last_passport_expiry", &self.last_passport_expiry)
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
    /// Every API key, oldest first.
    fn api_keys(&self) -> Result<Vec<ApiKeyRecord>, StoreError>;
    /// Deletes (revokes) an API key by its hash; `false` when unknown. Durable
    /// when it returns; the next lookup of the key finds nothing.
    fn delete_api_key(&self, hash: &str) -> Result<bool, StoreError>;
    /// Records that an API key was used at `now` (best effort; callers
    /// throttle it).
    fn touch_api_key(&self, hash: &str, now: i64) -> Result<(), StoreError>;
    /// Issuer signing keys, newest first.
    fn signing_keys(&self) -> Result<Vec<StoredSigningKey>, StoreError>;
    /// Adds an issuer signing key (it becomes the current one).
    fn add_signing_key(&self, key: &StoredSigningKey) -> Result<(), StoreError>;
    /// Schedules the deletion of a key's private part at `delete_private_at`
    /// (keeping an earlier schedule); `false` when the key is unknown.
    fn retire_signing_key(&self, kid: &KeyId, delete_private_at: i64) -> Result<bool, StoreError>;
    /// Deletes the private part of every key whose scheduled deletion time
    /// is at or before `now` (the public key stays); returns their ids.
    fn delete_due_private_keys(&self, now: i64) -> Result<Vec<KeyId>, StoreError>;
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
    /// The agent keys and attestations, when this backend keeps them in
    /// the same database (PostgreSQL: shared by every replica). `None` when
    /// they live elsewhere: next to an SQLite store, in a second file of the
    /// data directory (see [`crate::open_attestations`]).
    fn attestations(self: std::sync::Arc<Self>) -> Option<std::sync::Arc<dyn AttestationStore>> {
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
CREATE INDEX IF NOT EXISTS passports_by_key ON passports (key_id, exp);
";

/// SQLite storage: one file, WAL journal, `synchronous=FULL` (a commit is
/// on disk before the call returns). One writer connection (writes are
/// serialized in process and by SQLite across processes, `busy_timeout`
/// bounded) and a small pool of read connections, so reads never wait
/// behind a write (WAL readers see the last commit).
#[derive(Debug)]
pub struct SqliteStore {
    writer: Mutex<Connection>,
    busy_timeout: Duration,
    readers: Vec<Mutex<Connection>>,
    next_reader: AtomicUsize,
}

/// Connection settings of a [`SqliteStore`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SqliteOptions {
    /// Read connections in the pool (at least 1). Default 4.
    pub readers: usize,
    /// How long a write waits for another process's write lock before the
    /// store reports [`StoreError::Busy`]. Default 5 s (the admin CLI); the
    /// server uses a shorter one.
    pub busy_timeout: Duration,
}

impl Default for SqliteOptions {
    fn default() -> Self {
        SqliteOptions {
            readers: 4,
            busy_timeout: Duration::from_secs(5),
        }
    }
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

fn has_column(conn: &Connection, table: &str, column: &str) -> Result<bool, StoreError> {
    let mut stmt = conn.prepare(&format!("PRAGMA table_info({table})"))?;
    let names = stmt.query_map([], |r| r.get::<_, String>(1))?;
    for n in names {
        if n? == column {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Brings a database written by an earlier version up to the current
/// schema (columns are only ever added).
fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    if !has_column(&tx, "api_keys", "last_used_at")? {
        tx.execute_batch("ALTER TABLE api_keys ADD COLUMN last_used_at INTEGER")?;
    }
    if !has_column(&tx, "signing_keys", "public_key")? {
        tx.execute_batch("ALTER TABLE signing_keys ADD COLUMN public_key TEXT")?;
    }
    if !has_column(&tx, "signing_keys", "delete_private_at")? {
        tx.execute_batch("ALTER TABLE signing_keys ADD COLUMN delete_private_at INTEGER")?;
    }
    // Keys stored before public keys were: derive them from the private key.
    let missing: Vec<(i64, String)> = {
        let mut stmt = tx.prepare(
            "SELECT seq, private_pem FROM signing_keys WHERE public_key IS NULL AND private_pem <> ''",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect::<Result<_, _>>()?
    };
    for (seq, pem) in missing {
        let sk = passport::signing_key_from_pem(&pem)
            .map_err(|e| corrupt("signing_keys", "private_pem", e.to_string()))?;
        tx.execute(
            "UPDATE signing_keys SET public_key = ?2 WHERE seq = ?1",
            params![seq, hex(sk.verifying_key().as_bytes())],
        )?;
    }
    tx.commit()?;
    Ok(())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex32(s: &str) -> Option<[u8; 32]> {
    if s.len() != 64 || !s.is_ascii() {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, o) in out.iter_mut().enumerate() {
        *o = u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

/// Opens one SQLite connection the way every registry database is opened:
/// WAL journal, `synchronous=FULL`, foreign keys on, `busy` as the busy
/// timeout (a lock held longer surfaces as [`StoreError::Busy`]).
pub(crate) fn open_conn(path: &Path, busy: Duration) -> Result<Connection, StoreError> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(busy)?;
    let mode: String = conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::Io(format!(
            "cannot enable WAL journal mode (got {mode})"
        )));
    }
    conn.execute_batch("PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;")?;
    Ok(conn)
}

/// Locks a writer connection, waiting at most `timeout` behind other writes
/// of this process: past it, [`StoreError::Busy`] (so a held lock turns a
/// queue of writers into prompt 503 answers, not a chain of timeouts).
pub(crate) fn lock_within(
    writer: &Mutex<Connection>,
    timeout: Duration,
) -> Result<MutexGuard<'_, Connection>, StoreError> {
    let start = std::time::Instant::now();
    loop {
        match writer.try_lock() {
            Ok(g) => return Ok(g),
            Err(TryLockError::Poisoned(p)) => return Ok(p.into_inner()),
            Err(TryLockError::WouldBlock) => {
                if start.elapsed() >= timeout {
                    return Err(StoreError::Busy);
                }
                std::thread::sleep(Duration::from_millis(2));
            }
        }
    }
}

impl SqliteStore {
    /// Opens (creating if needed) the database file and its schema, with
    /// default options.
    pub fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        SqliteStore::open_with(path, SqliteOptions::default())
    }

    /// Opens (creating if needed) the database file and its schema.
    pub fn open_with(path: &Path, opts: SqliteOptions) -> Result<SqliteStore, StoreError> {
        let mut writer = open_conn(path, opts.busy_timeout)?;
        // Deleted content (private keys) is overwritten, not left in free pages.
        writer.execute_batch("PRAGMA secure_delete=ON;")?;
        writer.execute_batch(SCHEMA)?;
        migrate(&mut writer)?;
        let mut readers = Vec::new();
        for _ in 0..opts.readers.max(1) {
            let r = open_conn(path, opts.busy_timeout)?;
            r.execute_batch("PRAGMA query_only=1;")?;
            readers.push(Mutex::new(r));
        }
        Ok(SqliteStore {
            writer: Mutex::new(writer),
            busy_timeout: opts.busy_timeout,
            readers,
            next_reader: AtomicUsize::new(0),
        })
    }

    /// The writer connection. Waiting for it (behind other writes of this
    /// process) is bounded by the busy timeout too, so a held lock turns a
    /// queue of writers into prompt [`StoreError::Busy`] answers instead of
    /// a chain of consecutive timeouts.
    fn conn(&self) -> Result<MutexGuard<'_, Connection>, StoreError> {
        lock_within(&self.writer, self.busy_timeout)
    }

    /// A free read connection (or, when all are in use, waits for one).
    fn reader(&self) -> MutexGuard<'_, Connection> {
        let n = self.readers.len();
        let start = self.next_reader.fetch_add(1, Ordering::Relaxed);
        for i in 0..n {
            match self.readers[(start + i) % n].try_lock() {
                Ok(g) => return g,
                Err(TryLockError::Poisoned(p)) => return p.into_inner(),
                Err(TryLockError::WouldBlock) => {}
            }
        }
        self.readers[start % n]
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

type ApiKeyRow = (String, String, String, i64, Option<i64>);

fn api_key_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ApiKeyRow> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
}

fn api_key_from_row(
    (hash, org, scopes, created_at, last_used_at): ApiKeyRow,
) -> Result<ApiKeyRecord, StoreError> {
    Ok(ApiKeyRecord {
        hash,
        org,
        scopes: serde_json::from_str(&scopes)
            .map_err(|e| corrupt("api_keys", "scopes", e.to_string()))?,
        created_at,
        last_used_at,
    })
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
        let conn = self.conn()?;
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
        read_identity(&self.reader(), id.as_str())
    }

    fn set_tier(
        &self,
        id: &IdentityId,
        tier: Tier,
        now: i64,
    ) -> Result<Option<StoredIdentity>, StoreError> {
        let conn = self.conn()?;
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
        let mut conn = self.conn()?;
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
        let conn = self.reader();
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
            .reader()
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
        let n = self.conn()?.execute(
            "INSERT OR IGNORE INTO api_keys (hash, org, scopes, created_at) VALUES (?1, ?2, ?3, ?4)",
            params![hash, org, json_text(&scopes)?, now],
        )?;
        if n == 0 {
            return Err(StoreError::Conflict("api key".into()));
        }
        Ok(())
    }

    fn api_key(&self, hash: &str) -> Result<Option<ApiKeyRecord>, StoreError> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(
            "SELECT hash, org, scopes, created_at, last_used_at FROM api_keys WHERE hash = ?1",
        )?;
        let row = stmt.query_row(params![hash], api_key_row).optional()?;
        row.map(api_key_from_row).transpose()
    }

    fn api_keys(&self) -> Result<Vec<ApiKeyRecord>, StoreError> {
        let conn = self.reader();
        let mut stmt = conn.prepare(
            "SELECT hash, org, scopes, created_at, last_used_at FROM api_keys ORDER BY created_at, hash",
        )?;
        let rows = stmt.query_map([], api_key_row)?;
        let mut out = Vec::new();
        for row in rows {
            out.push(api_key_from_row(row?)?);
        }
        Ok(out)
    }

    fn delete_api_key(&self, hash: &str) -> Result<bool, StoreError> {
        let n = self
            .conn()?
            .execute("DELETE FROM api_keys WHERE hash = ?1", params![hash])?;
        Ok(n > 0)
    }

    fn touch_api_key(&self, hash: &str, now: i64) -> Result<(), StoreError> {
        self.conn()?.execute(
            "UPDATE api_keys SET last_used_at = ?2 WHERE hash = ?1",
            params![hash, now],
        )?;
        Ok(())
    }

    fn signing_keys(&self) -> Result<Vec<StoredSigningKey>, StoreError> {
        let conn = self.reader();
        let mut stmt = conn.prepare(
            "SELECT k.kid, k.private_pem, k.public_key, k.created_at, k.delete_private_at,
                    (SELECT MAX(p.exp) FROM passports p WHERE p.key_id = k.kid)
             FROM signing_keys k ORDER BY k.seq DESC",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<String>>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, Option<i64>>(4)?,
                r.get::<_, Option<i64>>(5)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (kid, private_pem, public_key, created_at, delete_private_at, last_exp) = row?;
            let public_key = public_key
                .as_deref()
                .and_then(unhex32)
                .ok_or_else(|| corrupt("signing_keys", "public_key", format!("key {kid}")))?;
            out.push(StoredSigningKey {
                kid: KeyId::new(kid).map_err(|e| corrupt("signing_keys", "kid", e.to_string()))?,
                private_pem: (!private_pem.is_empty()).then_some(private_pem),
                public_key,
                created_at,
                delete_private_at,
                last_passport_expiry: last_exp,
            });
        }
        Ok(out)
    }

    fn add_signing_key(&self, key: &StoredSigningKey) -> Result<(), StoreError> {
        let n = self.conn()?.execute(
            "INSERT OR IGNORE INTO signing_keys (kid, private_pem, public_key, created_at, delete_private_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                key.kid.as_str(),
                key.private_pem.as_deref().unwrap_or(""),
                hex(&key.public_key),
                key.created_at,
                key.delete_private_at
            ],
        )?;
        if n == 0 {
            return Err(StoreError::Conflict(format!("signing key {}", key.kid)));
        }
        Ok(())
    }

    fn retire_signing_key(&self, kid: &KeyId, delete_private_at: i64) -> Result<bool, StoreError> {
        let n = self.conn()?.execute(
            "UPDATE signing_keys SET delete_private_at = MIN(COALESCE(delete_private_at, ?2), ?2) WHERE kid = ?1",
            params![kid.as_str(), delete_private_at],
        )?;
        Ok(n > 0)
    }

    fn delete_due_private_keys(&self, now: i64) -> Result<Vec<KeyId>, StoreError> {
        let mut conn = self.conn()?;
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let due: Vec<String> = {
            let mut stmt = tx.prepare(
                "SELECT kid FROM signing_keys WHERE delete_private_at IS NOT NULL AND delete_private_at <= ?1 AND private_pem <> ''",
            )?;
            let rows = stmt.query_map(params![now], |r| r.get(0))?;
            rows.collect::<Result<_, _>>()?
        };
        if due.is_empty() {
            return Ok(Vec::new());
        }
        tx.execute(
            "UPDATE signing_keys SET private_pem = '' WHERE delete_private_at IS NOT NULL AND delete_private_at <= ?1",
            params![now],
        )?;
        tx.commit()?;
        // Reclaim the pages that held the keys and push them out of the WAL.
        let _ = conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);");
        due.into_iter()
            .map(|k| KeyId::new(k).map_err(|e| corrupt("signing_keys", "kid", e.to_string())))
            .collect()
    }

    fn record_passport(
        &self,
        jti: &str,
        identity: &IdentityId,
        key_id: &KeyId,
        iat: i64,
        exp: i64,
    ) -> Result<(), StoreError> {
        let n = self.conn()?.execute(
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
        s.touch_api_key("abc", 42).unwrap();
        let all = s.api_keys().unwrap();
        assert_eq!(all.len(), 1);
        assert_eq!(
            (all[0].hash.as_str(), all[0].last_used_at),
            ("abc", Some(42))
        );
        assert!(s.delete_api_key("abc").unwrap());
        assert!(!s.delete_api_key("abc").unwrap());
        assert!(s.api_key("abc").unwrap().is_none());
        for (i, kid) in ["k_a", "k_b"].iter().enumerate() {
            s.add_signing_key(&StoredSigningKey {
                kid: KeyId::new(*kid).unwrap(),
                private_pem: Some("pem".into()),
                public_key: [u8::try_from(i).unwrap(); 32],
                created_at: i64::try_from(i).unwrap(),
                delete_private_at: None,
                last_passport_expiry: None,
            })
            .unwrap();
        }
        let id = IdentityId::new("aii_X").unwrap();
        let ka = KeyId::new("k_a").unwrap();
        s.record_passport("p_1", &id, &ka, 1, 500).unwrap();
        s.record_passport("p_2", &id, &ka, 1, 900).unwrap();
        let keys = s.signing_keys().unwrap();
        assert_eq!(keys[0].kid.as_str(), "k_b");
        assert_eq!(keys[1].kid.as_str(), "k_a");
        assert_eq!(keys[1].public_key, [0; 32]);
        assert_eq!(keys[1].last_passport_expiry, Some(900));
        assert_eq!(keys[0].last_passport_expiry, None);
        // Retire k_a: its private part goes once the time passes; an
        // earlier schedule wins over a later one.
        assert!(s.retire_signing_key(&ka, 100).unwrap());
        assert!(s.retire_signing_key(&ka, 200).unwrap());
        assert!(!s
            .retire_signing_key(&KeyId::new("k_zz").unwrap(), 1)
            .unwrap());
        assert!(s.delete_due_private_keys(99).unwrap().is_empty());
        assert_eq!(s.delete_due_private_keys(100).unwrap(), vec![ka.clone()]);
        let keys = s.signing_keys().unwrap();
        assert_eq!(keys[1].private_pem, None);
        assert_eq!(keys[1].public_key, [0; 32]);
        assert_eq!(keys[0].private_pem.as_deref(), Some("pem"));
    }

    #[test]
    fn reads_do_not_wait_behind_a_held_write_lock() {
        let (d, s) = store();
        let id = IdentityId::new("aii_R").unwrap();
        let new = NewIdentity {
            operator: "anon".into(),
            tier: Tier::Issued,
            surfaces: vec![],
            capabilities: vec![],
        };
        s.create_identity(&id, &new, 1).unwrap();
        // Another process-like connection holds the write lock.
        let other = Connection::open(d.path().join("db.sqlite3")).unwrap();
        other.execute_batch("BEGIN IMMEDIATE").unwrap();
        let quick = SqliteStore::open_with(
            &d.path().join("db.sqlite3"),
            SqliteOptions {
                readers: 2,
                busy_timeout: Duration::from_millis(100),
            },
        );
        // Opening needs the write lock for the schema: busy, typed.
        assert!(matches!(quick, Err(StoreError::Busy)), "{quick:?}");
        let t = std::time::Instant::now();
        assert!(s.identity(&id).unwrap().is_some());
        assert!(t.elapsed() < Duration::from_millis(500));
        other.execute_batch("COMMIT").unwrap();
    }
}

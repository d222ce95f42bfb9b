//! PostgreSQL storage: the [`Store`] of a fleet of stateless replicas over
//! one database (`--database postgres://USER@HOST:PORT/DB`).
//!
//! - **Driver:** `tokio-postgres` with a `deadpool-postgres` pool (16
//!   connections per process), without TLS: run the database on a private
//!   network or a local socket. A password may be given in the URL or, to
//!   keep it out of process listings, in `PGPASSWORD`.
//! - **Runtime:** the store owns a small tokio runtime (2 threads) and the
//!   [`Store`] methods block on it through a channel, so they work from
//!   plain threads (the admin CLI), from `spawn_blocking` (the server) and
//!   never panic inside an async context.
//! - **Schema:** versioned migrations ([`MIGRATIONS`]) recorded in
//!   `aiid_schema_migrations`, applied in one transaction under an advisory
//!   lock by every process that opens the store (`serve`, `admin`), so
//!   replicas starting together migrate once. A database migrated by a newer
//!   program is refused ([`StoreError::SchemaTooNew`]).
//! - **Durability:** every write commits before the method returns. Sessions
//!   run with `synchronous_commit` at least `on` (raised from `off` when the
//!   server default is `off`), so a commit is flushed (and, with a
//!   synchronous standby, replicated) before a revocation is acknowledged.
//! - **Ordering:** revocations and signing-key changes take a transaction
//!   advisory lock, so their sequence numbers commit in order: a reader that
//!   saw sequence `n` has seen every revocation below `n`.
//! - **Invalidation:** each write that servers cache (revocations, API keys,
//!   signing keys) sends `NOTIFY aiid_registry` inside its transaction
//!   (delivered on commit); a dedicated `LISTEN` connection per process turns
//!   notifications into [`Store::change_notifications`] and reconnects with
//!   backoff (a reconnect also counts as a change, since notifications may
//!   have been missed). Servers also poll, so a lost notification costs at
//!   most one poll interval.
//! - **Agent keys and attestations** ([`AttestationStore`], migration 2) are
//!   read from the database on every request (nothing cached, nothing to
//!   notify); adding agent keys takes an advisory lock so the per-identity
//!   limit holds under concurrent admins.

use crate::attestations::{
    decide_add, jwk_x, jwks_of_rows, AttestationStore, AttestationStoreError, StoredAttestation,
    MAX_LISTED,
};
use crate::store::{
    corrupt, identity_from_row, json_text, kind_of, kind_str, ApiKeyRecord, NewIdentity,
    RevokeOutcome, Store, StoreError, StoredIdentity, StoredRevocation, StoredSigningKey,
    IDENTITY_COLUMNS,
};
use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, RecyclingMethod, Runtime};
use passport::{IdentityId, Jwk, Jwks, KeyId, Tier};
use registry_client::RevocationKind;
use std::future::Future;
use std::str::FromStr as _;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio_postgres::{AsyncMessage, NoTls, Row};

/// The `LISTEN/NOTIFY` channel replicas use to tell each other about changes.
pub const NOTIFY_CHANNEL: &str = "aiid_registry";

/// Connections per process.
pub const POOL_SIZE: usize = 16;

// Advisory lock keys ("aiid" in ASCII, then a number).
const LOCK_MIGRATE: i64 = 0x6169_6964_0001;
const LOCK_REVOKE: i64 = 0x6169_6964_0002;
const LOCK_KEYS: i64 = 0x6169_6964_0003;
const LOCK_AGENT_KEYS: i64 = 0x6169_6964_0004;

/// The schema, one migration per version; never edit a released one, add
/// the next.
pub const MIGRATIONS: &[(i32, &str, &str)] = &[
    (
        1,
        "initial schema",
        "
CREATE TABLE identities (
    id TEXT PRIMARY KEY,
    operator TEXT NOT NULL,
    tier TEXT NOT NULL,
    surfaces TEXT NOT NULL,
    capabilities TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    revoked_at BIGINT,
    revocation_reason TEXT
);
CREATE TABLE revocations (
    seq BIGSERIAL PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('identity', 'passport', 'key')),
    subject TEXT NOT NULL,
    reason TEXT NOT NULL,
    revoked_at BIGINT NOT NULL,
    UNIQUE (kind, subject)
);
CREATE TABLE api_keys (
    hash TEXT PRIMARY KEY,
    org TEXT NOT NULL,
    scopes TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT
);
CREATE TABLE signing_keys (
    seq BIGSERIAL PRIMARY KEY,
    kid TEXT NOT NULL UNIQUE,
    private_pem TEXT,
    public_key BYTEA NOT NULL CHECK (length(public_key) = 32),
    created_at BIGINT NOT NULL,
    delete_private_at BIGINT
);
CREATE TABLE passports (
    jti TEXT PRIMARY KEY,
    identity TEXT NOT NULL,
    key_id TEXT NOT NULL,
    iat BIGINT NOT NULL,
    exp BIGINT NOT NULL
);
CREATE INDEX passports_by_key ON passports (key_id, exp);
",
    ),
    (
        2,
        "agent keys and attestations",
        "
CREATE TABLE agent_keys (
    identity TEXT NOT NULL,
    kid TEXT NOT NULL,
    x TEXT NOT NULL,
    added_at BIGINT NOT NULL,
    PRIMARY KEY (identity, kid)
);
CREATE TABLE attestations (
    id TEXT PRIMARY KEY,
    doc_hash TEXT NOT NULL,
    identity TEXT NOT NULL,
    agent_kid TEXT NOT NULL,
    declared_at TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    envelope TEXT NOT NULL
);
CREATE INDEX attestations_by_run ON attestations (doc_hash, received_at);
",
    ),
];

/// Parses a `postgres://` or `postgresql://` URL into a driver
/// configuration: `PGPASSWORD` fills a missing password, the connect
/// timeout defaults to 5 s and the application name to `aiid-registry`.
/// Errors never repeat the URL (it may hold a password).
pub fn parse_database_url(url: &str) -> Result<tokio_postgres::Config, StoreError> {
    let bad = |m: String| StoreError::InvalidDatabaseUrl(m);
    if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
        return Err(bad(
            "expected postgres://USER@HOST:PORT/DB (or postgresql://…)".into(),
        ));
    }
    let mut cfg = tokio_postgres::Config::from_str(url).map_err(|e| {
        let detail = std::error::Error::source(&e)
            .map(|c| format!(": {c}"))
            .unwrap_or_default();
        bad(format!("{e}{detail}"))
    })?;
    if cfg.get_user().is_none() {
        return Err(bad("no user (postgres://USER@HOST:PORT/DB)".into()));
    }
    if cfg.get_hosts().is_empty() {
        return Err(bad("no host (postgres://USER@HOST:PORT/DB)".into()));
    }
    if cfg.get_password().is_none() {
        if let Ok(p) = std::env::var("PGPASSWORD") {
            cfg.password(p);
        }
    }
    if cfg.get_connect_timeout().is_none() {
        cfg.connect_timeout(Duration::from_secs(5));
    }
    if cfg.get_application_name().is_none() {
        cfg.application_name("aiid-registry");
    }
    Ok(cfg)
}

/// `postgres://USER@HOST:PORT/DB` of a configuration, without the password.
pub fn describe(cfg: &tokio_postgres::Config) -> String {
    let host = match cfg.get_hosts().first() {
        Some(tokio_postgres::config::Host::Tcp(h)) => h.clone(),
        #[cfg(unix)]
        Some(tokio_postgres::config::Host::Unix(p)) => p.display().to_string(),
        None => String::new(),
    };
    let port = cfg.get_ports().first().copied().unwrap_or(5432);
    format!(
        "postgres://{}@{host}:{port}/{}",
        cfg.get_user().unwrap_or(""),
        cfg.get_dbname().or(cfg.get_user()).unwrap_or("")
    )
}

/// PostgreSQL storage (see the module documentation).
pub struct PgStore {
    rt: Option<tokio::runtime::Runtime>,
    handle: tokio::runtime::Handle,
    pool: Pool,
    changes: watch::Receiver<u64>,
    target: String,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore")
            .field("database", &self.target)
            .finish_non_exhaustive()
    }
}

impl Drop for PgStore {
    fn drop(&mut self) {
        // Dropping a runtime blocks, which tokio forbids inside async code;
        // the last handle to the store may well be dropped there.
        if let Some(rt) = self.rt.take() {
            rt.shutdown_background();
        }
    }
}

async fn get(pool: &Pool) -> Result<Object, StoreError> {
    pool.get().await.map_err(|e| match e {
        // Creating a connection failed: the server is unreachable.
        deadpool_postgres::PoolError::Backend(e) => {
            let mut m = e.to_string();
            if let Some(c) = std::error::Error::source(&e) {
                m.push_str(&format!(": {c}"));
            }
            StoreError::Unavailable(m)
        }
        // Every connection stayed busy for the whole wait: transient.
        deadpool_postgres::PoolError::Timeout(deadpool_postgres::TimeoutType::Wait) => {
            StoreError::Busy
        }
        other => StoreError::Unavailable(other.to_string()),
    })
}

fn conflict_on_unique(what: String) -> impl FnOnce(tokio_postgres::Error) -> StoreError {
    move |e| {
        if e.code() == Some(&tokio_postgres::error::SqlState::UNIQUE_VIOLATION) {
            StoreError::Conflict(what)
        } else {
            StoreError::from(e)
        }
    }
}

fn identity_of(r: &Row) -> Result<StoredIdentity, StoreError> {
    identity_from_row((
        r.try_get(0)?,
        r.try_get(1)?,
        r.try_get(2)?,
        r.try_get(3)?,
        r.try_get(4)?,
        r.try_get(5)?,
        r.try_get(6)?,
        r.try_get(7)?,
        r.try_get(8)?,
    ))
}

async fn notify(c: &tokio_postgres::Transaction<'_>, what: &str) -> Result<(), StoreError> {
    c.execute("SELECT pg_notify($1, $2)", &[&NOTIFY_CHANNEL, &what])
        .await?;
    Ok(())
}

async fn migrate(c: &mut Object) -> Result<i32, StoreError> {
    let known = MIGRATIONS.last().map_or(0, |m| m.0);
    let tx = c.transaction().await?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&LOCK_MIGRATE])
        .await?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS aiid_schema_migrations (
            version INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            applied_at BIGINT NOT NULL
        )",
    )
    .await?;
    let found: i32 = tx
        .query_one(
            "SELECT COALESCE(MAX(version), 0) FROM aiid_schema_migrations",
            &[],
        )
        .await?
        .try_get(0)?;
    if found > known {
        return Err(StoreError::SchemaTooNew { found, known });
    }
    for (version, name, sql) in MIGRATIONS.iter().filter(|m| m.0 > found) {
        tx.batch_execute(sql).await?;
        tx.execute(
            "INSERT INTO aiid_schema_migrations (version, name, applied_at)
             VALUES ($1, $2, EXTRACT(EPOCH FROM now())::BIGINT)",
            &[version, name],
        )
        .await?;
    }
    tx.commit().await?;
    Ok(known)
}

/// Keeps one connection listening on [`NOTIFY_CHANNEL`] and bumps `tx` for
/// every notification and every (re)connection.
async fn listen(cfg: tokio_postgres::Config, tx: watch::Sender<u64>) {
    let mut backoff = Duration::from_millis(100);
    loop {
        if let Ok((client, mut conn)) = cfg.connect(NoTls).await {
            let (ntx, mut nrx) = tokio::sync::mpsc::unbounded_channel::<()>();
            let driver = tokio::spawn(async move {
                while let Some(m) = std::future::poll_fn(|cx| conn.poll_message(cx)).await {
                    match m {
                        Ok(AsyncMessage::Notification(_)) => {
                            if ntx.send(()).is_err() {
                                break;
                            }
                        }
                        Ok(_) => {}
                        Err(_) => break,
                    }
                }
            });
            if client
                .batch_execute(&format!("LISTEN {NOTIFY_CHANNEL}"))
                .await
                .is_ok()
            {
                backoff = Duration::from_millis(100);
                tx.send_modify(|n| *n = n.wrapping_add(1));
                while nrx.recv().await.is_some() {
                    tx.send_modify(|n| *n = n.wrapping_add(1));
                }
            }
            driver.abort();
            drop(client);
        }
        if tx.is_closed() {
            return;
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(5));
    }
}

impl PgStore {
    /// Connects to the database at `url`, applies pending migrations and
    /// starts listening for other processes' changes. Fails when the
    /// database cannot be reached within the connect timeout.
    pub fn connect(url: &str) -> Result<PgStore, StoreError> {
        let mut cfg = parse_database_url(url)?;
        let target = describe(&cfg);
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("aiid-postgres")
            .enable_all()
            .build()
            .map_err(|e| StoreError::Unavailable(format!("starting the database runtime: {e}")))?;
        let handle = rt.handle().clone();
        let at = |e: StoreError| match e {
            StoreError::Postgres { message, source } => StoreError::Postgres {
                message: format!("{target}: {message}"),
                source,
            },
            StoreError::Unavailable(m) => StoreError::Unavailable(format!("{target}: {m}")),
            other => other,
        };
        // Acknowledged writes must be flushed: raise `synchronous_commit`
        // for our sessions when the server default is `off`.
        let probe_cfg = cfg.clone();
        let setting = block(&handle, async move {
            let (client, conn) = probe_cfg.connect(NoTls).await?;
            let driver = tokio::spawn(conn);
            let v: String = client
                .query_one("SELECT current_setting('synchronous_commit')", &[])
                .await?
                .try_get(0)?;
            drop(client);
            let _ = driver.await;
            Ok(v)
        })
        .map_err(at)?;
        if setting == "off" {
            let opts = cfg.get_options().unwrap_or("").to_owned();
            cfg.options(format!("{opts} -c synchronous_commit=on").trim_start());
        }
        let mgr = Manager::from_config(
            cfg.clone(),
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(mgr)
            .max_size(POOL_SIZE)
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(Duration::from_secs(10)))
            .create_timeout(Some(Duration::from_secs(5)))
            .recycle_timeout(Some(Duration::from_secs(5)))
            .build()
            .map_err(|e| StoreError::Unavailable(e.to_string()))?;
        let p = pool.clone();
        block(&handle, async move {
            let mut c = get(&p).await?;
            migrate(&mut c).await
        })
        .map_err(at)?;
        let (tx, changes) = watch::channel(0u64);
        handle.spawn(listen(cfg, tx));
        Ok(PgStore {
            rt: Some(rt),
            handle,
            pool,
            changes,
            target,
        })
    }

    /// `postgres://USER@HOST:PORT/DB` (no password).
    pub fn target(&self) -> &str {
        &self.target
    }

    /// The newest schema version (what [`PgStore::connect`] migrated to).
    pub fn schema_version(&self) -> Result<i32, StoreError> {
        let pool = self.pool.clone();
        self.run(async move {
            let c = get(&pool).await?;
            Ok(c.query_one(
                "SELECT COALESCE(MAX(version), 0) FROM aiid_schema_migrations",
                &[],
            )
            .await?
            .try_get(0)?)
        })
    }

    /// The `synchronous_commit` setting of the store's sessions.
    pub fn synchronous_commit(&self) -> Result<String, StoreError> {
        let pool = self.pool.clone();
        self.run(async move {
            let c = get(&pool).await?;
            Ok(
                c.query_one("SELECT current_setting('synchronous_commit')", &[])
                    .await?
                    .try_get(0)?,
            )
        })
    }

    /// Adds `key` only when the store has no signing key yet (under the
    /// key lock, so replicas starting together create one key, not two).
    /// Returns whether it was added.
    pub fn add_first_signing_key(&self, key: &StoredSigningKey) -> Result<bool, StoreError> {
        let pool = self.pool.clone();
        let key = key.clone();
        self.run(async move {
            let mut c = get(&pool).await?;
            let tx = c.transaction().await?;
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&LOCK_KEYS])
                .await?;
            let n: i64 = tx
                .query_one("SELECT COUNT(*) FROM signing_keys", &[])
                .await?
                .try_get(0)?;
            if n > 0 {
                return Ok(false);
            }
            insert_signing_key(&tx, &key).await?;
            tx.commit().await?;
            Ok(true)
        })
    }

    /// Runs `fut` on the store's runtime and waits for it on this thread.
    fn run<T, F>(&self, fut: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: Future<Output = Result<T, StoreError>> + Send + 'static,
    {
        block(&self.handle, fut)
    }
}

fn block<T, F>(handle: &tokio::runtime::Handle, fut: F) -> Result<T, StoreError>
where
    T: Send + 'static,
    F: Future<Output = Result<T, StoreError>> + Send + 'static,
{
    let (tx, rx) = std::sync::mpsc::sync_channel(1);
    handle.spawn(async move {
        let _ = tx.send(fut.await);
    });
    rx.recv().map_err(|_| {
        StoreError::Unavailable("the database task stopped (store shutting down)".into())
    })?
}

async fn insert_signing_key(
    tx: &tokio_postgres::Transaction<'_>,
    key: &StoredSigningKey,
) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO signing_keys (kid, private_pem, public_key, created_at, delete_private_at)
         VALUES ($1, $2, $3, $4, $5)",
        &[
            &key.kid.as_str(),
            &key.private_pem,
            &key.public_key.as_slice(),
            &key.created_at,
            &key.delete_private_at,
        ],
    )
    .await
    .map_err(conflict_on_unique(format!("signing key {}", key.kid)))?;
    notify(tx, "signing_key").await
}

const API_KEY_COLUMNS: &str = "hash, org, scopes, created_at, last_used_at";

fn api_key_of(r: &Row) -> Result<ApiKeyRecord, StoreError> {
    let scopes: String = r.try_get(2)?;
    Ok(ApiKeyRecord {
        hash: r.try_get(0)?,
        org: r.try_get(1)?,
        scopes: serde_json::from_str(&scopes)
            .map_err(|e| corrupt("api_keys", "scopes", e.to_string()))?,
        created_at: r.try_get(3)?,
        last_used_at: r.try_get(4)?,
    })
}

fn select_identity() -> String {
    format!("SELECT {IDENTITY_COLUMNS} FROM identities WHERE id = $1")
}

impl Store for PgStore {
    fn create_identity(
        &self,
        id: &IdentityId,
        new: &NewIdentity,
        now: i64,
    ) -> Result<StoredIdentity, StoreError> {
        let pool = self.pool.clone();
        let (id, operator, tier) = (
            id.clone(),
            new.operator.clone(),
            new.tier.as_str().to_owned(),
        );
        let (surfaces, caps) = (json_text(&new.surfaces)?, json_text(&new.capabilities)?);
        self.run(async move {
            let c = get(&pool).await?;
            let row = c
                .query_opt(
                    &format!(
                        "INSERT INTO identities (id, operator, tier, surfaces, capabilities, created_at, updated_at)
                         VALUES ($1, $2, $3, $4, $5, $6, $6) ON CONFLICT (id) DO NOTHING
                         RETURNING {IDENTITY_COLUMNS}"
                    ),
                    &[&id.as_str(), &operator, &tier, &surfaces, &caps, &now],
                )
                .await?;
            match row {
                Some(r) => identity_of(&r),
                None => Err(StoreError::Conflict(format!("identity {id}"))),
            }
        })
    }

    fn identity(&self, id: &IdentityId) -> Result<Option<StoredIdentity>, StoreError> {
        let pool = self.pool.clone();
        let id = id.as_str().to_owned();
        self.run(async move {
            let c = get(&pool).await?;
            let st = c.prepare_cached(&select_identity()).await?;
            c.query_opt(&st, &[&id])
                .await?
                .as_ref()
                .map(identity_of)
                .transpose()
        })
    }

    fn set_tier(
        &self,
        id: &IdentityId,
        tier: Tier,
        now: i64,
    ) -> Result<Option<StoredIdentity>, StoreError> {
        let pool = self.pool.clone();
        let (id, tier) = (id.as_str().to_owned(), tier.as_str().to_owned());
        self.run(async move {
            let c = get(&pool).await?;
            c.query_opt(
                &format!(
                    "UPDATE identities SET tier = $2, updated_at = $3 WHERE id = $1
                     RETURNING {IDENTITY_COLUMNS}"
                ),
                &[&id, &tier, &now],
            )
            .await?
            .as_ref()
            .map(identity_of)
            .transpose()
        })
    }

    fn revoke(
        &self,
        kind: RevocationKind,
        subject: &str,
        reason: &str,
        now: i64,
    ) -> Result<RevokeOutcome, StoreError> {
        let pool = self.pool.clone();
        let (subject, reason) = (subject.to_owned(), reason.to_owned());
        self.run(async move {
            let mut c = get(&pool).await?;
            let tx = c.transaction().await?;
            // Serialize revocations so that sequence numbers commit in order.
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&LOCK_REVOKE])
                .await?;
            if let Some(r) = tx
                .query_opt(
                    "SELECT seq, reason, revoked_at FROM revocations WHERE kind = $1 AND subject = $2",
                    &[&kind_str(kind), &subject],
                )
                .await?
            {
                return Ok(RevokeOutcome::AlreadyRevoked(StoredRevocation {
                    seq: r.try_get(0)?,
                    kind,
                    subject,
                    reason: r.try_get(1)?,
                    revoked_at: r.try_get(2)?,
                }));
            }
            if kind == RevocationKind::Identity {
                let n = tx
                    .execute(
                        "UPDATE identities SET revoked_at = $2, revocation_reason = $3, updated_at = $2 WHERE id = $1",
                        &[&subject, &now, &reason],
                    )
                    .await?;
                if n == 0 {
                    return Ok(RevokeOutcome::UnknownIdentity);
                }
            }
            let seq: i64 = tx
                .query_one(
                    "INSERT INTO revocations (kind, subject, reason, revoked_at) VALUES ($1, $2, $3, $4) RETURNING seq",
                    &[&kind_str(kind), &subject, &reason, &now],
                )
                .await?
                .try_get(0)?;
            notify(&tx, "revocation").await?;
            tx.commit().await?;
            Ok(RevokeOutcome::Revoked(StoredRevocation {
                seq,
                kind,
                subject,
                reason,
                revoked_at: now,
            }))
        })
    }

    fn revocations(&self) -> Result<Vec<StoredRevocation>, StoreError> {
        let pool = self.pool.clone();
        self.run(async move {
            let c = get(&pool).await?;
            let rows = c
                .query(
                    "SELECT seq, kind, subject, reason, revoked_at FROM revocations ORDER BY seq",
                    &[],
                )
                .await?;
            rows.iter()
                .map(|r| {
                    Ok(StoredRevocation {
                        seq: r.try_get(0)?,
                        kind: kind_of(r.try_get(1)?)?,
                        subject: r.try_get(2)?,
                        reason: r.try_get(3)?,
                        revoked_at: r.try_get(4)?,
                    })
                })
                .collect()
        })
    }

    fn revocation_seq(&self) -> Result<i64, StoreError> {
        let pool = self.pool.clone();
        self.run(async move {
            let c = get(&pool).await?;
            let st = c
                .prepare_cached("SELECT COALESCE(MAX(seq), 0) FROM revocations")
                .await?;
            Ok(c.query_one(&st, &[]).await?.try_get(0)?)
        })
    }

    fn create_api_key(
        &self,
        hash: &str,
        org: &str,
        scopes: &[String],
        now: i64,
    ) -> Result<(), StoreError> {
        let pool = self.pool.clone();
        let (hash, org, scopes) = (hash.to_owned(), org.to_owned(), json_text(&scopes)?);
        self.run(async move {
            let c = get(&pool).await?;
            c.execute(
                "INSERT INTO api_keys (hash, org, scopes, created_at) VALUES ($1, $2, $3, $4)",
                &[&hash, &org, &scopes, &now],
            )
            .await
            .map_err(conflict_on_unique("api key".into()))?;
            Ok(())
        })
    }

    fn api_key(&self, hash: &str) -> Result<Option<ApiKeyRecord>, StoreError> {
        let pool = self.pool.clone();
        let hash = hash.to_owned();
        self.run(async move {
            let c = get(&pool).await?;
            let st = c
                .prepare_cached(&format!(
                    "SELECT {API_KEY_COLUMNS} FROM api_keys WHERE hash = $1"
                ))
                .await?;
            c.query_opt(&st, &[&hash])
                .await?
                .as_ref()
                .map(api_key_of)
                .transpose()
        })
    }

    fn api_keys(&self) -> Result<Vec<ApiKeyRecord>, StoreError> {
        let pool = self.pool.clone();
        self.run(async move {
            let c = get(&pool).await?;
            let rows = c
                .query(
                    &format!("SELECT {API_KEY_COLUMNS} FROM api_keys ORDER BY created_at, hash"),
                    &[],
                )
                .await?;
            rows.iter().map(api_key_of).collect()
        })
    }

    fn delete_api_key(&self, hash: &str) -> Result<bool, StoreError> {
        let pool = self.pool.clone();
        let hash = hash.to_owned();
        self.run(async move {
            let mut c = get(&pool).await?;
            let tx = c.transaction().await?;
            let n = tx
                .execute("DELETE FROM api_keys WHERE hash = $1", &[&hash])
                .await?;
            if n > 0 {
                // Replicas drop their API-key caches on this.
                notify(&tx, "api_key").await?;
            }
            tx.commit().await?;
            Ok(n > 0)
        })
    }

    fn touch_api_key(&self, hash: &str, now: i64) -> Result<(), StoreError> {
        let pool = self.pool.clone();
        let hash = hash.to_owned();
        self.run(async move {
            let c = get(&pool).await?;
            c.execute(
                "UPDATE api_keys SET last_used_at = $2 WHERE hash = $1",
                &[&hash, &now],
            )
            .await?;
            Ok(())
        })
    }

    fn signing_keys(&self) -> Result<Vec<StoredSigningKey>, StoreError> {
        let pool = self.pool.clone();
        self.run(async move {
            let c = get(&pool).await?;
            let rows = c
                .query(
                    "SELECT k.kid, k.private_pem, k.public_key, k.created_at, k.delete_private_at,
                            (SELECT MAX(p.exp) FROM passports p WHERE p.key_id = k.kid)
                     FROM signing_keys k ORDER BY k.seq DESC",
                    &[],
                )
                .await?;
            rows.iter()
                .map(|r| {
                    let kid: String = r.try_get(0)?;
                    let public: Vec<u8> = r.try_get(2)?;
                    Ok(StoredSigningKey {
                        public_key: public.as_slice().try_into().map_err(|_| {
                            corrupt("signing_keys", "public_key", format!("key {kid}"))
                        })?,
                        kid: KeyId::new(kid)
                            .map_err(|e| corrupt("signing_keys", "kid", e.to_string()))?,
                        private_pem: r.try_get(1)?,
                        created_at: r.try_get(3)?,
                        delete_private_at: r.try_get(4)?,
                        last_passport_expiry: r.try_get(5)?,
                    })
                })
                .collect()
        })
    }

    fn add_signing_key(&self, key: &StoredSigningKey) -> Result<(), StoreError> {
        let pool = self.pool.clone();
        let key = key.clone();
        self.run(async move {
            let mut c = get(&pool).await?;
            let tx = c.transaction().await?;
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&LOCK_KEYS])
                .await?;
            insert_signing_key(&tx, &key).await?;
            tx.commit().await?;
            Ok(())
        })
    }

    fn retire_signing_key(&self, kid: &KeyId, delete_private_at: i64) -> Result<bool, StoreError> {
        let pool = self.pool.clone();
        let kid = kid.as_str().to_owned();
        self.run(async move {
            let mut c = get(&pool).await?;
            let tx = c.transaction().await?;
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&LOCK_KEYS])
                .await?;
            let n = tx
                .execute(
                    "UPDATE signing_keys SET delete_private_at = LEAST(COALESCE(delete_private_at, $2), $2)
                     WHERE kid = $1",
                    &[&kid, &delete_private_at],
                )
                .await?;
            if n > 0 {
                notify(&tx, "signing_key").await?;
            }
            tx.commit().await?;
            Ok(n > 0)
        })
    }

    fn delete_due_private_keys(&self, now: i64) -> Result<Vec<KeyId>, StoreError> {
        let pool = self.pool.clone();
        self.run(async move {
            let mut c = get(&pool).await?;
            let tx = c.transaction().await?;
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&LOCK_KEYS])
                .await?;
            let rows = tx
                .query(
                    "UPDATE signing_keys SET private_pem = NULL
                     WHERE delete_private_at IS NOT NULL AND delete_private_at <= $1
                       AND private_pem IS NOT NULL
                     RETURNING kid",
                    &[&now],
                )
                .await?;
            if !rows.is_empty() {
                notify(&tx, "signing_key").await?;
            }
            tx.commit().await?;
            if !rows.is_empty() {
                // Make the dead row versions holding the keys reusable now
                // (WAL archives and base backups keep them until they expire).
                let _ = c.batch_execute("VACUUM signing_keys").await;
            }
            rows.iter()
                .map(|r| {
                    KeyId::new(r.try_get::<_, String>(0)?)
                        .map_err(|e| corrupt("signing_keys", "kid", e.to_string()))
                })
                .collect()
        })
    }

    fn record_passport(
        &self,
        jti: &str,
        identity: &IdentityId,
        key_id: &KeyId,
        iat: i64,
        exp: i64,
    ) -> Result<(), StoreError> {
        let pool = self.pool.clone();
        let (jti, identity, key_id) = (
            jti.to_owned(),
            identity.as_str().to_owned(),
            key_id.as_str().to_owned(),
        );
        self.run(async move {
            let c = get(&pool).await?;
            let st = c
                .prepare_cached(
                    "INSERT INTO passports (jti, identity, key_id, iat, exp) VALUES ($1, $2, $3, $4, $5)",
                )
                .await?;
            c.execute(&st, &[&jti, &identity, &key_id, &iat, &exp])
                .await
                .map_err(conflict_on_unique(format!("passport {jti}")))?;
            Ok(())
        })
    }

    fn change_notifications(&self) -> Option<watch::Receiver<u64>> {
        Some(self.changes.clone())
    }

    fn attestations(self: Arc<Self>) -> Option<Arc<dyn AttestationStore>> {
        Some(self)
    }
}

/// Agent keys and attestations in the shared database (migration 2): every
/// replica reads them from the database on each request, so a key added or
/// an attestation stored through one is seen by all at once (nothing is
/// cached, so nothing needs a notification).
impl AttestationStore for PgStore {
    fn add_agent_key(
        &self,
        identity: &IdentityId,
        jwk: &Jwk,
        now: i64,
    ) -> Result<bool, AttestationStoreError> {
        let pool = self.pool.clone();
        let (who, kid, x) = (identity.clone(), jwk.kid.as_str().to_owned(), jwk_x(jwk));
        let jwk = jwk.clone();
        self.run(async move {
            let mut c = get(&pool).await?;
            let tx = c.transaction().await?;
            // Serialize additions, so the check and the count hold at insert.
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&LOCK_AGENT_KEYS])
                .await?;
            let existing: Option<String> = tx
                .query_opt(
                    "SELECT x FROM agent_keys WHERE identity = $1 AND kid = $2",
                    &[&who.as_str(), &kid],
                )
                .await?
                .map(|r| r.try_get(0))
                .transpose()?;
            let count: i64 = tx
                .query_one(
                    "SELECT COUNT(*) FROM agent_keys WHERE identity = $1",
                    &[&who.as_str()],
                )
                .await?
                .try_get(0)?;
            match decide_add(&who, &jwk, existing.as_deref(), count) {
                Ok(true) => {}
                other => return Ok(other),
            }
            tx.execute(
                "INSERT INTO agent_keys (identity, kid, x, added_at) VALUES ($1, $2, $3, $4)",
                &[&who.as_str(), &kid, &x, &now],
            )
            .await?;
            tx.commit().await?;
            Ok(Ok(true))
        })?
    }

    fn agent_keys(&self, identity: &IdentityId) -> Result<Jwks, AttestationStoreError> {
        let pool = self.pool.clone();
        let who = identity.as_str().to_owned();
        let rows = self.run(async move {
            let c = get(&pool).await?;
            let st = c
                .prepare_cached(
                    "SELECT kid, x FROM agent_keys WHERE identity = $1 ORDER BY added_at, kid",
                )
                .await?;
            c.query(&st, &[&who])
                .await?
                .iter()
                .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
                .collect::<Result<Vec<(String, String)>, StoreError>>()
        })?;
        jwks_of_rows(identity, rows)
    }

    fn insert(&self, a: &StoredAttestation) -> Result<bool, AttestationStoreError> {
        let pool = self.pool.clone();
        let a = a.clone();
        Ok(self.run(async move {
            let c = get(&pool).await?;
            let st = c
                .prepare_cached(
                    "INSERT INTO attestations
                     (id, doc_hash, identity, agent_kid, declared_at, received_at, envelope)
                     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING",
                )
                .await?;
            let n = c
                .execute(
                    &st,
                    &[
                        &a.id,
                        &a.doc_hash,
                        &a.identity,
                        &a.agent_kid,
                        &a.declared_at,
                        &a.received_at,
                        &a.envelope,
                    ],
                )
                .await?;
            Ok(n == 1)
        })?)
    }

    fn for_run(&self, doc_hash: &str) -> Result<Vec<StoredAttestation>, AttestationStoreError> {
        let pool = self.pool.clone();
        let doc_hash = doc_hash.to_owned();
        let limit = i64::try_from(MAX_LISTED).unwrap_or(i64::MAX);
        Ok(self.run(async move {
            let c = get(&pool).await?;
            let st = c
                .prepare_cached(
                    "SELECT id, doc_hash, identity, agent_kid, declared_at, received_at, envelope
                     FROM attestations WHERE doc_hash = $1
                     ORDER BY received_at DESC, id LIMIT $2",
                )
                .await?;
            c.query(&st, &[&doc_hash, &limit])
                .await?
                .iter()
                .map(|r| {
                    Ok(StoredAttestation {
                        id: r.try_get(0)?,
                        doc_hash: r.try_get(1)?,
                        identity: r.try_get(2)?,
                        agent_kid: r.try_get(3)?,
                        declared_at: r.try_get(4)?,
                        received_at: r.try_get(5)?,
                        envelope: r.try_get(6)?,
                    })
                })
                .collect()
        })?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_urls() {
        for ok in [
            "postgres://app@db.internal:5433/registry",
            "postgresql://app@127.0.0.1/registry",
            "postgres://app:secret@[::1]:5432/registry",
        ] {
            let cfg = parse_database_url(ok).unwrap();
            assert!(!describe(&cfg).contains("secret"), "{ok}");
        }
        assert_eq!(
            describe(&parse_database_url("postgres://app:pw@db:5433/reg").unwrap()),
            "postgres://app@db:5433/reg"
        );
        for (bad, why) in [
            ("mysql://app@db/registry", "expected postgres://"),
            ("host=db user=app", "expected postgres://"),
            ("postgres://db:5432/registry", "no user"),
            (
                "postgres://app:pw@db:notaport/registry",
                "invalid connection string",
            ),
            (
                "postgres://app@db/registry?nonsense=1",
                "invalid connection string",
            ),
        ] {
            let e = parse_database_url(bad).unwrap_err().to_string();
            assert!(e.contains(why), "{bad}: {e}");
            assert!(
                !e.contains("pw@"),
                "{bad}: the error repeats the password: {e}"
            );
        }
    }
}

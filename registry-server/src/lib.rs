#![doc = include_str!("../README.md")]
// Errors are values here: no unwrap, expect, panic!, unreachable!, todo! or
// unimplemented! outside tests.
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::unreachable,
        clippy::todo,
        clippy::unimplemented
    )
)]

pub mod admin;
pub mod app;
pub mod attestations;
pub mod conn;
pub mod ids;
pub mod mcp;
pub mod pg;
pub mod ratelimit;
pub mod store;
pub mod sys;

use app::{AppState, RevocationSet};
use attestations::{AttestationStore, AttestationStoreError, SqliteAttestations};
use pg::PgStore;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;
use store::{SqliteOptions, SqliteStore, Store, StoreError};

pub use conn::ConnLimits;
pub use ratelimit::{IpNet, RateLimits};

/// The database file inside the data directory.
pub const DB_FILE: &str = "registry.sqlite3";

/// Errors starting or administering the registry.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServerError {
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Socket or filesystem error.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The error.
        source: std::io::Error,
    },
    /// A stored key or a key operation is invalid.
    #[error("issuer key: {0}")]
    Key(String),
    /// The configuration is invalid.
    #[error("configuration: {0}")]
    Config(String),
    /// The random number generator failed.
    #[error(transparent)]
    Random(#[from] ids::RandomError),
    /// The agent-key and attestation store failed or refused a change.
    #[error(transparent)]
    Attestations(#[from] AttestationStoreError),
}

fn io_err(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> ServerError {
    let context = context.into();
    move |source| ServerError::Io { context, source }
}

/// Opens the data directory with the admin CLI's store options (see
/// [`open_data_dir_with`]).
pub fn open_data_dir(dir: &Path) -> Result<Arc<SqliteStore>, ServerError> {
    open_data_dir_with(dir, SqliteOptions::default())
}

/// Opens the data directory: creates it when missing; makes the directory
/// 0700 and every file in it 0600 whatever they were (reporting each mode
/// it tightens on standard error); opens the SQLite database (WAL) under
/// umask 077 so that the database, `-wal` and `-shm` files are never
/// readable by others, not even for an instant; creates a first Ed25519
/// issuer key when there is none; and deletes the private part of retired
/// keys whose grace period has passed.
pub fn open_data_dir_with(
    dir: &Path,
    opts: SqliteOptions,
) -> Result<Arc<SqliteStore>, ServerError> {
    sys::secure_data_dir(dir)?;
    let db = dir.join(DB_FILE);
    let store = sys::with_private_umask(|| SqliteStore::open_with(&db, opts))?;
    // The -wal and -shm files exist now: make sure of their modes too.
    sys::secure_data_dir(dir)?;
    if store.signing_keys()?.is_empty() {
        admin::rotate_key(&store, None)?;
    }
    admin::delete_due_private_keys(&store)?;
    Ok(Arc::new(store))
}

/// Connects to a PostgreSQL database (`postgres://USER@HOST:PORT/DB`),
/// applies pending migrations, and creates a first Ed25519 issuer key when
/// the database has none (once, even when replicas start together).
pub fn open_database(url: &str) -> Result<Arc<PgStore>, ServerError> {
    let store = PgStore::connect(url)?;
    if store.signing_keys()?.is_empty() {
        store.add_first_signing_key(&admin::generate_key()?)?;
    }
    Ok(Arc::new(store))
}

/// Where a registry keeps its state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreLocation {
    /// An SQLite data directory (the default; see [`open_data_dir`]).
    DataDir(PathBuf),
    /// A PostgreSQL URL shared by replicas (see [`open_database`]).
    Postgres(String),
}

/// Opens the store at `location` (creating it and a first key if needed).
pub fn open_store(location: &StoreLocation) -> Result<Arc<dyn Store>, ServerError> {
    Ok(match location {
        StoreLocation::DataDir(dir) => open_data_dir(dir)?,
        StoreLocation::Postgres(url) => open_database(url)?,
    })
}

/// Opens where the registry at `location` keeps agent keys and
/// attestations, given its opened `store`: the store's own database when it
/// keeps them (PostgreSQL, shared by replicas), otherwise
/// `attestations.sqlite3` in the data directory (created if needed; a lock
/// held longer than `busy_timeout` is [`store::StoreError::Busy`]).
pub fn open_attestations(
    location: &StoreLocation,
    store: &Arc<dyn Store>,
    busy_timeout: Duration,
) -> Result<Arc<dyn AttestationStore>, ServerError> {
    if let Some(shared) = Arc::clone(store).attestations() {
        return Ok(shared);
    }
    match location {
        StoreLocation::DataDir(dir) => {
            Ok(Arc::new(SqliteAttestations::open_in(dir, busy_timeout)?))
        }
        StoreLocation::Postgres(_) => Err(ServerError::Config(
            "the PostgreSQL store did not provide an attestation store".into(),
        )),
    }
}

/// Parses a duration: a whole number with a unit `ms`, `s`, `m`, `h` or
/// `d` (`500ms`, `10s`, `7d`); a bare number is seconds.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u64 = num
        .parse()
        .map_err(|_| format!("{s:?} is not a duration (e.g. 500ms, 10s, 5m, 12h, 7d)"))?;
    let ms = match unit {
        "ms" => Some(n),
        "" | "s" => n.checked_mul(1000),
        "m" => n.checked_mul(60_000),
        "h" => n.checked_mul(3_600_000),
        "d" => n.checked_mul(86_400_000),
        _ => None,
    }
    .filter(|ms| *ms <= 100 * 365 * 86_400_000)
    .ok_or_else(|| {
        format!("{s:?} is not a duration (e.g. 500ms, 10s, 5m, 12h, 7d; at most 100 years)")
    })?;
    Ok(Duration::from_millis(ms))
}

/// Server settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerConfig {
    /// The data directory (created on first start); ignored when
    /// `database` is set.
    pub data_dir: PathBuf,
    /// A PostgreSQL URL to use instead of the data directory.
    pub database: Option<String>,
    /// The issuer URL (`iss`); default `http://<listen address>`.
    pub issuer: Option<String>,
    /// Published rate limits.
    pub rate_limits: RateLimits,
    /// Connection limits and timeouts.
    pub limits: ConnLimits,
    /// How long a graceful shutdown waits for in-flight requests before
    /// closing the remaining connections. Default 10 s.
    pub shutdown_timeout: Duration,
    /// How long a write waits for another process's lock on the database
    /// before the request is answered 503. Default 2 s.
    pub db_busy_timeout: Duration,
    /// Read connections to the database. Default 4.
    pub db_readers: usize,
    /// How often the store is polled for revocations and key changes made
    /// by other processes (admin CLI, other replicas). Default 1 s.
    pub revocation_poll: Duration,
    /// `max_age_secs` published with the revocation list. Default 600.
    pub revocation_max_age_secs: u64,
}

impl ServerConfig {
    /// Defaults for a PostgreSQL database (`postgres://USER@HOST:PORT/DB`).
    pub fn postgres(url: impl Into<String>) -> ServerConfig {
        ServerConfig {
            database: Some(url.into()),
            ..ServerConfig::new("")
        }
    }

    /// Where this configuration keeps the registry's state.
    pub fn location(&self) -> StoreLocation {
        match &self.database {
            Some(url) => StoreLocation::Postgres(url.clone()),
            None => StoreLocation::DataDir(self.data_dir.clone()),
        }
    }

    /// Defaults for a data directory.
    pub fn new(data_dir: impl Into<PathBuf>) -> ServerConfig {
        ServerConfig {
            data_dir: data_dir.into(),
            database: None,
            issuer: None,
            rate_limits: RateLimits::default(),
            limits: ConnLimits::default(),
            shutdown_timeout: Duration::from_secs(10),
            db_busy_timeout: Duration::from_secs(2),
            db_readers: 4,
            revocation_poll: Duration::from_secs(1),
            revocation_max_age_secs: 600,
        }
    }

    /// Applies one command-line option of `registry-server` /
    /// `aiid registry serve` (`--header-read-timeout 10s`, …). Returns
    /// `Ok(false)` for a flag it does not know.
    pub fn set_option(&mut self, flag: &str, value: &str) -> Result<bool, String> {
        let dur = || parse_duration(value).map_err(|e| format!("{flag}: {e}"));
        let num = || {
            value
                .parse::<usize>()
                .map_err(|e| format!("{flag}: {value:?}: {e}"))
        };
        let per_min = || {
            value
                .parse::<u32>()
                .map_err(|e| format!("{flag}: {value:?}: {e}"))
        };
        match flag {
            "--issuer" => self.issuer = Some(value.to_owned()),
            "--rate-limit-unauthenticated" => self.rate_limits.unauthenticated_per_min = per_min()?,
            "--rate-limit-verify" => self.rate_limits.verify_per_min = per_min()?,
            "--rate-limit-whois" => self.rate_limits.whois_per_min = per_min()?,
            "--header-read-timeout" => self.limits.header_read_timeout = dur()?,
            "--body-read-timeout" => self.limits.body_read_timeout = dur()?,
            "--idle-timeout" => self.limits.idle_timeout = dur()?,
            "--max-connections" => self.limits.max_connections = num()?,
            "--max-connections-per-ip" => self.limits.max_connections_per_ip = num()?,
            "--max-header-bytes" => self.limits.max_header_bytes = num()?,
            "--trusted-proxy" => self
                .limits
                .trusted_proxies
                .push(value.parse().map_err(|e| format!("{flag}: {e}"))?),
            "--shutdown-timeout" => self.shutdown_timeout = dur()?,
            "--db-busy-timeout" => self.db_busy_timeout = dur()?,
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// Checks the settings.
    pub fn validate(&self) -> Result<(), ServerError> {
        let l = &self.limits;
        let bad = |m: &str| Err(ServerError::Config(m.to_owned()));
        if l.max_header_bytes < 8192 || l.max_header_bytes > 1024 * 1024 {
            return bad("the request head limit must be 8192 to 1048576 bytes");
        }
        if l.max_connections == 0 || l.max_connections_per_ip == 0 {
            return bad("connection limits must be at least 1");
        }
        for (name, d) in [
            ("header read timeout", l.header_read_timeout),
            ("body read timeout", l.body_read_timeout),
            ("idle timeout", l.idle_timeout),
            ("revocation poll interval", self.revocation_poll),
        ] {
            if d.is_zero() {
                return Err(ServerError::Config(format!("the {name} must be above 0")));
            }
        }
        if self.db_readers == 0 || self.db_readers > 64 {
            return bad("database read connections must be 1 to 64");
        }
        Ok(())
    }
}

/// File descriptors kept free below the open-file limit for the database,
/// the listener and the runtime.
const FD_RESERVE: u64 = 64;

/// Raises the soft open-file limit and returns the connection cap that
/// fits under it (reporting on standard error when the configured cap had
/// to be lowered).
fn effective_max_connections(configured: usize, db_readers: usize) -> usize {
    let Some(soft) = sys::raise_nofile_limit() else {
        return configured;
    };
    let room = soft
        .saturating_sub(FD_RESERVE + 3 * (db_readers as u64 + 1))
        .max(1);
    let fits = usize::try_from(room).unwrap_or(usize::MAX);
    if configured > fits {
        eprintln!(
            "aiid registry: open-file limit is {soft}: lowering the connection cap from {configured} to {fits}"
        );
        fits
    } else {
        configured
    }
}

/// Builds the shared state from a store and its attestation store (see
/// [`open_attestations`]).
pub fn build_state(
    store: Arc<dyn Store>,
    attestations: Arc<dyn AttestationStore>,
    issuer_url: &str,
    cfg: &ServerConfig,
) -> Result<Arc<AppState>, ServerError> {
    let issuer_url = issuer_url.trim_end_matches('/').to_owned();
    let revocations = Arc::new(RevocationSet::default());
    revocations.load(store.revocations()?);
    let keys = app::build_key_state(
        &store.signing_keys()?,
        &revocations.snapshot(),
        app::now_secs(),
        &issuer_url,
        revocations.clone(),
    )?;
    if keys.issuer.is_none() {
        eprintln!(
            "aiid registry: warning: no usable signing key (all revoked); /api/v1/issue answers 503 until `admin key rotate`"
        );
    }
    Ok(Arc::new(AppState {
        store,
        issuer_url,
        keys: RwLock::new(Arc::new(keys)),
        revocations,
        limiter: ratelimit::RateLimiter::new(cfg.rate_limits),
        touched: Mutex::new(Default::default()),
        revocation_max_age_secs: cfg.revocation_max_age_secs,
        body_read_timeout: cfg.limits.body_read_timeout,
        trusted_proxies: cfg.limits.trusted_proxies.clone(),
        attestations,
    }))
}

/// A server running on the current tokio runtime.
#[derive(Debug)]
pub struct RunningServer {
    addr: SocketAddr,
    issuer: String,
    stop: tokio::sync::watch::Sender<bool>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
    poller: tokio::task::JoinHandle<()>,
}

impl RunningServer {
    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://<addr>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The issuer URL (`iss` of issued passports).
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// Stops accepting connections, lets in-flight requests finish (up to
    /// the configured shutdown timeout, after which the remaining
    /// connections are closed), returns.
    pub async fn shutdown(mut self) -> Result<(), ServerError> {
        let _ = self.stop.send(true);
        self.poller.abort();
        match (&mut self.task).await {
            Ok(r) => r.map_err(io_err("serving")),
            Err(e) => Err(ServerError::Config(format!("server task failed: {e}"))),
        }
    }

    /// Waits until the server stops (it only stops through [`RunningServer::shutdown`]
    /// or an I/O error).
    pub async fn wait(mut self) -> Result<(), ServerError> {
        match (&mut self.task).await {
            Ok(r) => r.map_err(io_err("serving")),
            Err(e) => Err(ServerError::Config(format!("server task failed: {e}"))),
        }
    }
}

/// Starts the registry on an already bound listener (bind port 0 for tests).
pub async fn start(
    listener: tokio::net::TcpListener,
    cfg: ServerConfig,
) -> Result<RunningServer, ServerError> {
    cfg.validate()?;
    let addr = listener.local_addr().map_err(io_err("local address"))?;
    let opts = SqliteOptions {
        readers: cfg.db_readers,
        busy_timeout: cfg.db_busy_timeout,
    };
    let issuer = cfg
        .issuer
        .clone()
        .unwrap_or_else(|| format!("http://{addr}"));
    // Opening a store and reading its keys block (and PostgreSQL's store
    // runs its own runtime): keep that off the async workers.
    let (c2, i2) = (cfg.clone(), issuer.clone());
    let state = tokio::task::spawn_blocking(move || {
        let location = c2.location();
        let store: Arc<dyn Store> = match &location {
            StoreLocation::DataDir(dir) => open_data_dir_with(dir, opts)?,
            StoreLocation::Postgres(url) => open_database(url)?,
        };
        let attestations = open_attestations(&location, &store, c2.db_busy_timeout)?;
        build_state(store, attestations, &i2, &c2)
    })
    .await
    .map_err(|e| ServerError::Config(format!("startup task failed: {e}")))??;
    let mut limits = cfg.limits.clone();
    limits.max_connections = effective_max_connections(limits.max_connections, cfg.db_readers);
    let router = app::router(state.clone());
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let task = tokio::spawn(conn::serve(
        listener,
        router,
        Arc::new(limits),
        stop_rx,
        cfg.shutdown_timeout,
    ));
    let poller = tokio::spawn(watch_store(state.clone(), cfg.revocation_poll));
    Ok(RunningServer {
        addr,
        issuer: state.issuer_url.clone(),
        stop: stop_tx,
        task,
        poller,
    })
}

/// Keeps the server in step with changes other processes (admin CLI, other
/// replicas) make to the store: reloads the revocations when the store's
/// sequence moved and the issuer keys when they changed, on every change
/// notification (PostgreSQL `LISTEN/NOTIFY`: immediate) and at least every
/// `every` (the fallback when notifications are missing, lost or not
/// supported).
async fn watch_store(state: Arc<AppState>, every: Duration) {
    let mut changes = state.store.change_notifications();
    loop {
        match changes.as_mut() {
            Some(rx) => tokio::select! {
                () = tokio::time::sleep(every) => {}
                r = rx.changed() => {
                    if r.is_err() {
                        changes = None;
                    }
                }
            },
            None => tokio::time::sleep(every).await,
        }
        let st = state.clone();
        let r = tokio::task::spawn_blocking(move || -> Result<(), ServerError> {
            if st.store.revocation_seq()? != st.revocations.snapshot().seq {
                st.reload_revocations()?;
            }
            if st.refresh_keys()? {
                eprintln!(
                    "aiid registry: issuer keys changed; now publishing {:?}",
                    st.key_state().fingerprint
                );
            }
            Ok(())
        })
        .await;
        if let Ok(Err(e)) = r {
            eprintln!("aiid registry: polling the store: {e}");
        }
    }
}

/// Waits for SIGINT or SIGTERM (SIGINT only off Unix).
#[cfg(unix)]
struct Signals {
    term: tokio::signal::unix::Signal,
    int: tokio::signal::unix::Signal,
}

#[cfg(unix)]
impl Signals {
    fn install() -> Result<Signals, ServerError> {
        use tokio::signal::unix::{signal, SignalKind};
        Ok(Signals {
            term: signal(SignalKind::terminate()).map_err(io_err("installing SIGTERM handler"))?,
            int: signal(SignalKind::interrupt()).map_err(io_err("installing SIGINT handler"))?,
        })
    }
    async fn next(&mut self) {
        tokio::select! {
            _ = self.term.recv() => {}
            _ = self.int.recv() => {}
        }
    }
}

#[cfg(not(unix))]
struct Signals;

#[cfg(not(unix))]
impl Signals {
    fn install() -> Result<Signals, ServerError> {
        Ok(Signals)
    }
    async fn next(&mut self) {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Runs the registry until SIGINT or SIGTERM on a fresh multi-threaded
/// runtime (what `aiid registry serve` does). `ready` is called once the
/// socket is bound, with the server's URL. The first signal starts a
/// graceful shutdown bounded by the configured shutdown timeout; a second
/// signal returns at once.
pub fn serve_blocking(
    listen: SocketAddr,
    cfg: ServerConfig,
    ready: impl FnOnce(&str, &str),
) -> Result<(), ServerError> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(io_err("starting the runtime"))?;
    let deadline = cfg.shutdown_timeout;
    let r = rt.block_on(async move {
        let mut signals = Signals::install()?;
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .map_err(io_err(format!("binding {listen}")))?;
        let server = start(listener, cfg).await?;
        ready(&server.url(), server.issuer());
        signals.next().await;
        eprintln!(
            "aiid registry: shutting down: no new connections, in-flight requests get up to {} s; signal again to exit at once",
            deadline.as_secs_f64()
        );
        tokio::select! {
            r = server.shutdown() => r,
            () = signals.next() => {
                eprintln!("aiid registry: second signal: exiting now");
                Ok(())
            }
        }
    });
    // Do not wait for blocking tasks (a store call in progress is either
    // committed or not; nothing acknowledged depends on it).
    rt.shutdown_background();
    r
}

/// A registry serving from its own thread and runtime, for synchronous
/// callers (tests, embedding in blocking programs). Stops when dropped.
#[derive(Debug)]
pub struct BackgroundServer {
    url: String,
    issuer: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<Result<(), ServerError>>>,
}

impl BackgroundServer {
    /// Binds `listen` (port 0 allowed) and starts serving in a new thread.
    pub fn spawn(listen: SocketAddr, cfg: ServerConfig) -> Result<BackgroundServer, ServerError> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(io_err("starting the runtime"))?;
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("aiid-registry-server".into())
            .spawn(move || {
                rt.block_on(async move {
                    let started = async {
                        let l = tokio::net::TcpListener::bind(listen)
                            .await
                            .map_err(io_err(format!("binding {listen}")))?;
                        start(l, cfg).await
                    }
                    .await;
                    let server = match started {
                        Ok(s) => {
                            let _ = ready_tx.send(Ok((s.url(), s.issuer().to_owned())));
                            s
                        }
                        Err(e) => {
                            let _ = ready_tx.send(Err(e));
                            return Ok(());
                        }
                    };
                    let _ = stop_rx.await;
                    server.shutdown().await
                })
            })
            .map_err(io_err("starting the server thread"))?;
        match ready_rx.recv() {
            Ok(Ok((url, issuer))) => Ok(BackgroundServer {
                url,
                issuer,
                stop: Some(stop_tx),
                thread: Some(thread),
            }),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(ServerError::Config("the server thread exited".into())),
        }
    }

    /// `http://<addr>`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The issuer URL.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// Stops the server and waits for its thread.
    pub fn stop(mut self) -> Result<(), ServerError> {
        self.stop_inner()
    }

    fn stop_inner(&mut self) -> Result<(), ServerError> {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        match self.thread.take().map(std::thread::JoinHandle::join) {
            Some(Ok(r)) => r,
            Some(Err(_)) => Err(ServerError::Config("the server thread panicked".into())),
            None => Ok(()),
        }
    }
}

impl Drop for BackgroundServer {
    fn drop(&mut self) {
        let _ = self.stop_inner();
    }
}

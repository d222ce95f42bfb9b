#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod admin;
pub mod app;
pub mod attestations;
pub mod ids;
pub mod mcp;
pub mod ratelimit;
pub mod store;

use app::{AppState, RevocationSet, DEFAULT_AUDIENCE};
use passport::{signing_key_from_pem, Issuer, Jwk, Jwks, Policy, Url, Verifier};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use store::{SqliteStore, Store, StoreError};

pub use ratelimit::RateLimits;

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
}

fn io_err(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> ServerError {
    let context = context.into();
    move |source| ServerError::Io { context, source }
}

/// Opens the data directory, creating it (mode 0700), the SQLite database
/// (mode 0600, WAL) and a first Ed25519 issuer key when missing.
pub fn open_data_dir(dir: &Path) -> Result<Arc<SqliteStore>, ServerError> {
    if !dir.exists() {
        std::fs::create_dir_all(dir).map_err(io_err(format!("creating {}", dir.display())))?;
        set_mode(dir, 0o700)?;
    }
    let db = dir.join(DB_FILE);
    let store = SqliteStore::open(&db)?;
    set_mode(&db, 0o600)?;
    if store.signing_keys()?.is_empty() {
        admin::rotate_key(&store)?;
    }
    Ok(Arc::new(store))
}

#[cfg(unix)]
fn set_mode(p: &Path, mode: u32) -> Result<(), ServerError> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode))
        .map_err(io_err(format!("setting permissions of {}", p.display())))
}

#[cfg(not(unix))]
fn set_mode(_: &Path, _: u32) -> Result<(), ServerError> {
    Ok(())
}

/// Server settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerConfig {
    /// The data directory (created on first start).
    pub data_dir: PathBuf,
    /// The issuer URL (`iss`); default `http://<listen address>`.
    pub issuer: Option<String>,
    /// Published rate limits.
    pub rate_limits: RateLimits,
    /// How often the store is polled for revocations made by other
    /// processes (admin CLI, other replicas). Default 1 s.
    pub revocation_poll: Duration,
    /// `max_age_secs` published with the revocation list. Default 600.
    pub revocation_max_age_secs: u64,
}

impl ServerConfig {
    /// Defaults for a data directory.
    pub fn new(data_dir: impl Into<PathBuf>) -> ServerConfig {
        ServerConfig {
            data_dir: data_dir.into(),
            issuer: None,
            rate_limits: RateLimits::default(),
            revocation_poll: Duration::from_secs(1),
            revocation_max_age_secs: 600,
        }
    }
}

/// Builds the shared state from a store: current key signs, current and
/// previous keys are published and accepted.
pub fn build_state(
    store: Arc<dyn Store>,
    issuer_url: &str,
    cfg: &ServerConfig,
) -> Result<Arc<AppState>, ServerError> {
    let issuer_url = issuer_url.trim_end_matches('/').to_owned();
    let iss = Url::new(issuer_url.clone())
        .map_err(|e| ServerError::Config(format!("issuer URL: {e}")))?;
    let keys = store.signing_keys()?;
    let current = keys
        .first()
        .ok_or_else(|| ServerError::Key("the data directory has no signing key".into()))?;
    let sk =
        signing_key_from_pem(&current.private_pem).map_err(|e| ServerError::Key(e.to_string()))?;
    let issuer =
        Issuer::new(&sk, current.kid.clone(), iss).map_err(|e| ServerError::Key(e.to_string()))?;
    let mut jwks = Jwks::new();
    for k in keys.iter().take(2) {
        let sk =
            signing_key_from_pem(&k.private_pem).map_err(|e| ServerError::Key(e.to_string()))?;
        jwks.push(Jwk::new(k.kid.clone(), sk.verifying_key()))
            .map_err(|e| ServerError::Key(e.to_string()))?;
    }
    let jwks_body = jwks.to_json().to_string().into_bytes();
    let revocations = Arc::new(RevocationSet::default());
    revocations.load(store.revocations()?);
    let verifier = Verifier::new(
        Policy::new(issuer_url.clone(), DEFAULT_AUDIENCE),
        jwks.clone(),
    )
    .with_revocation(revocations.clone());
    Ok(Arc::new(AppState {
        store,
        issuer_url,
        issuer,
        jwks,
        jwks_body,
        verifier,
        revocations,
        limiter: ratelimit::RateLimiter::new(cfg.rate_limits),
        api_keys: Mutex::new(Default::default()),
        revocation_max_age_secs: cfg.revocation_max_age_secs,
        attestations: Arc::new(
            attestations::AttestationStore::open_in(&cfg.data_dir)
                .map_err(|e| ServerError::Config(e.to_string()))?,
        ),
    }))
}

/// A server running on the current tokio runtime.
#[derive(Debug)]
pub struct RunningServer {
    addr: SocketAddr,
    issuer: String,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
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

    /// Stops accepting connections, finishes in-flight requests, returns.
    pub async fn shutdown(mut self) -> Result<(), ServerError> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
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
    let addr = listener.local_addr().map_err(io_err("local address"))?;
    let dir = cfg.data_dir.clone();
    let store = tokio::task::spawn_blocking(move || open_data_dir(&dir))
        .await
        .map_err(|e| ServerError::Config(format!("startup task failed: {e}")))??;
    let issuer = cfg
        .issuer
        .clone()
        .unwrap_or_else(|| format!("http://{addr}"));
    let state = build_state(store, &issuer, &cfg)?;
    let app = app::router(state.clone()).into_make_service_with_connect_info::<SocketAddr>();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = rx.await;
            })
            .await
    });
    let poll_state = state.clone();
    let every = cfg.revocation_poll;
    let poller = tokio::spawn(async move {
        loop {
            tokio::time::sleep(every).await;
            let st = poll_state.clone();
            let _ = tokio::task::spawn_blocking(move || -> Result<(), StoreError> {
                if st.store.revocation_seq()? != st.revocations.snapshot().seq {
                    st.reload_revocations()?;
                }
                Ok(())
            })
            .await;
        }
    });
    Ok(RunningServer {
        addr,
        issuer: state.issuer_url.clone(),
        shutdown: Some(tx),
        task,
        poller,
    })
}

/// Runs the registry until SIGINT or SIGTERM on a fresh multi-threaded
/// runtime (what `aiid registry serve` does). `ready` is called once the
/// socket is bound, with the server's URL.
pub fn serve_blocking(
    listen: SocketAddr,
    cfg: ServerConfig,
    ready: impl FnOnce(&str, &str),
) -> Result<(), ServerError> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(io_err("starting the runtime"))?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .map_err(io_err(format!("binding {listen}")))?;
        let server = start(listener, cfg).await?;
        ready(&server.url(), server.issuer());
        let stop = async {
            #[cfg(unix)]
            {
                let mut term =
                    tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                        .map_err(io_err("installing SIGTERM handler"))?;
                tokio::select! {
                    r = tokio::signal::ctrl_c() => r.map_err(io_err("waiting for SIGINT")),
                    _ = term.recv() => Ok(()),
                }
            }
            #[cfg(not(unix))]
            {
                tokio::signal::ctrl_c()
                    .await
                    .map_err(io_err("waiting for SIGINT"))
            }
        };
        stop.await?;
        server.shutdown().await
    })
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

//! Caches that plug the registry into the passport verifier: a JWKS cache
//! implementing [`passport::KeySource`] and a revocation-list cache
//! implementing [`passport::RevocationSource`].
//!
//! Both fetch only from the client's configured base URL (never from a
//! location named by a token), through the blocking client's worker, so they
//! work from plain code and from inside an async runtime alike. A fetch
//! blocks the calling thread for at most the client's worst-case duration;
//! async code that wants no blocking at all calls `refresh().await` ahead of
//! time so that lookups are served from memory.

use crate::blocking::BlockingClient;
use crate::error::ClientError;
use passport::{
    Jwks, KeyId, RevocationList, RevocationQuery, RevocationSource, SourceError, VerifyingKey,
};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

#[derive(Debug, Default)]
struct Shared<S> {
    state: Mutex<S>,
    fetch_lock: Mutex<()>,
    fetches: AtomicU64,
}

/// JWKS cache settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JwksCacheConfig {
    /// How long fetched keys are fresh (default 5 min).
    pub ttl: Duration,
    /// A `kid` not in the cache triggers a refresh at most this often
    /// (default 60 s), so unknown-kid tokens cannot hammer the registry.
    pub unknown_kid_min_interval: Duration,
    /// After a failed fetch, wait this long before trying again (default 10 s).
    pub failure_backoff: Duration,
    /// Keep serving the last good keys when the registry is unreachable
    /// (default true) …
    pub serve_stale: bool,
    /// … for at most this long past their TTL (default 24 h).
    pub max_stale: Duration,
}

impl Default for JwksCacheConfig {
    fn default() -> Self {
        JwksCacheConfig {
            ttl: Duration::from_secs(300),
            unknown_kid_min_interval: Duration::from_secs(60),
            failure_backoff: Duration::from_secs(10),
            serve_stale: true,
            max_stale: Duration::from_secs(24 * 3600),
        }
    }
}

#[derive(Debug, Default)]
struct JwksState {
    keys: Option<Arc<Jwks>>,
    fetched_at: Option<Instant>,
    last_failure: Option<(Instant, ClientError)>,
    last_unknown_refresh: Option<Instant>,
}

/// A JWKS cache over `GET /.well-known/jwks.json`; implements
/// [`passport::KeySource`].
///
/// Cheap to clone: clones share the cached data (hand one to a
/// [`passport::Verifier`] and keep another).
#[derive(Debug, Clone)]
pub struct JwksCache {
    client: BlockingClient,
    cfg: JwksCacheConfig,
    shared: Arc<Shared<JwksState>>,
}

impl JwksCache {
    /// An empty cache fetching through `client`.
    pub fn new(client: BlockingClient, cfg: JwksCacheConfig) -> JwksCache {
        JwksCache {
            client,
            cfg,
            shared: Arc::default(),
        }
    }

    /// How many fetches were attempted (for tests and metrics).
    pub fn fetch_count(&self) -> u64 {
        self.shared.fetches.load(Ordering::Relaxed)
    }

    /// The keys currently held, fresh or not.
    pub fn current(&self) -> Option<Arc<Jwks>> {
        lock(&self.shared.state).keys.clone()
    }

    fn store(&self, r: Result<Jwks, ClientError>) -> Result<Arc<Jwks>, ClientError> {
        let mut st = lock(&self.shared.state);
        match r {
            Ok(j) => {
                let j = Arc::new(j);
                st.keys = Some(j.clone());
                st.fetched_at = Some(Instant::now());
                st.last_failure = None;
                Ok(j)
            }
            Err(e) => {
                st.last_failure = Some((Instant::now(), e.clone()));
                Err(e)
            }
        }
    }

    /// Fetches the JWKS now (blocking), replacing the cached keys on success.
    pub fn refresh_blocking(&self) -> Result<Arc<Jwks>, ClientError> {
        let _g = lock(&self.shared.fetch_lock);
        self.shared.fetches.fetch_add(1, Ordering::Relaxed);
        let r = self.client.jwks();
        self.store(r)
    }

    /// Fetches the JWKS now from async code.
    pub async fn refresh(&self) -> Result<Arc<Jwks>, ClientError> {
        self.shared.fetches.fetch_add(1, Ordering::Relaxed);
        let r = self
            .client
            .go_async(|c| async move { c.jwks().await })
            .await;
        self.store(r)
    }

    /// Keys to look in: fresh ones, or a refresh, or stale ones when allowed.
    fn usable(&self) -> Result<Arc<Jwks>, SourceError> {
        let now = Instant::now();
        let (keys, fresh, backoff) = {
            let st = lock(&self.shared.state);
            let fresh = st
                .fetched_at
                .is_some_and(|t| now.duration_since(t) < self.cfg.ttl);
            let backoff = st
                .last_failure
                .as_ref()
                .filter(|(t, _)| now.duration_since(*t) < self.cfg.failure_backoff)
                .map(|(_, e)| e.clone());
            (st.keys.clone(), fresh, backoff)
        };
        if let (Some(k), true) = (&keys, fresh) {
            return Ok(k.clone());
        }
        let err = match backoff {
            Some(e) => e,
            None => match self.refresh_blocking() {
                Ok(k) => return Ok(k),
                Err(e) => e,
            },
        };
        let st = lock(&self.shared.state);
        match (&st.keys, st.fetched_at) {
            (Some(k), Some(t))
                if self.cfg.serve_stale
                    && now.duration_since(t) < self.cfg.ttl + self.cfg.max_stale =>
            {
                Ok(k.clone())
            }
            _ => Err(SourceError::caused_by(
                format!("registry JWKS unavailable: {err}"),
                err,
            )),
        }
    }
}

impl passport::KeySource for JwksCache {
    fn key(&self, kid: &KeyId) -> Result<Option<VerifyingKey>, SourceError> {
        let keys = self.usable()?;
        if let Some(j) = keys.get(kid.as_str()) {
            return Ok(Some(j.key));
        }
        let due = {
            let mut st = lock(&self.shared.state);
            let now = Instant::now();
            let due = st
                .last_unknown_refresh
                .is_none_or(|t| now.duration_since(t) >= self.cfg.unknown_kid_min_interval);
            if due {
                st.last_unknown_refresh = Some(now);
            }
            due
        };
        if due {
            if let Ok(k) = self.refresh_blocking() {
                return Ok(k.get(kid.as_str()).map(|j| j.key));
            }
        }
        Ok(None)
    }
}

/// Revocation cache settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevocationCacheConfig {
    /// Refetch the list when it is older than this (default 60 s).
    pub refresh_interval: Duration,
    /// Refuse to answer (verification fails closed) when the newest list
    /// held is older than this (default 10 min).
    pub max_age: Duration,
    /// After a failed fetch, wait this long before trying again (default 5 s).
    pub failure_backoff: Duration,
}

impl Default for RevocationCacheConfig {
    fn default() -> Self {
        RevocationCacheConfig {
            refresh_interval: Duration::from_secs(60),
            max_age: Duration::from_secs(600),
            failure_backoff: Duration::from_secs(5),
        }
    }
}

#[derive(Debug, Default)]
struct RevState {
    list: Option<Arc<RevocationList>>,
    fetched_at: Option<Instant>,
    last_failure: Option<(Instant, ClientError)>,
}

/// A cache of `GET /api/v1/revocations`; implements
/// [`passport::RevocationSource`] and fails closed when the list is older
/// than [`RevocationCacheConfig::max_age`] and cannot be refreshed.
///
/// Cheap to clone: clones share the cached data (hand one to a
/// [`passport::Verifier`] and keep another).
#[derive(Debug, Clone)]
pub struct RevocationCache {
    client: BlockingClient,
    cfg: RevocationCacheConfig,
    shared: Arc<Shared<RevState>>,
}

impl RevocationCache {
    /// An empty cache fetching through `client`.
    pub fn new(client: BlockingClient, cfg: RevocationCacheConfig) -> RevocationCache {
        RevocationCache {
            client,
            cfg,
            shared: Arc::default(),
        }
    }

    /// How many fetches were attempted.
    pub fn fetch_count(&self) -> u64 {
        self.shared.fetches.load(Ordering::Relaxed)
    }

    /// The list currently held.
    pub fn current(&self) -> Option<Arc<RevocationList>> {
        lock(&self.shared.state).list.clone()
    }

    fn store(
        &self,
        r: Result<RevocationList, ClientError>,
    ) -> Result<Arc<RevocationList>, ClientError> {
        let mut st = lock(&self.shared.state);
        match r {
            Ok(l) => {
                let l = Arc::new(l);
                st.list = Some(l.clone());
                st.fetched_at = Some(Instant::now());
                st.last_failure = None;
                Ok(l)
            }
            Err(e) => {
                st.last_failure = Some((Instant::now(), e.clone()));
                Err(e)
            }
        }
    }

    /// Fetches the list now (blocking). Handshake step 4 calls this.
    pub fn refresh_blocking(&self) -> Result<Arc<RevocationList>, ClientError> {
        let _g = lock(&self.shared.fetch_lock);
        self.shared.fetches.fetch_add(1, Ordering::Relaxed);
        let r = self.client.revocations().map(|(l, _)| l);
        self.store(r)
    }

    /// Fetches the list now from async code.
    pub async fn refresh(&self) -> Result<Arc<RevocationList>, ClientError> {
        self.shared.fetches.fetch_add(1, Ordering::Relaxed);
        let r = self
            .client
            .go_async(|c| async move { c.revocations().await.map(|(l, _)| l) })
            .await;
        self.store(r)
    }

    fn usable(&self) -> Result<Arc<RevocationList>, SourceError> {
        let now = Instant::now();
        let (list, age, backoff) = {
            let st = lock(&self.shared.state);
            let age = st.fetched_at.map(|t| now.duration_since(t));
            let backoff = st
                .last_failure
                .as_ref()
                .filter(|(t, _)| now.duration_since(*t) < self.cfg.failure_backoff)
                .map(|(_, e)| e.clone());
            (st.list.clone(), age, backoff)
        };
        if let (Some(l), Some(a)) = (&list, age) {
            if a < self.cfg.refresh_interval {
                return Ok(l.clone());
            }
        }
        let err = match backoff {
            Some(e) => e,
            None => match self.refresh_blocking() {
                Ok(l) => return Ok(l),
                Err(e) => e,
            },
        };
        match (list, age) {
            (Some(l), Some(a)) if a < self.cfg.max_age => Ok(l),
            (Some(_), Some(a)) => Err(SourceError::caused_by(
                format!(
                    "revocation list is {} s old and cannot be refreshed: {err}",
                    a.as_secs()
                ),
                err,
            )),
            _ => Err(SourceError::caused_by(
                format!("revocation list unavailable: {err}"),
                err,
            )),
        }
    }
}

impl RevocationSource for RevocationCache {
    fn revoked(
        &self,
        query: &RevocationQuery<'_>,
        now: i64,
    ) -> Result<Option<String>, SourceError> {
        self.usable()?.revoked(query, now)
    }
}

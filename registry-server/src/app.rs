//! Shared state and the HTTP handlers.

use crate::ids;
use crate::ratelimit::{client_ip, Class, IpNet, RateLimiter};
use crate::store::{
    ApiKeyRecord, RevokeOutcome, Store, StoreError, StoredIdentity, StoredRevocation,
    StoredSigningKey,
};
use axum::body::Body;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use passport::{
    Audience, Claims, IdentityId, Issuer, Jwks, NumericDate, Operator, Policy, RevocationQuery,
    RevocationSource, Url, Verifier,
};
use registry_client::{
    did_of, identity_of_did, rfc3339, trust_score, ErrorBody, IdentityRecord, IdentityStatus,
    IssueRequest, IssueResponse, RevocationEntry, RevocationKind, RevocationsDocument,
    RevokeRequest, RevokeResponse, VerifyRequest, VerifyResponse,
};
use serde::de::DeserializeOwned;
use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant};

/// Request bodies above this are refused with 413.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// The audience passports get unless the issue request names another.
pub const DEFAULT_AUDIENCE: &str = "verifier";

/// Scope needed by `POST /api/v1/issue`.
pub const SCOPE_ISSUE: &str = "passport:issue";
/// Scope needed by `POST /api/v1/revoke`.
pub const SCOPE_REVOKE: &str = "identity:revoke";

pub(crate) fn now_secs() -> i64 {
    passport::Clock::now(&passport::SystemClock)
}

/// An error answer: `{"error":code,"message":…}` with a status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Stable code.
    pub code: &'static str,
    /// Explanation.
    pub message: String,
    /// `Retry-After` seconds (429).
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            retry_after: None,
        }
    }
    fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, code, message)
    }
    fn not_found(code: &'static str, message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::NOT_FOUND, code, message)
    }
    /// A 500 with a generic message; the detail goes to the server log
    /// only, never to the client.
    pub(crate) fn internal(detail: impl std::fmt::Display) -> Self {
        eprintln!("aiid registry: internal error: {detail}");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal server error (details are in the server log)",
        )
    }
    /// 503 with `Retry-After`: the database is busy.
    pub(crate) fn busy() -> Self {
        ApiError {
            retry_after: Some(1),
            ..ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "the registry is busy; retry shortly",
            )
        }
    }
    fn rate_limited(wait: u64) -> Self {
        ApiError {
            retry_after: Some(wait),
            ..ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                format!("rate limit exceeded; retry after {wait} s"),
            )
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Busy => {
                eprintln!("aiid registry: database busy; answered 503");
                ApiError::busy()
            }
            StoreError::Unavailable(m) => {
                eprintln!("aiid registry: {m}; answered 503");
                ApiError::busy()
            }
            other => ApiError::internal(other),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: self.code.to_owned(),
            message: self.message,
        };
        let mut r = json_response(self.status, &body);
        if let Some(s) = self.retry_after {
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(s));
        }
        if self.status == StatusCode::REQUEST_TIMEOUT {
            // The rest of a timed-out body may still arrive: close.
            r.headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        r
    }
}

pub(crate) fn json_response<T: serde::Serialize>(status: StatusCode, v: &T) -> Response {
    match serde_json::to_vec(v) {
        Ok(bytes) => {
            let mut r = Response::new(Body::from(bytes));
            *r.status_mut() = status;
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            r
        }
        Err(e) => {
            eprintln!("aiid registry: internal error: cannot serialize an answer: {e}");
            let mut r = Response::new(Body::from(
                "{\"error\":\"internal\",\"message\":\"internal server error (details are in the server log)\"}",
            ));
            *r.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            r
        }
    }
}

/// Revocations held in memory for the verify path; reloaded from the store
/// after every local revocation and whenever the store's sequence moves
/// (revocations by the admin CLI or another replica).
#[derive(Debug, Default)]
pub struct RevocationSet {
    snap: RwLock<Arc<RevSnapshot>>,
}

/// One consistent view of the revocations.
#[derive(Debug, Default)]
pub struct RevSnapshot {
    /// Highest sequence number included.
    pub seq: i64,
    identities: HashSet<String>,
    passports: HashSet<String>,
    keys: HashSet<String>,
    /// Every entry, oldest first.
    pub entries: Vec<StoredRevocation>,
}

impl RevocationSet {
    /// The current snapshot.
    pub fn snapshot(&self) -> Arc<RevSnapshot> {
        self.snap
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Replaces the snapshot with the store's entries, unless the current
    /// one is newer.
    pub fn load(&self, entries: Vec<StoredRevocation>) {
        let mut s = RevSnapshot {
            seq: entries.iter().map(|e| e.seq).max().unwrap_or(0),
            ..RevSnapshot::default()
        };
        for e in &entries {
            let set = match e.kind {
                RevocationKind::Identity => &mut s.identities,
                RevocationKind::Passport => &mut s.passports,
                RevocationKind::Key => &mut s.keys,
            };
            set.insert(normalize_subject(&e.subject));
        }
        s.entries = entries;
        let mut cur = self.snap.write().unwrap_or_else(PoisonError::into_inner);
        // Never go back: a slow reload must not replace a newer snapshot
        // (revocations are append-only, so a higher seq is a superset).
        if s.seq >= cur.seq {
            *cur = Arc::new(s);
        }
    }

    /// Whether an identity is revoked.
    pub fn identity_revoked(&self, id: &IdentityId) -> bool {
        self.snapshot().identities.contains(id.as_str())
    }
}

impl RevSnapshot {
    /// Whether a signing key is revoked.
    pub fn key_revoked(&self, kid: &str) -> bool {
        self.keys.contains(kid)
    }
}

/// SHA-256 hex passport ids compare case-insensitively; other ids exactly.
fn normalize_subject(s: &str) -> String {
    if s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()) {
        s.to_ascii_lowercase()
    } else {
        s.to_owned()
    }
}

impl RevocationSource for RevocationSet {
    fn revoked(
        &self,
        q: &RevocationQuery<'_>,
        _now: i64,
    ) -> Result<Option<String>, passport::SourceError> {
        let s = self.snapshot();
        if s.identities.contains(q.identity.as_str()) {
            return Ok(Some(format!("identity {} is revoked", q.identity)));
        }
        if s.keys.contains(q.key_id.as_str()) {
            return Ok(Some(format!("signing key {} is revoked", q.key_id)));
        }
        if let Some(jti) = q.jti {
            if s.passports.contains(&normalize_subject(jti)) {
                return Ok(Some(format!("passport {jti} is revoked")));
            }
        }
        let h = q.token_sha256_hex();
        if s.passports.contains(&h) {
            return Ok(Some(format!("passport sha256:{h} is revoked")));
        }
        Ok(None)
    }
}

/// The issuer keys in force: the current signer, the published JWKS and a
/// verifier over it. Rebuilt when the store's keys or the revoked keys
/// change (polled), so a rotation or a key revocation takes effect without
/// a restart.
pub struct KeyState {
    /// Signs new passports; `None` when no usable key is left (every key
    /// revoked or without its private part): issuing answers 503.
    pub(crate) issuer: Option<Issuer>,
    pub(crate) jwks: Jwks,
    pub(crate) jwks_body: Vec<u8>,
    pub(crate) verifier: Verifier,
    /// What the state was built from (to notice changes).
    pub(crate) fingerprint: Vec<String>,
}

/// Which keys sign and which are published, at `now`: the current key is the
/// newest one that is not revoked and still has its private part; a key is
/// published while it is not revoked and it is the current key, or its
/// private part still exists (grace period after a rotation), or a
/// passport it signed has not expired yet.
pub fn build_key_state(
    keys: &[StoredSigningKey],
    revoked: &RevSnapshot,
    now: i64,
    issuer_url: &str,
    revocations: Arc<RevocationSet>,
) -> Result<KeyState, crate::ServerError> {
    let key_err = |e: &dyn std::fmt::Display| crate::ServerError::Key(e.to_string());
    let iss = Url::new(issuer_url.to_owned())
        .map_err(|e| crate::ServerError::Config(format!("issuer URL: {e}")))?;
    let current = keys
        .iter()
        .find(|k| k.private_pem.is_some() && !revoked.key_revoked(k.kid.as_str()));
    let issuer = match current {
        Some(k) => {
            let sk = passport::signing_key_from_pem(k.private_pem.as_deref().unwrap_or_default())
                .map_err(|e| key_err(&e))?;
            Some(Issuer::new(&sk, k.kid.clone(), iss).map_err(|e| key_err(&e))?)
        }
        None => None,
    };
    let mut jwks = Jwks::new();
    let mut fingerprint = Vec::new();
    for k in keys {
        let is_current = current.is_some_and(|c| c.kid == k.kid);
        let published = !revoked.key_revoked(k.kid.as_str())
            && (is_current
                || k.private_pem.is_some()
                || k.last_passport_expiry.is_some_and(|e| e > now));
        if published {
            let vk = passport::VerifyingKey::from_bytes(&k.public_key).map_err(|e| key_err(&e))?;
            jwks.push(passport::Jwk::new(k.kid.clone(), vk))
                .map_err(|e| key_err(&e))?;
            fingerprint.push(format!(
                "{}:{}",
                k.kid,
                if is_current { "current" } else { "published" }
            ));
        }
    }
    let jwks_body = jwks.to_json().to_string().into_bytes();
    let verifier = Verifier::new(Policy::new(issuer_url, DEFAULT_AUDIENCE), jwks.clone())
        .with_revocation(revocations);
    Ok(KeyState {
        issuer,
        jwks,
        jwks_body,
        verifier,
        fingerprint,
    })
}

/// Everything the handlers share.
pub struct AppState {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) issuer_url: String,
    pub(crate) keys: RwLock<Arc<KeyState>>,
    pub(crate) revocations: Arc<RevocationSet>,
    pub(crate) limiter: RateLimiter,
    /// When each API key's use was last written to the store.
    pub(crate) touched: Mutex<HashMap<String, Instant>>,
    pub(crate) revocation_max_age_secs: u64,
    pub(crate) body_read_timeout: Duration,
    pub(crate) trusted_proxies: Vec<IpNet>,
    /// Agent keys and attestations (SQLite next to the data directory, or
    /// the shared PostgreSQL database).
    pub(crate) attestations: Arc<dyn crate::attestations::AttestationStore>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("issuer_url", &self.issuer_url)
            .finish_non_exhaustive()
    }
}

impl AppState {
    /// The key state in force.
    pub fn key_state(&self) -> Arc<KeyState> {
        self.keys
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Rebuilds the key state from the store when the keys, the revoked
    /// keys or the published set changed; deletes private keys whose
    /// retirement is due first. Returns whether anything changed.
    pub(crate) fn refresh_keys(&self) -> Result<bool, crate::ServerError> {
        let now = now_secs();
        let mut keys = self.store.signing_keys()?;
        if keys
            .iter()
            .any(|k| k.private_pem.is_some() && k.delete_private_at.is_some_and(|t| t <= now))
        {
            for kid in self.store.delete_due_private_keys(now)? {
                eprintln!("aiid registry: deleted the private part of retired key {kid}");
            }
            keys = self.store.signing_keys()?;
        }
        let state = build_key_state(
            &keys,
            &self.revocations.snapshot(),
            now,
            &self.issuer_url,
            self.revocations.clone(),
        )?;
        let mut cur = self.keys.write().unwrap_or_else(PoisonError::into_inner);
        if cur.fingerprint == state.fingerprint {
            return Ok(false);
        }
        *cur = Arc::new(state);
        Ok(true)
    }

    /// The whois URL of an identity on this registry (the passports'
    /// `registry_url`).
    pub fn whois_url(&self, id: &IdentityId) -> String {
        format!("{}/api/v1/whois/{id}", self.issuer_url)
    }

    fn verifier_for(&self, audience: Option<&str>) -> Result<Option<Verifier>, ApiError> {
        match audience {
            None => Ok(None),
            Some(a) if a == DEFAULT_AUDIENCE => Ok(None),
            Some(a) if a.is_empty() || a.len() > 256 => Err(ApiError::bad_request(
                "invalid_audience",
                "audience must be 1 to 256 bytes",
            )),
            Some(a) => Ok(Some(
                Verifier::new(
                    Policy::new(self.issuer_url.clone(), a),
                    self.key_state().jwks.clone(),
                )
                .with_revocation(self.revocations.clone()),
            )),
        }
    }

    /// Reloads the revocation snapshot from the store.
    pub(crate) fn reload_revocations(&self) -> Result<(), StoreError> {
        let entries = self.store.revocations()?;
        self.revocations.load(entries);
        Ok(())
    }

    pub(crate) fn record(&self, s: &StoredIdentity) -> IdentityRecord {
        let status = if s.revoked.is_some() || self.revocations.identity_revoked(&s.id) {
            IdentityStatus::Revoked
        } else {
            IdentityStatus::Active
        };
        IdentityRecord {
            identity: s.id.clone(),
            did: did_of(&s.id),
            operator: s.operator.clone(),
            tier: s.tier,
            status,
            trust_score: trust_score(s.tier, status),
            surfaces: s.surfaces.clone(),
            capabilities: s.capabilities.clone(),
            created_at: rfc3339(s.created_at),
            updated_at: rfc3339(s.updated_at),
            revoked_at: s.revoked.as_ref().map(|(t, _)| rfc3339(*t)),
            revocation_reason: s.revoked.as_ref().map(|(_, r)| r.clone()),
            registry_url: self.whois_url(&s.id),
        }
    }
}

pub(crate) type Shared = Arc<AppState>;

/// Runs blocking store work off the async workers.
pub(crate) async fn blocking<T, F>(state: &Shared, f: F) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce(&dyn Store) -> Result<T, StoreError> + Send + 'static,
{
    let st = state.clone();
    tokio::task::spawn_blocking(move || f(st.store.as_ref()))
        .await
        .map_err(|e| ApiError::internal(format!("storage task failed: {e}")))?
        .map_err(ApiError::from)
}

/// Who is calling.
#[derive(Debug, Clone)]
pub(crate) enum Caller {
    Anonymous,
    Key(ApiKeyRecord),
}

fn limit(state: &Shared, caller: &Caller, ip: IpAddr, class: Class) -> Result<(), ApiError> {
    let r = match caller {
        Caller::Anonymous => state.limiter.check_ip(ip),
        Caller::Key(k) => state.limiter.check_org(&k.org, class),
    };
    r.map_err(ApiError::rate_limited)
}

/// The client address of a request (the TCP peer unless it is a trusted
/// proxy, see [`crate::ratelimit::client_ip`]).
pub(crate) fn request_ip(state: &AppState, peer: SocketAddr, headers: &HeaderMap) -> IpAddr {
    if state.trusted_proxies.is_empty() {
        return peer.ip();
    }
    let xff: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    client_ip(peer.ip(), &xff, &state.trusted_proxies)
}

/// The credentials of an `Authorization: Bearer <key>` header; the scheme
/// is case-insensitive (RFC 9110 §11.1), separated by one or more spaces.
pub(crate) fn bearer_token(v: &HeaderValue) -> Option<&str> {
    let s = v.to_str().ok()?;
    let (scheme, rest) = s.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let token = rest.trim_matches(' ');
    (!token.is_empty() && token.len() <= 256 && !token.contains(' ')).then_some(token)
}

/// Identifies the caller and applies the rate limit. Every authenticated
/// request looks its key up in the store (an indexed read on the read
/// pool), so a key deleted by `admin api-key revoke` is refused on the very
/// next request. An unknown key is charged to the client IP's
/// unauthenticated budget (401, then 429).
pub(crate) async fn admit(
    state: &Shared,
    headers: &HeaderMap,
    peer: SocketAddr,
    class: Class,
) -> Result<Caller, ApiError> {
    let ip = request_ip(state, peer, headers);
    let Some(v) = headers.get(header::AUTHORIZATION) else {
        limit(state, &Caller::Anonymous, ip, class)?;
        return Ok(Caller::Anonymous);
    };
    let unauthorized = |m: &str| ApiError::new(StatusCode::UNAUTHORIZED, "invalid_api_key", m);
    let Some(token) = bearer_token(v) else {
        limit(state, &Caller::Anonymous, ip, class)?;
        return Err(unauthorized("Authorization must be `Bearer <api key>`"));
    };
    let hash = ids::hash_api_key(token);
    let h = hash.clone();
    let Some(rec) = blocking(state, move |s| s.api_key(&h)).await? else {
        limit(state, &Caller::Anonymous, ip, class)?;
        return Err(unauthorized("unknown or revoked API key"));
    };
    note_key_use(state, &hash);
    let caller = Caller::Key(rec);
    limit(state, &caller, ip, class)?;
    Ok(caller)
}

/// Records an API key's use in the store at most once a minute per key, in
/// the background (a failure is logged, never shown to the caller).
fn note_key_use(state: &Shared, hash: &str) {
    let now = Instant::now();
    {
        let mut t = state.touched.lock().unwrap_or_else(PoisonError::into_inner);
        if t.get(hash)
            .is_some_and(|last| now.duration_since(*last) < Duration::from_secs(60))
        {
            return;
        }
        if t.len() >= 10_000 {
            t.clear();
        }
        t.insert(hash.to_owned(), now);
    }
    let st = state.clone();
    let hash = hash.to_owned();
    tokio::task::spawn_blocking(move || {
        if let Err(e) = st.store.touch_api_key(&hash, now_secs()) {
            eprintln!("aiid registry: recording API key use: {e}");
        }
    });
}

fn require_scope(caller: &Caller, scope: &str) -> Result<(), ApiError> {
    match caller {
        Caller::Anonymous => Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            format!("an API key with scope {scope} is required (Authorization: Bearer …)"),
        )),
        Caller::Key(k) if k.scopes.iter().any(|s| s == scope) => Ok(()),
        Caller::Key(_) => Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "insufficient_scope",
            format!("the API key lacks scope {scope}"),
        )),
    }
}

pub(crate) async fn read_body(
    state: &AppState,
    headers: &HeaderMap,
    body: Body,
) -> Result<Vec<u8>, ApiError> {
    let too_large = || {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            format!("request bodies are limited to {MAX_BODY_BYTES} bytes"),
        )
    };
    if headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .is_some_and(|n| n > MAX_BODY_BYTES as u64)
    {
        return Err(too_large());
    }
    let read = tokio::time::timeout(
        state.body_read_timeout,
        axum::body::to_bytes(body, MAX_BODY_BYTES),
    )
    .await
    .map_err(|_| {
        ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            "request_timeout",
            format!(
                "the request body did not arrive within {} s",
                state.body_read_timeout.as_secs_f64()
            ),
        )
    })?;
    match read {
        Ok(b) => Ok(b.to_vec()),
        Err(e) => {
            let mut src: Option<&(dyn std::error::Error + 'static)> = Some(&e);
            while let Some(s) = src {
                if s.to_string().contains("length limit") {
                    return Err(too_large());
                }
                src = s.source();
            }
            if e.to_string().contains("length limit") {
                return Err(too_large());
            }
            Err(ApiError::bad_request(
                "malformed_body",
                format!("the request body could not be read: {e}"),
            ))
        }
    }
}

pub(crate) fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(bytes)
        .map_err(|e| ApiError::bad_request("malformed_body", format!("invalid JSON body: {e}")))
}

fn parse_id(s: &str) -> Result<IdentityId, ApiError> {
    if let Some(id) = identity_of_did(s) {
        return Ok(id);
    }
    IdentityId::new(s).map_err(|e| ApiError::bad_request("invalid_identity_id", e.to_string()))
}

/// Verifies a passport against this registry's keys and revocations.
pub(crate) fn verify_token(
    state: &AppState,
    token: &str,
    audience: Option<&str>,
) -> Result<VerifyResponse, ApiError> {
    let custom = state.verifier_for(audience)?;
    let keys = state.key_state();
    let verifier = custom.as_ref().unwrap_or(&keys.verifier);
    let now = now_secs();
    let mut resp = VerifyResponse {
        valid: false,
        identity: None,
        tier: None,
        operator: None,
        trust_score: None,
        issued_at: None,
        expires_at: None,
        last_verified_at: rfc3339(now),
        status: None,
        registry_url: None,
        error: None,
        message: None,
    };
    match verifier.verify(token) {
        Ok(p) => {
            let c = p.claims;
            resp.valid = true;
            resp.trust_score = Some(trust_score(c.tier, IdentityStatus::Active));
            resp.tier = Some(c.tier);
            resp.operator = Some(c.operator.as_str().to_owned());
            resp.issued_at = Some(rfc3339(c.iat.get()));
            resp.expires_at = Some(rfc3339(c.exp.get()));
            resp.status = Some(IdentityStatus::Active);
            resp.registry_url = Some(c.registry_url.as_str().to_owned());
            resp.identity = Some(c.sub);
        }
        Err(e) => {
            // A revoked issuer key is no longer published, so the verifier
            // reports an unknown key: say why.
            let revoked_kid = (e.code().as_str() == "unknown_key")
                .then(|| passport::inspect_untrusted(token).ok())
                .flatten()
                .and_then(|u| {
                    u.header
                        .get("kid")
                        .and_then(|k| k.as_str())
                        .map(str::to_owned)
                })
                .filter(|kid| state.revocations.snapshot().key_revoked(kid));
            if let Some(kid) = revoked_kid {
                resp.error = Some("revoked".to_owned());
                resp.message = Some(format!("signing key {kid} is revoked"));
            } else {
                if e.code().as_str() == "revoked" {
                    resp.status = Some(IdentityStatus::Revoked);
                }
                resp.error = Some(e.code().as_str().to_owned());
                resp.message = Some(e.to_string());
            }
        }
    }
    Ok(resp)
}

async fn verify(
    State(state): State<Shared>,
    ConnectInfo(ip): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    admit(&state, &headers, ip, Class::Verify).await?;
    let bytes = read_body(&state, &headers, body).await?;
    let req: VerifyRequest = parse_json(&bytes)?;
    let resp = verify_request(&state, req).await?;
    Ok(json_response(StatusCode::OK, &resp))
}

pub(crate) async fn verify_request(
    state: &Shared,
    req: VerifyRequest,
) -> Result<VerifyResponse, ApiError> {
    match (req.passport, req.id) {
        (Some(token), None) => verify_token(state, &token, req.audience.as_deref()),
        (None, Some(id)) => {
            let lookup = id.clone();
            let rec = blocking(state, move |s| s.identity(&lookup))
                .await?
                .ok_or_else(|| {
                    ApiError::not_found("unknown_identity", format!("no identity {id}"))
                })?;
            let r = state.record(&rec);
            let valid = r.status == IdentityStatus::Active;
            Ok(VerifyResponse {
                valid,
                identity: Some(r.identity),
                tier: Some(r.tier),
                operator: Some(r.operator),
                trust_score: Some(r.trust_score),
                issued_at: Some(r.created_at),
                expires_at: None,
                last_verified_at: rfc3339(now_secs()),
                status: Some(r.status),
                registry_url: Some(r.registry_url),
                error: (!valid).then(|| "revoked".to_owned()),
                message: r.revocation_reason,
            })
        }
        _ => Err(ApiError::bad_request(
            "malformed_body",
            "the body needs exactly one of \"passport\" and \"id\"",
        )),
    }
}

pub(crate) async fn lookup_record(state: &Shared, raw: &str) -> Result<IdentityRecord, ApiError> {
    let id = parse_id(raw)?;
    let lookup = id.clone();
    let rec = blocking(state, move |s| s.identity(&lookup))
        .await?
        .ok_or_else(|| ApiError::not_found("unknown_identity", format!("no identity {id}")))?;
    Ok(state.record(&rec))
}

async fn whois(
    State(state): State<Shared>,
    ConnectInfo(ip): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    PathParam(id): PathParam,
) -> Result<Response, ApiError> {
    admit(&state, &headers, ip, Class::Whois).await?;
    let rec = lookup_record(&state, &id).await?;
    let v = crate::attestations::whois_json(&state, &rec).await?;
    Ok(json_response(StatusCode::OK, &v))
}

async fn identities(
    State(state): State<Shared>,
    ConnectInfo(ip): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    PathParam(id): PathParam,
) -> Result<Response, ApiError> {
    admit(&state, &headers, ip, Class::Whois).await?;
    if identity_of_did(&id).is_some() {
        return Err(ApiError::bad_request(
            "invalid_identity_id",
            "the canonical resource is addressed by aii_ id",
        ));
    }
    let rec = lookup_record(&state, &id).await?;
    let v = crate::attestations::whois_json(&state, &rec).await?;
    Ok(json_response(StatusCode::OK, &v))
}

pub(crate) fn revocations_document(state: &AppState) -> RevocationsDocument {
    let snap = state.revocations.snapshot();
    let mut doc = RevocationsDocument {
        generated_at: now_secs(),
        max_age_secs: state.revocation_max_age_secs,
        identities: Vec::new(),
        passports: Vec::new(),
        keys: Vec::new(),
        entries: Vec::with_capacity(snap.entries.len()),
    };
    for e in &snap.entries {
        match e.kind {
            RevocationKind::Identity => {
                if let Ok(id) = IdentityId::new(e.subject.clone()) {
                    doc.identities.push(id);
                }
            }
            RevocationKind::Passport => doc.passports.push(e.subject.clone()),
            RevocationKind::Key => doc.keys.push(e.subject.clone()),
        }
        doc.entries.push(RevocationEntry {
            kind: e.kind,
            id: e.subject.clone(),
            reason: e.reason.clone(),
            revoked_at: rfc3339(e.revoked_at),
        });
    }
    doc
}

async fn revocations(
    State(state): State<Shared>,
    ConnectInfo(ip): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    admit(&state, &headers, ip, Class::Whois).await?;
    let mut r = json_response(StatusCode::OK, &revocations_document(&state));
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=60"),
    );
    Ok(r)
}

async fn issue(
    State(state): State<Shared>,
    ConnectInfo(ip): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let caller = admit(&state, &headers, ip, Class::Verify).await?;
    require_scope(&caller, SCOPE_ISSUE)?;
    let bytes = read_body(&state, &headers, body).await?;
    let req: IssueRequest = parse_json(&bytes)?;
    let ttl_days = req.ttl_days.unwrap_or(365);
    if !(1..=366).contains(&ttl_days) {
        return Err(ApiError::bad_request(
            "invalid_ttl",
            "ttl_days must be from 1 to 366",
        ));
    }
    let audience = req.audience.unwrap_or_else(|| DEFAULT_AUDIENCE.to_owned());
    if audience.is_empty() || audience.len() > 256 || audience.chars().any(char::is_control) {
        return Err(ApiError::bad_request(
            "invalid_audience",
            "audience must be 1 to 256 bytes without control characters",
        ));
    }
    let id = req.identity;
    let lookup = id.clone();
    let rec = blocking(&state, move |s| s.identity(&lookup))
        .await?
        .ok_or_else(|| ApiError::not_found("unknown_identity", format!("no identity {id}")))?;
    if rec.revoked.is_some() || state.revocations.identity_revoked(&id) {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "identity_revoked",
            format!("identity {id} is revoked"),
        ));
    }
    let keys = state.key_state();
    let Some(issuer) = keys.issuer.as_ref() else {
        eprintln!("aiid registry: no usable signing key (all revoked?); run `admin key rotate`");
        return Err(ApiError {
            retry_after: Some(60),
            ..ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "no_signing_key",
                "the registry has no usable signing key at the moment",
            )
        });
    };
    let iat = now_secs();
    let exp = iat + i64::from(ttl_days) * 86_400;
    let jti = ids::new_jti().map_err(|e| ApiError::internal(e.to_string()))?;
    let bad = |what: &str, e: passport::InvalidValue| {
        ApiError::internal(format!("stored {what} is invalid: {e}"))
    };
    let claims = Claims::builder()
        .iss(issuer.iss().clone())
        .sub(id.clone())
        .aud(Audience::One(audience))
        .iat(NumericDate::new(iat).map_err(|e| bad("time", e))?)
        .exp(NumericDate::new(exp).map_err(|e| bad("time", e))?)
        .jti(jti.clone())
        .tier(rec.tier)
        .operator(Operator::new(rec.operator.clone()).map_err(|e| bad("operator", e))?)
        .surfaces(
            rec.surfaces
                .iter()
                .filter(|s| s.verified)
                .map(|s| s.surface.clone()),
        )
        .capabilities(rec.capabilities.clone())
        .key_id(issuer.kid().clone())
        .registry_url(Url::new(state.whois_url(&id)).map_err(|e| bad("registry URL", e))?)
        .build()
        .map_err(|e| bad("claims", e))?;
    let token = issuer
        .issue(&claims)
        .map_err(|e| ApiError::internal(e.to_string()))?;
    let (j, who, kid) = (jti.clone(), id.clone(), issuer.kid().clone());
    blocking(&state, move |s| s.record_passport(&j, &who, &kid, iat, exp)).await?;
    Ok(json_response(
        StatusCode::OK,
        &IssueResponse {
            passport: token,
            identity: id,
            jti,
            key_id: issuer.kid().as_str().to_owned(),
            issued_at: rfc3339(iat),
            expires_at: rfc3339(exp),
        },
    ))
}

fn check_reason(r: Option<String>) -> Result<String, ApiError> {
    let r = r.unwrap_or_else(|| "unspecified".to_owned());
    if r.is_empty() || r.len() > 512 || r.chars().any(char::is_control) {
        return Err(ApiError::bad_request(
            "invalid_reason",
            "reason must be 1 to 512 bytes without control characters",
        ));
    }
    Ok(r)
}

/// Performs a durable revocation and refreshes the in-memory set; returns
/// only after the store committed.
pub(crate) async fn do_revoke(
    state: &Shared,
    kind: RevocationKind,
    subject: String,
    reason: String,
) -> Result<RevokeResponse, ApiError> {
    let (s2, r2) = (subject.clone(), reason);
    let now = now_secs();
    let outcome = blocking(state, move |s| s.revoke(kind, &s2, &r2, now)).await?;
    let (entry, newly) = match outcome {
        RevokeOutcome::Revoked(e) => (e, true),
        RevokeOutcome::AlreadyRevoked(e) => (e, false),
        RevokeOutcome::UnknownIdentity => {
            return Err(ApiError::not_found(
                "unknown_identity",
                format!("no identity {subject}"),
            ))
        }
    };
    let st = state.clone();
    tokio::task::spawn_blocking(move || st.reload_revocations())
        .await
        .map_err(|e| ApiError::internal(e.to_string()))??;
    Ok(RevokeResponse {
        kind,
        id: entry.subject,
        reason: entry.reason,
        revoked_at: rfc3339(entry.revoked_at),
        newly_revoked: newly,
    })
}

async fn revoke(
    State(state): State<Shared>,
    ConnectInfo(ip): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let caller = admit(&state, &headers, ip, Class::Verify).await?;
    require_scope(&caller, SCOPE_REVOKE)?;
    let bytes = read_body(&state, &headers, body).await?;
    let req: RevokeRequest = parse_json(&bytes)?;
    let reason = check_reason(req.reason)?;
    let (kind, subject) = match (req.identity, req.passport) {
        (Some(id), None) => (RevocationKind::Identity, id.as_str().to_owned()),
        (None, Some(p)) => {
            if p.is_empty() || p.len() > 128 || !p.bytes().all(|b| (0x21..=0x7e).contains(&b)) {
                return Err(ApiError::bad_request(
                    "invalid_passport_id",
                    "a passport id is a jti or a SHA-256 hex: 1 to 128 printable ASCII characters",
                ));
            }
            (RevocationKind::Passport, p)
        }
        _ => {
            return Err(ApiError::bad_request(
                "malformed_body",
                "the body needs exactly one of \"identity\" and \"passport\"",
            ))
        }
    };
    let resp = do_revoke(&state, kind, subject, reason).await?;
    Ok(json_response(StatusCode::OK, &resp))
}

async fn jwks(State(state): State<Shared>) -> Response {
    let mut r = Response::new(Body::from(state.key_state().jwks_body.clone()));
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    r
}

async fn did(
    State(state): State<Shared>,
    ConnectInfo(ip): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    PathParam(did): PathParam,
) -> Result<Response, ApiError> {
    admit(&state, &headers, ip, Class::Whois).await?;
    if !did.starts_with("did:aiidentity:") {
        return Err(ApiError::not_found(
            "unsupported_did_method",
            "only did:aiidentity DIDs are served",
        ));
    }
    if identity_of_did(&did).is_none() {
        return Err(ApiError::bad_request(
            "invalid_did",
            "did:aiidentity: must be followed by 1 to 64 ASCII letters or digits",
        ));
    }
    let rec = lookup_record(&state, &did).await?;
    let doc = crate::attestations::did_json(&state, &did, &rec).await?;
    Ok(json_response(StatusCode::OK, &doc))
}

/// The DID document of an identity: the issuer keys that sign its passports
/// as assertion methods, its registry record as a service.
pub(crate) fn did_document(state: &AppState, did: &str, rec: &IdentityRecord) -> serde_json::Value {
    let keys = state.key_state();
    let methods: Vec<serde_json::Value> = keys
        .jwks
        .keys()
        .iter()
        .map(|k| {
            serde_json::json!({
                "id": format!("{did}#{}", k.kid),
                "type": "JsonWebKey2020",
                "controller": did,
                "publicKeyJwk": k.to_json(),
            })
        })
        .collect();
    let refs: Vec<String> = keys
        .jwks
        .keys()
        .iter()
        .map(|k| format!("{did}#{}", k.kid))
        .collect();
    serde_json::json!({
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/suites/jws-2020/v1"],
        "id": did,
        "alsoKnownAs": [rec.identity.as_str()],
        "verificationMethod": methods,
        "assertionMethod": refs,
        "service": [{
            "id": format!("{did}#registry"),
            "type": "AIIdentityRegistry",
            "serviceEndpoint": rec.registry_url,
        }],
        "aiidentity": {
            "issuer": state.issuer_url,
            "tier": rec.tier,
            "status": rec.status,
            "operator": rec.operator,
        },
        "deactivated": rec.status != IdentityStatus::Active,
    })
}

/// A path segment, percent-decoded; a segment that does not decode to
/// UTF-8 (e.g. `%FF`) is a JSON 400 `invalid_path`.
pub(crate) struct PathParam(pub String);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for PathParam {
    type Rejection = ApiError;
    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        match <Path<String> as axum::extract::FromRequestParts<S>>::from_request_parts(parts, state)
            .await
        {
            Ok(Path(s)) => Ok(PathParam(s)),
            Err(_) => Err(ApiError::bad_request(
                "invalid_path",
                "the request path is not valid percent-encoded UTF-8",
            )),
        }
    }
}

/// Gives every non-2xx answer that does not already have it (answers made
/// by the framework rather than by a handler) the JSON error shape.
async fn json_errors(resp: Response) -> Response {
    let status = resp.status();
    let is_json = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if status.is_success() || status.is_informational() || is_json {
        return resp;
    }
    let code = match status.as_u16() {
        400 => "bad_request",
        404 => "not_found",
        405 => "method_not_allowed",
        408 => "request_timeout",
        411 => "length_required",
        413 => "body_too_large",
        414 => "uri_too_long",
        415 => "unsupported_media_type",
        431 => "header_too_large",
        503 => "unavailable",
        s if s >= 500 => "internal",
        _ => "bad_request",
    };
    let message = status
        .canonical_reason()
        .unwrap_or("the request cannot be answered")
        .to_owned();
    let mut r = ApiError::new(status, code, message).into_response();
    for name in [header::ALLOW, header::RETRY_AFTER, header::CONNECTION] {
        if let Some(v) = resp.headers().get(&name) {
            r.headers_mut().insert(name, v.clone());
        }
    }
    r
}

async fn not_found() -> ApiError {
    ApiError::not_found("not_found", "no such endpoint")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "method not allowed on this endpoint",
    )
}

/// The router with every endpoint.
pub fn router(state: Shared) -> Router {
    Router::new()
        .route("/api/v1/verify", post(verify))
        .route("/api/v1/whois/{id}", get(whois))
        .route("/api/v1/identities/{id}", get(identities))
        .route("/api/v1/revocations", get(revocations))
        .route("/api/v1/issue", post(issue))
        .route("/api/v1/revoke", post(revoke))
        .route("/api/v1/did/{did}", get(did))
        .route("/.well-known/jwks.json", get(jwks))
        .route("/api/mcp", post(crate::mcp::handle))
        .route(
            "/api/v1/attestations",
            post(crate::attestations::post_attestation),
        )
        .route(
            "/api/v1/attestations/{doc_hash}",
            get(crate::attestations::get_attestations),
        )
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::extract::DefaultBodyLimit::disable())
        .layer(axum::middleware::map_response(json_errors))
        .with_state(state)
}

pub(crate) async fn admit_mcp(
    state: &Shared,
    headers: &HeaderMap,
    ip: SocketAddr,
) -> Result<Caller, ApiError> {
    admit(state, headers, ip, Class::Verify).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rev(seq: i64, subject: &str) -> StoredRevocation {
        StoredRevocation {
            seq,
            kind: RevocationKind::Identity,
            subject: subject.into(),
            reason: "r".into(),
            revoked_at: 1,
        }
    }

    #[test]
    fn revocation_snapshots_never_go_back() {
        let set = RevocationSet::default();
        set.load(vec![rev(1, "aii_a"), rev(2, "aii_b")]);
        // A slower reload that read the store before seq 2 committed.
        set.load(vec![rev(1, "aii_a")]);
        assert_eq!(set.snapshot().seq, 2);
        assert!(set.identity_revoked(&IdentityId::new("aii_b").unwrap()));
    }

    #[test]
    fn hex_passport_ids_compare_case_insensitively() {
        let set = RevocationSet::default();
        let h = "AB".repeat(32);
        set.load(vec![StoredRevocation {
            kind: RevocationKind::Passport,
            ..rev(1, &h)
        }]);
        let id = IdentityId::new("aii_x").unwrap();
        let kid = passport::KeyId::new("k").unwrap();
        let q = RevocationQuery {
            identity: &id,
            jti: None,
            key_id: &kid,
            token_sha256: [0xab; 32],
        };
        assert!(set.revoked(&q, 0).unwrap().is_some());
    }
}

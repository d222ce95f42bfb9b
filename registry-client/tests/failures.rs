//! Client behaviour against servers that are down, slow, return garbage,
//! oversized bodies, wrong content types, errors, redirects; cache rules.

extern crate aiid_registry_client as registry_client;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::Router;
use passport::{IdentityId, KeyId, KeySource, Policy, RevocationSource, Verifier};
use registry_client::{
    BlockingClient, ClientConfig, ClientError, JwksCache, JwksCacheConfig, RevocationCache,
    RevocationCacheConfig, TransportKind,
};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

struct Mock {
    rt: tokio::runtime::Runtime,
    url: String,
}

fn mock(router: Router) -> Mock {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let url = rt.block_on(async {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", l.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(l, router).await });
        url
    });
    Mock { rt, url }
}

fn cfg(url: &str) -> ClientConfig {
    let mut c = ClientConfig::new(url);
    c.retry_base_delay = Duration::from_millis(10);
    c.timeout = Duration::from_secs(5);
    c
}

fn id() -> IdentityId {
    IdentityId::new("aii_demo").unwrap()
}

fn json_ok(body: &'static str) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], body)
}

fn counted(n: &Arc<AtomicUsize>) -> usize {
    n.fetch_add(1, Ordering::SeqCst) + 1
}

#[test]
fn server_down_is_a_connect_error() {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    drop(l);
    let c = BlockingClient::new(cfg(&url)).unwrap();
    let e = c.whois(&id()).unwrap_err();
    assert!(
        matches!(
            e,
            ClientError::Transport {
                kind: TransportKind::Connect,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(e.is_unavailable());
    assert!(e.to_string().contains("GET /api/v1/whois/{id}"));
}

#[test]
fn slow_server_times_out() {
    let m = mock(Router::new().route(
        "/api/v1/whois/{id}",
        get(|| async {
            tokio::time::sleep(Duration::from_secs(3)).await;
            json_ok("{}")
        }),
    ));
    let c = BlockingClient::new(cfg(&m.url).with_timeout(Duration::from_millis(300))).unwrap();
    let t = Instant::now();
    let e = c.whois(&id()).unwrap_err();
    assert!(
        matches!(
            e,
            ClientError::Transport {
                kind: TransportKind::Timeout,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(t.elapsed() < Duration::from_secs(2), "{:?}", t.elapsed());
    drop(m.rt);
}

#[test]
fn garbage_oversized_and_wrong_content_type() {
    let big: &'static str = Box::leak("x".repeat(2 * 1024 * 1024).into_boxed_str());
    let m = mock(
        Router::new()
            .route(
                "/api/v1/whois/{id}",
                get(|| async { json_ok("{\"identity\": 12") }),
            )
            .route(
                "/api/v1/identities/{id}",
                get(move || async move { json_ok(big) }),
            )
            .route(
                "/api/v1/revocations",
                get(|| async { ([(header::CONTENT_TYPE, "text/html")], "<html>hi</html>") }),
            )
            .route(
                "/.well-known/jwks.json",
                get(|| async { json_ok("{\"keys\":\"nope\"}") }),
            ),
    );
    let c = BlockingClient::new(cfg(&m.url)).unwrap();
    let e = c.whois(&id()).unwrap_err();
    assert!(
        matches!(e, ClientError::Decode { status: 200, .. }),
        "{e:?}"
    );
    let e = c.identity(&id()).unwrap_err();
    assert!(
        matches!(
            e,
            ClientError::TooLarge {
                limit: 1_048_576,
                ..
            }
        ),
        "{e:?}"
    );
    let e = c.revocations().unwrap_err();
    assert!(
        matches!(e, ClientError::ContentType { ref content_type, .. } if content_type == "text/html"),
        "{e:?}"
    );
    let e = c.jwks().unwrap_err();
    assert!(matches!(e, ClientError::Decode { .. }), "{e:?}");
}

#[test]
fn oversized_chunked_body_is_cut_off() {
    // A raw server that streams an endless chunked JSON body.
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    std::thread::spawn(move || {
        use std::io::{Read as _, Write as _};
        if let Ok((mut s, _)) = l.accept() {
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf);
            let _ = s.write_all(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
            );
            let chunk = format!("{:x}\r\n{}\r\n", 65536, "a".repeat(65536));
            for _ in 0..64 {
                if s.write_all(chunk.as_bytes()).is_err() {
                    break;
                }
            }
        }
    });
    let mut c = cfg(&url);
    c.max_response_bytes = 100_000;
    let e = BlockingClient::new(c).unwrap().whois(&id()).unwrap_err();
    assert!(
        matches!(e, ClientError::TooLarge { limit: 100_000, .. }),
        "{e:?}"
    );
}

#[test]
fn gets_retry_5xx_and_429_posts_do_not() {
    let hits = Arc::new(AtomicUsize::new(0));
    let (h1, h2, h3) = (hits.clone(), hits.clone(), hits.clone());
    let posts = Arc::new(AtomicUsize::new(0));
    let p = posts.clone();
    let m = mock(
        Router::new()
            .route(
                "/api/v1/whois/{id}",
                get(move || {
                    let n = counted(&h1);
                    async move {
                        if n < 3 {
                            (StatusCode::SERVICE_UNAVAILABLE, "down").into_response()
                        } else {
                            json_ok(r#"{"identity":"aii_demo","did":"did:aiidentity:demo","operator":"anon","tier":"issued","status":"active","trust_score":25,"surfaces":[],"capabilities":[],"created_at":"2026-01-01T00:00:00Z","updated_at":"2026-01-01T00:00:00Z","registry_url":"x"}"#).into_response()
                        }
                    }
                }),
            )
            .route(
                "/api/v1/revocations",
                get(move || {
                    let n = counted(&h2);
                    async move {
                        if n == 4 {
                            let mut h = HeaderMap::new();
                            h.insert(header::RETRY_AFTER, "1".parse().unwrap());
                            (StatusCode::TOO_MANY_REQUESTS, h, "slow down").into_response()
                        } else {
                            json_ok(r#"{"generated_at":1,"max_age_secs":600,"identities":[],"passports":[],"keys":[],"entries":[]}"#).into_response()
                        }
                    }
                }),
            )
            .route(
                "/api/v1/identities/{id}",
                get(move || {
                    counted(&h3);
                    async { (StatusCode::INTERNAL_SERVER_ERROR, "boom").into_response() }
                }),
            )
            .route(
                "/api/v1/verify",
                post(move || {
                    counted(&p);
                    async { (StatusCode::SERVICE_UNAVAILABLE, "down").into_response() }
                }),
            ),
    );
    let c = BlockingClient::new(cfg(&m.url)).unwrap();
    // Two 503s, then success on the third attempt.
    assert_eq!(c.whois(&id()).unwrap().identity, id());
    assert_eq!(hits.load(Ordering::SeqCst), 3);
    // 429 with Retry-After: 1 is waited for, then retried.
    let t = Instant::now();
    c.revocations().unwrap();
    assert!(
        t.elapsed() >= Duration::from_millis(950),
        "{:?}",
        t.elapsed()
    );
    assert_eq!(hits.load(Ordering::SeqCst), 5);
    // Persistent 500: bounded (1 + 2 retries), then a typed error.
    let e = c.identity(&id()).unwrap_err();
    assert_eq!(hits.load(Ordering::SeqCst), 8);
    assert!(
        matches!(e, ClientError::Status { status: 500, ref code, .. } if code == "http_500"),
        "{e:?}"
    );
    assert!(
        e.to_string()
            .contains("GET /api/v1/identities/{id}: HTTP 500"),
        "{e}"
    );
    // POST is not retried.
    let e = c.verify_id(&id()).unwrap_err();
    assert_eq!(posts.load(Ordering::SeqCst), 1);
    assert_eq!(e.status(), Some(503));
    assert!(e.to_string().contains("POST /api/v1/verify"));
}

#[test]
fn redirects_are_never_followed() {
    let elsewhere_hits = Arc::new(AtomicUsize::new(0));
    let eh = elsewhere_hits.clone();
    let other = mock(Router::new().fallback(move || {
        counted(&eh);
        async { json_ok("{}") }
    }));
    let target = format!("{}/api/v1/whois/aii_demo", other.url);
    let m = mock(Router::new().route(
        "/api/v1/whois/{id}",
        get(move || {
            let t = target.clone();
            async move { (StatusCode::FOUND, [(header::LOCATION, t)], "").into_response() }
        }),
    ));
    let e = BlockingClient::new(cfg(&m.url))
        .unwrap()
        .whois(&id())
        .unwrap_err();
    assert!(
        matches!(e, ClientError::Redirect { status: 302, .. }),
        "{e:?}"
    );
    assert_eq!(elsewhere_hits.load(Ordering::SeqCst), 0);
}

#[test]
fn error_bodies_are_decoded() {
    let m = mock(Router::new().route(
        "/api/v1/whois/{id}",
        get(|| async {
            (
                StatusCode::NOT_FOUND,
                [(header::CONTENT_TYPE, "application/json")],
                r#"{"error":"unknown_identity","message":"no identity aii_demo"}"#,
            )
        }),
    ));
    let e = BlockingClient::new(cfg(&m.url))
        .unwrap()
        .whois(&id())
        .unwrap_err();
    assert!(e.is_not_found());
    assert!(!e.is_unavailable());
    assert!(
        matches!(e, ClientError::Status { ref code, .. } if code == "unknown_identity"),
        "{e:?}"
    );
}

/// A JWKS endpoint whose answer can be switched between a key set and 500.
struct JwksMock {
    mock: Mock,
    hits: Arc<AtomicUsize>,
    up: Arc<std::sync::atomic::AtomicBool>,
}

fn jwks_mock(jwks_json: String) -> JwksMock {
    let hits = Arc::new(AtomicUsize::new(0));
    let up = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let (h, u) = (hits.clone(), up.clone());
    let body: &'static str = Box::leak(jwks_json.into_boxed_str());
    let mock = mock(Router::new().route(
        "/.well-known/jwks.json",
        get(move || {
            counted(&h);
            let up = u.load(Ordering::SeqCst);
            async move {
                if up {
                    json_ok(body).into_response()
                } else {
                    (StatusCode::INTERNAL_SERVER_ERROR, "down").into_response()
                }
            }
        }),
    ));
    JwksMock { mock, hits, up }
}

fn test_jwks() -> (passport::Jwks, KeyId) {
    let sk = passport::signing_key_from_seed(&[7u8; 32]).unwrap();
    let kid = KeyId::new("k_test").unwrap();
    let mut j = passport::Jwks::new();
    j.push(passport::Jwk::new(kid.clone(), sk.verifying_key()))
        .unwrap();
    (j, kid)
}

#[test]
fn jwks_cache_refreshes_unknown_kid_at_most_once_per_interval() {
    let (jwks, kid) = test_jwks();
    let m = jwks_mock(jwks.to_json().to_string());
    let mut c = cfg(&m.mock.url);
    c.max_retries = 0;
    let cache = JwksCache::new(BlockingClient::new(c).unwrap(), JwksCacheConfig::default());
    assert!(cache.key(&kid).unwrap().is_some());
    assert_eq!(m.hits.load(Ordering::SeqCst), 1);
    let unknown = KeyId::new("k_unknown").unwrap();
    assert!(cache.key(&unknown).unwrap().is_none());
    assert_eq!(
        m.hits.load(Ordering::SeqCst),
        2,
        "one refresh for the unknown kid"
    );
    for _ in 0..5 {
        assert!(cache
            .key(&KeyId::new("k_other").unwrap())
            .unwrap()
            .is_none());
    }
    assert_eq!(
        m.hits.load(Ordering::SeqCst),
        2,
        "no more refreshes within the minute"
    );
    assert!(cache.key(&kid).unwrap().is_some());
    assert_eq!(cache.fetch_count(), 2);
}

#[test]
fn jwks_cache_serves_last_good_keys_when_registry_is_down() {
    let (jwks, kid) = test_jwks();
    let m = jwks_mock(jwks.to_json().to_string());
    let mut c = cfg(&m.mock.url);
    c.max_retries = 0;
    let client = BlockingClient::new(c).unwrap();
    let stale_ok = JwksCacheConfig {
        ttl: Duration::ZERO,
        failure_backoff: Duration::ZERO,
        ..JwksCacheConfig::default()
    };
    let cache = JwksCache::new(client.clone(), stale_ok.clone());
    assert!(cache.key(&kid).unwrap().is_some());
    m.up.store(false, Ordering::SeqCst);
    // TTL 0: every lookup tries to refresh, fails, and serves the last good keys.
    assert!(cache.key(&kid).unwrap().is_some());
    assert_eq!(m.hits.load(Ordering::SeqCst), 2);

    // With serve_stale off, the same situation is an error: fail closed.
    m.up.store(true, Ordering::SeqCst);
    let strict = JwksCache::new(
        client.clone(),
        JwksCacheConfig {
            serve_stale: false,
            ..stale_ok
        },
    );
    assert!(strict.key(&kid).unwrap().is_some());
    m.up.store(false, Ordering::SeqCst);
    let e = strict.key(&kid).unwrap_err();
    assert!(e.message().contains("unavailable"), "{e}");
    // The registry client's error is kept, typed, as the source.
    assert_client_error_source(&e);

    // Through the verifier: key source failure is key_source_unavailable.
    let v = Verifier::new(Policy::new("http://x", "verifier"), strict);
    let tok = "eyJhbGciOiJFZERTQSIsImtpZCI6ImtfdGVzdCJ9.e30.".to_owned() + &"A".repeat(86);
    let err = v.verify(&tok).unwrap_err();
    assert_eq!(err.code(), "key_source_unavailable", "{err}");
    // The chain: PassportError -> SourceError -> ClientError.
    let source = std::error::Error::source(&err).expect("the source error");
    let cause = source.source().expect("the client error");
    assert!(cause
        .downcast_ref::<registry_client::ClientError>()
        .is_some());
}

#[test]
fn revocation_cache_fails_closed_when_too_old() {
    let hits = Arc::new(AtomicUsize::new(0));
    let up = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let (h, u) = (hits.clone(), up.clone());
    let m = mock(Router::new().route(
        "/api/v1/revocations",
        get(move || {
            counted(&h);
            let up = u.load(Ordering::SeqCst);
            async move {
                if up {
                    json_ok(r#"{"generated_at":1,"max_age_secs":600,"identities":["aii_bad"],"passports":[],"keys":[],"entries":[]}"#).into_response()
                } else {
                    (StatusCode::BAD_GATEWAY, "down").into_response()
                }
            }
        }),
    ));
    let mut c = cfg(&m.url);
    c.max_retries = 0;
    let cache = RevocationCache::new(
        BlockingClient::new(c).unwrap(),
        RevocationCacheConfig {
            refresh_interval: Duration::ZERO,
            max_age: Duration::from_millis(1500),
            failure_backoff: Duration::ZERO,
        },
    );
    let bad = IdentityId::new("aii_bad").unwrap();
    let good = IdentityId::new("aii_good").unwrap();
    let kid = KeyId::new("k").unwrap();
    let q = |id| passport::RevocationQuery {
        identity: id,
        jti: None,
        key_id: &kid,
        token_sha256: [0; 32],
    };
    assert!(cache.revoked(&q(&bad), 0).unwrap().is_some());
    assert!(cache.revoked(&q(&good), 0).unwrap().is_none());
    up.store(false, Ordering::SeqCst);
    // Within max_age the last list still answers…
    assert!(cache.revoked(&q(&good), 0).unwrap().is_none());
    std::thread::sleep(Duration::from_millis(1600));
    // …after it, the cache refuses: the verifier fails closed.
    let e = cache.revoked(&q(&good), 0).unwrap_err();
    assert!(e.message().contains("old"), "{e}");
    assert_client_error_source(&e);
}

#[test]
fn blocking_client_works_inside_an_async_runtime() {
    let m = mock(Router::new().route(
        "/.well-known/jwks.json",
        get(|| async { json_ok(r#"{"keys":[]}"#) }),
    ));
    let url = m.url.clone();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let n = rt.block_on(async move {
        let c = BlockingClient::new(cfg(&url)).unwrap();
        // No nested-runtime panic: the call runs on the client's own worker.
        c.jwks().unwrap().keys().len()
    });
    assert_eq!(n, 0);
    // And the async client directly.
    let c = registry_client::RegistryClient::new(cfg(&m.url)).unwrap();
    let n = rt.block_on(async move { c.jwks().await.unwrap().keys().len() });
    assert_eq!(n, 0);
}

/// `e`'s source is the registry client's own error, typed (not its text).
fn assert_client_error_source(e: &(dyn std::error::Error + 'static)) {
    let cause = e.source().expect("a source");
    assert!(
        cause
            .downcast_ref::<registry_client::ClientError>()
            .is_some(),
        "{cause:?}"
    );
}

//! Abuse suite: what a client on loopback can do to a running registry —
//! idle and slowloris connections, floods from one address, oversized or
//! malformed requests, slow bodies, a locked database, revoked keys — each
//! bounded in time (a few seconds) and count, with short configured
//! timeouts.

extern crate aiid_registry_server as registry_server;
mod common;

use common::{fixture, raw, TestServer};
use registry_client::{BlockingClient, ClientConfig, IssueRequest};
use registry_server::{admin, RateLimits, ServerConfig};
use std::io::{ErrorKind, Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Raises this process's soft open-file limit to at least `want`; `false`
/// when the hard limit does not allow it.
fn raise_fd_limit(want: u64) -> bool {
    use rustix::process::{getrlimit, setrlimit, Resource, Rlimit};
    let cur = getrlimit(Resource::Nofile);
    if cur.current.is_none_or(|c| c >= want) {
        return true;
    }
    if cur.maximum.is_some_and(|m| m < want) {
        return false;
    }
    setrlimit(
        Resource::Nofile,
        Rlimit {
            current: Some(want),
            maximum: cur.maximum,
        },
    )
    .is_ok()
}

fn config(dir: &std::path::Path) -> ServerConfig {
    let mut c = ServerConfig::new(dir);
    c.rate_limits = RateLimits::unlimited();
    c
}

/// Whether the server still holds the connection open (a non-blocking read
/// would block rather than see end of stream or an error).
fn is_open(s: &TcpStream) -> bool {
    s.set_nonblocking(true).unwrap();
    let mut b = [0u8; 64];
    let open = match (&*s).read(&mut b) {
        Err(e) if e.kind() == ErrorKind::WouldBlock => true,
        Ok(n) => n > 0,
        Err(_) => false,
    };
    s.set_nonblocking(false).unwrap();
    open
}

/// Reads one HTTP response (head and Content-Length body) from a stream.
fn read_response(s: &mut TcpStream) -> (u16, String, String) {
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..p]).to_string();
            let len: usize = head
                .lines()
                .find_map(|l| {
                    let (n, v) = l.split_once(':')?;
                    n.eq_ignore_ascii_case("content-length")
                        .then(|| v.trim().parse().ok())?
                })
                .unwrap_or(0);
            while buf.len() < p + 4 + len {
                let n = s.read(&mut chunk).unwrap();
                assert!(n > 0, "connection closed in the body");
                buf.extend_from_slice(&chunk[..n]);
            }
            let status = head
                .split_whitespace()
                .nth(1)
                .and_then(|x| x.parse().ok())
                .unwrap_or(0);
            let body = String::from_utf8_lossy(&buf[p + 4..p + 4 + len]).to_string();
            return (status, head, body);
        }
        let n = s.read(&mut chunk).unwrap();
        assert!(n > 0, "connection closed before a response: {buf:?}");
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// A busy database: 503 `unavailable`, `Retry-After: 1`, and nothing of
/// the storage's own words in the body.
fn assert_busy_503(r: &common::RawResponse) {
    assert_json_error(r.status, &r.headers, &r.body, 503, "unavailable");
    assert_eq!(r.header("retry-after").as_deref(), Some("1"));
    let lower = r.body.to_ascii_lowercase();
    assert!(
        !lower.contains("database") && !lower.contains("locked") && !lower.contains("sqlite"),
        "{}",
        r.body
    );
}

fn assert_json_error(status: u16, head: &str, body: &str, want_status: u16, code: &str) {
    assert_eq!(status, want_status, "{head}\n{body}");
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: application/json"),
        "{head}"
    );
    let j: serde_json::Value = serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"));
    assert_eq!(j["error"], code, "{body}");
    assert!(
        j["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    assert_eq!(j.as_object().unwrap().len(), 2, "{body}");
}

fn timed_whois(addr: SocketAddr, id: &str) -> Duration {
    let t = Instant::now();
    let r = raw(addr, "GET", &format!("/api/v1/whois/{id}"), &[], b"");
    let took = t.elapsed();
    assert_eq!(r.status, 200, "{}", r.body);
    took
}

fn timed_verify(addr: SocketAddr, token: &str) -> Duration {
    let body = serde_json::json!({ "passport": token }).to_string();
    let t = Instant::now();
    let r = raw(
        addr,
        "POST",
        "/api/v1/verify",
        &[("Content-Type", "application/json")],
        body.as_bytes(),
    );
    let took = t.elapsed();
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["valid"], true, "{}", r.body);
    took
}

/// The goal: 1 000 idle connections and 50 slowloris clients held open; a
/// normal whois and verify still answer within 200 ms; the slow clients are
/// disconnected within the header-read timeout.
#[test]
fn idle_and_slowloris_clients_do_not_starve_the_server() {
    if !raise_fd_limit(4096) {
        eprintln!("SKIPPED: the open-file hard limit is below 4096");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let fx = fixture(dir.path(), &[]);
    let header_timeout = Duration::from_secs(4);
    let mut c = config(dir.path());
    c.limits.header_read_timeout = header_timeout;
    c.limits.idle_timeout = header_timeout;
    // Every client here is on one host (loopback): let it hold them all.
    c.limits.max_connections_per_ip = 2000;
    let srv = TestServer::start_with(c);
    let client = BlockingClient::new(ClientConfig::new(&srv.url).with_api_key(&fx.key)).unwrap();
    let token = client
        .issue(&IssueRequest {
            identity: fx.id.clone(),
            ttl_days: Some(1),
            audience: None,
        })
        .unwrap()
        .passport;

    let start = Instant::now();
    let idle: Vec<TcpStream> = (0..1000)
        .map(|_| TcpStream::connect(srv.addr).unwrap())
        .collect();
    let slow_start = Instant::now();
    let mut slow: Vec<TcpStream> = (0..50)
        .map(|_| {
            let mut s = TcpStream::connect(srv.addr).unwrap();
            s.write_all(b"GET /api/v1/whois/aii_X HTTP/1.1\r\nHost: x\r\n")
                .unwrap();
            s
        })
        .collect();
    let stop = Arc::new(AtomicBool::new(false));
    let stop2 = stop.clone();
    // Each slow client sends one more header line every 100 ms, forever.
    let dribbler = std::thread::spawn(move || {
        let mut closed: Vec<Option<Duration>> = vec![None; slow.len()];
        while !stop2.load(Ordering::Relaxed) && slow_start.elapsed() < Duration::from_secs(12) {
            for (i, s) in slow.iter_mut().enumerate() {
                if closed[i].is_none() && (s.write_all(b"X-Slow: 1\r\n").is_err() || !is_open(s)) {
                    closed[i] = Some(slow_start.elapsed());
                }
            }
            if closed.iter().all(Option::is_some) {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        closed
    });
    std::thread::sleep(Duration::from_millis(200));
    let mut worst = Duration::ZERO;
    for _ in 0..5 {
        worst = worst.max(timed_whois(srv.addr, fx.id.as_str()));
        worst = worst.max(timed_verify(srv.addr, &token));
    }
    println!(
        "1000 idle + 50 slowloris: worst of 10 normal requests {:.1} ms",
        worst.as_secs_f64() * 1000.0
    );
    assert!(worst < Duration::from_millis(200), "{worst:?}");
    // They really were held open while the requests were answered.
    if start.elapsed() < header_timeout - Duration::from_millis(500) {
        let open = idle.iter().filter(|s| is_open(s)).count();
        assert_eq!(open, 1000, "idle connections held open");
    }
    let closed = dribbler.join().unwrap();
    stop.store(true, Ordering::Relaxed);
    for (i, c) in closed.iter().enumerate() {
        let c = c.unwrap_or_else(|| panic!("slow client {i} was never disconnected"));
        assert!(
            c <= header_timeout + Duration::from_millis(1500),
            "slow client {i} disconnected after {c:?}"
        );
        assert!(
            c >= header_timeout - Duration::from_millis(1500),
            "slow client {i} disconnected early, after {c:?}"
        );
    }
    // And the idle ones are gone too by now (header/idle timeout).
    std::thread::sleep(Duration::from_millis(500));
    let open = idle.iter().filter(|s| is_open(s)).count();
    assert_eq!(open, 0, "idle connections closed after the timeout");
}

/// One address opening far more connections than its share: the quietest
/// idle ones are closed to make room, so the server never holds more than
/// the share for it and a normal request from the same address still gets
/// in quickly.
#[test]
fn a_flood_from_one_address_is_held_to_its_share() {
    if !raise_fd_limit(2048) {
        eprintln!("SKIPPED: the open-file hard limit is below 2048");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let fx = fixture(dir.path(), &[]);
    let mut c = config(dir.path());
    c.limits.max_connections_per_ip = 64;
    let srv = TestServer::start_with(c);
    let flood: Vec<TcpStream> = (0..600)
        .map(|_| TcpStream::connect(srv.addr).unwrap())
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    let held = flood.iter().filter(|s| is_open(s)).count();
    assert!(held <= 64, "{held} connections held for one address");
    assert!(held >= 32, "only {held} held: the newest should stay");
    let took = timed_whois(srv.addr, fx.id.as_str());
    assert!(took < Duration::from_millis(200), "{took:?}");
}

/// When every connection is busy (a request in progress), a new one is
/// refused with a JSON 503; as soon as one finishes, service resumes.
#[test]
fn connection_cap_refuses_only_when_everything_is_busy() {
    let dir = tempfile::tempdir().unwrap();
    let fx = fixture(dir.path(), &[]);
    let mut c = config(dir.path());
    c.limits.max_connections = 4;
    c.limits.max_connections_per_ip = 4;
    let srv = TestServer::start_with(c);
    let head = b"POST /api/v1/verify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 24\r\n\r\n{\"id\":";
    let mut busy: Vec<TcpStream> = (0..4)
        .map(|_| {
            let mut s = TcpStream::connect(srv.addr).unwrap();
            s.write_all(head).unwrap();
            s
        })
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    let mut extra = TcpStream::connect(srv.addr).unwrap();
    let (status, h, body) = read_response(&mut extra);
    assert_json_error(status, &h, &body, 503, "too_many_connections");
    assert!(h.to_ascii_lowercase().contains("retry-after: 1"), "{h}");
    // Finish one request: its answer arrives and a slot frees up.
    busy[0].write_all(br#""aii_UNKNOWN0000"}"#).unwrap();
    let (status, _, _) = read_response(&mut busy[0]);
    assert_eq!(status, 404);
    drop(busy.remove(0));
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(
        raw(
            srv.addr,
            "GET",
            &format!("/api/v1/whois/{}", fx.id),
            &[],
            b""
        )
        .status,
        200
    );
}

/// Every non-2xx answer has the JSON shape, also those made before any
/// handler runs: 431 for an oversized head, 400 for garbage, a bad path
/// encoding, 404, 405.
#[test]
fn every_error_is_json() {
    let dir = tempfile::tempdir().unwrap();
    let _fx = fixture(dir.path(), &[]);
    let srv = TestServer::start_with(config(dir.path()));
    let send = |bytes: &[u8]| {
        let mut s = TcpStream::connect(srv.addr).unwrap();
        s.write_all(bytes).unwrap();
        read_response(&mut s)
    };
    // 431: a 20 KB header (limit 16 KiB), and one over 100 header fields.
    let big = format!(
        "GET /api/v1/revocations HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
        "a".repeat(20_000)
    );
    let (s, h, b) = send(big.as_bytes());
    assert_json_error(s, &h, &b, 431, "header_too_large");
    let many: String = (0..120).map(|i| format!("X-{i}: v\r\n")).collect();
    let (s, h, b) = send(format!("GET / HTTP/1.1\r\nHost: x\r\n{many}\r\n").as_bytes());
    assert_json_error(s, &h, &b, 431, "header_too_large");
    // 400: not HTTP, a raw 0xFF byte in the path.
    let (s, h, b) = send(b"HELLO\x01 there\r\n\r\n");
    assert_json_error(s, &h, &b, 400, "bad_request");
    let (s, h, b) = send(b"GET /api/v1/whois/\xff HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_json_error(s, &h, &b, 400, "bad_request");
    // A percent-encoding that is not UTF-8.
    for path in [
        "/api/v1/whois/%FF",
        "/api/v1/did/%C3%28",
        "/api/v1/identities/%FF",
    ] {
        let r = raw(srv.addr, "GET", path, &[], b"");
        assert_json_error(r.status, &r.headers, &r.body, 400, "invalid_path");
    }
    let r = raw(srv.addr, "GET", "/nothing/here", &[], b"");
    assert_json_error(r.status, &r.headers, &r.body, 404, "not_found");
    let r = raw(srv.addr, "DELETE", "/api/v1/revocations", &[], b"");
    assert_json_error(r.status, &r.headers, &r.body, 405, "method_not_allowed");
    let r = raw(srv.addr, "PUT", "/.well-known/jwks.json", &[], b"");
    assert_json_error(r.status, &r.headers, &r.body, 405, "method_not_allowed");
}

/// A body that stops arriving is answered 408 (JSON) after the body-read
/// timeout and the connection is closed.
#[test]
fn slow_bodies_time_out() {
    let dir = tempfile::tempdir().unwrap();
    let _fx = fixture(dir.path(), &[]);
    let mut c = config(dir.path());
    c.limits.body_read_timeout = Duration::from_millis(500);
    let srv = TestServer::start_with(c);
    let mut s = TcpStream::connect(srv.addr).unwrap();
    let t = Instant::now();
    s.write_all(
        b"POST /api/v1/verify HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"passport\"",
    )
    .unwrap();
    let (status, h, b) = read_response(&mut s);
    let took = t.elapsed();
    assert_json_error(status, &h, &b, 408, "request_timeout");
    assert!(
        took >= Duration::from_millis(400) && took < Duration::from_secs(3),
        "{took:?}"
    );
    assert!(h.to_ascii_lowercase().contains("connection: close"), "{h}");
    std::thread::sleep(Duration::from_millis(100));
    assert!(!is_open(&s));
}

/// A keep-alive connection with nothing to do is closed after the idle
/// timeout; a silent new connection too.
#[test]
fn idle_keep_alive_connections_are_closed() {
    let dir = tempfile::tempdir().unwrap();
    let fx = fixture(dir.path(), &[]);
    let mut c = config(dir.path());
    c.limits.idle_timeout = Duration::from_millis(300);
    c.limits.header_read_timeout = Duration::from_secs(10);
    let srv = TestServer::start_with(c);
    let mut s = TcpStream::connect(srv.addr).unwrap();
    let silent = TcpStream::connect(srv.addr).unwrap();
    s.write_all(format!("GET /api/v1/whois/{} HTTP/1.1\r\nHost: x\r\n\r\n", fx.id).as_bytes())
        .unwrap();
    let (status, _, _) = read_response(&mut s);
    assert_eq!(status, 200);
    assert!(is_open(&s), "keep-alive right after the answer");
    let t = Instant::now();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut b = [0u8; 16];
    assert_eq!(s.read(&mut b).unwrap_or(0), 0);
    let took = t.elapsed();
    assert!(took < Duration::from_secs(2), "{took:?}");
    let mut silent = silent;
    silent
        .set_read_timeout(Some(Duration::from_secs(3)))
        .unwrap();
    assert_eq!(
        silent.read(&mut b).unwrap_or(0),
        0,
        "silent connection closed"
    );
}

/// A write lock held by another process: writes answer 503 with
/// Retry-After and a generic message (no database text); reads go on
/// answering quickly.
#[test]
fn a_locked_database_gives_503_and_reads_do_not_wait() {
    let dir = tempfile::tempdir().unwrap();
    let fx = fixture(dir.path(), &[]);
    let mut c = config(dir.path());
    c.db_busy_timeout = Duration::from_millis(300);
    let srv = TestServer::start_with(c);
    let lock = rusqlite::Connection::open(dir.path().join(registry_server::DB_FILE)).unwrap();
    lock.execute_batch("BEGIN IMMEDIATE").unwrap();
    let auth = format!("Bearer {}", fx.key);
    let h = [
        ("Authorization", auth.as_str()),
        ("Content-Type", "application/json"),
    ];
    let body = format!(r#"{{"identity":"{}"}}"#, fx.id);
    let t = Instant::now();
    let r = raw(srv.addr, "POST", "/api/v1/revoke", &h, body.as_bytes());
    assert!(t.elapsed() < Duration::from_secs(2), "{:?}", t.elapsed());
    assert_busy_503(&r);
    let r = raw(srv.addr, "POST", "/api/v1/issue", &h, body.as_bytes());
    assert_json_error(r.status, &r.headers, &r.body, 503, "unavailable");
    // Eight writers at once do not queue behind each other's timeouts.
    let t = Instant::now();
    let addr = srv.addr;
    let writers: Vec<_> = (0..8)
        .map(|_| {
            let (auth, body) = (auth.clone(), body.clone());
            std::thread::spawn(move || {
                let h = [("Authorization", auth.as_str())];
                raw(addr, "POST", "/api/v1/revoke", &h, body.as_bytes()).status
            })
        })
        .collect();
    for w in writers {
        assert_eq!(w.join().unwrap(), 503);
    }
    assert!(
        t.elapsed() < Duration::from_millis(1500),
        "{:?}",
        t.elapsed()
    );
    for _ in 0..3 {
        let took = timed_whois(srv.addr, fx.id.as_str());
        assert!(took < Duration::from_millis(200), "{took:?}");
    }
    lock.execute_batch("COMMIT").unwrap();
    let r = raw(srv.addr, "POST", "/api/v1/revoke", &h, body.as_bytes());
    assert_eq!(r.status, 200, "{}", r.body);
}

/// The attestation database (`attestations.sqlite3`) locked by another
/// process: storing an attestation answers 503 with Retry-After and a
/// generic message (as the identity store does), not a 500; lookups go on
/// answering; once the lock is gone the same POST is stored.
/// Registers an agent key for the fixture's identity and returns an
/// attestation it signs (the library behind `aiid attest sign`) and its run
/// identity.
fn attested(dir: &std::path::Path, fx: &common::Fixture) -> (String, String) {
    let agent = attest::AgentSigner::new(
        passport::SigningKey::from_bytes(&[42; 32]),
        passport::KeyId::new("agent-1").unwrap(),
        fx.id.clone(),
    );
    let location = registry_server::StoreLocation::DataDir(dir.to_owned());
    let store: Arc<dyn registry_server::store::Store> = fx.store.clone();
    let atts =
        registry_server::open_attestations(&location, &store, Duration::from_secs(5)).unwrap();
    assert!(registry_server::attestations::add_key(
        store.as_ref(),
        atts.as_ref(),
        &fx.id,
        &agent.jwk()
    )
    .unwrap());
    let declaration = include_bytes!("../../examples/run-declaration.scl");
    let now = passport::Clock::now(&passport::SystemClock);
    let envelope = agent.attest(declaration, now, None).unwrap();
    let doc_hash = attest::Statement::from_payload(&envelope.payload)
        .unwrap()
        .doc_hash
        .to_string();
    (envelope.to_json(), doc_hash)
}

/// A stored agent key that no longer parses: the POST is refused with
/// `key_source_unavailable` and whois answers a generic 500; neither shows
/// the stored value or the database's words.
#[test]
fn a_corrupt_agent_key_is_not_shown_to_clients() {
    let dir = tempfile::tempdir().unwrap();
    let fx = fixture(dir.path(), &[]);
    let (env, _) = attested(dir.path(), &fx);
    rusqlite::Connection::open(dir.path().join(registry_server::attestations::DB_FILE))
        .unwrap()
        .execute_batch("UPDATE agent_keys SET x = 'not-a-key!'")
        .unwrap();
    let srv = TestServer::start_with(config(dir.path()));
    let r = raw(
        srv.addr,
        "POST",
        "/api/v1/attestations",
        &[],
        env.as_bytes(),
    );
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(r.json()["error"], "key_source_unavailable", "{}", r.body);
    let w = raw(
        srv.addr,
        "GET",
        &format!("/api/v1/whois/{}", fx.id),
        &[],
        b"",
    );
    assert_json_error(w.status, &w.headers, &w.body, 500, "internal");
    for body in [&r.body, &w.body] {
        let lower = body.to_ascii_lowercase();
        assert!(
            !lower.contains("not-a-key")
                && !lower.contains("corrupt")
                && !lower.contains("agent-1"),
            "{body}"
        );
    }
}

#[test]
fn a_locked_attestation_database_gives_503() {
    let dir = tempfile::tempdir().unwrap();
    let fx = fixture(dir.path(), &[]);
    let (env, doc_hash) = attested(dir.path(), &fx);
    let mut c = config(dir.path());
    c.db_busy_timeout = Duration::from_millis(300);
    let srv = TestServer::start_with(c);
    let lock = rusqlite::Connection::open(dir.path().join(registry_server::attestations::DB_FILE))
        .unwrap();
    lock.execute_batch("BEGIN IMMEDIATE").unwrap();
    let t = Instant::now();
    let r = raw(
        srv.addr,
        "POST",
        "/api/v1/attestations",
        &[],
        env.as_bytes(),
    );
    assert!(t.elapsed() < Duration::from_secs(2), "{:?}", t.elapsed());
    assert_busy_503(&r);
    // Lookups do not wait for the lock.
    let w = raw(
        srv.addr,
        "GET",
        &format!("/api/v1/whois/{}", fx.id),
        &[],
        b"",
    );
    assert_eq!(w.status, 200, "{}", w.body);
    assert_eq!(w.json()["agent_keys"][0]["kid"], "agent-1", "{}", w.body);
    let listing = format!("/api/v1/attestations/{doc_hash}");
    let l = raw(srv.addr, "GET", &listing, &[], b"");
    assert_eq!(
        (l.status, l.json()["count"].clone()),
        (200, 0.into()),
        "{}",
        l.body
    );
    lock.execute_batch("COMMIT").unwrap();
    let r = raw(
        srv.addr,
        "POST",
        "/api/v1/attestations",
        &[],
        env.as_bytes(),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.json()["doc_hash"], doc_hash.as_str());
    let l = raw(srv.addr, "GET", &listing, &[], b"");
    assert_eq!(l.json()["count"], 1, "{}", l.body);
}

/// API keys: listed without the key, revoked by key or id; a revoked key
/// gets 401 on the very next request to the running server.
#[test]
fn a_revoked_api_key_is_refused_on_the_next_request() {
    let dir = tempfile::tempdir().unwrap();
    let fx = fixture(dir.path(), &[]);
    let other =
        admin::create_api_key(fx.store.as_ref(), "beta", &["passport:issue".into()]).unwrap();
    let srv = TestServer::start_with(config(dir.path()));
    let issue = |key: &str| {
        let auth = format!("bearer {key}");
        raw(
            srv.addr,
            "POST",
            "/api/v1/issue",
            &[("Authorization", &auth)],
            format!(r#"{{"identity":"{}"}}"#, fx.id).as_bytes(),
        )
    };
    assert_eq!(issue(&fx.key).status, 200);
    assert_eq!(issue(&other).status, 200);
    // The admin CLI's own store handle, as `aiid registry admin` would use.
    let admin_store = registry_server::open_data_dir(dir.path()).unwrap();
    let listed = admin::list_api_keys(admin_store.as_ref()).unwrap();
    assert_eq!(listed.len(), 2);
    assert!(listed
        .iter()
        .all(|k| k.id.starts_with("ak_") && k.id.len() == 19));
    let text = format!("{listed:?}");
    assert!(!text.contains(&fx.key) && !text.contains(&other));
    let acme = listed.iter().find(|k| k.org == "acme").unwrap();
    assert_eq!(acme.scopes, ["passport:issue", "identity:revoke"]);
    assert_eq!(
        admin::revoke_api_key(admin_store.as_ref(), &fx.key).unwrap(),
        Some(acme.id.clone())
    );
    let r = issue(&fx.key);
    assert_json_error(r.status, &r.headers, &r.body, 401, "invalid_api_key");
    // By id.
    let beta = listed.iter().find(|k| k.org == "beta").unwrap();
    assert_eq!(
        admin::revoke_api_key(admin_store.as_ref(), &beta.id).unwrap(),
        Some(beta.id.clone())
    );
    assert_eq!(issue(&other).status, 401);
    assert_eq!(
        admin::revoke_api_key(admin_store.as_ref(), &beta.id).unwrap(),
        None
    );
    assert!(admin::revoke_api_key(admin_store.as_ref(), "nonsense").is_err());
    assert!(admin::list_api_keys(admin_store.as_ref())
        .unwrap()
        .is_empty());
}

/// The bearer scheme is case-insensitive; MCP ids are echoed byte for
/// byte; duplicate members are refused in MCP arguments and envelopes.
#[test]
fn protocol_consistency() {
    let dir = tempfile::tempdir().unwrap();
    let fx = fixture(dir.path(), &[]);
    let srv = TestServer::start_with(config(dir.path()));
    let body = format!(r#"{{"identity":"{}"}}"#, fx.id);
    for scheme in ["Bearer", "bearer", "BEARER", "bEaReR"] {
        let auth = format!("{scheme}  {}", fx.key);
        let r = raw(
            srv.addr,
            "POST",
            "/api/v1/issue",
            &[("Authorization", &auth)],
            body.as_bytes(),
        );
        assert_eq!(r.status, 200, "{scheme}: {}", r.body);
    }
    let r = raw(
        srv.addr,
        "POST",
        "/api/v1/issue",
        &[("Authorization", &format!("Basic {}", fx.key))],
        body.as_bytes(),
    );
    assert_json_error(r.status, &r.headers, &r.body, 401, "invalid_api_key");
    let mcp = |text: &str| raw(srv.addr, "POST", "/api/mcp", &[], text.as_bytes()).body;
    for id in [
        "123456789012345678901234567890",
        "1.50",
        "-0",
        "1e400",
        r#""a\u0041\n""#,
    ] {
        let out = mcp(&format!(r#"{{"jsonrpc":"2.0","id":{id},"method":"ping"}}"#));
        assert!(
            out.starts_with(&format!(r#"{{"jsonrpc":"2.0","id":{id},"#)),
            "{id}: {out}"
        );
    }
    let out = mcp(
        r#"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"verify","arguments":{"passport":"x.y.z","passport":"a.b.c"}}}"#,
    );
    let j: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(j["error"]["code"], -32602, "{out}");
    assert!(
        j["error"]["message"]
            .as_str()
            .unwrap()
            .contains("duplicate"),
        "{out}"
    );
    let out = mcp(r#"{"jsonrpc":"2.0","id":8,"method":"ping","method":"tools/list"}"#);
    let j: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(j["error"]["code"], -32600, "{out}");
    let out = mcp(
        r#"{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"whois","name":"verify","arguments":{}}}"#,
    );
    let j: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(
        j["error"]["code"] == -32602 || j["error"]["code"] == -32600,
        "{out}"
    );
}

/// Loopback is one host: 127.0.0.2, .3, … share the budget of 127.0.0.1.
/// X-Forwarded-For is believed only from a configured trusted proxy.
#[test]
fn rate_limits_per_host_and_trusted_proxies() {
    let dir = tempfile::tempdir().unwrap();
    let fx = fixture(dir.path(), &[]);
    let limits = RateLimits {
        unauthenticated_per_min: 2,
        verify_per_min: 0,
        whois_per_min: 0,
    };
    let path = format!("/api/v1/whois/{}", fx.id);
    let from = |srv: &TestServer, local: &str, xff: Option<&str>| {
        let sock = tokio::net::TcpSocket::new_v4().unwrap();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let std_stream = rt.block_on(async {
            sock.bind(format!("{local}:0").parse().unwrap()).unwrap();
            sock.connect(srv.addr).await.unwrap().into_std().unwrap()
        });
        std_stream.set_nonblocking(false).unwrap();
        let mut s = std_stream;
        let x = xff.map_or(String::new(), |v| format!("X-Forwarded-For: {v}\r\n"));
        s.write_all(
            format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n{x}\r\n").as_bytes(),
        )
        .unwrap();
        read_response(&mut s).0
    };
    let mut c = config(dir.path());
    c.rate_limits = limits;
    let srv = TestServer::start_with(c);
    assert_eq!(from(&srv, "127.0.0.2", None), 200);
    assert_eq!(from(&srv, "127.0.0.3", Some("203.0.113.1")), 200);
    assert_eq!(from(&srv, "127.0.0.4", Some("203.0.113.2")), 429);
    assert_eq!(from(&srv, "127.0.0.5", None), 429);
    drop(srv);
    let mut c = config(dir.path());
    c.rate_limits = limits;
    c.limits.trusted_proxies = vec!["127.0.0.0/8".parse().unwrap()];
    let srv = TestServer::start_with(c);
    assert_eq!(from(&srv, "127.0.0.2", Some("203.0.113.1")), 200);
    assert_eq!(from(&srv, "127.0.0.2", Some("203.0.113.1")), 200);
    assert_eq!(from(&srv, "127.0.0.2", Some("203.0.113.1")), 429);
    // Another client behind the proxy, and a spoofed left-most entry.
    assert_eq!(
        from(&srv, "127.0.0.2", Some("203.0.113.1, 203.0.113.2")),
        200
    );
    assert_eq!(from(&srv, "127.0.0.2", Some("203.0.113.9")), 200);
    // IPv6 clients behind the proxy count per /64.
    assert_eq!(from(&srv, "127.0.0.2", Some("2001:db8::1")), 200);
    assert_eq!(from(&srv, "127.0.0.2", Some("2001:db8::2")), 200);
    assert_eq!(from(&srv, "127.0.0.2", Some("2001:db8::ffff:3")), 429);
}

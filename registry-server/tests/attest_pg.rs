//! Attestations on a registry over PostgreSQL (`--database`) when the
//! database becomes unreachable: the attestation endpoints answer 503 with
//! `Retry-After` (RG-56), never a verdict on the envelope or a 500, and work
//! again once the database is back. Real server on loopback, real cluster
//! (`support/pg_cluster.rs`).

extern crate aiid_registry_server as registry_server;
mod common;
#[path = "support/pg_cluster.rs"]
mod pg_cluster;

use common::{raw, TestServer};
use registry_server::store::Store;
use registry_server::{admin, RateLimits, ServerConfig, StoreLocation};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[test]
fn an_unreachable_database_gives_503_for_attestations() {
    let Some(cluster) = pg_cluster::cluster() else {
        return;
    };
    let url = cluster.database("attest_down");
    let name = url.rsplit('/').next().unwrap().to_owned();
    let store: Arc<dyn Store> = registry_server::open_database(&url).unwrap();
    let rec = admin::create_identity(
        store.as_ref(),
        &"Acme Corp Ltd.".parse().unwrap(),
        passport::Tier::CreatorVerified,
        &[],
        &[],
    )
    .unwrap();
    // A registered agent key and attestations it signs (the library behind
    // `aiid attest sign`).
    let agent = attest::AgentSigner::new(
        passport::SigningKey::from_bytes(&[7; 32]),
        passport::KeyId::new("agent-1").unwrap(),
        rec.id.clone(),
    );
    let location = StoreLocation::Postgres(url.clone());
    let atts =
        registry_server::open_attestations(&location, &store, Duration::from_secs(5)).unwrap();
    assert!(registry_server::attestations::add_key(
        store.as_ref(),
        atts.as_ref(),
        &rec.id,
        &agent.jwk()
    )
    .unwrap());
    drop((atts, store));
    let declaration = include_bytes!("../../examples/run-declaration.scl");
    let now = passport::Clock::now(&passport::SystemClock);
    let sign = |at: i64| agent.attest(declaration, at, None).unwrap();
    let first = sign(now - 10);
    let doc_hash = attest::Statement::from_payload(&first.payload)
        .unwrap()
        .doc_hash
        .to_string();
    let listing = format!("/api/v1/attestations/{doc_hash}");
    let mut cfg = ServerConfig::postgres(url.clone());
    cfg.rate_limits = RateLimits::unlimited();
    let srv = TestServer::start_with(cfg);
    let post = |env: &attest::Envelope| {
        raw(
            srv.addr,
            "POST",
            "/api/v1/attestations",
            &[],
            env.to_json().as_bytes(),
        )
    };
    let r = post(&first);
    assert_eq!(r.status, 201, "{}", r.body);

    // The database refuses new connections and drops the existing ones.
    pg_cluster::psql(
        &cluster.url,
        &format!("ALTER DATABASE {name} ALLOW_CONNECTIONS false"),
    );
    pg_cluster::psql(
        &cluster.url,
        &format!(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '{name}'"
        ),
    );
    let second = sign(now - 5);
    let t = Instant::now();
    for (what, r) in [
        ("post", post(&second)),
        ("listing", raw(srv.addr, "GET", &listing, &[], b"")),
        (
            "whois",
            raw(
                srv.addr,
                "GET",
                &format!("/api/v1/whois/{}", rec.id),
                &[],
                b"",
            ),
        ),
    ] {
        assert_eq!(r.status, 503, "{what}: {}", r.body);
        assert_eq!(r.json()["error"], "unavailable", "{what}: {}", r.body);
        assert_eq!(r.header("retry-after").as_deref(), Some("1"), "{what}");
        assert!(!r.body.contains(&name), "{what}: {}", r.body);
    }
    assert!(t.elapsed() < Duration::from_secs(20), "{:?}", t.elapsed());

    // Back: the same POST is stored, and listed with the first.
    pg_cluster::psql(
        &cluster.url,
        &format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true"),
    );
    let t = Instant::now();
    let r = loop {
        let r = post(&second);
        if r.status != 503 || t.elapsed() > Duration::from_secs(10) {
            break r;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(r.status, 201, "{}", r.body);
    let l = raw(srv.addr, "GET", &listing, &[], b"");
    assert_eq!(l.json()["count"], 2, "{}", l.body);
}

//! Two `aiid registry serve` replicas (real subprocesses) on loopback over
//! one PostgreSQL database on a throwaway cluster: they serve the same JWKS;
//! a passport issued by A verifies offline and online on B; a revocation
//! acknowledged by A is refused by B within 1 s; A killed with SIGKILL right
//! after acknowledgements (also in the middle of a stream of revocations)
//! loses none of them; A restarts; a key rotation and an API-key revocation
//! by the administrator take effect on both within 1 s; an agent key added
//! by the administrator is in the identity record both serve.

#[path = "../../registry-server/tests/support/pg_cluster.rs"]
mod pg_cluster;

use passport::{Policy, Verifier};
use registry_client::{
    BlockingClient, ClientConfig, IssueRequest, JwksCache, JwksCacheConfig, RevocationCache,
    RevocationCacheConfig, RevokeRequest,
};
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const AIID: &str = env!("CARGO_BIN_EXE_aiid");
const ISSUER: &str = "https://registry.test";

struct Replica {
    child: Child,
    url: String,
}

impl Replica {
    fn start(database: &str) -> Replica {
        let mut child = Command::new(AIID)
            .args(["registry", "serve", "--listen", "127.0.0.1:0"])
            .args(["--database", database, "--issuer", ISSUER])
            .args(["--rate-limit-unauthenticated", "0"])
            .args(["--rate-limit-verify", "0", "--rate-limit-whois", "0"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let url = line
            .strip_prefix("listening on ")
            .and_then(|r| r.split_whitespace().next())
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_owned();
        assert!(
            line.trim_end().ends_with(&format!("issuer {ISSUER}")),
            "{line}"
        );
        Replica { child, url }
    }

    fn client(&self, key: Option<&str>) -> BlockingClient {
        let mut cfg = ClientConfig::new(&self.url);
        cfg.api_key = key.map(str::to_owned);
        BlockingClient::new(cfg).unwrap()
    }

    fn kill9(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Replica {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn admin(database: &str, args: &[&str]) -> String {
    let out = Command::new(AIID)
        .args(["registry", "admin", "--database", database])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "admin {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    text.split_whitespace().last().unwrap().to_owned()
}

/// Waits up to `limit` for `cond`, returning how long it took.
fn within(limit: Duration, mut cond: impl FnMut() -> bool) -> Duration {
    let t0 = Instant::now();
    loop {
        if cond() {
            return t0.elapsed();
        }
        assert!(t0.elapsed() < limit, "not within {limit:?}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn issue(c: &BlockingClient, id: &passport::IdentityId) -> registry_client::IssueResponse {
    c.issue(&IssueRequest {
        identity: id.clone(),
        ttl_days: Some(1),
        audience: None,
    })
    .unwrap()
}

fn revoke_passport(c: &BlockingClient, jti: &str) {
    let ack = c
        .revoke(&RevokeRequest {
            passport: Some(jti.to_owned()),
            reason: Some("test".into()),
            ..RevokeRequest::default()
        })
        .unwrap();
    assert!(ack.newly_revoked);
}

#[test]
fn two_replicas_over_one_postgres_database() {
    let Some(cluster) = pg_cluster::cluster() else {
        return;
    };
    let db = cluster.database("replicas");
    // Administration through the CLI, on the database.
    let id: passport::IdentityId = admin(
        &db,
        &[
            "identity",
            "create",
            "--operator",
            "Acme Corp Ltd.",
            "--tier",
            "business_verified",
        ],
    )
    .parse()
    .unwrap();
    let key = admin(
        &db,
        &[
            "api-key",
            "create",
            "--scope",
            "passport:issue",
            "--scope",
            "identity:revoke",
        ],
    );
    let a = Replica::start(&db);
    let b = Replica::start(&db);
    let (ca, cb) = (a.client(Some(&key)), b.client(Some(&key)));

    // One JWKS everywhere.
    assert_eq!(ca.jwks().unwrap().to_json(), cb.jwks().unwrap().to_json());

    // Issue on A; verify offline (keys and revocations fetched from B) and online on B.
    let p1 = issue(&ca, &id);
    let offline = Verifier::new(
        Policy::new(ISSUER, "verifier"),
        JwksCache::new(b.client(None), JwksCacheConfig::default()),
    )
    .with_revocation(RevocationCache::new(
        b.client(None),
        RevocationCacheConfig::default(),
    ));
    let verified = offline.verify(&p1.passport).unwrap();
    assert_eq!(verified.claims.sub, id);
    assert!(cb.verify_passport(&p1.passport).unwrap().valid);

    // Revoke on A: B refuses within 1 s.
    revoke_passport(&ca, &p1.jti);
    let took = within(Duration::from_secs(1), || {
        !cb.verify_passport(&p1.passport).unwrap().valid
    });
    eprintln!("B refused the passport revoked on A after {took:?}");
    let v = cb.verify_passport(&p1.passport).unwrap();
    assert_eq!(v.error.as_deref(), Some("revoked"));
    let (list, _) = cb.revocations().unwrap();
    assert_eq!(list.passports, std::slice::from_ref(&p1.jti));

    // SIGKILL A right after an acknowledgement: B still refuses.
    let p2 = issue(&cb, &id);
    assert!(ca.verify_passport(&p2.passport).unwrap().valid);
    revoke_passport(&ca, &p2.jti);
    a.kill9();
    within(Duration::from_secs(1), || {
        !cb.verify_passport(&p2.passport).unwrap().valid
    });

    // Restart A: it refuses both, and publishes the same keys as B.
    let a = Replica::start(&db);
    let ca = a.client(Some(&key));
    for p in [&p1, &p2] {
        assert!(!ca.verify_passport(&p.passport).unwrap().valid);
    }
    assert_eq!(ca.jwks().unwrap().to_json(), cb.jwks().unwrap().to_json());

    // SIGKILL A in the middle of a stream of revocations: every one it
    // acknowledged is enforced by B.
    let acked = std::thread::scope(|s| {
        let writer = s.spawn(|| {
            let mut acked = Vec::new();
            for i in 0..10_000 {
                let jti = format!("p_stream_{i}");
                match ca.revoke(&RevokeRequest {
                    passport: Some(jti.clone()),
                    ..RevokeRequest::default()
                }) {
                    Ok(_) => acked.push(jti),
                    Err(_) => break, // A is gone
                }
            }
            acked
        });
        std::thread::sleep(Duration::from_millis(300));
        a.kill9();
        writer.join().unwrap()
    });
    assert!(!acked.is_empty());
    within(Duration::from_secs(1), || {
        let (list, _) = cb.revocations().unwrap();
        acked.iter().all(|j| list.passports.contains(j))
    });
    eprintln!(
        "{} revocations acknowledged by A before SIGKILL, all enforced by B",
        acked.len()
    );
    let a = Replica::start(&db);
    let (list, _) = a.client(None).revocations().unwrap();
    assert!(acked.iter().all(|j| list.passports.contains(j)));

    // A key rotation by the administrator: both replicas publish the same
    // new JWKS and sign with the new key within 1 s, without a restart.
    let ca = a.client(Some(&key));
    let before = cb.jwks().unwrap().to_json();
    let new_kid = admin(&db, &["key", "rotate"]);
    for c in [&ca, &cb] {
        within(Duration::from_secs(1), || {
            c.jwks().unwrap().to_json() != before && issue(c, &id).key_id == new_kid
        });
    }
    assert_eq!(ca.jwks().unwrap().to_json(), cb.jwks().unwrap().to_json());
    let p3 = issue(&ca, &id);
    assert!(cb.verify_passport(&p3.passport).unwrap().valid);

    // An API key revoked by the administrator stops working on both
    // replicas within 1 s.
    admin(&db, &["api-key", "revoke", &key]);
    for c in [&ca, &cb] {
        within(Duration::from_secs(1), || {
            c.issue(&IssueRequest {
                identity: id.clone(),
                ttl_days: Some(1),
                audience: None,
            })
            .is_err_and(|e| e.status() == Some(401))
        });
    }
    // An agent key added by the administrator on the database is in the
    // identity record served by both replicas (read from the database).
    let dir = std::env::temp_dir().join(format!("aiid-replicas-agent-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (pem, jwks) = (dir.join("agent.pem"), dir.join("agent.jwks"));
    let out = Command::new(AIID)
        .args([
            "attest",
            "keygen",
            "--identity",
            id.as_str(),
            "--kid",
            "agent-1",
        ])
        .arg("--private-key")
        .arg(&pem)
        .arg("--jwks")
        .arg(&jwks)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let jwks_arg = jwks.to_string_lossy().into_owned();
    admin(
        &db,
        &["identity", "add-key", id.as_str(), "--jwk", &jwks_arg],
    );
    let _ = std::fs::remove_dir_all(&dir);
    for r in [&a, &b] {
        let addr = r.url.trim_start_matches("http://").to_owned();
        let mut conn = std::net::TcpStream::connect(&addr).unwrap();
        conn.write_all(
            format!("GET /api/v1/whois/{id} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n")
                .as_bytes(),
        )
        .unwrap();
        let mut answer = String::new();
        conn.read_to_string(&mut answer).unwrap();
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        assert!(answer.contains(r#""kid":"agent-1""#), "{answer}");
    }
    drop(a);
    drop(b);
}

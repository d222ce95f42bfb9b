//! The server process and its data: permissions of the data directory,
//! bounded graceful shutdown (and the second signal), strict admin
//! revocation, and the issuer key lifecycle (rotation with a grace period,
//! emergency revocation) on a running server.

extern crate aiid_registry_server as registry_server;
mod common;

use common::{fixture, raw, TestServer};
use registry_client::{BlockingClient, ClientConfig, IdentityStatus, IssueRequest};
use registry_server::store::Store;
use registry_server::{admin, RateLimits, ServerConfig};
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Proc {
    child: Child,
    url: String,
    addr: std::net::SocketAddr,
    stderr: std::sync::mpsc::Receiver<String>,
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn spawn(dir: &std::path::Path, extra: &[&str]) -> Proc {
    let mut child = Command::new(env!("CARGO_BIN_EXE_registry-server"))
        .args(["--listen", "127.0.0.1:0", "--data"])
        .arg(dir)
        .args(["--rate-limit-unauthenticated", "0"])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let err = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(err).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .strip_prefix("listening on ")
        .and_then(|r| r.split_whitespace().next())
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned();
    let addr = url.trim_start_matches("http://").parse().unwrap();
    Proc {
        child,
        url,
        addr,
        stderr: rx,
    }
}

fn signal(p: &Proc, sig: &str) {
    let ok = Command::new("kill")
        .args([sig, &p.child.id().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill {sig}");
}

/// Waits for the process to exit; its exit time since `from`.
fn wait_exit(p: &mut Proc, from: Instant, limit: Duration) -> Duration {
    loop {
        if let Some(status) = p.child.try_wait().unwrap() {
            assert!(status.success(), "{status:?}");
            return from.elapsed();
        }
        assert!(from.elapsed() < limit, "still running after {limit:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn stderr_lines(p: &Proc) -> Vec<String> {
    p.stderr.try_iter().collect()
}

#[cfg(unix)]
fn mode(p: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o7777
}

/// A data directory that already exists with loose modes, a database and
/// WAL written by someone else with 0644: after start nothing in it is
/// accessible to group or others, and each tightening is reported.
#[cfg(unix)]
#[test]
fn data_directory_is_private_whatever_existed() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("d");
    std::fs::create_dir(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let db = dir.join(registry_server::DB_FILE);
    {
        let c = rusqlite::Connection::open(&db).unwrap();
        c.query_row("PRAGMA journal_mode=WAL", [], |_| Ok(()))
            .unwrap();
        c.execute_batch("CREATE TABLE t(x); INSERT INTO t VALUES (1);")
            .unwrap();
        for f in ["", "-wal", "-shm"] {
            let p = dir.join(format!("{}{f}", registry_server::DB_FILE));
            if p.exists() {
                std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
            }
        }
        std::fs::write(dir.join("notes.txt"), "x").unwrap();
        std::fs::set_permissions(
            dir.join("notes.txt"),
            std::fs::Permissions::from_mode(0o666),
        )
        .unwrap();
        let mut p = spawn(&dir, &[]);
        // The key material is written by now (first start creates a key).
        let client = BlockingClient::new(ClientConfig::new(&p.url)).unwrap();
        assert_eq!(client.jwks().unwrap().keys().len(), 1);
        assert_eq!(mode(&dir), 0o700);
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            assert_eq!(mode(&path), 0o600, "{}", path.display());
        }
        for f in ["-wal", "-shm"] {
            assert!(dir
                .join(format!("{}{f}", registry_server::DB_FILE))
                .exists());
        }
        signal(&p, "-TERM");
        wait_exit(&mut p, Instant::now(), Duration::from_secs(5));
        let log = stderr_lines(&p).join("\n");
        for what in [
            "d from 0755",
            "registry.sqlite3 from 0644",
            "notes.txt from 0666",
        ] {
            assert!(log.contains(what), "{what} not reported in:\n{log}");
        }
    }
    // A shared directory (sticky bit, like /tmp) is never taken over.
    let shared = tmp.path().join("shared");
    std::fs::create_dir(&shared).unwrap();
    std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o1777)).unwrap();
    let e = registry_server::open_data_dir(&shared).unwrap_err();
    assert!(e.to_string().contains("sticky"), "{e}");
    assert_eq!(mode(&shared), 0o1777);
    // A fresh directory is created private, with nothing to report.
    let fresh = tmp.path().join("fresh");
    let store = registry_server::open_data_dir(&fresh).unwrap();
    assert_eq!(mode(&fresh), 0o700);
    for entry in std::fs::read_dir(&fresh).unwrap() {
        let path = entry.unwrap().path();
        assert_eq!(mode(&path), 0o600, "{}", path.display());
    }
    drop(store);
}

/// SIGTERM with clients holding a partial head and a partial body: the
/// server stops within the shutdown deadline.
#[test]
fn shutdown_is_bounded_by_the_deadline() {
    let dir = tempfile::tempdir().unwrap();
    let _fx = fixture(dir.path(), &[]);
    let mut p = spawn(
        dir.path(),
        &[
            "--shutdown-timeout",
            "1s",
            "--header-read-timeout",
            "60s",
            "--body-read-timeout",
            "60s",
            "--idle-timeout",
            "60s",
        ],
    );
    let mut head = TcpStream::connect(p.addr).unwrap();
    head.write_all(b"GET /api/v1/revocations HTTP/1.1\r\nHost: x\r\n")
        .unwrap();
    let mut body = TcpStream::connect(p.addr).unwrap();
    body.write_all(b"POST /api/v1/verify HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\n{\"pa")
        .unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let t = Instant::now();
    signal(&p, "-TERM");
    let took = wait_exit(&mut p, t, Duration::from_secs(5));
    assert!(took < Duration::from_millis(2500), "{took:?}");
    let log = stderr_lines(&p).join("\n");
    assert!(log.contains("shutting down"), "{log}");
}

/// An in-flight request started before SIGTERM is still answered; new
/// connections are not accepted.
#[test]
fn shutdown_finishes_in_flight_requests() {
    let dir = tempfile::tempdir().unwrap();
    let fx = fixture(dir.path(), &[]);
    let mut p = spawn(dir.path(), &["--shutdown-timeout", "5s"]);
    let body = format!(r#"{{"id":"{}"}}"#, fx.id);
    let mut s = TcpStream::connect(p.addr).unwrap();
    s.write_all(
        format!(
            "POST /api/v1/verify HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n",
            body.len()
        )
        .as_bytes(),
    )
    .unwrap();
    s.write_all(&body.as_bytes()[..5]).unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let t = Instant::now();
    signal(&p, "-TERM");
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        p.child.try_wait().unwrap().is_none(),
        "waits for the request"
    );
    assert!(
        TcpStream::connect(p.addr).is_err() || {
            // Accepted by the kernel backlog at most; never answered.
            let mut c = TcpStream::connect(p.addr).unwrap();
            c.set_read_timeout(Some(Duration::from_millis(500)))
                .unwrap();
            let _ = c.write_all(b"GET /api/v1/revocations HTTP/1.1\r\nHost: x\r\n\r\n");
            let mut b = [0u8; 16];
            !matches!(c.read(&mut b), Ok(n) if n > 0)
        }
    );
    s.write_all(&body.as_bytes()[5..]).unwrap();
    let mut out = String::new();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let _ = s.read_to_string(&mut out);
    assert!(out.starts_with("HTTP/1.1 200"), "{out}");
    assert!(out.contains("\"valid\":true"), "{out}");
    let took = wait_exit(&mut p, t, Duration::from_secs(5));
    assert!(took < Duration::from_secs(3), "{took:?}");
}

/// A second SIGTERM (or SIGINT) exits at once, without waiting for the
/// deadline.
#[test]
fn a_second_signal_exits_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let _fx = fixture(dir.path(), &[]);
    for second in ["-TERM", "-INT"] {
        let mut p = spawn(
            dir.path(),
            &["--shutdown-timeout", "60s", "--body-read-timeout", "60s"],
        );
        let mut s = TcpStream::connect(p.addr).unwrap();
        s.write_all(b"POST /api/v1/verify HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\n{")
            .unwrap();
        std::thread::sleep(Duration::from_millis(200));
        signal(&p, "-TERM");
        std::thread::sleep(Duration::from_millis(300));
        assert!(p.child.try_wait().unwrap().is_none(), "first signal waits");
        let t = Instant::now();
        signal(&p, second);
        let took = wait_exit(&mut p, t, Duration::from_secs(5));
        assert!(took < Duration::from_secs(1), "{second}: {took:?}");
        assert!(stderr_lines(&p).iter().any(|l| l.contains("second signal")));
    }
}

/// `admin revoke` takes exactly an identity id, a DID (resolved) or a
/// passport id; anything else is refused and changes nothing; revoking an
/// identity makes whois say revoked and /issue refuse it.
#[test]
fn admin_revoke_is_strict_and_takes_effect() {
    let dir = tempfile::tempdir().unwrap();
    let fx = fixture(dir.path(), &[]);
    let srv = TestServer::start(dir.path(), RateLimits::unlimited());
    let client = BlockingClient::new(ClientConfig::new(&srv.url).with_api_key(&fx.key)).unwrap();
    let (leading, trailing) = (format!(" {}", fx.id), format!("{} ", fx.id));
    let bad: [(Option<&str>, Option<&str>); 8] = [
        (Some(&leading), None),
        (Some(&trailing), None),
        (Some("did:web:example.com"), None),
        (Some("did:aiidentity:"), None),
        (Some("p_01ABC"), None),
        (None, Some("has space")),
        (Some(fx.id.as_str()), Some("p_1")),
        (None, None),
    ];
    for (id, passport) in bad {
        let e = admin::revoke_target(id, passport).unwrap_err();
        assert!(!e.to_string().is_empty());
    }
    assert!(admin::check_reason("").is_err());
    assert!(
        fx.store.revocations().unwrap().is_empty(),
        "nothing changed"
    );
    let did = registry_client::did_of(&fx.id);
    let t = admin::revoke_target(Some(&did), None).unwrap();
    assert_eq!(t, admin::RevokeTarget::Identity(fx.id.clone()));
    let out = admin::revoke(fx.store.as_ref(), &t, "compromised").unwrap();
    assert!(matches!(
        out,
        registry_server::store::RevokeOutcome::Revoked(_)
    ));
    assert_eq!(
        client.whois(&fx.id).unwrap().status,
        IdentityStatus::Revoked
    );
    let e = client
        .issue(&IssueRequest {
            identity: fx.id.clone(),
            ttl_days: Some(1),
            audience: None,
        })
        .unwrap_err();
    assert_eq!(e.status(), Some(409), "{e}");
    let t = admin::revoke_target(None, Some("p_01ABC")).unwrap();
    assert_eq!(t, admin::RevokeTarget::Passport("p_01ABC".into()));
}

fn wait_until(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Rotation with a grace period of 0: the old private key is deleted at
/// once, its public key stays published while its passport is unexpired,
/// the running server signs with the new key within its poll interval.
/// Emergency revocation removes a key from the JWKS at once (within the
/// poll), lists it in the revocations and invalidates its passports;
/// revoking the last usable key generates a new one.
#[test]
fn key_rotation_retirement_and_revocation_on_a_running_server() {
    let dir = tempfile::tempdir().unwrap();
    let fx = fixture(dir.path(), &[]);
    let srv = TestServer::start_with({
        let mut c = ServerConfig::new(dir.path());
        c.rate_limits = RateLimits::unlimited();
        c
    });
    let client = BlockingClient::new(ClientConfig::new(&srv.url).with_api_key(&fx.key)).unwrap();
    let issue = || {
        client
            .issue(&IssueRequest {
                identity: fx.id.clone(),
                ttl_days: Some(1),
                audience: None,
            })
            .unwrap()
    };
    let old = issue();
    let old_kid = old.key_id.clone();
    let new_kid = admin::rotate_key(fx.store.as_ref(), Some(Duration::ZERO)).unwrap();
    let keys = fx.store.signing_keys().unwrap();
    let old_row = keys.iter().find(|k| k.kid.as_str() == old_kid).unwrap();
    assert!(
        old_row.private_pem.is_none(),
        "private part deleted at once"
    );
    // The WAL was checkpointed: the private key text is nowhere on disk.
    let pem_marker = b"BEGIN PRIVATE KEY";
    let mut found = 0;
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        found += bytes
            .windows(pem_marker.len())
            .filter(|w| *w == pem_marker)
            .count();
    }
    assert_eq!(found, 1, "only the current key's PEM remains");
    wait_until("the server to sign with the new key", || {
        issue().key_id == new_kid.as_str()
    });
    let kids = |c: &BlockingClient| -> Vec<String> {
        c.jwks()
            .unwrap()
            .keys()
            .iter()
            .map(|k| k.kid.as_str().to_owned())
            .collect()
    };
    assert_eq!(kids(&client), vec![new_kid.to_string(), old_kid.clone()]);
    assert!(client.verify_passport(&old.passport).unwrap().valid);
    let listed = admin::list_keys(fx.store.as_ref()).unwrap();
    assert_eq!(listed[0].status, "current");
    assert_eq!(listed[1].status, "retired");

    // Emergency revocation of the old key.
    let r = admin::revoke_key(fx.store.as_ref(), &old_kid, "leaked")
        .unwrap()
        .unwrap();
    assert!(r.new_current.is_none());
    wait_until("the JWKS to drop the revoked key", || {
        kids(&client) == vec![new_kid.to_string()]
    });
    let (list, _) = client.revocations().unwrap();
    let listed_keys: Vec<&str> = list.keys.iter().map(|k| k.as_str()).collect();
    assert_eq!(listed_keys, vec![old_kid.as_str()]);
    let v = client.verify_passport(&old.passport).unwrap();
    assert!(!v.valid);
    assert_eq!(v.error.as_deref(), Some("revoked"));
    assert!(admin::revoke_key(fx.store.as_ref(), "k_UNKNOWN", "x")
        .unwrap()
        .is_none());

    // Revoking the current key: a new one is generated and used.
    let current = issue();
    let r = admin::revoke_key(fx.store.as_ref(), new_kid.as_str(), "leaked")
        .unwrap()
        .unwrap();
    let newest = r.new_current.unwrap();
    wait_until("the server to sign with the replacement key", || {
        issue().key_id == newest.as_str()
    });
    wait_until("passports of the revoked current key to fail", || {
        !client.verify_passport(&current.passport).unwrap().valid
    });
    assert_eq!(kids(&client), vec![newest.to_string()]);
    let doc = client
        .did_document(&registry_client::did_of(&fx.id))
        .unwrap();
    assert_eq!(doc["verificationMethod"].as_array().unwrap().len(), 1);
    let r = raw(srv.addr, "GET", "/.well-known/jwks.json", &[], b"");
    assert!(!r.body.contains(&old_kid));
}

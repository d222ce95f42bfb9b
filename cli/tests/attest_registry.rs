//! Run attestations at the registry, end to end: `aiid registry admin
//! identity add-key`, whois and DID document with agent keys, `POST
//! /api/v1/attestations` (verify then store; refusals; body cap; rate limit),
//! `GET /api/v1/attestations/{doc_hash}`, the MCP tool `attestations`, and
//! `aiid attest verify --registry` (keys from the registry, revocation).
//! The flow runs on both backends: an SQLite data directory and a
//! PostgreSQL database on a throwaway cluster, there with two servers over
//! the one database (keys and attestations written through one are read
//! through the other). Real HTTP on loopback; real subprocesses.

#[path = "../../registry-server/tests/support/pg_cluster.rs"]
mod pg_cluster;
mod support;

use registry_server::{BackgroundServer, RateLimits, ServerConfig};
use serde_json::{json, Value};
use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::process::Output;
use std::time::Duration;
use support::{aiid, Dir};

fn ok(o: Output) -> String {
    assert!(
        o.status.success(),
        "exit {:?}\n{}{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

struct Resp {
    status: u16,
    body: String,
}

impl Resp {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
}

fn http(addr: SocketAddr, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Resp {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (n, v) in headers {
        req.push_str(&format!("{n}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).unwrap();
    let _ = s.write_all(body);
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    let text = String::from_utf8_lossy(&out).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    Resp {
        status: head
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0),
        body: body.to_owned(),
    }
}

/// Where the registry under test keeps its state.
enum Loc {
    /// An SQLite data directory (`--data`).
    Data(String),
    /// A PostgreSQL database (`--database`).
    Database(String),
}

impl Loc {
    /// `aiid registry admin --data|--database … ARGS`.
    fn admin(&self, args: &[&str]) -> Output {
        let (flag, value) = match self {
            Loc::Data(d) => ("--data", d),
            Loc::Database(u) => ("--database", u),
        };
        let mut all = vec!["registry", "admin", flag, value.as_str()];
        all.extend_from_slice(args);
        aiid(&all)
    }

    fn config(&self) -> ServerConfig {
        match self {
            Loc::Data(d) => ServerConfig::new(d),
            Loc::Database(u) => ServerConfig::postgres(u.clone()),
        }
    }
}

fn addr_of(server: &BackgroundServer) -> SocketAddr {
    server.url().trim_start_matches("http://").parse().unwrap()
}

/// A registry with one identity, its agent key registered, and an API key
/// that may issue passports. Returns (identity, api key).
fn setup(d: &Dir, loc: &Loc) -> (String, String) {
    let out = ok(loc.admin(&[
        "identity",
        "create",
        "--operator",
        "Acme Corp Ltd.",
        "--tier",
        "creator_verified",
    ]));
    let id = out.split_whitespace().last().unwrap().to_owned();
    assert!(id.starts_with("aii_"), "{out}");
    ok(aiid(&[
        "attest",
        "keygen",
        "--identity",
        &id,
        "--kid",
        "agent-1",
        "--private-key",
        &d.p("agent.pem"),
        "--jwks",
        &d.p("agent.jwks"),
    ]));
    let out = ok(loc.admin(&["identity", "add-key", &id, "--jwk", &d.p("agent.jwks")]));
    assert!(out.contains("added agent key agent-1"), "{out}");
    // Idempotent; an agent JWKS of another identity is refused.
    let out = ok(loc.admin(&["identity", "add-key", &id, "--jwk", &d.p("agent.jwks")]));
    assert!(out.contains("already present"), "{out}");
    ok(aiid(&[
        "attest",
        "keygen",
        "--identity",
        "aii_SOMEONEELSE",
        "--kid",
        "x",
        "--private-key",
        &d.p("x.pem"),
        "--jwks",
        &d.p("x.jwks"),
    ]));
    let o = loc.admin(&["identity", "add-key", &id, "--jwk", &d.p("x.jwks")]);
    assert_eq!(
        o.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let o = loc.admin(&[
        "identity",
        "add-key",
        "aii_NOSUCHIDENTITY",
        "--jwk",
        &d.p("agent.jwks"),
    ]);
    assert_ne!(o.status.code(), Some(0));
    let out = ok(loc.admin(&[
        "api-key",
        "create",
        "--scope",
        "passport:issue",
        "--org",
        "acme",
    ]));
    let key = out.split_whitespace().last().unwrap().to_owned();
    ok(aiid(&[
        "declare",
        "--model",
        "openai:gpt-4o",
        "--param",
        "seed=7",
        "--prompt",
        "Summarise.",
        "-o",
        &d.p("run.scl"),
    ]));
    (id, key)
}

fn sign(d: &Dir, id: &str, pem: &str, kid: &str, passport: Option<&str>) -> String {
    let pem = d.p(pem);
    let run = d.p("run.scl");
    let mut args = vec![
        "attest",
        "sign",
        "--private-key",
        &pem,
        "--kid",
        kid,
        "--identity",
        id,
    ];
    if let Some(p) = passport {
        args.extend(["--passport", p]);
    }
    args.push(&run);
    ok(aiid(&args)).trim().to_owned()
}

/// The envelope with its statement's `declared_at` moved one second (still
/// valid JSON, so only the signature can catch it).
fn tamper(env: &str) -> String {
    let mut e = attest::Envelope::from_json(env.as_bytes()).unwrap();
    let text = String::from_utf8(e.payload.clone()).unwrap();
    // The end of the declared_at value (not of an identity that happens to
    // end in `Z`).
    let from = text.find("\"declared_at\"").unwrap();
    let at = from + text[from..].find("Z\"").unwrap();
    let digit = text.as_bytes()[at - 1];
    let swapped = if digit == b'0' { '1' } else { '0' };
    e.payload = format!("{}{swapped}{}", &text[..at - 1], &text[at..]).into_bytes();
    assert_ne!(e.to_json(), env);
    e.to_json()
}

#[test]
fn registry_stores_verified_attestations_and_serves_them() {
    let d = Dir::new("flow");
    let loc = Loc::Data(d.p("data"));
    stores_verified_attestations_and_serves_them(&d, &loc);
}

/// The same flow on PostgreSQL (`--database`): agent keys added by the
/// admin CLI and attestations POSTed to one server are served by another
/// server over the same database.
#[test]
fn registry_on_postgres_stores_verified_attestations_and_serves_them() {
    let Some(cluster) = pg_cluster::cluster() else {
        return;
    };
    let d = Dir::new("flowpg");
    let loc = Loc::Database(cluster.database("attest_flow"));
    stores_verified_attestations_and_serves_them(&d, &loc);
}

/// Two servers over one registry: POSTs go to `server`, everything read
/// (whois, DID, listings, MCP, `attest verify --registry`) to `replica`.
fn stores_verified_attestations_and_serves_them(d: &Dir, loc: &Loc) {
    let (id, api_key) = setup(d, loc);
    let start = || {
        let mut cfg = loc.config();
        cfg.rate_limits = RateLimits::unlimited();
        cfg.revocation_poll = Duration::from_millis(100);
        BackgroundServer::spawn("127.0.0.1:0".parse().unwrap(), cfg).unwrap()
    };
    let (server, replica) = (start(), start());
    let addr = addr_of(&server);
    let read = addr_of(&replica);
    let doc_hash = aiid::identity(&std::fs::read(d.p("run.scl")).unwrap())
        .unwrap()
        .to_string();

    // whois and DID document carry the agent key.
    let w = http(read, "GET", &format!("/api/v1/whois/{id}"), &[], b"").json();
    assert_eq!(w["agent_keys"][0]["kid"], "agent-1", "{w}");
    let did = format!("did:aiidentity:{}", id.trim_start_matches("aii_"));
    let doc = http(read, "GET", &format!("/api/v1/did/{did}"), &[], b"").json();
    let method_id = format!("{did}#agent-agent-1");
    assert!(
        doc["verificationMethod"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["id"] == method_id.as_str()),
        "{doc}"
    );
    assert_eq!(doc["authentication"], json!([method_id]));

    // POST: verified then stored (201), again (200, not stored twice).
    let env = sign(d, &id, "agent.pem", "agent-1", None);
    let r = http(
        addr,
        "POST",
        "/api/v1/attestations",
        &[("Content-Type", "application/json")],
        env.as_bytes(),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let v = r.json();
    assert_eq!(
        (
            v["valid"].clone(),
            v["doc_hash"].clone(),
            v["identity"].clone(),
            v["stored"].clone()
        ),
        (json!(true), json!(doc_hash), json!(id), json!(true))
    );
    let r = http(addr, "POST", "/api/v1/attestations", &[], env.as_bytes());
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["stored"], false);

    // With a passport issued by this registry: the tier is reported.
    let issued = http(
        addr,
        "POST",
        "/api/v1/issue",
        &[("Authorization", &format!("Bearer {api_key}"))],
        json!({"identity": id}).to_string().as_bytes(),
    );
    assert_eq!(issued.status, 200, "{}", issued.body);
    let pp = d.p("passport.jwt");
    std::fs::write(&pp, issued.json()["passport"].as_str().unwrap()).unwrap();
    let env_pp = sign(d, &id, "agent.pem", "agent-1", Some(&pp));
    let r = http(addr, "POST", "/api/v1/attestations", &[], env_pp.as_bytes());
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.json()["tier"], "creator_verified");

    // Refused: a forged signature (key not registered), a tampered payload,
    // an unknown identity, garbage, duplicate members; nothing is stored.
    let forged = sign(d, &id, "x.pem", "agent-1", None);
    let refusals = [
        (forged.clone(), "bad_signature"),
        (sign(d, &id, "x.pem", "x", None), "no_matching_key"),
        (
            sign(d, "aii_SOMEONEELSE", "x.pem", "x", None),
            "unknown_identity",
        ),
        (tamper(&env), "bad_signature"),
        ("not json".to_owned(), "malformed_json"),
        (
            env.replacen("{", "{\"payloadType\":\"x\",", 1),
            "duplicate_member",
        ),
    ];
    for (body, code) in &refusals {
        let r = http(addr, "POST", "/api/v1/attestations", &[], body.as_bytes());
        assert_eq!(r.status, 422, "{code}: {}", r.body);
        assert_eq!(r.json()["error"], *code, "{}", r.body);
    }
    // Body cap: 413 before anything is parsed.
    let big = vec![b' '; 70 * 1024];
    assert_eq!(
        http(addr, "POST", "/api/v1/attestations", &[], &big).status,
        413
    );

    // GET lists exactly the two stored attestations, newest first, with their envelopes.
    let r = http(
        read,
        "GET",
        &format!("/api/v1/attestations/{doc_hash}"),
        &[],
        b"",
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let list = r.json();
    assert_eq!(list["count"], 2, "{list}");
    let envs: Vec<&Value> = list["attestations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| &a["envelope"])
        .collect();
    assert!(envs.contains(&&serde_json::from_str::<Value>(&env).unwrap()));
    assert!(envs.contains(&&serde_json::from_str::<Value>(&env_pp).unwrap()));
    let upper = http(
        read,
        "GET",
        &format!("/api/v1/attestations/{}", doc_hash.to_uppercase()),
        &[],
        b"",
    )
    .json();
    assert_eq!(upper["count"], 2);
    assert_eq!(
        http(read, "GET", "/api/v1/attestations/xyz", &[], b"").status,
        400
    );
    let other = http(
        read,
        "GET",
        &format!("/api/v1/attestations/{}", "0".repeat(64)),
        &[],
        b"",
    )
    .json();
    assert_eq!(other["count"], 0);

    // The MCP tool answers the same.
    let call = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "attestations", "arguments": {"doc_hash": doc_hash}}});
    let m = http(read, "POST", "/api/mcp", &[], call.to_string().as_bytes()).json();
    assert_eq!(m["result"]["structuredContent"]["count"], 2, "{m}");
    let tools = http(
        addr,
        "POST",
        "/api/mcp",
        &[],
        br#"{"jsonrpc":"2.0","id":2,"method":"tools/list"}"#,
    )
    .json();
    assert!(tools["result"]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t["name"] == "attestations"));

    // `aiid attest verify --registry`: the agent keys come from the registry.
    let envf = d.p("env.json");
    std::fs::write(&envf, &env).unwrap();
    let run = d.p("run.scl");
    let out = ok(aiid(&[
        "attest",
        "verify",
        "--registry",
        replica.url(),
        "--json",
        &run,
        &envf,
    ]));
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["agent_kid"], "agent-1");
    let forgedf = d.p("forged.json");
    std::fs::write(&forgedf, &forged).unwrap();
    let o = aiid(&[
        "attest",
        "verify",
        "--registry",
        replica.url(),
        "--json",
        &run,
        &forgedf,
    ]);
    assert_eq!(o.status.code(), Some(1));

    // Revoke the identity: the registry refuses new attestations, and
    // verification against the registry fails.
    ok(loc.admin(&["revoke", &id]));
    let mut revoked = false;
    for _ in 0..50 {
        let o = aiid(&[
            "attest",
            "verify",
            "--registry",
            replica.url(),
            "--json",
            &run,
            &envf,
        ]);
        if o.status.code() == Some(1) && String::from_utf8_lossy(&o.stdout).contains("\"revoked\"")
        {
            revoked = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(
        revoked,
        "revocation not seen by aiid attest verify --registry"
    );
    let env2 = sign(d, &id, "agent.pem", "agent-1", None);
    let r = http(read, "POST", "/api/v1/attestations", &[], env2.as_bytes());
    assert_eq!(
        (r.status, r.json()["error"].clone()),
        (422, json!("revoked")),
        "{}",
        r.body
    );
    server.stop().unwrap();
    replica.stop().unwrap();
}

#[test]
fn attestation_posts_are_rate_limited() {
    let d = Dir::new("rate");
    let (id, _) = setup(&d, &Loc::Data(d.p("data")));
    let mut cfg = ServerConfig::new(d.p("data"));
    cfg.rate_limits = RateLimits {
        unauthenticated_per_min: 3,
        verify_per_min: 3,
        whois_per_min: 3,
    };
    let server = BackgroundServer::spawn("127.0.0.1:0".parse().unwrap(), cfg).unwrap();
    let addr = addr_of(&server);
    let env = sign(&d, &id, "agent.pem", "agent-1", None);
    let statuses: Vec<u16> = (0..5)
        .map(|_| http(addr, "POST", "/api/v1/attestations", &[], env.as_bytes()).status)
        .collect();
    assert_eq!(&statuses[..3], &[201, 200, 200], "{statuses:?}");
    assert_eq!(&statuses[3..], &[429, 429], "{statuses:?}");
    server.stop().unwrap();
}

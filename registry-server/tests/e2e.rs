//! End to end on loopback: issue → verify offline through the JWKS cache →
//! verify online → revoke → revocation list → verify fails; handshake;
//! error statuses; MCP; DID; key rotation.

extern crate aiid_registry_server as registry_server;
mod common;

use common::{fixture, raw, TestServer};
use passport::{Initiator, Party, Responder};
use passport::{PassportError, Policy, Tier, Verifier};
use registry_client::{
    BlockingClient, ClientConfig, ClientError, IdentityStatus, IssueRequest, JwksCache,
    JwksCacheConfig, RevocationCache, RevocationCacheConfig, RevocationKind, RevokeRequest,
};
use registry_server::store::Store;
use registry_server::{admin, RateLimits};

fn issue_req(id: &passport::IdentityId) -> IssueRequest {
    IssueRequest {
        identity: id.clone(),
        ttl_days: Some(30),
        audience: None,
    }
}

fn offline_verifier(
    client: &BlockingClient,
    issuer: &str,
) -> (Verifier, JwksCache, RevocationCache) {
    let jwks = JwksCache::new(client.clone(), JwksCacheConfig::default());
    let revs = RevocationCache::new(client.clone(), RevocationCacheConfig::default());
    let v =
        Verifier::new(Policy::new(issuer, "verifier"), jwks.clone()).with_revocation(revs.clone());
    (v, jwks, revs)
}

#[test]
fn issue_verify_offline_online_revoke() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let fx = fixture(&data, &["telegram:@acme_bot"]);
    let srv = TestServer::start(&data, RateLimits::unlimited());
    let client = BlockingClient::new(ClientConfig::new(&srv.url).with_api_key(&fx.key)).unwrap();

    // Issue.
    let issued = client.issue(&issue_req(&fx.id)).unwrap();
    assert_eq!(issued.identity, fx.id);
    let token = issued.passport;

    // Offline through the JWKS cache.
    let (verifier, jwks, revs) = offline_verifier(&client, &srv.url);
    let p = verifier.verify(&token).unwrap();
    assert_eq!(p.claims.sub, fx.id);
    assert_eq!(p.claims.tier, Tier::CreatorVerified);
    assert_eq!(p.claims.jti.as_deref(), Some(issued.jti.as_str()));
    assert_eq!(
        p.claims.registry_url.as_str(),
        format!("{}/api/v1/whois/{}", srv.url, fx.id)
    );
    assert!(p.claims.aud.contains("verifier"));
    assert_eq!(p.claims.surfaces[0].as_str(), "telegram:@acme_bot");
    assert_eq!(jwks.fetch_count(), 1);
    // Second verification is served from the caches.
    verifier.verify(&token).unwrap();
    assert_eq!((jwks.fetch_count(), revs.fetch_count()), (1, 1));

    // Online.
    let online = client.verify_passport(&token).unwrap();
    assert!(online.valid, "{online:?}");
    assert_eq!(online.identity.as_ref(), Some(&fx.id));
    assert_eq!(online.tier, Some(Tier::CreatorVerified));
    assert_eq!(online.operator.as_deref(), Some("Acme Corp Ltd."));
    assert_eq!(online.status, Some(IdentityStatus::Active));
    assert_eq!(online.trust_score, Some(80));
    let by_id = client.verify_id(&fx.id).unwrap();
    assert!(by_id.valid);

    // Records.
    let who = client.whois(&fx.id).unwrap();
    assert_eq!(who.operator, "Acme Corp Ltd.");
    assert_eq!(who.status, IdentityStatus::Active);
    assert_eq!(client.identity(&fx.id).unwrap(), who);

    // Revoke: durable before the answer.
    let r = client
        .revoke(&RevokeRequest {
            identity: Some(fx.id.clone()),
            passport: None,
            reason: Some("key compromised".into()),
        })
        .unwrap();
    assert!(r.newly_revoked);
    assert_eq!(r.kind, RevocationKind::Identity);
    assert!(fx
        .store
        .identity(&fx.id)
        .unwrap()
        .unwrap()
        .revoked
        .is_some());
    let again = client
        .revoke(&RevokeRequest {
            identity: Some(fx.id.clone()),
            ..RevokeRequest::default()
        })
        .unwrap();
    assert!(!again.newly_revoked);
    assert_eq!(again.reason, "key compromised");

    // The list.
    let (list, doc) = client.revocations().unwrap();
    assert_eq!(list.identities, vec![fx.id.clone()]);
    assert_eq!(doc.entries[0].reason, "key compromised");
    assert_eq!(doc.max_age_secs, 600);

    // Verify fails online and (after the list refresh) offline.
    let online = client.verify_passport(&token).unwrap();
    assert!(!online.valid);
    assert_eq!(online.error.as_deref(), Some("revoked"));
    assert_eq!(online.status, Some(IdentityStatus::Revoked));
    assert!(!client.verify_id(&fx.id).unwrap().valid);
    assert_eq!(
        client.whois(&fx.id).unwrap().status,
        IdentityStatus::Revoked
    );
    revs.refresh_blocking().unwrap();
    assert!(matches!(
        verifier.verify(&token),
        Err(PassportError::Revoked(_))
    ));

    // No new passports for a revoked identity.
    let e = client.issue(&issue_req(&fx.id)).unwrap_err();
    assert_eq!(e.status(), Some(409), "{e}");
}

#[test]
fn passport_level_revocation_by_jti() {
    let dir = tempfile::tempdir().unwrap();
    let fx = fixture(dir.path(), &[]);
    let srv = TestServer::start(dir.path(), RateLimits::unlimited());
    let client = BlockingClient::new(ClientConfig::new(&srv.url).with_api_key(&fx.key)).unwrap();
    let a = client.issue(&issue_req(&fx.id)).unwrap();
    let b = client.issue(&issue_req(&fx.id)).unwrap();
    client
        .revoke(&RevokeRequest {
            passport: Some(a.jti.clone()),
            ..RevokeRequest::default()
        })
        .unwrap();
    assert!(!client.verify_passport(&a.passport).unwrap().valid);
    assert!(client.verify_passport(&b.passport).unwrap().valid);
    let (list, _) = client.revocations().unwrap();
    assert_eq!(list.passports, vec![a.jti]);
}

#[test]
fn handshake_between_two_agents() {
    let dir = tempfile::tempdir().unwrap();
    let fx = fixture(dir.path(), &[]);
    let b_id = admin::create_identity(
        fx.store.as_ref() as &dyn Store,
        &"anon".parse().unwrap(),
        Tier::BusinessVerified,
        &[],
        &[],
    )
    .unwrap()
    .id;
    let srv = TestServer::start(dir.path(), RateLimits::unlimited());
    let client = BlockingClient::new(ClientConfig::new(&srv.url).with_api_key(&fx.key)).unwrap();
    let a_pass = client.issue(&issue_req(&fx.id)).unwrap().passport;
    let b_pass = client.issue(&issue_req(&b_id)).unwrap().passport;

    // Each agent has its own client and caches.
    let a_client = BlockingClient::new(ClientConfig::new(&srv.url)).unwrap();
    let b_client = BlockingClient::new(ClientConfig::new(&srv.url)).unwrap();
    let (a_ver, _, a_revs) = offline_verifier(&a_client, &srv.url);
    let (b_ver, _, b_revs) = offline_verifier(&b_client, &srv.url);
    // Step 4: both pull the revocation list before trusting.
    a_revs.refresh_blocking().unwrap();
    b_revs.refresh_blocking().unwrap();

    let a = Initiator::new(Party::new(&fx.id, &a_pass, &a_ver))
        .unwrap()
        .expect_peer(b_id.clone());
    let b = Responder::new(Party::new(&b_id, &b_pass, &b_ver)).unwrap();
    let (a_wait, req) = a.start();
    let wire = req.to_json();
    let req = passport::HandshakeMessage::from_json(&wire).unwrap();
    let (b_wait, b_resp) = b.receive_request(&req).unwrap();
    let (a_ctx, a_resp) = a_wait.receive(&b_resp).unwrap();
    let b_ctx = b_wait.receive(&a_resp).unwrap();
    assert_eq!(a_ctx.peer_id(), &b_id);
    assert_eq!(a_ctx.peer_tier(), Tier::BusinessVerified);
    assert_eq!(b_ctx.peer_id(), &fx.id);

    // After B is revoked, a fresh handshake fails on A's side.
    client
        .revoke(&RevokeRequest {
            identity: Some(b_id.clone()),
            ..RevokeRequest::default()
        })
        .unwrap();
    a_revs.refresh_blocking().unwrap();
    let a = Initiator::new(Party::new(&fx.id, &a_pass, &a_ver)).unwrap();
    let b = Responder::new(Party::new(&b_id, &b_pass, &b_ver)).unwrap();
    let (a_wait, req) = a.start();
    let (_, b_resp) = b.receive_request(&req).unwrap();
    let err = a_wait.receive(&b_resp).unwrap_err();
    assert_eq!(err.code(), "revoked");
}

#[test]
fn error_statuses_are_json() {
    let dir = tempfile::tempdir().unwrap();
    let fx = fixture(dir.path(), &[]);
    let weak =
        admin::create_api_key(fx.store.as_ref(), "other", &["identity:revoke".into()]).unwrap();
    let srv = TestServer::start(
        dir.path(),
        RateLimits {
            unauthenticated_per_min: 1000,
            verify_per_min: 1000,
            whois_per_min: 1000,
        },
    );
    let ct = [("Content-Type", "application/json")];
    let check = |r: &common::RawResponse, status: u16, code: &str| {
        assert_eq!(r.status, status, "{}", r.body);
        assert_eq!(
            r.header("content-type").as_deref(),
            Some("application/json")
        );
        let j = r.json();
        assert_eq!(j["error"], code, "{}", r.body);
        assert!(j["message"].as_str().is_some_and(|m| !m.is_empty()));
    };
    let body = format!(r#"{{"identity":"{}"}}"#, fx.id);
    // 401 without a key, 401 with an unknown key, 403 without the scope.
    check(
        &raw(srv.addr, "POST", "/api/v1/issue", &ct, body.as_bytes()),
        401,
        "unauthorized",
    );
    let bad = [
        ("Content-Type", "application/json"),
        ("Authorization", "Bearer aii_live_nope"),
    ];
    check(
        &raw(srv.addr, "POST", "/api/v1/issue", &bad, body.as_bytes()),
        401,
        "invalid_api_key",
    );
    let auth = format!("Bearer {weak}");
    let weak_h = [
        ("Content-Type", "application/json"),
        ("Authorization", auth.as_str()),
    ];
    check(
        &raw(srv.addr, "POST", "/api/v1/issue", &weak_h, body.as_bytes()),
        403,
        "insufficient_scope",
    );
    // 400 malformed bodies.
    check(
        &raw(srv.addr, "POST", "/api/v1/verify", &ct, b"{not json"),
        400,
        "malformed_body",
    );
    check(
        &raw(srv.addr, "POST", "/api/v1/verify", &ct, b"{}"),
        400,
        "malformed_body",
    );
    check(
        &raw(srv.addr, "POST", "/api/v1/verify", &ct, br#"{"id":"nope"}"#),
        400,
        "malformed_body",
    );
    check(
        &raw(srv.addr, "GET", "/api/v1/whois/not-an-id", &[], b""),
        400,
        "invalid_identity_id",
    );
    // 404 unknown id, unknown endpoint; 405.
    check(
        &raw(srv.addr, "GET", "/api/v1/whois/aii_UNKNOWN", &[], b""),
        404,
        "unknown_identity",
    );
    check(
        &raw(
            srv.addr,
            "POST",
            "/api/v1/verify",
            &ct,
            br#"{"id":"aii_UNKNOWN"}"#,
        ),
        404,
        "unknown_identity",
    );
    check(
        &raw(srv.addr, "GET", "/api/v1/nothing", &[], b""),
        404,
        "not_found",
    );
    check(
        &raw(srv.addr, "GET", "/api/v1/verify", &[], b""),
        405,
        "method_not_allowed",
    );
    // 413 over 64 KiB (declared and streamed).
    let big = vec![b' '; 64 * 1024 + 1];
    check(
        &raw(srv.addr, "POST", "/api/v1/verify", &ct, &big),
        413,
        "body_too_large",
    );
    // Streamed (chunked, no Content-Length) over the limit: also 413.
    {
        use std::io::{Read as _, Write as _};
        let mut s = std::net::TcpStream::connect(srv.addr).unwrap();
        s.write_all(b"POST /api/v1/verify HTTP/1.1\r\nHost: x\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n")
            .unwrap();
        let chunk = format!("{:x}\r\n{}\r\n", 16 * 1024, " ".repeat(16 * 1024));
        for _ in 0..5 {
            let _ = s.write_all(chunk.as_bytes());
        }
        let _ = s.write_all(b"0\r\n\r\n");
        let mut out = String::new();
        let _ = s.read_to_string(&mut out);
        assert!(out.starts_with("HTTP/1.1 413"), "{out}");
        assert!(out.contains("body_too_large"), "{out}");
    }
    // An invalid passport is a 200 with valid:false.
    let r = raw(
        srv.addr,
        "POST",
        "/api/v1/verify",
        &ct,
        br#"{"passport":"a.b.c"}"#,
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["valid"], false);
    assert_eq!(r.json()["error"], "invalid_base64");
}

#[test]
fn rate_limits_answer_429_with_retry_after() {
    let dir = tempfile::tempdir().unwrap();
    let fx = fixture(dir.path(), &[]);
    let srv = TestServer::start(
        dir.path(),
        RateLimits {
            unauthenticated_per_min: 3,
            verify_per_min: 2,
            whois_per_min: 120,
        },
    );
    let path = format!("/api/v1/whois/{}", fx.id);
    for _ in 0..3 {
        assert_eq!(raw(srv.addr, "GET", &path, &[], b"").status, 200);
    }
    let r = raw(srv.addr, "GET", &path, &[], b"");
    assert_eq!(r.status, 429);
    assert_eq!(r.json()["error"], "rate_limited");
    let wait: u64 = r.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=20).contains(&wait));
    // Authenticated callers have the per-organisation budget instead.
    let auth = format!("Bearer {}", fx.key);
    assert_eq!(
        raw(srv.addr, "GET", &path, &[("Authorization", &auth)], b"").status,
        200
    );
    let body = br#"{"id":"aii_UNKNOWN"}"#;
    let h = [("Authorization", auth.as_str())];
    assert_eq!(
        raw(srv.addr, "POST", "/api/v1/verify", &h, body).status,
        404
    );
    assert_eq!(
        raw(srv.addr, "POST", "/api/v1/verify", &h, body).status,
        404
    );
    assert_eq!(
        raw(srv.addr, "POST", "/api/v1/verify", &h, body).status,
        429
    );
    // The client reports it typed, naming the endpoint (Retry-After above
    // its wait cap is not waited for).
    let client = BlockingClient::new(ClientConfig::new(&srv.url)).unwrap();
    let e = client.whois(&fx.id).unwrap_err();
    assert!(matches!(e, ClientError::RateLimited { .. }), "{e}");
    assert!(e.to_string().contains("GET /api/v1/whois/{id}"), "{e}");
}

#[test]
fn jwks_did_and_key_rotation() {
    let dir = tempfile::tempdir().unwrap();
    let fx = fixture(dir.path(), &[]);
    let first_kid = fx.store.signing_keys().unwrap()[0].kid.clone();
    // A passport signed with the first key…
    let srv = TestServer::start(dir.path(), RateLimits::unlimited());
    let client = BlockingClient::new(ClientConfig::new(&srv.url).with_api_key(&fx.key)).unwrap();
    let old = client.issue(&issue_req(&fx.id)).unwrap();
    assert_eq!(old.key_id, first_kid.as_str());
    assert_eq!(client.jwks().unwrap().keys().len(), 1);
    drop(srv);
    // …still verifies after a rotation (current and previous published).
    let new_kid = admin::rotate_key(fx.store.as_ref()).unwrap();
    let srv = TestServer::start(dir.path(), RateLimits::unlimited());
    let client = BlockingClient::new(ClientConfig::new(&srv.url).with_api_key(&fx.key)).unwrap();
    let jwks = client.jwks().unwrap();
    let kids: Vec<&str> = jwks.keys().iter().map(|k| k.kid.as_str()).collect();
    assert_eq!(kids, vec![new_kid.as_str(), first_kid.as_str()]);
    let new = client.issue(&issue_req(&fx.id)).unwrap();
    assert_eq!(new.key_id, new_kid.as_str());
    assert!(client.verify_passport(&new.passport).unwrap().valid);
    // The issuer changed with the port, so the old passport has another iss:
    // verify it offline against its own issuer with the new JWKS.
    let v = Verifier::new(
        Policy::new(
            passport::inspect_untrusted(&old.passport).unwrap().payload["iss"]
                .as_str()
                .unwrap(),
            "verifier",
        ),
        jwks,
    );
    v.verify(&old.passport).unwrap();

    let did = registry_client::did_of(&fx.id);
    let doc = client.did_document(&did).unwrap();
    assert_eq!(doc["id"], did.as_str());
    assert_eq!(doc["verificationMethod"].as_array().unwrap().len(), 2);
    assert_eq!(doc["verificationMethod"][0]["publicKeyJwk"]["kty"], "OKP");
    assert_eq!(doc["deactivated"], false);
    let e = client.did_document("did:web:example.com").unwrap_err();
    assert!(matches!(e, ClientError::InvalidArgument { .. }));
    let r = raw(srv.addr, "GET", "/api/v1/did/did:web:example.com", &[], b"");
    assert_eq!(r.status, 404);
}

#[test]
fn mcp_json_rpc_tools() {
    let dir = tempfile::tempdir().unwrap();
    let fx = fixture(dir.path(), &[]);
    let srv = TestServer::start(dir.path(), RateLimits::unlimited());
    let client = BlockingClient::new(ClientConfig::new(&srv.url).with_api_key(&fx.key)).unwrap();
    let token = client.issue(&issue_req(&fx.id)).unwrap().passport;
    let ct = [("Content-Type", "application/json")];
    let call = |body: serde_json::Value| {
        raw(
            srv.addr,
            "POST",
            "/api/mcp",
            &ct,
            body.to_string().as_bytes(),
        )
    };

    let init = call(serde_json::json!({"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}));
    assert_eq!(init.json()["result"]["serverInfo"]["name"], "aiid-registry");
    let list = call(serde_json::json!({"jsonrpc":"2.0","id":2,"method":"tools/list"}));
    let names: Vec<String> = list.json()["result"]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names, ["verify", "whois", "revocations", "attestations"]);
    let v = call(
        serde_json::json!({"jsonrpc":"2.0","id":3,"method":"tools/call",
        "params":{"name":"verify","arguments":{"passport": token}}}),
    );
    let j = v.json();
    assert_eq!(j["result"]["structuredContent"]["valid"], true, "{j}");
    assert_eq!(j["result"]["isError"], false);
    let text: serde_json::Value =
        serde_json::from_str(j["result"]["content"][0]["text"].as_str().unwrap()).unwrap();
    assert_eq!(text["identity"], fx.id.as_str());
    let w = call(
        serde_json::json!({"jsonrpc":"2.0","id":"w","method":"tools/call",
        "params":{"name":"whois","arguments":{"id":"aii_UNKNOWN"}}}),
    );
    assert_eq!(w.json()["result"]["isError"], true);
    assert_eq!(w.json()["result"]["structuredContent"]["status"], 404);
    let r = call(
        serde_json::json!({"jsonrpc":"2.0","id":4,"method":"tools/call",
        "params":{"name":"revocations"}}),
    );
    assert!(r.json()["result"]["structuredContent"]["generated_at"].is_i64());
    let unknown = call(serde_json::json!({"jsonrpc":"2.0","id":5,"method":"nope"}));
    assert_eq!(unknown.json()["error"]["code"], -32601);
    let parse = raw(srv.addr, "POST", "/api/mcp", &ct, b"{oops");
    assert_eq!(parse.json()["error"]["code"], -32700);
    let note = call(serde_json::json!({"jsonrpc":"2.0","method":"notifications/initialized"}));
    assert_eq!(note.status, 202);
}

#[test]
fn set_tier_is_visible_and_new_passports_carry_it() {
    let dir = tempfile::tempdir().unwrap();
    let fx = fixture(dir.path(), &[]);
    let srv = TestServer::start(dir.path(), RateLimits::unlimited());
    let client = BlockingClient::new(ClientConfig::new(&srv.url).with_api_key(&fx.key)).unwrap();
    admin::set_tier(fx.store.as_ref(), &fx.id, Tier::BusinessVerified)
        .unwrap()
        .unwrap();
    assert_eq!(client.whois(&fx.id).unwrap().tier, Tier::BusinessVerified);
    let p = client.issue(&issue_req(&fx.id)).unwrap().passport;
    assert_eq!(
        client.verify_passport(&p).unwrap().tier,
        Some(Tier::BusinessVerified)
    );
}

#[test]
fn admin_revocation_reaches_running_server() {
    let dir = tempfile::tempdir().unwrap();
    let fx = fixture(dir.path(), &[]);
    let srv = TestServer::start(dir.path(), RateLimits::unlimited());
    let client = BlockingClient::new(ClientConfig::new(&srv.url).with_api_key(&fx.key)).unwrap();
    let p = client.issue(&issue_req(&fx.id)).unwrap().passport;
    // Another process (the admin CLI) revokes through its own connection.
    let other = registry_server::open_data_dir(dir.path()).unwrap();
    admin::revoke(other.as_ref(), fx.id.as_str(), "by admin").unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        if !client.verify_passport(&p).unwrap().valid {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "revocation not picked up"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

//! The agent handshake state machine and MCP identity binding.

extern crate aiid_passport as passport;
mod common;

use common::*;
use passport::{check_binding, McpPolicy, RegistryRecord, WellKnownIdentity};
use passport::{FixedClock, IdentityId, RevocationList, Tier, Verifier};
use passport::{
    HandshakeError, HandshakeMessage, HandshakeRequest, HandshakeResponse, Initiator, Party,
    Responder,
};
use serde_json::json;

const A: &str = "aii_AGENTA";
const B: &str = "aii_AGENTB";

fn passport_for(id: &str, tier: &str) -> String {
    sign_raw(
        &header(),
        &claims_with(|m| {
            m.insert("sub".into(), json!(id));
            m.insert("tier".into(), json!(tier));
        }),
        &issuer_key(),
    )
}

fn verifier_with(list: RevocationList, min: Tier) -> Verifier {
    Verifier::new(policy().with_min_tier(min), jwks())
        .with_clock(FixedClock(NOW))
        .with_revocation(list)
}

fn empty_list() -> RevocationList {
    RevocationList::new(NOW)
}

#[test]
fn message_shapes_are_exact() {
    let req = HandshakeMessage::Request(HandshakeRequest {
        from: IdentityId::new(A).unwrap(),
    });
    assert_eq!(
        req.to_json(),
        r#"{"aii.handshake.request":{"from":"aii_AGENTA"}}"#
    );
    let resp = HandshakeMessage::Response(HandshakeResponse {
        passport: "x.y.z".into(),
    });
    assert_eq!(
        resp.to_json(),
        r#"{"aii.handshake.response":{"passport":"x.y.z"}}"#
    );
    assert_eq!(HandshakeMessage::from_json(&req.to_json()).unwrap(), req);
    for bad in [
        r#"{"aii.handshake.request":{"from":"nope"}}"#,
        r#"{"aii.handshake.request":{"from":"aii_A","from":"aii_B"}}"#,
        r#"{"aii.handshake.hello":{}}"#,
        r#"{"aii.handshake.response":{}}"#,
    ] {
        assert!(HandshakeMessage::from_json(bad).is_err(), "{bad}");
    }
}

#[test]
fn mutual_handshake_succeeds() {
    let (pa, pb) = (
        passport_for(A, "identity_verified"),
        passport_for(B, "business_verified"),
    );
    let (ida, idb) = (IdentityId::new(A).unwrap(), IdentityId::new(B).unwrap());
    let va = verifier_with(empty_list(), Tier::BusinessVerified); // A demands business for B
    let vb = verifier_with(empty_list(), Tier::Issued);

    let a = Initiator::new(Party::new(&ida, &pa, &va))
        .unwrap()
        .expect_peer(idb.clone());
    let b = Responder::new(Party::new(&idb, &pb, &vb)).unwrap();

    let (a, m1) = a.start();
    // Over the wire as JSON.
    let m1 = HandshakeMessage::from_json(&m1.to_json()).unwrap();
    let (b, m2) = b.receive_request(&m1).unwrap();
    let (ctx_a, m3) = a.receive(&m2).unwrap();
    let ctx_b = b.receive(&m3).unwrap();
    assert_eq!(ctx_a.peer_id(), &idb);
    assert_eq!(ctx_a.peer_tier(), Tier::BusinessVerified);
    assert_eq!(ctx_b.peer_id(), &ida);
}

#[test]
fn handshake_failures() {
    let (pa, pb) = (
        passport_for(A, "issued"),
        passport_for(B, "identity_verified"),
    );
    let (ida, idb) = (IdentityId::new(A).unwrap(), IdentityId::new(B).unwrap());
    let v = verifier_with(empty_list(), Tier::Issued);

    // No revocation source: refused.
    let bare = Verifier::new(policy(), jwks()).with_clock(FixedClock(NOW));
    assert_eq!(
        Initiator::new(Party::new(&ida, &pa, &bare)).unwrap_err(),
        HandshakeError::NoRevocationSource
    );

    // Tier requirement: A demands business_verified, B has identity_verified.
    let strict = verifier_with(empty_list(), Tier::BusinessVerified);
    let (a, _) = Initiator::new(Party::new(&ida, &pa, &strict))
        .unwrap()
        .start();
    let m2 = HandshakeMessage::Response(HandshakeResponse {
        passport: pb.clone(),
    });
    assert_eq!(a.receive(&m2).unwrap_err().code(), "tier_too_low");

    // Revoked peer.
    let mut list = empty_list();
    list.identities.push(idb.clone());
    let rv = verifier_with(list, Tier::Issued);
    let (a, _) = Initiator::new(Party::new(&ida, &pa, &rv)).unwrap().start();
    assert_eq!(a.receive(&m2).unwrap_err().code(), "revoked");

    // Reflection: B echoes A's own passport.
    let (a, _) = Initiator::new(Party::new(&ida, &pa, &v)).unwrap().start();
    let echo = HandshakeMessage::Response(HandshakeResponse {
        passport: pa.clone(),
    });
    assert_eq!(a.receive(&echo).unwrap_err().code(), "reflection");

    // A announces itself as A but presents C's passport.
    let pc = passport_for("aii_AGENTC", "issued");
    let b = Responder::new(Party::new(&idb, &pb, &v)).unwrap();
    let req = HandshakeMessage::Request(HandshakeRequest { from: ida.clone() });
    let (b, _) = b.receive_request(&req).unwrap();
    let bad = HandshakeMessage::Response(HandshakeResponse { passport: pc });
    assert_eq!(b.receive(&bad).unwrap_err().code(), "peer_mismatch");

    // Wrong message kind; a request claiming B's own identity.
    let b = Responder::new(Party::new(&idb, &pb, &v)).unwrap();
    assert_eq!(
        b.receive_request(&m2).unwrap_err().code(),
        "unexpected_message"
    );
    let b = Responder::new(Party::new(&idb, &pb, &v)).unwrap();
    let self_req = HandshakeMessage::Request(HandshakeRequest { from: idb.clone() });
    assert_eq!(
        b.receive_request(&self_req).unwrap_err().code(),
        "reflection"
    );

    // An invalid passport (expired) makes the peer untrusted.
    let expired = sign_raw(
        &header(),
        &claims_with(|m| {
            m.insert("sub".into(), json!(B));
            m.insert("exp".into(), json!(NOW - 3600));
            m.insert("iat".into(), json!(NOW - 7200));
        }),
        &issuer_key(),
    );
    let (a, _) = Initiator::new(Party::new(&ida, &pa, &v)).unwrap().start();
    let m = HandshakeMessage::Response(HandshakeResponse { passport: expired });
    assert_eq!(a.receive(&m).unwrap_err().code(), "expired");
}

const DOC: &str = r#"{"version":"1","identity_id":"aii_HMB77VQ527B5Z062CNE31D","registry":"https://aiidentity.org","issued_at":"2026-04-12T10:30:00Z"}"#;

fn record(host: &str, verified: bool, status: &str, tier: &str) -> RegistryRecord {
    RegistryRecord::from_json(
        &json!({
            "identity": "aii_HMB77VQ527B5Z062CNE31D",
            "tier": tier,
            "status": status,
            "surfaces": [{"surface": format!("mcp:{host}"), "verified": verified}, "telegram:@x"]
        })
        .to_string(),
    )
    .unwrap()
}

fn mcp_policy() -> McpPolicy {
    McpPolicy::new(["https://aiidentity.org/"], Tier::IdentityVerified)
}

#[test]
fn well_known_document_parsing() {
    let d = WellKnownIdentity::from_json(DOC).unwrap();
    assert_eq!(d.identity_id.as_str(), "aii_HMB77VQ527B5Z062CNE31D");
    assert!(d.signature.is_none());
    let sig = format!(
        "ed25519:{}",
        base64::Engine::encode(&base64::engine::general_purpose::STANDARD, [7u8; 64])
    );
    let with_sig = DOC.replace("}", &format!(r#","signature":"{sig}"}}"#));
    assert_eq!(
        WellKnownIdentity::from_json(&with_sig).unwrap().signature,
        Some([7u8; 64])
    );
    for bad in [
        DOC.replace(r#""version":"1""#, r#""version":"2""#),
        DOC.replace(r#""version":"1""#, r#""version":1"#),
        DOC.replace("aii_HMB77VQ527B5Z062CNE31D", "HMB77"),
        DOC.replace("2026-04-12T10:30:00Z", "yesterday"),
        DOC.replace("https://aiidentity.org", "aiidentity.org"),
        DOC.replace("}", r#","signature":"rsa:AAAA"}"#),
        DOC.replace("}", r#","signature":"ed25519:AAAA"}"#),
        DOC.replace("}", r#","version":"1"}"#),
        DOC.replace(r#""issued_at":"2026-04-12T10:30:00Z""#, r#""x":1"#),
    ] {
        assert!(WellKnownIdentity::from_json(&bad).is_err(), "{bad}");
    }
}

#[test]
fn surface_binding_rule() {
    let d = WellKnownIdentity::from_json(DOC).unwrap();
    let p = mcp_policy();
    let ok = check_binding(
        &d,
        "Tools.Example.com",
        &record("tools.example.com", true, "active", "creator_verified"),
        &p,
    )
    .unwrap();
    assert_eq!(ok.host, "tools.example.com");
    assert_eq!(ok.tier, Tier::CreatorVerified);
    let code = |host: &str, r: RegistryRecord, p: &McpPolicy| {
        check_binding(&d, host, &r, p).unwrap_err().code()
    };
    assert_eq!(
        code(
            "tools.example.com",
            record("tools.example.com", false, "active", "creator_verified"),
            &p
        ),
        "surface_not_bound"
    );
    assert_eq!(
        code(
            "evil.example.com",
            record("tools.example.com", true, "active", "creator_verified"),
            &p
        ),
        "surface_not_bound"
    );
    assert_eq!(
        code(
            "tools.example.com",
            record("tools.example.com", true, "suspended", "creator_verified"),
            &p
        ),
        "inactive"
    );
    assert_eq!(
        code(
            "tools.example.com",
            record("tools.example.com", true, "active", "issued"),
            &p
        ),
        "tier_too_low"
    );
    let untrusted = McpPolicy::new(["https://registry.example"], mcp_policy().min_tier);
    assert_eq!(
        code(
            "tools.example.com",
            record("tools.example.com", true, "active", "creator_verified"),
            &untrusted
        ),
        "untrusted_registry"
    );
    let other = RegistryRecord::from_json(r#"{"identity":"aii_OTHER","tier":"business_verified","status":"active","surfaces":[{"surface":"mcp:tools.example.com","verified":true}]}"#).unwrap();
    assert_eq!(code("tools.example.com", other, &p), "identity_mismatch");
}

//! Error codes and error sources: every code is a stable string of the spec,
//! and the lower-level cause of an error stays reachable through `source()`.

extern crate aiid_passport as passport;
mod common;

use common::*;
use passport::{
    Cause, ErrorCode, HandshakeError, HandshakeMessage, IdentityId, Initiator, InvalidValue, Party,
    PassportError, RevocationList,
};
use std::error::Error as _;

#[test]
fn every_code_string_named_in_the_spec_parses() {
    let spec = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../spec/passport.md"))
        .unwrap();
    // Every code of the check table (§2) and of §6, §8, §9 is an ErrorCode,
    // and every ErrorCode is named in the spec.
    for &code in ErrorCode::ALL {
        assert!(
            spec.contains(&format!("`{}`", code.as_str())),
            "{code} is not documented in spec/passport.md"
        );
    }
    for name in [
        "token_too_large",
        "bad_typ",
        "weak_key",
        "duplicate_kid",
        "peer_mismatch",
        "surface_not_bound",
        "bad_request",
    ] {
        assert_eq!(name.parse::<ErrorCode>().unwrap().as_str(), name);
    }
    assert!("Expired".parse::<ErrorCode>().is_err());
}

#[test]
fn json_syntax_errors_keep_the_serde_json_error_as_source() {
    let t = sign_raw("{\"alg\":", &claims().to_string(), &issuer_key());
    let e = verifier().verify(&t).unwrap_err();
    assert_eq!(e.code(), ErrorCode::MalformedHeader);
    let source = e.source().expect("a source");
    let cause = source.downcast_ref::<Cause>().expect("a Cause");
    assert!(cause.get().downcast_ref::<serde_json::Error>().is_some());
    assert!(e.to_string().starts_with("malformed header: "), "{e}");

    let t = sign_raw(&header(), "{\"iss\":", &issuer_key());
    let e = verifier().verify(&t).unwrap_err();
    assert_eq!(e.code(), ErrorCode::MalformedClaims);
    assert!(e.source().is_some());

    // A structural problem has no lower-level cause.
    let t = sign_raw(&header(), "[1]", &issuer_key());
    let e = verifier().verify(&t).unwrap_err();
    assert_eq!(e.code(), ErrorCode::MalformedClaims);
    assert!(e.source().is_none());
}

#[test]
fn invalid_claims_keep_the_value_rule_as_source() {
    let t = sign_raw(
        &header(),
        &claims_with(|m| {
            m.insert("sub".into(), "bob".into());
        }),
        &issuer_key(),
    );
    let e = verifier().verify(&t).unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidClaim);
    assert_eq!(e.claim(), Some("sub"));
    let v = e
        .source()
        .and_then(|s| s.downcast_ref::<InvalidValue>())
        .expect("InvalidValue source");
    assert_eq!(v.what, "identity id");
    // A wrong type is not a value rule: no source.
    let t = sign_raw(
        &header(),
        &claims_with(|m| {
            m.insert("sub".into(), 7.into());
        }),
        &issuer_key(),
    );
    let e = verifier().verify(&t).unwrap_err();
    assert!(matches!(
        e,
        PassportError::InvalidClaim { source: None, .. }
    ));
}

#[test]
fn handshake_errors_keep_the_passport_error_as_source() {
    let me = IdentityId::new("aii_ME").unwrap();
    let v = verifier().with_revocation(RevocationList::default());
    let mine = token();
    let (a, _) = Initiator::new(Party::new(&me, &mine, &v)).unwrap().start();
    // The peer's passport is signed by a key other than the kid's.
    let forged = HandshakeMessage::from_json(&format!(
        r#"{{"aii.handshake.response":{{"passport":"{}"}}}}"#,
        sign_raw(&header(), &claims().to_string(), &key(9))
    ))
    .unwrap();
    let e = a.receive(&forged).unwrap_err();
    assert_eq!(e.code(), ErrorCode::BadSignature);
    let inner = e
        .source()
        .and_then(|s| s.downcast_ref::<PassportError>())
        .expect("PassportError source");
    assert_eq!(inner.code(), "bad_signature");
    assert!(matches!(e, HandshakeError::Passport(_)));
}

#[test]
fn malformed_documents_and_messages_keep_their_cause() {
    let e = passport::WellKnownIdentity::from_json("{\"version\":").unwrap_err();
    assert_eq!(e.code(), ErrorCode::Malformed);
    assert!(e.source().is_some(), "{e}");
    let e = passport::WellKnownIdentity::from_json(
        r#"{"version":"1","identity_id":"bob","registry":"https://aiidentity.org","issued_at":"2026-04-12T10:30:00Z"}"#,
    )
    .unwrap_err();
    let v = e
        .source()
        .and_then(|s| s.downcast_ref::<Cause>())
        .and_then(|c| c.get().downcast_ref::<InvalidValue>())
        .expect("the identity id rule");
    assert_eq!(v.what, "identity id");
    let e = passport::RegistryRecord::from_json(r#"{"identity":"aii_x"}"#).unwrap_err();
    assert!(e.source().is_none(), "a missing member has no cause: {e}");

    let e = HandshakeMessage::from_json("{").unwrap_err();
    assert_eq!(e.code(), ErrorCode::MalformedMessage);
    assert!(e.source().is_some());
    let e = HandshakeMessage::from_json(r#"{"aii.handshake.nope":{}}"#).unwrap_err();
    assert_eq!(e.code(), "malformed_message");
    assert!(e.source().is_some(), "serde's shape error: {e}");
}

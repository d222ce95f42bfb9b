//! Runs `spec/vectors/passport.json` through the library side of the
//! conformance protocol (`passport::conformance::respond`).

extern crate aiid_passport as passport;
use passport::conformance::{compare, request_for, respond};
use passport::ErrorCode;
use serde_json::Value;
use std::collections::BTreeSet;

fn vectors() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../spec/vectors/passport.json");
    let text = std::fs::read_to_string(path).expect("vectors file");
    serde_json::from_str(&text).expect("vectors JSON")
}

#[test]
fn every_vector_passes() {
    let file = vectors();
    let vs = file["vectors"].as_array().expect("vectors array");
    assert!(vs.len() >= 80, "{} vectors", vs.len());
    let mut failures = Vec::new();
    for v in vs {
        let got = respond(&request_for(&file, v));
        if let Some(why) = compare(&v["expect"], &got) {
            failures.push(format!("{}: {why}", v["id"]));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn vectors_cover_every_rule() {
    let file = vectors();
    let mut seen = BTreeSet::new();
    let mut ids = BTreeSet::new();
    for v in file["vectors"].as_array().unwrap() {
        assert!(
            ids.insert(v["id"].as_str().unwrap().to_owned()),
            "duplicate id {}",
            v["id"]
        );
        assert!(
            v["rule"].as_str().is_some_and(|r| !r.is_empty()),
            "{} names no rule",
            v["id"]
        );
        if let Some(e) = v["expect"]["error"].as_str() {
            seen.insert(e.to_owned());
        }
    }
    for &code in passport::PassportError::CODES {
        if code == ErrorCode::KeySourceUnavailable {
            continue; // not reachable with a static JWKS
        }
        assert!(seen.contains(code.as_str()), "no vector for {code}");
    }
    assert!(seen.contains("weak_key"));
    // Every code a vector expects is one of the stable codes, spelled the same.
    for e in &seen {
        let code: ErrorCode = e.parse().unwrap_or_else(|err| panic!("{err}"));
        assert_eq!(code.as_str(), e);
    }
}

#[test]
fn rfc8037_example_is_verbatim() {
    let file = vectors();
    let v = file["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["id"] == "rfc8037-a4-a5")
        .unwrap();
    assert_eq!(
        v["token"],
        "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc.hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg"
    );
    assert_eq!(v["jwk"]["x"], "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo");
}

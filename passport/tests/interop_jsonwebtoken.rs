//! `jsonwebtoken` as a test-time oracle (it is a dev-dependency only):
//!
//! - tokens the `Issuer` signs are byte for byte the ones `jsonwebtoken`
//!   signs for the same key, header and claims (the issuer used
//!   `jsonwebtoken` before it signed with `ed25519-dalek` directly), and
//!   byte for byte tokens recorded from that earlier issuer;
//! - `jsonwebtoken` verifies our tokens with the key from our JWKS;
//! - tokens `jsonwebtoken` signs with EdDSA verify under our strict verifier,
//!   and its other algorithms are refused.

extern crate aiid_passport as passport;
mod common;
#[path = "support/jwt_provider.rs"]
mod jwt_provider;

use common::*;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use passport::{
    signing_key_from_seed, signing_key_to_pem, Audience, Claims, IdentityId, Issuer, KeyId,
    NumericDate, Operator, Tier, Url,
};
use serde_json::{json, Value};

/// Tokens issued by the jsonwebtoken-based issuer (commit c96e7d5), seed
/// [7; 32], kid `k_2024`: the README example's claims, then claims with
/// `nbf`, `jti` (escapes, non-ASCII, U+2028), an audience array, `anon`,
/// no surfaces and non-ASCII capabilities.
const GOLDEN_1: &str = "eyJ0eXAiOiJKV1QiLCJhbGciOiJFZERTQSIsImtpZCI6ImtfMjAyNCJ9.eyJpc3MiOiJodHRwczovL2FpaWRlbnRpdHkub3JnIiwic3ViIjoiYWlpX0hNQjc3VlE1MjdCNVowNjJDTkUzMUQiLCJhdWQiOiJ2ZXJpZmllciIsImlhdCI6MTcxNDY5NDQwMCwiZXhwIjoxNzE0Njk4MDAwLCJ0aWVyIjoiY3JlYXRvcl92ZXJpZmllZCIsIm9wZXJhdG9yIjoiQWNtZSBDb3JwIEx0ZC4iLCJzdXJmYWNlcyI6WyJ0ZWxlZ3JhbTpAYWNtZV9ib3QiXSwiY2FwYWJpbGl0aWVzIjpbImN1c3RvbWVyLXN1cHBvcnQiXSwia2V5X2lkIjoia18yMDI0IiwicmVnaXN0cnlfdXJsIjoiaHR0cHM6Ly9haWlkZW50aXR5Lm9yZy93aG9pcy9haWlfSE1CNzdWUTUyN0I1WjA2MkNORTMxRCJ9.7UvgsSUrCGaJktvSD2D49qs2Sxr1YrOtcLc4e6_isH0yrQ819RahO2DeE0v8WW5veqxiSUGxmiWJsreOlji2Dg";
const GOLDEN_2: &str = "eyJ0eXAiOiJKV1QiLCJhbGciOiJFZERTQSIsImtpZCI6ImtfMjAyNCJ9.eyJpc3MiOiJodHRwczovL2FpaWRlbnRpdHkub3JnIiwic3ViIjoiYWlpX0hNQjc3VlE1MjdCNVowNjJDTkUzMUQiLCJhdWQiOlsiYSIsInZlcmlmaWVyIl0sImlhdCI6MTcxNDY5NDQwMCwiZXhwIjoxNzE0Njk4MDAwLCJuYmYiOjE3MTQ2OTQzOTAsImp0aSI6InAtw6lcIlxcLzw-JuKAqHgiLCJ0aWVyIjoiY3JlYXRvcl92ZXJpZmllZCIsIm9wZXJhdG9yIjoiYW5vbiIsInN1cmZhY2VzIjpbXSwiY2FwYWJpbGl0aWVzIjpbImNhZsOpIPCfmIAiLCJ4Il0sImtleV9pZCI6ImtfMjAyNCIsInJlZ2lzdHJ5X3VybCI6Imh0dHBzOi8vYWlpZGVudGl0eS5vcmcvd2hvaXMvYWlpX0hNQjc3VlE1MjdCNVowNjJDTkUzMUQifQ.RG5NMyDaPji2lL54GuzMwssM8Ksap4gHsjcUYmY0IZ8cxo6BWZ1v1M13H0WJyLz1GytOg9hPrnDSNyWnQ6ZqDw";

fn golden_claims() -> (Claims, Claims) {
    let now = 1_714_694_400;
    let first = Claims::builder()
        .iss(Url::new("https://aiidentity.org").unwrap())
        .sub(IdentityId::new("aii_HMB77VQ527B5Z062CNE31D").unwrap())
        .aud(Audience::One("verifier".into()))
        .iat(NumericDate::new(now).unwrap())
        .exp(NumericDate::new(now + 3600).unwrap())
        .tier(Tier::CreatorVerified)
        .operator(Operator::new("Acme Corp Ltd.").unwrap())
        .surface("telegram:@acme_bot".parse().unwrap())
        .capability("customer-support".parse().unwrap())
        .key_id(KeyId::new("k_2024").unwrap())
        .registry_url(Url::new("https://aiidentity.org/whois/aii_HMB77VQ527B5Z062CNE31D").unwrap())
        .build()
        .unwrap();
    let mut second = first.clone();
    second.nbf = Some(NumericDate::new(now - 10).unwrap());
    second.jti = Some("p-\u{e9}\"\\/<>&\u{2028}x".into());
    second.aud = Audience::Many(vec!["a".into(), "verifier".into()]);
    second.operator = Operator::Anonymous;
    second.surfaces = vec![];
    second.capabilities = vec!["caf\u{e9} \u{1F600}".parse().unwrap(), "x".parse().unwrap()];
    (first, second)
}

fn golden_issuer() -> Issuer {
    Issuer::new(
        &signing_key_from_seed(&[7; 32]).unwrap(),
        KeyId::new("k_2024").unwrap(),
        Url::new("https://aiidentity.org").unwrap(),
    )
    .unwrap()
}

/// jsonwebtoken's key from the PKCS#8 v1 PEM we write (its PEM reader is
/// behind a feature; the DER inside is what it signs with).
fn encoding_key(seed: [u8; 32]) -> EncodingKey {
    use base64::Engine as _;
    jwt_provider::install();
    let pem = signing_key_to_pem(&signing_key_from_seed(&seed).unwrap()).unwrap();
    let b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap();
    EncodingKey::from_ed_der(&der)
}

/// What jsonwebtoken signs for this key, kid and claims.
fn jsonwebtoken_sign(seed: [u8; 32], kid: &str, claims: &impl serde::Serialize) -> String {
    let key = encoding_key(seed);
    let mut header = Header::new(Algorithm::EdDSA);
    header.typ = Some("JWT".into());
    header.kid = Some(kid.into());
    jsonwebtoken::encode(&header, claims, &key).unwrap()
}

#[test]
fn tokens_are_byte_identical_to_the_earlier_jsonwebtoken_issuer() {
    let (first, second) = golden_claims();
    let issuer = golden_issuer();
    assert_eq!(issuer.issue(&first).unwrap(), GOLDEN_1);
    assert_eq!(issuer.issue(&second).unwrap(), GOLDEN_2);
}

#[test]
fn tokens_are_byte_identical_to_what_jsonwebtoken_signs() {
    let (first, second) = golden_claims();
    for claims in [&first, &second] {
        assert_eq!(
            golden_issuer().issue(claims).unwrap(),
            jsonwebtoken_sign([7; 32], "k_2024", claims)
        );
    }
    // Other keys and a kid that needs JSON escaping.
    for (seed, kid) in [(1u8, "k_a"), (200, r#"k"quote\back/slash"#), (9, "~!")] {
        let key = signing_key_from_seed(&[seed; 32]).unwrap();
        let kid_v = KeyId::new(kid).unwrap();
        let issuer = Issuer::new(&key, kid_v.clone(), Url::new(ISS).unwrap()).unwrap();
        let mut c = first.clone();
        c.iss = Url::new(ISS).unwrap();
        c.key_id = kid_v;
        assert_eq!(
            issuer.issue(&c).unwrap(),
            jsonwebtoken_sign([seed; 32], kid, &c),
            "kid {kid}"
        );
    }
}

#[test]
fn jsonwebtoken_verifies_our_tokens_with_the_jwks_key() {
    jwt_provider::install();
    let (first, _) = golden_claims();
    let issuer = golden_issuer();
    let token = issuer.issue(&first).unwrap();
    // The key as published: our JWK JSON, read by jsonwebtoken's JWK support.
    let jwk: jsonwebtoken::jwk::Jwk =
        serde_json::from_value(issuer.jwk().to_json()).expect("jsonwebtoken reads our JWK");
    let dk = DecodingKey::from_jwk(&jwk).unwrap();
    let mut val = Validation::new(Algorithm::EdDSA);
    val.set_audience(&["verifier"]);
    val.set_issuer(&["https://aiidentity.org"]);
    val.validate_exp = false; // the fixed claims are in the past
    let data = jsonwebtoken::decode::<Value>(&token, &dk, &val).unwrap();
    assert_eq!(data.header.kid.as_deref(), Some("k_2024"));
    assert_eq!(data.claims, first.to_json());
    // A flipped signature bit is refused by jsonwebtoken too (the oracle can fail).
    let mut bad = token.into_bytes();
    let last = bad.len() - 2;
    bad[last] = if bad[last] == b'A' { b'B' } else { b'A' };
    let bad = String::from_utf8(bad).unwrap();
    assert!(jsonwebtoken::decode::<Value>(&bad, &dk, &val).is_err());
}

#[test]
fn jsonwebtoken_eddsa_tokens_verify_under_our_strict_policy() {
    jwt_provider::install();
    let claims = claims(); // NOW-relative, kid k_2024, issuer key seed [7; 32]
    let token = jsonwebtoken_sign([7; 32], KID, &claims);
    let v = verifier().verify(&token).unwrap();
    assert_eq!(v.claims.sub.as_str(), "aii_HMB77VQ527B5Z062CNE31D");
    assert_eq!(Value::Object(v.raw_claims()), claims);

    // Without typ (jsonwebtoken lets a caller drop it): still a passport.
    let key = encoding_key(issuer_key().to_bytes());
    let mut h = Header::new(Algorithm::EdDSA);
    h.typ = None;
    h.kid = Some(KID.into());
    assert!(verifier()
        .verify(&jsonwebtoken::encode(&h, &claims, &key).unwrap())
        .is_ok());

    // Our policy still applies to its tokens: no kid, wrong audience, expiry.
    let mut h = Header::new(Algorithm::EdDSA);
    h.kid = None;
    let t = jsonwebtoken::encode(&h, &claims, &key).unwrap();
    assert_eq!(code(&t), "missing_kid");
    let mut other = claims.clone();
    other["aud"] = json!("someone-else");
    assert_eq!(
        code(&jsonwebtoken_sign([7; 32], KID, &other)),
        "wrong_audience"
    );
    assert_eq!(
        verifier_at(NOW + 3600 + 60)
            .verify(&jsonwebtoken_sign([7; 32], KID, &claims))
            .unwrap_err()
            .code(),
        "expired"
    );
    // Another key under our kid: bad signature.
    assert_eq!(
        code(&jsonwebtoken_sign([8; 32], KID, &claims)),
        "bad_signature"
    );
    // Its other algorithms are refused whatever the key.
    let mut h = Header::new(Algorithm::HS256);
    h.kid = Some(KID.into());
    let hs = jsonwebtoken::encode(&h, &claims, &EncodingKey::from_secret(b"secret")).unwrap();
    assert_eq!(code(&hs), "unsupported_algorithm");
}

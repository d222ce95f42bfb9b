//! Keys: RFC 8037 appendix A (verbatim), PEM, seeds, JWK sets; the issuer
//! and its interoperability with `jsonwebtoken`'s own verifier.

extern crate aiid_passport as passport;
mod common;
#[path = "support/jwt_provider.rs"]
mod jwt_provider;

use common::*;
use passport::{
    signing_key_from_jwk, signing_key_from_pem, signing_key_from_seed, signing_key_to_pem,
    verify_jws, Audience, Capability, Claims, IdentityId, Issuer, Jwk, Jwks, KeyId, NumericDate,
    Operator, Surface, Tier, Url,
};
use serde_json::json;

// RFC 8037, appendix A.1 (private key) and A.2 (public key), verbatim.
const A1: &str = r#"{"kty":"OKP","crv":"Ed25519",
   "d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A",
   "x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#;
const A2_X: &str = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";
// A.3 thumbprint.
const A3: &str = "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k";
// A.4: the JWS of "Example of Ed25519 signing" with header {"alg":"EdDSA"}.
const A4: &str = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc.hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg";

#[test]
fn rfc8037_a1_a2_private_and_public_key() {
    let sk = signing_key_from_jwk(A1).unwrap();
    assert_eq!(b64(sk.verifying_key().as_bytes()), A2_X);
    let public = format!(r#"{{"kty":"OKP","crv":"Ed25519","x":"{A2_X}","kid":"a2"}}"#);
    assert_eq!(Jwk::from_json(&public).unwrap().key, sk.verifying_key());
}

#[test]
fn rfc8037_a3_thumbprint() {
    let sk = signing_key_from_jwk(A1).unwrap();
    assert_eq!(passport::thumbprint(&sk.verifying_key()), A3);
}

#[test]
fn rfc8037_a4_a5_sign_and_validate() {
    let sk = signing_key_from_jwk(A1).unwrap();
    // A.4: Ed25519 is deterministic, so the independent signer reproduces it.
    assert_eq!(
        sign_raw(r#"{"alg":"EdDSA"}"#, "Example of Ed25519 signing", &sk),
        A4
    );
    // A.5: validation at the signature layer.
    assert_eq!(
        verify_jws(A4, &sk.verifying_key()).unwrap(),
        b"Example of Ed25519 signing"
    );
    // It is not a passport: no kid, no claims.
    let mut set = Jwks::new();
    set.push(Jwk::new(KeyId::new("a2").unwrap(), sk.verifying_key()))
        .unwrap();
    let v = passport::Verifier::new(passport::Policy::new(ISS, AUD), set);
    assert_eq!(v.verify(A4).unwrap_err().code(), "missing_kid");
}

#[test]
fn private_jwk_must_be_consistent() {
    let wrong_x = A1.replace(A2_X, &b64(key(1).verifying_key().as_bytes()));
    assert!(signing_key_from_jwk(&wrong_x).is_err());
    assert!(signing_key_from_jwk(&A1.replace("Ed25519", "Ed448")).is_err());
}

#[test]
fn pem_and_seed_round_trip() {
    let sk = key(3);
    let pem = signing_key_to_pem(&sk).unwrap();
    assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----\n"));
    assert_eq!(
        signing_key_from_pem(&pem).unwrap().to_bytes(),
        sk.to_bytes()
    );
    assert_eq!(
        signing_key_from_seed(&[3u8; 32]).unwrap().to_bytes(),
        sk.to_bytes()
    );
    assert_eq!(
        signing_key_from_seed(&[3u8; 31]).unwrap_err().code(),
        "invalid_seed"
    );
    assert_eq!(
        signing_key_from_pem("garbage").unwrap_err().code(),
        "invalid_pem"
    );
    // RFC 8410 §10.3 example private key.
    let rfc8410 = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEINTuctv5E1hK1bbY8fdp+K06/nwoy/HU++CXqI9EdVhC\n-----END PRIVATE KEY-----\n";
    let k = signing_key_from_pem(rfc8410).unwrap();
    assert_eq!(
        k.to_bytes()[..4],
        [0xd4, 0xee, 0x72, 0xdb],
        "seed D4EE72DBF913584AD5B6D8F1F769F8AD3AFE7C28CBF1D4FBE097A88F44755842"
    );
    let generated = passport::generate_signing_key().unwrap();
    assert_ne!(
        generated.to_bytes(),
        passport::generate_signing_key().unwrap().to_bytes()
    );
}

#[test]
fn jwks_parse_serialize_lookup_rotation() {
    let a = Jwk::new(KeyId::new("k_a").unwrap(), key(1).verifying_key());
    let b = Jwk::new(KeyId::new("k_b").unwrap(), key(2).verifying_key());
    let mut set = Jwks::new();
    set.push(a.clone()).unwrap();
    set.push(b.clone()).unwrap();
    let text = set.to_json_string();
    let back = Jwks::from_json(&text).unwrap();
    assert_eq!(back, set);
    assert_eq!(back.get("k_b"), Some(&b));
    assert_eq!(back.get("k_c"), None);
    assert_eq!(set.push(a).unwrap_err().code(), "duplicate_kid");
    let v = &set.to_json()["keys"][0];
    assert_eq!(v["kty"], "OKP");
    assert_eq!(v["crv"], "Ed25519");
    assert_eq!(v["alg"], "EdDSA");
}

#[test]
fn jwks_rules() {
    let x = b64(key(1).verifying_key().as_bytes());
    let set = |k: serde_json::Value| Jwks::from_json_value(&json!({ "keys": [k] }));
    // Keys of other types are ignored, not used.
    let rsa = set(json!({"kty":"RSA","kid":"r","n":"AQAB","e":"AQAB"})).unwrap();
    assert!(rsa.keys().is_empty());
    let x25519 = set(json!({"kty":"OKP","crv":"X25519","kid":"x","x":x})).unwrap();
    assert!(x25519.keys().is_empty());
    for (bad, code) in [
        (json!({"kty":"OKP","crv":"Ed25519","x":x}), "invalid_jwk"), // no kid
        (
            json!({"kty":"OKP","crv":"Ed25519","kid":"k","x":x,"d":x}),
            "invalid_jwk",
        ),
        (
            json!({"kty":"OKP","crv":"Ed25519","kid":"k","x":x,"alg":"RS256"}),
            "invalid_jwk",
        ),
        (
            json!({"kty":"OKP","crv":"Ed25519","kid":"k","x":x,"use":"enc"}),
            "invalid_jwk",
        ),
        (
            json!({"kty":"OKP","crv":"Ed25519","kid":"k","x":x,"key_ops":["sign"]}),
            "invalid_jwk",
        ),
        (
            json!({"kty":"OKP","crv":"Ed25519","kid":"k","x":format!("{x}=")}),
            "invalid_jwk",
        ),
        (
            json!({"kty":"OKP","crv":"Ed25519","kid":"k","x":"AAAA"}),
            "invalid_jwk",
        ),
        (json!({"crv":"Ed25519","kid":"k","x":x}), "invalid_jwk"),
    ] {
        assert_eq!(set(bad.clone()).unwrap_err().code(), code, "{bad}");
    }
    let dup =
        format!(r#"{{"keys":[{{"kty":"OKP","crv":"Ed25519","kid":"k","x":"{x}","x":"{x}"}}]}}"#);
    assert_eq!(
        Jwks::from_json(&dup).unwrap_err().code(),
        "duplicate_member"
    );
    assert!(Jwks::from_json(r#"{"keys":{}}"#).is_err());
}

fn claims() -> Claims {
    Claims::builder()
        .iss(Url::new(ISS).unwrap())
        .sub(IdentityId::new("aii_demo").unwrap())
        .aud(Audience::One(AUD.into()))
        .iat(NumericDate::new(NOW).unwrap())
        .exp(NumericDate::new(NOW + 600).unwrap())
        .tier(Tier::BusinessVerified)
        .operator(Operator::Anonymous)
        .surface(Surface::new("mcp:tools.example.com").unwrap())
        .capability(Capability::new("customer-support").unwrap())
        .key_id(KeyId::new(KID).unwrap())
        .registry_url(Url::new("https://aiidentity.org/whois/aii_demo").unwrap())
        .build()
        .unwrap()
}

fn issuer() -> Issuer {
    Issuer::new(
        &issuer_key(),
        KeyId::new(KID).unwrap(),
        Url::new(ISS).unwrap(),
    )
    .unwrap()
}

#[test]
fn issuer_tokens_verify_here_and_in_jsonwebtoken() {
    let token = issuer().issue(&claims()).unwrap();
    // Our verifier.
    let v = verifier().verify(&token).unwrap();
    assert_eq!(v.claims, claims());
    assert_eq!(v.header.typ.as_deref(), Some("JWT"));
    // The header, decoded independently.
    let h: serde_json::Value = serde_json::from_slice(
        &base64::Engine::decode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            token.split('.').next().unwrap(),
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(h, json!({"alg":"EdDSA","typ":"JWT","kid":KID}));
    // jsonwebtoken's verifier accepts it too.
    jwt_provider::install();
    let dk = jsonwebtoken::DecodingKey::from_ed_components(&b64(issuer_key()
        .verifying_key()
        .as_bytes()))
    .unwrap();
    let mut val = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::EdDSA);
    val.set_audience(&[AUD]);
    val.set_issuer(&[ISS]);
    val.validate_exp = false;
    let data = jsonwebtoken::decode::<serde_json::Value>(&token, &dk, &val).unwrap();
    assert_eq!(data.claims["tier"], "business_verified");
    assert_eq!(data.claims["operator"], "anon");
}

#[test]
fn issuer_refuses_inconsistent_claims() {
    let mut c = claims();
    c.iss = Url::new("https://other.example").unwrap();
    assert!(issuer().issue(&c).is_err());
    let mut c = claims();
    c.key_id = KeyId::new("k_other").unwrap();
    assert!(issuer().issue(&c).is_err());
    let mut c = claims();
    c.exp = c.iat;
    assert!(issuer().issue(&c).is_err());
    let mut c = claims();
    c.nbf = Some(c.exp);
    assert!(issuer().issue(&c).is_err());
    assert_eq!(issuer().jwk().kid.as_str(), KID);
}

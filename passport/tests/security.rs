//! The security rules of `spec/passport.md`, one test (at least) each, with
//! tokens made by an independent signer (see `common`).

extern crate aiid_passport as passport;
mod common;

use common::*;
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use passport::{
    verify_jws, FixedClock, Jwks, PassportError, Policy, RevocationList, Tier, Verifier,
    MAX_TOKEN_BYTES,
};
use serde_json::json;

#[test]
fn honest_token_verifies_with_every_claim() {
    let v = verifier().verify(&token()).expect("valid");
    let c = &v.claims;
    assert_eq!(c.iss.as_str(), ISS);
    assert_eq!(c.sub.as_str(), "aii_HMB77VQ527B5Z062CNE31D");
    assert!(c.aud.contains(AUD));
    assert_eq!((c.iat.get(), c.exp.get()), (NOW - 100, NOW + 3600));
    assert_eq!(c.tier, Tier::CreatorVerified);
    assert_eq!(c.operator.as_str(), "Acme Corp Ltd.");
    assert_eq!(c.surfaces.len(), 2);
    assert_eq!(c.capabilities[0].as_str(), "customer-support");
    assert_eq!(c.key_id.as_str(), KID);
    assert_eq!(v.header.kid.as_ref().map(|k| k.as_str()), Some(KID));
    assert_eq!(v.raw_claims(), *claims().as_object().unwrap());
}

// --- alg -------------------------------------------------------------------

#[test]
fn only_eddsa_is_accepted() {
    for alg in [
        "none", "None", "HS256", "HS512", "RS256", "PS256", "ES256", "ES256K", "eddsa", "EDDSA",
        "Ed25519", "",
    ] {
        let h = format!(r#"{{"alg":"{alg}","typ":"JWT","kid":"{KID}"}}"#);
        let t = sign_raw(&h, &claims().to_string(), &issuer_key());
        assert_eq!(code(&t), "unsupported_algorithm", "alg {alg:?}");
    }
    // alg:none with an empty signature segment is structurally broken first.
    let h = format!(r#"{{"alg":"none","kid":"{KID}"}}"#);
    let unsigned = format!(
        "{}.{}.",
        b64(h.as_bytes()),
        b64(claims().to_string().as_bytes())
    );
    assert_eq!(code(&unsigned), "malformed_token");
}

#[test]
fn alg_must_be_present_and_a_string() {
    let t = sign_raw(
        &format!(r#"{{"typ":"JWT","kid":"{KID}"}}"#),
        &claims().to_string(),
        &issuer_key(),
    );
    assert_eq!(code(&t), "malformed_header");
    let t = sign_raw(
        &format!(r#"{{"alg":["EdDSA"],"kid":"{KID}"}}"#),
        &claims().to_string(),
        &issuer_key(),
    );
    assert_eq!(code(&t), "malformed_header");
}

#[test]
fn hmac_with_the_public_key_as_secret_is_rejected() {
    // The classic confusion: HS256 keyed with the public key bytes. The
    // signature value is irrelevant; the algorithm is refused before any key use.
    let h = format!(r#"{{"alg":"HS256","typ":"JWT","kid":"{KID}"}}"#);
    let input = format!(
        "{}.{}",
        b64(h.as_bytes()),
        b64(claims().to_string().as_bytes())
    );
    let t = format!("{input}.{}", b64(issuer_key().verifying_key().as_bytes()));
    assert_eq!(code(&t), "unsupported_algorithm");
}

// --- kid -------------------------------------------------------------------

#[test]
fn kid_is_required_and_must_equal_key_id() {
    let t = sign_raw(
        r#"{"alg":"EdDSA","typ":"JWT"}"#,
        &claims().to_string(),
        &issuer_key(),
    );
    assert_eq!(code(&t), "missing_kid");

    // Rotation: two keys in the set, token signed by the second but claiming the first.
    let mut set = jwks();
    set.push(passport::Jwk::new(
        passport::KeyId::new("k_2025").unwrap(),
        key(8).verifying_key(),
    ))
    .unwrap();
    let v = Verifier::new(policy(), set).with_clock(FixedClock(NOW));
    let t = sign_raw(
        r#"{"alg":"EdDSA","typ":"JWT","kid":"k_2025"}"#,
        &claims().to_string(),
        &key(8),
    );
    assert_eq!(v.verify(&t).unwrap_err().code(), "kid_mismatch");
    let t = sign_raw(
        r#"{"alg":"EdDSA","typ":"JWT","kid":"k_2025"}"#,
        &claims_with(|m| {
            m.insert("key_id".into(), json!("k_2025"));
        }),
        &key(8),
    );
    assert!(v.verify(&t).is_ok(), "second key of the set verifies");
}

#[test]
fn unknown_kid_is_rejected() {
    let t = sign_raw(
        r#"{"alg":"EdDSA","kid":"k_other"}"#,
        &claims_with(|m| {
            m.insert("key_id".into(), json!("k_other"));
        }),
        &issuer_key(),
    );
    assert_eq!(code(&t), "unknown_key");
}

#[test]
fn kid_must_be_a_string() {
    let t = sign_raw(
        r#"{"alg":"EdDSA","kid":7}"#,
        &claims().to_string(),
        &issuer_key(),
    );
    assert_eq!(code(&t), "malformed_header");
}

// --- crit, jku, x5u, jwk ---------------------------------------------------

#[test]
fn any_crit_header_is_rejected() {
    for crit in [r#"["exp"]"#, r#"[]"#, r#"["b64"]"#, r#""x""#] {
        let h = format!(r#"{{"alg":"EdDSA","kid":"{KID}","crit":{crit},"b64":true}}"#);
        let t = sign_raw(&h, &claims().to_string(), &issuer_key());
        assert_eq!(code(&t), "crit_header", "crit {crit}");
    }
}

#[test]
fn key_carrying_headers_are_never_used() {
    // An attacker signs with its own key and ships that key in the header.
    let attacker = key(66);
    let x = b64(attacker.verifying_key().as_bytes());
    let cases = [
        (
            "jwk",
            format!(r#"{{"kty":"OKP","crv":"Ed25519","x":"{x}"}}"#),
        ),
        ("jku", r#""https://evil.example/jwks.json""#.to_owned()),
        ("x5u", r#""https://evil.example/cert.pem""#.to_owned()),
        ("x5c", r#"["MIIB"]"#.to_owned()),
    ];
    for (name, val) in cases {
        let h = format!(r#"{{"alg":"EdDSA","kid":"{KID}","{name}":{val}}}"#);
        let t = sign_raw(&h, &claims().to_string(), &attacker);
        assert_eq!(code(&t), "forbidden_header", "{name}");
        // Even when signed by the trusted key, the member is refused.
        let t = sign_raw(&h, &claims().to_string(), &issuer_key());
        assert_eq!(code(&t), "forbidden_header", "{name}");
    }
}

#[test]
fn typ_when_present_must_be_jwt() {
    for (typ, want) in [
        ("JWT", "valid"),
        ("jwt", "valid"),
        ("application/jwt", "valid"),
        ("JOSE", "bad_typ"),
        ("at+jwt", "bad_typ"),
    ] {
        let h = format!(r#"{{"alg":"EdDSA","typ":"{typ}","kid":"{KID}"}}"#);
        let t = sign_raw(&h, &claims().to_string(), &issuer_key());
        assert_eq!(code(&t), want, "typ {typ}");
    }
    let h = format!(r#"{{"alg":"EdDSA","kid":"{KID}"}}"#);
    assert_eq!(
        code(&sign_raw(&h, &claims().to_string(), &issuer_key())),
        "valid"
    );
}

// --- signatures ------------------------------------------------------------

#[test]
fn tampering_and_wrong_keys_fail() {
    let t = token();
    let parts: Vec<&str> = t.split('.').collect();
    let other = claims_with(|m| {
        m.insert("tier".into(), json!("business_verified"));
    });
    let forged = format!("{}.{}.{}", parts[0], b64(other.as_bytes()), parts[2]);
    assert_eq!(code(&forged), "bad_signature");

    let by_other_key = sign_raw(&header(), &claims().to_string(), &key(9));
    assert_eq!(code(&by_other_key), "bad_signature");

    let short = format!("{}.{}.{}", parts[0], parts[1], b64(&[1u8; 63]));
    assert_eq!(code(&short), "bad_signature");
}

#[test]
fn non_canonical_s_is_rejected() {
    let t = token();
    let parts: Vec<&str> = t.split('.').collect();
    let sig = base64_decode(parts[2]);
    // S + L: the same signature under lax verification rules.
    const L: [u8; 32] = [
        0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde,
        0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
    ];
    let mut s = [0u8; 32];
    let mut carry = 0u16;
    for i in 0..32 {
        let v = u16::from(sig[32 + i]) + u16::from(L[i]) + carry;
        s[i] = (v & 0xff) as u8;
        carry = v >> 8;
    }
    assert_eq!(carry, 0);
    let mut sig2 = sig.clone();
    sig2[32..].copy_from_slice(&s);
    let t2 = format!("{}.{}.{}", parts[0], parts[1], b64(&sig2));
    assert_eq!(code(&t2), "bad_signature");
}

fn base64_decode(s: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s)
        .unwrap()
}

/// The identity point: a small-order public key. Under cofactorless
/// non-strict verification, (R = identity, S = 0) is a valid signature of
/// every message for this key.
const IDENTITY: [u8; 32] = {
    let mut b = [0u8; 32];
    b[0] = 1;
    b
};

#[test]
fn small_order_keys_are_rejected() {
    // The library we build on would accept the forgery with `verify`…
    let weak = VerifyingKey::from_bytes(&IDENTITY).unwrap();
    let mut forged = [0u8; 64];
    forged[..32].copy_from_slice(&IDENTITY);
    let msg = b"any message at all";
    assert!(
        ed25519_dalek::Verifier::verify(&weak, msg, &Signature::from_bytes(&forged)).is_ok(),
        "lax verification accepts the small-order forgery"
    );

    // …so a JWKS with such a key is refused at load time…
    let jwks = json!({"keys":[{"kty":"OKP","crv":"Ed25519","kid":KID,"x":b64(&IDENTITY)}]});
    assert_eq!(Jwks::from_json_value(&jwks).unwrap_err().code(), "weak_key");

    // …and the JWS layer refuses the forgery even with the key handed in directly.
    let h = format!(r#"{{"alg":"EdDSA","kid":"{KID}"}}"#);
    let input = format!(
        "{}.{}",
        b64(h.as_bytes()),
        b64(claims().to_string().as_bytes())
    );
    let t = format!("{input}.{}", b64(&forged));
    assert_eq!(verify_jws(&t, &weak).unwrap_err().code(), "bad_signature");
}

#[test]
fn small_order_r_is_rejected() {
    let h = header();
    let input = format!(
        "{}.{}",
        b64(h.as_bytes()),
        b64(claims().to_string().as_bytes())
    );
    let mut sig = [0u8; 64];
    sig[..32].copy_from_slice(&IDENTITY);
    let t = format!("{input}.{}", b64(&sig));
    assert_eq!(code(&t), "bad_signature");
}

// --- duplicates --------------------------------------------------------------

#[test]
fn duplicate_members_are_rejected() {
    let hs = [
        format!(r#"{{"alg":"EdDSA","alg":"EdDSA","kid":"{KID}"}}"#),
        format!(r#"{{"alg":"none","alg":"EdDSA","kid":"{KID}"}}"#),
        format!(r#"{{"alg":"EdDSA","kid":"{KID}","kid":"k_x"}}"#),
        format!(r#"{{"alg":"EdDSA","kid":"{KID}","\u006bid":"{KID}"}}"#),
    ];
    for h in hs {
        let t = sign_raw(&h, &claims().to_string(), &issuer_key());
        let e = verifier().verify(&t).unwrap_err();
        assert!(
            matches!(
                &e,
                PassportError::DuplicateMember {
                    part: passport::Part::Header,
                    ..
                }
            ),
            "{h}: {e:?}"
        );
    }
    let c = claims().to_string();
    for dup in [
        r#","tier":"business_verified"}"#,
        r#","sub":"aii_other"}"#,
        r#","exp":1}"#,
        r#","x":{"a":1,"a":2}}"#,
    ] {
        let payload = format!("{}{}", &c[..c.len() - 1], dup);
        let t = sign_raw(&header(), &payload, &issuer_key());
        let e = verifier().verify(&t).unwrap_err();
        assert!(
            matches!(
                &e,
                PassportError::DuplicateMember {
                    part: passport::Part::Claims,
                    ..
                }
            ),
            "{dup}: {e:?}"
        );
    }
}

// --- encoding and size ---------------------------------------------------------

#[test]
fn base64url_must_be_strict_and_unpadded() {
    let t = token();
    let parts: Vec<&str> = t.split('.').collect();
    // 64-byte signature: 86 characters, the last carrying 4 unused bits.
    let mut sig = parts[2].to_owned();
    let last = sig.pop().unwrap();
    let alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let idx = alphabet.find(last).unwrap();
    let tweaked = alphabet.as_bytes()[idx | 1] as char;
    assert_ne!(
        tweaked, last,
        "the last char of a canonical encoding has zero low bits"
    );
    let cases = [
        (
            format!("{}=.{}.{}", parts[0], parts[1], parts[2]),
            "header padding",
        ),
        (
            format!("{}.{}.{}==", parts[0], parts[1], parts[2]),
            "signature padding",
        ),
        (
            format!("{}.{}.{sig}{tweaked}", parts[0], parts[1]),
            "non-zero trailing bits",
        ),
        (
            format!(
                "{}.{}.{}",
                parts[0],
                parts[1],
                parts[2].replace('_', "/").replace('-', "+")
            ),
            "standard alphabet",
        ),
        (
            format!(" {}.{}.{}", parts[0], parts[1], parts[2]),
            "leading space",
        ),
        (
            format!("{}.{}.{}\n", parts[0], parts[1], parts[2]),
            "trailing newline",
        ),
    ];
    for (t, what) in cases {
        if what == "standard alphabet" && !parts[2].contains(['_', '-']) {
            continue;
        }
        assert_eq!(code(&t), "invalid_base64", "{what}");
    }
    let padded_payload = format!("{}.{}=", parts[0], parts[1]);
    let sig = issuer_key().sign(padded_payload.as_bytes());
    let t = format!("{padded_payload}.{}", b64(&sig.to_bytes()));
    assert_eq!(
        code(&t),
        "invalid_base64",
        "payload padding, validly signed"
    );
}

#[test]
fn structure_is_three_non_empty_segments() {
    let t = token();
    let parts: Vec<&str> = t.split('.').collect();
    for bad in [
        String::new(),
        "abc".to_owned(),
        format!("{}.{}", parts[0], parts[1]),
        format!("{t}.{}", parts[2]),
        format!("{t}."),
        format!(".{}.{}", parts[1], parts[2]),
        format!("{}..{}", parts[0], parts[2]),
        format!("{}.{}.", parts[0], parts[1]),
        "a.b.c.d.e".to_owned(),
    ] {
        assert_eq!(code(&bad), "malformed_token", "{bad:?}");
    }
}

#[test]
fn size_cap_is_checked_before_decoding() {
    let huge = "!".repeat(MAX_TOKEN_BYTES + 1);
    let e = verifier().verify(&huge).unwrap_err();
    assert_eq!(
        e,
        PassportError::TokenTooLarge {
            len: MAX_TOKEN_BYTES + 1,
            max: MAX_TOKEN_BYTES
        }
    );
    // A validly signed token just over the cap (padded with an unknown claim).
    let base = token().len();
    let pad = "x".repeat((MAX_TOKEN_BYTES - base) * 3 / 4 + 8);
    let t = sign_raw(
        &header(),
        &claims_with(|m| {
            m.insert("pad".into(), json!(pad));
        }),
        &issuer_key(),
    );
    assert!(t.len() > MAX_TOKEN_BYTES);
    assert_eq!(code(&t), "token_too_large");
    // And one just under it verifies.
    let pad = "x".repeat((MAX_TOKEN_BYTES - base) * 3 / 4 - 16);
    let t = sign_raw(
        &header(),
        &claims_with(|m| {
            m.insert("pad".into(), json!(pad));
        }),
        &issuer_key(),
    );
    assert!(t.len() <= MAX_TOKEN_BYTES);
    assert_eq!(code(&t), "valid");
}

// --- claims ------------------------------------------------------------------

#[test]
fn every_missing_required_claim_is_named() {
    for name in passport::REQUIRED_CLAIMS {
        let t = sign_raw(
            &header(),
            &claims_with(|m| {
                m.remove(name);
            }),
            &issuer_key(),
        );
        let e = verifier().verify(&t).unwrap_err();
        assert_eq!(e, PassportError::MissingClaim(name), "{name}");
        assert_eq!(e.code(), "missing_claim");
        assert!(e.to_string().contains(name));
    }
}

#[test]
fn claim_types_and_values_are_checked() {
    let cases: Vec<(&str, serde_json::Value)> = vec![
        ("exp", json!(NOW as f64 + 3600.5)),
        ("exp", json!("1714698000")),
        ("exp", json!(-5)),
        ("exp", json!(NOW - 100)), // not after iat
        ("iat", json!(null)),
        ("nbf", json!("soon")),
        ("sub", json!("user_123")),
        ("sub", json!(42)),
        ("iss", json!("aiidentity.org")),
        ("aud", json!([])),
        ("aud", json!(7)),
        ("operator", json!("")),
        ("operator", json!(["anon"])),
        ("surfaces", json!("telegram:@bot")),
        ("surfaces", json!(["no-colon"])),
        ("capabilities", json!([1])),
        ("key_id", json!("has space")),
        ("registry_url", json!("javascript:alert(1)")),
        ("tier", json!(3)),
        ("jti", json!("")),
    ];
    for (name, val) in cases {
        let t = sign_raw(
            &header(),
            &claims_with(|m| {
                m.insert(name.into(), val.clone());
            }),
            &issuer_key(),
        );
        let e = verifier().verify(&t).unwrap_err();
        assert_eq!(e.code(), "invalid_claim", "{name}={val}: {e:?}");
        assert_eq!(e.claim(), Some(name), "{name}={val}");
    }
}

#[test]
fn unknown_tiers_are_rejected_and_tiers_ordered() {
    for t in ["platinum", "Issued", "business-verified", ""] {
        let tok = sign_raw(
            &header(),
            &claims_with(|m| {
                m.insert("tier".into(), json!(t));
            }),
            &issuer_key(),
        );
        assert_eq!(code(&tok), "unknown_tier", "{t:?}");
    }
    for (tier, min, ok) in [
        ("issued", Tier::Issued, true),
        ("issued", Tier::IdentityVerified, false),
        ("creator_verified", Tier::CreatorVerified, true),
        ("creator_verified", Tier::BusinessVerified, false),
        ("business_verified", Tier::BusinessVerified, true),
    ] {
        let tok = sign_raw(
            &header(),
            &claims_with(|m| {
                m.insert("tier".into(), json!(tier));
            }),
            &issuer_key(),
        );
        let v = Verifier::new(policy().with_min_tier(min), jwks()).with_clock(FixedClock(NOW));
        match v.verify(&tok) {
            Ok(_) => assert!(ok, "{tier} >= {min}"),
            Err(e) => {
                assert!(!ok, "{tier} vs {min}: {e}");
                assert_eq!(e.code(), "tier_too_low");
            }
        }
    }
}

#[test]
fn unknown_claims_are_ignored() {
    let t = sign_raw(
        &header(),
        &claims_with(|m| {
            m.insert("x-custom".into(), json!({"nested": [1, 2]}));
            m.insert("jti".into(), json!("p_1"));
        }),
        &issuer_key(),
    );
    let v = verifier().verify(&t).unwrap();
    assert_eq!(v.claims.jti.as_deref(), Some("p_1"));
    assert!(v.raw_claims().contains_key("x-custom"));
}

#[test]
fn payload_must_be_a_json_object() {
    for p in ["[1,2]", "\"str\"", "{", "{\"a\":1} trailing", "null"] {
        let t = sign_raw(&header(), p, &issuer_key());
        assert_eq!(code(&t), "malformed_claims", "{p}");
    }
    let t = sign_raw(&header(), "\u{feff}{}", &issuer_key());
    assert_eq!(code(&t), "malformed_claims", "BOM");
}

#[test]
fn header_must_be_a_json_object() {
    for h in ["[]", "{", "\"EdDSA\"", ""] {
        let t = sign_raw(h, &claims().to_string(), &issuer_key());
        let want = if h.is_empty() {
            "malformed_token"
        } else {
            "malformed_header"
        };
        assert_eq!(code(&t), want, "{h:?}");
    }
}

#[test]
fn issuer_and_audience() {
    let t = sign_raw(
        &header(),
        &claims_with(|m| {
            m.insert("iss".into(), json!("https://evil.example"));
        }),
        &issuer_key(),
    );
    assert_eq!(code(&t), "wrong_issuer");
    // Exact comparison: a trailing slash is another issuer.
    let t = sign_raw(
        &header(),
        &claims_with(|m| {
            m.insert("iss".into(), json!("https://aiidentity.org/"));
        }),
        &issuer_key(),
    );
    assert_eq!(code(&t), "wrong_issuer");
    let t = sign_raw(
        &header(),
        &claims_with(|m| {
            m.insert("aud".into(), json!("someone-else"));
        }),
        &issuer_key(),
    );
    assert_eq!(code(&t), "wrong_audience");
    let t = sign_raw(
        &header(),
        &claims_with(|m| {
            m.insert("aud".into(), json!(["a", AUD]));
        }),
        &issuer_key(),
    );
    assert_eq!(code(&t), "valid");
    // Several accepted issuers.
    let mut p = policy();
    p.issuers.push("https://other.example".into());
    let t = sign_raw(
        &header(),
        &claims_with(|m| {
            m.insert("iss".into(), json!("https://other.example"));
        }),
        &issuer_key(),
    );
    let v = Verifier::new(p, jwks()).with_clock(FixedClock(NOW));
    assert!(v.verify(&t).is_ok());
}

// --- time --------------------------------------------------------------------

fn at(now: i64, f: impl FnOnce(&mut serde_json::Map<String, serde_json::Value>)) -> &'static str {
    let t = sign_raw(&header(), &claims_with(f), &issuer_key());
    match verifier_at(now).verify(&t) {
        Ok(_) => "valid",
        Err(e) => e.code().as_str(),
    }
}

#[test]
fn exp_with_leeway() {
    let exp = NOW + 3600;
    assert_eq!(at(exp - 1, |_| {}), "valid");
    assert_eq!(at(exp, |_| {}), "valid", "inside the 60 s leeway");
    assert_eq!(at(exp + 59, |_| {}), "valid");
    assert_eq!(at(exp + 60, |_| {}), "expired");
    assert_eq!(at(exp + 86_400, |_| {}), "expired");
    let strict = Verifier::new(policy().with_leeway(0), jwks()).with_clock(FixedClock(exp));
    assert_eq!(strict.verify(&token()).unwrap_err().code(), "expired");
}

#[test]
fn iat_not_in_the_future_beyond_leeway() {
    let set = |iat: i64| {
        move |m: &mut serde_json::Map<String, serde_json::Value>| {
            m.insert("iat".into(), json!(iat));
        }
    };
    assert_eq!(at(NOW, set(NOW + 60)), "valid");
    assert_eq!(at(NOW, set(NOW + 61)), "issued_in_future");
}

#[test]
fn nbf_is_honoured() {
    let set = |nbf: i64| {
        move |m: &mut serde_json::Map<String, serde_json::Value>| {
            m.insert("nbf".into(), json!(nbf));
        }
    };
    assert_eq!(at(NOW, set(NOW - 10)), "valid");
    assert_eq!(at(NOW, set(NOW + 60)), "valid");
    assert_eq!(at(NOW, set(NOW + 61)), "not_yet_valid");
}

// --- revocation ----------------------------------------------------------------

#[test]
fn revocation_fails_closed() {
    let t = sign_raw(
        &header(),
        &claims_with(|m| {
            m.insert("jti".into(), json!("p_42"));
        }),
        &issuer_key(),
    );
    let base = RevocationList::new(NOW - 30);
    let run = |list: RevocationList| match Verifier::new(policy(), jwks())
        .with_clock(FixedClock(NOW))
        .with_revocation(list)
        .verify(&t)
    {
        Ok(_) => "valid",
        Err(e) => e.code().as_str(),
    };
    assert_eq!(run(base.clone()), "valid");
    let mut l = base.clone();
    l.identities
        .push(passport::IdentityId::new("aii_HMB77VQ527B5Z062CNE31D").unwrap());
    assert_eq!(run(l), "revoked");
    let mut l = base.clone();
    l.passports.push("p_42".into());
    assert_eq!(run(l), "revoked");
    let mut l = base.clone();
    use sha2::Digest as _;
    let h = sha2::Sha256::digest(t.as_bytes());
    l.passports
        .push(h.iter().map(|b| format!("{b:02x}")).collect::<String>());
    assert_eq!(run(l), "revoked");
    let mut l = base.clone();
    l.keys.push(passport::KeyId::new(KID).unwrap());
    assert_eq!(run(l), "revoked");
    assert_eq!(run(base.clone().with_max_age(60)), "valid");
    assert_eq!(run(base.with_max_age(10)), "revocation_unavailable");
}

// --- the JWS layer and policy plumbing -------------------------------------------

#[test]
fn jws_layer_does_not_require_kid_or_json() {
    let key = issuer_key();
    let t = sign_raw(r#"{"alg":"EdDSA"}"#, "not json", &key);
    assert_eq!(verify_jws(&t, &key.verifying_key()).unwrap(), b"not json");
    let t = sign_raw(r#"{"alg":"EdDSA","crit":["x"]}"#, "p", &key);
    assert_eq!(
        verify_jws(&t, &key.verifying_key()).unwrap_err().code(),
        "crit_header"
    );
}

#[test]
fn policy_defaults() {
    let p = Policy::new(ISS, AUD);
    assert_eq!(p.leeway_secs, 60);
    assert_eq!(p.min_tier, Tier::Issued);
    let _: &SigningKey = &issuer_key();
}

#[test]
fn error_codes_are_unique_and_listed() {
    let mut codes = PassportError::CODES.to_vec();
    codes.sort_unstable();
    let n = codes.len();
    codes.dedup();
    assert_eq!(codes.len(), n);
}

#[test]
fn deep_nesting_is_refused_without_overflow() {
    let deep = format!("{{\"x\":{}{}}}", "[".repeat(3000), "]".repeat(3000));
    let t = sign_raw(&header(), &deep, &issuer_key());
    assert!(t.len() <= MAX_TOKEN_BYTES);
    assert_eq!(code(&t), "malformed_claims");
    let h = format!(
        "{{\"alg\":\"EdDSA\",\"kid\":\"{KID}\",\"x\":{}{}}}",
        "{\"a\":".repeat(500),
        "}".repeat(500)
    );
    let t = sign_raw(&h, &claims().to_string(), &issuer_key());
    assert_eq!(code(&t), "malformed_header");
}

#[test]
fn numeric_edge_cases() {
    for v in [
        "1e308",
        "9223372036854775808",
        "-0.0",
        "1714698000e0",
        "true",
    ] {
        let raw = claims()
            .to_string()
            .replace(&format!("\"exp\":{}", NOW + 3600), &format!("\"exp\":{v}"));
        let t = sign_raw(&header(), &raw, &issuer_key());
        assert_eq!(code(&t), "invalid_claim", "exp {v}");
    }
}

//! An independent signer for tests: tokens are hand-assembled from raw JSON
//! text and signed with `ed25519-dalek` directly (never with `passport::Issuer`).
#![allow(dead_code)]

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use ed25519_dalek::{Signer as _, SigningKey};
use passport::{FixedClock, Jwk, Jwks, KeyId, Policy, Verifier};
use serde_json::{json, Value};

pub(crate) const NOW: i64 = 1_714_694_400;
pub(crate) const ISS: &str = "https://aiidentity.org";
pub(crate) const AUD: &str = "verifier";
pub(crate) const KID: &str = "k_2024";

pub(crate) fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

pub(crate) fn key(byte: u8) -> SigningKey {
    SigningKey::from_bytes(&[byte; 32])
}

pub(crate) fn issuer_key() -> SigningKey {
    key(7)
}

/// Signs `header.payload` (both raw JSON text) with `key`.
pub(crate) fn sign_raw(header: &str, payload: &str, key: &SigningKey) -> String {
    let input = format!("{}.{}", b64(header.as_bytes()), b64(payload.as_bytes()));
    let sig = key.sign(input.as_bytes());
    format!("{input}.{}", b64(&sig.to_bytes()))
}

pub(crate) fn header() -> String {
    format!(r#"{{"alg":"EdDSA","typ":"JWT","kid":"{KID}"}}"#)
}

pub(crate) fn claims() -> Value {
    json!({
        "iss": ISS,
        "sub": "aii_HMB77VQ527B5Z062CNE31D",
        "aud": AUD,
        "iat": NOW - 100,
        "exp": NOW + 3600,
        "tier": "creator_verified",
        "operator": "Acme Corp Ltd.",
        "surfaces": ["telegram:@acme_bot", "wa:+441234567890"],
        "capabilities": ["customer-support"],
        "key_id": KID,
        "registry_url": "https://aiidentity.org/whois/aii_HMB77VQ527B5Z062CNE31D"
    })
}

/// The default claims with `f` applied.
pub(crate) fn claims_with(f: impl FnOnce(&mut serde_json::Map<String, Value>)) -> String {
    let mut c = claims();
    if let Some(m) = c.as_object_mut() {
        f(m);
    }
    c.to_string()
}

pub(crate) fn token() -> String {
    sign_raw(&header(), &claims().to_string(), &issuer_key())
}

pub(crate) fn jwks() -> Jwks {
    let mut j = Jwks::new();
    j.push(Jwk::new(
        KeyId::new(KID).unwrap(),
        issuer_key().verifying_key(),
    ))
    .unwrap();
    j
}

pub(crate) fn policy() -> Policy {
    Policy::new(ISS, AUD)
}

pub(crate) fn verifier() -> Verifier {
    Verifier::new(policy(), jwks()).with_clock(FixedClock(NOW))
}

pub(crate) fn verifier_at(now: i64) -> Verifier {
    Verifier::new(policy(), jwks()).with_clock(FixedClock(now))
}

/// The error code of verifying `token` with the default verifier.
pub(crate) fn code(token: &str) -> &'static str {
    match verifier().verify(token) {
        Ok(_) => "valid",
        Err(e) => e.code().as_str(),
    }
}

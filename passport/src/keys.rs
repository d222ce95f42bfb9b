//! Ed25519 keys: PKCS#8 PEM, raw seeds, RFC 8037 OKP JWKs and JWK sets.

use crate::error::KeyError;
use crate::strict::{b64url_decode, b64url_encode, parse_value, JsonError};
use crate::types::KeyId;
use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey};
pub use ed25519_dalek::{SigningKey, VerifyingKey};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

/// Reads an Ed25519 private key from a PKCS#8 PEM document
/// (`-----BEGIN PRIVATE KEY-----`, RFC 8410).
pub fn signing_key_from_pem(pem: &str) -> Result<SigningKey, KeyError> {
    SigningKey::from_pkcs8_pem(pem.trim()).map_err(|e| KeyError::InvalidPem(e.to_string()))
}

/// Writes an Ed25519 private key as a PKCS#8 PEM document (LF line endings).
pub fn signing_key_to_pem(key: &SigningKey) -> Result<String, KeyError> {
    key.to_pkcs8_pem(ed25519_dalek::pkcs8::spki::der::pem::LineEnding::LF)
        .map(|z| z.as_str().to_owned())
        .map_err(|e| KeyError::InvalidPem(e.to_string()))
}

/// The PKCS#8 DER form of a private key (what `jsonwebtoken` signs with).
pub(crate) fn signing_key_to_der(key: &SigningKey) -> Result<Vec<u8>, KeyError> {
    key.to_pkcs8_der()
        .map(|d| d.as_bytes().to_vec())
        .map_err(|e| KeyError::InvalidPem(e.to_string()))
}

/// An Ed25519 private key from its raw 32-byte seed (RFC 8032 "private key").
pub fn signing_key_from_seed(seed: &[u8]) -> Result<SigningKey, KeyError> {
    let seed: &[u8; 32] = seed
        .try_into()
        .map_err(|_| KeyError::InvalidSeed(seed.len()))?;
    Ok(SigningKey::from_bytes(seed))
}

/// A fresh private key from the operating system's random number generator.
pub fn generate_signing_key() -> Result<SigningKey, KeyError> {
    let mut seed = [0u8; 32];
    getrandom::getrandom(&mut seed).map_err(|e| KeyError::Random(e.to_string()))?;
    let key = SigningKey::from_bytes(&seed);
    seed.fill(0);
    Ok(key)
}

/// Parses a 32-byte public key, rejecting encodings that are not curve
/// points and points of small order (weak keys).
pub fn verifying_key_from_bytes(bytes: &[u8], kid: &str) -> Result<VerifyingKey, KeyError> {
    let arr: &[u8; 32] = bytes
        .try_into()
        .map_err(|_| KeyError::InvalidJwk(format!("x must be 32 bytes, got {}", bytes.len())))?;
    let key = VerifyingKey::from_bytes(arr).map_err(|_| KeyError::WeakKey(kid.to_owned()))?;
    if key.is_weak() {
        return Err(KeyError::WeakKey(kid.to_owned()));
    }
    // Non-canonical encodings of a point (y >= p) decode but re-encode
    // differently; one key, one encoding.
    if key.to_edwards().compress().as_bytes() != arr {
        return Err(KeyError::WeakKey(kid.to_owned()));
    }
    Ok(key)
}

/// A public Ed25519 key as an RFC 8037 OKP JWK with a key id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Jwk {
    /// The key id (`kid`).
    pub kid: KeyId,
    /// The public key.
    pub key: VerifyingKey,
}

fn jwk_err(msg: impl Into<String>) -> KeyError {
    KeyError::InvalidJwk(msg.into())
}

fn opt_str<'a>(m: &'a Map<String, Value>, name: &str) -> Result<Option<&'a str>, KeyError> {
    match m.get(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(jwk_err(format!("{name} must be a string"))),
    }
}

/// Whether a JWK object is an Ed25519 OKP key (as opposed to another type,
/// which a JWK set may carry and which is then ignored).
fn is_ed25519(m: &Map<String, Value>) -> bool {
    m.get("kty").and_then(Value::as_str) == Some("OKP")
        && m.get("crv").and_then(Value::as_str) == Some("Ed25519")
}

impl Jwk {
    /// Wraps a key and its id.
    pub fn new(kid: KeyId, key: VerifyingKey) -> Jwk {
        Jwk { kid, key }
    }

    /// Reads a public OKP Ed25519 JWK from a JSON object. Rules: `kty` `OKP`,
    /// `crv` `Ed25519`, `x` strict base64url of a 32-byte non-weak key, `kid`
    /// required, no private member `d`, `alg` (if any) `EdDSA`, `use` (if any)
    /// `sig`, `key_ops` (if any) containing `verify`.
    pub fn from_json_object(m: &Map<String, Value>) -> Result<Jwk, KeyError> {
        if opt_str(m, "kty")? != Some("OKP") {
            return Err(jwk_err("kty must be OKP"));
        }
        if opt_str(m, "crv")? != Some("Ed25519") {
            return Err(jwk_err("crv must be Ed25519"));
        }
        if m.contains_key("d") {
            return Err(jwk_err(
                "a public JWK must not contain the private member d",
            ));
        }
        let kid = opt_str(m, "kid")?.ok_or_else(|| jwk_err("kid is required"))?;
        let kid = KeyId::new(kid).map_err(|e| jwk_err(e.to_string()))?;
        if let Some(alg) = opt_str(m, "alg")? {
            if alg != "EdDSA" {
                return Err(jwk_err(format!("alg {alg:?} is not EdDSA")));
            }
        }
        if let Some(u) = opt_str(m, "use")? {
            if u != "sig" {
                return Err(jwk_err(format!("use {u:?} is not sig")));
            }
        }
        if let Some(ops) = m.get("key_ops") {
            let ok = ops
                .as_array()
                .is_some_and(|a| a.iter().any(|o| o.as_str() == Some("verify")));
            if !ok {
                return Err(jwk_err("key_ops does not allow verify"));
            }
        }
        let x = opt_str(m, "x")?.ok_or_else(|| jwk_err("x is required"))?;
        let bytes = b64url_decode(x).ok_or_else(|| jwk_err("x is not strict base64url"))?;
        let key = verifying_key_from_bytes(&bytes, kid.as_str())?;
        Ok(Jwk { kid, key })
    }

    /// Parses one JWK from JSON text.
    pub fn from_json(text: &str) -> Result<Jwk, KeyError> {
        match parse_value(text.as_bytes()) {
            Ok(Value::Object(m)) => Jwk::from_json_object(&m),
            Ok(_) => Err(jwk_err("not a JSON object")),
            Err(JsonError::Duplicate(n)) => Err(KeyError::DuplicateMember(n)),
            Err(e) => Err(jwk_err(format!("{e:?}"))),
        }
    }

    /// The JWK as JSON: `{"kty":"OKP","crv":"Ed25519","x":…,"kid":…,"use":"sig","alg":"EdDSA"}`.
    pub fn to_json(&self) -> Value {
        json!({
            "kty": "OKP",
            "crv": "Ed25519",
            "x": b64url_encode(self.key.as_bytes()),
            "kid": self.kid.as_str(),
            "use": "sig",
            "alg": "EdDSA",
        })
    }

    /// The RFC 7638 JWK thumbprint (base64url of SHA-256 over
    /// `{"crv":"Ed25519","kty":"OKP","x":…}`), as in RFC 8037 appendix A.3.
    pub fn thumbprint(&self) -> String {
        thumbprint(&self.key)
    }
}

/// The RFC 7638 thumbprint of an Ed25519 public key.
pub fn thumbprint(key: &VerifyingKey) -> String {
    let input = format!(
        r#"{{"crv":"Ed25519","kty":"OKP","x":"{}"}}"#,
        b64url_encode(key.as_bytes())
    );
    b64url_encode(&Sha256::digest(input.as_bytes()))
}

/// Reads a private OKP Ed25519 JWK (with `d`, as RFC 8037 appendix A.1);
/// `x` must be the public key of `d`.
pub fn signing_key_from_jwk(text: &str) -> Result<SigningKey, KeyError> {
    let m = match parse_value(text.as_bytes()) {
        Ok(Value::Object(m)) => m,
        Ok(_) => return Err(jwk_err("not a JSON object")),
        Err(JsonError::Duplicate(n)) => return Err(KeyError::DuplicateMember(n)),
        Err(e) => return Err(jwk_err(format!("{e:?}"))),
    };
    if !is_ed25519(&m) {
        return Err(jwk_err("kty must be OKP and crv Ed25519"));
    }
    let d = opt_str(&m, "d")?.ok_or_else(|| jwk_err("d is required"))?;
    let d = b64url_decode(d).ok_or_else(|| jwk_err("d is not strict base64url"))?;
    let key = signing_key_from_seed(&d).map_err(|_| jwk_err("d must be 32 bytes"))?;
    if let Some(x) = opt_str(&m, "x")? {
        if b64url_decode(x).as_deref() != Some(key.verifying_key().as_bytes().as_slice()) {
            return Err(jwk_err("x is not the public key of d"));
        }
    }
    Ok(key)
}

/// A JWK set (RFC 7517 §5): the Ed25519 keys of an issuer, several at once
/// during rotation.
///
/// Parsing keeps every OKP Ed25519 key (each checked as in
/// [`Jwk::from_json_object`]) and ignores keys of other types (`RSA`, `EC`,
/// `OKP` with another curve), which can never verify a passport. Two Ed25519
/// keys with one `kid` are an error.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Jwks {
    keys: Vec<Jwk>,
}

impl Jwks {
    /// An empty set.
    pub fn new() -> Jwks {
        Jwks::default()
    }

    /// Adds a key; fails if its `kid` is already present.
    pub fn push(&mut self, jwk: Jwk) -> Result<(), KeyError> {
        if self.get(jwk.kid.as_str()).is_some() {
            return Err(KeyError::DuplicateKid(jwk.kid.as_str().to_owned()));
        }
        self.keys.push(jwk);
        Ok(())
    }

    /// The keys, in document order.
    pub fn keys(&self) -> &[Jwk] {
        &self.keys
    }

    /// The key with this `kid`.
    pub fn get(&self, kid: &str) -> Option<&Jwk> {
        self.keys.iter().find(|k| k.kid.as_str() == kid)
    }

    /// Reads a JWK set from a JSON value `{"keys":[…]}`.
    pub fn from_json_value(v: &Value) -> Result<Jwks, KeyError> {
        let keys = v
            .as_object()
            .and_then(|m| m.get("keys"))
            .and_then(Value::as_array)
            .ok_or_else(|| jwk_err("a JWK set is an object with a keys array"))?;
        let mut set = Jwks::new();
        for k in keys {
            let m = k
                .as_object()
                .ok_or_else(|| jwk_err("each key must be an object"))?;
            if m.get("kty").and_then(Value::as_str) == Some("OKP") && !is_ed25519(m) {
                continue;
            }
            if m.get("kty").and_then(Value::as_str) != Some("OKP") {
                if m.get("kty").and_then(Value::as_str).is_none() {
                    return Err(jwk_err("kty is required"));
                }
                continue;
            }
            set.push(Jwk::from_json_object(m)?)?;
        }
        Ok(set)
    }

    /// Parses a JWK set from JSON text, rejecting duplicate member names.
    pub fn from_json(text: &str) -> Result<Jwks, KeyError> {
        match parse_value(text.as_bytes()) {
            Ok(v) => Jwks::from_json_value(&v),
            Err(JsonError::Duplicate(n)) => Err(KeyError::DuplicateMember(n)),
            Err(e) => Err(jwk_err(format!("{e:?}"))),
        }
    }

    /// The set as JSON.
    pub fn to_json(&self) -> Value {
        json!({ "keys": self.keys.iter().map(Jwk::to_json).collect::<Vec<_>>() })
    }

    /// The set as pretty-printed JSON text with a final newline.
    pub fn to_json_string(&self) -> String {
        let mut s = serde_json::to_string_pretty(&self.to_json()).unwrap_or_default();
        s.push('\n');
        s
    }
}

//! Ed25519 keys: PKCS#8 PEM, raw seeds, RFC 8037 OKP JWKs and JWK sets.

use crate::error::{Cause, KeyError};
use crate::strict::{b64url_decode, b64url_encode, parse_value, JsonError};
use crate::types::KeyId;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use ed25519_dalek::{SigningKey, VerifyingKey};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

/// The DER of an RFC 8410 PKCS#8 v1 Ed25519 private key up to the 32-byte
/// seed: `SEQUENCE { INTEGER 0, SEQUENCE { OID 1.3.101.112 }, OCTET STRING {
/// OCTET STRING (32) } }`. This is exactly what `openssl genpkey -algorithm
/// ed25519` writes.
const PKCS8_V1_PREFIX: [u8; 16] = [
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];

/// `id-Ed25519` (1.3.101.112), content bytes of the OID.
const OID_ED25519: [u8; 3] = [0x2b, 0x65, 0x70];

const PEM_BEGIN: &str = "-----BEGIN PRIVATE KEY-----";
const PEM_END: &str = "-----END PRIVATE KEY-----";

fn pem_err(msg: impl Into<String>) -> KeyError {
    KeyError::InvalidPem(msg.into())
}

/// Reads an Ed25519 private key from a PKCS#8 PEM document
/// (`-----BEGIN PRIVATE KEY-----`, RFC 8410 / RFC 5958).
///
/// Accepted: version 1 (`OneAsymmetricKey` without the public key, as
/// written by [`signing_key_to_pem`], `openssl genpkey -algorithm ed25519`,
/// Python `cryptography` and npm `jose`) and version 2 with the public key
/// attached (`[1] publicKey`, as written by `ed25519-dalek` and by earlier
/// versions of `aiid passport keygen`), with or without `[0] attributes`.
/// A v2 public key that is not the public key of the private key is
/// refused with [`KeyError::PublicKeyMismatch`]. Text around the PEM block
/// is ignored; CRLF line endings are accepted. Encrypted keys, other
/// algorithms, DER that is not strict (e.g. non-minimal lengths) and
/// trailing bytes are refused with [`KeyError::InvalidPem`].
pub fn signing_key_from_pem(pem: &str) -> Result<SigningKey, KeyError> {
    let der = pem_to_der(pem)?;
    signing_key_from_pkcs8_der(&der)
}

/// Writes an Ed25519 private key as an RFC 8410 PKCS#8 **v1** PEM document
/// (LF line endings): byte for byte what `openssl genpkey -algorithm
/// ed25519` writes, readable by every mainstream tool. The public key is
/// not attached; it is derived from the private key when read.
pub fn signing_key_to_pem(key: &SigningKey) -> Result<String, KeyError> {
    let mut der = Zeroizing::new([0u8; 48]);
    der[..16].copy_from_slice(&PKCS8_V1_PREFIX);
    der[16..].copy_from_slice(key.as_bytes());
    let b64 = Zeroizing::new(STANDARD.encode(&der[..]));
    let mut out = String::with_capacity(PEM_BEGIN.len() + PEM_END.len() + b64.len() + 3);
    out.push_str(PEM_BEGIN);
    out.push('\n');
    // 48 bytes encode to exactly 64 characters: one PEM line.
    out.push_str(&b64);
    out.push('\n');
    out.push_str(PEM_END);
    out.push('\n');
    Ok(out)
}

/// The DER inside the one `PRIVATE KEY` PEM block of `pem`.
fn pem_to_der(pem: &str) -> Result<Zeroizing<Vec<u8>>, KeyError> {
    let start = pem.find(PEM_BEGIN).ok_or_else(|| {
        if pem.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----") {
            pem_err("encrypted private keys are not supported; decrypt it first (openssl pkey)")
        } else if pem.contains("-----BEGIN OPENSSH PRIVATE KEY-----") {
            pem_err("an OpenSSH key is not PKCS#8; convert it (ssh-keygen -p -m PKCS8)")
        } else {
            pem_err(format!("no {PEM_BEGIN} line"))
        }
    })?;
    let body = &pem[start + PEM_BEGIN.len()..];
    let end = body
        .find(PEM_END)
        .ok_or_else(|| pem_err(format!("no {PEM_END} line")))?;
    if body[end + PEM_END.len()..].contains(PEM_BEGIN) {
        return Err(pem_err("more than one PRIVATE KEY block"));
    }
    let mut b64 = Zeroizing::new(String::with_capacity(end));
    for line in body[..end].lines() {
        let line = line.trim_end_matches('\r').trim();
        if line.contains(':') {
            return Err(pem_err(
                "PEM headers (Proc-Type, DEK-Info: an encrypted key) are not supported",
            ));
        }
        b64.push_str(line);
    }
    STANDARD
        .decode(b64.as_bytes())
        .map(Zeroizing::new)
        .map_err(|e| pem_err(format!("the PEM body is not base64: {e}")))
}

/// A strict DER reader for the few shapes of an Ed25519 PKCS#8 key.
struct Der<'a> {
    bytes: &'a [u8],
}

impl<'a> Der<'a> {
    /// Reads one TLV with `tag`, returning its contents.
    fn take(&mut self, tag: u8, what: &str) -> Result<&'a [u8], KeyError> {
        let (&t, rest) = self
            .bytes
            .split_first()
            .ok_or_else(|| pem_err(format!("{what}: unexpected end of the DER")))?;
        if t != tag {
            return Err(pem_err(format!(
                "{what}: expected DER tag 0x{tag:02x}, found 0x{t:02x}"
            )));
        }
        let (&l0, mut rest) = rest
            .split_first()
            .ok_or_else(|| pem_err(format!("{what}: truncated length")))?;
        let len = if l0 < 0x80 {
            usize::from(l0)
        } else {
            let n = usize::from(l0 & 0x7f);
            if n == 0 || n > 2 || rest.len() < n {
                return Err(pem_err(format!("{what}: unsupported DER length")));
            }
            let len = rest[..n]
                .iter()
                .fold(0usize, |a, &b| (a << 8) | usize::from(b));
            rest = &rest[n..];
            // DER: the shortest form, no leading zero byte.
            if len < 0x80 || (n == 2 && len < 0x100) {
                return Err(pem_err(format!("{what}: non-minimal DER length")));
            }
            len
        };
        if rest.len() < len {
            return Err(pem_err(format!("{what}: truncated")));
        }
        let (content, rest) = rest.split_at(len);
        self.bytes = rest;
        Ok(content)
    }

    fn peek_tag(&self) -> Option<u8> {
        self.bytes.first().copied()
    }

    fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }
}

/// Reads an RFC 8410 `OneAsymmetricKey` (PKCS#8 v1 or v2) Ed25519 private key.
fn signing_key_from_pkcs8_der(der: &[u8]) -> Result<SigningKey, KeyError> {
    let mut outer = Der { bytes: der };
    let mut seq = Der {
        bytes: outer.take(0x30, "PrivateKeyInfo")?,
    };
    if !outer.is_empty() {
        return Err(pem_err("bytes after the PrivateKeyInfo"));
    }
    let version = match seq.take(0x02, "version")? {
        [0] => 1,
        [1] => 2,
        _ => return Err(pem_err("version must be 0 (v1) or 1 (v2)")),
    };
    let mut alg = Der {
        bytes: seq.take(0x30, "privateKeyAlgorithm")?,
    };
    let oid = alg.take(0x06, "algorithm")?;
    if oid != OID_ED25519 {
        return Err(pem_err(
            "the algorithm is not Ed25519 (OID 1.3.101.112); only Ed25519 keys are used",
        ));
    }
    if !alg.is_empty() {
        return Err(pem_err(
            "Ed25519 algorithm parameters must be absent (RFC 8410)",
        ));
    }
    let mut inner = Der {
        bytes: seq.take(0x04, "privateKey")?,
    };
    let seed = inner.take(0x04, "CurvePrivateKey")?;
    if !inner.is_empty() {
        return Err(pem_err("bytes after the CurvePrivateKey"));
    }
    let seed: &[u8; 32] = seed.try_into().map_err(|_| {
        pem_err(format!(
            "an Ed25519 private key is 32 bytes, got {}",
            seed.len()
        ))
    })?;
    if seq.peek_tag() == Some(0xa0) {
        seq.take(0xa0, "attributes")?; // [0] Attributes: ignored
    }
    let public = if seq.peek_tag() == Some(0x81) {
        let bits = seq.take(0x81, "publicKey")?;
        match bits.split_first() {
            Some((0, key)) if key.len() == 32 => Some(key),
            _ => {
                return Err(pem_err(
                    "publicKey must be a BIT STRING of 32 bytes with no unused bits",
                ))
            }
        }
    } else {
        None
    };
    if !seq.is_empty() {
        return Err(pem_err("unexpected fields after privateKey"));
    }
    if public.is_some() && version == 1 {
        return Err(pem_err(
            "a PKCS#8 v1 key must not carry a public key (RFC 5958)",
        ));
    }
    let key = SigningKey::from_bytes(seed);
    if let Some(public) = public {
        if key.verifying_key().as_bytes()[..] != *public {
            return Err(KeyError::PublicKeyMismatch);
        }
    }
    Ok(key)
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
    getrandom::getrandom(&mut seed).map_err(|e| KeyError::Random(Cause::new(e)))?;
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
            Err(e) => Err(jwk_err(e.to_string())),
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
        Err(e) => return Err(jwk_err(e.to_string())),
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
            Err(e) => Err(jwk_err(e.to_string())),
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

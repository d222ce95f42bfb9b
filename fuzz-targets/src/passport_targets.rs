//! Fuzz targets for the `passport` crate: token verification and JWK sets.
//!
//! The verifier under test trusts exactly the two test keys of
//! `spec/vectors/passport.json` (`k_2024`, `k_2025`, derived from their
//! published seeds) under that file's default policy and clock, so the
//! vector tokens used as seeds reach every check. The attacker key of the
//! same file is never trusted.

use arbitrary::{Arbitrary, Unstructured};
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use passport::{
    Audience, Claims, FixedClock, IdentityId, Issuer, Jwk, Jwks, KeyId, NumericDate, Operator,
    Policy, Tier, Url, Verifier,
};
use serde_json::{json, Value};

/// The verifier's clock (`defaults.now` of the passport vectors).
const NOW: i64 = 1_714_694_400;
/// The policy's leeway in seconds.
const LEEWAY: i64 = 60;
/// The accepted issuer.
const ISS: &str = "https://aiidentity.org";
/// The verifier's audience.
const AUD: &str = "verifier";
/// The trusted test keys: `(kid, seed)`.
const TEST_KEYS: [(&str, &[u8; 32]); 2] = [
    ("k_2024", b"passport-vectors-issuer-key-2024"),
    ("k_2025", b"passport-vectors-issuer-key-2025"),
];
/// A key the verifier does not trust.
const ATTACKER_SEED: &[u8; 32] = b"passport-vectors-attacker-key-00";

fn test_key(index: usize) -> SigningKey {
    SigningKey::from_bytes(TEST_KEYS[index % TEST_KEYS.len()].1)
}

/// The public half of [`test_key`], computed once.
fn test_verifying_key(index: usize) -> VerifyingKey {
    static KEYS: std::sync::OnceLock<Vec<VerifyingKey>> = std::sync::OnceLock::new();
    KEYS.get_or_init(|| {
        (0..TEST_KEYS.len())
            .map(|i| test_key(i).verifying_key())
            .collect()
    })[index % TEST_KEYS.len()]
}

/// The verifier under test (built once: key derivation is slow).
fn verifier() -> &'static Verifier {
    static VERIFIER: std::sync::OnceLock<Verifier> = std::sync::OnceLock::new();
    VERIFIER.get_or_init(build_verifier)
}

fn build_verifier() -> Verifier {
    let mut jwks = Jwks::new();
    for (i, (kid, _)) in TEST_KEYS.iter().enumerate() {
        let kid = KeyId::new(*kid).expect("valid kid");
        jwks.push(Jwk::new(kid, test_key(i).verifying_key()))
            .expect("distinct kids");
    }
    Verifier::new(Policy::new(ISS, AUD).with_leeway(60), jwks).with_clock(FixedClock(NOW))
}

/// Base64url without padding, written here rather than taken from the crate
/// under test.
fn b64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, &b)| acc | u32::from(b) << (16 - 8 * i));
        for k in 0..=chunk.len() {
            out.push(char::from(ALPHABET[((n >> (18 - 6 * k)) & 63) as usize]));
        }
    }
    out
}

/// Lenient base64url decoding (any trailing bits); `None` on a character
/// outside the alphabet or an impossible length.
fn b64url_decode_lenient(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in s.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' => 62,
            b'_' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(((acc >> bits) & 0xFF) as u8);
        }
    }
    (s.len() % 4 != 1).then_some(out)
}

/// The properties every accepted token must have, checked from the token text
/// alone with code independent of the verifier:
/// - three segments, each the one canonical unpadded base64url encoding of
///   its bytes;
/// - the header is a JSON object with `alg` `EdDSA`, a `kid` naming a trusted
///   test key, and no `crit`, `jku`, `jwk`, `x5u` or `x5c`;
/// - the signature verifies (strictly) under the key named by `kid` — so
///   nothing verifies unless a test key signed it;
/// - the payload is a JSON object meeting the policy: issuer, audience, key
///   id equal to `kid`, and the time window at the verifier's clock;
/// - the verifier returns exactly the decoded payload.
fn check_accepted(token: &str, returned_payload: &[u8]) {
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3, "accepted token without three segments");
    let decoded: Vec<Vec<u8>> = parts
        .iter()
        .map(|p| b64url_decode_lenient(p).expect("accepted token with bad base64url"))
        .collect();
    for (part, bytes) in parts.iter().zip(&decoded) {
        assert_eq!(&b64url(bytes), part, "accepted non-canonical base64url");
    }
    let header: Value = serde_json::from_slice(&decoded[0]).expect("accepted header is not JSON");
    let header = header
        .as_object()
        .expect("accepted header is not an object");
    assert_eq!(
        header.get("alg"),
        Some(&json!("EdDSA")),
        "accepted alg other than EdDSA"
    );
    for forbidden in ["crit", "jku", "jwk", "x5u", "x5c"] {
        assert!(
            !header.contains_key(forbidden),
            "accepted a header with {forbidden}"
        );
    }
    let kid = header
        .get("kid")
        .and_then(Value::as_str)
        .expect("accepted token without kid");
    let index = TEST_KEYS
        .iter()
        .position(|(k, _)| *k == kid)
        .expect("accepted a kid that names no trusted key");
    let signature: [u8; 64] = decoded[2]
        .as_slice()
        .try_into()
        .expect("accepted a signature that is not 64 bytes");
    let signing_input = &token.as_bytes()[..parts[0].len() + 1 + parts[1].len()];
    let key = test_verifying_key(index);
    assert!(
        key.verify_strict(signing_input, &Signature::from_bytes(&signature))
            .is_ok(),
        "FORGERY: accepted a token the key named by its kid did not sign"
    );
    assert_eq!(
        returned_payload,
        decoded[1].as_slice(),
        "returned payload differs"
    );
    let claims: Value = serde_json::from_slice(&decoded[1]).expect("accepted claims are not JSON");
    assert_eq!(claims["iss"], ISS, "accepted another issuer");
    assert_eq!(claims["key_id"], kid, "accepted key_id different from kid");
    let aud_ok = claims["aud"] == AUD
        || claims["aud"]
            .as_array()
            .is_some_and(|a| a.iter().any(|x| x == AUD));
    assert!(aud_ok, "accepted a token for another audience");
    let exp = claims["exp"]
        .as_i64()
        .expect("accepted exp that is not an integer");
    let iat = claims["iat"]
        .as_i64()
        .expect("accepted iat that is not an integer");
    assert!(NOW < exp + LEEWAY, "accepted an expired token");
    assert!(iat <= NOW + LEEWAY, "accepted a token issued in the future");
    assert!(iat < exp, "accepted exp not after iat");
    if let Some(nbf) = claims.get("nbf") {
        let nbf = nbf.as_i64().expect("accepted nbf that is not an integer");
        assert!(nbf <= NOW + LEEWAY, "accepted a token not yet valid");
    }
}

/// Runs the verifier (and the other token entry points) on `token`; returns
/// whether it verified. Panics if an accepted token breaks [`check_accepted`].
fn verify_token(token: &str) -> bool {
    let _ = passport::inspect_untrusted(token);
    for i in 0..TEST_KEYS.len() {
        if let Ok(payload) = passport::verify_jws(token, &test_verifying_key(i)) {
            // Signature layer only: the signature must verify independently.
            let parts: Vec<&str> = token.split('.').collect();
            assert_eq!(
                parts.len(),
                3,
                "verify_jws accepted a token without three segments"
            );
            let sig = b64url_decode_lenient(parts[2]).expect("verify_jws accepted bad base64url");
            let sig: [u8; 64] = sig.as_slice().try_into().expect("signature length");
            let input = &token.as_bytes()[..parts[0].len() + 1 + parts[1].len()];
            assert!(
                test_verifying_key(i)
                    .verify_strict(input, &Signature::from_bytes(&sig))
                    .is_ok(),
                "FORGERY at the JWS layer"
            );
            assert_eq!(
                b64url_decode_lenient(parts[1]).as_deref(),
                Some(payload.as_slice())
            );
        }
    }
    match verifier().verify(token) {
        Ok(v) => {
            check_accepted(token, &v.payload);
            true
        }
        Err(e) => {
            // Error codes must be stable strings from the documented set.
            assert!(
                passport::PassportError::CODES.contains(&e.code()),
                "undocumented error code {}",
                e.code()
            );
            false
        }
    }
}

/// A member name, biased towards the names the verifier looks at.
#[derive(Debug, Clone, Arbitrary)]
#[allow(missing_docs)]
pub enum Name {
    Alg,
    Typ,
    Kid,
    Crit,
    Jku,
    Jwk,
    X5u,
    X5c,
    Iss,
    Sub,
    Aud,
    Iat,
    Exp,
    Nbf,
    Jti,
    Tier,
    Operator,
    Surfaces,
    Capabilities,
    KeyId,
    RegistryUrl,
    Other(String),
}

impl Name {
    fn as_str(&self) -> &str {
        match self {
            Name::Alg => "alg",
            Name::Typ => "typ",
            Name::Kid => "kid",
            Name::Crit => "crit",
            Name::Jku => "jku",
            Name::Jwk => "jwk",
            Name::X5u => "x5u",
            Name::X5c => "x5c",
            Name::Iss => "iss",
            Name::Sub => "sub",
            Name::Aud => "aud",
            Name::Iat => "iat",
            Name::Exp => "exp",
            Name::Nbf => "nbf",
            Name::Jti => "jti",
            Name::Tier => "tier",
            Name::Operator => "operator",
            Name::Surfaces => "surfaces",
            Name::Capabilities => "capabilities",
            Name::KeyId => "key_id",
            Name::RegistryUrl => "registry_url",
            Name::Other(s) => s,
        }
    }
}

/// A JSON value, biased towards values that pass or nearly pass the checks.
#[derive(Debug, Clone, Arbitrary)]
#[allow(missing_docs)]
pub enum JsonValue {
    Known(KnownString),
    Str(String),
    /// An integer near the verifier's clock.
    NearNow(i16),
    Int(i64),
    /// A float (as text, e.g. `1714694400.5`).
    Float(f64),
    Bool(bool),
    Null,
    Strings(Vec<KnownString>),
    EmptyObject,
    /// Any text, inserted verbatim (may make the JSON invalid).
    Raw(String),
}

/// Strings the passport rules care about.
#[derive(Debug, Clone, Copy, Arbitrary)]
#[allow(missing_docs)]
pub enum KnownString {
    EdDsa,
    EdDsaLower,
    None,
    Hs256,
    Jwt,
    JwtLower,
    K2024,
    K2025,
    Attacker,
    Issuer,
    IssuerSlash,
    Audience,
    Sub,
    TierIssued,
    TierBusiness,
    TierUnknown,
    Anon,
    Operator,
    Surface,
    Capability,
    RegistryUrl,
    Empty,
}

impl KnownString {
    fn as_str(self) -> &'static str {
        match self {
            KnownString::EdDsa => "EdDSA",
            KnownString::EdDsaLower => "eddsa",
            KnownString::None => "none",
            KnownString::Hs256 => "HS256",
            KnownString::Jwt => "JWT",
            KnownString::JwtLower => "jwt",
            KnownString::K2024 => "k_2024",
            KnownString::K2025 => "k_2025",
            KnownString::Attacker => "attacker",
            KnownString::Issuer => ISS,
            KnownString::IssuerSlash => "https://aiidentity.org/",
            KnownString::Audience => AUD,
            KnownString::Sub => "aii_HMB77VQ527B5Z062CNE31D",
            KnownString::TierIssued => "issued",
            KnownString::TierBusiness => "business_verified",
            KnownString::TierUnknown => "platinum",
            KnownString::Anon => "anon",
            KnownString::Operator => "Acme Corp Ltd.",
            KnownString::Surface => "telegram:@acme_bot",
            KnownString::Capability => "customer-support",
            KnownString::RegistryUrl => "https://aiidentity.org/whois/aii_HMB77VQ527B5Z062CNE31D",
            KnownString::Empty => "",
        }
    }
}

impl JsonValue {
    fn render(&self) -> String {
        let s = |x: &str| Value::String(x.to_owned()).to_string();
        match self {
            JsonValue::Known(k) => s(k.as_str()),
            JsonValue::Str(x) => s(x),
            JsonValue::NearNow(d) => (NOW + i64::from(*d)).to_string(),
            JsonValue::Int(i) => i.to_string(),
            JsonValue::Float(f) if f.is_finite() => format!("{f:?}"),
            JsonValue::Float(_) => "1e999".to_owned(),
            JsonValue::Bool(b) => b.to_string(),
            JsonValue::Null => "null".to_owned(),
            JsonValue::Strings(v) => {
                let items: Vec<String> = v.iter().map(|k| s(k.as_str())).collect();
                format!("[{}]", items.join(","))
            }
            JsonValue::EmptyObject => "{}".to_owned(),
            JsonValue::Raw(r) => r.clone(),
        }
    }
}

/// Who signs a hand-assembled token.
#[derive(Debug, Clone, Arbitrary)]
pub enum SignerInput {
    /// A trusted test key (index modulo the number of test keys).
    TestKey(u8),
    /// The untrusted attacker key.
    Attacker,
    /// Signature bytes chosen by the fuzzer.
    Bytes(Vec<u8>),
    /// A test key's signature over the baseline token, pasted onto this one.
    Transplant,
}

/// A change made to the finished token text.
#[derive(Debug, Clone, Arbitrary)]
pub enum Tamper {
    /// None.
    None,
    /// XOR one byte (position modulo the length) with a non-zero value.
    Flip(u16, u8),
    /// Insert a character.
    Insert(u16, char),
    /// Remove one byte.
    Remove(u16),
    /// Append text.
    Append(String),
}

/// Claims for the issuing path: a valid baseline with fuzzed times, tier,
/// audience and optional claims.
#[derive(Debug, Clone, Arbitrary)]
pub struct IssueInput {
    /// `iat` relative to the verifier's clock.
    pub iat_offset: i32,
    /// `exp - iat`.
    pub lifetime: u32,
    /// `nbf` relative to the verifier's clock.
    pub nbf_offset: Option<i32>,
    /// Tier index.
    pub tier: u8,
    /// Audience as an array (with an extra entry) instead of a string.
    pub aud_many: bool,
    /// Another audience instead of the verifier's.
    pub wrong_aud: bool,
    /// `jti`.
    pub jti: Option<String>,
    /// Which test key issues.
    pub key: u8,
}

/// Structured input of [`passport_verify`].
#[derive(Debug, Clone, Arbitrary)]
pub enum PassportInput {
    /// A hand-assembled token.
    Assembled {
        /// Start from the valid header `{"alg":"EdDSA","typ":"JWT","kid":"k_2024"}`.
        baseline_header: bool,
        /// Members appended to the header (duplicates of baseline names are
        /// duplicates in the JSON).
        header: Vec<(Name, JsonValue)>,
        /// Start from valid claims (those of vector `valid-basic`).
        baseline_claims: bool,
        /// Members appended to the claims.
        claims: Vec<(Name, JsonValue)>,
        /// Who signs.
        signer: SignerInput,
        /// A change after signing.
        tamper: Tamper,
    },
    /// A token made by `passport::Issuer` with a test key.
    Issued(IssueInput),
}

const BASELINE_HEADER: &str = r#""alg":"EdDSA","typ":"JWT","kid":"k_2024""#;
const BASELINE_CLAIMS: &str = r#""iss":"https://aiidentity.org","sub":"aii_HMB77VQ527B5Z062CNE31D","aud":"verifier","iat":1714694100,"exp":1714698000,"tier":"creator_verified","operator":"Acme Corp Ltd.","surfaces":["telegram:@acme_bot","wa:+441234567890"],"capabilities":["customer-support"],"key_id":"k_2024","registry_url":"https://aiidentity.org/whois/aii_HMB77VQ527B5Z062CNE31D""#;

fn object(baseline: Option<&str>, extra: &[(Name, JsonValue)]) -> String {
    let mut members: Vec<String> = baseline.map(str::to_owned).into_iter().collect();
    for (name, value) in extra {
        members.push(format!(
            "{}:{}",
            Value::String(name.as_str().to_owned()),
            value.render()
        ));
    }
    format!("{{{}}}", members.join(","))
}

fn sign(signing_input: &str, key: &SigningKey) -> String {
    b64url(&key.sign(signing_input.as_bytes()).to_bytes())
}

fn tamper(token: &mut String, t: &Tamper) {
    let mut bytes = std::mem::take(token).into_bytes();
    let at = |p: u16, len: usize| usize::from(p) % len.max(1);
    match t {
        Tamper::None => {}
        Tamper::Flip(p, x) => {
            if !bytes.is_empty() && *x != 0 {
                let i = at(*p, bytes.len());
                bytes[i] ^= x;
            }
        }
        Tamper::Insert(p, c) => {
            let i = at(*p, bytes.len() + 1);
            let mut buf = [0; 4];
            bytes.splice(i..i, c.encode_utf8(&mut buf).bytes());
        }
        Tamper::Remove(p) => {
            if !bytes.is_empty() {
                bytes.remove(at(*p, bytes.len()));
            }
        }
        Tamper::Append(s) => bytes.extend_from_slice(s.as_bytes()),
    }
    *token = String::from_utf8_lossy(&bytes).into_owned();
}

/// Target `passport_verify` on raw bytes. A first byte 0 means "the rest is
/// the token text" (the seed corpus holds the passport vectors this way);
/// anything else is turned into a [`PassportInput`] with `arbitrary`.
pub fn passport_verify_bytes(data: &[u8]) {
    match data.split_first() {
        Some((0, token)) => {
            verify_token(&String::from_utf8_lossy(token));
        }
        _ => {
            if let Ok(input) = PassportInput::arbitrary_take_rest(Unstructured::new(data)) {
                passport_verify(input);
            }
        }
    }
}

/// Target `passport_verify`: builds a token from `input` and verifies it.
///
/// Properties:
/// - no panic in `Verifier::verify`, `verify_jws` or `inspect_untrusted`;
/// - whatever verifies has the properties of `check_accepted` (signed by the
///   test key its `kid` names, canonical encoding, policy met);
/// - a token signed by the attacker key, with fuzzer-chosen signature bytes,
///   or with a transplanted signature never verifies, nor does one with
///   duplicate, forbidden or `crit` header members;
/// - a token issued by `passport::Issuer` with a test key and claims inside
///   the policy always verifies, to the same claims (completeness).
pub fn passport_verify(input: PassportInput) {
    match input {
        PassportInput::Assembled {
            baseline_header,
            header,
            baseline_claims,
            claims,
            signer,
            tamper: change,
        } => {
            let header_json = object(baseline_header.then_some(BASELINE_HEADER), &header);
            let claims_json = object(baseline_claims.then_some(BASELINE_CLAIMS), &claims);
            let signing_input = format!(
                "{}.{}",
                b64url(header_json.as_bytes()),
                b64url(claims_json.as_bytes())
            );
            let (signature, trusted_signer) = match &signer {
                SignerInput::TestKey(i) => (sign(&signing_input, &test_key(usize::from(*i))), true),
                SignerInput::Attacker => (
                    sign(&signing_input, &SigningKey::from_bytes(ATTACKER_SEED)),
                    false,
                ),
                SignerInput::Bytes(b) => (b64url(b), false),
                SignerInput::Transplant => {
                    let other = format!(
                        "{}.{}",
                        b64url(format!("{{{BASELINE_HEADER}}}").as_bytes()),
                        b64url(format!("{{{BASELINE_CLAIMS}}}").as_bytes())
                    );
                    (sign(&other, &test_key(0)), other == signing_input)
                }
            };
            let mut token = format!("{signing_input}.{signature}");
            tamper(&mut token, &change);
            let accepted = verify_token(&token);
            if accepted && matches!(change, Tamper::None) {
                assert!(
                    trusted_signer,
                    "FORGERY: verified a token no test key signed"
                );
                let names: Vec<&str> = header.iter().map(|(n, _)| n.as_str()).collect();
                for bad in ["crit", "jku", "jwk", "x5u", "x5c"] {
                    assert!(!names.contains(&bad), "verified a header carrying {bad}");
                }
                let has_dup = |baseline: bool, base: &[&str], extra: &[(Name, JsonValue)]| {
                    let mut seen: Vec<&str> = if baseline { base.to_vec() } else { Vec::new() };
                    extra.iter().any(|(n, _)| {
                        let dup = seen.contains(&n.as_str());
                        seen.push(n.as_str());
                        dup
                    })
                };
                assert!(
                    !has_dup(baseline_header, &["alg", "typ", "kid"], &header),
                    "verified a header with a duplicate member"
                );
                let claim_names = [
                    "iss",
                    "sub",
                    "aud",
                    "iat",
                    "exp",
                    "tier",
                    "operator",
                    "surfaces",
                    "capabilities",
                    "key_id",
                    "registry_url",
                ];
                assert!(
                    !has_dup(baseline_claims, &claim_names, &claims),
                    "verified claims with a duplicate member"
                );
            }
        }
        PassportInput::Issued(i) => issue_and_verify(&i),
    }
}

/// The Issuer → Verifier round trip of [`passport_verify`].
fn issue_and_verify(i: &IssueInput) {
    let index = usize::from(i.key) % TEST_KEYS.len();
    let kid = KeyId::new(TEST_KEYS[index].0).expect("kid");
    let iss = Url::new(ISS).expect("url");
    let issuer = Issuer::new(&test_key(index), kid.clone(), iss.clone()).expect("issuer");
    let iat = NOW + i64::from(i.iat_offset);
    let exp = iat + i64::from(i.lifetime);
    let nbf = i.nbf_offset.map(|o| NOW + i64::from(o));
    let (Ok(iat_d), Ok(exp_d)) = (NumericDate::new(iat), NumericDate::new(exp)) else {
        return;
    };
    let nbf_d = match nbf.map(NumericDate::new) {
        Some(Err(_)) => return,
        Some(Ok(d)) => Some(d),
        None => None,
    };
    let audience = if i.wrong_aud { "someone-else" } else { AUD };
    let Ok(claims) = Claims::builder()
        .iss(iss)
        .sub(IdentityId::new("aii_HMB77VQ527B5Z062CNE31D").expect("sub"))
        .aud(if i.aud_many {
            Audience::Many(vec!["other".to_owned(), audience.to_owned()])
        } else {
            Audience::One(audience.to_owned())
        })
        .iat(iat_d)
        .exp(exp_d)
        .nbf(nbf_d)
        .jti(i.jti.clone())
        .tier(Tier::ALL[usize::from(i.tier) % Tier::ALL.len()])
        .operator(Operator::new("anon").expect("operator"))
        .key_id(kid)
        .registry_url(
            Url::new("https://aiidentity.org/whois/aii_HMB77VQ527B5Z062CNE31D").expect("url"),
        )
        .build()
    else {
        return; // refused (exp not after iat): nothing to issue
    };
    let Ok(token) = issuer.issue(&claims) else {
        return; // refused (e.g. exp not after iat): nothing to verify
    };
    let jti_ok = i
        .jti
        .as_ref()
        .is_none_or(|j| !j.is_empty() && j.len() <= 256);
    let in_policy = !i.wrong_aud
        && NOW < exp + LEEWAY
        && iat <= NOW + LEEWAY
        && nbf.is_none_or(|n| n <= NOW + LEEWAY)
        && jti_ok;
    let result = verifier().verify(&token);
    match &result {
        Ok(v) => {
            check_accepted(&token, &v.payload);
            assert_eq!(
                v.claims, claims,
                "verified claims differ from the issued ones"
            );
        }
        Err(e) => assert!(
            !in_policy,
            "an issued in-policy token does not verify: {} ({e})",
            e.code()
        ),
    }
    assert_eq!(
        result.is_ok(),
        in_policy,
        "verification outcome differs from the policy"
    );
}

/// Target `jwks_parse`: any bytes into `Jwks::from_json` (and the single-key
/// parsers). Accepted sets must re-serialize and re-parse to the same set and
/// the same text; every accepted key must be a distinct-`kid`, 32-byte,
/// non-weak Ed25519 key.
pub fn jwks_parse(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = Jwk::from_json(text);
    if let Ok(key) = passport::signing_key_from_jwk(text) {
        let jwk = Jwk::new(KeyId::new("k").expect("kid"), key.verifying_key());
        let again = Jwk::from_json(&jwk.to_json().to_string()).expect("own JWK re-parses");
        assert_eq!(again, jwk);
    }
    let Ok(set) = Jwks::from_json(text) else {
        return;
    };
    let serialized = set.to_json_string();
    let reparsed = Jwks::from_json(&serialized).expect("a serialized set does not re-parse");
    assert_eq!(reparsed, set, "re-parsed set differs");
    assert_eq!(
        reparsed.to_json_string(),
        serialized,
        "re-serialization differs"
    );
    let mut kids: Vec<&str> = set.keys().iter().map(|k| k.kid.as_str()).collect();
    kids.sort_unstable();
    let n = kids.len();
    kids.dedup();
    assert_eq!(kids.len(), n, "accepted a set with a repeated kid");
    for jwk in set.keys() {
        assert!(!jwk.key.is_weak(), "accepted a weak key");
        assert_eq!(
            set.get(jwk.kid.as_str()),
            Some(jwk),
            "get(kid) finds another key"
        );
        let one = Jwk::from_json(&jwk.to_json().to_string()).expect("a serialized JWK re-parses");
        assert_eq!(&one, jwk);
        assert_eq!(one.thumbprint(), passport::thumbprint(&jwk.key));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_valid_vector_token_verifies_and_a_forged_one_does_not() {
        let claims = format!("{{{BASELINE_CLAIMS}}}");
        let header = format!("{{{BASELINE_HEADER}}}");
        let input = format!(
            "{}.{}",
            b64url(header.as_bytes()),
            b64url(claims.as_bytes())
        );
        let good = format!("{input}.{}", sign(&input, &test_key(0)));
        assert!(verify_token(&good));
        let forged = format!(
            "{input}.{}",
            sign(&input, &SigningKey::from_bytes(ATTACKER_SEED))
        );
        assert!(!verify_token(&forged));
    }

    #[test]
    fn an_issued_token_verifies() {
        issue_and_verify(&IssueInput {
            iat_offset: -10,
            lifetime: 3600,
            nbf_offset: None,
            tier: 0,
            aud_many: true,
            wrong_aud: false,
            jti: Some("j1".to_owned()),
            key: 1,
        });
    }

    #[test]
    fn base64url_matches_rfc4648_examples() {
        assert_eq!(b64url(b"f"), "Zg");
        assert_eq!(b64url(b"fo"), "Zm8");
        assert_eq!(b64url(b"foo"), "Zm9v");
        assert_eq!(b64url(&[0xfb, 0xff]), "-_8");
        assert_eq!(
            b64url_decode_lenient("-_8").as_deref(),
            Some(&[0xfb, 0xff][..])
        );
    }
}

//! Verification: the strict JWS layer and the passport policy on top of it.

use crate::error::{Part, PassportError, SourceError};
use crate::keys::Jwks;
use crate::revocation::{RevocationQuery, RevocationSource};
use crate::strict::{b64url_decode, parse_fields, parse_object, JsonError};
use crate::types::{Claims, KeyId, Tier, CLAIM_FIELDS};
use ed25519_dalek::Signature;
use ed25519_dalek::VerifyingKey;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use std::sync::Arc;

/// The size cap on a compact token, checked before any decoding: 8 KiB.
pub const MAX_TOKEN_BYTES: usize = 8 * 1024;

/// The default clock-skew leeway, in seconds.
pub const DEFAULT_LEEWAY_SECS: u64 = 60;

/// Header members that carry a key or a key location. They are never used or
/// fetched; a token carrying one is rejected.
pub const FORBIDDEN_HEADERS: [&str; 4] = ["jku", "jwk", "x5u", "x5c"];

/// The order ℓ of the Ed25519 base point, little-endian.
const GROUP_ORDER: [u8; 32] = [
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
];

/// Whether a little-endian 32-byte scalar is canonical (`s < ℓ`).
fn scalar_is_canonical(s: &[u8]) -> bool {
    for i in (0..32).rev() {
        let (a, b) = (s[i], GROUP_ORDER[i]);
        if a != b {
            return a < b;
        }
    }
    false
}

/// The checked protected header of a token.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Header {
    /// `alg`; always `EdDSA` once checked.
    pub alg: String,
    /// `typ`, when present (`JWT`, compared case-insensitively).
    pub typ: Option<String>,
    /// `kid`, when present (required at the passport layer).
    pub kid: Option<KeyId>,
}

/// A token split into its parts, with the header checked.
struct Parsed<'t> {
    header: Header,
    signing_input: &'t [u8],
    payload_b64: &'t str,
    signature: Signature,
}

/// Size cap, structure, header rules and signature decoding: everything that
/// comes before the key lookup.
fn parse_token(token: &str, need_kid: bool) -> Result<Parsed<'_>, PassportError> {
    if token.len() > MAX_TOKEN_BYTES {
        return Err(PassportError::TokenTooLarge {
            len: token.len(),
            max: MAX_TOKEN_BYTES,
        });
    }
    let mut it = token.splitn(3, '.');
    let (h, p, s) = match (it.next(), it.next(), it.next()) {
        (Some(h), Some(p), Some(s)) => (h, p, s),
        _ => return Err(PassportError::MalformedToken("a JWS has three segments")),
    };
    if s.contains('.') {
        return Err(PassportError::MalformedToken("a JWS has three segments"));
    }
    if h.is_empty() || p.is_empty() || s.is_empty() {
        return Err(PassportError::MalformedToken("empty segment"));
    }
    let header_bytes = b64url_decode(h).ok_or(PassportError::InvalidBase64(Part::Header))?;
    let header = check_header(&header_bytes, need_kid)?;
    let sig_bytes = b64url_decode(s).ok_or(PassportError::InvalidBase64(Part::Signature))?;
    let sig: [u8; 64] = sig_bytes
        .as_slice()
        .try_into()
        .map_err(|_| PassportError::BadSignature("an Ed25519 signature is 64 bytes"))?;
    let signing_input = &token.as_bytes()[..h.len() + 1 + p.len()];
    Ok(Parsed {
        header,
        signing_input,
        payload_b64: p,
        signature: Signature::from_bytes(&sig),
    })
}

/// Header members this crate looks at; any other member is ignored.
const HEADER_FIELDS: [&str; 8] = ["alg", "crit", "jku", "jwk", "x5u", "x5c", "typ", "kid"];

fn check_header(bytes: &[u8], need_kid: bool) -> Result<Header, PassportError> {
    let fields = match parse_fields(bytes, &HEADER_FIELDS) {
        Ok(m) => m,
        Err(JsonError::Duplicate(name)) => {
            return Err(PassportError::DuplicateMember {
                part: Part::Header,
                name,
            })
        }
        Err(JsonError::NotObject) => {
            return Err(PassportError::malformed_header("not a JSON object"))
        }
        Err(JsonError::Syntax(e)) => {
            return Err(PassportError::MalformedHeader {
                reason: e.to_string(),
                source: Some(e),
            })
        }
    };
    let [alg, crit, jku, jwk, x5u, x5c, typ, kid] = fields;
    let alg = match alg {
        Some(Value::String(a)) => a,
        Some(_) => return Err(PassportError::malformed_header("alg must be a string")),
        None => return Err(PassportError::malformed_header("alg is required")),
    };
    if alg != "EdDSA" {
        return Err(PassportError::UnsupportedAlgorithm(alg));
    }
    if crit.is_some() {
        return Err(PassportError::CritHeader);
    }
    for (name, v) in FORBIDDEN_HEADERS.iter().zip([&jku, &jwk, &x5u, &x5c]) {
        if v.is_some() {
            return Err(PassportError::ForbiddenHeader(name));
        }
    }
    let typ = match typ {
        None => None,
        Some(Value::String(t)) => {
            if !(t.eq_ignore_ascii_case("JWT") || t.eq_ignore_ascii_case("application/jwt")) {
                return Err(PassportError::BadType(t));
            }
            Some(t)
        }
        Some(_) => return Err(PassportError::malformed_header("typ must be a string")),
    };
    let kid = match kid {
        None if need_kid => return Err(PassportError::MissingKid),
        None => None,
        Some(Value::String(k)) => Some(
            KeyId::new(k)
                .map_err(|e| PassportError::malformed_header(format!("kid: {}", e.reason)))?,
        ),
        Some(_) => return Err(PassportError::malformed_header("kid must be a string")),
    };
    Ok(Header { alg, typ, kid })
}

/// The canonical encodings of the eight points of order dividing 8.
fn small_order_encodings() -> &'static [[u8; 32]; 8] {
    static ENC: std::sync::OnceLock<[[u8; 32]; 8]> = std::sync::OnceLock::new();
    ENC.get_or_init(|| curve25519_dalek::constants::EIGHT_TORSION.map(|p| p.compress().to_bytes()))
}

/// Verifies a signature under the strict rules, accepting exactly what
/// `ed25519-dalek`'s `verify_strict` accepts, at the cost of one plain
/// verification:
///
/// 1. the public key is not of small order;
/// 2. `S` is canonical (`S < ℓ`, checked here whatever features
///    `ed25519-dalek` was built with);
/// 3. `R` is not the encoding of a small-order point;
/// 4. the cofactorless equation holds, compared on encodings:
///    `compress([S]B - [k]A) == R`, which also makes `R` canonical.
///
/// `verify_strict` would decompress `R` to test its order; comparing its
/// bytes against the eight canonical small-order encodings is equivalent
/// once step 4 has shown the bytes to be canonical (see the equivalence test).
pub fn verify_signature_strict(
    key: &VerifyingKey,
    msg: &[u8],
    sig: &Signature,
) -> Result<(), PassportError> {
    if key.is_weak() {
        return Err(PassportError::BadSignature("public key of small order"));
    }
    if !scalar_is_canonical(&sig.s_bytes()[..]) {
        return Err(PassportError::BadSignature("non-canonical S"));
    }
    if small_order_encodings().contains(sig.r_bytes()) {
        return Err(PassportError::BadSignature("R of small order"));
    }
    ed25519_dalek::Verifier::verify(key, msg, sig)
        .map_err(|_| PassportError::BadSignature("signature does not verify"))
}

fn verify_signature(key: &VerifyingKey, msg: &[u8], sig: &Signature) -> Result<(), PassportError> {
    verify_signature_strict(key, msg, sig)
}

fn decode_payload(payload_b64: &str) -> Result<Vec<u8>, PassportError> {
    b64url_decode(payload_b64).ok_or(PassportError::InvalidBase64(Part::Claims))
}

/// Verifies a compact JWS at the signature layer only: size cap, structure,
/// header rules (`alg` `EdDSA`, no `crit`, no key-carrying members, `typ`),
/// strict Ed25519 verification with `key`. No `kid` is required and the
/// payload need not be JSON. Returns the decoded payload.
///
/// This is the layer at which the RFC 8037 appendix A.4 example passes.
pub fn verify_jws(token: &str, key: &VerifyingKey) -> Result<Vec<u8>, PassportError> {
    let parsed = parse_token(token, false)?;
    verify_signature(key, parsed.signing_input, &parsed.signature)?;
    decode_payload(parsed.payload_b64)
}

/// Where a verifier finds public keys by `kid`. [`Jwks`] is the static
/// implementation; a registry client can implement it later (it must never
/// fetch a location named by a token).
pub trait KeySource: Send + Sync {
    /// The key with this id, `Ok(None)` when there is none.
    fn key(&self, kid: &KeyId) -> Result<Option<VerifyingKey>, SourceError>;
}

impl KeySource for Jwks {
    fn key(&self, kid: &KeyId) -> Result<Option<VerifyingKey>, SourceError> {
        Ok(self.get(kid.as_str()).map(|j| j.key))
    }
}

/// The verifier's notion of "now", in seconds since the Unix epoch.
pub trait Clock: Send + Sync {
    /// The current time.
    fn now(&self) -> i64;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> i64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
    }
}

/// A clock stuck at one instant (tests, vectors, replaying a decision).
#[derive(Debug, Clone, Copy)]
pub struct FixedClock(pub i64);

impl Clock for FixedClock {
    fn now(&self) -> i64 {
        self.0
    }
}

/// What a verifier accepts. Build it with [`Policy::new`] or
/// [`Policy::for_issuers`] and the `with_*` methods.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Policy {
    /// Accepted `iss` values, compared exactly (byte for byte).
    pub issuers: Vec<String>,
    /// This verifier's audience; `aud` must be it or contain it.
    pub audience: String,
    /// Clock-skew leeway in seconds applied to `exp`, `nbf` and `iat`.
    pub leeway_secs: u64,
    /// The lowest acceptable tier.
    pub min_tier: Tier,
}

impl Policy {
    /// A policy for one issuer and one audience, with the default leeway
    /// (60 s) and minimum tier `issued`.
    pub fn new(issuer: impl Into<String>, audience: impl Into<String>) -> Policy {
        Policy {
            issuers: vec![issuer.into()],
            audience: audience.into(),
            leeway_secs: DEFAULT_LEEWAY_SECS,
            min_tier: Tier::Issued,
        }
    }

    /// A policy accepting any of `issuers` (none: every token is refused
    /// with `wrong_issuer`) for one audience, with the default leeway and
    /// minimum tier `issued`.
    pub fn for_issuers<I, S>(issuers: I, audience: impl Into<String>) -> Policy
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Policy {
            issuers: issuers.into_iter().map(Into::into).collect(),
            audience: audience.into(),
            leeway_secs: DEFAULT_LEEWAY_SECS,
            min_tier: Tier::Issued,
        }
    }

    /// Accepts one more issuer.
    pub fn with_issuer(mut self, issuer: impl Into<String>) -> Policy {
        self.issuers.push(issuer.into());
        self
    }

    /// Sets the minimum tier.
    pub fn with_min_tier(mut self, tier: Tier) -> Policy {
        self.min_tier = tier;
        self
    }

    /// Sets the leeway.
    pub fn with_leeway(mut self, secs: u64) -> Policy {
        self.leeway_secs = secs;
        self
    }
}

/// A passport that passed every check.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct VerifiedPassport {
    /// The checked header.
    pub header: Header,
    /// The checked claims.
    pub claims: Claims,
    /// The decoded payload bytes (a JSON object; see [`VerifiedPassport::raw_claims`]).
    pub payload: Vec<u8>,
    /// When it was verified (the verifier's clock).
    pub verified_at: i64,
}

impl VerifiedPassport {
    /// The claims exactly as decoded, including unknown claims (which carry
    /// no meaning for this crate).
    pub fn raw_claims(&self) -> Map<String, Value> {
        parse_object(&self.payload).unwrap_or_default()
    }
}

/// Verifies passports under an explicit [`Policy`].
pub struct Verifier {
    policy: Policy,
    keys: Arc<dyn KeySource>,
    clock: Arc<dyn Clock>,
    revocation: Option<Arc<dyn RevocationSource>>,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier")
            .field("policy", &self.policy)
            .field("revocation", &self.revocation.is_some())
            .finish_non_exhaustive()
    }
}

impl Verifier {
    /// A verifier with the system clock and no revocation source.
    pub fn new(policy: Policy, keys: impl KeySource + 'static) -> Verifier {
        Verifier {
            policy,
            keys: Arc::new(keys),
            clock: Arc::new(SystemClock),
            revocation: None,
        }
    }

    /// Replaces the clock.
    pub fn with_clock(mut self, clock: impl Clock + 'static) -> Verifier {
        self.clock = Arc::new(clock);
        self
    }

    /// Adds a revocation source; its failures make verification fail closed.
    pub fn with_revocation(mut self, source: impl RevocationSource + 'static) -> Verifier {
        self.revocation = Some(Arc::new(source));
        self
    }

    /// Whether a revocation source is configured.
    pub fn has_revocation(&self) -> bool {
        self.revocation.is_some()
    }

    /// The policy.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// Verifies a compact passport token. Checks run in the order documented
    /// in `spec/passport.md`; the first failure is returned.
    pub fn verify(&self, token: &str) -> Result<VerifiedPassport, PassportError> {
        let parsed = parse_token(token, true)?;
        let kid = parsed.header.kid.clone().ok_or(PassportError::MissingKid)?;
        let key = self
            .keys
            .key(&kid)
            .map_err(PassportError::KeySourceUnavailable)?
            .ok_or_else(|| PassportError::UnknownKey(kid.as_str().to_owned()))?;
        verify_signature(&key, parsed.signing_input, &parsed.signature)?;

        let payload = decode_payload(parsed.payload_b64)?;
        let fields = match parse_fields(&payload, &CLAIM_FIELDS) {
            Ok(f) => f,
            Err(JsonError::Duplicate(name)) => {
                return Err(PassportError::DuplicateMember {
                    part: Part::Claims,
                    name,
                })
            }
            Err(JsonError::NotObject) => {
                return Err(PassportError::malformed_claims("not a JSON object"))
            }
            Err(JsonError::Syntax(e)) => {
                return Err(PassportError::MalformedClaims {
                    reason: e.to_string(),
                    source: Some(e),
                })
            }
        };
        let claims = Claims::from_fields(fields)?;
        if claims.key_id != kid {
            return Err(PassportError::KidMismatch {
                header: kid.as_str().to_owned(),
                claim: claims.key_id.as_str().to_owned(),
            });
        }
        let p = &self.policy;
        if !p.issuers.iter().any(|i| i == claims.iss.as_str()) {
            return Err(PassportError::WrongIssuer(claims.iss.as_str().to_owned()));
        }
        if !claims.aud.contains(&p.audience) {
            return Err(PassportError::WrongAudience(p.audience.clone()));
        }
        let now = self.clock.now();
        let leeway = i64::try_from(p.leeway_secs).unwrap_or(i64::MAX);
        let exp = claims.exp.get();
        if now >= exp.saturating_add(leeway) {
            return Err(PassportError::Expired { exp, now });
        }
        if let Some(nbf) = claims.nbf {
            if now.saturating_add(leeway) < nbf.get() {
                return Err(PassportError::NotYetValid {
                    nbf: nbf.get(),
                    now,
                });
            }
        }
        let iat = claims.iat.get();
        if iat > now.saturating_add(leeway) {
            return Err(PassportError::IssuedInFuture { iat, now });
        }
        if claims.tier < p.min_tier {
            return Err(PassportError::TierTooLow {
                tier: claims.tier,
                required: p.min_tier,
            });
        }
        if let Some(rev) = &self.revocation {
            let q = RevocationQuery {
                identity: &claims.sub,
                jti: claims.jti.as_deref(),
                key_id: &claims.key_id,
                token_sha256: Sha256::digest(token.as_bytes()).into(),
            };
            if let Some(reason) = rev
                .revoked(&q, now)
                .map_err(PassportError::RevocationUnavailable)?
            {
                return Err(PassportError::Revoked(reason));
            }
        }
        Ok(VerifiedPassport {
            header: parsed.header,
            claims,
            payload,
            verified_at: now,
        })
    }
}

/// A token decoded WITHOUT verification, for display only.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Untrusted {
    /// The header JSON.
    pub header: Value,
    /// The payload JSON (or a string when it is not JSON).
    pub payload: Value,
    /// The signature length in bytes.
    pub signature_len: usize,
}

/// Decodes a token without checking anything but its encoding. NOTHING in
/// the result is trustworthy: no signature, issuer, time or key was checked.
pub fn inspect_untrusted(token: &str) -> Result<Untrusted, PassportError> {
    if token.len() > MAX_TOKEN_BYTES {
        return Err(PassportError::TokenTooLarge {
            len: token.len(),
            max: MAX_TOKEN_BYTES,
        });
    }
    let parts: Vec<&str> = token.split('.').collect();
    if parts.len() != 3 {
        return Err(PassportError::MalformedToken("a JWS has three segments"));
    }
    let dec = |s: &str, part| b64url_decode(s).ok_or(PassportError::InvalidBase64(part));
    let h = dec(parts[0], Part::Header)?;
    let p = dec(parts[1], Part::Claims)?;
    let s = dec(parts[2], Part::Signature)?;
    let as_json = |b: &[u8]| {
        serde_json::from_slice::<Value>(b)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(b).into_owned()))
    };
    Ok(Untrusted {
        header: as_json(&h),
        payload: as_json(&p),
        signature_len: s.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_scalar_bound() {
        assert!(scalar_is_canonical(&[0u8; 32]));
        let mut l = GROUP_ORDER;
        assert!(!scalar_is_canonical(&l));
        l[0] -= 1;
        assert!(scalar_is_canonical(&l));
        assert!(!scalar_is_canonical(&[0xff; 32]));
    }
}

//! Random identifiers: identity ids, key ids, passport ids, API keys.

use passport::{IdentityId, KeyId};
use sha2::{Digest, Sha256};

/// The operating system's random number generator failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("random number generator failed: {0}")]
pub struct RandomError(pub String);

const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

fn random<const N: usize>() -> Result<[u8; N], RandomError> {
    let mut b = [0u8; N];
    getrandom::getrandom(&mut b).map_err(|e| RandomError(e.to_string()))?;
    Ok(b)
}

/// Crockford base32 of the low `chars * 5` bits of `bits` (big-endian).
fn base32(mut bits: u128, chars: usize) -> String {
    let mut out = vec![b'0'; chars];
    for slot in out.iter_mut().rev() {
        *slot = CROCKFORD[usize::try_from(bits & 31).unwrap_or(0)];
        bits >>= 5;
    }
    String::from_utf8(out).unwrap_or_default()
}

/// A ULID: 48-bit millisecond timestamp then 80 random bits, 26 Crockford
/// base32 characters (sortable by creation time).
pub fn ulid(now_ms: u64) -> Result<String, RandomError> {
    let r = random::<10>()?;
    let mut rand: u128 = 0;
    for b in r {
        rand = (rand << 8) | u128::from(b);
    }
    let v = (u128::from(now_ms & 0xFFFF_FFFF_FFFF) << 80) | rand;
    Ok(base32(v, 26))
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// A new identity id: `aii_` + ULID.
pub fn new_identity_id() -> Result<IdentityId, RandomError> {
    IdentityId::new(format!("aii_{}", ulid(now_ms())?)).map_err(|e| RandomError(e.to_string()))
}

/// A new signing key id: `k_` + ULID.
pub fn new_key_id() -> Result<KeyId, RandomError> {
    KeyId::new(format!("k_{}", ulid(now_ms())?)).map_err(|e| RandomError(e.to_string()))
}

/// A new passport id (`jti`): `p_` + ULID.
pub fn new_jti() -> Result<String, RandomError> {
    Ok(format!("p_{}", ulid(now_ms())?))
}

/// A new API key: `aii_live_` + 32 Crockford base32 characters (160 random bits).
pub fn new_api_key() -> Result<String, RandomError> {
    let r = random::<20>()?;
    let mut hi: u128 = 0;
    for b in &r[..10] {
        hi = (hi << 8) | u128::from(*b);
    }
    let mut lo: u128 = 0;
    for b in &r[10..] {
        lo = (lo << 8) | u128::from(*b);
    }
    Ok(format!("aii_live_{}{}", base32(hi, 16), base32(lo, 16)))
}

/// How an API key is stored: lowercase hex SHA-256 of the key text.
pub fn hash_api_key(key: &str) -> String {
    let d = Sha256::digest(key.as_bytes());
    let mut s = String::with_capacity(64);
    for b in d {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        let id = new_identity_id().unwrap();
        assert_eq!(id.as_str().len(), 4 + 26);
        assert_ne!(id, new_identity_id().unwrap());
        let k = new_api_key().unwrap();
        assert!(k.starts_with("aii_live_") && k.len() == 9 + 32, "{k}");
        assert_eq!(hash_api_key("x").len(), 64);
        assert_eq!(base32(0, 3), "000");
        assert_eq!(base32(31, 2), "0Z");
        // ULIDs sort by time.
        assert!(ulid(1).unwrap() < ulid(2).unwrap());
    }
}

//! Revocation: the trait a verifier consults and a static list implementing it.

use crate::error::SourceError;
use crate::strict::{parse_value, JsonError};
use crate::types::{IdentityId, KeyId};
use serde_json::{json, Value};

/// What a revocation source is asked about one passport.
#[derive(Debug, Clone, Copy)]
pub struct RevocationQuery<'a> {
    /// The passport's subject.
    pub identity: &'a IdentityId,
    /// The passport's `jti`, when it has one.
    pub jti: Option<&'a str>,
    /// The signing key's id.
    pub key_id: &'a KeyId,
    /// SHA-256 of the compact token bytes: the passport's id when it has no `jti`.
    pub token_sha256: [u8; 32],
}

impl RevocationQuery<'_> {
    /// `token_sha256` as lowercase hex.
    pub fn token_sha256_hex(&self) -> String {
        hex(&self.token_sha256)
    }
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    const D: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(D[usize::from(b >> 4)]));
        s.push(char::from(D[usize::from(b & 15)]));
    }
    s
}

/// A source of revocation status. Implementations return `Ok(Some(reason))`
/// when revoked, `Ok(None)` when not, and `Err` when they cannot tell — the
/// verifier then fails closed with `revocation_unavailable`.
pub trait RevocationSource: Send + Sync {
    /// The status of one passport at time `now`.
    fn revoked(&self, query: &RevocationQuery<'_>, now: i64)
        -> Result<Option<String>, SourceError>;
}

/// A revocation list as published at `GET /api/v1/revocations` (shape decided
/// by this project, see `spec/passport.md`):
///
/// ```json
/// {"generated_at":1714694400,"identities":["aii_…"],"passports":["<jti or sha256 hex>"],"keys":["k_…"]}
/// ```
///
/// Build one with [`RevocationList::new`] (or parse it), then fill the lists.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RevocationList {
    /// When the list was produced (seconds since the epoch).
    pub generated_at: i64,
    /// Revoked identities: every passport of these is revoked.
    pub identities: Vec<IdentityId>,
    /// Revoked passports, by `jti` or by SHA-256 (lowercase hex) of the token.
    pub passports: Vec<String>,
    /// Revoked (compromised) signing keys, by `kid`.
    pub keys: Vec<KeyId>,
    /// How old the list may be before it is refused as stale, in seconds.
    /// `None`: never stale.
    pub max_age_secs: Option<u64>,
}

impl RevocationList {
    /// An empty list produced at `generated_at`, never stale.
    pub fn new(generated_at: i64) -> RevocationList {
        RevocationList {
            generated_at,
            ..RevocationList::default()
        }
    }

    /// Parses the JSON form (duplicate members rejected; every member optional
    /// except `generated_at`).
    pub fn from_json(text: &str) -> Result<RevocationList, String> {
        let v = parse_value(text.as_bytes()).map_err(|e| match e {
            JsonError::Duplicate(n) => format!("duplicate member {n:?}"),
            other => other.to_string(),
        })?;
        RevocationList::from_json_value(&v)
    }

    /// Reads the JSON form from a value.
    pub fn from_json_value(v: &Value) -> Result<RevocationList, String> {
        let m = v.as_object().ok_or("a revocation list is a JSON object")?;
        let generated_at = m
            .get("generated_at")
            .and_then(Value::as_i64)
            .ok_or("generated_at (integer seconds) is required")?;
        let strings = |name: &str| -> Result<Vec<String>, String> {
            match m.get(name) {
                None => Ok(Vec::new()),
                Some(Value::Array(a)) => a
                    .iter()
                    .map(|x| {
                        x.as_str()
                            .map(str::to_owned)
                            .ok_or_else(|| format!("{name} must hold strings"))
                    })
                    .collect(),
                Some(_) => Err(format!("{name} must be an array")),
            }
        };
        let identities = strings("identities")?
            .into_iter()
            .map(|s| IdentityId::new(s).map_err(|e| e.to_string()))
            .collect::<Result<_, _>>()?;
        let keys = strings("keys")?
            .into_iter()
            .map(|s| KeyId::new(s).map_err(|e| e.to_string()))
            .collect::<Result<_, _>>()?;
        Ok(RevocationList {
            generated_at,
            identities,
            passports: strings("passports")?,
            keys,
            max_age_secs: None,
        })
    }

    /// The JSON form.
    pub fn to_json(&self) -> Value {
        json!({
            "generated_at": self.generated_at,
            "identities": self.identities,
            "passports": self.passports,
            "keys": self.keys,
        })
    }

    /// Sets how old the list may be.
    pub fn with_max_age(mut self, secs: u64) -> RevocationList {
        self.max_age_secs = Some(secs);
        self
    }
}

impl RevocationSource for RevocationList {
    fn revoked(&self, q: &RevocationQuery<'_>, now: i64) -> Result<Option<String>, SourceError> {
        if let Some(max) = self.max_age_secs {
            let age = now.saturating_sub(self.generated_at);
            if age > i64::try_from(max).unwrap_or(i64::MAX) {
                return Err(SourceError::new(format!(
                    "revocation list is {age} s old, more than {max} s"
                )));
            }
        }
        if self.identities.iter().any(|i| i == q.identity) {
            return Ok(Some(format!("identity {} is revoked", q.identity)));
        }
        if self.keys.iter().any(|k| k == q.key_id) {
            return Ok(Some(format!("signing key {} is revoked", q.key_id)));
        }
        if let Some(jti) = q.jti {
            if self.passports.iter().any(|p| p == jti) {
                return Ok(Some(format!("passport {jti} is revoked")));
            }
        }
        let h = q.token_sha256_hex();
        if self.passports.iter().any(|p| p.eq_ignore_ascii_case(&h)) {
            return Ok(Some(format!("passport sha256:{h} is revoked")));
        }
        Ok(None)
    }
}

impl<T: RevocationSource + ?Sized> RevocationSource for std::sync::Arc<T> {
    fn revoked(&self, q: &RevocationQuery<'_>, now: i64) -> Result<Option<String>, SourceError> {
        (**self).revoked(q, now)
    }
}

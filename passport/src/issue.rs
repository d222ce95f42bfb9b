//! Issuing passports: the compact JWS is assembled here and signed with
//! `ed25519-dalek` directly.

use crate::error::{Cause, IssueError, KeyError};
use crate::keys::Jwk;
use crate::strict::b64url_encode;
use crate::types::{Claims, KeyId, Url};
use ed25519_dalek::Signer as _;
use ed25519_dalek::SigningKey;

/// An issuer authority: an Ed25519 signing key, its `kid` and the `iss` URL.
///
/// Tokens carry the header `{"typ":"JWT","alg":"EdDSA","kid":…}` (member
/// order as `jsonwebtoken` writes it, so that tokens are byte for byte the
/// ones earlier versions issued through `jsonwebtoken`; order carries no
/// meaning in JSON) and the claims serialized compactly in field order.
pub struct Issuer {
    key: SigningKey,
    /// `BASE64URL(header) "."`, fixed for the issuer's life.
    header_b64: String,
    kid: KeyId,
    iss: Url,
}

impl std::fmt::Debug for Issuer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Issuer")
            .field("kid", &self.kid)
            .field("iss", &self.iss)
            .finish_non_exhaustive()
    }
}

/// The protected header's JSON text (the `kid` string escaped by serde_json,
/// as `jsonwebtoken` did).
fn header_json(kid: &KeyId) -> String {
    let kid_json = serde_json::Value::String(kid.as_str().to_owned());
    format!(r#"{{"typ":"JWT","alg":"EdDSA","kid":{kid_json}}}"#)
}

impl Issuer {
    /// An issuer signing with `key` under `kid` as `iss`. It cannot fail
    /// today; the `Result` leaves room for key checks.
    pub fn new(key: &SigningKey, kid: KeyId, iss: Url) -> Result<Issuer, KeyError> {
        let mut header_b64 = b64url_encode(header_json(&kid).as_bytes());
        header_b64.push('.');
        Ok(Issuer {
            key: key.clone(),
            header_b64,
            kid,
            iss,
        })
    }

    /// The key id.
    pub fn kid(&self) -> &KeyId {
        &self.kid
    }

    /// The issuer URL.
    pub fn iss(&self) -> &Url {
        &self.iss
    }

    /// The public key as a JWK (publish it in the issuer's JWKS).
    pub fn jwk(&self) -> Jwk {
        Jwk::new(self.kid.clone(), self.key.verifying_key())
    }

    /// Signs `claims` into a compact JWT. The claims must name this issuer
    /// (`iss`) and key (`key_id`), and `exp` must be after `iat` (and after
    /// `nbf` when present).
    pub fn issue(&self, claims: &Claims) -> Result<String, IssueError> {
        if claims.iss != self.iss {
            return Err(IssueError::IssuerMismatch {
                claims: claims.iss.to_string(),
                issuer: self.iss.to_string(),
            });
        }
        if claims.key_id != self.kid {
            return Err(IssueError::KidMismatch {
                claims: claims.key_id.to_string(),
                issuer: self.kid.to_string(),
            });
        }
        if claims.exp <= claims.iat {
            return Err(IssueError::InvalidWindow("exp must be after iat"));
        }
        if claims.nbf.is_some_and(|n| n >= claims.exp) {
            return Err(IssueError::InvalidWindow("nbf must be before exp"));
        }
        let payload =
            serde_json::to_vec(claims).map_err(|e| IssueError::Encoding(Cause::new(e)))?;
        let mut token = self.header_b64.clone();
        token.push_str(&b64url_encode(&payload));
        let signature = self.key.sign(token.as_bytes());
        token.push('.');
        token.push_str(&b64url_encode(&signature.to_bytes()));
        Ok(token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_is_what_jsonwebtoken_wrote() {
        let kid = KeyId::new("k_2024").unwrap();
        assert_eq!(
            header_json(&kid),
            r#"{"typ":"JWT","alg":"EdDSA","kid":"k_2024"}"#
        );
        let odd = KeyId::new(r#"a"b\c/d"#).unwrap();
        assert_eq!(
            header_json(&odd),
            r#"{"typ":"JWT","alg":"EdDSA","kid":"a\"b\\c/d"}"#
        );
    }
}

//! Issuing passports.

use crate::error::{IssueError, KeyError};
use crate::keys::{signing_key_to_der, Jwk, SigningKey, VerifyingKey};
use crate::types::{Claims, KeyId, Url};

/// An issuer authority: an Ed25519 signing key, its `kid` and the `iss` URL.
///
/// Tokens carry the header `{"typ":"JWT","alg":"EdDSA","kid":…}` (member
/// order as `jsonwebtoken` writes it; order carries no meaning in JSON).
pub struct Issuer {
    encoding_key: jsonwebtoken::EncodingKey,
    verifying_key: VerifyingKey,
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

impl Issuer {
    /// An issuer signing with `key` under `kid` as `iss`.
    pub fn new(key: &SigningKey, kid: KeyId, iss: Url) -> Result<Issuer, KeyError> {
        let der = signing_key_to_der(key)?;
        Ok(Issuer {
            encoding_key: jsonwebtoken::EncodingKey::from_ed_der(&der),
            verifying_key: key.verifying_key(),
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
        Jwk::new(self.kid.clone(), self.verifying_key)
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
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::EdDSA);
        header.typ = Some("JWT".to_owned());
        header.kid = Some(self.kid.to_string());
        jsonwebtoken::encode(&header, claims, &self.encoding_key)
            .map_err(|e| IssueError::Signing(e.to_string()))
    }
}

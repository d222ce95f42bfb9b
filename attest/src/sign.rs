//! Signing: a declaration in, a DSSE envelope out.

use crate::dsse::{Envelope, Signature};
use crate::error::AttestError;
use crate::statement::{DeclaredAt, Statement, PAYLOAD_TYPE};
use ed25519_dalek::Signer as _;
use passport::{IdentityId, KeyId, SigningKey};
use scl_hash::DocHash;

/// An agent that attests run declarations: its AI Identity id and one of
/// its Ed25519 keys (with the key's `kid`, written as the DSSE `keyid`).
pub struct AgentSigner {
    key: SigningKey,
    kid: KeyId,
    identity: IdentityId,
}

impl std::fmt::Debug for AgentSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AgentSigner")
            .field("kid", &self.kid)
            .field("identity", &self.identity)
            .finish_non_exhaustive()
    }
}

impl AgentSigner {
    /// An agent signing with `key` (id `kid`) as `identity`.
    pub fn new(key: SigningKey, kid: KeyId, identity: IdentityId) -> AgentSigner {
        AgentSigner { key, kid, identity }
    }

    /// Loads the private key from PKCS#8 PEM or from a private OKP JWK (the
    /// passport crate's loaders; the format is recognised by the first
    /// non-blank character, `{` for a JWK).
    pub fn from_key_text(
        text: &str,
        kid: KeyId,
        identity: IdentityId,
    ) -> Result<AgentSigner, AttestError> {
        let key = if text.trim_start().starts_with('{') {
            passport::signing_key_from_jwk(text)
        } else {
            passport::signing_key_from_pem(text)
        }
        .map_err(AttestError::Key)?;
        Ok(AgentSigner::new(key, kid, identity))
    }

    /// The public key as a JWK (publish it in the agent's JWKS).
    pub fn jwk(&self) -> passport::Jwk {
        passport::Jwk::new(self.kid.clone(), self.key.verifying_key())
    }

    /// The identity.
    pub fn identity(&self) -> &IdentityId {
        &self.identity
    }

    /// Attests an SCL:V1 declaration (its bytes): parses it, computes its
    /// identity, and signs the statement "this agent declared it at
    /// `declared_at_unix`", with `passport` (a compact JWT whose `sub` must
    /// be this agent's identity) when given.
    pub fn attest(
        &self,
        declaration: &[u8],
        declared_at_unix: i64,
        passport: Option<&str>,
    ) -> Result<Envelope, AttestError> {
        let doc_hash = scl_hash::identity(declaration).map_err(AttestError::InvalidDeclaration)?;
        self.attest_doc_hash(doc_hash, declared_at_unix, passport)
    }

    /// As [`AgentSigner::attest`], for a run identity already computed.
    pub fn attest_doc_hash(
        &self,
        doc_hash: DocHash,
        declared_at_unix: i64,
        passport: Option<&str>,
    ) -> Result<Envelope, AttestError> {
        let declared_at = DeclaredAt::from_unix(declared_at_unix).ok_or_else(|| {
            AttestError::Signing(format!(
                "declaration time {declared_at_unix} is outside 1970..=9999"
            ))
        })?;
        if let Some(p) = passport {
            let untrusted = passport::inspect_untrusted(p)
                .map_err(|e| AttestError::Signing(format!("passport: {e}")))?;
            let sub = untrusted.payload.get("sub").and_then(|s| s.as_str());
            if sub != Some(self.identity.as_str()) {
                return Err(AttestError::Signing(format!(
                    "the passport is for {}, not for {}",
                    sub.unwrap_or("(no sub)"),
                    self.identity
                )));
            }
        }
        Ok(self.sign_statement(&Statement {
            doc_hash,
            identity: self.identity.clone(),
            declared_at,
            passport: passport.map(str::to_owned),
        }))
    }

    /// Signs any statement as is (no checks: tests and vector generators use
    /// it to build invalid attestations).
    pub fn sign_statement(&self, statement: &Statement) -> Envelope {
        self.sign_payload(PAYLOAD_TYPE, statement.to_payload())
    }

    /// Signs any payload as a one-signature DSSE envelope.
    pub fn sign_payload(&self, payload_type: &str, payload: Vec<u8>) -> Envelope {
        let sig = self.key.sign(&crate::dsse::pae(payload_type, &payload));
        Envelope {
            payload_type: payload_type.to_owned(),
            payload,
            signatures: vec![Signature {
                keyid: self.kid.as_str().to_owned(),
                sig: sig.to_bytes().to_vec(),
            }],
        }
    }
}

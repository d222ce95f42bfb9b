//! Verification: envelope, statement, agent key, subject, passport, revocation.

use crate::dsse::{Envelope, MAX_SIGNATURES};
use crate::error::AttestError;
use crate::statement::{Statement, PAYLOAD_TYPE};
use passport::{parse_value, JsonError, SourceError};
use passport::{
    Clock, IdentityId, Jwks, KeyError, KeyId, Policy, RevocationQuery, RevocationSource,
    SystemClock, VerifiedPassport,
};
use scl_hash::DocHash;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::sync::Arc;

/// The public keys of one agent: its identity and a JWK set.
///
/// JSON form (an ordinary JWKS with one extra member naming the identity the
/// keys belong to; see `spec/attestation.md`):
/// `{"identity":"aii_…","keys":[{"kty":"OKP","crv":"Ed25519","x":…,"kid":…}]}`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentKeys {
    /// Whose keys these are.
    pub identity: IdentityId,
    /// The keys.
    pub keys: Jwks,
}

impl AgentKeys {
    /// Reads an agent JWKS. `identity` is the identity the caller binds the
    /// keys to; when the document has an `identity` member too, the two
    /// must agree. One of them is required.
    pub fn from_json(text: &str, identity: Option<&IdentityId>) -> Result<AgentKeys, KeyError> {
        let v = match parse_value(text.as_bytes()) {
            Ok(v) => v,
            Err(JsonError::Duplicate(n)) => return Err(KeyError::DuplicateMember(n)),
            Err(e) => return Err(KeyError::InvalidJwk(format!("{e:?}"))),
        };
        let named = match v.get("identity") {
            None => None,
            Some(Value::String(s)) => Some(
                IdentityId::new(s.clone())
                    .map_err(|e| KeyError::InvalidJwk(format!("identity: {e}")))?,
            ),
            Some(_) => return Err(KeyError::InvalidJwk("identity must be a string".into())),
        };
        let identity = match (named, identity) {
            (Some(a), Some(b)) if &a != b => {
                return Err(KeyError::InvalidJwk(format!(
                    "the agent JWKS belongs to {a}, not to {b}"
                )))
            }
            (Some(a), _) => a,
            (None, Some(b)) => b.clone(),
            (None, None) => {
                return Err(KeyError::InvalidJwk(
                    "the agent JWKS names no identity (add \"identity\":\"aii_…\")".into(),
                ))
            }
        };
        Ok(AgentKeys {
            identity,
            keys: Jwks::from_json_value(&v)?,
        })
    }

    /// The JSON form.
    pub fn to_json(&self) -> Value {
        let mut v = self.keys.to_json();
        if let Some(o) = v.as_object_mut() {
            o.insert("identity".into(), Value::String(self.identity.to_string()));
        }
        v
    }
}

/// Where a verifier finds the public keys of an identity's agent: a local
/// agent JWKS ([`AgentKeys`], [`Vec<AgentKeys>`]) or an identity record at a
/// registry.
pub trait AgentKeySource: Send + Sync {
    /// The keys of `identity`; `Ok(None)` when it is unknown.
    fn agent_keys(&self, identity: &IdentityId) -> Result<Option<Jwks>, SourceError>;
}

impl AgentKeySource for AgentKeys {
    fn agent_keys(&self, identity: &IdentityId) -> Result<Option<Jwks>, SourceError> {
        Ok((&self.identity == identity).then(|| self.keys.clone()))
    }
}

impl AgentKeySource for Vec<AgentKeys> {
    fn agent_keys(&self, identity: &IdentityId) -> Result<Option<Jwks>, SourceError> {
        Ok(self
            .iter()
            .find(|a| &a.identity == identity)
            .map(|a| a.keys.clone()))
    }
}

/// A `Clock` shared between this verifier and the passport verifier.
#[derive(Clone)]
struct SharedClock(Arc<dyn Clock>);

impl Clock for SharedClock {
    fn now(&self) -> i64 {
        self.0.now()
    }
}

/// An attestation that passed every check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedAttestation {
    /// The statement (subject, identity, declaration time, passport text).
    pub statement: Statement,
    /// The `kid` of the agent key whose signature verified.
    pub agent_kid: KeyId,
    /// The verified passport, when the attestation carries one.
    pub passport: Option<VerifiedPassport>,
    /// SHA-256 of the statement payload (hex): this attestation's id.
    pub payload_sha256: String,
}

impl VerifiedAttestation {
    /// The result as JSON (what `aiid attest verify --json` prints).
    pub fn to_json(&self) -> Value {
        let mut o = serde_json::json!({
            "valid": true,
            "identity": self.statement.identity.as_str(),
            "doc_hash": self.statement.doc_hash.to_string(),
            "agent_kid": self.agent_kid.as_str(),
            "declared_at": self.statement.declared_at.as_str(),
            "attestation": self.payload_sha256,
        });
        if let (Some(p), Some(m)) = (&self.passport, o.as_object_mut()) {
            m.insert("tier".into(), Value::String(p.claims.tier.to_string()));
            m.insert(
                "operator".into(),
                Value::String(p.claims.operator.as_str().to_owned()),
            );
            m.insert("iss".into(), Value::String(p.claims.iss.to_string()));
        }
        o
    }
}

/// Verifies run attestations.
pub struct Verifier {
    agents: Arc<dyn AgentKeySource>,
    clock: Arc<dyn Clock>,
    leeway_secs: u64,
    issuer: Option<(Policy, Jwks)>,
    revocation: Option<Arc<dyn RevocationSource>>,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier")
            .field("leeway_secs", &self.leeway_secs)
            .field("issuer", &self.issuer.as_ref().map(|(p, _)| p))
            .field("revocation", &self.revocation.is_some())
            .finish_non_exhaustive()
    }
}

impl Verifier {
    /// A verifier trusting the agent keys of `agents`, with the system clock,
    /// the default leeway (60 s), no issuer (an attestation carrying a
    /// passport is then rejected as `passport_not_checkable`) and no
    /// revocation source.
    pub fn new(agents: impl AgentKeySource + 'static) -> Verifier {
        Verifier {
            agents: Arc::new(agents),
            clock: Arc::new(SystemClock),
            leeway_secs: passport::DEFAULT_LEEWAY_SECS,
            issuer: None,
            revocation: None,
        }
    }

    /// Replaces the clock (used for `declared_at` and for the passport).
    pub fn with_clock(mut self, clock: impl Clock + 'static) -> Verifier {
        self.clock = Arc::new(clock);
        self
    }

    /// Sets the clock-skew leeway for `declared_at`.
    pub fn with_leeway(mut self, secs: u64) -> Verifier {
        self.leeway_secs = secs;
        self
    }

    /// Checks passports under `policy` with the issuer keys `jwks` (the
    /// passport crate's verifier: `key_id` names the issuer's key).
    pub fn with_issuer(mut self, policy: Policy, jwks: Jwks) -> Verifier {
        self.issuer = Some((policy, jwks));
        self
    }

    /// Adds a revocation source: the identity, the agent key (by `kid`) and
    /// the passport are checked against it; failures fail closed.
    pub fn with_revocation(mut self, source: impl RevocationSource + 'static) -> Verifier {
        self.revocation = Some(Arc::new(source));
        self
    }

    /// Verifies `envelope` (JSON bytes) as an attestation of `declaration`
    /// (SCL:V1 bytes, whose identity is recomputed here).
    pub fn verify(
        &self,
        declaration: &[u8],
        envelope: &[u8],
    ) -> Result<VerifiedAttestation, AttestError> {
        let doc_hash = scl_hash::identity(declaration).map_err(AttestError::InvalidDeclaration)?;
        self.verify_for(Some(&doc_hash), envelope)
    }

    /// Verifies `envelope` as an attestation of the run identity `doc_hash`
    /// (which the caller computed itself), or of any run when `None` (a
    /// registry storing attestations by the subject they name).
    pub fn verify_for(
        &self,
        doc_hash: Option<&DocHash>,
        envelope: &[u8],
    ) -> Result<VerifiedAttestation, AttestError> {
        let env = Envelope::from_json(envelope)?;
        if env.payload_type != PAYLOAD_TYPE {
            return Err(AttestError::WrongPayloadType(env.payload_type));
        }
        if env.signatures.is_empty() {
            return Err(AttestError::NoSignatures);
        }
        if env.signatures.len() > MAX_SIGNATURES {
            return Err(AttestError::TooManySignatures {
                count: env.signatures.len(),
                max: MAX_SIGNATURES,
            });
        }
        // The statement names the identity whose keys must have signed; it is
        // parsed (strictly) first, and trusted only once a signature verifies.
        let statement = Statement::from_payload(&env.payload)?;
        let keys = self
            .agents
            .agent_keys(&statement.identity)
            .map_err(AttestError::KeySourceUnavailable)?
            .ok_or_else(|| AttestError::UnknownIdentity(statement.identity.to_string()))?;
        let agent_kid = check_signatures(&env, &keys, &statement.identity)?;

        if let Some(expected) = doc_hash {
            if &statement.doc_hash != expected {
                return Err(AttestError::SubjectMismatch {
                    expected: expected.to_string(),
                    found: statement.doc_hash.to_string(),
                });
            }
        }
        let now = self.clock.now();
        let leeway = i64::try_from(self.leeway_secs).unwrap_or(i64::MAX);
        if statement.declared_at.unix() > now.saturating_add(leeway) {
            return Err(AttestError::DeclaredInFuture {
                declared_at: statement.declared_at.as_str().to_owned(),
                at: statement.declared_at.unix(),
                now,
            });
        }
        let passport = match &statement.passport {
            None => None,
            Some(token) => {
                let (policy, jwks) = self
                    .issuer
                    .as_ref()
                    .ok_or(AttestError::PassportNotCheckable)?;
                let mut v = passport::Verifier::new(policy.clone(), jwks.clone())
                    .with_clock(SharedClock(self.clock.clone()));
                if let Some(r) = &self.revocation {
                    v = v.with_revocation(r.clone());
                }
                let p = v.verify(token).map_err(AttestError::PassportInvalid)?;
                if p.claims.sub != statement.identity {
                    return Err(AttestError::PassportSubjectMismatch {
                        passport: p.claims.sub.to_string(),
                        identity: statement.identity.to_string(),
                    });
                }
                Some(p)
            }
        };
        let payload_sha256: [u8; 32] = Sha256::digest(&env.payload).into();
        if let Some(r) = &self.revocation {
            let q = RevocationQuery {
                identity: &statement.identity,
                jti: None,
                key_id: &agent_kid,
                token_sha256: payload_sha256,
            };
            if let Some(reason) = r
                .revoked(&q, now)
                .map_err(AttestError::RevocationUnavailable)?
            {
                return Err(AttestError::Revoked(reason));
            }
        }
        Ok(VerifiedAttestation {
            statement,
            agent_kid,
            passport,
            payload_sha256: q_hex(&payload_sha256),
        })
    }
}

fn q_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Tries each signature with the identity's keys: the key named by a
/// non-empty `keyid`, or every key when `keyid` is empty. Returns the `kid`
/// of the first key that verifies (strict Ed25519, as for passports).
fn check_signatures(
    env: &Envelope,
    keys: &Jwks,
    identity: &IdentityId,
) -> Result<KeyId, AttestError> {
    let pae = env.pae();
    let mut tried = false;
    for s in &env.signatures {
        let Ok(bytes) = <[u8; 64]>::try_from(s.sig.as_slice()) else {
            tried |= s.keyid.is_empty() || keys.get(&s.keyid).is_some();
            continue;
        };
        let sig = ed25519_dalek::Signature::from_bytes(&bytes);
        let candidates: Vec<&passport::Jwk> = if s.keyid.is_empty() {
            keys.keys().iter().collect()
        } else {
            keys.get(&s.keyid).into_iter().collect()
        };
        for k in candidates {
            tried = true;
            if passport::verify_signature_strict(&k.key, &pae, &sig).is_ok() {
                return Ok(k.kid.clone());
            }
        }
    }
    if !tried {
        let keyids: Vec<&str> = env.signatures.iter().map(|s| s.keyid.as_str()).collect();
        return Err(AttestError::NoMatchingKey {
            identity: identity.to_string(),
            keyids: keyids.join(","),
        });
    }
    Err(AttestError::BadSignature(identity.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const JWK: &str = r#"{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","kid":"a1"}"#;

    #[test]
    fn agent_jwks_binds_keys_to_one_identity() {
        let alice = IdentityId::new("aii_ALICE").unwrap();
        let bob = IdentityId::new("aii_BOB").unwrap();
        let named = format!(r#"{{"identity":"aii_ALICE","keys":[{JWK}]}}"#);
        let unnamed = format!(r#"{{"keys":[{JWK}]}}"#);
        let a = AgentKeys::from_json(&named, None).unwrap();
        assert_eq!(a.identity, alice);
        assert_eq!(AgentKeys::from_json(&named, Some(&alice)).unwrap(), a);
        assert!(AgentKeys::from_json(&named, Some(&bob))
            .unwrap_err()
            .to_string()
            .contains("belongs to aii_ALICE"));
        assert!(AgentKeys::from_json(&unnamed, None)
            .unwrap_err()
            .to_string()
            .contains("names no identity"));
        assert_eq!(
            AgentKeys::from_json(&unnamed, Some(&bob)).unwrap().identity,
            bob
        );
        assert!(matches!(
            AgentKeys::from_json(r#"{"identity":"aii_A","identity":"aii_B","keys":[]}"#, None),
            Err(KeyError::DuplicateMember(_))
        ));
        assert!(AgentKeys::from_json(r#"{"identity":"bob","keys":[]}"#, None).is_err());
        // Round trip through the JSON form.
        let back = AgentKeys::from_json(&a.to_json().to_string(), None).unwrap();
        assert_eq!(back, a);
        // The key source answers only for its identity.
        assert!(a.agent_keys(&alice).unwrap().is_some());
        assert!(a.agent_keys(&bob).unwrap().is_none());
        let two = vec![
            a.clone(),
            AgentKeys {
                identity: bob.clone(),
                keys: Jwks::new(),
            },
        ];
        assert_eq!(two.agent_keys(&bob).unwrap(), Some(Jwks::new()));
    }
}

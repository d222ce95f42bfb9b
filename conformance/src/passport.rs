//! The AI Identity passport suite (`spec/passport.md` §10–11): vector file,
//! requests, results, comparison and the subprocess protocol (one JSON
//! request line on stdin, one JSON result line on stdout, exit status
//! ignored).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::engine::{Engine, ProcessOutput, Protocol, RunError};
use crate::run::{run_cases, Outcome, Selection};
use crate::VectorError;

/// The passport vector set shipped with this crate (a byte-for-byte copy of
/// the published `spec/vectors/passport.json`).
pub const PASSPORT_VECTORS_JSON: &str = include_str!("../vectors/passport.json");

/// The passport protocol: one [`PassportRequest`] line in, one
/// [`PassportAnswer`] line out (the first non-blank line; a subprocess's exit
/// status is ignored, as `spec/passport.md` §11 says).
#[derive(Debug, Clone, Copy)]
pub enum Passport {}

impl Protocol for Passport {
    type Request = PassportRequest;
    type Answer = PassportAnswer;
    const NAME: &'static str = "passport";

    fn encode(request: &PassportRequest) -> Vec<u8> {
        let mut line = request.to_json_line().into_bytes();
        line.push(b'\n');
        line
    }

    fn decode(output: &ProcessOutput) -> Result<PassportAnswer, RunError> {
        let text = String::from_utf8_lossy(&output.stdout);
        let Some(line) = text.lines().find(|l| !l.trim().is_empty()) else {
            return Err(RunError::bad_output(
                format!(
                    "no result line (exit status {}; stderr: {})",
                    output.status,
                    output.stderr_text()
                ),
                &output.stdout,
            ));
        };
        serde_json::from_str(line).map_err(|e| RunError::bad_output(e.to_string(), line.as_bytes()))
    }
}

/// The verifier policy of a passport-layer request.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct PolicySpec {
    /// Accepted issuers (`iss`), compared exactly.
    pub issuers: Vec<String>,
    /// The verifier's audience.
    pub audience: String,
    /// Clock leeway in seconds (the engine's default when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leeway: Option<u64>,
    /// Minimum tier name (`issued` when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_tier: Option<String>,
}

/// A revocation list as the protocol carries it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
pub struct Revocations {
    /// When the list was generated (Unix seconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generated_at: Option<i64>,
    /// Revoked identity ids.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identities: Option<Vec<String>>,
    /// Revoked passports, by `jti`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passports: Option<Vec<String>>,
    /// Revoked key ids.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keys: Option<Vec<String>>,
    /// Maximum age of the list in seconds; older lists fail closed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_age: Option<u64>,
}

/// One request of the passport protocol.
///
/// Keys (`jwks`, `jwk`) are carried as JSON values, not parsed: vectors
/// check that engines refuse malformed and weak keys, so the runner must be
/// able to send them as written.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(tag = "layer", rename_all = "lowercase")]
pub enum PassportRequest {
    /// Verify a passport: signature, header, claims, policy, revocation.
    Passport {
        /// The compact JWS.
        token: String,
        /// The trusted key set, `{"keys":[…]}`.
        jwks: Value,
        /// The verifier policy.
        policy: PolicySpec,
        /// The verifier's clock (Unix seconds).
        now: i64,
        /// A revocation list, when the vector has one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        revocations: Option<Revocations>,
    },
    /// Verify only an Ed25519 JWS signature (RFC 8037 A.4/A.5).
    Signature {
        /// The compact JWS.
        token: String,
        /// The public key, a JWK without `kid`.
        jwk: Value,
    },
}

impl PassportRequest {
    /// The request as the one JSON line (without LF) an engine reads.
    pub fn to_json_line(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The token to verify.
    pub fn token(&self) -> &str {
        match self {
            PassportRequest::Passport { token, .. } | PassportRequest::Signature { token, .. } => {
                token
            }
        }
    }
}

/// An engine's result, and the shape of a vector's `expect`:
/// `{"valid":true,"claims":{…}}`, `{"valid":true,"payload_b64":…}` or
/// `{"valid":false,"error":…,"claim":…?,"message":…?}`.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
pub struct PassportAnswer {
    /// Whether the token verified.
    pub valid: bool,
    /// The payload object exactly as decoded (valid passports).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claims: Option<Map<String, Value>>,
    /// The verified payload, unpadded base64url (valid signatures).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload_b64: Option<String>,
    /// Error code such as `expired` (invalid tokens).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The claim an error is about, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claim: Option<String>,
    /// Free text for people; never compared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

impl PassportAnswer {
    /// A valid passport with these claims.
    pub fn valid_claims(claims: Map<String, Value>) -> PassportAnswer {
        PassportAnswer {
            valid: true,
            claims: Some(claims),
            ..PassportAnswer::default()
        }
    }

    /// A refused token.
    pub fn invalid(error: impl Into<String>) -> PassportAnswer {
        PassportAnswer {
            valid: false,
            error: Some(error.into()),
            ..PassportAnswer::default()
        }
    }

    /// The typed expectation, if the object has the shape its `valid`
    /// requires.
    pub fn to_expected(&self) -> Option<PassportExpected> {
        match self {
            PassportAnswer {
                valid: true,
                claims,
                payload_b64,
                error: None,
                claim: None,
                ..
            } => Some(PassportExpected::Valid {
                claims: claims.clone(),
                payload_b64: payload_b64.clone(),
            }),
            PassportAnswer {
                valid: false,
                claims: None,
                payload_b64: None,
                error: Some(error),
                claim,
                ..
            } => Some(PassportExpected::Invalid {
                error: error.clone(),
                claim: claim.clone(),
            }),
            _ => None,
        }
    }
}

/// What a passport vector expects.
#[derive(Debug, Clone, PartialEq)]
pub enum PassportExpected {
    /// The token verifies; the given fields must match exactly.
    Valid {
        /// Expected claims (passport layer).
        claims: Option<Map<String, Value>>,
        /// Expected payload (signature layer).
        payload_b64: Option<String>,
    },
    /// The token is refused with this error.
    Invalid {
        /// Error code.
        error: String,
        /// The claim at fault; compared only when the engine names one too.
        claim: Option<String>,
    },
}

/// Compares an engine's result with a vector's expectation (`spec/passport.md`
/// §11); `Err` carries a human-readable difference.
pub fn compare_passport(
    expected: &PassportExpected,
    actual: &PassportAnswer,
) -> Result<(), String> {
    let said = |a: &PassportAnswer| {
        format!(
            "{}{}{}",
            a.error.as_deref().unwrap_or("(no error code)"),
            a.claim
                .as_deref()
                .map_or(String::new(), |c| format!(" (claim {c})")),
            a.message
                .as_deref()
                .map_or(String::new(), |m| format!(": {m}")),
        )
    };
    match expected {
        PassportExpected::Valid {
            claims,
            payload_b64,
        } => {
            if !actual.valid {
                return Err(format!(
                    "expected valid, engine says invalid: {}",
                    said(actual)
                ));
            }
            if let Some(want) = claims {
                match &actual.claims {
                    None => return Err("claims: missing".into()),
                    Some(got) if got != want => return Err(describe_claims(want, got)),
                    Some(_) => {}
                }
            }
            if let Some(want) = payload_b64 {
                match actual.payload_b64.as_deref() {
                    Some(got) if got == want => {}
                    got => {
                        return Err(format!(
                            "payload_b64: expected {want}, got {}",
                            got.unwrap_or("(missing)")
                        ))
                    }
                }
            }
            Ok(())
        }
        PassportExpected::Invalid { error, claim } => {
            let want = match claim {
                Some(c) => format!("{error} (claim {c})"),
                None => error.clone(),
            };
            if actual.valid {
                return Err(format!("expected {want}, engine says valid"));
            }
            let claim_ok = match (claim, &actual.claim) {
                (Some(w), Some(g)) => w == g,
                _ => true,
            };
            if actual.error.as_deref() == Some(error.as_str()) && claim_ok {
                Ok(())
            } else {
                Err(format!("expected {want}, got {}", said(actual)))
            }
        }
    }
}

/// Names the claims that differ.
fn describe_claims(want: &Map<String, Value>, got: &Map<String, Value>) -> String {
    let mut names: Vec<&String> = want.keys().chain(got.keys()).collect();
    names.sort();
    names.dedup();
    let diffs: Vec<String> = names
        .into_iter()
        .filter(|n| want.get(*n) != got.get(*n))
        .map(|n| {
            let show = |v: Option<&Value>| v.map_or("(absent)".to_string(), Value::to_string);
            format!(
                "{n}: expected {}, got {}",
                show(want.get(n)),
                show(got.get(n))
            )
        })
        .collect();
    format!("claims differ: {}", diffs.join("; "))
}

/// The layer a vector exercises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Layer {
    /// Full passport verification.
    #[default]
    Passport,
    /// The JWS signature only.
    Signature,
}

impl Layer {
    /// `passport` or `signature`.
    pub fn as_str(self) -> &'static str {
        match self {
            Layer::Passport => "passport",
            Layer::Signature => "signature",
        }
    }
}

/// Request fields used by every vector that does not set its own.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
pub struct PassportDefaults {
    /// Default clock.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub now: Option<i64>,
    /// Default policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<PolicySpec>,
    /// Default key set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwks: Option<Value>,
    /// Default key for the signature layer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwk: Option<Value>,
    /// Default revocation list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revocations: Option<Revocations>,
}

/// One passport vector.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct PassportVector {
    /// Stable identifier.
    pub id: String,
    /// The rule the vector exercises or breaks, in words.
    #[serde(default)]
    pub rule: String,
    /// Which layer is tested.
    #[serde(default)]
    pub layer: Layer,
    /// The compact JWS.
    pub token: String,
    /// The expected result.
    pub expect: PassportAnswer,
    /// Overrides the default clock.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub now: Option<i64>,
    /// Overrides the default policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<PolicySpec>,
    /// Overrides the default key set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwks: Option<Value>,
    /// The key for the signature layer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwk: Option<Value>,
    /// A revocation list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revocations: Option<Revocations>,
}

impl PassportVector {
    /// The expectation, checked for shape.
    pub fn expectation(&self) -> Result<PassportExpected, VectorError> {
        self.expect
            .to_expected()
            .ok_or_else(|| VectorError::BadExpectation {
                id: self.id.clone(),
                rule: "`expect` must be {valid:true[,claims|payload_b64]} or {valid:false,error[,claim]}",
            })
    }

    /// Labels `--rule` also matches: the layer, and the expected error code
    /// (or `valid`).
    pub fn flags(&self) -> Vec<String> {
        vec![
            self.layer.as_str().to_owned(),
            if self.expect.valid {
                "valid".to_owned()
            } else {
                self.expect.error.clone().unwrap_or_default()
            },
        ]
    }
}

/// A passport vector file: `{"version":1,"defaults":{…},"vectors":[…]}`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct PassportVectorFile {
    /// Format version.
    pub version: u32,
    /// What the file is.
    #[serde(default)]
    pub description: String,
    /// Request fields shared by the vectors.
    #[serde(default)]
    pub defaults: PassportDefaults,
    /// The vectors, in file order.
    pub vectors: Vec<PassportVector>,
}

impl PassportVectorFile {
    /// Parses a vector file and checks every vector (ids unique, a complete
    /// request after defaults, a well-formed expectation).
    pub fn from_json(text: &str) -> Result<PassportVectorFile, VectorError> {
        let file: PassportVectorFile = serde_json::from_str(text).map_err(VectorError::json)?;
        let mut seen = std::collections::HashSet::new();
        for v in &file.vectors {
            if !seen.insert(v.id.as_str()) {
                return Err(VectorError::DuplicateId(v.id.clone()));
            }
            file.request(v)?;
            v.expectation()?;
        }
        Ok(file)
    }

    /// The passport vectors shipped with this crate.
    pub fn shipped() -> Result<PassportVectorFile, VectorError> {
        Self::from_json(PASSPORT_VECTORS_JSON)
    }

    /// The request sent for `v`: its own fields, or else the file's defaults.
    pub fn request(&self, v: &PassportVector) -> Result<PassportRequest, VectorError> {
        let d = &self.defaults;
        let missing = |field: &'static str| VectorError::MissingField {
            id: v.id.clone(),
            field,
        };
        Ok(match v.layer {
            Layer::Signature => PassportRequest::Signature {
                token: v.token.clone(),
                jwk: v
                    .jwk
                    .clone()
                    .or_else(|| d.jwk.clone())
                    .ok_or_else(|| missing("jwk"))?,
            },
            Layer::Passport => PassportRequest::Passport {
                token: v.token.clone(),
                jwks: v
                    .jwks
                    .clone()
                    .or_else(|| d.jwks.clone())
                    .ok_or_else(|| missing("jwks"))?,
                policy: v
                    .policy
                    .clone()
                    .or_else(|| d.policy.clone())
                    .ok_or_else(|| missing("policy"))?,
                now: v.now.or(d.now).ok_or_else(|| missing("now"))?,
                revocations: v.revocations.clone().or_else(|| d.revocations.clone()),
            },
        })
    }

    /// Runs `engine` over the selected vectors on `jobs` threads; outcomes
    /// come back in file order. `--rule` style selection matches the
    /// vector's `rule` text, its layer or its expected error code.
    pub fn run(
        &self,
        selection: &Selection,
        jobs: usize,
        engine: &(impl Engine<Passport> + ?Sized),
    ) -> Vec<Outcome> {
        let selected: Vec<&PassportVector> = self
            .vectors
            .iter()
            .filter(|v| selection.matches(&v.id, std::iter::once(&v.rule).chain(&v.flags())))
            .collect();
        run_cases(&selected, jobs, |v| Outcome {
            id: v.id.clone(),
            rules: vec![v.rule.clone()],
            failure: self.check(v, engine).err(),
        })
    }

    /// Checks one vector with `engine`; `Err` is the failure description.
    pub fn check(
        &self,
        v: &PassportVector,
        engine: &(impl Engine<Passport> + ?Sized),
    ) -> Result<(), String> {
        let request = self.request(v).map_err(|e| e.to_string())?;
        let expected = v.expectation().map_err(|e| e.to_string())?;
        let actual = engine.answer(&request).map_err(|e| e.to_string())?;
        compare_passport(&expected, &actual)
    }

    /// Writes every vector as `<dir>/<id>.request.json` (the exact request
    /// line) and `<dir>/<id>.expected.json`. Returns the number written.
    pub fn export(&self, dir: &std::path::Path) -> std::io::Result<usize> {
        std::fs::create_dir_all(dir)?;
        for v in &self.vectors {
            let request = self
                .request(v)
                .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
            std::fs::write(
                dir.join(format!("{}.request.json", v.id)),
                Passport::encode(&request),
            )?;
            let meta = serde_json::json!({
                "id": v.id,
                "rule": v.rule,
                "layer": v.layer,
                "expect": v.expect,
            });
            std::fs::write(
                dir.join(format!("{}.expected.json", v.id)),
                format!("{meta:#}\n"),
            )?;
        }
        Ok(self.vectors.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_vectors_load_with_complete_requests() {
        let file = PassportVectorFile::shipped().unwrap();
        assert!(file.vectors.len() >= 80);
        let sig = file
            .vectors
            .iter()
            .find(|v| v.layer == Layer::Signature)
            .unwrap();
        assert!(matches!(
            file.request(sig).unwrap(),
            PassportRequest::Signature { .. }
        ));
        let stale = file
            .vectors
            .iter()
            .find(|v| v.id == "revocation-list-stale")
            .unwrap();
        let line = file.request(stale).unwrap().to_json_line();
        assert!(
            line.starts_with(r#"{"layer":"passport","token":"#),
            "{line}"
        );
        assert!(line.contains(r#""revocations":{"generated_at":1714687200,"max_age":3600}"#));
    }

    #[test]
    fn missing_fields_and_bad_expectations_are_rejected() {
        let text = r#"{"version":1,"vectors":[{"id":"x","token":"a.b.c","expect":{"valid":false,"error":"expired"}}]}"#;
        let e = PassportVectorFile::from_json(text).unwrap_err();
        assert!(
            matches!(e, VectorError::MissingField { field: "jwks", .. }),
            "{e}"
        );
        let text = r#"{"version":1,"defaults":{"jwks":{"keys":[]},"now":1,"policy":{"issuers":[],"audience":"a"}},
            "vectors":[{"id":"x","token":"a.b.c","expect":{"valid":false}}]}"#;
        let e = PassportVectorFile::from_json(text).unwrap_err();
        assert!(matches!(e, VectorError::BadExpectation { .. }), "{e}");
        assert_eq!(e.code(), "bad_expectation");
        let e = PassportVectorFile::from_json("[1]").unwrap_err();
        assert!(matches!(e, VectorError::Json { .. }));
        assert!(std::error::Error::source(&e).is_some());
    }

    #[test]
    fn comparison_rules() {
        let exp = PassportExpected::Invalid {
            error: "missing_claim".into(),
            claim: Some("iss".into()),
        };
        let mut got = PassportAnswer::invalid("missing_claim");
        assert!(
            compare_passport(&exp, &got).is_ok(),
            "claim optional in results"
        );
        got.claim = Some("iss".into());
        assert!(compare_passport(&exp, &got).is_ok());
        got.claim = Some("sub".into());
        assert!(compare_passport(&exp, &got).is_err());
        assert!(compare_passport(&exp, &PassportAnswer::invalid("expired")).is_err());
        let mut claims = Map::new();
        claims.insert("sub".into(), Value::from("aii_X"));
        let ok = PassportExpected::Valid {
            claims: Some(claims.clone()),
            payload_b64: None,
        };
        assert!(compare_passport(&ok, &PassportAnswer::valid_claims(claims.clone())).is_ok());
        assert!(compare_passport(&exp, &PassportAnswer::valid_claims(claims.clone())).is_err());
        let mut other = claims.clone();
        other.insert("sub".into(), Value::from("aii_Y"));
        let diff = compare_passport(&ok, &PassportAnswer::valid_claims(other)).unwrap_err();
        assert!(
            diff.contains(r#"sub: expected "aii_X", got "aii_Y""#),
            "{diff}"
        );
        let diff = compare_passport(&ok, &PassportAnswer::invalid("expired")).unwrap_err();
        assert!(diff.contains("engine says invalid: expired"), "{diff}");
    }
}

//! The in-toto Statement v1 carrying a run-declaration predicate.

use crate::dsse::{json_error, json_string};
use crate::error::{AttestError, Layer};
use crate::time::{format_utc, parse_utc};
use passport::parse_value;
use passport::IdentityId;
use scl_hash::DocHash;
use serde_json::{Map, Value};

/// `_type` of an in-toto Statement v1.
pub const STATEMENT_TYPE: &str = "https://in-toto.io/Statement/v1";

/// Our predicate type: a run declaration attested by an AI Identity agent.
/// Stable; documented in `spec/attestation.md`.
pub const PREDICATE_TYPE: &str = "https://aiidentity.org/attestation/run-declaration/v1";

/// The DSSE `payloadType` of an in-toto Statement.
pub const PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";

/// The subject `name` we write: in-toto's "name not meaningful" marker (the
/// digest alone identifies the run).
pub const SUBJECT_NAME: &str = "_";

/// An instant of declaration: Unix seconds and its RFC 3339 text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeclaredAt {
    unix: i64,
    text: String,
}

impl DeclaredAt {
    /// The instant `unix` (seconds), written `YYYY-MM-DDTHH:MM:SSZ`.
    /// `None` outside 1970..=9999.
    pub fn from_unix(unix: i64) -> Option<DeclaredAt> {
        format_utc(unix).map(|text| DeclaredAt { unix, text })
    }

    /// Parses RFC 3339 UTC text (see [`crate::time::parse_utc`]); the text
    /// is kept as written.
    pub fn parse(text: &str) -> Option<DeclaredAt> {
        parse_utc(text).map(|unix| DeclaredAt {
            unix,
            text: text.to_owned(),
        })
    }

    /// Unix seconds (fractions truncated).
    pub fn unix(&self) -> i64 {
        self.unix
    }

    /// The text as written in the predicate.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

/// What an attestation states: this identity declared the run `doc_hash`
/// at `declared_at`, optionally presenting its passport.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// The subject: the run identity (SCL:V1 doc_hash).
    pub doc_hash: DocHash,
    /// The declaring agent's AI Identity id (`predicate.identity`).
    pub identity: IdentityId,
    /// When it was declared (`predicate.declared_at`).
    pub declared_at: DeclaredAt,
    /// The agent's passport, a compact JWT (`predicate.passport`).
    pub passport: Option<String>,
}

fn malformed(msg: impl Into<String>) -> AttestError {
    AttestError::MalformedStatement(msg.into())
}

fn is_lower_hex64(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

impl Statement {
    /// The payload bytes: compact JSON with members in this fixed order
    /// (`_type`, `subject`, `predicateType`, `predicate`; in the predicate
    /// `identity`, `declared_at`, then `passport` when present).
    pub fn to_payload(&self) -> Vec<u8> {
        let mut predicate = format!(
            r#"{{"identity":{},"declared_at":{}"#,
            json_string(self.identity.as_str()),
            json_string(self.declared_at.as_str())
        );
        if let Some(p) = &self.passport {
            predicate.push_str(&format!(r#","passport":{}"#, json_string(p)));
        }
        predicate.push('}');
        format!(
            r#"{{"_type":"{STATEMENT_TYPE}","subject":[{{"name":"{SUBJECT_NAME}","digest":{{"sha256":"{}"}}}}],"predicateType":"{PREDICATE_TYPE}","predicate":{predicate}}}"#,
            self.doc_hash
        )
        .into_bytes()
    }

    /// Parses and checks a payload (strict JSON, no duplicate member names).
    /// Unknown members are ignored at every level (in-toto's parsing rules);
    /// other digest algorithms next to `sha256` are ignored.
    pub fn from_payload(bytes: &[u8]) -> Result<Statement, AttestError> {
        let m = match parse_value(bytes) {
            Ok(Value::Object(m)) => m,
            Ok(_) => {
                return Err(AttestError::MalformedJson {
                    layer: Layer::Statement,
                    reason: "not a JSON object".into(),
                })
            }
            Err(e) => return Err(json_error(Layer::Statement, e)),
        };
        let get_str = |m: &Map<String, Value>, name: &str| -> Result<String, AttestError> {
            match m.get(name) {
                Some(Value::String(s)) => Ok(s.clone()),
                Some(_) => Err(malformed(format!("{name} must be a string"))),
                None => Err(malformed(format!("{name} is required"))),
            }
        };
        let ty = get_str(&m, "_type")?;
        let subject = match m.get("subject") {
            Some(Value::Array(a)) => a,
            Some(_) => return Err(malformed("subject must be an array")),
            None => return Err(malformed("subject is required")),
        };
        let pt = get_str(&m, "predicateType")?;
        let predicate = match m.get("predicate") {
            Some(Value::Object(p)) => p,
            Some(_) => return Err(malformed("predicate must be an object")),
            None => return Err(malformed("predicate is required")),
        };
        if ty != STATEMENT_TYPE {
            return Err(AttestError::WrongStatementType(ty));
        }
        if pt != PREDICATE_TYPE {
            return Err(AttestError::WrongPredicateType(pt));
        }
        let [one] = subject.as_slice() else {
            return Err(AttestError::BadSubject(format!(
                "exactly one subject is required, found {}",
                subject.len()
            )));
        };
        let digest = one
            .as_object()
            .and_then(|s| s.get("digest"))
            .and_then(Value::as_object)
            .ok_or_else(|| AttestError::BadSubject("the subject has no digest object".into()))?;
        let hex = match digest.get("sha256") {
            Some(Value::String(h)) if is_lower_hex64(h) => h,
            Some(_) => {
                return Err(AttestError::BadSubject(
                    "digest.sha256 must be 64 lowercase hex digits".into(),
                ))
            }
            None => return Err(AttestError::BadSubject("digest.sha256 is required".into())),
        };
        let doc_hash: DocHash = hex
            .parse()
            .map_err(|_| AttestError::BadSubject("digest.sha256 is not a SHA-256".into()))?;
        let identity = get_str(predicate, "identity").map_err(|e| match e {
            AttestError::MalformedStatement(r) => malformed(format!("predicate.{r}")),
            other => other,
        })?;
        let identity =
            IdentityId::new(identity).map_err(|e| AttestError::InvalidIdentity(e.to_string()))?;
        let declared_at = match predicate.get("declared_at") {
            Some(Value::String(s)) => {
                DeclaredAt::parse(s).ok_or_else(|| AttestError::InvalidDeclaredAt(s.clone()))?
            }
            Some(other) => return Err(AttestError::InvalidDeclaredAt(other.to_string())),
            None => return Err(malformed("predicate.declared_at is required")),
        };
        let passport = match predicate.get("passport") {
            None => None,
            Some(Value::String(p)) => Some(p.clone()),
            Some(_) => return Err(AttestError::InvalidPassportField),
        };
        Ok(Statement {
            doc_hash,
            identity,
            declared_at,
            passport,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Statement {
        Statement {
            doc_hash: DocHash::from_bytes([0xab; 32]),
            identity: IdentityId::new("aii_HMB77VQ527B5Z062CNE31D").unwrap(),
            declared_at: DeclaredAt::from_unix(1_714_694_400).unwrap(),
            passport: Some("a.b.c".into()),
        }
    }

    #[test]
    fn payload_round_trip_and_exact_bytes() {
        let s = sample();
        let p = s.to_payload();
        assert_eq!(
            String::from_utf8(p.clone()).unwrap(),
            format!(
                r#"{{"_type":"https://in-toto.io/Statement/v1","subject":[{{"name":"_","digest":{{"sha256":"{}"}}}}],"predicateType":"https://aiidentity.org/attestation/run-declaration/v1","predicate":{{"identity":"aii_HMB77VQ527B5Z062CNE31D","declared_at":"2024-05-03T00:00:00Z","passport":"a.b.c"}}}}"#,
                "ab".repeat(32)
            )
        );
        assert_eq!(Statement::from_payload(&p), Ok(s));
    }

    #[test]
    fn rejections_have_their_codes() {
        let good: Value = serde_json::from_slice(&sample().to_payload()).unwrap();
        type Edit = Box<dyn Fn(&mut Value)>;
        let cases: Vec<(&str, Edit)> = vec![
            (
                "wrong_statement_type",
                Box::new(|v| v["_type"] = "https://in-toto.io/Statement/v0.1".into()),
            ),
            (
                "wrong_predicate_type",
                Box::new(|v| v["predicateType"] = "https://slsa.dev/provenance/v1".into()),
            ),
            (
                "malformed_statement",
                Box::new(|v| {
                    v.as_object_mut().unwrap().remove("predicate");
                }),
            ),
            (
                "malformed_statement",
                Box::new(|v| v["subject"] = "x".into()),
            ),
            (
                "bad_subject",
                Box::new(|v| v["subject"] = serde_json::json!([])),
            ),
            (
                "bad_subject",
                Box::new(|v| {
                    let s = v["subject"][0].clone();
                    v["subject"] = serde_json::json!([s.clone(), s]);
                }),
            ),
            (
                "bad_subject",
                Box::new(|v| v["subject"][0]["digest"]["sha256"] = "AB".repeat(32).into()),
            ),
            (
                "bad_subject",
                Box::new(|v| v["subject"][0]["digest"] = serde_json::json!({"sha512": "00"})),
            ),
            (
                "invalid_identity",
                Box::new(|v| v["predicate"]["identity"] = "bob".into()),
            ),
            (
                "invalid_declared_at",
                Box::new(|v| v["predicate"]["declared_at"] = "2024-05-03T00:00:00+01:00".into()),
            ),
            (
                "invalid_declared_at",
                Box::new(|v| v["predicate"]["declared_at"] = 1_714_694_400.into()),
            ),
            (
                "invalid_passport_field",
                Box::new(|v| v["predicate"]["passport"] = Value::Null),
            ),
        ];
        for (code, edit) in cases {
            let mut v = good.clone();
            edit(&mut v);
            let bytes = serde_json::to_vec(&v).unwrap();
            assert_eq!(
                Statement::from_payload(&bytes).unwrap_err().code(),
                code,
                "{v}"
            );
        }
        let dup = br#"{"_type":"a","_type":"b"}"#;
        assert_eq!(
            Statement::from_payload(dup),
            Err(AttestError::DuplicateMember {
                layer: Layer::Statement,
                name: "_type".into()
            })
        );
        // Unknown members and extra digests are ignored.
        let mut v = good.clone();
        v["subject"][0]["digest"]["sha512"] = "00".into();
        v["predicate"]["note"] = "x".into();
        v["extra"] = 1.into();
        assert!(Statement::from_payload(&serde_json::to_vec(&v).unwrap()).is_ok());
    }
}

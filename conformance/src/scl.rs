//! The SCL:V1 suite: vector file, answers, comparison and the subprocess
//! protocol (document bytes on stdin, one JSON object on stdout, exit 0).

use base64::Engine as _;
use serde::{Deserialize, Serialize};

use crate::engine::{Engine, ProcessOutput, Protocol, RunError};
use crate::run::{run_cases, Outcome, Selection, Strictness};
use crate::VectorError;

/// The SCL:V1 vector set shipped with this crate (a byte-for-byte copy of
/// the published `spec/vectors/scl-v1.json`).
pub const SCL_V1_VECTORS_JSON: &str = include_str!("../vectors/scl-v1.json");

/// The SCL:V1 protocol: the request is the document's exact bytes, the
/// answer one [`Answer`] line; a subprocess must exit 0.
#[derive(Debug, Clone, Copy)]
pub enum Scl {}

impl Protocol for Scl {
    type Request = [u8];
    type Answer = Answer;
    const NAME: &'static str = "scl";

    fn encode(request: &[u8]) -> Vec<u8> {
        request.to_vec()
    }

    fn decode(output: &ProcessOutput) -> Result<Answer, RunError> {
        if !output.status.success() {
            return Err(RunError::Failed {
                status: output.status.to_string(),
                stderr: output.stderr_text(),
            });
        }
        let text = String::from_utf8_lossy(&output.stdout);
        let line = text.trim_end_matches(['\n', '\r']);
        serde_json::from_str::<Answer>(line)
            .map_err(|e| RunError::bad_output(e.to_string(), &output.stdout))
    }
}

/// A vector file: `{"version":…,"vectors":[…]}`.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct VectorFile {
    /// Format version of the file.
    pub version: String,
    /// The specification the vectors test, e.g. `SCL:V1`.
    #[serde(default)]
    pub spec: Option<String>,
    /// The vectors, in file order.
    pub vectors: Vec<Vector>,
}

impl VectorFile {
    /// Parses a vector file and checks every vector (ids unique, inputs
    /// decodable, expectations well formed).
    pub fn from_json(text: &str) -> Result<VectorFile, VectorError> {
        let file: VectorFile = serde_json::from_str(text).map_err(VectorError::json)?;
        let mut seen = std::collections::HashSet::new();
        for v in &file.vectors {
            if !seen.insert(v.id.as_str()) {
                return Err(VectorError::DuplicateId(v.id.clone()));
            }
            v.input_bytes()?;
            v.expectation()?;
        }
        Ok(file)
    }

    /// The SCL:V1 vectors shipped with this crate.
    pub fn scl_v1() -> Result<VectorFile, VectorError> {
        Self::from_json(SCL_V1_VECTORS_JSON)
    }
}

/// One conformance vector.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Vector {
    /// Stable identifier; never reused.
    pub id: String,
    /// Sections of the specification the vector exercises (`§3`, …).
    #[serde(default)]
    pub rules: Vec<String>,
    /// Flags such as `resolution-8`, `golden`, `utf8`.
    #[serde(default)]
    pub flags: Vec<String>,
    /// What the vector checks, in words.
    #[serde(default)]
    pub description: String,
    /// Where the vector comes from, when it is not this project's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provenance: Option<String>,
    /// The exact input bytes, standard base64.
    pub input_b64: String,
    /// The input as text, present only when the bytes are valid UTF-8.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<String>,
    /// The expected engine answer.
    pub expected: Answer,
}

impl Vector {
    /// The exact input bytes.
    pub fn input_bytes(&self) -> Result<Vec<u8>, VectorError> {
        base64::engine::general_purpose::STANDARD
            .decode(&self.input_b64)
            .map_err(|e| VectorError::Base64 {
                id: self.id.clone(),
                message: e.to_string(),
            })
    }

    /// The expectation, checked for shape.
    pub fn expectation(&self) -> Result<Expected, VectorError> {
        self.expected
            .to_expected()
            .ok_or_else(|| VectorError::BadExpectation {
                id: self.id.clone(),
                rule:
                    "`expected` must be {valid:true,canonical,sha256} or {valid:false,code,offset}",
            })
    }
}

/// The protocol object, as an engine prints it and as vectors expect it:
/// `{"valid":true,"canonical":…,"sha256":…}` or
/// `{"valid":false,"code":…,"offset":…}`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct Answer {
    /// Whether the document is valid.
    pub valid: bool,
    /// Canonical JSON text (valid documents).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub canonical: Option<String>,
    /// 64 lowercase hex digits (valid documents).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// Error code such as `E104` (invalid documents).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// 0-based byte offset (invalid documents; may be absent for engines
    /// run with `--codes-only`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<u64>,
}

impl Answer {
    /// The answer for a valid document.
    pub fn valid(canonical: impl Into<String>, sha256: impl Into<String>) -> Answer {
        Answer {
            valid: true,
            canonical: Some(canonical.into()),
            sha256: Some(sha256.into()),
            code: None,
            offset: None,
        }
    }

    /// The answer for an invalid document.
    pub fn invalid(code: impl Into<String>, offset: u64) -> Answer {
        Answer {
            valid: false,
            canonical: None,
            sha256: None,
            code: Some(code.into()),
            offset: Some(offset),
        }
    }

    /// The typed form, if the object has the fields its `valid` requires.
    pub fn to_expected(&self) -> Option<Expected> {
        match self {
            Answer {
                valid: true,
                canonical: Some(canonical),
                sha256: Some(sha256),
                code: None,
                offset: None,
            } => Some(Expected::Valid {
                canonical: canonical.clone(),
                sha256: sha256.clone(),
            }),
            Answer {
                valid: false,
                canonical: None,
                sha256: None,
                code: Some(code),
                offset: Some(offset),
            } => Some(Expected::Invalid {
                code: code.clone(),
                offset: *offset,
            }),
            _ => None,
        }
    }
}

/// What a vector expects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expected {
    /// A valid document with this canonical JSON and identity.
    Valid {
        /// Canonical JSON text.
        canonical: String,
        /// 64 lowercase hex digits.
        sha256: String,
    },
    /// An invalid document with this error.
    Invalid {
        /// Error code.
        code: String,
        /// Byte offset.
        offset: u64,
    },
}

/// Compares an engine's answer with a vector's expectation; `Err` carries a
/// human-readable difference.
pub fn compare(expected: &Expected, actual: &Answer, strictness: Strictness) -> Result<(), String> {
    match expected {
        Expected::Valid { canonical, sha256 } => {
            if !actual.valid {
                return Err(format!(
                    "expected valid (sha256 {sha256}), engine says invalid: {} at {}",
                    actual.code.as_deref().unwrap_or("?"),
                    actual.offset.map_or("?".to_string(), |o| o.to_string())
                ));
            }
            let mut problems = Vec::new();
            match actual.canonical.as_deref() {
                Some(c) if c == canonical => {}
                Some(c) => problems.push(describe_text_difference("canonical", canonical, c)),
                None => problems.push("canonical: missing".to_string()),
            }
            match actual.sha256.as_deref() {
                Some(h) if h == sha256 => {}
                Some(h) => problems.push(format!("sha256: expected {sha256}, got {h}")),
                None => problems.push("sha256: missing".to_string()),
            }
            if problems.is_empty() {
                Ok(())
            } else {
                Err(problems.join("\n"))
            }
        }
        Expected::Invalid { code, offset } => {
            if actual.valid {
                return Err(format!(
                    "expected {code} at {offset}, engine says valid (sha256 {})",
                    actual.sha256.as_deref().unwrap_or("?")
                ));
            }
            let code_ok = actual.code.as_deref() == Some(code.as_str());
            let offset_ok = strictness == Strictness::CodesOnly || actual.offset == Some(*offset);
            if code_ok && offset_ok {
                Ok(())
            } else {
                Err(format!(
                    "expected {code} at {offset}, got {} at {}",
                    actual.code.as_deref().unwrap_or("(no code)"),
                    actual
                        .offset
                        .map_or("(no offset)".to_string(), |o| o.to_string())
                ))
            }
        }
    }
}

/// Points at the first difference between two texts.
fn describe_text_difference(what: &str, expected: &str, actual: &str) -> String {
    let at = expected
        .bytes()
        .zip(actual.bytes())
        .position(|(a, b)| a != b)
        .unwrap_or(expected.len().min(actual.len()));
    let window = |s: &str| {
        let from = at.saturating_sub(20);
        let bytes = &s.as_bytes()[from.min(s.len())..(at + 20).min(s.len())];
        String::from_utf8_lossy(bytes).into_owned()
    };
    format!(
        "{what}: first difference at byte {at}\n  expected …{}…\n  actual   …{}…",
        window(expected),
        window(actual)
    )
}

impl VectorFile {
    /// Runs `engine` over the selected vectors on `jobs` threads; outcomes
    /// come back in file order.
    pub fn run(
        &self,
        selection: &Selection,
        strictness: Strictness,
        jobs: usize,
        engine: &(impl Engine<Scl> + ?Sized),
    ) -> Vec<Outcome> {
        let selected: Vec<&Vector> = self
            .vectors
            .iter()
            .filter(|v| selection.matches(&v.id, v.rules.iter().chain(&v.flags)))
            .collect();
        run_cases(&selected, jobs, |v| Outcome {
            id: v.id.clone(),
            rules: v.rules.clone(),
            failure: check_vector(v, strictness, engine).err(),
        })
    }
}

/// Checks one vector with `engine`; `Err` is the failure description.
pub fn check_vector(
    v: &Vector,
    strictness: Strictness,
    engine: &(impl Engine<Scl> + ?Sized),
) -> Result<(), String> {
    let input = v.input_bytes().map_err(|e| e.to_string())?;
    let expected = v.expectation().map_err(|e| e.to_string())?;
    let actual = engine.answer(&input).map_err(|e| e.to_string())?;
    compare(&expected, &actual, strictness)
}

/// Writes every vector as `<dir>/<id>.scl` (the exact bytes) and
/// `<dir>/<id>.expected.json` (the expectation plus description), for people
/// who prefer files. Returns the number of vectors written.
pub fn export(file: &VectorFile, dir: &std::path::Path) -> std::io::Result<usize> {
    std::fs::create_dir_all(dir)?;
    for v in &file.vectors {
        let bytes = v
            .input_bytes()
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
        std::fs::write(dir.join(format!("{}.scl", v.id)), bytes)?;
        let meta = serde_json::json!({
            "id": v.id,
            "rules": v.rules,
            "flags": v.flags,
            "description": v.description,
            "expected": v.expected,
        });
        std::fs::write(
            dir.join(format!("{}.expected.json", v.id)),
            format!("{meta:#}\n"),
        )?;
    }
    Ok(file.vectors.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn valid(c: &str, h: &str) -> Answer {
        Answer {
            valid: true,
            canonical: Some(c.into()),
            sha256: Some(h.into()),
            code: None,
            offset: None,
        }
    }

    fn invalid(code: &str, offset: Option<u64>) -> Answer {
        Answer {
            valid: false,
            canonical: None,
            sha256: None,
            code: Some(code.into()),
            offset,
        }
    }

    #[test]
    fn shipped_vectors_load() {
        let file = VectorFile::scl_v1().unwrap();
        assert!(file.vectors.len() >= 300);
    }

    #[test]
    fn comparison_rules() {
        let e = Expected::Invalid {
            code: "E104".into(),
            offset: 7,
        };
        assert!(compare(&e, &invalid("E104", Some(7)), Strictness::Full).is_ok());
        assert!(compare(&e, &invalid("E104", Some(8)), Strictness::Full).is_err());
        assert!(compare(&e, &invalid("E104", None), Strictness::Full).is_err());
        assert!(compare(&e, &invalid("E104", None), Strictness::CodesOnly).is_ok());
        assert!(compare(&e, &invalid("E105", Some(7)), Strictness::CodesOnly).is_err());
        assert!(compare(&e, &valid("{}", "00"), Strictness::CodesOnly).is_err());
        let v = Expected::Valid {
            canonical: "{\"a\"}".into(),
            sha256: "ab".into(),
        };
        assert!(compare(&v, &valid("{\"a\"}", "ab"), Strictness::Full).is_ok());
        let diff = compare(&v, &valid("{\"b\"}", "ab"), Strictness::Full).unwrap_err();
        assert!(diff.contains("first difference at byte 2"), "{diff}");
        assert!(compare(&v, &invalid("E001", Some(0)), Strictness::Full).is_err());
    }

    #[test]
    fn malformed_expectations_are_rejected() {
        let text =
            r#"{"version":"1","vectors":[{"id":"x","input_b64":"","expected":{"valid":true}}]}"#;
        let e = VectorFile::from_json(text).unwrap_err();
        assert!(
            matches!(&e, VectorError::BadExpectation { id, .. } if id == "x"),
            "{e}"
        );
        let text = r#"{"version":"1","vectors":[
            {"id":"x","input_b64":"","expected":{"valid":false,"code":"E101","offset":0}},
            {"id":"x","input_b64":"","expected":{"valid":false,"code":"E101","offset":0}}]}"#;
        let e = VectorFile::from_json(text).unwrap_err();
        assert!(
            matches!(&e, VectorError::DuplicateId(id) if id == "x"),
            "{e}"
        );
        assert_eq!(e.code(), "duplicate_id");
    }

    #[test]
    fn subprocess_protocol_and_failures() {
        let run = |cmd: &str, timeout_ms: u64| {
            let engine = crate::Subprocess::new(cmd).timeout(Duration::from_millis(timeout_ms));
            Engine::<Scl>::answer(&engine, b"x")
        };
        let ok = run(
            r#"cat >/dev/null; echo '{"valid":false,"code":"E101","offset":0}'"#,
            10_000,
        )
        .unwrap();
        assert_eq!(ok, invalid("E101", Some(0)));
        assert!(matches!(
            run("echo not json", 10_000),
            Err(RunError::BadOutput { .. })
        ));
        // SCL engines must exit 0, even with a well-formed answer.
        assert!(matches!(
            run(
                r#"echo '{"valid":false,"code":"E101","offset":0}'; exit 3"#,
                10_000
            ),
            Err(RunError::Failed { .. })
        ));
        assert!(matches!(run("sleep 5", 200), Err(RunError::Timeout(_))));
    }
}

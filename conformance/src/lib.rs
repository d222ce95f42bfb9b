#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![doc = include_str!("../README.md")]

use std::collections::BTreeMap;
use std::fmt;
use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde::{Deserialize, Serialize};

/// The SCL:V1 vector set shipped with this crate (`spec/vectors/scl-v1.json`).
pub const SCL_V1_VECTORS_JSON: &str = include_str!("../../spec/vectors/scl-v1.json");

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
        let file: VectorFile =
            serde_json::from_str(text).map_err(|e| VectorError::Json(e.to_string()))?;
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
            .ok_or_else(|| VectorError::BadExpectation(self.id.clone()))
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

/// A problem with a vector file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VectorError {
    /// Not JSON of the expected shape.
    #[error("vector file is not valid: {0}")]
    Json(String),
    /// Two vectors share an id.
    #[error("duplicate vector id {0:?}")]
    DuplicateId(String),
    /// `input_b64` is not standard base64.
    #[error("vector {id}: input_b64 is not base64: {message}")]
    Base64 {
        /// The vector.
        id: String,
        /// What is wrong.
        message: String,
    },
    /// `expected` lacks a field its `valid` requires, or has extra ones.
    #[error("vector {0}: `expected` must be {{valid:true,canonical,sha256}} or {{valid:false,code,offset}}")]
    BadExpectation(String),
}

/// How strictly answers are compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Strictness {
    /// Code and offset must match (full conformance).
    #[default]
    Full,
    /// Offsets are not compared (partial conformance, for engines that do
    /// not report offsets).
    CodesOnly,
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

/// Why an engine run gave no answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RunError {
    /// The command could not be started.
    #[error("cannot start engine: {0}")]
    Spawn(String),
    /// No answer within the time limit (the process was killed).
    #[error("no answer within {0:?} (killed)")]
    Timeout(Duration),
    /// The engine's output is not one protocol JSON object.
    #[error("engine output is not a protocol JSON object: {message}; stdout was {stdout:?}")]
    BadOutput {
        /// What is wrong.
        message: String,
        /// The engine's standard output (truncated).
        stdout: String,
    },
    /// The engine exited with a failure status.
    #[error("engine exited with {status}; stderr: {stderr}")]
    Failed {
        /// Exit status as text.
        status: String,
        /// The engine's standard error (truncated).
        stderr: String,
    },
}

/// Runs `command` through `sh -c`, writes `input` to its stdin, and parses
/// the one JSON object it prints.
pub fn run_engine(command: &str, input: &[u8], timeout: Duration) -> Result<Answer, RunError> {
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(command)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // Its own process group, so that a timeout kills the whole engine
    // (including anything the shell started), not just the shell.
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    let mut child = cmd.spawn().map_err(|e| RunError::Spawn(e.to_string()))?;
    let mut stdin = child.stdin.take();
    let mut stdout = child.stdout.take();
    let mut stderr = child.stderr.take();
    let (out, err) = std::thread::scope(|scope| {
        scope.spawn(move || {
            if let Some(mut s) = stdin.take() {
                // An engine that stops reading early is judged by its answer.
                let _ = s.write_all(input);
            }
        });
        let out = scope.spawn(move || {
            let mut buf = Vec::new();
            if let Some(s) = stdout.as_mut() {
                let _ = s.read_to_end(&mut buf);
            }
            buf
        });
        let err = scope.spawn(move || {
            let mut buf = Vec::new();
            if let Some(s) = stderr.as_mut() {
                let _ = s.take(64 * 1024).read_to_end(&mut buf);
            }
            buf
        });
        let started = Instant::now();
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break Ok(status),
                Ok(None) if started.elapsed() >= timeout => {
                    kill_process_group(child.id());
                    let _ = child.kill();
                    let _ = child.wait();
                    break Err(RunError::Timeout(timeout));
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(1)),
                Err(e) => break Err(RunError::Spawn(e.to_string())),
            }
        };
        let out = out.join().unwrap_or_default();
        let err = err.join().unwrap_or_default();
        (status.map(|s| (s, out)), err)
    });
    let (status, stdout) = out?;
    if !status.success() {
        return Err(RunError::Failed {
            status: status.to_string(),
            stderr: truncate(&String::from_utf8_lossy(&err), 2000),
        });
    }
    let text = String::from_utf8_lossy(&stdout);
    let line = text.trim_end_matches(['\n', '\r']);
    serde_json::from_str::<Answer>(line).map_err(|e| RunError::BadOutput {
        message: e.to_string(),
        stdout: truncate(&text, 2000),
    })
}

/// Kills the process group led by `pid` (best effort).
fn kill_process_group(pid: u32) {
    #[cfg(unix)]
    {
        let _ = Command::new("kill")
            .args(["-s", "KILL", "--"])
            .arg(format!("-{pid}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
    #[cfg(not(unix))]
    let _ = pid;
}

fn truncate(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

/// The result of one vector.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    /// Vector id.
    pub id: String,
    /// Rules the vector cites.
    pub rules: Vec<String>,
    /// `None` when it passed; the difference otherwise.
    pub failure: Option<String>,
}

/// Per-rule pass/fail counts, in natural order (`§6.2` before `§6.10`).
pub fn coverage(outcomes: &[Outcome]) -> Vec<(String, (usize, usize))> {
    let mut table: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for o in outcomes {
        let rules: Vec<&str> = if o.rules.is_empty() {
            vec!["(no rule)"]
        } else {
            o.rules.iter().map(String::as_str).collect()
        };
        for r in rules {
            let entry = table.entry(r.to_string()).or_default();
            if o.failure.is_none() {
                entry.0 += 1;
            } else {
                entry.1 += 1;
            }
        }
    }
    let mut rows: Vec<_> = table.into_iter().collect();
    rows.sort_by_key(|(rule, _)| natural_key(rule));
    rows
}

/// Sort key that orders the numbers inside a rule name numerically.
fn natural_key(rule: &str) -> Vec<(u64, String)> {
    rule.split('.')
        .map(|part| {
            let digits: String = part.chars().filter(char::is_ascii_digit).collect();
            (digits.parse().unwrap_or(u64::MAX), part.to_string())
        })
        .collect()
}

/// Totals of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Totals {
    /// Vectors that passed.
    pub passed: usize,
    /// Vectors that failed.
    pub failed: usize,
}

impl Totals {
    /// Counts outcomes.
    pub fn of(outcomes: &[Outcome]) -> Totals {
        let failed = outcomes.iter().filter(|o| o.failure.is_some()).count();
        Totals {
            passed: outcomes.len() - failed,
            failed,
        }
    }
}

impl fmt::Display for Totals {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} passed, {} failed", self.passed, self.failed)
    }
}

/// Which vectors to run.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Keep vectors whose id contains this text.
    pub id_contains: Option<String>,
    /// Keep vectors citing this rule (exact, e.g. `§3`) or carrying this flag.
    pub rule_or_flag: Option<String>,
}

impl Selection {
    /// True when `v` is selected.
    pub fn keeps(&self, v: &Vector) -> bool {
        self.id_contains
            .as_deref()
            .is_none_or(|needle| v.id.contains(needle))
            && self
                .rule_or_flag
                .as_deref()
                .is_none_or(|r| v.rules.iter().chain(&v.flags).any(|x| x == r))
    }
}

/// Runs `answer` over the selected vectors on `jobs` threads; outcomes come
/// back in file order.
pub fn run_all(
    file: &VectorFile,
    selection: &Selection,
    strictness: Strictness,
    jobs: usize,
    answer: impl Fn(&[u8]) -> Result<Answer, RunError> + Sync,
) -> Vec<Outcome> {
    let selected: Vec<&Vector> = file.vectors.iter().filter(|v| selection.keeps(v)).collect();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut results: Vec<Option<Outcome>> = vec![None; selected.len()];
    let slots = std::sync::Mutex::new(&mut results);
    std::thread::scope(|scope| {
        for _ in 0..jobs.max(1).min(selected.len().max(1)) {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(v) = selected.get(i) else { break };
                let failure = check_vector(v, strictness, &answer).err();
                let outcome = Outcome {
                    id: v.id.clone(),
                    rules: v.rules.clone(),
                    failure,
                };
                if let Ok(mut slots) = slots.lock() {
                    slots[i] = Some(outcome);
                }
            });
        }
    });
    results.into_iter().flatten().collect()
}

/// Checks one vector with `answer`; `Err` is the failure description.
pub fn check_vector(
    v: &Vector,
    strictness: Strictness,
    answer: impl Fn(&[u8]) -> Result<Answer, RunError>,
) -> Result<(), String> {
    let input = v.input_bytes().map_err(|e| e.to_string())?;
    let expected = v.expectation().map_err(|e| e.to_string())?;
    let actual = answer(&input).map_err(|e| e.to_string())?;
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
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e.to_string()))?;
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
        assert_eq!(
            VectorFile::from_json(text).unwrap_err(),
            VectorError::BadExpectation("x".into())
        );
        let text = r#"{"version":"1","vectors":[
            {"id":"x","input_b64":"","expected":{"valid":false,"code":"E101","offset":0}},
            {"id":"x","input_b64":"","expected":{"valid":false,"code":"E101","offset":0}}]}"#;
        assert_eq!(
            VectorFile::from_json(text).unwrap_err(),
            VectorError::DuplicateId("x".into())
        );
    }

    #[test]
    fn subprocess_protocol_and_failures() {
        let ok = run_engine(
            r#"cat >/dev/null; echo '{"valid":false,"code":"E101","offset":0}'"#,
            b"x",
            Duration::from_secs(10),
        )
        .unwrap();
        assert_eq!(ok, invalid("E101", Some(0)));
        assert!(matches!(
            run_engine("echo not json", b"", Duration::from_secs(10)),
            Err(RunError::BadOutput { .. })
        ));
        assert!(matches!(
            run_engine("exit 3", b"", Duration::from_secs(10)),
            Err(RunError::Failed { .. })
        ));
        assert!(matches!(
            run_engine("sleep 5", b"", Duration::from_millis(200)),
            Err(RunError::Timeout(_))
        ));
    }
}

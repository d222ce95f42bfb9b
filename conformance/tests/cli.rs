//! The `scl-conformance` binary end to end, run from an empty directory (the
//! vectors are built in): broken engines are reported as failures with a
//! non-zero exit, both suites, `--vectors`, `--rule`, `--report`, `export`.

extern crate aiid_conformance as conformance;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_scl-conformance");

/// A fresh empty directory under the system temp dir.
fn empty_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("scl-conformance-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn last_line(o: &Output) -> String {
    stdout(o).lines().last().unwrap_or_default().to_owned()
}

#[test]
fn hanging_engine_times_out_and_fails() {
    let dir = empty_dir("hang");
    for suite in ["scl", "passport"] {
        let started = Instant::now();
        let o = run(
            &dir,
            &[
                "--suite",
                suite,
                "--engine",
                "sleep 30",
                "--timeout-ms",
                "300",
                "--filter",
                "valid-",
                "-j",
                "8",
            ],
        );
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "{suite}: too slow"
        );
        assert_eq!(o.status.code(), Some(1), "{suite}: {o:?}");
        let out = stdout(&o);
        assert!(
            out.contains("no answer within 300ms (killed)"),
            "{suite}: {out}"
        );
        assert!(last_line(&o).starts_with("0 passed, "), "{suite}: {out}");
    }
}

#[test]
fn garbage_output_fails() {
    let dir = empty_dir("garbage");
    for suite in ["scl", "passport"] {
        let o = run(
            &dir,
            &[
                "--suite",
                suite,
                "--engine",
                "cat >/dev/null; echo garbage",
                "--filter",
                "valid-",
            ],
        );
        assert_eq!(o.status.code(), Some(1), "{suite}: {o:?}");
        let out = stdout(&o);
        assert!(
            out.contains("engine output is not a protocol JSON object"),
            "{suite}: {out}"
        );
        assert!(last_line(&o).starts_with("0 passed, "), "{suite}: {out}");
    }
    // An engine with nothing to say: the passport protocol needs a line.
    let o = run(
        &dir,
        &[
            "--suite", "passport", "--engine", "exit 0", "--filter", "expired",
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("no result line"), "{}", stdout(&o));
    // SCL engines must exit 0.
    let o = run(
        &dir,
        &[
            "--engine",
            "echo oops >&2; exit 7",
            "--filter",
            "golden-test-valid",
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o).contains("exit status: 7; stderr: oops"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn wrong_answers_fail_and_right_ones_pass() {
    let dir = empty_dir("wrong");
    // Always "E101 at 0": right for exactly the vectors that expect it.
    let scl = r#"cat >/dev/null; echo '{"valid":false,"code":"E101","offset":0}'"#;
    let o = run(&dir, &["--engine", scl, "--rule", "§7"]);
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    let out = stdout(&o);
    assert!(
        out.contains("FAIL golden-test-valid: expected valid (sha256 56e66666"),
        "{out}"
    );
    assert!(last_line(&o).starts_with("0 passed, "), "{out}");
    let expected_e101_at_0 = conformance::VectorFile::scl_v1()
        .unwrap()
        .vectors
        .iter()
        .filter(|v| v.expected.code.as_deref() == Some("E101") && v.expected.offset == Some(0))
        .count();
    assert!(expected_e101_at_0 > 0);
    let o = run(&dir, &["--engine", scl, "-j", "4"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        last_line(&o).starts_with(&format!("{expected_e101_at_0} passed, ")),
        "{}",
        last_line(&o)
    );

    // Passport: always "expired" (and exit 1, which the protocol ignores).
    let pp = r#"cat >/dev/null; echo '{"valid":false,"error":"expired","message":"x"}'; exit 1"#;
    let o = run(
        &dir,
        &["--suite", "passport", "--engine", pp, "--rule", "expired"],
    );
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    assert_eq!(last_line(&o), "1 passed, 0 failed");
    let o = run(
        &dir,
        &[
            "--suite",
            "passport",
            "--engine",
            pp,
            "--filter",
            "valid-basic",
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o).contains("FAIL valid-basic: expected valid, engine says invalid: expired: x"),
        "{}",
        stdout(&o)
    );
    assert_eq!(last_line(&o), "0 passed, 1 failed");
}

#[test]
fn request_line_reaches_the_engine() {
    // The engine answers valid only when it received the RFC 8037 request.
    let dir = empty_dir("request");
    let engine = r#"if grep -q '"layer":"signature","token":"eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc.' ; then echo '{"valid":true,"payload_b64":"RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc"}'; else echo '{"valid":false,"error":"bad_request"}'; fi"#;
    let o = run(
        &dir,
        &[
            "--suite",
            "passport",
            "--engine",
            engine,
            "--filter",
            "rfc8037-a4-a5",
        ],
    );
    assert_eq!(last_line(&o), "1 passed, 0 failed", "{o:?}");
}

#[test]
fn vectors_file_report_and_export() {
    let dir = empty_dir("files");
    let o = run(&dir, &["export", "out", "--suite", "passport"]);
    assert!(o.status.success(), "{o:?}");
    let request = std::fs::read_to_string(dir.join("out/expired.request.json")).unwrap();
    assert!(request.starts_with(r#"{"layer":"passport","token":"#) && request.ends_with("}\n"));
    assert!(request.contains(r#""now":1714698060"#), "{request}");
    let expected = std::fs::read_to_string(dir.join("out/expired.expected.json")).unwrap();
    assert!(expected.contains(r#""error": "expired""#), "{expected}");

    // A one-vector file of our own.
    let file = serde_json::json!({
        "version": 1,
        "defaults": {"now": 1, "jwks": {"keys": []}, "policy": {"issuers": ["i"], "audience": "a"}},
        "vectors": [{"id": "mine", "rule": "r", "token": "t", "expect": {"valid": false, "error": "malformed_token"}}]
    });
    std::fs::write(dir.join("mine.json"), file.to_string()).unwrap();
    let engine = r#"grep -q '"token":"t"' && echo '{"valid":false,"error":"malformed_token"}'"#;
    let o = run(
        &dir,
        &[
            "--suite",
            "passport",
            "--vectors",
            "mine.json",
            "--engine",
            engine,
            "--report",
            "r.json",
        ],
    );
    assert_eq!(last_line(&o), "1 passed, 0 failed", "{o:?}");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("r.json")).unwrap()).unwrap();
    assert_eq!(report["suite"], "passport");
    assert_eq!(report["totals"]["passed"], 1);

    // Malformed files and flags are usage errors (exit 2), not failures.
    std::fs::write(
        dir.join("bad.json"),
        r#"{"version":1,"vectors":[{"id":"x"}]}"#,
    )
    .unwrap();
    let o = run(
        &dir,
        &[
            "--suite",
            "passport",
            "--vectors",
            "bad.json",
            "--engine",
            "true",
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("bad.json: vector file is not valid"));
    let o = run(
        &dir,
        &["--suite", "passport", "--codes-only", "--engine", "true"],
    );
    assert_eq!(o.status.code(), Some(2));
    let o = run(&dir, &["--suite", "passport"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn python_engine_passes_the_golden_documents() {
    let engine = Path::new(env!("CARGO_MANIFEST_DIR")).join("engines/python/scl_engine.py");
    if Command::new("python3").arg("--version").output().is_err() {
        println!("skipped: python3 not found");
        return;
    }
    let dir = empty_dir("python");
    let cmd = format!("python3 '{}'", engine.display());
    let o = run(
        &dir,
        &["--engine", &cmd, "--rule", "golden", "--report", "r.md"],
    );
    assert!(o.status.success(), "{o:?}");
    let last = last_line(&o);
    assert!(
        last.ends_with(" passed, 0 failed") && !last.starts_with("0 "),
        "{last}"
    );
    let md = std::fs::read_to_string(dir.join("r.md")).unwrap();
    assert!(md.starts_with("# SCL:V1 conformance report"), "{md}");
}

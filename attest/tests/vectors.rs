//! Runs `spec/vectors/attestation.json` through this crate, and through any
//! other engine named by `AIID_ATTEST_ENGINE` (a shell-free command line,
//! e.g. `python3 spec/vectors/tools/attest_engine.py`).

use aiid_attest::conformance::{run_vectors, VectorOutcome};
use serde_json::Value;
use std::path::PathBuf;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn vectors() -> Value {
    let text = std::fs::read_to_string(root().join("spec/vectors/attestation.json"))
        .expect("spec/vectors/attestation.json");
    serde_json::from_str(&text).expect("vectors JSON")
}

fn assert_all_pass(outcomes: &[VectorOutcome], engine: &str) {
    let failures: Vec<String> = outcomes
        .iter()
        .filter_map(|o| o.failure.as_ref().map(|f| format!("{}: {f}", o.id)))
        .collect();
    assert!(
        failures.is_empty(),
        "{engine}: {} of {} vectors fail:\n{}",
        failures.len(),
        outcomes.len(),
        failures.join("\n")
    );
    println!("{engine}: {} vectors pass", outcomes.len());
}

#[test]
fn every_vector_passes_in_this_crate() {
    let file = vectors();
    let outcomes = run_vectors(&file, None).expect("run");
    assert!(outcomes.len() >= 30, "only {} vectors", outcomes.len());
    assert_all_pass(&outcomes, "aiid-attest");
}

#[test]
fn vectors_cover_the_required_cases() {
    let file = vectors();
    let vs = file["vectors"].as_array().expect("vectors");
    let ids: Vec<&str> = vs.iter().filter_map(|v| v["id"].as_str()).collect();
    for required in [
        "wrong-key",
        "tampered-payload",
        "subject-other-declaration",
        "passport-other-agent",
        "passport-expired",
        "wrong-payload-type",
        "missing-signature",
        "duplicate-envelope-member",
        "duplicate-statement-member",
    ] {
        assert!(ids.contains(&required), "missing vector {required}");
    }
    let mut unique = ids.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), ids.len(), "vector ids are unique");
    assert!(vs.iter().any(|v| v["expect"]["valid"] == true));
}

#[test]
fn an_invalid_vector_fails_when_expectations_are_flipped() {
    // The runner really compares: flipping one expectation makes it fail.
    let mut file = vectors();
    file["vectors"][0]["expect"] = serde_json::json!({"valid": false, "error": "bad_signature"});
    let outcomes = run_vectors(&file, None).expect("run");
    assert!(outcomes[0].failure.is_some());
}

#[test]
fn another_engine_when_configured() {
    let Ok(cmd) = std::env::var("AIID_ATTEST_ENGINE") else {
        println!("AIID_ATTEST_ENGINE not set: only this crate was checked");
        return;
    };
    // Relative paths in the command are relative to the repository root.
    std::env::set_current_dir(root()).expect("cd to the repository root");
    let argv: Vec<String> = cmd.split_whitespace().map(str::to_owned).collect();
    let outcomes = run_vectors(&vectors(), Some(&argv)).expect("run");
    assert_all_pass(&outcomes, &cmd);
}

//! Every passport vector against this project's verifier, in process, through
//! the same typed runner the `scl-conformance --suite passport` binary uses.

extern crate aiid_conformance as conformance;

use conformance::{
    InProcess, PassportAnswer, PassportRequest, PassportVectorFile, RunError, Selection,
};

/// The passport crate's side of the protocol, called directly.
fn our_answer(request: &PassportRequest) -> Result<PassportAnswer, RunError> {
    let value =
        serde_json::to_value(request).map_err(|e| RunError::bad_output(e.to_string(), b""))?;
    let result = passport::conformance::respond(&value);
    serde_json::from_value(result.clone())
        .map_err(|e| RunError::bad_output(e.to_string(), result.to_string().as_bytes()))
}

#[test]
fn every_passport_vector_passes_in_process() {
    let file = PassportVectorFile::shipped().unwrap();
    let outcomes = file.run(&Selection::default(), 4, &InProcess::passport(our_answer));
    assert_eq!(outcomes.len(), file.vectors.len());
    let failed: Vec<String> = outcomes
        .iter()
        .filter_map(|o| o.failure.as_ref().map(|f| format!("{}: {f}", o.id)))
        .collect();
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}

#[test]
fn a_verifier_that_accepts_everything_fails_every_refusal() {
    let file = PassportVectorFile::shipped().unwrap();
    let lenient = InProcess::passport(|r: &PassportRequest| {
        let mut answer = our_answer(r)?;
        if !answer.valid {
            answer = PassportAnswer::valid_claims(serde_json::Map::new());
        }
        Ok(answer)
    });
    let outcomes = file.run(&Selection::default(), 4, &lenient);
    let refusals = file.vectors.iter().filter(|v| !v.expect.valid).count();
    let failed = outcomes.iter().filter(|o| o.failure.is_some()).count();
    assert!(refusals > 50);
    assert_eq!(failed, refusals);
    let selection = Selection {
        rule_or_flag: Some("expired".into()),
        ..Selection::default()
    };
    let expired = file.run(&selection, 1, &lenient);
    assert_eq!(expired.len(), 1);
    assert!(expired[0]
        .failure
        .as_deref()
        .unwrap()
        .contains("expected expired, engine says valid"));
}

//! `aiid engine` through the conformance protocol: every SCL:V1 vector, each
//! in its own `aiid engine` process, compared by the conformance runner.

use std::time::Duration;

use conformance::{Selection, Strictness, Subprocess, Totals, VectorFile};

#[test]
fn aiid_engine_passes_every_vector_through_the_subprocess_protocol() {
    let file = VectorFile::scl_v1().unwrap();
    let engine = Subprocess::new(format!("'{}' engine", env!("CARGO_BIN_EXE_aiid")))
        .timeout(Duration::from_secs(30));
    let outcomes = file.run(&Selection::default(), Strictness::Full, 4, &engine);
    let failures: Vec<String> = outcomes
        .iter()
        .filter_map(|o| o.failure.as_ref().map(|f| format!("{}: {f}", o.id)))
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(Totals::of(&outcomes).passed, file.vectors.len());
}

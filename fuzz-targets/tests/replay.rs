//! Replays every committed fuzz input through its target function on the
//! stable toolchain: each file of `fuzz/corpus/<target>/` (seed corpora) and
//! `fuzz/regressions/<target>/` (inputs that once crashed a target), for every
//! target of [`fuzz_targets::TARGETS`]. A failing file is named in the output.
//!
//! With `FUZZ_REPLAY_GROWN=1`, the git-ignored corpora grown by long
//! campaigns (`fuzz/corpus-grown/<target>/`) are replayed too: useful after
//! adding a property to a target, to check it against everything a fuzzer has
//! already found.

use std::fs;
use std::panic;
use std::path::{Path, PathBuf};

/// The `fuzz/` directory of the workspace.
fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz")
}

/// The files directly inside `dir` (none if it does not exist), sorted.
fn files_in(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .map(|e| e.expect("readable directory entry").path())
        .filter(|p| p.is_file())
        .filter(|p| {
            !p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'))
        })
        .collect();
    files.sort();
    files
}

/// Runs `kind` (`corpus` or `regressions`) for every target; returns the
/// number of files replayed. Panics listing every failing file.
fn replay(kind: &str) -> usize {
    let mut count = 0;
    let mut failures = Vec::new();
    for &(name, target) in fuzz_targets::TARGETS {
        for file in files_in(&fuzz_dir().join(kind).join(name)) {
            let data = match fs::read(&file) {
                Ok(data) => data,
                // A running fuzzer replaces grown-corpus files as it reduces them.
                Err(_) if kind == "corpus-grown" => continue,
                Err(e) => panic!("cannot read {}: {e}", file.display()),
            };
            count += 1;
            if panic::catch_unwind(|| target(&data)).is_err() {
                failures.push(format!("{name}: {}", file.display()));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failing input(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
    eprintln!("replayed {count} {kind} file(s)");
    count
}

#[test]
fn seed_corpora() {
    let count = replay("corpus");
    assert!(
        count > 0,
        "no corpus files found under {}",
        fuzz_dir().display()
    );
}

#[test]
fn regressions() {
    replay("regressions");
}

#[test]
fn grown_corpora_when_asked() {
    if std::env::var_os("FUZZ_REPLAY_GROWN").is_some() {
        replay("corpus-grown");
    }
}

#[test]
fn every_target_has_a_fuzz_target_file_and_a_corpus() {
    for &(name, _) in fuzz_targets::TARGETS {
        let wrapper = fuzz_dir().join("fuzz_targets").join(format!("{name}.rs"));
        assert!(wrapper.is_file(), "missing {}", wrapper.display());
        assert!(
            !files_in(&fuzz_dir().join("corpus").join(name)).is_empty(),
            "empty seed corpus for {name}"
        );
    }
}

#!/usr/bin/env bash
# Mutation testing of the SCL:V1 engine (scl-parse, scl-canon) with the
# conformance vectors as the test set: each mutant of the engine is built and
# judged only by `cargo test -p aiid-conformance` (the 704 vectors, in process).
# A surviving mutant is a behaviour no vector pins down.
#
#   scripts/mutants.sh                 # full run, results in mutants.out/
#   scripts/mutants.sh --list          # just list the mutants
#
# The test package is set in .cargo/mutants.toml (test_package = aiid-conformance).
# Run it on a clean checkout: cargo-mutants copies the whole tree first.
# Installs cargo-mutants itself (pinned) when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO_MUTANTS_VERSION=27.1.0
if ! cargo mutants --version >/dev/null 2>&1; then
  cargo install cargo-mutants --locked --version "$CARGO_MUTANTS_VERSION"
fi

exec cargo mutants \
  --package scl-parse --package scl-canon \
  --timeout 120 \
  "$@"

#!/bin/bash -eu
# OSS-Fuzz build script for aiid (copy to projects/aiid/ in google/oss-fuzz).
#
# OSS-Fuzz runs it inside the Dockerfile's image with $SRC (sources) and $OUT
# (where fuzzers, seed corpora, dictionaries and options go) set. To try the
# build steps without Docker:
#   SRC=/path/to/parent-of-checkout OUT=$(mktemp -d) bash fuzz/oss-fuzz/build.sh
# (with nightly Rust and cargo-fuzz installed; locally `cargo` may need to be
# `cargo +nightly`, which CARGO_FUZZ overrides).

PROJECT_DIR=${PROJECT_DIR:-$SRC/aiid}
CARGO_FUZZ=${CARGO_FUZZ:-cargo fuzz}
cd "$PROJECT_DIR"
# dict_for: each target's dictionary (shared with fuzz/smoke.sh and campaign.sh).
. fuzz/dict.sh

# -O: release mode; --debug-assertions keeps overflow checks and
# debug_assert! on, which is what a fuzzer wants.
$CARGO_FUZZ build -O --debug-assertions

FUZZ_TARGET_OUTPUT_DIR=fuzz/target/x86_64-unknown-linux-gnu/release
for src in fuzz/fuzz_targets/*.rs; do
  target=$(basename "${src%.rs}")
  cp "$FUZZ_TARGET_OUTPUT_DIR/$target" "$OUT/"

  # Seed corpus: $OUT/<target>_seed_corpus.zip (flat, as OSS-Fuzz expects).
  if [ -d "fuzz/corpus/$target" ]; then
    (cd "fuzz/corpus/$target" && zip -q -j -r "$OUT/${target}_seed_corpus.zip" .)
  fi

  # Dictionary and libFuzzer options: $OUT/<target>.dict, $OUT/<target>.options.
  cp "fuzz/$(dict_for "$target")" "$OUT/$target.dict"
  printf '[libfuzzer]\nmax_len = 4096\ntimeout = 10\n' >"$OUT/$target.options"
done

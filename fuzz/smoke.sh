#!/usr/bin/env bash
# Short fuzz smoke run of every target, for CI (called from .ci/run).
#
# - Skips (exit 0, with a message) when no nightly toolchain is available:
#   cargo-fuzz needs nightly. The stable replay test
#   (`cargo test -p fuzz-targets`) still runs every committed input.
# - Installs cargo-fuzz if it is missing (time-bounded).
# - Builds all targets once, then runs each for SMOKE_SECONDS (default 10)
#   from its seed corpus, as many at once as there are cores; new inputs go
#   to a temporary directory, never into the committed corpus. A crash fails
#   the script (non-zero exit) and leaves the input in
#   fuzz/artifacts/<target>/.
# Budget on a 2-core machine: about 1 minute with a warm build cache, under
# 6 minutes from scratch.
set -euo pipefail
cd "$(dirname "$0")"
. ./dict.sh

SMOKE_SECONDS=${SMOKE_SECONDS:-10}
SMOKE_RUNS=${SMOKE_RUNS:-2000000}

if ! cargo +nightly --version >/dev/null 2>&1; then
  echo "fuzz smoke: SKIPPED (no nightly toolchain; install one with 'rustup toolchain install nightly')"
  exit 0
fi

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "fuzz smoke: installing cargo-fuzz"
  timeout 600 cargo install cargo-fuzz --locked --quiet
fi

echo "fuzz smoke: building targets"
timeout 900 cargo +nightly fuzz build -O

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

# One target per core at a time (each libFuzzer run uses one); the results
# are printed in a fixed order once all have run.
jobs=$(nproc 2>/dev/null || echo 1)
run_one() {
  local target=$1 dict
  dict=$(dict_for "$target")
  mkdir -p "$scratch/$target"
  if timeout $((SMOKE_SECONDS + 60)) cargo +nightly fuzz run -O "$target" \
    "$scratch/$target" "corpus/$target" -- \
    -max_total_time="$SMOKE_SECONDS" -runs="$SMOKE_RUNS" -dict="$dict" \
    -timeout=10 -rss_limit_mb=2048 -max_len=4096 -print_final_stats=1 \
    >"$scratch/$target.log" 2>&1; then
    echo ok >"$scratch/$target.status"
  else
    echo failed >"$scratch/$target.status"
  fi
}

targets=()
for src in fuzz_targets/*.rs; do
  targets+=("$(basename "${src%.rs}")")
done
for target in "${targets[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do
    wait -n || true
  done
  run_one "$target" &
done
wait

status=0
for target in "${targets[@]}"; do
  log="$scratch/$target.log"
  if [ "$(cat "$scratch/$target.status" 2>/dev/null)" = ok ]; then
    echo "fuzz smoke: $target ok: $(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -1)"
  else
    status=1
    echo "fuzz smoke: $target FAILED; last lines of its log:"
    tail -40 "$log"
  fi
done
exit "$status"

#!/usr/bin/env bash
# Long fuzzing campaign for one or more targets, one libFuzzer process at a
# time (this machine is shared). Usage:
#   fuzz/campaign.sh SECONDS TARGET [TARGET...]
# Each target runs for SECONDS of wall time in total, growing
# fuzz/corpus-grown/TARGET (git-ignored) from the seeds in fuzz/corpus/TARGET.
# After a crash the artifact is kept in fuzz/artifacts/TARGET/ and fuzzing
# resumes for the remaining time (at most 5 restarts). Logs go to
# fuzz/corpus-grown/logs/TARGET.log; the last "DONE"/crash lines are what
# fuzz/CAMPAIGNS.md records.
set -euo pipefail
cd "$(dirname "$0")"
. ./dict.sh
seconds=$1
shift
mkdir -p corpus-grown/logs
for target in "$@"; do
  dict=$(dict_for "$target")
  mkdir -p "corpus-grown/$target"
  log="corpus-grown/logs/$target.log"
  : >"$log"
  end=$((SECONDS + seconds))
  restarts=0
  while ((SECONDS < end && restarts <= 5)); do
    left=$((end - SECONDS))
    echo "=== $(date -u +%FT%TZ) run $restarts of $target for ${left}s" >>"$log"
    if cargo +nightly fuzz run -O "$target" "corpus-grown/$target" "corpus/$target" -- \
      -max_total_time="$left" -dict="$dict" -print_final_stats=1 -timeout=10 \
      -rss_limit_mb=2048 -max_len=4096 >>"$log" 2>&1; then
      break
    fi
    restarts=$((restarts + 1))
    echo "=== crash or failure, restart $restarts" >>"$log"
  done
  echo "=== $(date -u +%FT%TZ) finished $target" >>"$log"
done

#!/usr/bin/env bash
# Fleet load run (also `run-load.sh --postgres`):
# Usage: registry-server/bench/run-fleet-load.sh [CONNECTIONS] [SECONDS]
#
# In one run, first the baseline (one replica on SQLite), then two replicas
# over one PostgreSQL database (a throwaway cluster on loopback, fsync on,
# started by registry-server/scripts/pg-throwaway.sh); for each: verify
# (connections spread round-robin over the replicas), issue and revoke
# throughput with p50/p99 over all connections; then the ratios PostgreSQL
# fleet / SQLite baseline. Everything (replicas, PostgreSQL, generator) shares
# this machine's cores.
set -euo pipefail
cd "$(dirname "$0")/../.."
CONNS="${1:-8}"
SECS="${2:-10}"
TARGET="${CARGO_TARGET_DIR:-target}"
cargo build --release -q -p aiid-registry-server --bins -p aiid-cli
BIN="$TARGET/release"
WORK="$(mktemp -d)"
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  # Closing the cluster script's stdin stops and removes the cluster.
  if [[ -n "${PG_PID:-}" ]]; then eval "exec ${PG_W}>&-" 2>/dev/null || true; wait "$PG_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
NOLIMIT=(--rate-limit-unauthenticated 0 --rate-limit-verify 0 --rate-limit-whois 0)

# start_server NAME STORAGE-ARGS…: starts registry-server, sets $URL.
start_server() {
  local name="$1"; shift
  "$BIN/registry-server" --listen 127.0.0.1:0 "$@" --issuer http://registry.bench "${NOLIMIT[@]}" \
    >"$WORK/$name.out" 2>"$WORK/$name.err" &
  PIDS+=($!)
  for _ in $(seq 1 200); do
    grep -q '^listening on ' "$WORK/$name.out" 2>/dev/null && break
    sleep 0.05
  done
  URL="$(awk '/^listening on /{print $3; exit}' "$WORK/$name.out")"
  [[ -n "$URL" ]] || { cat "$WORK/$name.err" >&2; exit 1; }
}

# run_all LABEL URL…: verify, issue, revoke against the given replicas.
run_all() {
  local label="$1"; shift
  local urls=()
  for u in "$@"; do urls+=(--url "$u"); done
  for mode in verify issue revoke; do
    "$BIN/registry-fleet-load" "${urls[@]}" --mode "$mode" --api-key "$KEY" --identity "$ID" \
      --connections "$CONNS" --duration "$SECS" | sed "s/^/$label /" | tee -a "$WORK/results"
  done
}

echo "== baseline: one replica on SQLite"
STORE=(--data "$WORK/data")
ID="$("$BIN/aiid" registry admin "${STORE[@]}" identity create --operator "Load Test Ltd." --tier business_verified | awk '{print $NF}')"
KEY="$("$BIN/aiid" registry admin "${STORE[@]}" api-key create --scope passport:issue --scope identity:revoke | awk '{print $NF}')"
start_server sqlite "${STORE[@]}"
run_all sqlite-1 "$URL"
kill "${PIDS[0]}"; wait "${PIDS[0]}" 2>/dev/null || true; PIDS=()

echo "== two replicas over one PostgreSQL database"
coproc PGC { bash registry-server/scripts/pg-throwaway.sh; }
PG_PID=$PGC_PID
PG_W="${PGC[1]}"
read -r READY DBURL <&"${PGC[0]}" || { echo "the PostgreSQL cluster did not start" >&2; exit 1; }
[[ "$READY" == ready ]] || { echo "unexpected: $READY $DBURL" >&2; exit 1; }
STORE=(--database "$DBURL")
ID="$("$BIN/aiid" registry admin "${STORE[@]}" identity create --operator "Load Test Ltd." --tier business_verified | awk '{print $NF}')"
KEY="$("$BIN/aiid" registry admin "${STORE[@]}" api-key create --scope passport:issue --scope identity:revoke | awk '{print $NF}')"
start_server pg-a "${STORE[@]}"; URL_A="$URL"
start_server pg-b "${STORE[@]}"; URL_B="$URL"
echo "replicas $URL_A $URL_B over $DBURL"
run_all pg-2 "$URL_A" "$URL_B"

echo "== ratios (two PostgreSQL replicas / one SQLite replica, same run)"
awk '
  { lab=$1; for (i=2;i<=NF;i++) { split($i,kv,"="); v[lab,kv[1]]=kv[2] }; m=v[lab,"mode"]; r[lab,m]=v[lab,"req/s"] }
  END { split("verify issue revoke", ms, " ");
        for (i=1;i<=3;i++) { m=ms[i]; if (r["sqlite-1",m] > 0) printf "%s: %.0f / %.0f req/s = %.2f\n", m, r["pg-2",m], r["sqlite-1",m], r["pg-2",m]/r["sqlite-1",m] } }
' "$WORK/results"

#!/usr/bin/env bash
# Starts a registry on loopback (fresh data dir), issues one passport, drives
# POST /api/v1/verify from a second process, prints req/s and p50/p99, stops.
# Usage: registry-server/bench/run-load.sh [CONNECTIONS] [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/../.."
CONNS="${1:-8}"
SECS="${2:-10}"
TARGET="${CARGO_TARGET_DIR:-target}"
cargo build --release -q -p aiid-registry-server --bins -p aiid-cli
BIN="$TARGET/release"
WORK="$(mktemp -d)"
cleanup() {
  if [[ -n "${SERVER_PID:-}" ]]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
ID="$("$BIN/aiid" registry admin --data "$WORK/data" identity create --operator "Load Test Ltd." --tier business_verified | awk '{print $NF}')"
KEY="$("$BIN/aiid" registry admin --data "$WORK/data" api-key create --scope passport:issue | awk '{print $NF}')"
"$BIN/registry-server" --listen 127.0.0.1:0 --data "$WORK/data" \
  --rate-limit-unauthenticated 0 --rate-limit-verify 0 --rate-limit-whois 0 >"$WORK/server.out" &
SERVER_PID=$!
for _ in $(seq 1 100); do
  grep -q '^listening on ' "$WORK/server.out" 2>/dev/null && break
  sleep 0.1
done
URL="$(awk '/^listening on /{print $3; exit}' "$WORK/server.out")"
echo "server $URL (pid $SERVER_PID), identity $ID"
"$BIN/registry-load" --url "$URL" --api-key "$KEY" --identity "$ID" --connections "$CONNS" --duration "$SECS"

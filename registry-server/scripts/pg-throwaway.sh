#!/usr/bin/env bash
# A throwaway PostgreSQL cluster on 127.0.0.1 for tests, benchmarks and trying
# the registry by hand. It lives in a fresh temporary directory and is stopped
# and removed when this script's standard input closes (so a test binary that
# spawns it with a pipe cleans it up even when it is killed), or on Ctrl-C.
#
# Usage: registry-server/scripts/pg-throwaway.sh [PORT] [-- EXTRA POSTGRES OPTIONS]
#   PORT defaults to a free port. Once the server accepts connections it prints
#   one line:  ready postgres://postgres@127.0.0.1:PORT/postgres
#   Exit 3 (with "absent: …" on stderr) when initdb/pg_ctl are not installed.
#
# initdb refuses to run as root, so as root the cluster runs as the
# `postgres` system user (created by the Debian packages).
set -euo pipefail

PORT="${1:-}"
shift || true
[[ "${1:-}" == "--" ]] && shift
EXTRA=("$@")

find_bin() {
  local name="$1" found
  if found="$(command -v "$name" 2>/dev/null)"; then echo "$found"; return 0; fi
  # Debian keeps the server binaries off the PATH.
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k4 -n -r); do
    if [[ -x "$d/$name" ]]; then echo "$d/$name"; return 0; fi
  done
  return 1
}

INITDB="$(find_bin initdb)" || { echo "absent: initdb not found (install postgresql)" >&2; exit 3; }
PG_CTL="$(find_bin pg_ctl)" || { echo "absent: pg_ctl not found (install postgresql)" >&2; exit 3; }

if [[ -z "$PORT" ]]; then
  PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null)" \
    || PORT=$(( 20000 + RANDOM % 20000 ))
fi

AS=()
if [[ "$(id -u)" == 0 ]]; then
  id postgres >/dev/null 2>&1 || { echo "running as root and there is no postgres user to run initdb as" >&2; exit 1; }
  AS=(runuser -u postgres --)
fi

DIR="$(mktemp -d "${TMPDIR:-/tmp}/aiid-pg.XXXXXX")"
chmod 0755 "$DIR"
[[ ${#AS[@]} -gt 0 ]] && chown postgres "$DIR"

stop() {
  "${AS[@]}" "$PG_CTL" -D "$DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$DIR"
}
trap stop EXIT
trap 'exit 130' INT TERM

"${AS[@]}" "$INITDB" -D "$DIR/data" -U postgres -A trust -E UTF8 --locale=C --no-sync >"$DIR/initdb.log" 2>&1 \
  || { cat "$DIR/initdb.log" >&2; exit 1; }
OPTS="-p $PORT -k $DIR -c listen_addresses=127.0.0.1 -c max_connections=200 ${EXTRA[*]:-}"
"${AS[@]}" "$PG_CTL" -D "$DIR/data" -o "$OPTS" -l "$DIR/log" -w -t 60 start >/dev/null \
  || { cat "$DIR/log" >&2; exit 1; }
echo "ready postgres://postgres@127.0.0.1:$PORT/postgres"
# Wait until whoever started us goes away (stdin closes), or Ctrl-C.
while read -r _; do :; done

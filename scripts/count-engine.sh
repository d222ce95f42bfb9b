#!/usr/bin/env bash
# Instructions the streaming engine runs per declaration of KIB KiB (the
# shape of the in-process benchmark), without hashing: an exact count,
# unlike timings on a shared machine. Needs Valgrind (`apt-get install
# valgrind`).
#
#   scripts/count-engine.sh [N [KIB]]    (N documents, default 2000; KIB 1)
#
# It runs the `stream` bench binary of scl-hash twice under Callgrind
# (`--engine-only 0` and `--engine-only N KIB`) and prints the difference
# over N, in total and for the functions that take most of it. The engine
# is created and finished by value here, so the count includes one move of
# it (a `memcpy` of about 1 KiB) that `identity_streamed` does not make.
# SHA-256 is not counted: under Valgrind, `sha2` does not see the CPU's SHA
# extensions and would count its portable code instead.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-2000}
kib=${2:-1}
for v in "$n" "$kib"; do
  [[ $v =~ ^[1-9][0-9]{0,6}$ ]] || { echo "count-engine: N and KIB must be whole numbers from 1 to 9999999 (got '$v')" >&2; exit 2; }
done
command -v valgrind >/dev/null || { echo "count-engine: valgrind is not installed" >&2; exit 2; }
command -v callgrind_annotate >/dev/null || { echo "count-engine: callgrind_annotate (Valgrind) is not installed" >&2; exit 2; }
bin=$(cargo bench -p scl-hash --bench stream --no-run --message-format=json |
  python3 -c 'import json,sys
for l in sys.stdin:
    m=json.loads(l)
    if m.get("reason")=="compiler-artifact" and m.get("target",{}).get("name")=="stream" and m.get("executable"):
        print(m["executable"])')
[ -x "$bin" ] || { echo "count-engine: no bench binary" >&2; exit 1; }
dir=$(mktemp -d /tmp/count-engine.XXXXXX)
trap 'rm -rf "$dir"' EXIT
for k in 0 "$n"; do
  valgrind --tool=callgrind --callgrind-out-file="$dir/$k" "$bin" --engine-only "$k" "$kib" >/dev/null 2>&1
  callgrind_annotate --auto=no "$dir/$k" 2>/dev/null >"$dir/$k.txt"
done
python3 - "$n" "$kib" "$dir/0" "$dir/$n" <<'PY'
import collections, re, sys
n, kib = int(sys.argv[1]), sys.argv[2]
def total(path):
    for line in open(path):
        if line.startswith("summary:"):
            return int(line.split()[1])
    sys.exit("count-engine: no summary in " + path)
def counts(path):
    by = collections.Counter()
    for line in open(path):
        m = re.match(r"\s*([0-9,]+) \([ 0-9.]+%\)\s+(\S[^:]*):(.*?)(?: \[.*\])?$", line)
        if m:
            by[m.group(3).strip()] += int(m.group(1).replace(",", ""))
    return by
print("engine alone, %s KiB declaration: %d instructions per document (%d documents)"
      % (kib, (total(sys.argv[4]) - total(sys.argv[3])) // n, n))
by = counts(sys.argv[4] + ".txt")
by.subtract(counts(sys.argv[3] + ".txt"))
print("per document, by function (exclusive; the run of 0 documents subtracted):")
for name, c in by.most_common():
    if c / n >= 20:
        print("  %6d  %s" % (c / n, name[:110]))
PY

#!/usr/bin/env bash
# Compares `aiid hash` with `sha256sum` over a directory of many small
# declarations (default 100 000), and measures `aiid hash` peak memory on one
# large document (default 256 MiB). Prints wall times and max RSS; both tools
# run in the same session so that the comparison is fair on a noisy machine.
#
#   scripts/bench-hash-files.sh [COUNT] [LARGE_MIB]
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-100000}
large_mib=${2:-256}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cargo build --release --quiet
aiid=$PWD/target/release/aiid

echo "writing $count small declarations to $work/many"
python3 - "$work/many" "$count" <<'PY'
import os, sys
d, n = sys.argv[1], int(sys.argv[2])
os.makedirs(d)
for i in range(n):
    with open(os.path.join(d, f"f{i:06d}.scl"), "w") as f:
        f.write(f'SCL:V1\n\nhandles {{\n  model("m{i}","t=0")\n}}\nscl {{\nSummarise document {i}.\n}}')
PY
cd "$work/many"
for round in 1 2; do
  /usr/bin/time -f "round $round: sha256sum  %e s" sh -c 'ls | xargs sha256sum > /dev/null'
  /usr/bin/time -f "round $round: aiid hash  %e s" sh -c "ls | xargs '$aiid' hash > /dev/null"
done
cd - > /dev/null

echo "writing a ${large_mib} MiB declaration"
python3 - "$work/big.scl" "$large_mib" <<'PY'
import sys
path, mib = sys.argv[1], int(sys.argv[2])
head = 'SCL:V1\n\nhandles {\n  model("x")\n}\nscl {\n'
line = 'Summarise the attached report; quote "figures" exactly. Ünïcødé \\ ok\n'
with open(path, "w") as f:
    f.write(head)
    f.write(line * ((mib << 20) // len(line.encode())))
    f.write("}")
PY
ls -l "$work/big.scl" | awk '{print "input size:", $5, "bytes"}'
/usr/bin/time -f "aiid hash: max RSS %M KiB, %e s" "$aiid" hash "$work/big.scl"

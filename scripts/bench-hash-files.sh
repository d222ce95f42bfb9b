#!/usr/bin/env bash
# `aiid hash` against `sha256sum` over a directory of many small declarations
# (default 100 000): both get the same file list through `xargs -a LIST`
# (so listing and sorting the directory is not part of either), run as whole
# processes, interleaved, median of ROUNDS (default 5). Prints wall and CPU
# seconds and the ratio sha256sum / aiid (goal: >= 2). Then the peak RSS of
# `aiid hash` on one large document (default 256 MiB; 0 skips it).
#
#   scripts/bench-hash-files.sh [COUNT] [LARGE_MIB]
#
# The machine may be shared and noisy: read the ratio, not the times.
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-100000}
large_mib=${2:-256}
rounds=${ROUNDS:-5}
work=$(mktemp -d /tmp/aiid-bench-files.XXXXXX)
trap 'rm -rf "$work"' EXIT

cargo build --release --quiet --bin aiid
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
(cd "$work/many" && ls > "$work/list")
sync

# Same answers first: aiid's identity is SHA-256 of the canonical JSON, not
# of the file, so compare the file names and the count of lines only.
(cd "$work/many" && xargs -a "$work/list" "$aiid" hash | awk '{print $2}') > "$work/aiid.names"
cmp -s "$work/aiid.names" "$work/list" || { echo "bench-hash-files: aiid hash did not list every file in order"; exit 1; }

python3 -u - "$work" "$aiid" "$rounds" "$count" <<'PY'
import os, statistics, subprocess, sys, time
work, aiid, rounds, count = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])

def run(argv):
    t = time.perf_counter()
    p = subprocess.Popen(argv, cwd=f"{work}/many", stdout=subprocess.DEVNULL)
    _, status, ru = os.wait4(p.pid, 0)
    if status != 0:
        raise SystemExit(f"{argv} failed: status {status}")
    # xargs waits for its children: their CPU time is in RUSAGE_CHILDREN.
    return time.perf_counter() - t

def cpu():
    r = os.times()
    return r.children_user + r.children_system

ours, theirs, ours_cpu, theirs_cpu = [], [], [], []
for _ in range(rounds):
    c = cpu(); theirs.append(run(["xargs", "-a", f"{work}/list", "sha256sum"])); theirs_cpu.append(cpu() - c)
    c = cpu(); ours.append(run(["xargs", "-a", f"{work}/list", aiid, "hash"])); ours_cpu.append(cpu() - c)
m = statistics.median
print(f"{count} small files, median of {rounds}: sha256sum {m(theirs):.3f} s wall ({m(theirs_cpu):.2f} s CPU), "
      f"aiid hash {m(ours):.3f} s wall ({m(ours_cpu):.2f} s CPU): ratio {m(theirs) / m(ours):.2f} (goal >= 2)")
PY

if [ "$large_mib" = 0 ]; then
  exit 0
fi
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

#!/usr/bin/env bash
# What users run: `aiid hash FILE` (release build) against
# `openssl dgst -sha256` over the same document's canonical JSON, both as
# whole processes, interleaved, median of ROUNDS (default 5), in one run:
#
#   - 256 MiB raw-mode plain prose
#   - 256 MiB raw-mode prose heavy with `"`, `\`, é and emoji on every line
#   - 256 MiB quoted-mode lines
#   - 64 MiB of short handles
#
# For each: the wall-time ratio (openssl / aiid: 1.0 = as fast as openssl's
# SHA-256 over the canonical bytes; higher is better), the CPU-time ratio
# (user+sys; aiid uses two threads on large inputs, so its CPU time adds
# both), and the peak RSS of `aiid hash` (one more run, under GNU time:
# see scripts/peak_rss.py). Each timed process first has its input read once,
# untimed, so that both tools read from the page cache. Then the peak RSS of `aiid hash -`
# on a 4 GiB document streamed through stdin (skip: AIID_BENCH_SKIP_4G=1), and
# the in-process ratios for 1 KiB and 16 KiB documents (scl-hash bench
# `stream`), and `aiid hash` against `sha256sum` over 100 000 small files
# (scripts/bench-hash-files.sh; skip: AIID_BENCH_SKIP_FILES=1). Files go to
# a temporary directory under /tmp, removed at exit.
#
#   scripts/bench-cli.sh            (ROUNDS=5 by default)
#
# The machine this runs on may be shared and noisy: read the ratios, which
# compare runs made side by side, not the absolute times.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${ROUNDS:-5}
work=$(mktemp -d /tmp/aiid-bench-cli.XXXXXX)
trap 'rm -rf "$work"' EXIT

command -v openssl >/dev/null || { echo "bench-cli: openssl is required"; exit 1; }
cargo build --release --quiet --bin aiid
aiid=$PWD/target/release/aiid

python3 - "$work" <<'PY'
import sys
work = sys.argv[1]
MiB = 1 << 20
head = 'SCL:V1\n\nhandles {\n  model("provider:example","name:model-x")\n  params("temperature=0")\n}\nscl {\n'

def write(name, prefix, line, size, suffix):
    unit = line.encode()
    block = unit * max(1, (MiB // len(unit)))
    with open(f"{work}/{name}.scl", "wb") as f:
        written = f.write(prefix.encode())
        while written + len(block) <= size:
            written += f.write(block)
        while written + len(unit) <= size:
            written += f.write(unit)
        f.write(suffix.encode())

write("prose", head,
      "The analyst summarises the attached report for the board, keeping every figure exact.\n",
      256 * MiB, "}")
write("heavy", head,
      'He wrote "see C:\\data\\q3.csv" and a café résumé 😀 — "done" \\ ok\n',
      256 * MiB, "}")
write("quoted", head,
      '  "Summarise the report; keep figures exact \\ no estimates, é ok"\n',
      256 * MiB, "}")
with open(f"{work}/handles.scl", "wb") as f:
    f.write(b"SCL:V1\n\nhandles {\n")
    size, i, buf = 0, 0, []
    while size < 64 * MiB:
        line = f'  h{i}("a")\n'.encode()
        buf.append(line)
        size += len(line)
        i += 1
        if len(buf) >= 65536:
            f.write(b"".join(buf))
            buf = []
    f.write(b"".join(buf))
    f.write(b"}\nscl {\n}")
PY

shapes="prose heavy quoted handles"
for s in $shapes; do
  # Canonical JSON without the LF that `aiid canon` prints after it.
  "$aiid" canon "$work/$s.scl" | head -c -1 > "$work/$s.json"
  ours=$("$aiid" hash "$work/$s.scl" | cut -d' ' -f1)
  theirs=$(openssl dgst -sha256 -r "$work/$s.json" | cut -d' ' -f1)
  if [ "$ours" != "$theirs" ]; then
    echo "bench-cli: $s: aiid hash $ours != sha256(canonical) $theirs"
    exit 1
  fi
done

# Let the freshly written files reach the disk before anything is timed:
# writeback running under the measurement slows whichever process it hits.
sync

python3 -u - "$work" "$aiid" "$rounds" "$shapes" <<'PY'
import os, statistics, subprocess, sys, time
sys.path.insert(0, "scripts")
from peak_rss import peak_rss
work, aiid, rounds, shapes = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4].split()

WARM = bytearray(1 << 20)

def warm(path):
    """Reads `path` once, untimed. This VM's kernel pages out page-cache
    pages it thinks are idle (DAMON reclaim), so without this a timed run may
    read its input from disk or not, by chance, and the ratio measures I/O.
    Into one small buffer, so that this process stays small."""
    with open(path, "rb", buffering=0) as f:
        while f.readinto(WARM):
            pass

def run(argv):
    """Wall seconds and CPU seconds (user+sys) of one process."""
    warm(argv[-1])
    t = time.perf_counter()
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t
    if status != 0:
        raise SystemExit(f"{argv} failed: status {status}")
    return wall, ru.ru_utime + ru.ru_stime

print(f"aiid hash FILE vs openssl dgst -sha256 over the canonical JSON (median of {rounds}, whole processes)")
print("| document | input | canonical | aiid hash wall | openssl wall | wall ratio | CPU ratio | aiid peak RSS |")
print("|---|---|---|---|---|---|---|---|")
for s in shapes:
    doc, canon = f"{work}/{s}.scl", f"{work}/{s}.json"
    ours, theirs = [], []
    for _ in range(rounds):
        ours.append(run([aiid, "hash", doc]))
        theirs.append(run(["openssl", "dgst", "-sha256", canon]))
    med = lambda xs, k: statistics.median(x[k] for x in xs)
    mib = lambda path: os.path.getsize(path) / (1 << 20)
    print(f"| {s} | {mib(doc):.0f} MiB | {mib(canon):.0f} MiB | {med(ours, 0):.3f} s | {med(theirs, 0):.3f} s "
          f"| {med(theirs, 0) / med(ours, 0):.2f} | {med(theirs, 1) / med(ours, 1):.2f} "
          f"| {peak_rss([aiid, 'hash', doc])} |")
PY

if [ "${AIID_BENCH_SKIP_4G:-0}" != "1" ]; then
  python3 -u - "$aiid" <<'PY'
import subprocess, sys, threading
sys.path.insert(0, "scripts")
from peak_rss import start
aiid = sys.argv[1]
MiB = 1 << 20
p, peak = start([aiid, "hash", "-"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
def feed():
    head = b'SCL:V1\n\nhandles {\n  model("x")\n}\nscl {\n'
    line = 'Prose with "quotes", \\ and é 😀 on a 4 GiB stream.\n'.encode()
    block = line * (MiB // len(line))
    p.stdin.write(head)
    written = len(head)
    while written + len(block) <= 4096 * MiB:
        p.stdin.write(block)
        written += len(block)
    p.stdin.write(b"}")
    p.stdin.close()
t = threading.Thread(target=feed)
t.start()
out = p.stdout.read()
status = p.wait()
t.join()
ok = "valid" if status == 0 and len(out.split()) == 2 else f"status {status}"
print(f"4 GiB document through stdin: aiid hash - peak RSS {peak()} ({ok})")
PY
else
  echo "4 GiB document through stdin: skipped (AIID_BENCH_SKIP_4G=1)"
fi

echo "in process (cargo bench -p scl-hash --bench stream -- --quick):"
cargo bench --quiet -p scl-hash --bench stream -- --quick 2>/dev/null | sed 's/^/  /'

if [ "${AIID_BENCH_SKIP_FILES:-0}" != "1" ]; then
  echo "many small files (scripts/bench-hash-files.sh):"
  ROUNDS=$rounds bash scripts/bench-hash-files.sh 100000 0 | grep -v '^writing' | sed 's/^/  /'
fi

#!/usr/bin/env bash
# Times profiling, previewing and loading an acquisition file of N generated vendor rows
# (default 100,000) against a store that already holds a master of N rows of the same
# entities (the generator's 2N rows, split line by line), in a fresh SQLite store:
#   1. golden load of the master (for reference);
#   2. golden load --profile of the second file (one pass, no matching, nothing stored);
#   3. golden load --dry-run of it (the whole pipeline, nothing committed), with the time the
#      write lock was held;
#   4. golden load --commit-preview of it (the load itself), and how many rows it re-decided.
# Prints rows per second and peak memory of each.
#
#   bench/preview.sh [N]                          (builds the release binary first)
#   GOLDEN_BIN=path/to/golden bench/preview.sh [N]
#   DATABASE_URL=postgres://... bench/preview.sh [N]   (an empty PostgreSQL database)
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-100000}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/work/target-release}"
BIN="${GOLDEN_BIN:-$CARGO_TARGET_DIR/release/golden}"
[ -n "${GOLDEN_BIN:-}" ] || nice cargo build --release --locked --quiet --bin golden
OUT="bench/out/vendors_$((2 * N))"
[ -f "$OUT/records.csv" ] || python3 bench/gen_vendors.py "$((2 * N))" "$OUT"
DATA="$(mktemp -d)"
trap 'rm -rf "$DATA"' EXIT
export GOLDEN_DATA_DIR="$DATA" GOLDEN_RULES_DIR="$PWD/matching-rules"
python3 - "$OUT/records.csv" "$DATA/master.csv" "$DATA/acquired.csv" <<'PY'
import sys
source, master, acquired = sys.argv[1:]
with open(source) as f, open(master, "w") as m, open(acquired, "w") as a:
    header = f.readline()
    m.write(header)
    a.write(header)
    for n, line in enumerate(f):
        (m if n % 2 == 0 else a).write(line)
PY
python3 - "$BIN" "$DATA" <<'PY'
import json, resource, subprocess, sys, time
binary, data = sys.argv[1], sys.argv[2]
peak_before = 0.0

def run(label, args):
    global peak_before
    start = time.time()
    result = subprocess.run([binary, "load", "--domain", "vendor", *args],
                            capture_output=True, text=True)
    wall = time.time() - start
    if result.returncode != 0:
        sys.exit(f"{label} failed:\n{result.stderr}")
    # ru_maxrss of children is the largest child so far, not this one's alone.
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    note = f"peak memory {peak:.0f} MiB" if peak > peak_before else "peak memory below an earlier step's"
    peak_before = max(peak, peak_before)
    return result.stdout, wall, note

out, wall, mem = run("master load", ["--rejects", f"{data}/master.rejects.csv", f"{data}/master.csv"])
master = json.loads(out.strip().splitlines()[-1])
print(f"master load: {master['rows_read']} rows in {wall:.1f} s "
      f"({master['rows_read'] / wall:.0f} rows/s), {mem}")

out, wall, mem = run("profile", ["--profile", f"{data}/acquired.csv"])
profile = json.loads(out)
print(f"profile:     {profile['rows']} rows in {wall:.1f} s ({profile['rows'] / wall:.0f} rows/s), {mem}")

out, wall, mem = run("preview", ["--dry-run", "--rejects", f"{data}/preview.rejects.csv",
                                 f"{data}/acquired.csv"])
job = json.loads(out.strip().splitlines()[-1])
report = job["preview"]
print(f"preview:     {report['rows']} rows in {wall:.1f} s ({report['rows'] / wall:.0f} rows/s), "
      f"write lock held {report['serialized_seconds']:.1f} s, {mem}")
print(f"             would be: new {report['new']}, auto-linked {report['auto_linked']} "
      f"({report['within_file']} within the file), proposed {report['proposed']}, "
      f"rejected {report['rejected']}; near threshold {report['risks']['near_threshold']}, "
      f"identifier conflicts {report['risks']['identifier_conflict']}, "
      f"same source {report['risks']['same_source']}")

out, wall, mem = run("load", ["--commit-preview", job["id"], "--rejects",
                              f"{data}/load.rejects.csv", f"{data}/acquired.csv"])
load = json.loads(out.strip().splitlines()[-1])
print(f"load:        {load['rows_read']} rows in {wall:.1f} s ({load['rows_read'] / wall:.0f} rows/s), "
      f"write lock held {load['serialized_seconds']:.1f} s, {mem}")
print(f"             did: created {load['created']}, auto-linked {load['auto_linked']}, "
      f"proposed {load['proposed']}, rejected {load['rejected']}; "
      f"re-decided against the preview: {load['commit']['redecided']}")
PY

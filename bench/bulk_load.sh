#!/usr/bin/env bash
# Generates N vendor records (default 1,000,000; realistic duplicates over five source
# systems) and bulk-loads them with `golden load` into a fresh store, printing rows per second
# and peak memory.
#
#   bench/bulk_load.sh [N]                       (SQLite; builds target/release/golden first)
#   DATABASE_URL=postgres://... bench/bulk_load.sh [N]   (an empty PostgreSQL database)
#   GOLDEN_BIN=path/to/golden bench/bulk_load.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-1000000}"
OUT="bench/out/vendors_$N"
BIN="${GOLDEN_BIN:-target/release/golden}"
[ -n "${GOLDEN_BIN:-}" ] || cargo build --release --quiet --bin golden
[ -f "$OUT/records.csv" ] || python3 bench/gen_vendors.py "$N" "$OUT"
DATA="$(mktemp -d)"
trap 'rm -rf "$DATA"' EXIT
export GOLDEN_DATA_DIR="$DATA" GOLDEN_RULES_DIR="$PWD/matching-rules"
python3 - "$N" "$OUT" "$BIN" <<'PY'
import json, resource, subprocess, sys, time
n, out, binary = int(sys.argv[1]), sys.argv[2], sys.argv[3]
start = time.time()
result = subprocess.run(
    [binary, "load", "--domain", "vendor", "--rejects", f"{out}/rejects.csv",
     f"{out}/records.csv"],
    capture_output=True, text=True, check=True)
wall = time.time() - start
summary = json.loads(result.stdout.strip().splitlines()[-1])
peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(f"rows: {summary['rows_read']} (created {summary['created']}, auto-linked "
      f"{summary['auto_linked']}, proposed {summary['proposed']}, rejected {summary['rejected']})")
print(f"seconds: {wall:.1f}")
print(f"rows per second: {summary['rows_read'] / wall:.0f}")
print(f"peak memory: {peak_mib:.0f} MiB")
PY

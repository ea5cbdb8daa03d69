#!/usr/bin/env bash
# Generates N vendor records (default 100,000; the same generator as bulk_load.sh) and
# profiles the file with `golden load --profile` (one pass, no matching, nothing stored),
# printing rows per second and peak memory.
#
#   bench/profile.sh [N]                        (builds target/release/golden first)
#   GOLDEN_BIN=path/to/golden bench/profile.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-100000}"
OUT="bench/out/vendors_$N"
BIN="${GOLDEN_BIN:-target/release/golden}"
[ -n "${GOLDEN_BIN:-}" ] || cargo build --release --quiet --bin golden
[ -f "$OUT/records.csv" ] || python3 bench/gen_vendors.py "$N" "$OUT"
DATA="$(mktemp -d)"
trap 'rm -rf "$DATA"' EXIT
export GOLDEN_DATA_DIR="$DATA" GOLDEN_RULES_DIR="$PWD/matching-rules"
python3 - "$OUT" "$BIN" <<'PY'
import json, resource, subprocess, sys, time
out, binary = sys.argv[1], sys.argv[2]
start = time.time()
result = subprocess.run(
    [binary, "load", "--profile", "--domain", "vendor", f"{out}/records.csv"],
    capture_output=True, text=True, check=True)
wall = time.time() - start
profile = json.loads(result.stdout)
peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(f"rows: {profile['rows']} (unreadable {profile['unreadable']}, would be rejected "
      f"{profile['rejected']}, duplicate keys {profile['duplicate_keys']['keys']})")
for column in profile["columns"]:
    print(f"  {column['column']:>16} -> {str(column['field']):<14} fill {column['fill_rate']:.2f}"
          f"  distinct {column['distinct']:>7}  standardized {column['standardized']:>7}"
          f"  failed {column['failed']:>5}  unknown {column['unknown']:>5}")
print(f"seconds: {wall:.1f}")
print(f"rows per second: {profile['rows'] / wall:.0f}")
print(f"peak memory: {peak_mib:.0f} MiB")
PY

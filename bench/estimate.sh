#!/usr/bin/env bash
# Times `golden estimate` on N generated vendor records (default 1,000,000): the records are
# bulk-loaded into a fresh store first (not timed), then the model is estimated and its
# summary printed with the seconds and peak memory of the estimation alone.
#
#   bench/estimate.sh [N]                    (SQLite; builds target/release/golden first)
#   GOLDEN_BIN=path/to/golden bench/estimate.sh [N]
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
"$BIN" load --domain vendor --rejects "$OUT/rejects.csv" "$OUT/records.csv" >/dev/null 2>&1
python3 - "$BIN" <<'PY'
import json, resource, subprocess, sys, time
binary = sys.argv[1]
start = time.time()
result = subprocess.run([binary, "estimate", "--domain", "vendor"],
                        capture_output=True, text=True, check=True)
wall = time.time() - start
model = json.loads(result.stdout.strip().splitlines()[-1])
s = model["summary"]
peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(f"records: {s['records']} ({s['sampled_records']} sampled), candidate pairs "
      f"{s['candidate_pairs']}, random pairs {s['random_pairs']}")
print(f"EM: {s['iterations']} iterations, converged {s['converged']}, match rate "
      f"{s['match_rate']:.4f}; auto_link {model['auto_link']}, review {model['review']:.4f}")
print(f"seconds: {wall:.1f} (estimation itself {s['seconds']:.1f})")
print(f"peak memory: {peak_mib:.0f} MiB")
PY

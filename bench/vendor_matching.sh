#!/usr/bin/env bash
# Times ingest + matching of N generated vendor records (default 100,000) through
# `golden eval` (a fresh store, the shipped rules, the same path as the HTTP API) and prints
# records per second, peak memory and the match quality against the generated truth.
#
#   bench/vendor_matching.sh [N]            (builds target/release/golden first)
#   GOLDEN_BIN=path/to/golden bench/vendor_matching.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-100000}"
OUT="bench/out/vendors_$N"
BIN="${GOLDEN_BIN:-target/release/golden}"
[ -n "${GOLDEN_BIN:-}" ] || cargo build --release --quiet --bin golden
python3 bench/gen_vendors.py "$N" "$OUT"
python3 - "$N" "$OUT" "$BIN" <<'PY'
import json, resource, subprocess, sys, time
n, out, binary = sys.argv[1], sys.argv[2], sys.argv[3]
start = time.time()
result = subprocess.run(
    [binary, "eval", "--domain", "vendor",
     "--records", f"{out}/records.csv", "--truth", f"{out}/truth.csv"],
    capture_output=True, text=True, check=True)
wall = time.time() - start
report = json.loads(result.stdout.strip().splitlines()[-1])
peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(f"records: {n}")
print(f"seconds: {wall:.1f}")
print(f"records per second: {int(n) / wall:.0f}")
print(f"peak memory: {peak_mib:.0f} MiB")
print(f"auto-link precision {report['precision_auto']} recall {report['recall_auto']}; "
      f"with review F1 {report['f1_review']}; proposals {report['proposals']}")
PY

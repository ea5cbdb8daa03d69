#!/usr/bin/env bash
# Crosswalk lookups while a bulk job runs: loads N generated vendor records (default 100,000)
# into a SQLite store, starts `golden serve`, measures lookup latency with wrk while the server
# is idle, then uploads another N rows as an HTTP bulk job and measures again while the job
# runs. Prints both p99s and their ratio (the target: busy p99 within 3x of idle p99), twice:
#   saturated: every connection sends its next request as soon as the last is answered, so
#              wrk (on the same cores) and the server run flat out; the ratio then mostly says
#              how much CPU the job takes from them;
#   paced:     every connection pauses PACE_MS (default 10) between requests, at most
#              CONNECTIONS * 1000 / PACE_MS requests/s: a lookup load the server keeps up with,
#              where the ratio says how much the job delays a lookup.
#
#   bench/lookup_during_job.sh [N]
#   GOLDEN_BIN=path/to/golden bench/lookup_during_job.sh [N]      (skip the build)
#   DURATION=10s THREADS=2 CONNECTIONS=16 PACE_MS=10 bench/lookup_during_job.sh
#
# Needs wrk (apt-get install wrk) and python3. The release build goes to CARGO_TARGET_DIR
# (default /work/target-release). Working files go to bench/out/lookup_job_N.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/serve.sh
N="${1:-100000}"
DURATION="${DURATION:-10s}" THREADS="${THREADS:-2}" CONNECTIONS="${CONNECTIONS:-16}"
PACE_MS="${PACE_MS:-10}"
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/work/target-release}"
BIN="${GOLDEN_BIN:-$CARGO_TARGET_DIR/release/golden}"
[ -n "${GOLDEN_BIN:-}" ] || nice cargo build --release --locked --quiet --bin golden

OUT="$PWD/bench/out/lookup_job_$N"
RECORDS="bench/out/vendors_$((2 * N))"
[ -f "$RECORDS/records.csv" ] || python3 bench/gen_vendors.py "$((2 * N))" "$RECORDS"
rm -rf "$OUT" && mkdir -p "$OUT"
# The first N rows are the master, loaded before the server starts; the other N the job.
head -n "$((N + 1))" "$RECORDS/records.csv" > "$OUT/master.csv"
{ head -n1 "$RECORDS/records.csv"; tail -n "+$((N + 2))" "$RECORDS/records.csv"; } > "$OUT/job.csv"
export GOLDEN_DATA_DIR="$OUT/data" GOLDEN_RULES_DIR="$PWD/matching-rules"
unset DATABASE_URL
echo "loading the $N-row master ..." >&2
"$BIN" load --domain vendor --rejects "$OUT/master.rejects.csv" "$OUT/master.csv" | tail -n1 >&2
crosswalk_keys "$OUT/master.csv" > "$OUT/keys.txt"

serve_golden "$BIN" "$OUT/serve.log"
READER="$("$BIN" token --role reader --sub bench --ttl 1h)"
ADMIN="$("$BIN" token --role admin --sub bench --ttl 1h)"
lookups() { wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s bench/lookup.lua \
  "http://$GOLDEN_BIND/v1/crosswalk" -- "$OUT/keys.txt" "$READER" "${1:-0}"; }

lookups > "$OUT/idle.txt"
lookups "$PACE_MS" > "$OUT/idle_paced.txt"
JOB="$(curl -fs -X POST "http://$GOLDEN_BIND/v1/vendor/jobs" -H "Authorization: Bearer $ADMIN" \
  -H 'Content-Type: text/csv' --data-binary @"$OUT/job.csv" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')"
job_status() { curl -fs "http://$GOLDEN_BIND/v1/jobs/$JOB" -H "Authorization: Bearer $ADMIN" |
  python3 -c 'import json,sys; j=json.load(sys.stdin); print(j["status"], j["rows_read"], "rows read")'; }
until [[ "$(job_status)" =~ ^(running|finished|failed) ]]; do sleep 0.2; done
lookups > "$OUT/busy.txt"
curl -fs "http://$GOLDEN_BIND/metrics" > "$OUT/metrics_before_paced.txt"
lookups "$PACE_MS" > "$OUT/busy_paced.txt"
curl -fs "http://$GOLDEN_BIND/metrics" > "$OUT/metrics_after_paced.txt"
echo "job after the busy run: $(job_status)"

echo "records: $N master + $N in the job   wrk: $THREADS threads, $CONNECTIONS connections, $DURATION each, paced: $PACE_MS ms between requests"
python3 - "$OUT" "$PACE_MS" <<'PY'
import re, sys
out = sys.argv[1]

def parse(path):
    text = open(path).read()
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    value, unit = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", text).groups()
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    return rps, float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit], int(bad.group(1)) if bad else 0

for label, suffix in (("saturated", ""), (f"paced ({sys.argv[2]} ms)", "_paced")):
    (ri, pi, bi), (rb, pb, bb) = parse(f"{out}/idle{suffix}.txt"), parse(f"{out}/busy{suffix}.txt")
    print(f"{label}:")
    print(f"  idle     {ri:>8.0f} req/s  p99 {pi:7.2f} ms" + (f"  NON-2XX {bi}" if bi else ""))
    print(f"  job runs {rb:>8.0f} req/s  p99 {pb:7.2f} ms" + (f"  NON-2XX {bb}" if bb else ""))
    print(f"  busy p99 / idle p99: {pb / pi:.2f} ({'meets' if pb <= 3 * pi else 'misses'} the target: at most 3)")

def answered(path):
    counts = {}
    for line in open(path):
        found = re.match(r'golden_crosswalk_lookups_total\{answered_from="(\w+)"\} (\d+)', line)
        if found:
            counts[found.group(1)] = int(found.group(2))
    return counts

before, after = answered(f"{out}/metrics_before_paced.txt"), answered(f"{out}/metrics_after_paced.txt")
moved = {k: after.get(k, 0) - before.get(k, 0) for k in ("cache", "database")}
total = max(sum(moved.values()), 1)
print(f"paced run while the job runs: {moved['database']} of {total} lookups answered from the "
      f"database ({100 * moved['database'] / total:.1f}%), the rest from the cache")
PY

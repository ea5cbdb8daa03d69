#!/usr/bin/env bash
# Crosswalk lookup speed over HTTP on loopback: loads N generated vendor records (default
# 100,000) into a SQLite store, starts `golden serve`, then runs wrk against `/healthz` and
# against `GET /v1/crosswalk/vendor/SYSTEM/ID` of random existing keys (with a reader token),
# alternating in the same run, and prints the median requests per second and p99 latency of
# both and their ratio.
#
#   bench/lookup.sh [N]
#   GOLDEN_BIN=path/to/golden bench/lookup.sh [N]      (skip the build)
#   DURATION=10s ROUNDS=3 THREADS=2 CONNECTIONS=32 bench/lookup.sh
#
# Needs wrk (Debian/Ubuntu: apt-get install wrk) and python3. The release build goes to
# CARGO_TARGET_DIR (default /work/target-release, shared between checkouts). The loaded
# store is kept in bench/out/lookup_N and reused by the next run.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/serve.sh
N="${1:-100000}"
DURATION="${DURATION:-10s}" ROUNDS="${ROUNDS:-3}" THREADS="${THREADS:-2}" CONNECTIONS="${CONNECTIONS:-32}"
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/work/target-release}"
BIN="${GOLDEN_BIN:-$CARGO_TARGET_DIR/release/golden}"
[ -n "${GOLDEN_BIN:-}" ] || nice cargo build --release --locked --quiet --bin golden

RECORDS="bench/out/vendors_$N"
STORE="$PWD/bench/out/lookup_$N"
[ -f "$RECORDS/records.csv" ] || python3 bench/gen_vendors.py "$N" "$RECORDS"
export GOLDEN_DATA_DIR="$STORE" GOLDEN_RULES_DIR="$PWD/matching-rules"
unset DATABASE_URL
if [ ! -f "$STORE/loaded" ]; then
  rm -rf "$STORE"
  echo "loading $N records into $STORE ..." >&2
  "$BIN" load --domain vendor --rejects "$STORE.rejects.csv" "$RECORDS/records.csv" | tail -n1 >&2
  touch "$STORE/loaded"
fi
crosswalk_keys "$RECORDS/records.csv" > "$STORE/keys.txt"

serve_golden "$BIN" "$STORE/serve.log"
TOKEN="$("$BIN" token --role reader --sub bench --ttl 1h)"
FIRST="$(head -n1 "$STORE/keys.txt")"
curl -fs "http://$GOLDEN_BIND/v1/crosswalk/vendor/$FIRST" -H "Authorization: Bearer $TOKEN" >/dev/null

run() { wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$@"; }
# Alternate the two, ROUNDS times each, so both see the same machine; the medians are kept.
for round in $(seq "$ROUNDS"); do
  run "http://$GOLDEN_BIND/healthz" > "$STORE/healthz.$round.txt"
  run -s bench/lookup.lua "http://$GOLDEN_BIND/v1/crosswalk" -- "$STORE/keys.txt" "$TOKEN" \
    > "$STORE/lookup.$round.txt"
done
echo "records: $N   wrk: $THREADS threads, $CONNECTIONS connections, $ROUNDS x $DURATION each, alternating"
python3 - "$STORE" "$ROUNDS" <<'PY'
import re, statistics, sys
store, rounds = sys.argv[1], int(sys.argv[2])

def parse(path):
    # wrk prints latency percentiles in us, ms or s.
    text = open(path).read()
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    value, unit = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", text).groups()
    p99 = float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    return rps, p99, int(bad.group(1)) if bad else 0

medians = {}
for name in ("healthz", "lookup"):
    runs = [parse(f"{store}/{name}.{r}.txt") for r in range(1, rounds + 1)]
    rps = statistics.median(r[0] for r in runs)
    p99 = statistics.median(r[1] for r in runs)
    bad = sum(r[2] for r in runs)
    each = ", ".join(f"{r[0]:.0f}" for r in runs)
    print(f"{name:<8} {rps:>8.0f} req/s  p99 {p99:6.2f} ms  (median; runs: {each})"
          + (f"  NON-2XX {bad}" if bad else ""))
    medians[name] = (rps, p99)
(h, _), (l, p99) = medians["healthz"], medians["lookup"]
verdict = "meets" if l >= h / 2 and p99 < 5 else "misses"
print(f"lookup / healthz: {l / h:.2f} ({verdict} the target: at least 0.50 with p99 under 5 ms)")
PY
grep -m1 "crosswalk cache loaded" "$STORE/serve.log" >&2 || true

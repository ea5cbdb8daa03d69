#!/usr/bin/env bash
# How much of ingesting is spent inside the serialized section (the write transaction that
# every writer of every replica waits for), per record and as a share of the whole:
#   1. bulk: `golden load` of N generated vendors (default 20,000) into a fresh SQLite store;
#      its summary carries `serialized_seconds` and `serialized_share` (of the load's wall time);
#   2. single records: `golden serve` on a fresh store, SINGLES records (default 2,000) sent one
#      per request by CLIENTS concurrent clients (default 2); the share is read from the
#      server's `golden_ingest_seconds_total{part="serialized"|"total"}` counters.
#
#   bench/serialized_share.sh [N]
#   GOLDEN_BIN=path/to/golden SINGLES=5000 CLIENTS=4 bench/serialized_share.sh [N]
#   DATABASE_URL=postgres://... bench/serialized_share.sh   (an empty PostgreSQL database, bulk
#                                                           part only)
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-20000}"
SINGLES="${SINGLES:-2000}" CLIENTS="${CLIENTS:-2}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/work/target-release}"
BIN="${GOLDEN_BIN:-$CARGO_TARGET_DIR/release/golden}"
[ -n "${GOLDEN_BIN:-}" ] || nice cargo build --release --locked --quiet --bin golden
OUT="bench/out/vendors_$N"
[ -f "$OUT/records.csv" ] || python3 bench/gen_vendors.py "$N" "$OUT"
WORK="$(mktemp -d)"
SERVER=""
trap '[ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null; rm -rf "$WORK"' EXIT
export GOLDEN_RULES_DIR="$PWD/matching-rules"

echo "== bulk: golden load of $N vendors"
GOLDEN_DATA_DIR="$WORK/bulk" "$BIN" load --domain vendor --rejects "$WORK/rejects.csv" \
  "$OUT/records.csv" 2>/dev/null | tail -n1 | python3 -c "
import json, sys
s = json.loads(sys.stdin.read())
rows = max(s['rows_read'], 1)
print(f\"rows {s['rows_read']}, {s['seconds']:.1f} s ({rows / s['seconds']:.0f} rows/s); \"
      f\"serialized {s['serialized_seconds']:.2f} s = {s['serialized_seconds'] * 1e6 / rows:.0f} us per row, \"
      f\"{100 * s['serialized_share']:.1f}% of the load\")"

[ -n "${DATABASE_URL:-}" ] && exit 0
echo "== single records: $SINGLES requests of one record, $CLIENTS clients"
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
export GOLDEN_DATA_DIR="$WORK/single" GOLDEN_BIND="127.0.0.1:$PORT"
"$BIN" serve > "$WORK/serve.log" 2>&1 &
SERVER=$!
for _ in $(seq 600); do
  curl -fs "http://$GOLDEN_BIND/healthz" >/dev/null 2>&1 && break
  kill -0 "$SERVER" 2>/dev/null || { cat "$WORK/serve.log" >&2; exit 1; }
  sleep 0.1
done
SOURCES="$(python3 -c 'import csv,sys; print(" ".join(sorted({r[0] for r in csv.reader(open(sys.argv[1])) if r and r[0] != "source_system"})))' "$OUT/records.csv")"
TOKEN="$("$BIN" token --role ingest --role reader --sub bench --ttl 1h $(printf -- '--source %s ' $SOURCES))"
python3 - "$OUT/records.csv" "$GOLDEN_BIND" "$TOKEN" "$SINGLES" "$CLIENTS" <<'PY'
import csv, http.client, json, sys, threading, time, urllib.request
from concurrent.futures import ThreadPoolExecutor
path, bind, token, count, clients = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
rows = list(csv.DictReader(open(path)))[:count]
host, port = bind.rsplit(":", 1)
# One kept-alive connection per client thread, so the client spends little of the machine's
# CPU on connecting: the figures are the server's.
local = threading.local()
def send(row):
    record = {"source_system": row.pop("source_system"), "source_id": row.pop("source_id"),
              "attributes": {k: v for k, v in row.items() if v}}
    if not hasattr(local, "conn"):
        local.conn = http.client.HTTPConnection(host, int(port))
    local.conn.request("POST", "/v1/vendor/records", body=json.dumps(record).encode(),
                       headers={"Authorization": f"Bearer {token}",
                                "Content-Type": "application/json"})
    response = local.conn.getresponse()
    response.read()
    if response.status != 200:
        raise SystemExit(f"ingest answered {response.status}")
start = time.time()
with ThreadPoolExecutor(clients) as pool:
    list(pool.map(send, rows))
wall = time.time() - start
metrics = urllib.request.urlopen(f"http://{bind}/metrics").read().decode()
parts = {}
for line in metrics.splitlines():
    if line.startswith("golden_ingest_seconds_total{") and 'domain="vendor"' in line:
        part = line.split('part="')[1].split('"')[0]
        parts[part] = float(line.rsplit(" ", 1)[1])
total, serialized = parts.get("total", 0.0), parts.get("serialized", 0.0)
writes = {}
for line in metrics.splitlines():
    if line.startswith("golden_ingest_writes_total{") and 'domain="vendor"' in line:
        counted = line.split('counted="')[1].split('"')[0]
        writes[counted] = float(line.rsplit(" ", 1)[1])
per_write = writes.get("requests", 0.0) / max(writes.get("transactions", 0.0), 1.0)
print(f"records {len(rows)}, {wall:.1f} s ({len(rows) / wall:.0f} records/s); "
      f"serialized {serialized * 1e6 / len(rows):.0f} us per record, "
      f"{100 * serialized / max(total, 1e-9):.1f}% of the time spent ingesting; "
      f"{per_write:.2f} requests per write transaction")
PY

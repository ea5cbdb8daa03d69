#!/usr/bin/env bash
# Ingest throughput of replicas sharing one PostgreSQL database: N generated vendor records
# (default 4,000) are sent one per POST /v1/vendor/records request by two concurrent clients,
# each with its own half (rows alternate between the clients, so the copies of one entity,
# adjacent in the file, race through both clients; with two replicas, through both replicas):
#   a. one `golden serve`, both clients on it;
#   b. two `golden serve` replicas (own data dir and port each, one DATABASE_URL), each client
#      on its own replica.
# Each scenario runs on a fresh, uniquely named database on 127.0.0.1:5432 (user postgres,
# trust auth), dropped on exit. Prints records/s of each and the ratio b/a; then checks the
# crosswalk: every source key found, with exactly one golden ID (in the database's export and
# in each replica's batch lookup, which must agree), and reports the distinct golden IDs, the
# truth entities split over more than one golden ID (more in b than in a would mean replicas
# missed each other's records), the golden IDs holding more than one truth entity, the
# decisions the requests got, non-2xx answers and the open proposals (GET /v1/stats).
#
#   bench/replicas.sh [N]
#   GOLDEN_BIN=path/to/golden bench/replicas.sh [N]      (skip the build)
#   PGHOST=127.0.0.1 PGPORT=5432 PGUSER=postgres bench/replicas.sh   (the defaults)
#
# Needs psql, curl and python3. The release build goes to CARGO_TARGET_DIR (default
# /work/target-release). Input: bench/out/vendors_N (generated when missing); working files
# (server logs) in a temporary directory, removed on exit. Server logs at RUST_LOG (default
# warn). Replicas are started here rather than with bench/serve.sh's serve_golden, which runs
# one server and owns the EXIT trap. The figures are wall-clock: run it more than once.
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-4000}"
PGHOST="${PGHOST:-127.0.0.1}" PGPORT="${PGPORT:-5432}" PGUSER="${PGUSER:-postgres}"
command -v psql >/dev/null || { echo "psql is missing: apt-get install postgresql-client" >&2; exit 1; }
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/work/target-release}"
BIN="${GOLDEN_BIN:-$CARGO_TARGET_DIR/release/golden}"
[ -n "${GOLDEN_BIN:-}" ] || nice cargo build --release --locked --quiet --bin golden
[ -x "$BIN" ] || { echo "no golden binary at $BIN" >&2; exit 1; }

OUT="bench/out/vendors_$N"
[ -f "$OUT/records.csv" ] || python3 bench/gen_vendors.py "$N" "$OUT"
WORK="$(mktemp -d)"
SERVERS=() DATABASES=()
cleanup() {
  local pid db
  for pid in ${SERVERS[@]+"${SERVERS[@]}"}; do kill "$pid" 2>/dev/null || true; done
  for pid in ${SERVERS[@]+"${SERVERS[@]}"}; do wait "$pid" 2>/dev/null || true; done
  for db in ${DATABASES[@]+"${DATABASES[@]}"}; do
    psql -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -d postgres -qXc "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null ||
      echo "could not drop database $db" >&2
  done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

export GOLDEN_RULES_DIR="$PWD/matching-rules" RUST_LOG="${RUST_LOG:-warn}"
GOLDEN_JWT_SECRET="$(python3 -c 'import secrets; print(secrets.token_hex(24))')"
export GOLDEN_JWT_SECRET
SOURCES="$(python3 -c 'import csv,sys; print(" ".join(sorted({r[0] for r in csv.reader(open(sys.argv[1])) if r and r[0] != "source_system"})))' "$OUT/records.csv")"
# shellcheck disable=SC2046
TOKEN="$(GOLDEN_DATA_DIR="$WORK/token" "$BIN" token --role ingest --role reader --sub bench --ttl 1h $(printf -- '--source %s ' $SOURCES))"

# fresh_database: creates a uniquely named, empty database (dropped on exit) and prints its URL.
fresh_database() {
  local db
  db="golden_bench_replicas_$$_$(date +%s%N)"
  DATABASES+=("$db")
  psql -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -d postgres -qXc "CREATE DATABASE \"$db\"" >/dev/null
  DATABASE_URL_FRESH="postgres://$PGUSER@$PGHOST:$PGPORT/$db"
}

# replica NAME URL: starts `golden serve` on the database URL with its own data dir and port
# and returns once it answers /healthz; its address is left in REPLICA_BIND.
replica() {
  local name=$1 url=$2 port pid log="$WORK/$1.log"
  port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  REPLICA_BIND="127.0.0.1:$port"
  mkdir -p "$WORK/$name"
  GOLDEN_DATA_DIR="$WORK/$name" DATABASE_URL="$url" GOLDEN_BIND="$REPLICA_BIND" \
    "$BIN" serve > "$log" 2>&1 &
  pid=$!
  SERVERS+=("$pid")
  for _ in $(seq 600); do
    curl -fs "http://$REPLICA_BIND/healthz" >/dev/null 2>&1 && return 0
    kill -0 "$pid" 2>/dev/null || { echo "replica $name exited at start; its log:" >&2; cat "$log" >&2; exit 1; }
    sleep 0.1
  done
  echo "replica $name did not answer /healthz within 60 s; its log:" >&2
  cat "$log" >&2
  exit 1
}

# stop_replicas: stops every server started so far (their databases stay until exit).
stop_replicas() {
  local pid
  for pid in ${SERVERS[@]+"${SERVERS[@]}"}; do kill "$pid" 2>/dev/null || true; done
  for pid in ${SERVERS[@]+"${SERVERS[@]}"}; do wait "$pid" 2>/dev/null || true; done
  SERVERS=()
}

# scenario NAME LABEL BIND_OF_CLIENT_0 BIND_OF_CLIENT_1: sends the records, checks the crosswalk
# through every distinct replica, prints the summary and leaves records/s in "$WORK/NAME.rate".
scenario() {
  local name=$1 label=$2
  shift 2
  python3 - "$label" "$OUT/records.csv" "$OUT/truth.csv" "$TOKEN" "$WORK/$name.rate" "$@" <<'PY'
import csv, http.client, json, sys, threading, time
from collections import Counter, defaultdict

label, records_path, truth_path, token, rate_path = sys.argv[1:6]
binds = sys.argv[6:]
headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
rows = list(csv.DictReader(open(records_path)))
halves = [rows[i::len(binds)] for i in range(len(binds))]
decisions, statuses, failures, failed = Counter(), Counter(), [], [0]
lock = threading.Lock()

def request(conn, method, path, body=None):
    for attempt in range(3):
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            return response.status, response.read()
        except (http.client.HTTPException, OSError):
            conn.close()
            if attempt == 2:
                raise

def client(bind, rows):
    conn = http.client.HTTPConnection(bind, timeout=120)
    seen, codes = Counter(), Counter()
    for row in rows:
        row = dict(row)
        record = {"source_system": row.pop("source_system"), "source_id": row.pop("source_id"),
                  "attributes": {k: v for k, v in row.items() if v}}
        try:
            status, body = request(conn, "POST", "/v1/vendor/records", json.dumps(record))
        except Exception as e:
            with lock:
                failed[0] += 1
                if len(failures) < 5:
                    failures.append(f"{record['source_system']}/{record['source_id']}: {e!r}")
            continue
        codes[status] += 1
        if status == 200:
            for result in json.loads(body).get("results", []):
                seen[result.get("decision", "?")] += 1
        else:
            with lock:
                if len(failures) < 5:
                    failures.append(f"{record['source_system']}/{record['source_id']}: {status} {body[:300]!r}")
    conn.close()
    with lock:
        decisions.update(seen)
        statuses.update(codes)

threads = [threading.Thread(target=client, args=(bind, half)) for bind, half in zip(binds, halves)]
start = time.time()
for t in threads:
    t.start()
for t in threads:
    t.join()
wall = time.time() - start
rate = len(rows) / wall
open(rate_path, "w").write(f"{rate}\n")

def get_json(bind, method, path, body=None):
    conn = http.client.HTTPConnection(bind, timeout=300)
    status, data = request(conn, method, path, body)
    conn.close()
    if status != 200:
        sys.exit(f"{method} {path} on {bind}: {status} {data[:300]!r}")
    return data

# The database's view: the crosswalk export reads it, one line per source record.
replicas = sorted(set(binds))
export = defaultdict(set)
for line in get_json(replicas[0], "GET", "/v1/crosswalk/vendor/export?format=ndjson").decode().splitlines():
    if line.strip():
        entry = json.loads(line)
        export[(entry["source_system"], entry["source_id"])].add(entry["golden_id"])
keys = [(r["source_system"], r["source_id"]) for r in rows]
problems = []
missing = [k for k in keys if k not in export]
multi = [k for k in keys if len(export.get(k, ())) > 1]
if missing:
    problems.append(f"{len(missing)} keys missing from the export, e.g. {missing[:3]}")
if multi:
    problems.append(f"{len(multi)} keys with more than one golden ID in the export, e.g. {multi[:3]}")
if len(export) != len(set(keys)):
    problems.append(f"the export has {len(export)} source keys, the input {len(set(keys))}")
golden = {k: next(iter(export[k])) for k in keys if len(export.get(k, ())) == 1}

# Each replica's view (batch lookups, in-memory crosswalk): must agree with the database once
# the replicas have replayed the change feed (every second).
def lookups(bind):
    answer = {}
    for i in range(0, len(keys), 5000):
        body = json.dumps({"keys": [{"source_system": s, "source_id": i_} for s, i_ in keys[i:i + 5000]]})
        for r in json.loads(get_json(bind, "POST", "/v1/crosswalk/vendor/lookup", body))["results"]:
            answer[(r["source_system"], r["source_id"])] = r.get("golden_id") if r.get("found") else None
    return answer

for bind in replicas:
    deadline = time.time() + 10
    while True:
        answer = lookups(bind)
        differ = [k for k in keys if answer.get(k) != golden.get(k)]
        if not differ or time.time() > deadline:
            break
        time.sleep(0.5)
    if differ:
        problems.append(f"replica {bind}: {len(differ)} keys whose lookup differs from the database, "
                        f"e.g. {[(k, answer.get(k), golden.get(k)) for k in differ[:3]]}")

truth = {(r["source_system"], r["source_id"]): r["entity_id"] for r in csv.DictReader(open(truth_path))}
by_entity, by_golden = defaultdict(set), defaultdict(set)
for k, g in golden.items():
    by_entity[truth[k]].add(g)
    by_golden[g].add(truth[k])
split = sum(len(g) > 1 for g in by_entity.values())
lumped = sum(len(e) > 1 for e in by_golden.values())
stats = json.loads(get_json(replicas[0], "GET", "/v1/stats"))
open_proposals = sum(d["open_proposals"] for d in stats["domains"] if d["domain"] == "vendor")
bad = {s: c for s, c in statuses.items() if s != 200}

print(f"{label}: {len(rows)} records, {wall:.1f} s, {rate:.0f} records/s; "
      f"{len(set(golden.values()))} golden IDs for {len(by_entity)} truth entities; "
      f"split entities {split}; golden IDs holding >1 entity {lumped}; open proposals {open_proposals}")
print(f"   decisions: {', '.join(f'{d} {c}' for d, c in sorted(decisions.items()))}"
      + (f"; NON-200 answers: {bad}" if bad else "") + (f"; requests without an answer: {failed[0]}" if failed[0] else ""))
for f in failures[:5]:
    print(f"   failure: {f}")
for p in problems:
    print(f"   DUPLICATE CHECK FAILED: {p}")
print(f"   crosswalk check: {'every key has exactly one golden ID, replicas agree' if not problems else 'FAILED'}")
PY
}

# log_problems LABEL: error lines of the scenario's server logs (warnings are counted).
log_problems() {
  local log
  for log in "$WORK"/"$1"*.log; do
    grep -E 'ERROR|panicked' "$log" | head -n 5 | sed "s|^|   $(basename "$log"): |" || true
    local warns
    warns="$(grep -c 'WARN' "$log" || true)"
    [ "$warns" = 0 ] || echo "   $(basename "$log"): $warns WARN lines"
  done
}

echo "records: $N from $OUT, 2 clients, one record per request"
fresh_database
replica a "$DATABASE_URL_FRESH"
scenario a "a (1 replica) " "$REPLICA_BIND" "$REPLICA_BIND"
log_problems a
stop_replicas

fresh_database
replica b1 "$DATABASE_URL_FRESH"
B1="$REPLICA_BIND"
replica b2 "$DATABASE_URL_FRESH"
scenario b "b (2 replicas)" "$B1" "$REPLICA_BIND"
log_problems b
stop_replicas

python3 -c 'import sys; a, b = (float(open(p).read()) for p in sys.argv[1:]); print(f"throughput b/a: {b / a:.2f}")' \
  "$WORK/a.rate" "$WORK/b.rate"

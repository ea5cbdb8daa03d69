# Sourced by the lookup benchmarks.

# serve_golden BIN LOG: starts `golden serve` on a free loopback port (exports GOLDEN_BIND),
# stops it when the script exits, and returns once it answers /healthz.
serve_golden() {
  local bin=$1 log=$2
  GOLDEN_BIND="127.0.0.1:$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  export GOLDEN_BIND
  "$bin" serve > "$log" 2>&1 &
  SERVER=$!
  trap 'kill "$SERVER" 2>/dev/null; wait "$SERVER" 2>/dev/null || true' EXIT
  for _ in $(seq 600); do
    curl -fs "http://$GOLDEN_BIND/healthz" >/dev/null 2>&1 && return 0
    kill -0 "$SERVER" 2>/dev/null || { cat "$log" >&2; exit 1; }
    sleep 0.1
  done
  echo "golden serve did not answer within 60 s" >&2
  exit 1
}

# crosswalk_keys CSV: the SYSTEM/ID of each record of a records file, one per line (generated
# IDs need no escaping in a path).
crosswalk_keys() {
  python3 -c 'import csv,sys; r=csv.reader(open(sys.argv[1])); next(r); [print(f"{x[0]}/{x[1]}") for x in r]' "$1"
}

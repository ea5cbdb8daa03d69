#!/usr/bin/env bash
# Kills `golden serve` with SIGKILL N times (default 20) in the middle of a stream of ingests
# and steward actions, restarting it on the same data dir each time, and checks after every
# restart that no acknowledged write was lost (the crash test of tests/api/crash/, with more
# rounds). Runs on SQLite, then on PostgreSQL when GOLDEN_TEST_DATABASE_URL names a database
# on a server (each run creates and drops its own database next to it).
#
#   bench/crash_rounds.sh [N]
#   GOLDEN_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/golden_test bench/crash_rounds.sh [N]
#   GOLDEN_CRASH_SEED=123 bench/crash_rounds.sh [N]     (replays a workload)
set -euo pipefail
cd "$(dirname "$0")/.."
export GOLDEN_CRASH_ROUNDS="${1:-20}"
run() {
  echo "== $1: $GOLDEN_CRASH_ROUNDS kill-and-restart rounds =="
  cargo test --quiet --test api crash:: -- --nocapture 2>&1 | grep -E '^crash test|panicked|test result'
}
PG_URL="${GOLDEN_TEST_DATABASE_URL:-}"
GOLDEN_TEST_DATABASE_URL='' run SQLite
if [ -n "$PG_URL" ]; then
  GOLDEN_TEST_DATABASE_URL="$PG_URL" run PostgreSQL
fi

#!/usr/bin/env bash
# The open-source peer on the same data: unsupervised Splink (DuckDB backend), set up from the
# columns each file has (never from its labels), on the generated sets of bench/evals_generated.sh
# and the labelled datasets of bench/evals.sh. Prints pairwise precision, recall and F1 of
# Splink's clusters at match probabilities 0.99 and 0.5, and the best F1 over thresholds (chosen
# with the labels, so optimistic), one row per set, to read beside those two scripts' tables.
#
#   bench/peers.sh                          (seeds 7, 11 and 13, N=800, as evals_generated.sh)
#   SEEDS="17 19" N=2000 bench/peers.sh
#
# Needs PyPI once: the first run installs splink, duckdb and pandas into bench/out/peers-venv.
set -euo pipefail
cd "$(dirname "$0")/.."
SEEDS="${SEEDS:-7 11 13}" N="${N:-800}"
DATA="${DATASETS:-../shared/datasets}"
VENV=bench/out/peers-venv
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet splink==5.0.0 duckdb==2.0.1 pandas==3.1.2 numpy==2.4.6
fi
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
sets=()
for domain in location cost_center vendor listing; do
  for seed in $SEEDS; do
    python3 bench/gen_domains.py "$domain" "$N" "$WORK/$domain-$seed" --seed "$seed" >/dev/null
    sets+=("$WORK/$domain-$seed")
  done
done
for name in chicago_childcare patstat_orgs; do
  [ -f "$DATA/$name/records.csv" ] && sets+=("$DATA/$name")
done
echo "| dataset | records | P / R / F1 at 0.99 | P / R / F1 at 0.5 | best F1 (threshold) | s |"
echo "|---|---|---|---|---|---|"
for set in "${sets[@]}"; do
  "$VENV/bin/python" bench/peers/splink_baseline.py "$set" --out "$WORK/results" >/dev/null 2>&1
  python3 - "$WORK/results/$(basename "$set").json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
f = lambda m: f"{m['precision']:.3f} / {m['recall']:.3f} / {m['f1']:.3f}"
print(f"| {r['dataset']} | {r['records']} | {f(r['at_0_99'])} | {f(r['at_0_5'])} | "
      f"{r['best']['f1']:.3f} ({r['best']['threshold']}) | {r['seconds_total']:.1f} |")
PY
done

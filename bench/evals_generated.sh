#!/usr/bin/env bash
# Match quality on generated sets: for each domain, bench/gen_domains.py writes a labelled set
# (hard negatives included) under a temporary directory, `golden eval` scores it, and one table
# row per set is printed, in the same columns as bench/evals.sh.
#
#   bench/evals_generated.sh                   (builds target/release/golden first)
#   GOLDEN_BIN=path/to/golden bench/evals_generated.sh
#   SEED=11 N=2000 bench/evals_generated.sh    (another seed and size; defaults 7 and 800)
#   MODEL=estimate bench/evals_generated.sh    (a model estimated from each set first; default:
#                                               the rule files' declared weights)
#   RULES=path/to/rules bench/evals_generated.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${GOLDEN_BIN:-target/release/golden}"
RULES="${RULES:-$PWD/matching-rules}"
MODEL="${MODEL:-declared}"
SEED="${SEED:-7}"
N="${N:-800}"
[ -n "${GOLDEN_BIN:-}" ] || cargo build --release --quiet --bin golden
# set, domain it is evaluated in
runs=(
  "location location"
  "cost_center cost_center"
  "vendor vendor"
  "listing vendor"
)
echo "| dataset | model | P auto | R auto | F1 auto | P review | R review | F1 review | proposals | per 1,000 records | s |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
SETS="$(mktemp -d)"
trap 'rm -rf "$SETS"' EXIT
for run in "${runs[@]}"; do
  read -r name domain <<<"$run"
  python3 bench/gen_domains.py "$name" "$N" "$SETS/$name" --seed "$SEED" >/dev/null
  GOLDEN_RULES_DIR="$RULES" "$BIN" eval --domain "$domain" --model "$MODEL" \
    --records "$SETS/$name/records.csv" --truth "$SETS/$name/truth.csv" 2>/dev/null |
    tail -1 | python3 -c "
import json, sys
r = json.load(sys.stdin)
m = r.get('model')
model = f\"estimated (auto {m['auto_link']:.3f}, review {m['review']:.3f})\" if m else (
    'declared (too few comparisons to estimate)' if r.get('no_model') else 'declared')
rejected = f\", {r['rejected']} rejected\" if r.get('rejected') else ''
per_1000 = r['proposals'] * 1000 / max(r['records'], 1)
print(f\"| generated $name (N=$N, seed $SEED{rejected}) | {model} | {r['precision_auto']} | \"
      f\"{r['recall_auto']} | {r['f1_auto']} | \"
      f\"{r['precision_review']} | {r['recall_review']} | {r['f1_review']} | \"
      f\"{r['proposals']} | {per_1000:.0f} | {r['seconds']:.1f} |\")"
done

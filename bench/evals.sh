#!/usr/bin/env bash
# Match quality on the labelled datasets in ../shared/datasets: runs `golden eval` on each and
# prints one table row per dataset (pairwise precision, recall and F1 for auto-links alone and
# with review, proposals and seconds).
#
#   bench/evals.sh                       (builds target/release/golden first)
#   GOLDEN_BIN=path/to/golden bench/evals.sh
#   RULES=path/to/rules bench/evals.sh   (other rules than matching-rules/)
#   MODEL=estimate bench/evals.sh        (a model estimated from each file first; default:
#                                         the rule files' declared weights)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${GOLDEN_BIN:-target/release/golden}"
DATA="${DATASETS:-../shared/datasets}"
RULES="${RULES:-$PWD/matching-rules}"
MODEL="${MODEL:-declared}"
[ -n "${GOLDEN_BIN:-}" ] || cargo build --release --quiet --bin golden
# dataset, domain, rules directory
runs=(
  "chicago_childcare vendor $RULES"
  "patstat_orgs vendor $RULES"
  "abt_buy item $RULES"
  "amazon_google item $RULES"
  "febrl3 person $PWD/examples/person"
  "febrl4 person $PWD/examples/person"
)
echo "| dataset | model | P auto | R auto | F1 auto | P review | R review | F1 review | proposals | per 1,000 records | s |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
for run in "${runs[@]}"; do
  read -r name domain rules <<<"$run"
  [ -f "$DATA/$name/records.csv" ] || { echo "| $name | (missing) |"; continue; }
  GOLDEN_RULES_DIR="$rules" "$BIN" eval --domain "$domain" --model "$MODEL" \
    --records "$DATA/$name/records.csv" --truth "$DATA/$name/truth.csv" 2>/dev/null |
    tail -1 | python3 -c "
import json, sys
r = json.load(sys.stdin)
m = r.get('model')
model = f\"estimated (auto {m['auto_link']:.3f}, review {m['review']:.3f})\" if m else (
    'declared (too few comparisons to estimate)' if r.get('no_model') else 'declared')
per_1000 = r['proposals'] * 1000 / max(r['records'], 1)
print(f\"| $name | {model} | {r['precision_auto']} | {r['recall_auto']} | {r['f1_auto']} | \"
      f\"{r['precision_review']} | {r['recall_review']} | {r['f1_review']} | \"
      f\"{r['proposals']} | {per_1000:.0f} | {r['seconds']:.1f} |\")"
done

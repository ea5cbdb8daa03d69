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
#   SPLIT=1 bench/evals.sh               (each dataset split in two by entity: scores on
#                                         half B only; with MODEL=estimate the model is
#                                         estimated from half A)
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
SPLITS="$(mktemp -d)"
trap 'rm -rf "$SPLITS"' EXIT
for run in "${runs[@]}"; do
  read -r name domain rules <<<"$run"
  [ -f "$DATA/$name/records.csv" ] || { echo "| $name | (missing) |"; continue; }
  records="$DATA/$name/records.csv" truth="$DATA/$name/truth.csv" extra=()
  if [ -n "${SPLIT:-}" ]; then
    # Entities hashed into halves A and B; records and truth of each half.
    python3 - "$records" "$truth" "$SPLITS/$name" <<'PY'
import csv, hashlib, sys
records, truth, out = sys.argv[1:]
entity = {}
with open(truth) as f:
    for row in csv.DictReader(f):
        entity[(row["source_system"], row["source_id"])] = row["entity_id"]
half = lambda key: "a" if int(hashlib.md5(entity.get(key, "").encode()).hexdigest(), 16) % 2 == 0 else "b"
for path, kind in ((records, "records"), (truth, "truth")):
    with open(path) as f:
        reader = csv.reader(f)
        header = next(reader)
        files = {h: open(f"{out}.{h}.{kind}.csv", "w", newline="") for h in "ab"}
        writers = {h: csv.writer(files[h]) for h in "ab"}
        for w in writers.values():
            w.writerow(header)
        for row in reader:
            writers[half((row[0], row[1]))].writerow(row)
        for f in files.values():
            f.close()
PY
    records="$SPLITS/$name.b.records.csv" truth="$SPLITS/$name.b.truth.csv"
    extra=(--estimate-from "$SPLITS/$name.a.records.csv")
  fi
  [ "$MODEL" = estimate ] || extra=()
  GOLDEN_RULES_DIR="$rules" "$BIN" eval --domain "$domain" --model "$MODEL" "${extra[@]}" \
    --records "$records" --truth "$truth" 2>/dev/null |
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

#!/usr/bin/env python3
"""Unsupervised Splink (DuckDB backend) baseline on a `golden eval` dataset.

usage: python splink_baseline.py DATASET_DIR [--out RESULTS_DIR] [--max-pairs 5e6]

DATASET_DIR holds records.csv (source_system,source_id,fields...) and truth.csv
(source_system,source_id,entity_id). truth.csv is read ONLY after the model has been
trained and scored, to evaluate the clusters. Settings are derived from which columns
exist (and are non-empty) in records.csv -- never from labels.

Writes RESULTS_DIR/<name>.json (metrics, settings, timings) and <name>.log (Splink log).
"""
import argparse
import json
import logging
import os
import re
import sys
import time
import warnings

import numpy as np
import pandas as pd

import splink
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on

# ---------------------------------------------------------------------------------------
# Cleaning (what a competent user does before Splink; no labels involved)

COUNTRY_MAP = {
    "us": "US", "usa": "US", "u s": "US", "u s a": "US", "united states": "US",
    "united states of america": "US",
    "ca": "CA", "can": "CA", "canada": "CA",
}


def clean_text(s):
    if s is None or (isinstance(s, float) and np.isnan(s)):
        return None
    s = str(s).lower().replace("&", " and ")
    s = re.sub(r"[^0-9a-z]+", " ", s)
    s = re.sub(r"\s+", " ", s).strip()
    return s or None


def clean_digits(s):
    if s is None or (isinstance(s, float) and np.isnan(s)):
        return None
    d = re.sub(r"\D", "", str(s))
    return d or None


def clean_phone(s):
    d = clean_digits(s)
    if d is None:
        return None
    if len(d) == 11 and d.startswith("1"):
        d = d[1:]
    return d if len(d) >= 7 else None


def clean_postal(s):
    if s is None or (isinstance(s, float) and np.isnan(s)):
        return None
    a = re.sub(r"[^0-9A-Za-z]", "", str(s)).upper()
    if a.isdigit() and len(a) >= 5:
        a = a[:5]  # ZIP+4 -> ZIP
    return a or None


def clean_code(s):
    """Cost-centre code: keep the trailing run of digits ('CC57320'->'57320',
    '1000-18130'->'18130'), which a user sees by eyeballing the values."""
    if s is None or (isinstance(s, float) and np.isnan(s)):
        return None
    m = re.search(r"(\d+)\s*$", str(s))
    if m:
        return m.group(1)
    return clean_text(s)


def clean_country(s):
    t = clean_text(s)
    if t is None:
        return None
    return COUNTRY_MAP.get(t, t.upper())


CLEANERS = {
    "phone": clean_phone,
    "postal_code": clean_postal,
    "tax_id": clean_digits,
    "gln": clean_digits,
    "duns": clean_digits,
    "code": clean_code,
    "country": clean_country,
}

IDENTIFIER_COLS = ["tax_id", "gln", "duns", "code"]
# Columns that are other categorical attributes: exact match
OTHER_EXACT_COLS = ["address_line2", "region", "country", "location_type", "parent_code",
                    "company", "department"]


def load_records(path):
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    df.insert(0, "unique_id", df["source_system"] + "|" + df["source_id"])
    fields = [c for c in df.columns if c not in ("unique_id", "source_system", "source_id")]
    for c in fields:
        df[c] = df[c].map(CLEANERS.get(c, clean_text))
    # drop columns that are empty everywhere, or constant (one distinct value: nothing to learn)
    present = [c for c in fields if df[c].nunique(dropna=True) > 1]
    dropped = [c for c in fields if c not in present]
    df = df[["unique_id"] + present].copy()
    if "name" in df.columns:
        toks = df["name"].fillna("").str.split(" ")
        df["name_tok1"] = toks.map(lambda t: t[0] if t and t[0] else None)
        df["name_tok2"] = toks.map(lambda t: t[1] if len(t) > 1 else None)
    # Splink wants real NULLs
    df = df.astype(object).where(df.notna(), None)
    return df, present, dropped


# ---------------------------------------------------------------------------------------
# Settings derived from the columns that exist

def build_settings(cols):
    comparisons, desc = [], []
    has = lambda c: c in cols  # noqa: E731

    if has("name"):
        comparisons.append(cl.NameComparison("name"))  # exact(TF) / JW .92 / .88 / .70
        desc.append("name: NameComparison (exact w/ TF, JW>=0.92, >=0.88, >=0.70, else)")
    if has("address_line1"):
        comparisons.append(cl.JaroWinklerAtThresholds("address_line1", [0.95, 0.88])
                           .configure(term_frequency_adjustments=True))
        desc.append("address_line1: JaroWinklerAtThresholds [0.95, 0.88], TF on exact")
    if has("city"):
        comparisons.append(cl.ExactMatch("city").configure(term_frequency_adjustments=True))
        desc.append("city: ExactMatch, TF")
    if has("postal_code"):
        comparisons.append(cl.ExactMatch("postal_code"))
        desc.append("postal_code (5-digit ZIP): ExactMatch")
    if has("phone"):
        comparisons.append(cl.ExactMatch("phone"))
        desc.append("phone (digits): ExactMatch")
    for c in IDENTIFIER_COLS:
        if has(c):
            comparisons.append(cl.ExactMatch(c))
            desc.append(f"{c}: ExactMatch")
    for c in OTHER_EXACT_COLS:
        if has(c):
            comparisons.append(cl.ExactMatch(c))
            desc.append(f"{c}: ExactMatch")

    # ---- blocking rules for prediction
    brs, br_desc = [], []

    def add(rule, d):
        brs.append(rule)
        br_desc.append(d)

    if has("name"):
        add(block_on("name_tok1"), "name first token")
    if has("postal_code"):
        add(block_on("postal_code"), "postal_code")
    if has("phone"):
        add(block_on("phone"), "phone")
    for c in IDENTIFIER_COLS:
        if has(c):
            add(block_on(c), c)
    if has("address_line1"):
        add(block_on("address_line1"), "address_line1")
    if has("city") and has("name"):
        add(block_on("city", "substr(name, 1, 3)"), "city + first 3 chars of name")
    if has("name") and len([c for c in cols if c != "name"]) == 0:
        # name is the only field: also block on the second token
        add(block_on("name_tok2"), "name second token")

    # ---- deterministic rules for probability_two_random_records_match
    det, det_desc = [], []
    partners = [c for c in ["postal_code", "code", "phone", "address_line1", "city"] if has(c)]
    if has("name"):
        for p in partners[:2]:
            det.append(block_on("name", p))
            det_desc.append(f"name & {p}")
        if not det:
            det.append(block_on("name"))
            det_desc.append("name")

    # ---- EM training blocking rules
    em, em_desc = [], []
    other = [c for c in ["postal_code", "code", "phone", "city"] if has(c)]
    if has("name") and other:
        em.append(block_on("name")); em_desc.append("name (exact)")
        em.append(block_on(other[0])); em_desc.append(other[0])
    elif has("name"):
        em.append(block_on("name_tok1")); em_desc.append("name first token")

    settings = SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        comparisons=comparisons,
        blocking_rules_to_generate_predictions=brs,
        retain_intermediate_calculation_columns=False,
        max_iterations=MAX_EM_ITERATIONS,  # default 25 left EM unconverged on some sets
    )
    return settings, dict(comparisons=desc, blocking_rules=br_desc,
                          deterministic_rules=det_desc, em_rules=em_desc), det, em


# ---------------------------------------------------------------------------------------
# Pairwise evaluation

def c2(n):
    return n * (n - 1) // 2


def pairwise(clusters, truth):
    """clusters, truth: Series indexed by unique_id -> cluster/entity id (same index)."""
    j = pd.DataFrame({"c": clusters, "e": truth})
    pred = int(j.groupby("c").size().map(c2).sum())
    true = int(j.groupby("e").size().map(c2).sum())
    tp = int(j.groupby(["c", "e"]).size().map(c2).sum())
    p = tp / pred if pred else 1.0
    r = tp / true if true else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return dict(precision=p, recall=r, f1=f, tp=tp, pred_pairs=pred, true_pairs=true)


MAX_EM_ITERATIONS = 100
# extra thresholds beyond the [0.05, 0.999] sweep, reported for information only
EXTRA_THRESHOLDS = [0.9999, 0.99999]
THRESHOLDS = sorted(set([round(x, 3) for x in np.arange(0.05, 0.951, 0.05)]
                        + [0.5, 0.9, 0.97, 0.98, 0.99, 0.995, 0.999]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dataset_dir")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "results"))
    ap.add_argument("--name", default=None)
    ap.add_argument("--max-pairs", type=float, default=5e6)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--recall", type=float, default=0.7,
                    help="assumed recall of the deterministic rules (a guess, not tuned)")
    args = ap.parse_args()
    name = args.name or os.path.basename(os.path.normpath(args.dataset_dir))
    os.makedirs(args.out, exist_ok=True)

    log_path = os.path.join(args.out, f"{name}.log")
    fh = logging.FileHandler(log_path, mode="w")
    fh.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    logging.getLogger("splink").addHandler(fh)
    logging.captureWarnings(True)
    logging.getLogger("py.warnings").addHandler(fh)
    warnings.simplefilter("default")

    t0 = time.time()
    df, present, dropped = load_records(os.path.join(args.dataset_dir, "records.csv"))
    settings, desc, det_rules, em_rules = build_settings(present)

    db_api = DuckDBAPI()
    sdf = db_api.register(df)
    linker = Linker(sdf, settings, log_level=logging.INFO)
    logging.getLogger("splink").addHandler(fh)

    timings = {}
    t = time.time()
    linker.training.estimate_probability_two_random_records_match(det_rules, recall=args.recall)
    linker.training.estimate_u_using_random_sampling(max_pairs=args.max_pairs, seed=args.seed)
    em_info = []
    for r in em_rules:
        sess = linker.training.estimate_parameters_using_expectation_maximisation(r)
        em_info.append(str(r.get_blocking_rule("duckdb").blocking_rule_sql))
    timings["train_s"] = time.time() - t

    t = time.time()
    df_pred = linker.inference.predict(threshold_match_probability=0.01)
    n_pred = df_pred.as_pandas_dataframe()["match_probability"].shape[0]
    timings["predict_s"] = time.time() - t

    t = time.time()
    ids = df["unique_id"]
    clusters_by_t = {}
    for thr in THRESHOLDS + EXTRA_THRESHOLDS:
        cl_df = linker.clustering.cluster_pairwise_predictions_at_threshold(
            df_pred, threshold_match_probability=thr).as_pandas_dataframe()
        clusters_by_t[thr] = cl_df.set_index("unique_id")["cluster_id"].reindex(ids)
    timings["cluster_s"] = time.time() - t
    total_unsupervised_s = time.time() - t0

    # ---- evaluation (labels used from here on only)
    truth = pd.read_csv(os.path.join(args.dataset_dir, "truth.csv"), dtype=str, keep_default_na=False)
    truth.index = truth["source_system"] + "|" + truth["source_id"]
    tser = truth["entity_id"].reindex(ids)
    missing = int(tser.isna().sum())
    tser = tser.fillna(pd.Series(["__missing__" + i for i in ids], index=ids.values))
    tser.index = ids.values

    metrics = {}
    for thr, cs in sorted(clusters_by_t.items()):
        cs = cs.copy()
        cs.index = ids.values
        cs = cs.fillna(pd.Series(["__single__" + i for i in ids], index=ids.values))
        metrics[str(thr)] = pairwise(cs, tser)
    sweep = [thr for thr in THRESHOLDS if 0.05 <= thr <= 0.999]
    best_thr = max(sweep, key=lambda x: metrics[str(x)]["f1"])

    fh.flush()
    with open(log_path) as lf:
        logtxt = lf.read()
    # Splink logs "EM converged after N iterations" even when it stopped at max_iterations
    em_iters = [int(x) for x in re.findall(r"EM converged after (\d+) iterations", logtxt)]
    em_conv = [f"{n} iterations" + (" (HIT max_iterations: not converged)" if n >= MAX_EM_ITERATIONS else "")
               for n in em_iters]
    warn_lines = re.findall(r" WARNING (?:WARNING:)?\s*\n?(?: -- WARNING --\n)?([^\n]+)", logtxt)
    model = linker.misc.save_model_to_json()
    lam = model.get("probability_two_random_records_match")
    res = dict(
        dataset=name, dir=os.path.abspath(args.dataset_dir), records=len(df),
        entities=int(truth["entity_id"].nunique()), truth_missing=missing,
        splink_version=splink.__version__, columns_used=present, columns_dropped_empty=dropped,
        settings=desc, probability_two_random_records_match=lam,
        max_pairs_u=args.max_pairs, seed=args.seed, recall_assumed=args.recall,
        em=em_info, em_convergence=em_conv, warnings=warn_lines, n_pairs_scored_ge_0_01=int(n_pred),
        extra_thresholds={str(t): metrics[str(t)] for t in EXTRA_THRESHOLDS},
        at_0_5=metrics["0.5"], at_0_9=metrics["0.9"], at_0_99=metrics["0.99"],
        best=dict(threshold=best_thr, **metrics[str(best_thr)]),
        all_thresholds=metrics, timings=timings, seconds_unsupervised_pipeline=total_unsupervised_s,
        seconds_total=time.time() - t0,
    )
    with open(os.path.join(args.out, f"{name}.json"), "w") as f:
        json.dump(res, f, indent=1)
    with open(os.path.join(args.out, f"{name}.model.json"), "w") as f:
        json.dump(model, f, indent=1)
    m = lambda d: f"P={d['precision']:.3f} R={d['recall']:.3f} F1={d['f1']:.3f}"  # noqa: E731
    print(f"{name}: n={len(df)} | 0.99 {m(res['at_0_99'])} | 0.9 {m(res['at_0_9'])} | "
          f"0.5 {m(res['at_0_5'])} | best F1={res['best']['f1']:.3f} @ {best_thr} | "
          f"{res['seconds_total']:.1f}s")


if __name__ == "__main__":
    main()

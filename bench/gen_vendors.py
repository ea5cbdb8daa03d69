#!/usr/bin/env python3
"""Generates synthetic vendor records with realistic duplicates, in `golden eval` format.

usage: gen_vendors.py N OUT_DIR [--seed S]
Writes OUT_DIR/records.csv (source_system,source_id,name,tax_id,address_line1,city,region,
postal_code,country,phone) and OUT_DIR/truth.csv (source_system,source_id,entity_id).
About 2.5 records per entity, spread over five source systems, with typos, abbreviations,
legal-form variants, missing values and sibling companies that share a name.
"""
import argparse
import csv
import os
import random

WORDS = """acme apex summit pioneer liberty national premier allied united global metro central
coastal valley river lake mountain prairie harbor bay north south east west midwest atlantic
pacific keystone heritage evergreen cardinal eagle falcon beacon crest horizon frontier
medical surgical health care supply labs diagnostics pharma biotech instruments devices
systems solutions services logistics distribution industries products technologies partners
group associates holdings imaging dental orthopedic vascular respiratory sterile clinical""".split()
SUFFIXES = ["Inc", "Inc.", "Incorporated", "LLC", "L.L.C.", "Corp", "Corporation", "Co", "Company", "Ltd", "LP", ""]
STREETS = """main oak maple cedar pine elm washington lake hill park ridge sunset lincoln jackson
franklin madison adams jefferson walnut chestnut spruce highland meadow forest river""".split()
KINDS = [("Street", "St"), ("Avenue", "Ave"), ("Boulevard", "Blvd"), ("Road", "Rd"), ("Drive", "Dr")]
CITIES = [("Chicago", "IL", "606"), ("Boston", "MA", "021"), ("Houston", "TX", "770"),
          ("Denver", "CO", "802"), ("Atlanta", "GA", "303"), ("Seattle", "WA", "981"),
          ("Phoenix", "AZ", "850"), ("Nashville", "TN", "372"), ("Columbus", "OH", "432"),
          ("Saint Louis", "MO", "631"), ("Minneapolis", "MN", "554"), ("Portland", "OR", "972")]
SOURCES = ["SAP_ECC", "ORACLE_EBS", "WORKDAY", "LAWSON", "ACQ_MERIDIAN"]


def typo(s, rng):
    if len(s) < 4:
        return s
    i = rng.randrange(1, len(s) - 1)
    op = rng.random()
    if op < 0.4:
        return s[:i] + s[i + 1:]
    if op < 0.7:
        return s[:i] + s[i + 1] + s[i] + s[i + 2:]
    return s[:i] + rng.choice("aeiounrst") + s[i + 1:]


def entity(rng, eid):
    words = rng.sample(WORDS, rng.choice([2, 2, 3]))
    name = " ".join(w.capitalize() for w in words)
    city, region, zip3 = rng.choice(CITIES)
    street, (kind, abbr) = rng.choice(STREETS).capitalize(), rng.choice(KINDS)
    return {
        "name": name,
        "suffix": rng.choice(SUFFIXES),
        "tax_id": f"{rng.randrange(10, 99)}-{rng.randrange(1000000, 9999999)}" if rng.random() < 0.5 else "",
        "number": str(rng.randrange(1, 9999)),
        "street": street, "kind": kind, "abbr": abbr,
        "city": city, "region": region,
        "zip": f"{zip3}{rng.randrange(0, 99):02d}",
        "phone": f"{rng.randrange(201, 989)}{rng.randrange(200, 999)}{rng.randrange(0, 9999):04d}",
        "eid": eid,
    }


def render(e, rng, variant):
    name = e["name"]
    if variant and rng.random() < 0.3:
        name = typo(name, rng)
    if variant and rng.random() < 0.3:
        name = name.upper()
    suffix = rng.choice(SUFFIXES) if variant and rng.random() < 0.5 else e["suffix"]
    full = f"{name}, {suffix}" if suffix and rng.random() < 0.5 else f"{name} {suffix}".strip()
    kind = e["abbr"] if rng.random() < 0.5 else e["kind"]
    address = f"{e['number']} {e['street']} {kind}"
    phone = e["phone"]
    fmt = rng.random()
    phone = f"({phone[:3]}) {phone[3:6]}-{phone[6:]}" if fmt < 0.4 else (f"{phone[:3]}.{phone[3:6]}.{phone[6:]}" if fmt < 0.7 else phone)
    drop = lambda v, p: "" if variant and rng.random() < p else v
    tax = e["tax_id"].replace("-", "") if rng.random() < 0.5 else e["tax_id"]
    return {
        "name": full,
        "tax_id": drop(tax, 0.3),
        "address_line1": drop(address, 0.1),
        "city": drop(e["city"], 0.1),
        "region": drop(e["region"], 0.2),
        "postal_code": drop(e["zip"] + (f"-{rng.randrange(1000, 9999)}" if rng.random() < 0.2 else ""), 0.2),
        "country": rng.choice(["US", "USA", "United States", ""]),
        "phone": drop(phone, 0.3),
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("n", type=int)
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    os.makedirs(args.out, exist_ok=True)
    fields = ["name", "tax_id", "address_line1", "city", "region", "postal_code", "country", "phone"]
    ids = {s: 0 for s in SOURCES}
    with open(os.path.join(args.out, "records.csv"), "w", newline="") as rf, \
         open(os.path.join(args.out, "truth.csv"), "w", newline="") as tf:
        rw, tw = csv.writer(rf), csv.writer(tf)
        rw.writerow(["source_system", "source_id"] + fields)
        tw.writerow(["source_system", "source_id", "entity_id"])
        written, eid = 0, 0
        while written < args.n:
            eid += 1
            e = entity(rng, eid)
            copies = min(rng.choice([1, 1, 2, 3, 3, 4, 5]), args.n - written)
            for c in range(copies):
                source = rng.choice(SOURCES)
                ids[source] += 1
                sid = f"{source[:2]}{ids[source]:07d}"
                rec = render(e, rng, variant=c > 0)
                rw.writerow([source, sid] + [rec[f] for f in fields])
                tw.writerow([source, sid, f"E{eid}"])
                written += 1
            if rng.random() < 0.03:
                # A sibling: same name, another tax ID and address.
                eid += 1
                sib = entity(rng, eid)
                sib["name"], sib["tax_id"] = e["name"], f"{rng.randrange(10, 99)}-{rng.randrange(1000000, 9999999)}"
                source = rng.choice(SOURCES)
                ids[source] += 1
                sid = f"{source[:2]}{ids[source]:07d}"
                rec = render(sib, rng, variant=False)
                rw.writerow([source, sid] + [rec[f] for f in fields])
                tw.writerow([source, sid, f"E{eid}"])
                written += 1


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Generates hard, realistic multi-source master data with ground truth, in `golden eval` format.

usage: gen_domains.py DOMAIN N OUT_DIR [--seed S]
    DOMAIN: location | cost_center | vendor | listing
    N:      number of real-world entities (records are about 1.5-3 times N)
Writes OUT_DIR/records.csv (source_system,source_id, then the domain's fields, named as in
matching-rules/<domain>.toml; `listing` uses the vendor field names) and OUT_DIR/truth.csv
(source_system,source_id,entity_id). Python 3 standard library only; the same seed always gives
the same files.

The data imitates what the MDM hub of a multi-region health system receives: the parent's ERP,
procurement, facility and warehouse systems and the legacy systems of acquired hospitals, each
with its own IDs, code spaces and formatting habits (all caps or mixed case, abbreviations,
punctuation, ZIP or ZIP+4, phone formats, suite in line 1 or line 2, fields left empty).
Free-text fields get a typo in about 2-4% of values, depending on the system.

location (about 2.1 records per entity)
    Regional health systems (~35-40 sites each, about a third of them acquired; a stem such as
    "Mercy" recurs in unrelated regions) of: hospitals ~6% (main campus plus sister campuses
    "... - North Campus" or in another city, sometimes a children's or rehab hospital at the
    main campus address), loading docks ~16% (mostly at the street address of their hospital or
    warehouse, "Loading Dock 2" vs "Dock 3"), supply rooms ~36% (pharmacy, central sterile, OR
    supply... at the hospital's address, "Room 214" vs "Room 216"), medical office buildings
    ~3.5%, clinics in them ~16% (same address, another suite and name), standalone clinics and
    urgent cares ~18% (one brand of the system in several cities and neighbourhoods),
    warehouses and distribution centers ~4%. Sources: ORACLE_ERP (ship-to/deliver-to
    locations), LAWSON_PROC (par locations; keeps the ERP's parent codes), TRIRIGA_FMS
    (buildings, floors and rooms), MANH_WMS (distribution; 30-character names), and one
    ACQ_<SYSTEM> per acquired region. location_type and parent_code are in each system's own
    vocabulary and code space; a GLN is known for ~28% of sites and sent by ~13% of records
    (0.5% of child-location records in procurement carry their hospital's GLN, a common real
    mistake; about 1 in 400 GLNs is mistyped with a bad check digit and is rejected by design).
    About 2% of entities are duplicated inside one system.

cost_center (about 2.1 records per entity)
    One health system's ledgers: a hospital company over 2 + N/200 campuses (5-digit codes,
    campus digit + standard chart-of-accounts unit), a medical group and a home-health company
    (4-digit standard codes), and as many acquired hospital companies as it takes (about 5 at
    N=800, ~45% of the units) whose legacy ledgers reuse 4-digit codes for other units. Hard negatives: the same unit name at each campus or
    company (often under the very same standard code in another company), codes reissued by
    acquired ledgers for another unit, sibling units in one ledger ("Radiology - Inpatient" vs
    "Radiology - Outpatient", "ICU - Medical" vs "ICU - Surgical", adjacent codes). Sources:
    WORKDAY_GL (company as its number), LAWSON_PROC (upper case, 20-character names, company
    mostly as an abbreviation, code sometimes prefixed with the company), UKG_HR (company mostly
    as a name, HR's own department names, codes sometimes "CC"-prefixed), ACQ_<CO> (legacy codes and names).
    Acquired units migrated to the parent's GL (~65%) keep their legacy code or are re-coded.

vendor (about 2.0 records per entity)
    Suppliers: ~28% in corporate families of 2-5 siblings sharing a name stem ("X Medical Inc",
    "X Medical Canada Ltd", "X Pharmaceuticals Inc"; siblings often share the HQ address, a
    toll-free phone or a remit-to lockbox), ~17% franchise-like businesses with one brand in
    several cities (sometimes same-named cities in other states), ~16% small firms sharing
    office-park addresses (other suite), ~39% independent suppliers, service firms,
    practices and utilities. Positives: legal-form variants, abbreviations, dba names, the
    remit-to lockbox (PO Box in another city) in place of the street address, typos, duplicate
    vendors inside AP (~5%), ~24% of vendors with a remit-to lockbox. Tax ID in ~45% of records
    (1% mistyped), phone in ~60%. Sources: ORACLE_AP,
    GHX_PROC, CONTRACTS_DB, ACQ_<SYSTEM>.

listing (about 1.5 records per entity)
    Two restaurant guides, GUIDE_A and GUIDE_B: 50% of businesses in both, 30% only in A,
    20% only in B. Fields: name, address_line1, city, phone. Hard negatives: chains (~12%) with
    the same name in other cities, hotels with 2-4 restaurants at one address sharing the hotel's
    phone (~8% of businesses), similar names on one street. GUIDE_B writes neighbourhoods for some cities, drops
    "The" and location suffixes, and its phone is outdated for ~3% of businesses.
"""
import argparse
import csv
import os
import random
import re

R = random.Random(0)

FIELDS = {
    "location": ["name", "location_type", "address_line1", "address_line2", "city", "region",
                 "postal_code", "country", "gln", "parent_code"],
    "cost_center": ["code", "name", "company", "department", "parent_code"],
    "vendor": ["name", "tax_id", "address_line1", "address_line2", "city", "region",
               "postal_code", "country", "phone"],
    "listing": ["name", "address_line1", "city", "phone"],
}


# ---------------------------------------------------------------------------------------------
# Small helpers

def ch(p):
    return R.random() < p


def pick(seq):
    return R.choice(seq)


def wpick(pairs):
    values = [v for v, _ in pairs]
    weights = [w for _, w in pairs]
    return R.choices(values, weights)[0]


KEY_NEIGHBOURS = {
    "a": "sqw", "b": "vnhg", "c": "xvdf", "d": "sfer", "e": "wrd", "f": "dgrt", "g": "fhty",
    "h": "gjyu", "i": "uok", "j": "hkui", "k": "jlio", "l": "kop", "m": "nj", "n": "bmh",
    "o": "ipl", "p": "ol", "q": "wa", "r": "etf", "s": "adwz", "t": "ryg", "u": "yij",
    "v": "cbf", "w": "qes", "x": "zcs", "y": "tuh", "z": "xa",
    "0": "9", "1": "2", "2": "13", "3": "24", "4": "35", "5": "46", "6": "57", "7": "68",
    "8": "79", "9": "80",
}


def typo(s):
    """One keying error: a dropped, swapped, doubled or neighbouring-key character."""
    letters = [i for i, c in enumerate(s) if c.isalnum()]
    if len(letters) < 4:
        return s
    i = pick(letters[1:])
    op = R.random()
    if op < 0.3:
        return s[:i] + s[i + 1:]
    if op < 0.55 and i + 1 < len(s) and s[i + 1].isalnum():
        return s[:i] + s[i + 1] + s[i] + s[i + 2:]
    if op < 0.7:
        return s[:i] + s[i] + s[i:]
    c = s[i]
    n = KEY_NEIGHBOURS.get(c.lower())
    if not n:
        return s[:i] + s[i + 1:]
    r = pick(n)
    return s[:i] + (r.upper() if c.isupper() else r) + s[i + 1:]


def maybe_typo(s, p):
    return typo(s) if s and ch(p) else s


def squash(s):
    s = re.sub(r"\s+", " ", s).strip()
    s = re.sub(r"\s+([,.])", r"\1", s)
    return s.strip(" -,/")


def abbreviate(text, rules, p):
    """Applies each (pattern, variants) rule with probability p, one variant per record."""
    for pattern, variants in rules:
        if re.search(pattern, text) and ch(p):
            text = re.sub(pattern, pick(variants), text)
    return squash(text)


def casing(s, mode):
    if mode == "upper":
        return s.upper()
    if mode == "lower":
        return s.lower()
    return s


def initials(name):
    words = [w for w in re.split(r"[\s\-/]+", name) if w and w[0].isalpha()
             and w.lower() not in ("of", "the", "and", "at", "&")]
    return "".join(w[0].upper() for w in words)


def gs1_check(body):
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return str((10 - total % 10) % 10)


class Ids:
    """Unique source IDs in each system's own format."""

    def __init__(self):
        self.used = set()

    def new(self, fmt, lo, hi):
        while True:
            v = fmt.format(R.randint(lo, hi))
            if v not in self.used:
                self.used.add(v)
                return v


# ---------------------------------------------------------------------------------------------
# Geography

# metro -> cities (name, state, zip3, area codes)
METROS = {
    "chicago": [("Chicago", "IL", "606", ["312", "773"]), ("Evanston", "IL", "602", ["847"]),
                ("Oak Park", "IL", "603", ["708"]), ("Naperville", "IL", "605", ["630"]),
                ("Joliet", "IL", "604", ["815"]), ("Elgin", "IL", "601", ["847"]),
                ("Arlington Heights", "IL", "600", ["847"])],
    "stlouis": [("Saint Louis", "MO", "631", ["314"]), ("Saint Charles", "MO", "633", ["636"]),
                ("Chesterfield", "MO", "630", ["636"]), ("Belleville", "IL", "622", ["618"]),
                ("Florissant", "MO", "630", ["314"])],
    "columbus": [("Columbus", "OH", "432", ["614"]), ("Dublin", "OH", "430", ["614"]),
                 ("Westerville", "OH", "430", ["614"]), ("Lancaster", "OH", "431", ["740"]),
                 ("Springfield", "OH", "455", ["937"])],
    "dallas": [("Dallas", "TX", "752", ["214", "972"]), ("Plano", "TX", "750", ["972"]),
               ("Fort Worth", "TX", "761", ["817"]), ("Irving", "TX", "750", ["972"]),
               ("Arlington", "TX", "760", ["817"])],
    "atlanta": [("Atlanta", "GA", "303", ["404"]), ("Marietta", "GA", "300", ["770"]),
                ("Decatur", "GA", "300", ["404"]), ("Lawrenceville", "GA", "300", ["770"])],
    "denver": [("Denver", "CO", "802", ["303"]), ("Aurora", "CO", "800", ["303", "720"]),
               ("Lakewood", "CO", "802", ["303"]), ("Littleton", "CO", "801", ["303"])],
    "seattle": [("Seattle", "WA", "981", ["206"]), ("Bellevue", "WA", "980", ["425"]),
                ("Tacoma", "WA", "984", ["253"]), ("Everett", "WA", "982", ["425"])],
    "boston": [("Boston", "MA", "021", ["617"]), ("Cambridge", "MA", "021", ["617"]),
               ("Worcester", "MA", "016", ["508"]), ("Framingham", "MA", "017", ["508"]),
               ("Springfield", "MA", "011", ["413"])],
    "twincities": [("Minneapolis", "MN", "554", ["612"]), ("Saint Paul", "MN", "551", ["651"]),
                   ("Bloomington", "MN", "554", ["952"]), ("Edina", "MN", "554", ["952"])],
    "phoenix": [("Phoenix", "AZ", "850", ["602"]), ("Mesa", "AZ", "852", ["480"]),
                ("Scottsdale", "AZ", "852", ["480"]), ("Tempe", "AZ", "852", ["480"])],
    "ozarks": [("Springfield", "MO", "658", ["417"]), ("Joplin", "MO", "648", ["417"]),
               ("Branson", "MO", "656", ["417"])],
    "centralil": [("Springfield", "IL", "627", ["217"]), ("Decatur", "IL", "625", ["217"]),
                  ("Champaign", "IL", "618", ["217"]), ("Peoria", "IL", "616", ["309"])],
    "nashville": [("Nashville", "TN", "372", ["615"]), ("Franklin", "TN", "370", ["615"]),
                  ("Murfreesboro", "TN", "371", ["615"])],
    "pittsburgh": [("Pittsburgh", "PA", "152", ["412"]), ("Mount Lebanon", "PA", "152", ["412"]),
                   ("Monroeville", "PA", "151", ["412"])],
}
STATE_NAMES = {"IL": "Illinois", "MO": "Missouri", "OH": "Ohio", "TX": "Texas", "GA": "Georgia",
               "CO": "Colorado", "WA": "Washington", "MA": "Massachusetts", "MN": "Minnesota",
               "AZ": "Arizona", "TN": "Tennessee", "PA": "Pennsylvania", "NY": "New York",
               "CA": "California", "NV": "Nevada", "NC": "North Carolina", "NJ": "New Jersey",
               "ON": "Ontario", "QC": "Quebec", "BC": "British Columbia", "FL": "Florida"}
ALL_CITIES = [c for cities in METROS.values() for c in cities]
CANADA = [("Toronto", "ON", "M5V", ["416"]), ("Mississauga", "ON", "L5N", ["905"]),
          ("Montreal", "QC", "H3B", ["514"]), ("Vancouver", "BC", "V6C", ["604"])]
LOCKBOXES = [("Palatine", "IL", "60055"), ("Pittsburgh", "PA", "15264"),
             ("Atlanta", "GA", "30384"), ("Dallas", "TX", "75397"),
             ("Philadelphia", "PA", "19178"), ("Los Angeles", "CA", "90074"),
             ("Chicago", "IL", "60693"), ("Carol Stream", "IL", "60197"),
             ("Charlotte", "NC", "28260"), ("Saint Louis", "MO", "63195")]

STREET_NAMES = """Main Oak Maple Washington Lincoln Park Lake Hill Church Market Elm Walnut
University College Grand Broadway Jefferson Madison Franklin Highland Riverside Cedar Pine
Spring Union Clinton Wilson Jackson Prospect Ridge Sunset Meadow Commerce Industrial
Harrison Monroe Chestnut Locust Summit Fairview Woodland Forest Greenwood Lakeview""".split()
STREET_NAMES += ["Saint Clair", "Martin Luther King Jr", "Mount Vernon", "Fort Hill",
                 "Saint Joseph", "Medical Center", "Hospital", "Corporate Center"]
STREET_TYPES = [("Street", ["St", "St."]), ("Avenue", ["Ave", "Ave.", "Av"]),
                ("Boulevard", ["Blvd", "Blvd."]), ("Road", ["Rd", "Rd."]),
                ("Drive", ["Dr", "Dr."]), ("Parkway", ["Pkwy", "Pky"]), ("Lane", ["Ln"]),
                ("Court", ["Ct"]), ("Place", ["Pl"]), ("Highway", ["Hwy"]),
                ("Circle", ["Cir"]), ("Way", ["Way"])]
DIRS = [("North", ["N", "N."]), ("South", ["S", "S."]), ("East", ["E", "E."]),
        ("West", ["W", "W."])]


def new_city(metro=None):
    return pick(METROS[metro]) if metro else pick(ALL_CITIES)


def new_street():
    st = R.choices(STREET_TYPES, [30, 25, 8, 12, 14, 5, 2, 2, 1, 2, 1, 2])[0]
    return {"dir": pick(DIRS) if ch(0.3) else None, "name": pick(STREET_NAMES), "type": st}


def new_address(city, street=None, num=None):
    if city[2].isdigit():
        zip5 = city[2] + "%02d" % R.randint(1, 99)
    else:  # Canada: forward sortation area + local delivery unit
        zip5 = city[2] + " %d%s%d" % (R.randint(1, 9), pick("ABCEGHJKLMNPRSTVWXYZ"),
                                       R.randint(1, 9))
    return {"num": num or str(R.choice([R.randint(100, 999), R.randint(1000, 9999),
                                        R.randint(10, 99), R.randint(10000, 29999)])),
            "street": street or new_street(), "city": city, "zip5": zip5,
            "plus4": "%04d" % R.randint(1, 9999), "suite": None, "unit2": None}


def same_site(addr, suite=None, unit2=None, plus4=None):
    a = dict(addr)
    a["suite"] = suite
    a["unit2"] = unit2
    if plus4:
        a["plus4"] = plus4
    return a


def render_street(addr, st):
    street = addr["street"]
    parts = [addr["num"]]
    if street["dir"]:
        parts.append(pick(street["dir"][1]) if ch(st["abbr"]) else street["dir"][0])
    name = street["name"]
    if ch(st["abbr"]):
        name = re.sub(r"^Saint\b", pick(["St", "St."]), name)
        name = re.sub(r"^Mount\b", "Mt", name)
        name = re.sub(r"^Fort\b", "Ft", name)
        name = re.sub(r"^Martin Luther King Jr$", pick(["MLK", "M L King Jr", "Martin L King"]),
                      name)
    parts.append(name)
    typ = street["type"]
    parts.append(pick(typ[1]) if ch(st["abbr_type"]) else typ[0])
    return " ".join(parts)


def render_suite(suite, st):
    kind, number = suite
    if kind == "Suite":
        label = wpick([("Suite", 4), ("Ste", 4), ("Ste.", 2), ("#", 2), ("STE", 1)]) \
            if ch(st["abbr"]) else "Suite"
        return label + number if label == "#" else f"{label} {number}"
    if kind == "Floor":
        n = number
        return wpick([(f"Floor {n}", 3), (f"Fl {n}", 3), (f"{ordinal(n)} Floor", 3),
                      (f"{ordinal(n)} Fl", 2), (f"Flr {n}", 1)]) if ch(st["abbr"]) \
            else f"Floor {n}"
    if kind == "Building":
        return (pick(["Bldg", "Bldg."]) if ch(st["abbr"]) else "Building") + " " + number
    if kind == "Room":
        return (pick(["Rm", "Rm."]) if ch(st["abbr"]) else "Room") + " " + number
    return f"{kind} {number}"


def ordinal(n):
    n = int(n) if str(n).isdigit() else 0
    if n == 0:
        return "Ground"
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


def render_address(addr, st):
    """(line1, line2, city, region, postal) as the system writes them."""
    if addr.get("pobox"):
        line1 = render_pobox(addr["pobox"], st)
        line2 = ""
    else:
        line1 = render_street(addr, st)
        extras = [render_suite(s, st) for s in (addr.get("unit2") or [])]
        if addr["suite"] and not ch(st["drop_suite"]):
            extras.insert(0, render_suite(addr["suite"], st))
        line2 = ""
        if extras:
            if ch(st["suite_line1"]):
                line1 = line1 + (", " if ch(0.4) else " ") + " ".join(extras)
            else:
                line2 = ", ".join(extras) if ch(0.5) else " ".join(extras)
    city = addr["city"]
    cname = city[0]
    if ch(st["abbr"]):
        cname = re.sub(r"^Saint\b", pick(["St.", "St"]), cname)
        cname = re.sub(r"^Fort\b", pick(["Ft.", "Ft"]), cname)
        cname = re.sub(r"^Mount\b", pick(["Mt.", "Mt"]), cname)
    region = STATE_NAMES.get(city[1], city[1]) if ch(st["region_full"]) else city[1]
    postal = addr["zip5"]
    if postal.isdigit():
        if ch(st["zip4"]):
            postal = postal + pick(["-", "-", "-", ""]) + addr["plus4"]
        if postal.startswith("0") and ch(st.get("zip_lost_zero", 0)):
            postal = postal.lstrip("0")  # passed through a spreadsheet
    line1 = maybe_typo(line1, st["typo"])
    cname = maybe_typo(cname, st["typo"] / 2)
    return (casing(line1, st["case"]), casing(line2, st["case"]), casing(cname, st["case"]),
            casing(region, st["case"]), postal)


def render_pobox(box, st):
    kind, number = box
    if kind == "dept":  # Chicago-area lockbox convention
        return pick([f"Dept CH {number}", f"Dept. CH {number}", f"DEPT CH {number}"])
    if kind == "lockbox":
        return pick([f"Lockbox {number}", f"PO Box {number}", f"P.O. Box {number}"])
    return wpick([(f"PO Box {number}", 5), (f"P.O. Box {number}", 3), (f"P O Box {number}", 1),
                  (f"POB {number}", 1), (f"Post Office Box {number}", 1)])


def phone_digits(city):
    return pick(city[3]) + str(R.randint(200, 989)) + "%04d" % R.randint(0, 9999)


def render_phone(d, st):
    if not d:
        return ""
    if ch(st["typo"] / 3):
        d = typo(d)
    a, b, c = d[:3], d[3:6], d[6:]
    fmt = pick(st["phone"])
    return fmt.format(a=a, b=b, c=c)


PHONE_ALL = ["({a}) {b}-{c}", "{a}-{b}-{c}", "{a}.{b}.{c}", "{a}{b}{c}", "+1 {a} {b} {c}",
             "1-{a}-{b}-{c}", "{a}/{b}-{c}", "({a}){b}-{c}"]


def render_country(code, st):
    if not ch(st["country"]):
        return ""
    names = {"US": ["US", "USA", "United States", "U.S.A.", "US"],
             "CA": ["CA", "CAN", "Canada", "Canada"]}[code]
    return casing(names[st["country_fmt"] % len(names)], st["case"])


def style(**kw):
    base = {"case": "asis", "abbr": 0.3, "abbr_type": 0.5, "suite_line1": 0.3,
            "drop_suite": 0.05, "region_full": 0.0, "zip4": 0.2, "typo": 0.02,
            "phone": ["({a}) {b}-{c}"], "country": 0.9, "country_fmt": 0, "trunc": None}
    base.update(kw)
    return base


def truncate(s, n):
    return s[:n].rstrip() if n and len(s) > n else s


# ---------------------------------------------------------------------------------------------
# Location

LOC_NAME_RULES = [
    (r"\bSaint\b", ["St.", "St", "ST."]),
    (r"\bMedical Center\b", ["Med Ctr", "Medical Ctr", "Med. Ctr.", "MC"]),
    (r"\bHospital\b", ["Hosp", "Hosp."]),
    (r"\bCenter\b", ["Ctr", "Ctr."]),
    (r"\bBuilding\b", ["Bldg", "Bldg."]),
    (r"\bFloor\b", ["Fl", "Flr"]),
    (r"\bRoom\b", ["Rm", "Rm."]),
    (r"\bNorth\b", ["N", "N."]), (r"\bSouth\b", ["S", "S."]),
    (r"\bEast\b", ["E", "E."]), (r"\bWest\b", ["W", "W."]),
    (r" Campus\b", ["", " Camp"]),
    (r"\bRegional\b", ["Reg", "Regl", "Rgnl"]),
    (r"\bMemorial\b", ["Mem", "Meml"]),
    (r"\bCommunity\b", ["Comm", "Cmty"]),
    (r"\bChildren's\b", ["Childrens", "Child"]),
    (r"\bHealth\b", ["Hlth"]),
    (r"\bOffice\b", ["Ofc", "Off"]),
    (r"\bDistribution\b", ["Dist", "Distrib"]),
    (r"\bWarehouse\b", ["Whse", "WH"]),
    (r"\bLoading Dock\b", ["Dock", "Ldg Dock", "LD"]),
    (r"\bReceiving\b", ["Rcvg", "Recv"]),
    (r"\bPharmacy\b", ["Pharm", "Rx"]),
    (r"\bSupply\b", ["Sup", "Supp"]),
    (r"\bCentral Sterile\b", ["CS", "Cent Sterile", "SPD"]),
    (r"\bPhysicians\b", ["Phys"]),
    (r"\bAssociates\b", ["Assoc"]),
    (r"\bFamily Medicine\b", ["Family Med", "Fam Med"]),
    (r"\bOrthopedics\b", ["Ortho"]),
    (r"\bCardiology\b", ["Cardio"]),
    (r"\bPrimary Care\b", ["Prim Care", "PC"]),
    (r"\bUrgent Care\b", ["UC", "Urg Care"]),
    (r"\bRehabilitation\b", ["Rehab"]),
    (r"\bStorage\b", ["Stor", "Strg"]),
    (r"\bLaboratory\b", ["Lab"]),
    (r"\bConsolidated Service\b", ["CSC", "Consol Svc", "Consolidated Svc"]),
    (r"\bMaterials Management\b", ["Mat Mgmt", "MM", "Materials Mgmt"]),
    (r"\bSpecimen\b", ["Spec"]),
    (r"\bNutrition\b", ["Nutr"]),
    (r"\bStoreroom\b", ["Stores", "Store Rm"]),
    (r" - ", [" ", "-", " / ", ", ", " "]),
    (r"'s\b", ["s", "S"]),
]
LOC_STEMS = ["Mercy", "Saint Mary's", "Saint Joseph", "Good Samaritan", "Providence",
             "Sacred Heart", "Baptist", "Methodist", "Presbyterian", "Riverside", "Lakeview",
             "Northside", "Valley", "Covenant", "Trinity", "Holy Cross", "Saint Luke's",
             "Saint Vincent", "Saint Francis", "Memorial", "Community", "Grace", "Bethesda",
             "Saint Elizabeth", "Saint Anthony", "Heartland", "Prairie", "Summit", "Lutheran",
             "Saint John's", "Christ", "Unity", "Saint Catherine", "Pioneer", "Fairview"]
CLINIC_SPECIALTIES = ["Cardiology", "Family Medicine", "Orthopedics", "Pediatrics",
                      "Internal Medicine", "Women's Health", "OB/GYN", "Oncology",
                      "Neurology", "Dermatology", "Gastroenterology", "Pulmonology",
                      "Endocrinology", "Urology", "Sleep Medicine", "Wound Care",
                      "Physical Therapy", "Imaging", "Laboratory", "Behavioral Health",
                      "Sports Medicine", "Pain Management", "ENT", "Vascular Surgery"]
ROOM_KINDS = ["Pharmacy", "Central Sterile Supply", "OR Supply Room", "Cath Lab Storage",
              "Materials Management Storeroom", "ED Supply Room", "Lab Specimen Receiving",
              "Nutrition Services Storeroom", "IR Supply Room", "Satellite Pharmacy",
              "Respiratory Therapy Storage", "Endoscopy Supply", "ICU Supply Room",
              "Dialysis Supply", "Biomed Shop", "Linen Room", "Oncology Infusion Pharmacy",
              "Blood Bank", "Labor & Delivery Supply", "NICU Supply Room"]
NEIGHBOURHOODS = ["Northwest", "Southwest", "Northeast", "Southeast", "Downtown", "Westside",
                  "Eastside", "Midtown", "Lakeside", "Hillcrest", "Parkview", "Oakbrook",
                  "Riverbend", "Crossroads", "Heritage Park", "Cedar Creek"]

# canonical kind -> each system's location_type vocabulary
LOC_TYPES = {
    "ORACLE_ERP": {"hospital": "HOSP", "clinic": "CLIN", "urgent_care": "CLIN",
                   "mob": "MOB", "warehouse": "WHSE", "dock": "DOCK", "room": "ROOM",
                   "system": "SYS"},
    "LAWSON_PROC": {"hospital": "ACUTE", "clinic": "AMB", "urgent_care": "AMB", "mob": "AMB",
                    "warehouse": "DIST", "dock": "RECV", "room": "PAR", "system": "ORG"},
    "TRIRIGA_FMS": {"hospital": "Hospital", "clinic": "Clinic", "urgent_care": "Urgent Care",
                    "mob": "Medical Office Building", "warehouse": "Warehouse",
                    "dock": "Loading Dock", "room": "Room", "system": "Portfolio"},
    "MANH_WMS": {"hospital": "CUST", "clinic": "CUST", "urgent_care": "CUST", "mob": "CUST",
                 "warehouse": "DC", "dock": "DOOR", "room": "STOCKRM", "system": "ORG"},
    "ACQ": {"hospital": "H", "clinic": "C", "urgent_care": "U", "mob": "C",
            "warehouse": "W", "dock": "D", "room": "R", "system": "S"},
}
LOC_STYLES = {
    "ORACLE_ERP": style(case="upper", abbr=0.6, abbr_type=0.9, suite_line1=0.2, zip4=0.3,
                        typo=0.02, country=1.0, country_fmt=0),
    "LAWSON_PROC": style(case="upper", abbr=0.8, abbr_type=1.0, suite_line1=0.7, zip4=0.1,
                         typo=0.03, country=0.3, country_fmt=1, trunc=30, zip_lost_zero=0.3),
    "TRIRIGA_FMS": style(case="asis", abbr=0.15, abbr_type=0.3, suite_line1=0.1, zip4=0.6,
                         typo=0.015, country=0.9, country_fmt=2, region_full=0.2),
    "MANH_WMS": style(case="upper", abbr=0.7, abbr_type=1.0, suite_line1=0.5, zip4=0.5,
                      typo=0.025, country=1.0, country_fmt=1, trunc=30),
    "ACQ": style(case="asis", abbr=0.45, abbr_type=0.6, suite_line1=0.4, zip4=0.2,
                 typo=0.035, country=0.5, country_fmt=3, region_full=0.1),
}
LOC_ID_FORMATS = {"ORACLE_ERP": ("LOC{:06d}", 1000, 999999),
                  "LAWSON_PROC": ("{:05d}", 10000, 99999),
                  "TRIRIGA_FMS": ("FAC-{:06d}", 100000, 999999),
                  "MANH_WMS": ("WH{:05d}", 100, 99999),
                  "ACQ": ("{:d}", 1000, 9999)}
# kind -> probability that each system holds it
LOC_COVERAGE = {
    "hospital": {"ORACLE_ERP": 0.95, "LAWSON_PROC": 0.7, "TRIRIGA_FMS": 0.9, "MANH_WMS": 0.5,
                 "ACQ": 0.9},
    "clinic": {"ORACLE_ERP": 0.8, "LAWSON_PROC": 0.45, "TRIRIGA_FMS": 0.5, "MANH_WMS": 0.25,
               "ACQ": 0.9},
    "urgent_care": {"ORACLE_ERP": 0.85, "LAWSON_PROC": 0.5, "TRIRIGA_FMS": 0.6,
                    "MANH_WMS": 0.3, "ACQ": 0.9},
    "mob": {"ORACLE_ERP": 0.6, "LAWSON_PROC": 0.2, "TRIRIGA_FMS": 0.95, "MANH_WMS": 0.1,
            "ACQ": 0.8},
    "warehouse": {"ORACLE_ERP": 0.9, "LAWSON_PROC": 0.7, "TRIRIGA_FMS": 0.6, "MANH_WMS": 0.95,
                  "ACQ": 0.9},
    "dock": {"ORACLE_ERP": 0.55, "LAWSON_PROC": 0.6, "TRIRIGA_FMS": 0.4, "MANH_WMS": 0.85,
             "ACQ": 0.7},
    "room": {"ORACLE_ERP": 0.35, "LAWSON_PROC": 0.6, "TRIRIGA_FMS": 0.55, "MANH_WMS": 0.25,
             "ACQ": 0.75},
}
# share of each kind's records that carry its GLN, by system
LOC_GLN_SENT = {"ORACLE_ERP": 0.45, "LAWSON_PROC": 0.7, "TRIRIGA_FMS": 0.1, "MANH_WMS": 0.5,
                "ACQ": 0.15}


class Loc:
    counter = 0

    def __init__(self, kind, name, addr, parent, system, gln_p):
        Loc.counter += 1
        self.eid = "LOC-%06d" % Loc.counter
        self.kind = kind
        self.name = name
        self.addr = addr
        self.parent = parent
        self.system = system
        self.label = None  # docks and rooms: the part after their parent's name
        self.gln = None
        if ch(gln_p):
            body = system["gln_prefix"] + "%05d" % R.randint(0, 99999)
            self.gln = body + gs1_check(body)


def build_systems(n):
    """Regional systems with their sites until n sites exist."""
    sites = []
    systems = []
    metros = list(METROS)
    R.shuffle(metros)
    i = 0
    while len(sites) < n:
        metro = metros[i % len(metros)]
        i += 1
        stem = pick(LOC_STEMS)
        acquired = ch(0.35)
        code = re.sub(r"[^A-Z]", "", stem.upper().replace("SAINT", "ST"))[:8]
        system = {"stem": stem, "metro": metro, "acquired": acquired,
                  "name": stem + pick([" Health", " Health System", " Healthcare",
                                       " Health Partners"]),
                  "source": f"ACQ_{code}{i}" if acquired else None,
                  "gln_prefix": "0" + str(R.randint(300000, 899999)) + "",
                  "node": {}}
        systems.append(system)
        sites.extend(build_system_sites(system))
    return sites[:n], systems


def build_system_sites(system):
    stem, metro = system["stem"], system["metro"]
    out = []
    home = METROS[metro][0]
    n_hosp = wpick([(1, 35), (2, 35), (3, 20), (4, 10)])
    hospitals = []
    main_kind = pick(["Medical Center", "Hospital", "Regional Medical Center",
                      "Memorial Hospital", "Hospital & Medical Center"])
    used_cities = []
    for h in range(n_hosp):
        if h == 0:
            city = home
            name = f"{stem} {main_kind}"
        else:
            if ch(0.45):
                city = home
                tag = pick(["North", "South", "East", "West"])
                name = pick([f"{stem} {main_kind} - {tag} Campus", f"{stem} {main_kind} {tag}",
                             f"{stem} {tag} {main_kind}"])
            else:
                city = pick([c for c in METROS[metro] if c not in used_cities] or METROS[metro])
                name = pick([f"{stem} {main_kind} - {city[0]}", f"{stem} Hospital {city[0]}",
                             f"{stem} {city[0]} {main_kind}"])
            if name in [x.name for x in hospitals]:
                name += " " + pick(["II", "Campus 2", "Annex"])
        used_cities.append(city)
        addr = new_address(city)
        hosp = Loc("hospital", name, addr, None, system, 0.8)
        hospitals.append(hosp)
        out.append(hosp)
        if h == 0 and ch(0.3):  # a specialty hospital at the main campus address
            spec = pick([f"{stem} Children's Hospital", f"{stem} Rehabilitation Hospital",
                         f"{stem} Heart Hospital", f"{stem} Women's Hospital"])
            sh = Loc("hospital", spec, same_site(addr, unit2=[("Building", pick("BCDE"))]),
                     None, system, 0.6)
            hospitals.append(sh)
            out.append(sh)
    for hosp in list(hospitals):
        out.extend(children(hosp, system, "dock", wpick([(0, 25), (1, 30), (2, 28), (3, 17)])))
        out.extend(children(hosp, system, "room", R.randint(2, 10)))
        if ch(0.6):
            off = same_site(hosp.addr) if ch(0.3) else new_address(
                hosp.addr["city"], street=hosp.addr["street"],
                num=str(int(hosp.addr["num"]) + R.choice([2, 10, 20, 50, 100, 150])))
            if off is not None and off["num"] == hosp.addr["num"]:
                off["unit2"] = [("Building", pick("CDEFG"))]
            mob_name = pick([f"{stem} Medical Office Building", f"{stem} Professional Building",
                             f"{stem} Physicians Pavilion", f"{hosp.name} Medical Office Building"])
            if ch(0.3):
                mob_name += " " + pick(["I", "II", "A", "B", "2"])
            mob = Loc("mob", mob_name, off, None, system, 0.3)
            out.append(mob)
            specs = R.sample(CLINIC_SPECIALTIES, R.randint(2, 7))
            floors = R.sample(range(1, 6), 3)
            suites = R.sample([f * 100 + r for f in floors for r in (0, 10, 20, 30, 40, 50)],
                              len(specs))
            for sp, number in zip(specs, suites):
                suite = ("Suite", str(number))
                name = pick([f"{stem} {sp}", f"{stem} {sp} Associates", f"{stem} Physicians - {sp}",
                             f"{stem} {sp} Clinic", f"{sp} at {stem}"])
                c = Loc("clinic", name, same_site(off, suite=suite), mob, system, 0.15)
                out.append(c)
    n_out = R.randint(3, 10)
    brands = [pick(["Urgent Care", "Primary Care", "Family Medicine", "Imaging Center",
                    "Walk-In Clinic", "Physical Therapy", "Lab Services"]) for _ in range(2)]
    for _ in range(n_out):
        city = pick(METROS[metro])
        brand = pick(brands)
        hood = pick(NEIGHBOURHOODS)
        name = pick([f"{stem} {brand} - {city[0]}", f"{stem} {brand} {hood}",
                     f"{stem} {brand} - {hood}", f"{stem} {brand} {city[0]} {hood}"])
        kind = "urgent_care" if brand in ("Urgent Care", "Walk-In Clinic") else "clinic"
        addr = new_address(city)
        if ch(0.5):
            addr["suite"] = ("Suite", str(R.choice([100, 101, 110, 120, 150, 200, 210, 300])))
        out.append(Loc(kind, name, addr, pick(hospitals), system, 0.2))
    for w in range(wpick([(1, 60), (2, 30), (0, 10)])):
        city = pick(METROS[metro])
        name = pick([f"{stem} Distribution Center", f"{stem} Consolidated Service Center",
                     f"{stem} Warehouse", f"{stem} Supply Chain Center"])
        if w:
            name += pick([" 2", " - " + city[0], " Annex", " West"])
        st = new_street()
        st["name"] = pick(["Industrial", "Commerce", "Logistics", "Distribution", "Enterprise",
                           "Freight"])
        wh = Loc("warehouse", name, new_address(city, street=st), None, system, 0.9)
        out.append(wh)
        out.extend(children(wh, system, "dock", R.randint(1, 4)))
    return out


def children(parent, system, kind, count):
    out = []
    used = set()
    if kind == "dock":
        scheme = pick(["Loading Dock {}", "Receiving Dock {}", "Dock {}", "Dock Door {}"])
        labels = "123456" if ch(0.7) else "ABCDEF"
        for i in range(count):
            label = scheme.format(labels[i])
            addr = same_site(parent.addr)
            if ch(0.2):  # the dock opens on a service road of the campus
                st = new_street()
                st["name"] = pick(["Service", "Delivery", "Hospital", "Campus"])
                addr = new_address(parent.addr["city"], street=st)
                addr["zip5"] = parent.addr["zip5"]
            loc = Loc("dock", f"{parent.name} {label}", addr, parent, system,
                      0.5 if parent.kind == "warehouse" else 0.35)
            loc.label = label
            out.append(loc)
        return out
    bldgs = "AB" if ch(0.5) else "A"
    for _ in range(count):
        room_kind = pick(ROOM_KINDS)
        floor = R.randint(0, 6)
        number = ("B" if floor == 0 else str(floor)) + "%02d" % R.randint(1, 60)
        if ch(0.2):
            number = pick(bldgs) + number
        if (room_kind, number) in used:
            continue
        used.add((room_kind, number))
        room_word = "" if "Room" in room_kind else " Room"
        label = pick([f"{room_kind}{room_word} {number}", f"{room_kind} {number}",
                      f"{room_kind} - Room {number}"]).replace("Room Room", "Room")
        unit2 = [("Room", number)]
        if ch(0.5):
            unit2 = [("Floor", str(max(floor, 1)))] + unit2
        if len(bldgs) > 1 and ch(0.5):
            unit2 = [("Building", pick(bldgs))] + unit2
        addr = same_site(parent.addr, unit2=unit2 if ch(0.6) else None)
        loc = Loc("room", f"{parent.name} {label}", addr, parent, system, 0.15)
        loc.label = label
        out.append(loc)
    return out


def gen_location(n):
    sites, systems = build_systems(n)
    ids = {}  # (source, eid) -> code
    gens = {}

    def code_of(source, key):
        if (source, key) not in ids:
            fmt_key = "ACQ" if source.startswith("ACQ_") else source
            gens.setdefault(source, Ids())
            fmt, lo, hi = LOC_ID_FORMATS[fmt_key]
            ids[(source, key)] = gens[source].new(fmt, lo, hi)
        return ids[(source, key)]

    def system_code(source, system):
        key = "SYS:" + system["name"] + system["metro"]
        if (source, key) not in ids:
            base = re.sub(r"[^A-Z]", "", system["name"].upper())[:10]
            ids[(source, key)] = {"ORACLE_ERP": "SYS-" + str(R.randint(100, 999)),
                                  "TRIRIGA_FMS": f"{base}-{system['metro'][:3].upper()}",
                                  "MANH_WMS": "ORG" + str(R.randint(10, 99)),
                                  }.get(source, "S" + str(R.randint(1, 99)))
        return ids[(source, key)]

    records = []
    for loc in sites:
        sources = ["ORACLE_ERP", "LAWSON_PROC", "TRIRIGA_FMS", "MANH_WMS"]
        if loc.system["acquired"]:
            sources.append(loc.system["source"])
        chosen = []
        for s in sources:
            key = "ACQ" if s.startswith("ACQ_") else s
            p = LOC_COVERAGE[loc.kind][key]
            if loc.system["acquired"] and not s.startswith("ACQ_"):
                p *= 0.6  # not every acquired site is in the parent's systems yet
            if ch(p):
                chosen.append(s)
        if not chosen:
            chosen = [loc.system["source"] if loc.system["acquired"] and ch(0.7)
                      else pick(["ORACLE_ERP", "TRIRIGA_FMS", "LAWSON_PROC"])]
        for s in chosen:
            records.append(loc_record(loc, s, code_of(s, loc.eid), code_of, system_code))
            if ch(0.01):  # the same site keyed twice in one system
                records.append(loc_record(loc, s, code_of(s, loc.eid + "dup"), code_of,
                                          system_code))
    return records


def loc_record(loc, source, sid, code_of, system_code):
    key = "ACQ" if source.startswith("ACQ_") else source
    st = LOC_STYLES[key]
    name = loc_name(loc, source, st)
    line1, line2, city, region, postal = render_address(loc.addr, st)
    if loc.kind in ("room", "dock") and ch(0.25 if key == "TRIRIGA_FMS" else 0.1):
        line1, line2, city, region, postal = "", "", city if ch(0.5) else "", "", ""
    ltype = LOC_TYPES[key][loc.kind]
    if ch(0.02):  # miscoded or left blank
        ltype = pick(list(LOC_TYPES[key].values()) + [""])
    if ch(0.05):
        ltype = ""
    parent = loc.parent
    pcode = ""
    code_space = "ORACLE_ERP" if key == "LAWSON_PROC" else source
    if parent is not None:
        pcode = code_of(code_space, parent.eid)
    elif loc.kind in ("hospital", "warehouse", "mob"):
        pcode = system_code(code_space, loc.system)
    if ch(0.12):
        pcode = ""
    gln = ""
    if loc.gln and ch(LOC_GLN_SENT[key]):
        gln = loc.gln
        if ch(0.0025):
            gln = typo(gln) if ch(0.5) else gln[:-2] + gln[-1] + gln[-2]  # keying error
    if key == "LAWSON_PROC" and loc.parent is not None and loc.parent.gln and ch(0.005):
        gln = loc.parent.gln  # ship-to GLN of the hospital put on one of its docks or rooms
    if gln and ch(0.3):
        gln = pick([gln, gln[:7] + "-" + gln[7:12] + "-" + gln[12], " ".join([gln])])
    country = render_country("US", st)
    return (source, sid, {"name": name, "location_type": ltype, "address_line1": line1,
                          "address_line2": line2, "city": city, "region": region,
                          "postal_code": postal, "country": country, "gln": gln,
                          "parent_code": pcode}, loc.eid)


def loc_name(loc, source, st):
    key = "ACQ" if source.startswith("ACQ_") else source
    if loc.label is not None:
        parent_name = loc.parent.name
        pattern = R.random()
        if st["trunc"] and len(f"{parent_name} {loc.label}") > st["trunc"] + 8:
            # a short name field: the parent abbreviated or the label first
            pattern = 0.0 if ch(0.7) else 0.9
        if key == "TRIRIGA_FMS" and pattern < 0.5:
            name = loc.label  # the facility system knows the building from parent_code
        elif (key in ("ORACLE_ERP", "MANH_WMS") and pattern < 0.4) or pattern == 0.0:
            name = f"{initials(parent_name)} {loc.label}"
        elif pattern < 0.7:
            name = f"{parent_name} {loc.label}"
        elif pattern < 0.85:
            name = f"{parent_name} - {loc.label}"
        else:
            name = f"{loc.label} - {parent_name}"
    else:
        name = loc.name
        if key in ("LAWSON_PROC", "MANH_WMS") and loc.kind in ("hospital", "warehouse") \
                and len(name.split()) > 2 and ch(0.15):
            name = initials(name)  # "SMMC"
    name = abbreviate(name, LOC_NAME_RULES, st["abbr"])
    name = maybe_typo(name, st["typo"])
    name = truncate(casing(name, st["case"]), st["trunc"])
    return name


# ---------------------------------------------------------------------------------------------
# Cost center

CC_UNITS = [  # (department, standard 4-digit code, unit name, kinds of company that have it)
    ("Radiology", [("6110", "Radiology - Inpatient"), ("6120", "Radiology - Outpatient"),
                   ("6130", "Radiology - CT"), ("6140", "Radiology - MRI"),
                   ("6150", "Radiology - Ultrasound"), ("6160", "Radiology - Interventional"),
                   ("6170", "Mammography"), ("6180", "Nuclear Medicine")]),
    ("Laboratory", [("6210", "Laboratory - Chemistry"), ("6220", "Laboratory - Hematology"),
                    ("6230", "Laboratory - Microbiology"), ("6240", "Blood Bank"),
                    ("6250", "Pathology"), ("6260", "Laboratory - Outreach")]),
    ("Nursing", [("7110", "ICU - Medical"), ("7120", "ICU - Surgical"), ("7130", "ICU - Neuro"),
                 ("7140", "ICU - Cardiac"), ("7150", "Neonatal ICU"),
                 ("7210", "Med/Surg 4 West"), ("7220", "Med/Surg 5 East"),
                 ("7230", "Med/Surg 6 North"), ("7240", "Telemetry"),
                 ("7310", "Labor & Delivery"), ("7320", "Mother/Baby"),
                 ("7330", "Pediatrics - Inpatient"), ("7410", "Behavioral Health - Inpatient")]),
    ("Surgical Services", [("7510", "Operating Room"), ("7520", "Operating Room - Cardiovascular"),
                           ("7530", "PACU"), ("7540", "Pre-Op Holding"),
                           ("7550", "Ambulatory Surgery"), ("7560", "Sterile Processing"),
                           ("7570", "Endoscopy")]),
    ("Emergency Services", [("7610", "Emergency Department"),
                            ("7620", "Emergency Department - Pediatric"),
                            ("7630", "Urgent Care"), ("7640", "Trauma Services")]),
    ("Pharmacy", [("6310", "Pharmacy - Inpatient"), ("6320", "Pharmacy - Outpatient"),
                  ("6330", "Pharmacy - Retail"), ("6340", "Pharmacy - Infusion")]),
    ("Cardiology", [("6410", "Cardiology"), ("6420", "Cardiac Cath Lab"),
                    ("6430", "Echocardiography"), ("6440", "EKG"), ("6450", "Cardiac Rehab")]),
    ("Rehabilitation", [("6510", "Physical Therapy - Inpatient"),
                        ("6520", "Physical Therapy - Outpatient"), ("6530", "Occupational Therapy"),
                        ("6540", "Speech Therapy"), ("6550", "Respiratory Therapy")]),
    ("Oncology", [("6610", "Oncology - Medical"), ("6620", "Radiation Oncology"),
                  ("6630", "Infusion Center")]),
    ("Support Services", [("8110", "Environmental Services"), ("8120", "Food & Nutrition Services"),
                          ("8130", "Linen Services"), ("8140", "Security"),
                          ("8150", "Patient Transport"), ("8160", "Materials Management"),
                          ("8170", "Facilities Maintenance"), ("8180", "Biomedical Engineering")]),
    ("Administration", [("9110", "Administration"), ("9120", "Finance"), ("9130", "Accounting"),
                        ("9140", "Payroll"), ("9150", "Human Resources"),
                        ("9160", "Information Technology"), ("9170", "Patient Access"),
                        ("9180", "Health Information Management"),
                        ("9190", "Quality & Patient Safety"), ("9210", "Nursing Administration"),
                        ("9220", "Revenue Cycle"), ("9230", "Supply Chain")]),
]
CLINIC_UNITS = ["Family Medicine", "Internal Medicine", "Pediatrics Clinic", "Cardiology Clinic",
                "Orthopedics Clinic", "OB/GYN Clinic", "Neurology Clinic", "Oncology Clinic",
                "Dermatology Clinic", "Urology Clinic", "Sleep Center", "Wound Care Clinic"]
HOME_UNITS = ["Home Health - Skilled Nursing", "Home Health - Therapy", "Hospice - Inpatient",
              "Hospice - Home", "Home Infusion", "Durable Medical Equipment", "Palliative Care"]
HR_DEPARTMENTS = {"Radiology": "Imaging Services", "Laboratory": "Lab Services",
                  "Nursing": "Patient Care Services", "Surgical Services": "Perioperative Services",
                  "Emergency Services": "Emergency Medicine", "Pharmacy": "Pharmacy Services",
                  "Cardiology": "Heart & Vascular", "Rehabilitation": "Rehab Services",
                  "Oncology": "Cancer Services", "Support Services": "Operations",
                  "Administration": "Corporate Services", "Clinics": "Physician Practices",
                  "Home Care": "Post-Acute Care"}
CC_NAME_RULES = [
    (r"\bRadiology\b", ["Rad", "Radiol", "RAD"]),
    (r"\bInpatient\b", ["Inpt", "IP", "In-Pt"]),
    (r"\bOutpatient\b", ["Outpt", "OP", "Out-Pt"]),
    (r"\bIntensive Care Unit\b", ["ICU"]),
    (r"\bNeonatal ICU\b", ["NICU"]),
    (r"\bOperating Room\b", ["OR", "Oper Room"]),
    (r"\bEmergency Department\b", ["ED", "ER", "Emergency Dept", "Emerg Dept"]),
    (r"\bDepartment\b", ["Dept"]),
    (r"\bLaboratory\b", ["Lab"]),
    (r"\bServices\b", ["Svcs", "Svc"]),
    (r"\bPharmacy\b", ["Pharm", "Rx"]),
    (r"\bPhysical Therapy\b", ["PT", "Phys Therapy"]),
    (r"\bOccupational Therapy\b", ["OT", "Occ Therapy"]),
    (r"\bRespiratory Therapy\b", ["RT", "Resp Therapy"]),
    (r"\bSpeech Therapy\b", ["ST", "Speech"]),
    (r"\bAdministration\b", ["Admin"]),
    (r"\bManagement\b", ["Mgmt"]),
    (r"\bInformation Technology\b", ["IT", "Info Tech"]),
    (r"\bHuman Resources\b", ["HR"]),
    (r"\bEnvironmental Services\b", ["EVS", "Environmental Svcs"]),
    (r"\bFood & Nutrition\b", ["F&N", "Food and Nutrition", "Food & Nutr"]),
    (r"\bHealth Information Management\b", ["HIM"]),
    (r"\bMedical\b", ["Med"]), (r"\bSurgical\b", ["Surg"]), (r"\bCardiac\b", ["Card"]),
    (r"\bCardiovascular\b", ["CV", "CVOR"]), (r"\bPediatric(s)?\b", ["Peds", "Ped"]),
    (r"\bMicrobiology\b", ["Micro"]), (r"\bChemistry\b", ["Chem"]),
    (r"\bHematology\b", ["Heme"]), (r"\bOncology\b", ["Onc"]),
    (r"\bInterventional\b", ["IR", "Interv"]), (r"\bUltrasound\b", ["US", "Ultrasnd"]),
    (r"\bMaintenance\b", ["Maint"]), (r"\bEngineering\b", ["Eng"]),
    (r"\bBehavioral Health\b", ["BH", "Behav Hlth"]), (r"\bHome Health\b", ["HH"]),
    (r"\bMedicine\b", ["Med"]), (r"\bClinic\b", ["Clin"]), (r"\bCenter\b", ["Ctr"]),
    (r"\bNorth Campus\b", ["NC", "N Campus", "North"]),
    (r"\bSouth Campus\b", ["SC", "S Campus", "South"]),
    (r"\bMain Campus\b", ["MC", "Main"]),
    (r"\bEast Campus\b", ["EC", "E Campus", "East"]),
    (r"\bWest Campus\b", ["WC", "W Campus", "West"]),
    (r"\bDowntown\b", ["DT", "Dwntn"]),
    (r" & ", [" and ", "&", " & "]),
    (r" - ", ["-", " / ", "/", " ", ", "]),
]
CC_STYLES = {
    "WORKDAY_GL": {"case": "asis", "abbr": 0.1, "typo": 0.01, "trunc": None},
    "LAWSON_PROC": {"case": "upper", "abbr": 0.7, "typo": 0.03, "trunc": 20},
    "UKG_HR": {"case": "asis", "abbr": 0.35, "typo": 0.02, "trunc": 40},
    "ACQ": {"case": "upper", "abbr": 0.5, "typo": 0.03, "trunc": 30},
}


def gen_cost_center(n):
    stem = pick(["Mercy", "Providence", "Trinity", "Covenant", "Saint Luke's", "Baptist"])
    acq_names = R.sample(["Saint Anthony", "Valley Regional", "Good Shepherd", "Lakeland",
                          "Riverview", "Bethany", "Holy Family", "Prairie View", "Northwoods",
                          "Saint Clare", "Bayside", "Mountain View", "Cedar Valley",
                          "Harbor Point"], 14)
    campuses = ["Main Campus", "North Campus", "South Campus", "East Campus", "West Campus",
                "Downtown Campus", "Lakeside Campus", "Westbrook Campus", "Heritage Campus",
                "Children's Campus"][:min(10, 2 + n // 200)]
    city_pool = R.sample([c[0] for c in ALL_CITIES], min(30, 8 + n // 100))
    companies = [
        {"kind": "hospital", "num": "1000", "name": f"{stem} Health System", "abbr": "MHS",
         "campuses": campuses, "acq": None},
        {"kind": "clinics", "num": "2000", "name": f"{stem} Medical Group", "abbr": "MMG",
         "campuses": [""], "acq": None},
        {"kind": "home", "num": "3000", "name": f"{stem} Home Health & Hospice", "abbr": "MHH",
         "campuses": [""], "acq": None},
    ]
    abbr = stem[0].upper()
    for c in companies:
        c["abbr"] = abbr + c["abbr"][1:]

    def unit_rows(c, ci):
        rows = []  # (company, campus index, department, name, std code)
        if c["kind"] == "hospital" or c["kind"] == "acquired":
            share = 0.9 if ci == 0 else 0.75
            for dept, items in CC_UNITS:
                for std, name in items:
                    if ch(share):
                        rows.append((c, ci, dept, name, std))
        elif c["kind"] == "clinics":
            for city in city_pool:
                for unit in R.sample(CLINIC_UNITS, R.randint(1, 4)):
                    rows.append((c, ci, "Clinics", f"{unit} - {city}", None))
            for dept, items in CC_UNITS:  # the group's own ancillary and back office
                if dept in ("Radiology", "Laboratory", "Administration", "Rehabilitation"):
                    for std, name in items:
                        if ch(0.35):
                            rows.append((c, ci, dept, name, std))
        else:
            for unit in HOME_UNITS:
                rows.append((c, ci, "Home Care", unit, None))
            for std, name in CC_UNITS[-1][1]:
                if ch(0.4):
                    rows.append((c, ci, "Administration", name, std))
        return rows

    units = [u for c in companies for ci in range(len(c["campuses"])) for u in unit_rows(c, ci)]
    i = 0
    while i < 2 or len(units) < n * 1.15:  # acquired companies until there are enough units
        a = acq_names[i % len(acq_names)]
        if i >= len(acq_names):
            a += " " + ["North", "South", "West", "East", "Central"][(i // len(acq_names)) % 5]
        code = initials(a + " Health")
        c = {"kind": "acquired", "num": str(7000 + 100 * i), "name": f"{a} Health",
             "abbr": code, "campuses": [""] if ch(0.5) else ["", "East Campus"],
             "acq": f"ACQ_{code}{i + 1}", "ledger_co": pick(["01", "001", code, "10"])}
        companies.append(c)
        units += [u for ci in range(len(c["campuses"])) for u in unit_rows(c, ci)]
        i += 1
    R.shuffle(units)
    units = units[:n]
    entities = []
    used_codes = set()
    for i, (c, ci, dept, name, std) in enumerate(units):
        campus = c["campuses"][ci]
        if c["kind"] == "hospital":
            code = str(ci + 1) + (std or "%04d" % R.randint(7000, 7999))
        elif c["kind"] == "acquired":
            # legacy ledger: 4-digit codes of its own, which reuse the parent's numbers
            code = "%04d" % R.choice([R.randint(4000, 6999), int(std) + R.choice([-100, 0, 50])
                                      if std else R.randint(4000, 9999)])
        elif c["kind"] == "clinics":
            code = std or "%04d" % R.randint(8200, 8999)
        else:
            code = std or "%04d" % R.randint(5000, 5099)
        while (c["num"], code) in used_codes:
            code = code[:-2] + "%02d" % R.randint(0, 99)
        used_codes.add((c["num"], code))
        full = name
        if campus and len(c["campuses"]) > 1 and ch(0.6):
            full = pick([f"{name} - {campus}", f"{campus} - {name}"])
        entities.append({"eid": "CC-%06d" % (i + 1), "company": c, "campus": campus,
                         "dept": dept, "name": full, "code": code})

    records = []
    gens = {}
    parent_codes = {}

    def sid(source):
        gens.setdefault(source, Ids())
        fmt = {"WORKDAY_GL": "CC{:06d}", "LAWSON_PROC": "{:07d}", "UKG_HR": "ORG{:05d}"}.get(
            source, "{:06d}")
        return gens[source].new(fmt, 10000, 999999)

    def rollup(source, e):
        key = (source, e["company"]["num"], e["dept"], e["campus"])
        if key not in parent_codes:
            d = initials(e["dept"])[:3]
            parent_codes[key] = {"WORKDAY_GL": f"{e['company']['num'][0]}{d}-{R.randint(10, 99)}",
                                 "UKG_HR": "ORG-%04d" % R.randint(100, 9999),
                                 "LAWSON_PROC": "%04d" % R.randint(1000, 9999)}.get(
                source, e["dept"][:4].upper() + str(R.randint(1, 9)))
        return parent_codes[key]

    recode_new = {}
    for e in entities:
        c = e["company"]
        acquired = c["kind"] == "acquired"
        sources = []
        if acquired:
            if ch(0.95):
                sources.append(c["acq"])
            if ch(0.65):
                sources.append("WORKDAY_GL")
            if ch(0.3):
                sources.append("LAWSON_PROC")
            if ch(0.35):
                sources.append("UKG_HR")
        else:
            if ch(0.97):
                sources.append("WORKDAY_GL")
            buys = e["dept"] not in ("Administration",) or "Supply" in e["name"]
            if ch(0.5 if buys else 0.15):
                sources.append("LAWSON_PROC")
            if ch(0.55):
                sources.append("UKG_HR")
        if not sources:
            sources = [c["acq"] if acquired else "WORKDAY_GL"]
        if acquired and "WORKDAY_GL" in sources and e["eid"] not in recode_new:
            # migration to the parent's ledger: legacy code kept or re-coded
            recode_new[e["eid"]] = e["code"] if ch(0.5) else c["num"][:2] + e["code"]
        for s in sources:
            records.append(cc_record(e, s, sid(s), rollup, recode_new))
            if s == "WORKDAY_GL" and ch(0.01):
                records.append(cc_record(e, s, sid(s), rollup, recode_new))
    return records


def cc_record(e, source, sid, rollup, recode_new):
    c = e["company"]
    key = "ACQ" if source.startswith("ACQ_") else source
    st = CC_STYLES[key]
    code = e["code"]
    if c["kind"] == "acquired" and not source.startswith("ACQ_"):
        code = recode_new.get(e["eid"], code)
    if key == "LAWSON_PROC" and ch(0.4):
        code = f"{c['num']}-{code}"
    elif key == "UKG_HR" and ch(0.3):
        code = "CC" + code
    company = {"WORKDAY_GL": c["num"], "LAWSON_PROC": c["abbr"] if ch(0.6) else c["num"],
               "UKG_HR": wpick([(c["name"], 6), (c["num"], 3), (f"{c['num']} - {c['name']}", 1)]),
               "ACQ": c.get("ledger_co", c["num"])}[key]
    if key == "UKG_HR" and ch(0.4):
        company = abbreviate(company, [(r"\bHealth\b", ["Hlth"]), (r"\bSystem\b", ["Sys"]),
                                       (r"\bSaint\b", ["St", "St."]),
                                       (r"\bMedical\b", ["Med"]),
                                       (r" & Hospice", ["", " and Hospice"])], 0.7)
    if key == "ACQ" and ch(0.1):
        company = ""
    name = e["name"]
    if key == "ACQ" and ch(0.5):
        name = name.replace("Radiology", "Diagnostic Imaging").replace("Laboratory", "Lab Svcs")
    name = abbreviate(name, CC_NAME_RULES, st["abbr"])
    if key == "LAWSON_PROC" and ch(0.3):
        name = re.sub(r"[^A-Za-z0-9 ]+", " ", name)
    name = maybe_typo(name, st["typo"])
    name = truncate(casing(squash(name), st["case"]), st["trunc"])
    dept = {"WORKDAY_GL": e["dept"], "UKG_HR": HR_DEPARTMENTS.get(e["dept"], e["dept"]),
            "LAWSON_PROC": e["dept"].upper() if ch(0.4) else "",
            "ACQ": abbreviate(e["dept"], CC_NAME_RULES, 0.5).upper()}[key]
    if ch(0.1):
        dept = ""
    parent = rollup(source, e) if ch({"WORKDAY_GL": 0.95, "UKG_HR": 0.8, "LAWSON_PROC": 0.2,
                                      "ACQ": 0.7}[key]) else ""
    return (source, sid, {"code": code, "name": name or e["code"], "company": company,
                          "department": dept, "parent_code": parent}, e["eid"])


# ---------------------------------------------------------------------------------------------
# Vendor

VENDOR_STEMS = """Meridian Halcyon Corvida Baxworth Stellan Novaris Kestrel Alderon Brightwell
Castell Dunmore Everline Fairhaven Granton Harlow Ironbridge Juniper Kingsley Larkspur Medvale
Northway Oakridge Pemberton Quillon Redstone Silverline Thornbury Unison Vantage Westbrook
Yorkshire Zenith Ardent Beacon Cascade Delmar Emberly Frontier Glenmoor Hollister Inland
Jameson Keystone Lyndale Monarch Norfolk Orchard Paragon Quest Ridgeline Sterling Tidewater
Upland Vireo Whitman Ashford Bellamy Carrington Davenport Ellery Forrester Garrison Hawthorne
Integrity Jarvis Kendrick Lockwood Maxwell Newbury Ostrander Prescott Quincy Rutherford Sheffield
Tremont Underhill Valor Winslow Apex Summit Pinnacle Allied Premier Liberty Pioneer Carrow
Evergreen Horizon Crestview Lakeshore Harborview Bluewater Greystone Stonegate""".split()
INDUSTRY = ["Medical", "Surgical", "Healthcare", "Diagnostics", "Scientific", "Orthopedics",
            "Biomedical", "Respiratory", "Imaging", "Medical Supply", "Laboratories",
            "Pharmaceuticals", "Technologies", "Instruments", "Dental", "Vascular",
            "Infusion", "Sterilization"]
SIBLING_INDUSTRY = ["Pharmaceuticals", "Diagnostics", "Healthcare Services", "Surgical",
                    "Biologics", "Imaging Systems", "Laboratories", "Distribution",
                    "Respiratory Care", "Orthopedics", "Capital Equipment", "Software"]
SERVICES = ["Staffing", "Janitorial Services", "Linen Services", "Waste Management",
            "Food Service", "Courier", "Medical Transcription", "Billing Services",
            "Consulting Group", "Construction", "Electric", "Plumbing & Heating", "Elevator Co",
            "Security Services", "Landscaping", "Document Shredding", "Interpreting Services",
            "Biomedical Services", "Pest Control", "Fire Protection", "Mechanical"]
FRANCHISE_BRANDS = ["BrightPath Staffing", "ClearView Window Cleaning", "Rapid Courier",
                    "ProShred", "Crystal Clean Janitorial", "SafeGuard Pest Control",
                    "Prime Temps", "Express Medical Couriers", "Spotless Facility Services",
                    "Allstar Elevator", "NurseFinders", "Sun Valley Linen", "FirstCall Plumbing",
                    "Guardian Fire Protection", "Swift Document Solutions"]
SURNAMES = """Anderson Baker Carter Davis Evans Fischer Garcia Harris Ingram Johnson Kaplan Lee
Martinez Nguyen Olsen Patel Quinn Robinson Schultz Thompson Underwood Vasquez Walker Young
Zimmerman O'Brien McDonald Sullivan Kowalski Novak""".split()
LEGAL = {"inc": ["Inc", "Inc.", "Incorporated", "INC", "Inc"],
         "corp": ["Corp", "Corp.", "Corporation"],
         "llc": ["LLC", "L.L.C.", "LLC", "Llc"],
         "co": ["Co", "Co.", "Company"],
         "ltd": ["Ltd", "Ltd.", "Limited"],
         "lp": ["LP", "L.P."],
         "pc": ["PC", "P.C."],
         "pllc": ["PLLC"],
         "": [""]}
VENDOR_NAME_RULES = [
    (r"\bMedical\b", ["Med", "Med."]),
    (r"\bSurgical\b", ["Surg"]),
    (r"\bInternational\b", ["Intl", "Int'l"]),
    (r"\bManufacturing\b", ["Mfg"]),
    (r"\bServices\b", ["Svcs", "Svc"]),
    (r"\bLaboratories\b", ["Labs", "Lab"]),
    (r"\bPharmaceuticals\b", ["Pharma", "Pharm"]),
    (r"\bTechnologies\b", ["Tech", "Technology"]),
    (r"\bAssociates\b", ["Assoc", "Assocs"]),
    (r"\bHealthcare\b", ["Health Care", "Hlthcare"]),
    (r"\bDistribution\b", ["Dist", "Distrib"]),
    (r"\bSystems\b", ["Sys", "Systems"]),
    (r"\bSupply\b", ["Supplies", "Sply"]),
    (r"\bCompany\b", ["Co", "Co."]),
    (r"\bNorth America\b", ["NA", "N.A.", "N America"]),
    (r"\bUnited States\b", ["US", "USA", "U.S."]),
    (r"\bMountain\b", ["Mtn"]),
    (r" & ", [" and ", "&", " & "]),
    (r"^The ", ["", "The "]),
    (r",", [""]),
]
VENDOR_STYLES = {
    "ORACLE_AP": style(case="upper", abbr=0.5, abbr_type=0.9, suite_line1=0.3, zip4=0.4,
                       typo=0.025, country=1.0, country_fmt=0,
                       phone=["{a}-{b}-{c}", "{a}{b}{c}", "({a}) {b}-{c}"], trunc=40),
    "GHX_PROC": style(case="asis", abbr=0.35, abbr_type=0.5, suite_line1=0.2, zip4=0.15,
                      typo=0.02, country=0.8, country_fmt=2,
                      phone=["({a}) {b}-{c}", "{a}.{b}.{c}", "+1 {a} {b} {c}"]),
    "CONTRACTS_DB": style(case="asis", abbr=0.1, abbr_type=0.2, suite_line1=0.1, zip4=0.3,
                          typo=0.015, country=0.6, country_fmt=2, region_full=0.3,
                          phone=["({a}) {b}-{c}", "{a}-{b}-{c}"]),
    "ACQ": style(case="upper", abbr=0.6, abbr_type=0.9, suite_line1=0.6, zip4=0.1,
                 typo=0.035, country=0.4, country_fmt=1, zip_lost_zero=0.4,
                 phone=["{a}/{b}-{c}", "{a}{b}{c}", "1-{a}-{b}-{c}"], trunc=35),
}


def new_ein():
    return "%02d%07d" % (R.choice([R.randint(10, 16), R.randint(20, 48), R.randint(50, 68),
                                   R.randint(71, 77), R.randint(80, 88), R.randint(90, 99)]),
                         R.randint(0, 9999999))


class Vendor:
    counter = 0

    def __init__(self, name, form, addr, phone, big, country="US", tax=None):
        Vendor.counter += 1
        self.eid = "VEN-%06d" % Vendor.counter
        self.name = name
        self.form = form
        self.addr = addr
        self.phone = phone
        self.big = big
        self.country = country
        self.tax = tax if tax is not None else (
            new_ein() if country == "US" else "%09dRT0001" % R.randint(100000000, 899999999))
        self.remit = None
        self.remit_phone = None
        self.dba = None


def new_lockbox(number=None):
    city = pick(LOCKBOXES)
    kind = "dept" if city[0] in ("Palatine", "Carol Stream") and ch(0.6) else "box"
    number = number or str(R.choice([R.randint(1000, 9999), R.randint(10000, 99999),
                                     R.randint(100000, 999999)]))
    return {"pobox": (kind, number), "city": (city[0], city[1], city[2][:3], []),
            "zip5": city[2], "plus4": "%04d" % R.randint(1, 9999), "suite": None,
            "unit2": None, "num": "", "street": None}


def office_addr(city):
    a = new_address(city)
    if ch(0.45):
        a["suite"] = ("Suite", str(R.choice([100, 110, 120, 150, 200, 210, 220, 250, 300, 310,
                                             400, 450, 500, 600, 1100, 1200, 1500, 2000])))
    return a


def gen_vendor_entities(n):
    out = []
    stems = VENDOR_STEMS[:]
    R.shuffle(stems)
    si = 0
    while len(out) < n:
        r = R.random()
        start = len(out)
        if r < 0.16:  # a corporate family
            stem = stems[si % len(stems)] + ("" if si < len(stems) else " " + pick(
                ["Group", "Brothers", "National", "American"]))
            si += 1
            ind = pick(INDUSTRY)
            hq_city = new_city()
            hq = office_addr(hq_city)
            phone = phone_digits(hq_city)
            tollfree = pick(["800", "888", "877", "866"]) + str(R.randint(200, 989)) + \
                "%04d" % R.randint(0, 9999)
            lockbox = new_lockbox() if ch(0.5) else None
            k = wpick([(2, 40), (3, 30), (4, 20), (5, 10)])
            members = [(f"{stem} {ind}", pick(["inc", "inc", "corp", "llc"]), "US")]
            sib_inds = R.sample([s for s in SIBLING_INDUSTRY if s != ind], k)
            for s in sib_inds[:k - 1]:
                if ch(0.25):
                    members.append((f"{stem} {ind} Canada", "ltd", "CA"))
                elif ch(0.15):
                    members.append((f"{stem} {ind} Holdings", "llc", "US"))
                else:
                    members.append((f"{stem} {s}", pick(["inc", "llc", "corp", "lp"]), "US"))
            seen = set()
            for name, form, country in members:
                if name in seen:
                    continue
                seen.add(name)
                if country == "CA":
                    city = pick(CANADA)
                    v = Vendor(name, form, office_addr(city), phone_digits(city), True, "CA")
                else:
                    addr = same_site(hq, suite=hq["suite"]) if ch(0.55) else office_addr(
                        hq_city if ch(0.5) else new_city())
                    if addr is not hq and addr["num"] == hq["num"] and ch(0.5):
                        addr["suite"] = ("Suite", str(R.randint(1, 9) * 100))
                    v = Vendor(name, form, addr, tollfree if ch(0.35) else (
                        phone if addr["city"] == hq_city and ch(0.4) else
                        phone_digits(addr["city"])), True)
                    if lockbox and ch(0.6):
                        v.remit = lockbox  # the family's shared lockbox
                    elif ch(0.5):
                        v.remit = new_lockbox()
                out.append(v)
        elif r < 0.24:  # a franchise-like brand in several cities
            brand = pick(FRANCHISE_BRANDS)
            cities = R.sample(ALL_CITIES, R.randint(2, 5))
            for city in cities:
                name = pick([f"{brand} of {city[0]}", f"{brand}", f"{brand} - {city[0]}",
                             f"{brand} {city[0]}"])
                v = Vendor(name, pick(["llc", "inc", "llc", ""]), office_addr(city),
                           phone_digits(city), False)
                if ch(0.3):
                    v.dba = name
                    v.name = f"{pick(SURNAMES)} {pick(['Enterprises', 'Holdings', 'Ventures', 'Group'])}"
                out.append(v)
        elif r < 0.32:  # an office park with several small tenants
            city = new_city()
            park = new_address(city)
            park["street"] = dict(park["street"], name=pick(
                ["Corporate Park", "Executive", "Corporate Woods", "Technology", "Commerce Center",
                 "Office Park", "Lakeside Office"]))
            suites = R.sample([100, 110, 120, 130, 200, 210, 220, 230, 300, 310, 320, 400, 410],
                              R.randint(2, 5))
            for s in suites:
                kind = pick(SERVICES + ["Consulting", "Associates", "Billing Solutions",
                                        "Anesthesia Associates", "Physical Therapy"])
                name = pick([f"{pick(SURNAMES)} {kind}", f"{pick(VENDOR_STEMS)} {kind}",
                             f"{pick(SURNAMES)} & {pick(SURNAMES)} {kind}"])
                a = same_site(park, suite=("Suite", str(s)))
                a["plus4"] = "%04d" % R.randint(1, 9999) if ch(0.5) else park["plus4"]
                out.append(Vendor(name, pick(["llc", "inc", "pc", "pllc", ""]), a,
                                  phone_digits(city), False))
        else:  # an independent supplier, service firm, practice or utility
            city = new_city()
            kind = R.random()
            if kind < 0.45:
                name = f"{pick(VENDOR_STEMS)} {pick(INDUSTRY)}"
                if ch(0.2):
                    name += " " + pick(["International", "Manufacturing", "Supply",
                                        "North America", "Products"])
                big = ch(0.5)
                form = pick(["inc", "inc", "corp", "llc", "co", "lp"])
            elif kind < 0.8:
                name = pick([f"{pick(SURNAMES)} {pick(SERVICES)}",
                             f"{pick(VENDOR_STEMS)} {pick(SERVICES)}",
                             f"{city[0]} {pick(SERVICES)}"])
                big, form = False, pick(["llc", "inc", "co", ""])
            elif kind < 0.92:
                name = pick([f"{pick(SURNAMES)} & {pick(SURNAMES)} Associates",
                             f"{pick(SURNAMES)} Anesthesia Associates",
                             f"{city[0]} Radiology Associates",
                             f"{pick(SURNAMES)} Orthopedic Group"])
                big, form = False, pick(["pc", "llc", "pllc", ""])
            else:
                name = pick([f"City of {city[0]} Water Department",
                             f"{city[0]} Gas & Electric", f"{city[0]} Public Utilities",
                             f"County of {pick(STREET_NAMES)} Treasurer"])
                big, form = False, ""
            v = Vendor(name, form, office_addr(city), phone_digits(city), big)
            if ch(0.6 if big else 0.15):
                v.remit = new_lockbox()
            if ch(0.05):
                v.dba = f"{pick(VENDOR_STEMS)} {pick(INDUSTRY)}"
            out.append(v)
        for v in out[start:]:
            v.group = ["family", "franchise", "office park", "independent"][
                (r >= 0.16) + (r >= 0.24) + (r >= 0.32)]
    for v in out:
        if v.remit and ch(0.3):
            v.remit_phone = phone_digits(v.addr["city"]) if v.addr["city"][3] else None
    return out[:n]


def vendor_name(v, st, source):
    form = v.form
    if form and ch(0.25 if source != "CONTRACTS_DB" else 0.05):
        form = ""  # the legal form left off
    name = v.name
    if v.dba:
        r = R.random()
        if r < 0.35:
            name = v.dba
        elif r < 0.6:
            name = f"{v.name} {pick(['dba', 'DBA', 'd/b/a', 'D.B.A.'])} {v.dba}"
    legal = pick(LEGAL[form]) if form else ""
    sep = ", " if legal and ch(0.3) else " "
    full = name + (sep + legal if legal else "")
    if source == "CONTRACTS_DB" and ch(0.05):
        full = "The " + full
    full = abbreviate(full, VENDOR_NAME_RULES, st["abbr"])
    if ch(0.25) and st["case"] == "upper":
        full = re.sub(r"[.,']", "", full)
    full = maybe_typo(full, st["typo"])
    return truncate(casing(full, st["case"]), st["trunc"])


def gen_vendor(n):
    vendors = gen_vendor_entities(n)
    acq_sources = ["ACQ_SAINTANTHONY", "ACQ_VALLEYREG"]
    gens = {}
    id_fmt = {"ORACLE_AP": ("{:d}", 100000, 999999), "GHX_PROC": ("V{:07d}", 1, 9999999),
              "CONTRACTS_DB": ("SUP-{:05d}", 1, 99999), "ACQ": ("{:05d}", 1, 99999)}
    records = []
    for v in vendors:
        cov = {"ORACLE_AP": 0.95 if v.big else 0.9, "GHX_PROC": 0.75 if v.big else 0.35,
               "CONTRACTS_DB": 0.45 if v.big else 0.1, "ACQ": 0.35 if v.big else 0.15}
        chosen = [s for s in ("ORACLE_AP", "GHX_PROC", "CONTRACTS_DB") if ch(cov[s])]
        if ch(cov["ACQ"]):
            chosen.append(pick(acq_sources))
        if ch(0.2) and v.big:
            chosen.append(pick(acq_sources))
        chosen = list(dict.fromkeys(chosen)) or ["ORACLE_AP"]
        for s in chosen:
            key = "ACQ" if s.startswith("ACQ_") else s
            gens.setdefault(s, Ids())
            copies = 2 if key == "ORACLE_AP" and ch(0.05) else 1
            for k in range(copies):
                remit = v.remit is not None and (
                    (key == "ORACLE_AP" and (ch(0.5) or k == 1)) or (key == "ACQ" and ch(0.4)))
                records.append((s, gens[s].new(*id_fmt[key]), vendor_record(v, key, s, remit),
                                v.eid))
    return records


def vendor_record(v, key, source, remit):
    st = VENDOR_STYLES[key]
    name = vendor_name(v, st, key)
    addr = v.remit if remit else v.addr
    line1, line2, city, region, postal = render_address(addr, st)
    if remit and ch(0.3):  # "Attn: Accounts Receivable" in line 2
        line2 = casing(pick(["Attn: Accounts Receivable", "Remit To", "Lockbox Services"]),
                       st["case"])
    phone = v.remit_phone if remit and v.remit_phone else v.phone
    if not ch({"ORACLE_AP": 0.55, "GHX_PROC": 0.8, "CONTRACTS_DB": 0.5, "ACQ": 0.6}[key]):
        phone = ""
    phone = render_phone(phone, st)
    tax = ""
    if ch({"ORACLE_AP": 0.65, "GHX_PROC": 0.2, "CONTRACTS_DB": 0.35, "ACQ": 0.45}[key]):
        tax = v.tax
        if ch(0.01):
            tax = typo(tax)
        if v.country == "US" and ch(0.6):
            tax = tax[:2] + "-" + tax[2:]
    country = render_country(v.country, st)
    if ch(0.15):
        city, region = (city, "") if ch(0.5) else ("", region)
    if ch(0.05):
        postal = ""
    return {"name": name, "tax_id": tax, "address_line1": line1, "address_line2": line2,
            "city": city, "region": region, "postal_code": postal, "country": country,
            "phone": phone}


# ---------------------------------------------------------------------------------------------
# Listing

LISTING_CITIES = {
    "New York": ("NY", ["212", "646"], ["Manhattan", "New York", "Brooklyn"], 0.3),
    "Los Angeles": ("CA", ["213", "310", "323"], ["West Hollywood", "Beverly Hills",
                                                  "Santa Monica", "Hollywood"], 0.5),
    "San Francisco": ("CA", ["415"], ["San Francisco"], 0.0),
    "Chicago": ("IL", ["312", "773"], ["Chicago"], 0.0),
    "Atlanta": ("GA", ["404", "770"], ["Buckhead", "Decatur", "Atlanta"], 0.3),
    "Las Vegas": ("NV", ["702"], ["Las Vegas"], 0.0),
    "Boston": ("MA", ["617"], ["Cambridge", "Boston", "Brookline"], 0.2),
    "Nashville": ("TN", ["615"], ["Nashville"], 0.0),
}
CUISINE_WORDS = ["Grill", "Bistro", "Cafe", "Trattoria", "Steakhouse", "Sushi", "Kitchen",
                 "Tavern", "Brasserie", "Taqueria", "Noodle House", "Oyster Bar", "Diner",
                 "Chophouse", "Pizzeria", "Cantina", "Dim Sum", "BBQ", "Ristorante"]
REST_WORDS = """Olive Juniper Saffron Harbor Copper Blue Golden Red Lantern Fig Magnolia Basil
Cedar Ember Laurel Willow Anchor Marigold Sage Pearl Union Hearth Orchid Rose Thistle Pepper
Bamboo Lotus Citrus Walnut Plum Vine""".split()
OWNERS = ["Luigi's", "Mario's", "Chez Pierre", "Rosa's", "Sam's", "Nick's", "Tony's",
          "Mama Lena's", "Arnie's", "Gino's", "Dan Tana's", "Michael's", "Lucy's", "Joe's"]
CHAINS = ["Morton's", "The Capital Grille", "Benihana", "P.F. Chang's", "Ruth's Chris Steak House",
          "McCormick & Schmick's", "Wolfgang Puck Cafe", "California Pizza Kitchen",
          "The Cheesecake Factory", "Smith & Wollensky", "Maggiano's Little Italy",
          "Fogo de Chao", "Shake Shack", "Legal Sea Foods"]
HOTELS = ["Ritz-Carlton", "Four Seasons", "Fairmont", "Peninsula", "Westin", "Hyatt Regency",
          "Mandarin Oriental", "Biltmore", "Palmer House", "Plaza", "Drake"]
LIST_RULES = [(r" & ", [" and ", "&"]), (r"^The ", [""]), (r"\bSaint\b", ["St."]),
              (r"\bRestaurant\b", ["Rest.", ""]), (r"\bSteak House\b", ["Steakhouse"]),
              (r"\bCafe\b", ["Café", "Caffe"]), (r"'s\b", ["s"]), (r"\bBar & Grill\b", ["Grill"])]
LIST_STYLES = {
    "GUIDE_A": style(case="asis", abbr=0.7, abbr_type=0.9, suite_line1=1.0, typo=0.02,
                     phone=["{a}/{b}-{c}"]),
    "GUIDE_B": style(case="asis", abbr=0.5, abbr_type=0.5, suite_line1=1.0, typo=0.025,
                     phone=["{a}-{b}-{c}", "({a}) {b}-{c}"]),
}


def gen_listing(n):
    ents = []
    cities = list(LISTING_CITIES)

    def place(city):
        info = LISTING_CITIES[city]
        return {"city": city, "hood": pick(info[2]) if ch(info[3]) else city,
                "addr": new_address((city, info[0], "100", info[1]),
                                    num=str(R.choice([R.randint(1, 99), R.randint(100, 999),
                                                      R.randint(1000, 2999)])))}

    def ent(name, p, phone, kind):
        ents.append({"eid": "LST-%06d" % (len(ents) + 1), "name": name, "city": p["city"],
                     "hood": p["hood"], "addr": p["addr"], "phone": phone, "kind": kind})

    while len(ents) < n:
        r = R.random()
        if r < 0.12:  # a chain in several cities
            chain = pick(CHAINS)
            for city in R.sample(cities, R.randint(2, 5)):
                p = place(city)
                ent(chain, p, phone_digits((city, "", "", LISTING_CITIES[city][1])), "chain")
                if ch(0.2):  # two branches in one city
                    p2 = place(city)
                    p2["hood"] = p["hood"] if ch(0.5) else p2["hood"]
                    ent(chain, p2, phone_digits((city, "", "", LISTING_CITIES[city][1])),
                        "chain")
        elif r < 0.2:  # a hotel's restaurants
            city = pick(cities)
            hotel = pick(HOTELS)
            p = place(city)
            hotel_phone = phone_digits((city, "", "", LISTING_CITIES[city][1]))
            names = R.sample([f"The Dining Room at the {hotel}", f"{hotel} Lobby Lounge",
                              f"The Grill at the {hotel}", f"{pick(REST_WORDS)} ({hotel} Hotel)",
                              f"{pick(REST_WORDS)} {pick(CUISINE_WORDS)}",
                              f"{hotel} Cafe", f"The Bar at the {hotel}"], R.randint(2, 4))
            for nm in names:
                own = phone_digits((city, "", "", LISTING_CITIES[city][1]))
                ent(nm, p, hotel_phone if ch(0.6) else own, "hotel")
        elif r < 0.28:  # similar names on one street
            city = pick(cities)
            p = place(city)
            base = pick(OWNERS)
            nums = sorted(R.sample(range(10, 400, 2), 2))
            for i, num in enumerate(nums):
                q = dict(p)
                q["addr"] = dict(p["addr"], num=str(num))
                nm = base if i == 0 else f"{base} {pick(CUISINE_WORDS)}"
                ent(nm, q, phone_digits((city, "", "", LISTING_CITIES[city][1])), "street")
        else:
            city = pick(cities)
            p = place(city)
            nm = pick([f"{pick(REST_WORDS)} {pick(CUISINE_WORDS)}", f"{pick(OWNERS)}",
                       f"{pick(OWNERS)} {pick(CUISINE_WORDS)}",
                       f"The {pick(REST_WORDS)} {pick(['Room', 'House', 'Table', 'Kitchen'])}",
                       f"{pick(CUISINE_WORDS)} {pick(REST_WORDS)}",
                       f"{pick(REST_WORDS)} & {pick(REST_WORDS)}", f"Cafe {pick(REST_WORDS)}"])
            ent(nm, p, phone_digits((city, "", "", LISTING_CITIES[city][1])), "single")
    ents = ents[:n]
    records = []
    ids = {"GUIDE_A": Ids(), "GUIDE_B": Ids()}
    for e in ents:
        r = R.random()
        where = ["GUIDE_A", "GUIDE_B"] if r < 0.5 else (["GUIDE_A"] if r < 0.8 else ["GUIDE_B"])
        new_phone = phone_digits((e["city"], "", "", LISTING_CITIES[e["city"]][1])) \
            if ch(0.03) else None
        for s in where:
            st = LIST_STYLES[s]
            name = e["name"]
            if s == "GUIDE_A" and e["kind"] == "chain" and ch(0.5):
                name = pick([f"{name} of {e['city']}", f"{name} ({e['city']})"])
            if s == "GUIDE_B" and ch(0.2):
                name = name + pick([" Restaurant", " (" + e["hood"] + ")", ""])
            name = abbreviate(name, LIST_RULES, 0.25)
            name = maybe_typo(name, st["typo"])
            line1 = render_street(dict(e["addr"], suite=None), st)
            line1 = maybe_typo(line1, st["typo"])
            if e["addr"]["suite"]:
                line1 += " " + render_suite(e["addr"]["suite"], st)
            city = e["hood"] if s == "GUIDE_B" else e["city"]
            phone = new_phone if (s == "GUIDE_B" and new_phone) else e["phone"]
            if ch(0.02):
                phone = ""
            records.append((s, ids[s].new("{:d}" if s == "GUIDE_A" else "b{:05d}", 1, 99999),
                            {"name": name, "address_line1": line1, "city": city,
                             "phone": render_phone(phone, st)}, e["eid"]))
    return records


# ---------------------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("domain", choices=list(FIELDS))
    ap.add_argument("n", type=int)
    ap.add_argument("out_dir")
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    R.seed(f"{args.domain}:{args.seed}")
    gen = {"location": gen_location, "cost_center": gen_cost_center, "vendor": gen_vendor,
           "listing": gen_listing}[args.domain]
    records = gen(args.n)
    R.shuffle(records)
    fields = FIELDS[args.domain]
    os.makedirs(args.out_dir, exist_ok=True)
    with open(os.path.join(args.out_dir, "records.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["source_system", "source_id"] + fields)
        for source, sid, values, _ in records:
            w.writerow([source, sid] + [values.get(k, "") for k in fields])
    with open(os.path.join(args.out_dir, "truth.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["source_system", "source_id", "entity_id"])
        for source, sid, _, eid in records:
            w.writerow([source, sid, eid])
    entities = len({r[3] for r in records})
    print(f"{args.domain}: {entities} entities, {len(records)} records -> {args.out_dir}")


if __name__ == "__main__":
    main()

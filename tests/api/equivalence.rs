//! The bulk path decides exactly as the record-at-a-time path: the same vendor file, loaded
//! once as a bulk job and once record by record through `POST /v1/vendor/records`, ends with
//! the same decision per record, the same golden records (which source keys share one) and
//! the same open proposals.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use golden::auth::Role;
use serde_json::{Value, json};

use crate::helpers::{TestApp, read, spawn_app};

/// Records in the file: a few thousand, with duplicates across five source systems.
const RECORDS: usize = 2_000;

const SOURCES: [&str; 5] = ["SAP_ECC", "ORACLE_EBS", "WORKDAY", "LAWSON", "ACQ_MERIDIAN"];
const FIELDS: [&str; 8] = [
    "name",
    "tax_id",
    "address_line1",
    "city",
    "region",
    "postal_code",
    "country",
    "phone",
];

type Key = (String, String);

/// A small deterministic generator (splitmix64), so every run loads the same file.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, p: f64) -> bool {
        (self.next() % 10_000) as f64 / 10_000.0 < p
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const WORDS: &[&str] = &[
    "acme",
    "apex",
    "summit",
    "pioneer",
    "liberty",
    "national",
    "premier",
    "allied",
    "united",
    "global",
    "metro",
    "central",
    "coastal",
    "valley",
    "river",
    "harbor",
    "keystone",
    "heritage",
    "evergreen",
    "cardinal",
    "eagle",
    "beacon",
    "horizon",
    "frontier",
    "medical",
    "surgical",
    "health",
    "supply",
    "labs",
    "diagnostics",
    "pharma",
    "instruments",
    "devices",
    "systems",
    "services",
    "logistics",
    "distribution",
    "industries",
    "products",
    "partners",
    "group",
    "imaging",
    "dental",
    "orthopedic",
    "sterile",
    "clinical",
];
const SUFFIXES: &[&str] = &[
    "Inc",
    "Inc.",
    "Incorporated",
    "LLC",
    "L.L.C.",
    "Corp",
    "Corporation",
    "Co",
    "Ltd",
    "",
];
const STREETS: &[&str] = &[
    "Main", "Oak", "Maple", "Cedar", "Pine", "Elm", "Lake", "Hill", "Park", "Ridge", "Lincoln",
];
const KINDS: &[(&str, &str)] = &[("Street", "St"), ("Avenue", "Ave"), ("Road", "Rd")];
const CITIES: &[(&str, &str, &str)] = &[
    ("Chicago", "IL", "606"),
    ("Boston", "MA", "021"),
    ("Houston", "TX", "770"),
    ("Denver", "CO", "802"),
    ("Saint Louis", "MO", "631"),
];

/// One real-world vendor, from which its source records are rendered.
struct Entity {
    name: String,
    suffix: &'static str,
    tax_id: Option<String>,
    address: (usize, &'static str, (&'static str, &'static str)),
    city: (&'static str, &'static str, &'static str),
    zip: String,
    phone: String,
}

fn entity(rng: &mut Rng) -> Entity {
    let words = 2 + usize::from(rng.chance(0.33));
    let name = (0..words)
        .map(|_| {
            let w = rng.pick(WORDS);
            format!("{}{}", w[..1].to_uppercase(), &w[1..])
        })
        .collect::<Vec<_>>()
        .join(" ");
    let city = CITIES[rng.below(CITIES.len())];
    Entity {
        name,
        suffix: SUFFIXES[rng.below(SUFFIXES.len())],
        tax_id: rng.chance(0.5).then(|| {
            format!(
                "{}-{}",
                10 + rng.below(89),
                1_000_000 + rng.below(8_999_999)
            )
        }),
        address: (
            1 + rng.below(9_998),
            rng.pick(STREETS),
            KINDS[rng.below(KINDS.len())],
        ),
        city,
        zip: format!("{}{:02}", city.2, rng.below(99)),
        phone: format!(
            "{}{}{:04}",
            201 + rng.below(788),
            200 + rng.below(799),
            rng.below(9_999)
        ),
    }
}

/// A typing slip: a dropped, swapped or replaced letter.
fn typo(s: &str, rng: &mut Rng) -> String {
    let mut chars: Vec<char> = s.chars().collect();
    if chars.len() < 4 {
        return s.to_owned();
    }
    let i = 1 + rng.below(chars.len() - 2);
    match rng.below(3) {
        0 => {
            chars.remove(i);
        }
        1 => chars.swap(i, i + 1),
        _ => chars[i] = ['a', 'e', 'o', 'n', 'r', 's'][rng.below(6)],
    }
    chars.into_iter().collect()
}

/// One source record of `e`; a variant (a second copy) carries the usual mess.
fn render(e: &Entity, rng: &mut Rng, variant: bool) -> Vec<String> {
    let mut name = e.name.clone();
    if variant && rng.chance(0.3) {
        name = typo(&name, rng);
    }
    if variant && rng.chance(0.3) {
        name = name.to_uppercase();
    }
    let suffix = if variant && rng.chance(0.5) {
        SUFFIXES[rng.below(SUFFIXES.len())]
    } else {
        e.suffix
    };
    let name = match (suffix, rng.chance(0.5)) {
        ("", _) => name,
        (s, true) => format!("{name}, {s}"),
        (s, false) => format!("{name} {s}"),
    };
    let (number, street, (kind, abbr)) = e.address;
    let kind = if rng.chance(0.5) { abbr } else { kind };
    let p = &e.phone;
    let phone = match rng.below(3) {
        0 => format!("({}) {}-{}", &p[..3], &p[3..6], &p[6..]),
        1 => format!("{}.{}.{}", &p[..3], &p[3..6], &p[6..]),
        _ => p.clone(),
    };
    let tax = e
        .tax_id
        .clone()
        .map(|t| {
            if rng.chance(0.5) {
                t.replace('-', "")
            } else {
                t
            }
        })
        .unwrap_or_default();
    let country = ["US", "USA", "United States", ""][rng.below(4)].to_owned();
    let mut drop = |value: String, p: f64| {
        if variant && rng.chance(p) {
            String::new()
        } else {
            value
        }
    };
    vec![
        name,
        drop(tax, 0.3),
        drop(format!("{number} {street} {kind}"), 0.1),
        drop(e.city.0.to_owned(), 0.1),
        drop(e.city.1.to_owned(), 0.2),
        drop(e.zip.clone(), 0.2),
        country,
        drop(phone, 0.3),
    ]
}

/// The vendor file: `source_system,source_id` and the fields, one row per source record.
/// Entities have one to five copies; some have a sibling with the same name and another tax
/// ID; a few rows lack the required name.
fn vendor_rows(n: usize) -> Vec<(Key, Vec<String>)> {
    let mut rng = Rng(20_261_121);
    let mut rows = Vec::with_capacity(n);
    let mut next_id = [0usize; SOURCES.len()];
    let mut push = |rng: &mut Rng, rows: &mut Vec<(Key, Vec<String>)>, fields| {
        let s = rng.below(SOURCES.len());
        next_id[s] += 1;
        let key = (
            SOURCES[s].to_owned(),
            format!("{}{:07}", &SOURCES[s][..2], next_id[s]),
        );
        rows.push((key, fields));
    };
    while rows.len() < n {
        let e = entity(&mut rng);
        let copies = [1, 1, 2, 3, 3, 4, 5][rng.below(7)];
        for c in 0..copies.min(n - rows.len()) {
            let mut fields = render(&e, &mut rng, c > 0);
            if rng.chance(0.005) {
                fields[0].clear();
            }
            push(&mut rng, &mut rows, fields);
        }
        if rows.len() < n && rng.chance(0.03) {
            let mut sibling = entity(&mut rng);
            sibling.name = e.name.clone();
            let fields = render(&sibling, &mut rng, false);
            push(&mut rng, &mut rows, fields);
        }
    }
    rows
}

fn csv_file(rows: &[(Key, Vec<String>)]) -> Vec<u8> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let mut header = vec!["source_system", "source_id"];
    header.extend(FIELDS);
    writer.write_record(&header).unwrap();
    for ((system, id), fields) in rows {
        let mut record = vec![system.as_str(), id.as_str()];
        record.extend(fields.iter().map(String::as_str));
        writer.write_record(&record).unwrap();
    }
    writer.into_inner().unwrap()
}

/// What a store ended with.
#[derive(Debug, PartialEq)]
struct Outcome {
    decisions: BTreeMap<Key, String>,
    /// Each golden record as the set of its source keys.
    partition: BTreeSet<BTreeSet<Key>>,
    /// Each open proposal as the (unordered) pair of its golden records' key sets.
    proposals: BTreeSet<BTreeSet<BTreeSet<Key>>>,
}

/// Golden ID to member keys, from the streamed crosswalk export.
fn crosswalk(app: &TestApp) -> BTreeMap<String, BTreeSet<Key>> {
    let (status, body) = app.get("/v1/crosswalk/vendor/export?format=csv", Some(&app.admin()));
    assert_eq!(status, 200, "{body}");
    let text = body.as_str().expect("CSV body").to_owned();
    let mut members: BTreeMap<String, BTreeSet<Key>> = BTreeMap::new();
    for row in csv::Reader::from_reader(text.as_bytes()).records() {
        let row = row.unwrap();
        members
            .entry(row[2].to_owned())
            .or_default()
            .insert((row[0].to_owned(), row[1].to_owned()));
    }
    members
}

fn open_proposals(app: &TestApp) -> Vec<(String, String)> {
    let steward = app.admin();
    let mut pairs = Vec::new();
    loop {
        let path = format!(
            "/v1/vendor/proposals?status=open&limit=500&offset={}",
            pairs.len()
        );
        let (status, page) = app.get(&path, Some(&steward));
        assert_eq!(status, 200, "{page}");
        let proposals = page["proposals"].as_array().unwrap();
        if proposals.is_empty() {
            return pairs;
        }
        for p in proposals {
            let side = |name: &str| p[name].as_str().unwrap().to_owned();
            pairs.push((side("golden_id"), side("other_golden_id")));
        }
    }
}

/// Every event of the feed, oldest first.
fn feed(app: &TestApp) -> Vec<Value> {
    let reader = app.admin();
    let (mut after, mut all) = (0, Vec::new());
    loop {
        let path = format!("/v1/events?after={after}&limit=1000&domain=vendor");
        let (status, page) = app.get(&path, Some(&reader));
        assert_eq!(status, 200, "{page}");
        let events = page["events"].as_array().unwrap();
        let Some(last) = events.last() else {
            return all;
        };
        after = last["seq"].as_i64().unwrap();
        all.extend(events.iter().cloned());
    }
}

/// Decisions as the feed tells them: a record is auto-linked when linked for that reason,
/// proposed when a proposal opens from its new golden record in the same write (before the next
/// record is linked), new otherwise. A proposal opened after an auto-link comes from a record
/// that bridges two golden records and says nothing about the record that created them.
fn decisions_from_feed(app: &TestApp) -> BTreeMap<Key, String> {
    let mut decisions = BTreeMap::new();
    let mut last_new: Option<(Key, String)> = None;
    for event in feed(app) {
        let d = &event["data"];
        if event["kind"] == "record.linked" {
            let key = (
                d["source_system"].as_str().unwrap().to_owned(),
                d["source_id"].as_str().unwrap().to_owned(),
            );
            let auto = d["reason"] == "auto_linked";
            let decision = if auto { "auto_linked" } else { "new" };
            decisions.insert(key.clone(), decision.to_owned());
            last_new = (!auto).then(|| (key, d["golden_id"].as_str().unwrap().to_owned()));
        } else if event["kind"] == "proposal.opened"
            && let Some((key, golden)) = &last_new
            && d["golden_id"].as_str() == Some(golden.as_str())
        {
            decisions.insert(key.clone(), "proposed".to_owned());
        }
    }
    decisions
}

fn outcome(app: &TestApp, decisions: BTreeMap<Key, String>) -> Outcome {
    let members = crosswalk(app);
    let keys_of = |golden: &str| members.get(golden).cloned().unwrap_or_default();
    Outcome {
        decisions,
        partition: members.values().cloned().collect(),
        proposals: open_proposals(app)
            .iter()
            .map(|(a, b)| [keys_of(a), keys_of(b)].into_iter().collect())
            .collect(),
    }
}

/// Loads the file as a bulk job and waits for it to finish.
fn load_as_job(app: &TestApp, file: &[u8]) -> Value {
    let ingest = app.token(&[Role::Ingest], &SOURCES);
    let (status, job) = read(
        ureq::post(&format!("{}/v1/vendor/jobs", app.base))
            .set("Authorization", &format!("Bearer {ingest}"))
            .set("Content-Type", "text/csv")
            .send_bytes(file),
    );
    assert_eq!(status, 202, "{job}");
    let path = format!("/v1/jobs/{}", job["id"].as_str().unwrap());
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let (status, job) = app.get(&path, Some(&app.admin()));
        assert_eq!(status, 200, "{job}");
        match job["status"].as_str() {
            Some("finished") => return job,
            Some("failed") => panic!("the job failed: {job}"),
            _ => {}
        }
        assert!(Instant::now() < deadline, "the job did not finish: {job}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Posts each row on its own and returns the decision the API gave it.
fn load_one_by_one(app: &TestApp, rows: &[(Key, Vec<String>)]) -> BTreeMap<Key, String> {
    let ingest = app.token(&[Role::Ingest], &SOURCES);
    let mut decisions = BTreeMap::new();
    for ((system, id), fields) in rows {
        let attributes: serde_json::Map<String, Value> = FIELDS
            .iter()
            .zip(fields)
            .filter(|(_, v)| !v.is_empty())
            .map(|(f, v)| (f.to_string(), json!(v)))
            .collect();
        let body = json!({"source_system": system, "source_id": id, "attributes": attributes});
        let (status, results) = app.post("/v1/vendor/records", Some(&ingest), &body);
        assert!(status == 200 || status == 422, "{status} {results}");
        let decision = results["results"][0]["decision"]
            .as_str()
            .unwrap()
            .to_owned();
        if decision != "rejected" {
            decisions.insert((system.clone(), id.clone()), decision);
        }
    }
    decisions
}

#[test]
fn a_bulk_job_decides_exactly_as_loading_record_by_record() {
    let rows = vendor_rows(RECORDS);
    let started = Instant::now();

    let bulk = spawn_app();
    let job = load_as_job(&bulk, &csv_file(&rows));
    let bulk_outcome = outcome(&bulk, decisions_from_feed(&bulk));
    let bulk_seconds = started.elapsed().as_secs_f64();

    let single = spawn_app();
    let single_decisions = load_one_by_one(&single, &rows);
    let single_outcome = outcome(&single, single_decisions);
    eprintln!(
        "equivalence: {} rows, bulk {bulk_seconds:.1}s, all {:.1}s; {}",
        rows.len(),
        started.elapsed().as_secs_f64(),
        job
    );

    // The file is realistic: it has matches of every kind and some bad rows.
    let counts = |decision: &str| {
        bulk_outcome
            .decisions
            .values()
            .filter(|d| *d == decision)
            .count()
    };
    assert!(counts("auto_linked") > 250, "{job}");
    assert!(counts("proposed") > 15, "{job}");
    assert!(job["rejected"].as_i64().unwrap() > 0, "{job}");
    assert_eq!(
        bulk_outcome.decisions.len() as i64 + job["rejected"].as_i64().unwrap(),
        RECORDS as i64
    );

    let differing: Vec<_> = bulk_outcome
        .decisions
        .iter()
        .filter(|(k, d)| single_outcome.decisions.get(*k) != Some(*d))
        .map(|(k, d)| (k, d, single_outcome.decisions.get(k)))
        .take(10)
        .collect();
    assert!(differing.is_empty(), "decisions differ: {differing:?}");
    assert_eq!(bulk_outcome.decisions, single_outcome.decisions);
    assert_same(
        "golden records",
        &bulk_outcome.partition,
        &single_outcome.partition,
    );
    assert_same(
        "open proposals",
        &bulk_outcome.proposals,
        &single_outcome.proposals,
    );
}

/// Fails with how many entries each side holds alone when the two sets differ.
fn assert_same<T: Ord>(what: &str, bulk: &BTreeSet<T>, single: &BTreeSet<T>) {
    assert!(
        bulk == single,
        "{what} differ: {} only in bulk, {} only one by one",
        bulk.difference(single).count(),
        single.difference(bulk).count()
    );
}

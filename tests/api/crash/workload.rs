//! The stream of writes a client sends until the server dies under it, and the ledger of what
//! the server acknowledged (a 2xx answer received) and what was in flight when it died.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

use serde_json::{Value, json};

use super::server::Client;

/// A source record: `(source_system, source_id)`.
pub type Key = (String, String);

/// An acknowledged source record.
#[derive(Debug, Clone)]
pub struct Rec {
    pub attrs: Value,
    pub version: i64,
}

/// The write in flight when the connection broke: applied wholly or not at all.
#[derive(Debug, Clone)]
pub enum Pending {
    /// An ingest, or the upload of a bulk job (which, once accepted, loads every row).
    Records(Vec<(Key, Value)>),
    Override {
        golden_id: String,
        value: String,
    },
    Steward,
}

/// What the server acknowledged, across rounds.
#[derive(Debug, Default)]
pub struct Ledger {
    pub records: BTreeMap<Key, Rec>,
    /// Records written (or in flight) since the last restart: their index documents are the
    /// ones a kill can catch uncommitted.
    pub written: BTreeSet<Key>,
    pub pending: Option<Pending>,
    /// The change feed as read after the last acknowledged write.
    pub feed: Vec<Value>,
    /// An acknowledged write whose events were not read yet.
    pub feed_behind: bool,
    /// Bulk jobs accepted (202) whose rows are not confirmed loaded yet: job ID -> rows.
    pub jobs: BTreeMap<String, Vec<(Key, Value)>>,
    /// Bulk jobs the server listed at the last check.
    pub jobs_seen: usize,
    /// Golden IDs a merge retired: they redirect forever.
    pub merged: BTreeSet<String>,
    /// Proposal ID -> its decided status.
    pub decided: BTreeMap<i64, String>,
    /// Golden ID -> the website a steward set.
    pub overrides: BTreeMap<String, String>,
    pub acked_writes: usize,
    pub acked_steward: usize,
    pub acked_jobs: usize,
    /// Rounds that killed the server with a write in flight, and how many of those writes
    /// had committed.
    pub in_flight: usize,
    pub in_flight_applied: usize,
    entities: usize,
    rev: u64,
}

/// xorshift64*: a seeded, reproducible workload without another dependency.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }

    pub fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 33) as usize % n.max(1)
    }
}

const FIRST: [&str; 8] = [
    "Acme", "Zenith", "Borealis", "Cobalt", "Meridian", "Quartz", "Sterling", "Vantage",
];
const SECOND: [&str; 8] = [
    "Surgical",
    "Medical",
    "Lab",
    "Pharma",
    "Dental",
    "Imaging",
    "Orthopedic",
    "Respiratory",
];
const CITIES: [&str; 4] = ["Chicago", "Boston", "Denver", "Austin"];

fn entity_name(e: usize) -> String {
    format!(
        "{} {} Supply {} Inc",
        FIRST[e % 8],
        SECOND[(e / 8) % 8],
        e + 100
    )
}

fn tax_id(e: usize) -> String {
    format!("{:02}-{:07}", 20 + e % 70, 1_000_000 + e * 7_919)
}

/// Runs operations until the server stops answering. Panics on an answer no valid request
/// should get (a 5xx, or a refused valid record).
pub fn run(client: &Client, ledger: &Mutex<Ledger>, rng: &mut Rng) {
    while step(client, ledger, rng).is_ok() {}
}

fn step(client: &Client, ledger: &Mutex<Ledger>, rng: &mut Rng) -> Result<(), String> {
    match rng.below(20) {
        13 => upload_job(client, ledger, rng),
        0..=12 => {
            let batch = {
                let mut l = ledger.lock().expect("ledger");
                let size = if rng.below(3) == 0 {
                    2 + rng.below(5)
                } else {
                    1
                };
                l.records_to_write(rng, size)
            };
            ingest(client, ledger, batch)
        }
        14..=15 => decide(client, ledger, rng),
        16 => merge(client, ledger, rng),
        17 => split(client, ledger, rng),
        _ => override_website(client, ledger, rng),
    }
}

impl Ledger {
    /// `size` records with distinct keys: new vendors, near-duplicates from another system
    /// (with the tax ID: an auto-link; without: a proposal), and updates of known records.
    fn records_to_write(&mut self, rng: &mut Rng, size: usize) -> Vec<(Key, Value)> {
        let mut batch: Vec<(Key, Value)> = Vec::new();
        while batch.len() < size {
            self.rev += 1;
            let rev = self.rev;
            let known = self.records.len();
            let (key, attrs) = match rng.below(10) {
                _ if known == 0 => self.new_vendor(rev),
                0..=3 => self.new_vendor(rev),
                4..=6 => self.near_duplicate(rng, rev),
                _ => {
                    let (key, rec) = self
                        .records
                        .iter()
                        .nth(rng.below(known))
                        .expect("a known record");
                    let mut attrs = rec.attrs.clone();
                    attrs["rev"] = json!(rev);
                    attrs["phone"] = json!(format!("+1 312 555 {:04}", rev % 10_000));
                    (key.clone(), attrs)
                }
            };
            if !batch.iter().any(|(k, _)| *k == key) {
                batch.push((key, attrs));
            }
        }
        batch
    }

    fn new_vendor(&mut self, rev: u64) -> (Key, Value) {
        let e = self.entities;
        self.entities += 1;
        let attrs = json!({"name": entity_name(e), "tax_id": tax_id(e),
                           "city": CITIES[e % 4], "rev": rev});
        (("sap".into(), format!("S{e}")), attrs)
    }

    fn near_duplicate(&mut self, rng: &mut Rng, rev: u64) -> (Key, Value) {
        if self.entities == 0 {
            return self.new_vendor(rev);
        }
        let e = rng.below(self.entities);
        let name = entity_name(e).replace(" Inc", "").to_uppercase();
        let (system, attrs) = if rng.below(2) == 0 {
            (
                "oracle",
                json!({"name": name, "tax_id": tax_id(e).replace('-', ""), "rev": rev}),
            )
        } else {
            (
                "ariba",
                json!({"name": name, "city": CITIES[e % 4], "rev": rev}),
            )
        };
        ((system.into(), format!("{}{e}", &system[..1])), attrs)
    }
}

/// Uploads a few new vendors as a CSV bulk job; once accepted, the job must load them all,
/// resuming after a kill if need be.
fn upload_job(client: &Client, ledger: &Mutex<Ledger>, rng: &mut Rng) -> Result<(), String> {
    let mut csv = String::from("source_id,name,tax_id,city,rev\n");
    let rows: Vec<(Key, Value)> = {
        let mut l = ledger.lock().expect("ledger");
        (0..3 + rng.below(6))
            .map(|_| {
                l.rev += 1;
                let rev = l.rev;
                let ((system, id), attrs) = l.new_vendor(rev);
                let text = |name: &str| attrs[name].as_str().expect("text").to_owned();
                let row = [id.clone(), text("name"), text("tax_id"), text("city")];
                csv.push_str(&format!("{},{rev}\n", row.join(",")));
                let attrs = json!({"name": row[1], "tax_id": row[2], "city": row[3],
                                   "rev": rev.to_string()});
                ((system, id), attrs)
            })
            .collect()
    };
    {
        let mut l = ledger.lock().expect("ledger");
        l.written.extend(rows.iter().map(|(key, _)| key.clone()));
        l.pending = Some(Pending::Records(rows.clone()));
    }
    let path = "/v1/vendor/jobs?source=sap";
    let (status, job) = client.upload(path, &client.ingest, "text/csv", csv.as_bytes())?;
    assert_eq!(status, 202, "job upload: {job}");
    let id = job["id"].as_str().expect("job id").to_owned();
    let mut l = ledger.lock().expect("ledger");
    l.jobs.insert(id, rows);
    l.acknowledged(false);
    l.acked_jobs += 1;
    Ok(())
}

fn ingest(client: &Client, ledger: &Mutex<Ledger>, batch: Vec<(Key, Value)>) -> Result<(), String> {
    let bodies: Vec<Value> = batch
        .iter()
        .map(|((system, id), attrs)| {
            json!({"source_system": system, "source_id": id, "attributes": attrs})
        })
        .collect();
    let body = match bodies.as_slice() {
        [one] => one.clone(),
        _ => Value::Array(bodies),
    };
    {
        let mut l = ledger.lock().expect("ledger");
        l.written.extend(batch.iter().map(|(key, _)| key.clone()));
        l.pending = Some(Pending::Records(batch.clone()));
    }
    let (status, reply) = client.call("POST", "/v1/vendor/records", &client.ingest, Some(&body))?;
    assert_eq!(status, 200, "ingest: {reply}");
    {
        let mut l = ledger.lock().expect("ledger");
        for (result, (key, attrs)) in reply["results"]
            .as_array()
            .expect("results")
            .iter()
            .zip(&batch)
        {
            assert_ne!(result["decision"], "rejected", "{result}");
            let version = result["version"].as_i64().expect("a version");
            l.records.insert(
                key.clone(),
                Rec {
                    attrs: attrs.clone(),
                    version,
                },
            );
        }
        l.acknowledged(false);
    }
    read_feed(client, ledger)
}

impl Ledger {
    fn acknowledged(&mut self, steward: bool) {
        self.pending = None;
        self.feed_behind = true;
        self.acked_writes += 1;
        self.acked_steward += usize::from(steward);
    }
}

/// Reads the events the last acknowledged write appended.
fn read_feed(client: &Client, ledger: &Mutex<Ledger>) -> Result<(), String> {
    loop {
        let after = ledger
            .lock()
            .expect("ledger")
            .feed
            .last()
            .map_or(0, |e| e["seq"].as_i64().unwrap_or(0));
        let path = format!("/v1/events?after={after}&limit=1000");
        let (status, page) = client.call("GET", &path, &client.reader, None)?;
        assert_eq!(status, 200, "{page}");
        let events = page["events"].as_array().cloned().unwrap_or_default();
        let mut l = ledger.lock().expect("ledger");
        if events.is_empty() {
            l.feed_behind = false;
            return Ok(());
        }
        l.feed.extend(events);
    }
}

/// A steward action's answer: 2xx is acknowledged, 4xx (a stale version, a crossed
/// do-not-match pair) changed nothing, 5xx is a bug.
fn steward_call(client: &Client, path: &str, body: &Value) -> Result<Option<Value>, String> {
    let (status, reply) = client.call("POST", path, &client.steward, Some(body))?;
    assert!(status < 500, "{path}: {status} {reply}");
    Ok((200..300).contains(&status).then_some(reply))
}

fn decide(client: &Client, ledger: &Mutex<Ledger>, rng: &mut Rng) -> Result<(), String> {
    let path = "/v1/vendor/proposals?status=open&limit=50";
    let (_, page) = client.call("GET", path, &client.steward, None)?;
    let open = page["proposals"].as_array().cloned().unwrap_or_default();
    if open.is_empty() {
        return Ok(());
    }
    let id = open[rng.below(open.len())]["id"]
        .as_i64()
        .expect("proposal id");
    let verb = if rng.below(3) == 0 {
        "reject"
    } else {
        "approve"
    };
    ledger.lock().expect("ledger").pending = Some(Pending::Steward);
    let path = format!("/v1/proposals/{id}/{verb}");
    let reply = steward_call(client, &path, &json!({"comment": "crash test"}))?;
    finish(client, ledger, reply, |l, reply| {
        let status = reply["status"].as_str().expect("status").to_owned();
        l.decided.insert(id, status);
    })
}

/// Records an acknowledged steward action (or clears the refused one) and reads the feed.
fn finish(
    client: &Client,
    ledger: &Mutex<Ledger>,
    reply: Option<Value>,
    record: impl FnOnce(&mut Ledger, &Value),
) -> Result<(), String> {
    let mut l = ledger.lock().expect("ledger");
    let Some(reply) = reply else {
        l.pending = None;
        return Ok(());
    };
    record(&mut l, &reply);
    l.acknowledged(true);
    drop(l);
    read_feed(client, ledger)
}

/// The golden record a random known source record belongs to: its ID, version and members.
fn random_golden(
    client: &Client,
    ledger: &Mutex<Ledger>,
    rng: &mut Rng,
) -> Result<Option<(String, i64, usize)>, String> {
    let key = {
        let l = ledger.lock().expect("ledger");
        if l.records.is_empty() {
            return Ok(None);
        }
        l.records
            .keys()
            .nth(rng.below(l.records.len()))
            .cloned()
            .expect("a key")
    };
    let path = format!("/v1/crosswalk/vendor/{}/{}", key.0, key.1);
    let (status, entry) = client.call("GET", &path, &client.reader, None)?;
    assert_eq!(status, 200, "{path}: {entry}");
    let id = entry["golden_id"].as_str().expect("golden id").to_owned();
    let (status, view) = client.call(
        "GET",
        &format!("/v1/vendor/golden/{id}"),
        &client.reader,
        None,
    )?;
    assert_eq!(status, 200, "{view}");
    let members = view["members"].as_array().map_or(0, Vec::len);
    Ok(Some((
        id,
        view["version"].as_i64().expect("version"),
        members,
    )))
}

fn merge(client: &Client, ledger: &Mutex<Ledger>, rng: &mut Rng) -> Result<(), String> {
    let (Some(a), Some(b)) = (
        random_golden(client, ledger, rng)?,
        random_golden(client, ledger, rng)?,
    ) else {
        return Ok(());
    };
    if a.0 == b.0 {
        return Ok(());
    }
    ledger.lock().expect("ledger").pending = Some(Pending::Steward);
    let body = json!({"other_golden_id": b.0, "version": a.1, "other_version": b.1});
    let reply = steward_call(client, &format!("/v1/vendor/golden/{}/merge", a.0), &body)?;
    finish(client, ledger, reply, |l, _| {
        l.merged.insert(b.0.clone());
        l.overrides.remove(&b.0);
    })
}

fn split(client: &Client, ledger: &Mutex<Ledger>, rng: &mut Rng) -> Result<(), String> {
    let Some((id, version, members)) = random_golden(client, ledger, rng)? else {
        return Ok(());
    };
    if members < 2 {
        return Ok(());
    }
    let (_, view) = client.call(
        "GET",
        &format!("/v1/vendor/golden/{id}"),
        &client.reader,
        None,
    )?;
    let member = &view["members"][rng.below(members)];
    let body = json!({"records": [{"source_system": member["source_system"],
                                   "source_id": member["source_id"]}], "version": version});
    ledger.lock().expect("ledger").pending = Some(Pending::Steward);
    let reply = steward_call(client, &format!("/v1/vendor/golden/{id}/split"), &body)?;
    finish(client, ledger, reply, |_, _| {})
}

fn override_website(client: &Client, ledger: &Mutex<Ledger>, rng: &mut Rng) -> Result<(), String> {
    let Some((id, version, _)) = random_golden(client, ledger, rng)? else {
        return Ok(());
    };
    let value = format!("https://w{}.example.com", rng.below(1_000_000));
    let body = json!({"field": "website", "value": value, "version": version});
    ledger.lock().expect("ledger").pending = Some(Pending::Override {
        golden_id: id.clone(),
        value: value.clone(),
    });
    let reply = steward_call(client, &format!("/v1/vendor/golden/{id}/override"), &body)?;
    finish(client, ledger, reply, |l, _| {
        l.overrides.insert(id.clone(), value.clone());
    })
}

//! What must hold after a restart: acknowledged writes are there, the write in flight is
//! all or nothing, the crosswalk, golden records and change feed agree, and the index found
//! its way back to the database.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::server::Client;
use super::workload::{Key, Ledger, Pending, Rec};

/// Checks the restarted server against the ledger, then makes the ledger match the server
/// (the write in flight is settled one way or the other).
pub fn verify(client: &Client, ledger: &mut Ledger) {
    let background = settle_jobs(client, ledger);
    let feed = read_whole_feed(client);
    check_feed(ledger, &feed, background);
    if ledger.pending.is_some() {
        ledger.in_flight += 1;
        let grew = feed.len() > ledger.feed.len() && !ledger.feed_behind;
        ledger.in_flight_applied += usize::from(grew);
    }
    check_records(client, ledger);
    let crosswalk = read_crosswalk(client);
    let keys: BTreeSet<&Key> = crosswalk.keys().collect();
    let known: BTreeSet<&Key> = ledger.records.keys().collect();
    assert_eq!(
        keys, known,
        "the crosswalk holds exactly the acknowledged records"
    );
    check_memberships(client, &crosswalk);
    check_event_effects(client, &feed, &crosswalk);
    check_decisions(client, ledger);
    check_index(client, ledger, &crosswalk);
    ledger.feed = feed;
    ledger.written.clear();
    ledger.feed_behind = false;
    ledger.pending = None;
}

/// Waits until the restarted server has finished every bulk job (an interrupted one resumes
/// by itself); each accepted job must have finished and loaded all its rows, which join the
/// ledger. Says whether jobs were writing in the background (their events then follow the
/// last acknowledged write).
fn settle_jobs(client: &Client, ledger: &mut Ledger) -> bool {
    let deadline = Instant::now() + Duration::from_secs(60);
    let jobs = loop {
        let jobs = client.read("/v1/jobs?limit=500")["jobs"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        if !jobs
            .iter()
            .any(|j| j["status"] == "queued" || j["status"] == "running")
        {
            break jobs;
        }
        assert!(
            Instant::now() < deadline,
            "bulk jobs did not finish: {jobs:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    let accepted = std::mem::take(&mut ledger.jobs);
    for (id, rows) in &accepted {
        let job = jobs.iter().find(|j| j["id"] == id.as_str());
        let job = job.unwrap_or_else(|| panic!("accepted job {id} is gone"));
        assert_eq!(job["status"], "finished", "{job}");
        assert_eq!(job["rows_read"], rows.len(), "{job}");
        for (key, attrs) in rows {
            let rec = Rec {
                attrs: attrs.clone(),
                version: 1,
            };
            assert!(
                ledger.records.insert(key.clone(), rec).is_none(),
                "{key:?} loaded twice"
            );
        }
    }
    let in_flight_job = jobs.len() > ledger.jobs_seen + accepted.len();
    ledger.jobs_seen = jobs.len();
    !accepted.is_empty() || in_flight_job
}

fn read_whole_feed(client: &Client) -> Vec<Value> {
    let mut feed: Vec<Value> = Vec::new();
    loop {
        let after = feed.last().map_or(0, |e| e["seq"].as_i64().expect("seq"));
        let page = client.read(&format!("/v1/events?after={after}&limit=1000"));
        let events = page["events"].as_array().cloned().unwrap_or_default();
        if events.is_empty() {
            return feed;
        }
        feed.extend(events);
    }
}

/// Sequences run 1..N without a hole, every event seen after an acknowledged write is still
/// there unchanged, and new events appear only for a write that was in flight.
fn check_feed(ledger: &Ledger, feed: &[Value], background: bool) {
    for (i, event) in feed.iter().enumerate() {
        assert_eq!(
            event["seq"],
            i as i64 + 1,
            "the change feed has a gap at {event}"
        );
    }
    assert!(
        feed.len() >= ledger.feed.len(),
        "acknowledged events vanished: {} before, {} now",
        ledger.feed.len(),
        feed.len()
    );
    assert_eq!(
        &feed[..ledger.feed.len()],
        ledger.feed.as_slice(),
        "the feed's history changed"
    );
    if ledger.pending.is_none() && !ledger.feed_behind && !background {
        assert_eq!(
            feed.len(),
            ledger.feed.len(),
            "events of a write that was never sent: {:?}",
            &feed[ledger.feed.len()..]
        );
    }
}

/// Each acknowledged record has its acknowledged version and content; the records of the
/// write in flight all have the new content or all the old.
fn check_records(client: &Client, ledger: &mut Ledger) {
    let in_flight: BTreeMap<Key, Value> = match &ledger.pending {
        Some(Pending::Records(batch)) => batch.iter().cloned().collect(),
        _ => BTreeMap::new(),
    };
    let mut keys: BTreeSet<Key> = ledger.records.keys().cloned().collect();
    keys.extend(in_flight.keys().cloned());
    let mut applied = 0;
    for key in keys {
        let path = format!("/v1/vendor/records/{}/{}", key.0, key.1);
        let (status, view) = client
            .call("GET", &path, &client.reader, None)
            .expect("read record");
        let acked = ledger.records.get(&key);
        let actual = (status == 200).then(|| Rec {
            attrs: view["attributes"].clone(),
            version: view["version"].as_i64().expect("version"),
        });
        let new = in_flight.get(&key);
        let is_new = matches!((&actual, new), (Some(a), Some(n)) if a.attrs == *n
            && a.version == acked.map_or(1, |r| r.version + 1));
        let is_old = match (&actual, acked) {
            (Some(a), Some(r)) => a.attrs == r.attrs && a.version == r.version,
            (None, None) => true,
            _ => false,
        };
        assert!(
            is_new || is_old,
            "{key:?}: acknowledged {acked:?}, in flight {new:?}, found {status} {view}"
        );
        applied += usize::from(is_new);
        match actual {
            Some(rec) => ledger.records.insert(key, rec),
            None => ledger.records.remove(&key),
        };
    }
    assert!(
        applied == 0 || applied == in_flight.len(),
        "a batch was half applied: {applied} of {} records",
        in_flight.len()
    );
}

/// `(source_system, source_id) -> golden_id` from the streamed crosswalk export.
fn read_crosswalk(client: &Client) -> BTreeMap<Key, String> {
    client
        .read_text("/v1/crosswalk/vendor/export?format=ndjson")
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let row: Value = serde_json::from_str(line).expect("an NDJSON row");
            let text = |name: &str| row[name].as_str().expect("a string").to_owned();
            (
                (text("source_system"), text("source_id")),
                text("golden_id"),
            )
        })
        .collect()
}

/// Every golden ID the crosswalk names is active and lists exactly the records that point
/// at it.
fn check_memberships(client: &Client, crosswalk: &BTreeMap<Key, String>) {
    let mut goldens: BTreeMap<String, BTreeSet<Key>> = BTreeMap::new();
    for (key, golden) in crosswalk {
        goldens
            .entry(golden.clone())
            .or_default()
            .insert(key.clone());
    }
    for (id, expected) in &goldens {
        let view = client.read(&format!("/v1/vendor/golden/{id}"));
        assert_eq!(
            view["golden_id"],
            id.as_str(),
            "the crosswalk names a retired ID: {view}"
        );
        assert_eq!(view["status"], "active", "{view}");
        let members: BTreeSet<Key> = view["members"]
            .as_array()
            .expect("members")
            .iter()
            .map(|m| {
                let text = |name: &str| m[name].as_str().expect("a string").to_owned();
                (text("source_system"), text("source_id"))
            })
            .collect();
        assert_eq!(
            &members, expected,
            "members of {id} and the crosswalk disagree"
        );
    }
}

/// Every golden ID an event names resolves, and every record it names exists.
fn check_event_effects(client: &Client, feed: &[Value], crosswalk: &BTreeMap<Key, String>) {
    let mut resolved: HashMap<String, ()> = HashMap::new();
    for event in feed {
        if let Some(id) = event["golden_id"].as_str()
            && !resolved.contains_key(id)
        {
            let path = format!("/v1/vendor/golden/{id}");
            let (status, view) = client
                .call("GET", &path, &client.reader, None)
                .expect("read golden");
            assert_eq!(
                status, 200,
                "{event} names {id}, which does not resolve: {view}"
            );
            resolved.insert(id.to_owned(), ());
        }
        let data = &event["data"];
        if let (Some(system), Some(id)) =
            (data["source_system"].as_str(), data["source_id"].as_str())
        {
            assert!(
                crosswalk.contains_key(&(system.to_owned(), id.to_owned())),
                "{event} names a record that is not there"
            );
        }
    }
}

/// Merged IDs redirect, decided proposals stay decided, overrides stay in place.
fn check_decisions(client: &Client, ledger: &mut Ledger) {
    for id in &ledger.merged {
        let view = client.read(&format!("/v1/vendor/golden/{id}"));
        assert_eq!(
            view["redirected_from"],
            id.as_str(),
            "{id} no longer redirects: {view}"
        );
    }
    for (id, status) in &ledger.decided {
        let view = client.read(&format!("/v1/proposals/{id}"));
        assert_eq!(view["status"], status.as_str(), "proposal {id}: {view}");
    }
    // An override in flight either shows or left the earlier value in place.
    if let Some(Pending::Override { golden_id, value }) = &ledger.pending {
        let view = client.read(&format!("/v1/vendor/golden/{golden_id}"));
        if view["fields"]["website"] == value.as_str() {
            ledger.overrides.insert(golden_id.clone(), value.clone());
        }
    }
    let mut retired = Vec::new();
    for (id, value) in &ledger.overrides {
        let view = client.read(&format!("/v1/vendor/golden/{id}"));
        if view["redirected_from"].is_string() {
            // Merged into another record since: the survivor's fields rule.
            retired.push(id.clone());
            continue;
        }
        assert_eq!(
            view["fields"]["website"],
            value.as_str(),
            "override on {id} lost: {view}"
        );
        assert_eq!(view["lineage"]["website"]["rule"], "override", "{view}");
    }
    for id in retired {
        ledger.overrides.remove(&id);
    }
}

/// Records searched besides those written in the last round.
const SEARCH_SAMPLE: usize = 20;

/// The candidate index caught up by itself: searching a record's name finds its golden
/// record, for every record written since the last restart (its index document may not have
/// been committed before the kill) and for a sample of the others.
fn check_index(client: &Client, ledger: &Ledger, crosswalk: &BTreeMap<Key, String>) {
    let step = (crosswalk.len() / SEARCH_SAMPLE).max(1);
    let chosen = crosswalk
        .iter()
        .enumerate()
        .filter(|(i, (key, _))| i % step == 0 || ledger.written.contains(*key));
    for (_, (key, id)) in chosen {
        let name = ledger.records[key].attrs["name"].as_str().expect("a name");
        let query = name.replace(' ', "%20");
        let hits = client.read(&format!("/v1/vendor/golden?q={query}&limit=100"));
        let found = hits["results"]
            .as_array()
            .expect("search results")
            .iter()
            .any(|h| h["golden_id"] == id.as_str());
        assert!(found, "searching {name:?} does not find {id}: {hits}");
    }
}

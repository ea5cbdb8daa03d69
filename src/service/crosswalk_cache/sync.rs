//! Loading the in-memory crosswalk and keeping it current from the change feed.
//!
//! Every membership or status change emits a `record.*` event naming the source key and its
//! golden ID (`record.linked` also names the one it left), and merges and splits name both
//! golden IDs. Replaying a run of events therefore collects the keys and golden IDs touched;
//! those are read again from the database and replaced whole, in the same snapshot the
//! events were read from, so the cache never mixes two states of one golden record.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use super::{Builder, CrosswalkCache};
use crate::model::SourceKey;
use crate::service::views::CrosswalkEntry;
use crate::service::{Golden, ServiceError};
use crate::store::DbConnection;
use crate::store::models::EventRow;
use crate::store::queries::crosswalk::{self, KeyRow};
use crate::store::queries::events;

/// Records read per query by a full load.
const LOAD_PAGE: i64 = 5_000;
/// Events read per query while catching up.
const EVENTS_PAGE: i64 = 2_000;
/// Further behind than this many events, reading everything again is cheaper than replaying.
const RELOAD_AFTER: i64 = 50_000;
/// Keys or golden IDs per query, within both backends' bind-parameter limits.
const CHUNK: usize = 500;

/// The golden IDs and source keys a run of events touched.
#[derive(Debug, Default, PartialEq)]
pub(super) struct Touched {
    goldens: BTreeSet<String>,
    /// Source keys by domain.
    keys: BTreeMap<String, BTreeSet<SourceKey>>,
}

impl Touched {
    /// Notes what `event` changed; events that change no membership or status are skipped.
    pub(super) fn add(&mut self, event: &EventRow) {
        let relevant = event.kind.starts_with("record.")
            || event.kind == "golden.merged"
            || event.kind == "golden.split";
        let Some(domain) = event.domain.as_deref().filter(|_| relevant) else {
            return;
        };
        let Ok(payload) = serde_json::from_str::<Moved>(&event.payload) else {
            return;
        };
        self.goldens.extend(event.golden_id.iter().cloned());
        let named = [
            payload.golden_id,
            payload.previous_golden_id,
            payload.merged_golden_id,
            payload.new_golden_id,
        ];
        self.goldens.extend(named.into_iter().flatten());
        let keys = self.keys.entry(domain.to_owned()).or_default();
        let own = KeyOnly {
            source_system: payload.source_system,
            source_id: payload.source_id,
        };
        for key in std::iter::once(own).chain(payload.records) {
            if let (Some(source_system), Some(source_id)) = (key.source_system, key.source_id) {
                keys.insert(SourceKey {
                    source_system,
                    source_id,
                });
            }
        }
    }
}

/// What an event's payload says about memberships: the golden IDs it names and the source
/// keys it moved. The rest (a record's attributes) is skipped, not parsed.
#[derive(serde::Deserialize)]
struct Moved {
    golden_id: Option<String>,
    previous_golden_id: Option<String>,
    merged_golden_id: Option<String>,
    new_golden_id: Option<String>,
    source_system: Option<String>,
    source_id: Option<String>,
    #[serde(default)]
    records: Vec<KeyOnly>,
}

/// A source key in an event's payload.
#[derive(serde::Deserialize)]
struct KeyOnly {
    source_system: Option<String>,
    source_id: Option<String>,
}

impl Golden {
    /// The cached crosswalk entry of a key, when the cache reflects every write this process
    /// has committed; `None` sends the caller to [`Golden::crosswalk`]. Never blocks on I/O.
    pub fn crosswalk_cached(
        &self,
        domain: &str,
        source_system: &str,
        source_id: &str,
    ) -> Option<CrosswalkEntry> {
        self.crosswalk_cache
            .is_current(self.store.last_committed_seq())
            .then(|| self.crosswalk_cache.get(domain, source_system, source_id))
            .flatten()
    }

    /// Brings the cache up to this process's own commits (read-your-writes); `false` when
    /// the caller must read the database instead: the catch-up failed, or another thread is
    /// catching up (a reload after a large load can take seconds; reads should not queue).
    pub(crate) fn crosswalk_cache_current(&self) -> bool {
        let cache = &self.crosswalk_cache;
        if cache.is_current(self.store.last_committed_seq()) {
            return true;
        }
        let Ok(_one_at_a_time) = cache.refresh.try_lock() else {
            return false;
        };
        match self.catch_up_locked() {
            Ok(()) => true,
            Err(e) => {
                tracing::warn!(error = %crate::service::error::chain(&e), "crosswalk cache catch-up failed; reading the database");
                false
            }
        }
    }

    /// Loads the cache if it is not loaded yet, otherwise applies every event committed since
    /// it was last brought up to date, by any process.
    pub fn catch_up_crosswalk(&self) -> Result<(), ServiceError> {
        let cache = &self.crosswalk_cache;
        let _one_at_a_time = cache.refresh.lock().unwrap_or_else(|p| p.into_inner());
        self.catch_up_locked()
    }

    /// [`Golden::catch_up_crosswalk`] for a caller holding the refresh lock.
    fn catch_up_locked(&self) -> Result<(), ServiceError> {
        let cache = &self.crosswalk_cache;
        self.store.read_snapshot(|conn| {
            let last = events::last_seq(conn)?;
            let from = cache.applied_seq();
            if !cache.is_current(0) || last - from > RELOAD_AFTER {
                return load(cache, conn, last);
            }
            if last <= from {
                return Ok(());
            }
            let mut touched = Touched::default();
            let mut after = from;
            loop {
                let page = events::after(conn, after, EVENTS_PAGE, None)?;
                let Some(seq) = page.last().map(|e| e.seq) else {
                    break;
                };
                page.iter().for_each(|event| touched.add(event));
                after = seq;
            }
            let goldens = reread(cache, conn, touched)?;
            cache.apply(&goldens, last);
            Ok(())
        })
    }
}

/// Reads every source record into a fresh cache, current up to `seq`.
fn load(cache: &CrosswalkCache, conn: &mut DbConnection, seq: i64) -> Result<(), ServiceError> {
    let mut builder = Builder::default();
    let mut after = 0;
    loop {
        let page = crosswalk::key_page(conn, after, LOAD_PAGE)?;
        let Some(last) = page.last().map(|r| r.id) else {
            break;
        };
        page.iter().for_each(|row| builder.push(row));
        after = last;
    }
    cache.reset(builder, seq);
    tracing::info!(
        keys = cache.len(),
        approx_bytes = cache.approx_bytes(),
        seq,
        "crosswalk cache loaded"
    );
    Ok(())
}

/// The current members of every golden ID `touched` names or implies: the golden IDs of the
/// touched keys, and any golden ID a re-read member was cached under before (it lost that
/// member). Golden IDs with no members left come back with none.
fn reread(
    cache: &CrosswalkCache,
    conn: &mut DbConnection,
    touched: Touched,
) -> Result<Vec<(String, Vec<KeyRow>)>, ServiceError> {
    let mut pending = touched.goldens;
    for (domain, keys) in &touched.keys {
        let keys: Vec<&SourceKey> = keys.iter().collect();
        for chunk in keys.chunks(CHUNK) {
            for row in crosswalk::by_keys(conn, domain, chunk)? {
                pending.extend(cache.previous_golden(&row));
                pending.insert(row.golden_id);
            }
        }
    }
    let mut done = HashSet::new();
    let mut out = Vec::new();
    while !pending.is_empty() {
        let batch: Vec<String> = std::iter::from_fn(|| pending.pop_first())
            .take(CHUNK)
            .collect();
        let ids: Vec<&str> = batch.iter().map(String::as_str).collect();
        let mut members: HashMap<String, Vec<KeyRow>> =
            batch.iter().map(|g| (g.clone(), Vec::new())).collect();
        for row in crosswalk::members_of(conn, &ids)? {
            if let Some(left) = cache.previous_golden(&row)
                && !done.contains(&left)
                && !members.contains_key(&left)
            {
                pending.insert(left);
            }
            members.entry(row.golden_id.clone()).or_default().push(row);
        }
        done.extend(batch);
        out.extend(members);
    }
    Ok(out)
}

impl CrosswalkCache {
    /// The golden ID `row`'s key is cached under when that is not its golden ID now.
    fn previous_golden(&self, row: &KeyRow) -> Option<String> {
        self.golden_of(&row.domain, &row.source_system, &row.source_id)
            .map(|(golden, _)| golden)
            .filter(|golden| *golden != row.golden_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(kind: &str, golden: &str, payload: serde_json::Value) -> EventRow {
        EventRow {
            seq: 1,
            domain: Some("vendor".into()),
            kind: kind.into(),
            golden_id: Some(golden.into()),
            payload: payload.to_string(),
            created_at: chrono::NaiveDateTime::default(),
        }
    }

    fn key(system: &str, id: &str) -> SourceKey {
        SourceKey {
            source_system: system.into(),
            source_id: id.into(),
        }
    }

    #[test]
    fn a_link_names_its_key_and_both_golden_ids() {
        let mut touched = Touched::default();
        touched.add(&event(
            "record.linked",
            "V2",
            serde_json::json!({"source_system": "sap", "source_id": "1", "golden_id": "V2",
                               "previous_golden_id": "V1"}),
        ));
        assert_eq!(touched.goldens, BTreeSet::from(["V1".into(), "V2".into()]));
        assert_eq!(touched.keys["vendor"], BTreeSet::from([key("sap", "1")]));
    }

    #[test]
    fn a_merge_names_both_golden_ids_and_the_moved_records() {
        let mut touched = Touched::default();
        touched.add(&event(
            "golden.merged",
            "V1",
            serde_json::json!({"golden_id": "V1", "merged_golden_id": "V9",
                               "records": [{"source_system": "erp", "source_id": "7"}]}),
        ));
        assert_eq!(touched.goldens, BTreeSet::from(["V1".into(), "V9".into()]));
        assert_eq!(touched.keys["vendor"], BTreeSet::from([key("erp", "7")]));
    }

    #[test]
    fn events_that_move_nothing_are_skipped() {
        let mut touched = Touched::default();
        touched.add(&event(
            "golden.updated",
            "V1",
            serde_json::json!({"golden_id": "V1", "version": 2}),
        ));
        touched.add(&event(
            "proposal.opened",
            "V1",
            serde_json::json!({"golden_id": "V1", "other_golden_id": "V2"}),
        ));
        assert_eq!(touched, Touched::default());
    }
}

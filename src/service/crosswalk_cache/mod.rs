//! The crosswalk in memory: every source key's golden ID and status, and every golden ID's
//! members, so the hottest read (`GET /v1/crosswalk/{domain}/{system}/{id}`) answers without
//! touching the database.
//!
//! The database stays the truth. The cache is loaded from it at start and kept current from
//! the change feed ([`sync`]): each event names the source keys and golden IDs it touched, and
//! those are read again from the database and replaced here whole. Readers take a read lock
//! for a few hash lookups and leave with reference-counted member lists, so writers wait only
//! for those lookups.
//!
//! Memory: a source key costs one entry in a key map (the shared source ID, its golden ID and
//! status), one member entry in its golden record's list (sharing the same source ID string)
//! and a share of the golden ID map; [`CrosswalkCache::approx_bytes`] adds it up (about 200
//! bytes per key with 8-character IDs).

pub mod sync;

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use super::views::{CrosswalkEntry, MemberRef};
use crate::store::queries::crosswalk::KeyRow;

/// One member of a golden record.
#[derive(Debug)]
struct Member {
    source_system: Arc<str>,
    source_id: Arc<str>,
    status: Arc<str>,
}

/// Where a source key points.
#[derive(Debug)]
struct Entry {
    golden_id: Arc<str>,
    status: Arc<str>,
}

/// Source IDs of one source system of one domain.
type ById = HashMap<Arc<str>, Entry>;

#[derive(Debug, Default)]
struct Maps {
    /// domain -> source system -> source ID -> entry.
    keys: HashMap<Arc<str>, HashMap<Arc<str>, ById>>,
    /// golden ID -> its members, oldest first (the order the database answers in).
    goldens: HashMap<Arc<str>, Arc<[Member]>>,
    /// Domain, source system and status names, stored once.
    names: HashSet<Arc<str>>,
    entries: usize,
}

impl Maps {
    fn name(&mut self, text: &str) -> Arc<str> {
        if let Some(name) = self.names.get(text) {
            return name.clone();
        }
        let name: Arc<str> = Arc::from(text);
        self.names.insert(name.clone());
        name
    }

    fn entry(&self, domain: &str, system: &str, id: &str) -> Option<&Entry> {
        self.keys.get(domain)?.get(system)?.get(id)
    }

    /// Points `row`'s key at its golden ID and returns the member to list under it.
    fn put_key(&mut self, row: &KeyRow, golden: Arc<str>) -> Member {
        let domain = self.name(&row.domain);
        let system = self.name(&row.source_system);
        let status = self.name(&row.status);
        let by_id = self
            .keys
            .entry(domain)
            .or_default()
            .entry(system.clone())
            .or_default();
        let source_id = match by_id.get_key_value(row.source_id.as_str()) {
            Some((key, _)) => key.clone(),
            None => Arc::from(row.source_id.as_str()),
        };
        let entry = Entry {
            golden_id: golden,
            status: status.clone(),
        };
        if by_id.insert(source_id.clone(), entry).is_none() {
            self.entries += 1;
        }
        Member {
            source_system: system,
            source_id,
            status,
        }
    }

    /// The shared copy of a golden ID already known, or a new one.
    fn golden_name(&self, golden_id: &str) -> Arc<str> {
        match self.goldens.get_key_value(golden_id) {
            Some((key, _)) => key.clone(),
            None => Arc::from(golden_id),
        }
    }

    /// Makes `rows` the whole membership of `golden_id` and points each row's key at it.
    fn replace_golden(&mut self, golden_id: &str, rows: &[KeyRow]) {
        let golden = self.golden_name(golden_id);
        let members: Vec<Member> = rows
            .iter()
            .map(|row| self.put_key(row, golden.clone()))
            .collect();
        if members.is_empty() {
            self.goldens.remove(golden_id);
        } else {
            self.goldens.insert(golden, members.into());
        }
    }
}

/// Builds a whole cache from every source record, read in ID order.
#[derive(Default)]
pub(super) struct Builder {
    maps: Maps,
    members: HashMap<Arc<str>, Vec<Member>>,
}

impl Builder {
    pub(super) fn push(&mut self, row: &KeyRow) {
        let golden = match self.members.get_key_value(row.golden_id.as_str()) {
            Some((key, _)) => key.clone(),
            None => Arc::from(row.golden_id.as_str()),
        };
        let member = self.maps.put_key(row, golden.clone());
        self.members.entry(golden).or_default().push(member);
    }

    fn finish(mut self) -> Maps {
        self.maps.goldens = self
            .members
            .into_iter()
            .map(|(golden, members)| (golden, members.into()))
            .collect();
        self.maps
    }
}

/// The in-memory crosswalk of one process.
#[derive(Debug, Default)]
pub struct CrosswalkCache {
    maps: RwLock<Maps>,
    /// The last change-feed sequence reflected here; 0 before the first load.
    applied_seq: AtomicI64,
    loaded: std::sync::atomic::AtomicBool,
    /// Held while loading or catching up, so one thread does it and the rest wait for it.
    refresh: Mutex<()>,
}

impl CrosswalkCache {
    /// Whether the cache is loaded and reflects every event up to `seq`.
    pub fn is_current(&self, seq: i64) -> bool {
        self.loaded.load(Ordering::Acquire) && self.applied_seq.load(Ordering::Acquire) >= seq
    }

    pub fn applied_seq(&self) -> i64 {
        self.applied_seq.load(Ordering::Acquire)
    }

    /// The crosswalk entry of one key, shaped as the database read shapes it; `None` when
    /// the key is not cached.
    pub fn get(&self, domain: &str, system: &str, id: &str) -> Option<CrosswalkEntry> {
        let (golden_id, status, members) = {
            let maps = self.maps.read().unwrap_or_else(|p| p.into_inner());
            let entry = maps.entry(domain, system, id)?;
            let members = maps.goldens.get(&entry.golden_id)?.clone();
            (entry.golden_id.clone(), entry.status.clone(), members)
        };
        Some(CrosswalkEntry {
            domain: domain.to_owned(),
            source_system: system.to_owned(),
            source_id: id.to_owned(),
            golden_id: golden_id.to_string(),
            record_status: status.to_string(),
            members: members
                .iter()
                .map(|m| MemberRef {
                    source_system: m.source_system.to_string(),
                    source_id: m.source_id.to_string(),
                    status: m.status.to_string(),
                })
                .collect(),
            as_of: None,
        })
    }

    /// The golden ID and status of one key, if cached.
    pub fn golden_of(&self, domain: &str, system: &str, id: &str) -> Option<(String, String)> {
        let maps = self.maps.read().unwrap_or_else(|p| p.into_inner());
        maps.entry(domain, system, id)
            .map(|e| (e.golden_id.to_string(), e.status.to_string()))
    }

    /// Replaces the membership of each golden ID with the rows given for it (none: the golden
    /// ID has no members any more), then marks the cache current up to `seq`.
    fn apply(&self, goldens: &[(String, Vec<KeyRow>)], seq: i64) {
        {
            let mut maps = self.maps.write().unwrap_or_else(|p| p.into_inner());
            for (golden_id, rows) in goldens {
                maps.replace_golden(golden_id, rows);
            }
        }
        self.mark(seq);
    }

    /// Replaces everything with what `built` holds, current up to `seq`.
    fn reset(&self, built: Builder, seq: i64) {
        let maps = built.finish();
        *self.maps.write().unwrap_or_else(|p| p.into_inner()) = maps;
        self.applied_seq.store(seq, Ordering::Release);
        self.loaded.store(true, Ordering::Release);
    }

    fn mark(&self, seq: i64) {
        self.applied_seq.fetch_max(seq, Ordering::AcqRel);
    }

    /// Number of source keys cached.
    pub fn len(&self) -> usize {
        self.maps.read().unwrap_or_else(|p| p.into_inner()).entries
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// An estimate of the heap the cache holds: map slots at their capacity, string and
    /// member allocations at their length.
    pub fn approx_bytes(&self) -> usize {
        let maps = self.maps.read().unwrap_or_else(|p| p.into_inner());
        approx_bytes(&maps)
    }
}

/// Heap bytes of `maps`; strings shared between maps are counted once.
fn approx_bytes(maps: &Maps) -> usize {
    use std::mem::size_of;
    // hashbrown: one slot and one control byte per bucket.
    fn table<K, V>(capacity: usize) -> usize {
        capacity * (size_of::<K>() + size_of::<V>() + 1)
    }
    // An `Arc<str>` allocation: two counters and the text.
    let arc_str = |text: &str| 2 * size_of::<usize>() + text.len();
    let mut bytes = table::<Arc<str>, HashMap<Arc<str>, ById>>(maps.keys.capacity());
    for systems in maps.keys.values() {
        bytes += table::<Arc<str>, ById>(systems.capacity());
        for ids in systems.values() {
            bytes += table::<Arc<str>, Entry>(ids.capacity());
            bytes += ids.keys().map(|id| arc_str(id)).sum::<usize>();
        }
    }
    bytes += table::<Arc<str>, Arc<[Member]>>(maps.goldens.capacity());
    for (golden_id, members) in &maps.goldens {
        bytes += arc_str(golden_id);
        bytes += 2 * size_of::<usize>() + members.len() * size_of::<Member>();
    }
    bytes + maps.names.iter().map(|n| arc_str(n)).sum::<usize>()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: i64, system: &str, source_id: &str, golden: &str, status: &str) -> KeyRow {
        KeyRow {
            id,
            domain: "vendor".into(),
            source_system: system.into(),
            source_id: source_id.into(),
            golden_id: golden.into(),
            status: status.into(),
        }
    }

    fn members(entry: &CrosswalkEntry) -> Vec<(&str, &str, &str)> {
        entry
            .members
            .iter()
            .map(|m| {
                (
                    m.source_system.as_str(),
                    m.source_id.as_str(),
                    m.status.as_str(),
                )
            })
            .collect()
    }

    #[test]
    fn answers_with_the_key_its_golden_id_and_every_member_in_order() {
        let cache = CrosswalkCache::default();
        let rows = vec![
            row(1, "sap", "1", "V1", "active"),
            row(2, "erp", "9", "V1", "retired"),
        ];
        cache.apply(&[("V1".into(), rows)], 5);
        let entry = cache.get("vendor", "erp", "9").unwrap();
        assert_eq!(entry.golden_id, "V1");
        assert_eq!(entry.record_status, "retired");
        assert_eq!(
            members(&entry),
            [("sap", "1", "active"), ("erp", "9", "retired")]
        );
        assert!(cache.get("item", "erp", "9").is_none());
        assert!(cache.get("vendor", "erp", "1").is_none());
        assert_eq!(cache.len(), 2);
        assert_eq!(cache.applied_seq(), 5);
    }

    #[test]
    fn a_merge_moves_members_and_empties_the_absorbed_id() {
        let cache = CrosswalkCache::default();
        cache.apply(
            &[
                ("V1".into(), vec![row(1, "sap", "1", "V1", "active")]),
                ("V2".into(), vec![row(2, "erp", "2", "V2", "active")]),
            ],
            2,
        );
        let merged = vec![
            row(1, "sap", "1", "V1", "active"),
            row(2, "erp", "2", "V1", "active"),
        ];
        cache.apply(&[("V1".into(), merged), ("V2".into(), Vec::new())], 4);
        let entry = cache.get("vendor", "erp", "2").unwrap();
        assert_eq!(entry.golden_id, "V1");
        assert_eq!(members(&entry).len(), 2);
        assert_eq!(cache.len(), 2);
        assert!(!cache.maps.read().unwrap().goldens.contains_key("V2"));
    }

    #[test]
    fn the_applied_sequence_never_goes_back_and_currency_needs_a_load() {
        let cache = CrosswalkCache::default();
        assert!(!cache.is_current(0));
        cache.reset(Builder::default(), 7);
        cache.mark(3);
        assert_eq!(cache.applied_seq(), 7);
        assert!(cache.is_current(7));
        assert!(!cache.is_current(8));
    }

    #[test]
    fn size_estimate_grows_with_keys() {
        let cache = CrosswalkCache::default();
        let empty = cache.approx_bytes();
        let rows: Vec<_> = (0..1_000)
            .map(|i| row(i, "sap", &format!("{i:08}"), &format!("V{i:07}"), "active"))
            .collect();
        let goldens: Vec<_> = rows
            .into_iter()
            .map(|r| (r.golden_id.clone(), vec![r]))
            .collect();
        cache.apply(&goldens, 1);
        let per_key = (cache.approx_bytes() - empty) / 1_000;
        assert!((100..400).contains(&per_key), "{per_key} bytes per key");
    }
}

//! Keeping the candidate index in step with the database by replaying the change feed.
//!
//! Every write transaction first applies the events committed before it (it holds the feed
//! lock, so those are all there are): matching then sees every committed record, including
//! those written by other replicas. The index commit stores the last applied sequence and a
//! fingerprint of the candidate keys; a restart catches up from there, and changed keys
//! trigger a rebuild.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use super::{Golden, ServiceError};
use crate::matching::{Standardized, keys};
use crate::model::record_status;
use crate::rules::RuleSet;
use crate::store::DbConnection;
use crate::store::models::{EventRow, SourceRecordRow};
use crate::store::queries::{events, records};

/// Documents held in the overlay before the on-disk index commits.
const COMMIT_EVERY_DOCS: usize = 5_000;
/// Longest time uncommitted documents wait.
const COMMIT_EVERY: Duration = Duration::from_secs(2);
/// Events read per query while catching up.
const PAGE: i64 = 2_000;

/// Where the index stands.
#[derive(Debug)]
pub struct SyncState {
    pub applied_seq: i64,
    committed_seq: i64,
    last_commit: Instant,
    fingerprint: String,
}

impl SyncState {
    /// Reads the state stored with the last index commit, and whether the index must be
    /// rebuilt: it is new, the candidate keys changed, or it claims events past `feed_end`,
    /// the database's last sequence (the database was restored from a backup or lost its
    /// last commits), so it may hold records the database does not.
    pub fn from_payload(payload: Option<&str>, rules: &RuleSet, feed_end: i64) -> (Self, bool) {
        let fingerprint = fingerprint(rules);
        let stored = payload.and_then(|p| {
            let (seq, print) = p.split_once(':')?;
            Some((seq.parse::<i64>().ok()?, print.to_owned()))
        });
        let (seq, rebuild) = match stored {
            Some((seq, print)) if print == fingerprint && seq <= feed_end => (seq, false),
            _ => (0, true),
        };
        let state = Self {
            applied_seq: seq,
            committed_seq: seq,
            last_commit: Instant::now(),
            fingerprint,
        };
        (state, rebuild)
    }

    fn payload(&self) -> String {
        format!("{}:{}", self.applied_seq, self.fingerprint)
    }
}

/// A hash of every domain's candidate keys: the index's terms depend on nothing else.
fn fingerprint(rules: &RuleSet) -> String {
    let mut hasher = Sha256::new();
    for domain in rules.domains() {
        hasher.update(domain.name.as_bytes());
        if let Some(matching) = &domain.matching {
            hasher.update(format!("{:?}", matching.candidates).as_bytes());
        }
    }
    hex::encode(&hasher.finalize()[..8])
}

/// What a write knows of the records it created, up to its last event: their index terms
/// by source key.
pub struct KnownTerms<'a> {
    pub domain: &'a str,
    pub up_to: i64,
    pub records: HashMap<SourceKey, (i64, Terms)>,
}

/// A record's source system and source ID.
pub type SourceKey = (String, String);
/// A record's index terms and their weights.
pub type Terms = Vec<(String, f32)>;

/// The record a `record.*` event is about; the rest of its payload (the record's attributes)
/// is skipped, not parsed.
#[derive(serde::Deserialize)]
struct RecordKey {
    source_system: Option<String>,
    source_id: Option<String>,
}

impl Golden {
    /// The index terms of a stored record, or `None` when its domain has no candidate keys.
    pub(super) fn record_terms(
        &self,
        row: &SourceRecordRow,
    ) -> Result<Option<Vec<(String, f32)>>, ServiceError> {
        let Some(rules) = self
            .rules
            .domain(&row.domain)
            .and_then(|d| d.matching.as_ref())
        else {
            return Ok(None);
        };
        let standardized: Standardized = serde_json::from_str(&row.standardized)?;
        Ok(Some(keys::terms(rules, &standardized)))
    }

    fn index_row(&self, row: &SourceRecordRow) -> Result<(), ServiceError> {
        let terms = if row.status == record_status::ACTIVE {
            self.record_terms(row)?
        } else {
            None
        };
        match terms {
            Some(terms) => self.index.upsert(&row.domain, row.id, &terms),
            None => self.index.remove(row.id),
        }
        .map_err(ServiceError::from)
    }

    /// The last change-feed sequence the index reflects.
    pub fn applied_seq(&self) -> Result<i64, ServiceError> {
        self.index_state
            .lock()
            .map(|state| state.applied_seq)
            .map_err(|_| ServiceError::internal_msg("index state poisoned"))
    }

    /// Re-indexes the records that `events` touched, as they are now, reading them a domain
    /// at a time rather than one query each.
    fn index_records_of(
        &self,
        conn: &mut DbConnection,
        events: &[EventRow],
        known: Option<&KnownTerms<'_>>,
    ) -> Result<(), ServiceError> {
        let mut touched: BTreeMap<String, BTreeSet<(String, String)>> = BTreeMap::new();
        // Records an event after the knowing write touched: read as they now are.
        let mut changed_since: BTreeSet<(String, String)> = BTreeSet::new();
        for event in events {
            if !event.kind.starts_with("record.") || event.kind == "record.linked" {
                continue;
            }
            let (Some(domain), Ok(key)) = (
                event.domain.as_deref(),
                serde_json::from_str::<RecordKey>(&event.payload),
            ) else {
                continue;
            };
            if let (Some(system), Some(id)) = (key.source_system, key.source_id) {
                if known.is_some_and(|k| event.seq > k.up_to && k.domain == domain) {
                    changed_since.insert((system.clone(), id.clone()));
                }
                touched
                    .entry(domain.to_owned())
                    .or_default()
                    .insert((system, id));
            }
        }
        for (domain, keys) in touched {
            let known = known.filter(|k| k.domain == domain);
            let mut unread: Vec<(&str, &str)> = Vec::new();
            for key in &keys {
                let terms = known
                    .and_then(|k| k.records.get(key))
                    .filter(|_| !changed_since.contains(key));
                match terms {
                    Some((record_id, terms)) => self
                        .index
                        .upsert(&domain, *record_id, terms)
                        .map_err(ServiceError::from)?,
                    None => unread.push((key.0.as_str(), key.1.as_str())),
                }
            }
            let mut rows: Vec<SourceRecordRow> = records::find_many(conn, &domain, &unread)?
                .into_values()
                .collect();
            rows.sort_by_key(|r| r.id);
            for row in &rows {
                self.index_row(row)?;
            }
        }
        Ok(())
    }

    /// Applies every committed event after the index's position; commits the index when
    /// enough has piled up.
    pub fn sync_index(&self, conn: &mut DbConnection) -> Result<(), ServiceError> {
        self.apply_index_events(conn, true, None)
    }

    /// [`Golden::sync_index`] after a write that knows the index terms of the records it
    /// created: those are indexed from `known` rather than read back and keyed again.
    pub(super) fn sync_index_knowing(
        &self,
        conn: &mut DbConnection,
        known: Option<&KnownTerms<'_>>,
    ) -> Result<(), ServiceError> {
        self.apply_index_events(conn, true, known)
    }

    /// Applies every committed event after the index's position to its overlay of uncommitted
    /// records, without committing the index: inside a write transaction, where an index
    /// commit (an fsync) would hold every other writer up.
    pub(super) fn catch_up_index(&self, conn: &mut DbConnection) -> Result<(), ServiceError> {
        self.apply_index_events(conn, false, None)
    }

    fn apply_index_events(
        &self,
        conn: &mut DbConnection,
        commit: bool,
        known: Option<&KnownTerms<'_>>,
    ) -> Result<(), ServiceError> {
        let mut state = self
            .index_state
            .lock()
            .map_err(|_| ServiceError::internal_msg("index state poisoned"))?;
        let mut models_changed = false;
        loop {
            let page = events::after(conn, state.applied_seq, PAGE, None)?;
            let Some(last) = page.last().map(|e| e.seq) else {
                break;
            };
            self.index_records_of(conn, &page, known)?;
            models_changed |= page
                .iter()
                .any(|e| e.kind == super::models::MODEL_ACTIVATED);
            state.applied_seq = last;
        }
        if models_changed {
            // Another replica (or this one) activated a model: match with it from the next
            // lookup on (read outside this transaction).
            self.models_changed();
        }
        let due = commit
            && (self.index.pending_len() >= COMMIT_EVERY_DOCS
                || (state.applied_seq != state.committed_seq
                    && state.last_commit.elapsed() >= COMMIT_EVERY));
        if due {
            self.commit_index_locked(&mut state)?;
        }
        Ok(())
    }

    /// Commits the index now (on shutdown, after a load, before an export).
    pub fn commit_index(&self) -> Result<(), ServiceError> {
        let mut state = self
            .index_state
            .lock()
            .map_err(|_| ServiceError::internal_msg("index state poisoned"))?;
        self.commit_index_locked(&mut state)
    }

    fn commit_index_locked(&self, state: &mut SyncState) -> Result<(), ServiceError> {
        self.index
            .commit(&state.payload())
            .map_err(ServiceError::from)?;
        state.committed_seq = state.applied_seq;
        state.last_commit = Instant::now();
        Ok(())
    }

    /// Rebuilds the index from the database and returns how many records it holds.
    #[tracing::instrument(skip_all)]
    pub fn reindex(&self) -> Result<usize, ServiceError> {
        let mut conn = self.store.conn()?;
        let mut state = self
            .index_state
            .lock()
            .map_err(|_| ServiceError::internal_msg("index state poisoned"))?;
        // Read the feed position first: anything written during the scan is replayed later.
        let start_seq = events::last_seq(&mut conn)?;
        self.index.clear().map_err(ServiceError::from)?;
        let (mut after, mut count) = (0, 0);
        loop {
            let page = records::active_page(&mut conn, after, 5_000)?;
            let Some(last) = page.last().map(|r| r.id) else {
                break;
            };
            for row in &page {
                if let Some(terms) = self.record_terms(row)? {
                    self.index
                        .upsert(&row.domain, row.id, &terms)
                        .map_err(ServiceError::from)?;
                    count += 1;
                }
            }
            after = last;
        }
        state.applied_seq = start_seq;
        self.commit_index_locked(&mut state)?;
        tracing::info!(records = count, seq = start_seq, "index rebuilt");
        Ok(count)
    }
}

/// How often the background loop replays the feed.
const BACKGROUND_EVERY: Duration = Duration::from_secs(1);

/// Every second, replays the change feed into the candidate index (committing it when due)
/// and into the in-memory crosswalk, so searches and lookups see other replicas' writes
/// within about a second. Runs until the task is dropped with the server's runtime; the
/// work itself runs on a blocking thread.
pub async fn run_background_sync(golden: std::sync::Arc<Golden>) {
    let mut tick = tokio::time::interval(BACKGROUND_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let service = golden.clone();
        let synced = tokio::task::spawn_blocking(move || {
            let mut conn = service.store.conn()?;
            service.sync_index(&mut conn)?;
            drop(conn);
            service.catch_up_crosswalk()
        })
        .await;
        match synced {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "background sync failed; retrying"),
            Err(e) => tracing::warn!(error = %e, "background sync stopped; retrying"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate;

    fn rules() -> RuleSet {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("matching-rules");
        RuleSet::load_dir(&dir).unwrap()
    }

    #[test]
    fn an_index_is_rebuilt_when_new_changed_or_ahead_of_the_database() {
        let rules = rules();
        let print = fingerprint(&rules);
        let (state, rebuild) = SyncState::from_payload(Some(&format!("7:{print}")), &rules, 9);
        assert_eq!((state.applied_seq, rebuild), (7, false));
        assert!(SyncState::from_payload(None, &rules, 9).1);
        assert!(SyncState::from_payload(Some("7:0000"), &rules, 9).1);
        let (state, rebuild) = SyncState::from_payload(Some(&format!("12:{print}")), &rules, 9);
        assert_eq!((state.applied_seq, rebuild), (0, true));
    }

    #[test]
    fn terms_a_write_knows_are_used_unless_a_later_event_changed_the_record() {
        let dir = tempfile::tempdir().unwrap();
        let mut settings = crate::config::Settings::embedded(dir.path());
        settings.rules_dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("matching-rules");
        let golden = Golden::open(settings).unwrap();
        let vendor = |name: &str| {
            let input = serde_json::json!({"source_system": "sap", "source_id": "1",
                "attributes": {"name": name, "city": "Springfield"}});
            golden
                .ingest("vendor", vec![validate::parse_input(input)])
                .unwrap()
        };
        let created = vendor("Acme Medical Supply");
        let record_id = created[0].record_id.unwrap();
        let mut conn = golden.store.conn().unwrap();
        let created_up_to = events::last_seq(&mut conn).unwrap();
        vendor("Acme Surgical Instruments");

        let rules = golden.domain("vendor").unwrap().matching.clone().unwrap();
        let terms_of = |name: &str| {
            let record: Standardized = [("name".to_owned(), name.to_owned())].into();
            keys::terms(&rules, &record)
        };
        let finds = |name: &str| {
            golden
                .index
                .search("vendor", &terms_of(name), 5, 500)
                .unwrap()
                .contains(&record_id)
        };
        let replay = |up_to: i64| {
            let known = KnownTerms {
                domain: "vendor",
                up_to,
                records: [(
                    ("sap".to_owned(), "1".to_owned()),
                    (record_id, terms_of("zenith labs")),
                )]
                .into(),
            };
            let mut conn = golden.store.conn().unwrap();
            let page = events::after(&mut conn, 0, 100, None).unwrap();
            golden
                .index_records_of(&mut conn, &page, Some(&known))
                .unwrap();
        };

        // Known up to the last event: the record is indexed with the terms the write knew.
        replay(events::last_seq(&mut conn).unwrap());
        assert!(finds("zenith labs"));
        // Known only up to its creation: the later update is read from the database.
        replay(created_up_to);
        assert!(!finds("zenith labs"));
        assert!(finds("acme surgical instruments"));
    }
}

//! An open write transaction, and the rows it holds back until it ends.
//!
//! Change-feed events, record versions, golden history and new memberships are appended and
//! never read back by the transaction that writes them, so [`Tx`] keeps them and writes each
//! kind as multi-row inserts when the transaction ends: a few statements per batch instead of
//! several per record, which is most of a bulk load's round trips on PostgreSQL. Named
//! counters (golden ID sequences) are likewise read once and stored once.

use std::collections::HashMap;

use chrono::NaiveDateTime;

use super::models::{
    NewEvent, NewGoldenHistory, NewLinkEvidence, NewMembership, NewProposal, NewVersion,
};
use super::queries::{counters, events, golden, models, proposals, records};
use super::{DbConnection, StoreError};

/// An open write transaction.
pub struct Tx<'c> {
    conn: &'c mut DbConnection,
    last_seq: i64,
    now: NaiveDateTime,
    held: Held,
}

/// Rows appended in this transaction, not yet written.
#[derive(Default)]
pub(super) struct Held {
    events: Vec<NewEvent>,
    versions: Vec<NewVersion>,
    history: Vec<NewGoldenHistory>,
    memberships: Vec<NewMembership>,
    links: Vec<NewLinkEvidence>,
    /// Proposals opened in this transaction, to stamp with their golden records' versions.
    opened_proposals: Vec<i64>,
    /// Counters taken in this transaction and their last value.
    counters: HashMap<String, i64>,
}

impl<'c> Tx<'c> {
    /// A transaction on `conn` whose feed stands at `last_seq` and whose rows carry `now`.
    pub(super) fn new(conn: &'c mut DbConnection, last_seq: i64, now: NaiveDateTime) -> Self {
        Self {
            conn,
            last_seq,
            now,
            held: Held::default(),
        }
    }

    pub fn conn(&mut self) -> &mut DbConnection {
        self.conn
    }

    /// The transaction's timestamp: every row it writes carries the same time.
    pub fn now(&self) -> NaiveDateTime {
        self.now
    }

    /// Appends an event to the change feed, numbered next.
    pub fn emit(
        &mut self,
        domain: Option<&str>,
        kind: &str,
        golden_id: Option<&str>,
        payload: &serde_json::Value,
    ) {
        self.emit_text(domain, kind, golden_id, payload.to_string());
    }

    /// [`Tx::emit`] with the payload already serialized (it must be a JSON object).
    pub fn emit_text(
        &mut self,
        domain: Option<&str>,
        kind: &str,
        golden_id: Option<&str>,
        payload: String,
    ) {
        let seq = self.last_seq + 1;
        self.held.events.push(NewEvent {
            seq,
            domain: domain.map(str::to_owned),
            kind: kind.to_owned(),
            golden_id: golden_id.map(str::to_owned),
            payload,
            created_at: self.now,
        });
        self.last_seq = seq;
    }

    /// Appends a version to a record's history.
    pub fn add_version(&mut self, version: NewVersion) {
        self.held.versions.push(version);
    }

    /// Appends a state to a golden record's history.
    pub fn add_history(&mut self, entry: NewGoldenHistory) {
        self.held.history.push(entry);
    }

    /// Opens the first membership of a record just stored with `golden_id` already set.
    pub fn open_membership(&mut self, record_id: i64, golden_id: &str, reason: &str) {
        self.held.memberships.push(NewMembership {
            record_id,
            golden_id: golden_id.to_owned(),
            reason: reason.to_owned(),
            valid_from: self.now,
        });
    }

    /// Records why a record was auto-linked.
    pub fn add_link(&mut self, link: NewLinkEvidence) {
        self.held.links.push(link);
    }

    /// The auto-link evidence recorded so far in this transaction, oldest first: a preview
    /// reads the score of each link as it is made.
    pub fn held_links(&self) -> &[NewLinkEvidence] {
        &self.held.links
    }

    /// Moves a record into `golden_id`, closing its open membership. Memberships held back
    /// are written first, so the one to close is there.
    pub fn join_golden(
        &mut self,
        record_id: i64,
        golden_id: &str,
        reason: &str,
    ) -> Result<(), StoreError> {
        records::insert_memberships(self.conn, &std::mem::take(&mut self.held.memberships))?;
        records::join_golden(self.conn, record_id, golden_id, reason, self.now)?;
        Ok(())
    }

    /// Inserts a proposal and returns its ID. When the transaction ends, the proposal is
    /// stamped with the versions its two golden records stand at then: the ones it was made
    /// against (they may still move within this transaction, as a batch recomputes them).
    pub fn insert_proposal(&mut self, proposal: &NewProposal<'_>) -> Result<i64, StoreError> {
        let id = proposals::insert(self.conn, proposal)?;
        self.held.opened_proposals.push(id);
        Ok(id)
    }

    /// The next value of the named counter, starting at 1.
    pub fn next_number(&mut self, name: &str) -> Result<i64, StoreError> {
        let current = match self.held.counters.get(name) {
            Some(value) => *value,
            None => counters::current(self.conn, name)?.unwrap_or(0),
        };
        self.held.counters.insert(name.to_owned(), current + 1);
        Ok(current + 1)
    }

    /// The change feed's last sequence as this transaction sees it (its own events included).
    pub fn feed_seq(&self) -> i64 {
        self.last_seq
    }

    /// The last sequence emitted, if this transaction emitted any.
    pub(super) fn emitted(&self, since: i64) -> Option<i64> {
        (self.last_seq != since).then_some(self.last_seq)
    }

    /// Writes everything held back; the transaction's last step before commit. Returns the
    /// rows written, for the caller to free once the lock is released.
    pub(super) fn finish(mut self) -> Result<Held, StoreError> {
        let held = std::mem::take(&mut self.held);
        for (name, value) in &held.counters {
            counters::store(self.conn, name, *value)?;
        }
        records::insert_memberships(self.conn, &held.memberships)?;
        records::insert_versions(self.conn, &held.versions)?;
        models::insert_links(self.conn, &held.links)?;
        golden::insert_history(self.conn, &held.history)?;
        proposals::stamp_versions(self.conn, &held.opened_proposals)?;
        events::insert_all(self.conn, &held.events)?;
        if let Some(last) = held.events.last() {
            events::store_sequence(self.conn, last.seq)?;
        }
        Ok(held)
    }
}

#[cfg(test)]
mod tests {
    use diesel::prelude::*;

    use super::*;
    use crate::config::Settings;
    use crate::store::models::{NewGolden, NewSourceRecord};
    use crate::store::schema::memberships;
    use crate::store::{Store, now};

    fn store(dir: &tempfile::TempDir) -> Store {
        Store::open_and_migrate(&Settings::embedded(dir.path())).unwrap()
    }

    fn add_golden(tx: &mut Tx<'_>, id: &str) {
        let at = tx.now();
        golden::insert(
            tx,
            &NewGolden {
                golden_id: id,
                domain: "vendor",
                status: "active",
                version: 1,
                fields: "{}",
                lineage: "{}",
                created_at: at,
                updated_at: at,
            },
        )
        .unwrap();
    }

    #[test]
    fn a_membership_held_back_is_closed_when_its_record_moves_in_the_same_transaction() {
        let dir = tempfile::tempdir().unwrap();
        let store = store(&dir);
        let record_id = store
            .write(|tx| {
                add_golden(tx, "V-1");
                add_golden(tx, "V-2");
                let at = tx.now();
                let id = records::insert(
                    tx.conn(),
                    &NewSourceRecord {
                        domain: "vendor",
                        source_system: "erp",
                        source_id: "1",
                        golden_id: "V-1",
                        version: 1,
                        status: "active",
                        attributes: "{}",
                        standardized: "{}",
                        content_hash: "h",
                        created_at: at,
                        updated_at: at,
                        standardization: None,
                    },
                )?;
                tx.open_membership(id, "V-1", "new");
                tx.join_golden(id, "V-2", "merged")?;
                Ok::<_, StoreError>(id)
            })
            .unwrap();
        let rows: Vec<(String, Option<NaiveDateTime>)> = memberships::table
            .filter(memberships::record_id.eq(record_id))
            .order(memberships::id.asc())
            .select((memberships::golden_id, memberships::valid_to))
            .load(&mut *store.conn().unwrap())
            .unwrap();
        assert_eq!(rows.len(), 2, "{rows:?}");
        assert_eq!(rows[0].0, "V-1");
        assert!(rows[0].1.is_some(), "the first membership is closed");
        assert_eq!((rows[1].0.as_str(), rows[1].1), ("V-2", None));
    }

    #[test]
    fn held_rows_and_counters_are_written_at_commit_and_dropped_on_rollback() {
        let dir = tempfile::tempdir().unwrap();
        let store = store(&dir);
        let numbers = store
            .write(|tx| {
                tx.emit(Some("vendor"), "test.one", None, &serde_json::json!({}));
                tx.emit(None, "test.two", Some("V-9"), &serde_json::json!({"n": 2}));
                Ok::<_, StoreError>((
                    tx.next_number("golden:vendor")?,
                    tx.next_number("golden:vendor")?,
                ))
            })
            .unwrap();
        assert_eq!(numbers, (1, 2));
        let failed = store.write(|tx| {
            tx.emit(None, "test.lost", None, &serde_json::json!({}));
            tx.next_number("golden:vendor")?;
            Err::<(), _>(StoreError::Corrupt("stop".into()))
        });
        assert!(failed.is_err());
        let next = store.write(|tx| tx.next_number("golden:vendor")).unwrap();
        assert_eq!(next, 3, "the rolled-back number is taken again");

        let mut conn = store.conn().unwrap();
        let feed = events::after(&mut conn, 0, 10, None).unwrap();
        let kinds: Vec<(i64, &str)> = feed.iter().map(|e| (e.seq, e.kind.as_str())).collect();
        assert_eq!(kinds, [(1, "test.one"), (2, "test.two")]);
        assert_eq!(feed[1].golden_id.as_deref(), Some("V-9"));
        assert_eq!(feed[0].domain.as_deref(), Some("vendor"));
        assert_eq!(feed[1].domain, None);
        assert!(feed[0].created_at <= now());
        assert_eq!(events::last_seq(&mut conn).unwrap(), 2);
    }
}

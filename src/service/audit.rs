//! The audit log: who did what, when, why, and what it changed — including refused attempts.

use serde_json::Value;

use super::views::{AuditPage, AuditView, utc};
use super::{Golden, ServiceError};
use crate::store::models::{AuditRow, NewAudit};
use crate::store::queries::{audit, proposals};

pub use crate::store::queries::audit::AuditFilter;

/// One entry to record.
#[derive(Debug, Clone, Default)]
pub struct AuditEntry<'a> {
    pub actor: &'a str,
    pub action: &'a str,
    pub domain: Option<&'a str>,
    pub entity_type: &'a str,
    pub entity_id: Option<&'a str>,
    pub request_id: Option<&'a str>,
    pub reason: Option<&'a str>,
}

impl Golden {
    /// Records an attempt that was refused (missing role or source system).
    pub fn audit_denied(&self, entry: &AuditEntry<'_>) -> Result<(), ServiceError> {
        let mut conn = self.store.conn()?;
        audit::insert(
            &mut conn,
            &NewAudit {
                at: crate::store::now(),
                actor: entry.actor,
                action: entry.action,
                outcome: "denied",
                domain: entry.domain,
                entity_type: entry.entity_type,
                entity_id: entry.entity_id,
                request_id: entry.request_id,
                reason: entry.reason,
                before_state: None,
                after_state: None,
            },
        )?;
        Ok(())
    }
}

/// Most entries one audit page may hold.
pub const MAX_AUDIT_PAGE: i64 = 500;

impl Golden {
    /// A page of the audit log, newest first, narrowed by `filter`. `next_before` is set only
    /// when older entries remain.
    /// With `golden_id`, only the entries about that golden record: its curation and the
    /// decisions on proposals that involved it.
    pub fn audit_log(
        &self,
        filter: &AuditFilter<'_>,
        golden_id: Option<&str>,
        limit: i64,
    ) -> Result<AuditPage, ServiceError> {
        let limit = limit.clamp(1, MAX_AUDIT_PAGE);
        let mut conn = self.store.conn()?;
        let proposal_ids: Vec<String> = match golden_id {
            Some(golden) => proposals::ids_involving(&mut conn, golden)?
                .iter()
                .map(i64::to_string)
                .collect(),
            None => Vec::new(),
        };
        let filter = AuditFilter {
            about_golden: golden_id.map(|golden| (golden, proposal_ids.as_slice())),
            ..*filter
        };
        // One extra row tells whether another page follows.
        let mut rows = audit::list(&mut conn, &filter, limit + 1)?;
        let more = rows.len() > limit as usize;
        rows.truncate(limit as usize);
        let next_before = if more {
            rows.last().map(|r| r.id)
        } else {
            None
        };
        let entries = rows.into_iter().map(audit_view).collect();
        Ok(AuditPage {
            entries,
            next_before,
        })
    }
}

fn audit_view(row: AuditRow) -> AuditView {
    AuditView {
        id: row.id,
        at: utc(row.at),
        actor: row.actor,
        action: row.action,
        outcome: row.outcome,
        domain: row.domain,
        entity_type: row.entity_type,
        entity_id: row.entity_id,
        request_id: row.request_id,
        reason: row.reason,
        before: row.before_state.map(stored_state),
        after: row.after_state.map(stored_state),
    }
}

/// States are stored as JSON text; one that does not parse is shown as the text itself, so a
/// damaged entry never hides the rest of the log.
fn stored_state(text: String) -> Value {
    serde_json::from_str(&text).unwrap_or(Value::String(text))
}

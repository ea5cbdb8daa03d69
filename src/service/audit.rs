//! The audit log: who did what, when, why, and what it changed — including refused attempts.

use super::{Golden, ServiceError};
use crate::store::models::NewAudit;
use crate::store::queries::audit;

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

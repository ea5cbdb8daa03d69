//! The audit log: who did what, when, why, and what it changed — including refused attempts.

use std::borrow::Cow;
use std::fmt::Write;

use serde_json::Value;

use super::refusals::Verdict;
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

/// Longest text kept in one field of a refusal's audit entry, in characters.
pub const MAX_AUDIT_TEXT: usize = 200;

/// `text` made safe to store whatever the backend: control characters (NUL included, which
/// PostgreSQL refuses in text) are escaped as `\u{..}`, and past `max` characters the rest is
/// cut and marked with `…`.
pub fn sanitize(text: &str, max: usize) -> Cow<'_, str> {
    let clean = text.chars().count() <= max && !text.chars().any(char::is_control);
    if clean {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len().min(max * 4));
    for (kept, c) in text.chars().enumerate() {
        if kept >= max {
            out.push('…');
            break;
        }
        if c.is_control() {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

impl Golden {
    /// Records a refused request (401 or 403) within the budget of its caller: `caller` names
    /// who is refused (the verified or claimed `sub`, or the peer address) and `refusal` is the
    /// reason's fixed code. Every refusal is counted in the metrics; past the budget of a
    /// minute, only counted. Caller-supplied text is sanitized before it is stored.
    pub fn audit_denied(
        &self,
        entry: &AuditEntry<'_>,
        caller: &str,
        refusal: &'static str,
    ) -> Result<(), ServiceError> {
        let minute = self.store.clock().now().timestamp().div_euclid(60);
        let verdict = self.refusal_budget.admit(caller, refusal, minute);
        self.metrics
            .observe_refusal(refusal, verdict != Verdict::CountOnly);
        let Verdict::Audit { unrecorded } = verdict else {
            return Ok(());
        };
        let mut reason = sanitize(entry.reason.unwrap_or(refusal), MAX_AUDIT_TEXT).into_owned();
        if unrecorded > 0 {
            let _ = write!(
                reason,
                " (and {unrecorded} more refusals of this caller for {refusal} in an earlier \
                 minute, counted but not recorded one by one)"
            );
        }
        let text = |value: &str| sanitize(value, MAX_AUDIT_TEXT).into_owned();
        let mut conn = self.store.conn()?;
        audit::insert(
            &mut conn,
            &NewAudit {
                at: self.store.now(),
                actor: &text(entry.actor),
                action: &text(entry.action),
                outcome: "denied",
                domain: entry.domain.map(text).as_deref(),
                entity_type: &text(entry.entity_type),
                entity_id: entry.entity_id.map(text).as_deref(),
                request_id: entry.request_id.map(text).as_deref(),
                reason: Some(&reason),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitize_escapes_control_characters_and_cuts_long_text() {
        assert!(matches!(sanitize("alice", 10), Cow::Borrowed("alice")));
        assert_eq!(sanitize("a\0b\n", 10), "a\\u{0}b\\u{a}");
        assert_eq!(sanitize("abcdef", 3), "abc…");
        assert_eq!(sanitize("ééééé", 4), "éééé…");
    }
}

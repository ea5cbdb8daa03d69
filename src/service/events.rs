//! Reading the change feed.

use super::views::{EventView, utc};
use super::{Golden, ServiceError};
use crate::store::StoreError;
use crate::store::models::EventRow;
use crate::store::queries::events;

/// Most events returned by one call.
pub const MAX_PAGE: i64 = 1_000;

impl Golden {
    /// Events after `after`, oldest first.
    pub fn events(
        &self,
        after: i64,
        limit: i64,
        domain: Option<&str>,
    ) -> Result<Vec<EventView>, ServiceError> {
        if let Some(domain) = domain {
            self.domain(domain)?;
        }
        let mut conn = self.store.conn()?;
        events::after(&mut conn, after, limit.clamp(1, MAX_PAGE), domain)?
            .into_iter()
            .map(|row| Ok(event_view(row)?))
            .collect()
    }
}

/// A stored event as the feed and webhooks show it.
pub fn event_view(row: EventRow) -> Result<EventView, StoreError> {
    Ok(EventView {
        data: serde_json::from_str(&row.payload)?,
        seq: row.seq,
        kind: row.kind,
        domain: row.domain,
        golden_id: row.golden_id,
        at: utc(row.created_at),
    })
}

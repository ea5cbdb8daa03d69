//! What operators ask of a running service: is it ready, where does the index stand, and the
//! metrics with their stored-state gauges brought up to date.

use super::{Golden, ServiceError};
use crate::metrics::{IndexStatus, ProposalBacklog};
use crate::store::queries::{events, proposals};

impl Golden {
    /// The index's applied sequence against the database's; fails when the database does not
    /// answer.
    pub fn index_status(&self) -> Result<IndexStatus, ServiceError> {
        let database_seq = events::last_seq(&mut *self.store.conn()?)?;
        Ok(IndexStatus::new(self.applied_seq()?, database_seq))
    }

    /// The metrics in the Prometheus text format, gauges read from the database now.
    pub fn render_metrics(&self) -> Result<String, ServiceError> {
        let index = self.index_status()?;
        let now = self.store.now();
        let backlog: Vec<ProposalBacklog> = proposals::open_backlog(&mut *self.store.conn()?)?
            .into_iter()
            .map(|(domain, open, oldest)| ProposalBacklog {
                domain,
                open,
                oldest_age_seconds: oldest.map_or(0, |at| (now - at).num_seconds().max(0)),
            })
            .collect();
        let domains: Vec<String> = self.rules.domains().map(|d| d.name.clone()).collect();
        self.metrics.set_state(&domains, &backlog, index);
        self.metrics.set_uploads_in_flight(self.uploads.in_flight());
        let pass = self.restandardize_status();
        let remaining = if pass.running {
            pass.pending.saturating_sub(pass.done)
        } else {
            0
        };
        self.metrics.set_restandardize_remaining(remaining);
        let outbox_lag = self.outbox_status()?.map_or(0, |status| status.lag);
        self.metrics.set_outbox_lag(outbox_lag);
        self.metrics
            .render()
            .map_err(|e| ServiceError::internal("rendering the metrics", e))
    }
}

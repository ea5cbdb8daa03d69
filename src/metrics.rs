//! Prometheus metrics of one running service. Each service owns its own registry (no global
//! recorder), so several servers in one process, as the tests start them, count apart.
//!
//! Counters move where things happen (a request served, an ingest result produced, a bulk
//! batch committed); gauges that describe stored state (open proposals, index lag) are set
//! from cheap queries when `/metrics` is scraped.

use std::collections::HashSet;
use std::sync::Mutex;
use std::time::Duration;

use prometheus::{
    CounterVec, Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, IntGaugeVec, Opts,
    Registry, TextEncoder,
};

use crate::model::Decision;
use crate::service::views::RecordResult;

/// Latency buckets in seconds: the crosswalk answers in well under a millisecond, bulk
/// uploads and long-polls take seconds.
const LATENCY_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
    60.0,
];

/// Most distinct `source_system` label values; later systems count under [`OTHER_SOURCE`], so
/// a file whose rows name thousands of systems cannot flood the scrape.
const MAX_SOURCE_LABELS: usize = 100;
/// Longest source system name used as a label.
const MAX_SOURCE_LABEL_LEN: usize = 64;
/// The label of systems past those limits.
const OTHER_SOURCE: &str = "_other";

#[derive(Debug, thiserror::Error)]
pub enum MetricsError {
    #[error("metrics: {0}")]
    Prometheus(#[from] prometheus::Error),
    #[error("metrics text is not UTF-8: {0}")]
    Encoding(#[from] std::string::FromUtf8Error),
}

/// The open proposals of one domain, as the scrape reads them.
pub struct ProposalBacklog {
    pub domain: String,
    pub open: i64,
    /// Age of the oldest open proposal, in seconds.
    pub oldest_age_seconds: i64,
}

/// Where the candidate index stands against the database's change feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct IndexStatus {
    /// The last event sequence the index reflects.
    pub applied_seq: i64,
    /// The last event sequence committed to the database.
    pub database_seq: i64,
    /// Events committed but not yet in the index.
    pub lag: i64,
}

impl IndexStatus {
    pub fn new(applied_seq: i64, database_seq: i64) -> Self {
        Self {
            applied_seq,
            database_seq,
            lag: (database_seq - applied_seq).max(0),
        }
    }
}

/// Every metric the service exports.
pub struct Metrics {
    registry: Registry,
    http_requests: IntCounterVec,
    http_latency: HistogramVec,
    ingested: IntCounterVec,
    ingest_seconds: CounterVec,
    ingest_writes: IntCounterVec,
    bulk_rows: IntCounterVec,
    bulk_rejects: IntCounterVec,
    auth_refusals: IntCounterVec,
    crosswalk_lookups: IntCounterVec,
    open_proposals: IntGaugeVec,
    oldest_proposal: IntGaugeVec,
    index_applied: IntGauge,
    database_seq: IntGauge,
    index_lag: IntGauge,
    uploads_in_flight: IntGauge,
    restandardize_remaining: IntGauge,
    outbox_lag: IntGauge,
    /// The `source_system` label values in use.
    source_labels: Mutex<HashSet<String>>,
}

impl Metrics {
    pub fn new() -> Result<Self, MetricsError> {
        let registry = Registry::new();
        let counter = |name: &str, help: &str, labels: &[&str]| {
            let metric = IntCounterVec::new(Opts::new(name, help), labels)?;
            registry.register(Box::new(metric.clone()))?;
            Ok::<_, prometheus::Error>(metric)
        };
        let gauges = |name: &str, help: &str, labels: &[&str]| {
            let metric = IntGaugeVec::new(Opts::new(name, help), labels)?;
            registry.register(Box::new(metric.clone()))?;
            Ok::<_, prometheus::Error>(metric)
        };
        let gauge = |name: &str, help: &str| {
            let metric = IntGauge::new(name, help)?;
            registry.register(Box::new(metric.clone()))?;
            Ok::<_, prometheus::Error>(metric)
        };
        let http_latency = HistogramVec::new(
            HistogramOpts::new(
                "golden_http_request_duration_seconds",
                "HTTP request latency by route pattern and method",
            )
            .buckets(LATENCY_BUCKETS.to_vec()),
            &["route", "method"],
        )?;
        registry.register(Box::new(http_latency.clone()))?;
        Ok(Self {
            http_requests: counter(
                "golden_http_requests_total",
                "HTTP requests by route pattern, method and status",
                &["route", "method", "status"],
            )?,
            http_latency,
            ingested: counter(
                "golden_ingest_records_total",
                "Ingest results by domain, source system and decision (API and bulk jobs)",
                &["domain", "source_system", "decision"],
            )?,
            ingest_seconds: {
                let metric = CounterVec::new(
                    Opts::new(
                        "golden_ingest_seconds_total",
                        "Time spent ingesting (requests and bulk batches) by domain: `total` from \
                         validation to the index being updated, `serialized` from taking the \
                         feed's sequence lock to the end of the commit, where writers of every \
                         replica wait for each other",
                    ),
                    &["domain", "part"],
                )?;
                registry.register(Box::new(metric.clone()))?;
                metric
            },
            ingest_writes: counter(
                "golden_ingest_writes_total",
                "Ingest write transactions (`transactions`) and the requests they stored \
                 (`requests`; a bulk batch counts as one), by domain: on SQLite, API requests \
                 that arrive while another write is in progress wait and are written \
                 together, with one commit",
                &["domain", "counted"],
            )?,
            bulk_rows: counter(
                "golden_bulk_job_rows_total",
                "Rows read by bulk jobs, by domain",
                &["domain"],
            )?,
            bulk_rejects: counter(
                "golden_bulk_job_rejects_total",
                "Rows rejected by bulk jobs, by domain",
                &["domain"],
            )?,
            auth_refusals: counter(
                "golden_auth_refusals_total",
                "Refused requests (401 and 403) by reason, and whether each was written to the \
                 audit log or only counted here (past the per-caller budget of a minute)",
                &["reason", "audited"],
            )?,
            crosswalk_lookups: counter(
                "golden_crosswalk_lookups_total",
                "Single-key crosswalk lookups by where they were answered from: the in-memory \
                 cache, or the database (an `as_of` lookup, a key the cache lacks, or a cache \
                 behind this process's last commit)",
                &["answered_from"],
            )?,
            open_proposals: gauges(
                "golden_open_proposals",
                "Open merge proposals by domain",
                &["domain"],
            )?,
            oldest_proposal: gauges(
                "golden_oldest_open_proposal_age_seconds",
                "Age of the oldest open merge proposal by domain",
                &["domain"],
            )?,
            index_applied: gauge(
                "golden_index_applied_sequence",
                "Last change-feed sequence the candidate index reflects",
            )?,
            database_seq: gauge(
                "golden_database_sequence",
                "Last change-feed sequence committed to the database",
            )?,
            index_lag: gauge(
                "golden_index_lag_events",
                "Change-feed events committed but not yet in the candidate index",
            )?,
            uploads_in_flight: gauge(
                "golden_bulk_uploads_in_flight",
                "Bulk job uploads streaming in now",
            )?,
            restandardize_remaining: gauge(
                "golden_restandardize_remaining_records",
                "Stored records still to be standardized again by the running pass (0 when none runs)",
            )?,
            outbox_lag: gauge(
                "golden_nats_outbox_lag_events",
                "Change-feed events committed but not yet acknowledged by NATS JetStream (0 when no broker is configured)",
            )?,
            registry,
            source_labels: Mutex::new(HashSet::new()),
        })
    }

    /// Counts one served request. `route` is the matched pattern, never the raw path, so the
    /// label set stays bounded.
    pub fn observe_request(&self, route: &str, method: &str, status: &str, seconds: f64) {
        self.http_requests
            .with_label_values(&[route, method, status])
            .inc();
        self.http_latency
            .with_label_values(&[route, method])
            .observe(seconds);
    }

    /// Counts the results of one ingest (a request or a bulk batch).
    pub fn observe_ingest(&self, domain: &str, results: &[RecordResult]) {
        let mut labels = self
            .source_labels
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        for result in results {
            let system = result.source_system.as_deref().unwrap_or("");
            let accepted = result.decision != Decision::Rejected;
            let system = source_label(&mut labels, system, accepted);
            self.ingested
                .with_label_values(&[domain, system, decision_label(result.decision)])
                .inc();
        }
    }

    /// Adds one ingest's time, whole and inside the write transaction.
    pub fn observe_ingest_time(&self, domain: &str, total: Duration, serialized: Duration) {
        self.ingest_seconds
            .with_label_values(&[domain, "total"])
            .inc_by(total.as_secs_f64());
        self.ingest_seconds
            .with_label_values(&[domain, "serialized"])
            .inc_by(serialized.as_secs_f64());
    }

    /// Counts one ingest write transaction and the requests written in it.
    pub fn observe_ingest_write(&self, domain: &str, requests: usize) {
        self.ingest_writes
            .with_label_values(&[domain, "transactions"])
            .inc();
        self.ingest_writes
            .with_label_values(&[domain, "requests"])
            .inc_by(requests as u64);
    }

    /// Seconds spent ingesting into `domain` so far: (total, serialized).
    pub fn ingest_time(&self, domain: &str) -> (f64, f64) {
        let part = |p: &str| self.ingest_seconds.with_label_values(&[domain, p]).get();
        (part("total"), part("serialized"))
    }

    /// Counts one committed bulk batch.
    pub fn observe_bulk_batch(&self, domain: &str, rows: u64, rejects: u64) {
        self.bulk_rows.with_label_values(&[domain]).inc_by(rows);
        self.bulk_rejects
            .with_label_values(&[domain])
            .inc_by(rejects);
    }

    /// Counts one refused request; `reason` is a fixed code, never caller text.
    /// Counts one single-key crosswalk lookup, answered from `"cache"` or `"database"`.
    pub fn observe_crosswalk_lookup(&self, answered_from: &str) {
        self.crosswalk_lookups
            .with_label_values(&[answered_from])
            .inc();
    }

    pub fn observe_refusal(&self, reason: &str, audited: bool) {
        let audited = if audited { "true" } else { "false" };
        self.auth_refusals
            .with_label_values(&[reason, audited])
            .inc();
    }

    /// Sets the gauges that describe stored state; domains with no open proposal read 0.
    pub fn set_state(&self, domains: &[String], backlog: &[ProposalBacklog], index: IndexStatus) {
        for domain in domains {
            let found = backlog.iter().find(|b| &b.domain == domain);
            let (open, age) = found.map_or((0, 0), |b| (b.open, b.oldest_age_seconds));
            self.open_proposals.with_label_values(&[domain]).set(open);
            self.oldest_proposal.with_label_values(&[domain]).set(age);
        }
        self.index_applied.set(index.applied_seq);
        self.database_seq.set(index.database_seq);
        self.index_lag.set(index.lag);
    }

    /// Sets the number of bulk uploads streaming in (read at scrape time).
    pub fn set_uploads_in_flight(&self, uploads: usize) {
        self.uploads_in_flight
            .set(i64::try_from(uploads).unwrap_or(i64::MAX));
    }

    /// Sets how many records the running re-standardization pass has left.
    /// Events the broker has not acknowledged yet.
    pub fn set_outbox_lag(&self, lag: i64) {
        self.outbox_lag.set(lag);
    }

    pub fn set_restandardize_remaining(&self, remaining: u64) {
        self.restandardize_remaining
            .set(i64::try_from(remaining).unwrap_or(i64::MAX));
    }

    /// Everything in the Prometheus text format.
    pub fn render(&self) -> Result<String, MetricsError> {
        let mut out = Vec::new();
        TextEncoder::new().encode(&self.registry.gather(), &mut out)?;
        Ok(String::from_utf8(out)?)
    }
}

fn decision_label(decision: Decision) -> &'static str {
    match decision {
        Decision::New => "new",
        Decision::AutoLinked => "auto_linked",
        Decision::Proposed => "proposed",
        Decision::Updated => "updated",
        Decision::Unchanged => "unchanged",
        Decision::Rejected => "rejected",
    }
}

/// The label for `system`: itself while labels last, [`OTHER_SOURCE`] after. Only an accepted
/// record's system may take a new label: a rejected one may name anything.
fn source_label<'a>(labels: &mut HashSet<String>, system: &'a str, accepted: bool) -> &'a str {
    if labels.contains(system) {
        return system;
    }
    if accepted && labels.len() < MAX_SOURCE_LABELS && system.len() <= MAX_SOURCE_LABEL_LEN {
        labels.insert(system.to_owned());
        return system;
    }
    OTHER_SOURCE
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_requests_by_pattern_and_status() {
        let metrics = Metrics::new().unwrap();
        metrics.observe_request("/v1/jobs/{id}", "GET", "404", 0.002);
        metrics.observe_request("/v1/jobs/{id}", "GET", "404", 0.003);
        let text = metrics.render().unwrap();
        assert!(text.contains(
            r#"golden_http_requests_total{method="GET",route="/v1/jobs/{id}",status="404"} 2"#
        ));
        assert!(text.contains(
            r#"golden_http_request_duration_seconds_count{method="GET",route="/v1/jobs/{id}"} 2"#
        ));
    }

    #[test]
    fn source_system_labels_stay_bounded() {
        let mut labels = HashSet::new();
        assert_eq!(source_label(&mut labels, "junk", false), OTHER_SOURCE);
        assert_eq!(source_label(&mut labels, "sap", true), "sap");
        assert_eq!(
            source_label(&mut labels, "sap", false),
            "sap",
            "known: kept"
        );
        let long = "x".repeat(MAX_SOURCE_LABEL_LEN + 1);
        assert_eq!(source_label(&mut labels, &long, true), OTHER_SOURCE);
        for n in 1..MAX_SOURCE_LABELS {
            let system = format!("s{n}");
            assert_eq!(source_label(&mut labels, &system, true), system);
        }
        assert_eq!(
            source_label(&mut labels, "one-too-many", true),
            OTHER_SOURCE
        );
        assert_eq!(source_label(&mut labels, "s7", true), "s7");
        assert_eq!(labels.len(), MAX_SOURCE_LABELS);
    }

    #[test]
    fn index_lag_never_goes_negative() {
        assert_eq!(IndexStatus::new(7, 10).lag, 3);
        assert_eq!(IndexStatus::new(12, 10).lag, 0);
    }

    #[test]
    fn domains_without_proposals_read_zero() {
        let metrics = Metrics::new().unwrap();
        let backlog = [ProposalBacklog {
            domain: "vendor".into(),
            open: 3,
            oldest_age_seconds: 60,
        }];
        let domains = ["vendor".to_owned(), "item".to_owned()];
        metrics.set_state(&domains, &backlog, IndexStatus::new(1, 2));
        let text = metrics.render().unwrap();
        assert!(text.contains(r#"golden_open_proposals{domain="vendor"} 3"#));
        assert!(text.contains(r#"golden_open_proposals{domain="item"} 0"#));
        assert!(text.contains("golden_index_lag_events 1"));
    }
}

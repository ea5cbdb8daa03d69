//! The dashboard's numbers: the review backlog per domain and how each source system's records
//! were decided. Read-only; a few grouped queries, combined here.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Serialize;

use super::views::utc;
use super::{Golden, ServiceError};
use crate::store::queries::stats::{self, OpenProposals, SourceCount};

/// The review backlog of one domain.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct DomainBacklog {
    pub domain: String,
    pub open_proposals: i64,
    /// When the oldest open proposal was opened; null when none is open.
    pub oldest_open_at: Option<DateTime<Utc>>,
    /// Its age in whole seconds.
    pub oldest_open_age_seconds: Option<i64>,
}

/// How the records one source system sent to one domain were decided.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct SourceRates {
    pub domain: String,
    pub source_system: String,
    pub records: i64,
    /// Records that joined an existing golden record with no steward.
    pub auto_linked: i64,
    /// Records that opened a merge proposal for a steward.
    pub sent_to_review: i64,
    /// `auto_linked / records` (0 when there are no records).
    pub auto_link_rate: f64,
    /// `sent_to_review / records`.
    pub review_rate: f64,
}

/// The dashboard's answer.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Stats {
    pub at: DateTime<Utc>,
    pub domains: Vec<DomainBacklog>,
    pub sources: Vec<SourceRates>,
}

impl Golden {
    /// The backlog of every declared domain (zero when it has none) and the decision rates of
    /// every source system that sent records.
    pub fn stats(&self) -> Result<Stats, ServiceError> {
        let mut conn = self.store.conn()?;
        let open = stats::open_proposals(&mut conn)?;
        let records = stats::records(&mut conn)?;
        let auto_linked = stats::auto_linked(&mut conn)?;
        let reviewed = stats::sent_to_review(&mut conn)?;
        let now = self.store.now();
        let names: Vec<&str> = self.rules.domains().map(|d| d.name.as_str()).collect();
        Ok(Stats {
            at: utc(now),
            domains: backlog(&names, open, now),
            sources: rates(records, &auto_linked, &reviewed),
        })
    }
}

/// One row per declared domain (in the given order), then any other domain that still has
/// proposals stored.
fn backlog(names: &[&str], open: Vec<OpenProposals>, now: NaiveDateTime) -> Vec<DomainBacklog> {
    let mut by_domain: BTreeMap<String, OpenProposals> =
        open.into_iter().map(|o| (o.domain.clone(), o)).collect();
    let mut rows: Vec<OpenProposals> = names
        .iter()
        .map(|name| {
            by_domain.remove(*name).unwrap_or(OpenProposals {
                domain: (*name).to_owned(),
                open: 0,
                oldest: None,
            })
        })
        .collect();
    rows.extend(by_domain.into_values());
    rows.into_iter()
        .map(|o| DomainBacklog {
            oldest_open_age_seconds: o.oldest.map(|at| (now - at).num_seconds().max(0)),
            oldest_open_at: o.oldest.map(utc),
            open_proposals: o.open,
            domain: o.domain,
        })
        .collect()
}

fn rates(
    records: Vec<SourceCount>,
    auto: &[SourceCount],
    reviewed: &[SourceCount],
) -> Vec<SourceRates> {
    let lookup = |counts: &[SourceCount], row: &SourceCount| {
        counts
            .iter()
            .find(|c| c.domain == row.domain && c.source_system == row.source_system)
            .map_or(0, |c| c.count)
    };
    let ratio = |part: i64, whole: i64| {
        if whole > 0 {
            part as f64 / whole as f64
        } else {
            0.0
        }
    };
    let mut rows: Vec<SourceRates> = records
        .into_iter()
        .map(|row| {
            let auto_linked = lookup(auto, &row);
            let sent_to_review = lookup(reviewed, &row);
            SourceRates {
                auto_link_rate: ratio(auto_linked, row.count),
                review_rate: ratio(sent_to_review, row.count),
                records: row.count,
                auto_linked,
                sent_to_review,
                domain: row.domain,
                source_system: row.source_system,
            }
        })
        .collect();
    rows.sort_by(|a, b| (&a.domain, &a.source_system).cmp(&(&b.domain, &b.source_system)));
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(domain: &str, system: &str, count: i64) -> SourceCount {
        SourceCount {
            domain: domain.into(),
            source_system: system.into(),
            count,
        }
    }

    #[test]
    fn rates_divide_by_the_records_of_the_same_system_and_domain() {
        let rows = rates(
            vec![count("vendor", "sap", 4), count("item", "sap", 2)],
            &[count("vendor", "sap", 1), count("item", "oracle", 9)],
            &[count("vendor", "sap", 2)],
        );
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].domain, "item");
        assert_eq!((rows[0].auto_linked, rows[0].auto_link_rate), (0, 0.0));
        assert_eq!(rows[1].auto_link_rate, 0.25);
        assert_eq!(rows[1].review_rate, 0.5);
    }

    #[test]
    fn backlog_lists_every_declared_domain_and_ages_the_oldest() {
        let now = crate::store::now();
        let opened = now - chrono::Duration::seconds(90);
        let rows = backlog(
            &["item", "vendor"],
            vec![OpenProposals {
                domain: "vendor".into(),
                open: 3,
                oldest: Some(opened),
            }],
            now,
        );
        assert_eq!(rows.len(), 2);
        assert_eq!(
            (rows[0].domain.as_str(), rows[0].open_proposals),
            ("item", 0)
        );
        assert_eq!(rows[0].oldest_open_age_seconds, None);
        assert_eq!(rows[1].open_proposals, 3);
        assert_eq!(rows[1].oldest_open_age_seconds, Some(90));
    }
}

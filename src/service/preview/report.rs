//! A preview's report: the counts of what the load would do, the reasons rows would be
//! rejected, and the riskiest decisions first; and its CSV form, one line per row.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::risk;
use crate::model::Decision;
use crate::service::{Golden, ServiceError};
use crate::store::models::DecisionRow;

/// Riskiest decisions a report lists; the CSV has every row.
pub const RISKIEST: usize = 50;

/// Reject reasons a report lists.
const REASONS: usize = 20;

/// What a load of the file would do, had it run when the preview did.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PreviewReport {
    pub rows: u64,
    /// Rows that would get a golden record of their own.
    pub new: u64,
    pub auto_linked: u64,
    /// Rows that would get a golden record of their own and a merge proposal.
    pub proposed: u64,
    /// Known records that would get a new version.
    pub updated: u64,
    pub unchanged: u64,
    pub rejected: u64,
    /// Rows that would join a golden record another row of the same file created.
    pub within_file: u64,
    /// Why rows would be rejected, most frequent first.
    pub reject_reasons: Vec<ReasonCount>,
    /// Auto-links by risk: near the threshold, disagreeing on a strong identifier, joining a
    /// golden record that already holds a record of the same source system.
    pub risks: RiskCounts,
    /// The riskiest decisions, riskiest first.
    pub riskiest: Vec<RiskyDecision>,
    /// The change-feed position the preview saw: a commit compares it with its own.
    pub store_seq: i64,
    pub seconds: f64,
    /// Time spent holding the write lock (other writers waited this long at most).
    pub serialized_seconds: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ReasonCount {
    pub reason: String,
    pub rows: u64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RiskCounts {
    pub near_threshold: u64,
    pub identifier_conflict: u64,
    pub same_source: u64,
}

/// One row's decision with what makes it risky.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RiskyDecision {
    pub line: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_system: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_id: Option<String>,
    pub decision: String,
    /// The golden record it would join (`line:N` when row N of the file creates it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
    pub risk: f64,
    /// `near_threshold`, `identifier_conflict`, `same_source`.
    pub risks: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl From<&DecisionRow> for RiskyDecision {
    fn from(row: &DecisionRow) -> Self {
        Self {
            line: row.line,
            source_system: row.source_system.clone(),
            source_id: row.source_id.clone(),
            decision: row.decision.clone(),
            target: row.target.clone(),
            score: row.score,
            risk: row.risk,
            risks: row
                .risks
                .as_deref()
                .map(|r| r.split(',').map(str::to_owned).collect())
                .unwrap_or_default(),
            detail: row.detail.clone(),
        }
    }
}

impl PreviewReport {
    /// Counts `rows` (every row of the file, in line order).
    pub fn of(rows: &[DecisionRow]) -> Self {
        let mut report = Self {
            rows: rows.len() as u64,
            ..Self::default()
        };
        let mut reasons: HashMap<&str, u64> = HashMap::new();
        for row in rows {
            match row.decision.as_str() {
                d if d == Decision::New.as_str() => report.new += 1,
                d if d == Decision::AutoLinked.as_str() => report.auto_linked += 1,
                d if d == Decision::Proposed.as_str() => report.proposed += 1,
                d if d == Decision::Updated.as_str() => report.updated += 1,
                d if d == Decision::Unchanged.as_str() => report.unchanged += 1,
                _ => {
                    report.rejected += 1;
                    for reason in row.detail.as_deref().unwrap_or_default().split("; ") {
                        *reasons.entry(reason).or_default() += 1;
                    }
                }
            }
            let own = format!("line:{}", row.line);
            if row
                .target
                .as_deref()
                .is_some_and(|t| t.starts_with("line:") && t != own)
            {
                report.within_file += 1;
            }
            for risk in row.risks.as_deref().unwrap_or_default().split(',') {
                match risk {
                    risk::NEAR_THRESHOLD => report.risks.near_threshold += 1,
                    risk::IDENTIFIER_CONFLICT => report.risks.identifier_conflict += 1,
                    risk::SAME_SOURCE => report.risks.same_source += 1,
                    _ => {}
                }
            }
        }
        let mut reasons: Vec<ReasonCount> = reasons
            .into_iter()
            .map(|(reason, rows)| ReasonCount {
                reason: reason.to_owned(),
                rows,
            })
            .collect();
        reasons.sort_by(|a, b| b.rows.cmp(&a.rows).then_with(|| a.reason.cmp(&b.reason)));
        reasons.truncate(REASONS);
        report.reject_reasons = reasons;
        let mut risky: Vec<&DecisionRow> = rows.iter().filter(|r| r.risk > 0.0).collect();
        risky.sort_by(|a, b| b.risk.total_cmp(&a.risk).then(a.line.cmp(&b.line)));
        report.riskiest = risky
            .into_iter()
            .take(RISKIEST)
            .map(RiskyDecision::from)
            .collect();
        report
    }
}

impl Golden {
    /// Writes a preview's rows as CSV, riskiest first, then in line order:
    /// `line,source_system,source_id,decision,target,score,risk,risks,detail`. Cells a
    /// spreadsheet would run as a formula are neutralized.
    pub fn write_preview_csv(
        &self,
        id: &str,
        mask: &crate::masking::Mask,
        out: impl std::io::Write,
    ) -> Result<(), ServiceError> {
        use crate::service::export::spreadsheet_safe;
        self.preview_job(id)?;
        let mut rows = super::all_decisions(&mut *self.store.conn()?, id)?;
        rows.sort_by(|a, b| b.risk.total_cmp(&a.risk).then(a.line.cmp(&b.line)));
        let csv_error = |e: csv::Error| ServiceError::internal("writing the preview CSV", e);
        let mut writer = csv::Writer::from_writer(out);
        writer
            .write_record([
                "line",
                "source_system",
                "source_id",
                "decision",
                "target",
                "score",
                "risk",
                "risks",
                "detail",
            ])
            .map_err(csv_error)?;
        for row in rows {
            let text = |v: &Option<String>| {
                spreadsheet_safe(v.as_deref().unwrap_or_default()).into_owned()
            };
            writer
                .write_record([
                    row.line.to_string(),
                    text(&row.source_system),
                    text(&row.source_id),
                    row.decision.clone(),
                    text(&row.target),
                    row.score.map(|s| format!("{s:.6}")).unwrap_or_default(),
                    format!("{:.4}", row.risk),
                    text(&row.risks),
                    text(
                        &row.detail
                            .as_deref()
                            .map(|d| crate::masking::mask_reason(d, mask)),
                    ),
                ])
                .map_err(csv_error)?;
        }
        writer
            .flush()
            .map_err(|e| ServiceError::internal("writing the preview CSV", e))
    }
}

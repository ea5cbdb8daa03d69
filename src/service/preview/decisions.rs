//! What a preview, or the load committing it, decided for each row of the file, written so
//! that the two compare: a golden record the file itself creates is named by the line that
//! created it (`line:N`), since a commit issues golden IDs of its own.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::model::{Decision, FieldError};
use crate::service::views::RecordResult;
use crate::store::models::DecisionRow;

/// The golden records rows of the file created, as the targets later rows write.
#[derive(Default)]
pub struct Targets {
    created: HashMap<String, String>,
}

impl Targets {
    /// Targets already written by an earlier run of the same job (a resumed commit).
    pub fn from_written(written: Vec<(String, String)>) -> Self {
        Self {
            created: written.into_iter().collect(),
        }
    }

    /// The decision row of the record stored from line `line`.
    pub fn row(&mut self, job_id: &str, line: u64, result: &RecordResult) -> DecisionRow {
        if result.decision == Decision::Rejected {
            return rejected(job_id, line, result.source_key(), reason(&result.errors));
        }
        let created = result.version == Some(1)
            && matches!(result.decision, Decision::New | Decision::Proposed);
        let target = result.golden_id.as_ref().map(|golden| {
            if created {
                self.created
                    .entry(golden.clone())
                    .or_insert_with(|| format!("line:{line}"))
                    .clone()
            } else {
                self.created.get(golden).cloned().unwrap_or(golden.clone())
            }
        });
        let (source_system, source_id) = result.source_key();
        DecisionRow {
            job_id: job_id.to_owned(),
            line: line as i64,
            source_system,
            source_id,
            decision: result.decision.as_str().to_owned(),
            golden_id: result.golden_id.clone(),
            target,
            score: None,
            risk: 0.0,
            risks: None,
            detail: None,
        }
    }
}

impl RecordResult {
    fn source_key(&self) -> (Option<String>, Option<String>) {
        (self.source_system.clone(), self.source_id.clone())
    }
}

/// The decision row of a rejected line.
pub fn rejected(
    job_id: &str,
    line: u64,
    (source_system, source_id): (Option<String>, Option<String>),
    reason: String,
) -> DecisionRow {
    DecisionRow {
        job_id: job_id.to_owned(),
        line: line as i64,
        source_system,
        source_id,
        decision: Decision::Rejected.as_str().to_owned(),
        golden_id: None,
        target: None,
        score: None,
        risk: 0.0,
        risks: None,
        detail: Some(reason),
    }
}

/// A rejected record's errors as one line, as the rejects file writes them.
pub fn reason(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(|e| format!("{}: {}", e.field, e.message))
        .collect::<Vec<_>>()
        .join("; ")
}

/// How a commit's rows compare with its preview's.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CommitComparison {
    /// The preview job committed.
    pub preview: String,
    /// Whether other writes reached the store between the preview and the commit.
    pub store_changed: bool,
    /// Rows compared.
    pub rows: u64,
    /// Rows whose decision (or the golden record they joined) differs from the preview's:
    /// re-decided because the store changed.
    pub redecided: u64,
    /// The first few of them, in line order.
    pub examples: Vec<Redecided>,
}

/// One row the commit decided differently from its preview.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Redecided {
    pub line: i64,
    /// `decision` or `decision -> target` as previewed.
    pub previewed: String,
    /// The same, as committed.
    pub committed: String,
}

/// Examples a comparison keeps.
const EXAMPLES: usize = 20;

/// Compares two jobs' decision rows, both in line order.
pub fn compare(preview: &[DecisionRow], commit: &[DecisionRow]) -> (u64, u64, Vec<Redecided>) {
    let previewed: HashMap<i64, &DecisionRow> = preview.iter().map(|r| (r.line, r)).collect();
    let mut redecided = 0;
    let mut examples = Vec::new();
    for row in commit {
        let before = previewed.get(&row.line).map(|r| describe(r));
        let now = describe(row);
        if before.as_deref() != Some(now.as_str()) {
            redecided += 1;
            if examples.len() < EXAMPLES {
                examples.push(Redecided {
                    line: row.line,
                    previewed: before.unwrap_or_else(|| "not previewed".into()),
                    committed: now,
                });
            }
        }
    }
    (commit.len() as u64, redecided, examples)
}

fn describe(row: &DecisionRow) -> String {
    match &row.target {
        Some(target) if row.decision == Decision::AutoLinked.as_str() => {
            format!("{} -> {target}", row.decision)
        }
        _ => row.decision.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(decision: Decision, golden: &str, version: i64) -> RecordResult {
        RecordResult {
            index: 0,
            source_system: Some("erp".into()),
            source_id: Some("1".into()),
            decision,
            rejection: None,
            golden_id: Some(golden.into()),
            version: Some(version),
            errors: Vec::new(),
            warnings: Vec::new(),
            record_id: None,
        }
    }

    #[test]
    fn golden_records_the_file_creates_are_named_by_their_line_so_runs_compare() {
        let mut preview = Targets::default();
        let a = [
            preview.row("p", 1, &result(Decision::New, "V-7", 1)),
            preview.row("p", 2, &result(Decision::AutoLinked, "V-7", 1)),
            preview.row("p", 3, &result(Decision::AutoLinked, "V-1", 1)),
        ];
        let mut commit = Targets::default();
        let b = [
            commit.row("c", 1, &result(Decision::New, "V-9", 1)),
            commit.row("c", 2, &result(Decision::AutoLinked, "V-9", 1)),
            commit.row("c", 3, &result(Decision::AutoLinked, "V-2", 1)),
        ];
        assert_eq!(a[1].target.as_deref(), Some("line:1"));
        assert_eq!(b[1].target.as_deref(), Some("line:1"));
        let (rows, redecided, examples) = compare(&a, &b);
        assert_eq!((rows, redecided), (3, 1));
        assert_eq!(examples[0].line, 3);
        assert_eq!(examples[0].previewed, "auto_linked -> V-1");
        assert_eq!(examples[0].committed, "auto_linked -> V-2");
    }
}

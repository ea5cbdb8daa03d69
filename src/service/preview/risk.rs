//! How risky an auto-link of a preview is, judged the moment it is made (inside the preview's
//! transaction, so the golden record is seen as it stood just before the record joined):
//! how close its score came to the auto-link threshold, whether the golden record already
//! holds a record that disagrees on a strong identifier (the rule file's
//! `[stewardship] four_eyes_identifiers`), and whether it already holds a record of the
//! same source system.

use crate::masking::mask;
use std::collections::BTreeMap;

use crate::model::{Decision, record_status};
use crate::rules::Domain;
use crate::service::ServiceError;
use crate::service::views::RecordResult;
use crate::store::Tx;
use crate::store::queries::records;
use crate::validate::ValidRecord;

/// An auto-link closer than this many log2-odds to the threshold is flagged as near it.
pub const NEAR_BITS: f64 = 3.0;

pub const NEAR_THRESHOLD: &str = "near_threshold";
pub const IDENTIFIER_CONFLICT: &str = "identifier_conflict";
pub const SAME_SOURCE: &str = "same_source";

/// What a preview notes of one auto-link.
#[derive(Debug, Clone, Default)]
pub struct Assessment {
    pub score: f64,
    /// Orders the report: a disagreeing identifier first, then a second record of a source
    /// system, then closeness to the threshold (every auto-link has some).
    pub risk: f64,
    pub risks: Vec<&'static str>,
    pub detail: Vec<String>,
}

/// Assesses `result` just after it was stored; `None` unless it was auto-linked.
pub fn assess(
    tx: &mut Tx<'_>,
    domain: &Domain,
    record: &ValidRecord,
    result: &RecordResult,
) -> Result<Option<Assessment>, ServiceError> {
    let (Decision::AutoLinked, Some(golden_id)) = (result.decision, &result.golden_id) else {
        return Ok(None);
    };
    let Some(rules) = &domain.matching else {
        return Ok(None);
    };
    let score = tx.held_links().last().map_or(1.0, |link| link.score);
    let margin = bits(score) - bits(rules.auto_link);
    let mut found = Assessment {
        score,
        risk: 1.0 / (1.0 + margin.max(0.0)),
        ..Assessment::default()
    };
    if margin < NEAR_BITS {
        found.risks.push(NEAR_THRESHOLD);
        found.detail.push(format!(
            "score {score:.4} is {margin:.1} log2-odds above the auto-link threshold {}",
            rules.auto_link
        ));
    }
    let others: Vec<_> = records::members(tx.conn(), golden_id)?
        .into_iter()
        .filter(|m| m.status == record_status::ACTIVE)
        .filter(|m| (&m.source_system, &m.source_id) != (&record.source_system, &record.source_id))
        .collect();
    if others
        .iter()
        .any(|m| m.source_system == record.source_system)
    {
        found.risk += 1.0;
        found.risks.push(SAME_SOURCE);
        found.detail.push(format!(
            "{golden_id} already holds a record of {}",
            record.source_system
        ));
    }
    let conflicts = identifier_conflicts(domain, record, &others)?;
    if !conflicts.is_empty() {
        found.risk += 2.0;
        found.risks.push(IDENTIFIER_CONFLICT);
        found.detail.extend(conflicts);
    }
    Ok(Some(found))
}

/// The strong identifiers on which `record` disagrees with a member of the golden record.
fn identifier_conflicts(
    domain: &Domain,
    record: &ValidRecord,
    members: &[crate::store::models::SourceRecordRow],
) -> Result<Vec<String>, ServiceError> {
    let mut conflicts = Vec::new();
    if domain.four_eyes.identifiers.is_empty() {
        return Ok(conflicts);
    }
    for member in members {
        let values: BTreeMap<String, String> = serde_json::from_str(&member.standardized)?;
        for name in &domain.four_eyes.identifiers {
            let (Some(mine), Some(theirs)) = (record.standardized.get(name), values.get(name))
            else {
                continue;
            };
            if mine != theirs {
                // Stored and shown to every reader of the job: sensitive values masked.
                let (mine, theirs) = if domain.is_sensitive(name) {
                    (mask(mine), mask(theirs))
                } else {
                    (mine.clone(), theirs.clone())
                };
                conflicts.push(format!(
                    "{name} {mine} disagrees with {theirs} of {}/{}",
                    member.source_system, member.source_id
                ));
            }
        }
    }
    Ok(conflicts)
}

/// A probability as log2-odds.
fn bits(p: f64) -> f64 {
    let p = p.clamp(1e-12, 1.0 - 1e-12);
    (p / (1.0 - p)).log2()
}

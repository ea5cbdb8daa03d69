//! Merge proposals: opening them (from matching) and listing them.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Serialize;
use serde_json::json;

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;
use std::time::Duration;

use super::glance::{Glance, field_agreement, glance};
use super::golden::{golden_view, member_ref, resolve};
use super::views::{GoldenView, MemberRef, utc};
use super::{Golden, ServiceError};
use crate::matching::PairScore;
use crate::rules::Domain;
use crate::store::queries::proposals::{
    self, AWAITING_SECOND, ClaimFilter, Filter, NewProposal, ProposalRow, Sort,
};
use crate::store::queries::{golden as golden_rows, records};
use crate::store::{StoreError, Tx};

/// Opens a proposal to merge `golden_id` (the new record's) with `other`, storing the
/// field-by-field explanation and the rules version that produced it.
pub(super) fn open_proposal(
    tx: &mut Tx<'_>,
    domain: &Domain,
    golden_id: &str,
    other: &str,
    record_id: i64,
    score: &PairScore,
) -> Result<i64, ServiceError> {
    let explanation = serde_json::to_string(score)?;
    let now = tx.now();
    let id = tx.insert_proposal(&NewProposal {
        domain: &domain.name,
        golden_id,
        other_golden_id: other,
        record_id: Some(record_id),
        score: score.probability,
        status: "open",
        explanation: &explanation,
        rules_version: &domain.version,
        created_at: now,
    })?;
    tx.emit(
        Some(&domain.name),
        "proposal.opened",
        Some(golden_id),
        &json!({"proposal_id": id, "golden_id": golden_id, "other_golden_id": other,
                "score": score.probability}),
    );
    Ok(id)
}

/// A proposal with its explanation.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ProposalView {
    pub id: i64,
    pub domain: String,
    pub golden_id: String,
    pub other_golden_id: String,
    pub score: f64,
    pub status: String,
    pub rules_version: String,
    pub created_at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decided_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decided_by: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// The version of `golden_id` the proposal was made against: pass it back as
    /// `golden_version` when deciding (absent for proposals older than this field).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub golden_version: Option<i64>,
    /// The version of `other_golden_id` the proposal was made against.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub other_version: Option<i64>,
    /// Field by field: both values, the method, the similarity and its contribution.
    pub explanation: PairScore,
    /// The source record whose arrival opened the proposal (filled in queue listings).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record: Option<MemberRef>,
    /// The steward reviewing this open proposal, while the claim lasts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub claim: Option<ClaimView>,
    /// Both sides' display names and key fields, with whether each agrees (filled in queue
    /// listings and when one proposal is read).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<Glance>,
    /// The first of two approvals, when the merge needs a second steward (status
    /// `awaiting_second`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_approval: Option<ApprovalView>,
}

/// A steward's approval and when it was given.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ApprovalView {
    pub by: String,
    pub at: DateTime<Utc>,
}

/// Who holds a proposal, and until when.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ClaimView {
    pub by: String,
    pub until: DateTime<Utc>,
}

impl ProposalView {
    /// The view as of `now`: a lapsed claim is no claim.
    pub fn at(self, now: NaiveDateTime) -> Self {
        let claim = self.claim.filter(|c| c.until.naive_utc() > now);
        Self { claim, ..self }
    }
}

impl TryFrom<ProposalRow> for ProposalView {
    type Error = ServiceError;
    fn try_from(row: ProposalRow) -> Result<Self, ServiceError> {
        let first_approval = match (
            row.status.as_str(),
            row.first_approved_by,
            row.first_approved_at,
        ) {
            ("open", Some(by), Some(at)) => Some(ApprovalView { by, at: utc(at) }),
            _ => None,
        };
        let claim = match (row.status.as_str(), row.claimed_by, row.claimed_until) {
            ("open", Some(by), Some(until)) => Some(ClaimView {
                by,
                until: utc(until),
            }),
            _ => None,
        };
        let status = if first_approval.is_some() {
            AWAITING_SECOND.to_owned()
        } else {
            row.status
        };
        Ok(Self {
            explanation: serde_json::from_str(&row.explanation)?,
            id: row.id,
            domain: row.domain,
            golden_id: row.golden_id,
            other_golden_id: row.other_golden_id,
            score: row.score,
            status,
            rules_version: row.rules_version,
            created_at: utc(row.created_at),
            decided_at: row.decided_at.map(utc),
            decided_by: row.decided_by,
            comment: row.comment,
            golden_version: row.golden_version,
            other_version: row.other_version,
            record: None,
            summary: None,
            claim,
            first_approval,
        })
    }
}

/// Proposal statuses a listing may ask for.
pub const STATUSES: &[&str] = &[
    "open",
    AWAITING_SECOND,
    "approved",
    "rejected",
    "superseded",
    "withdrawn",
];

/// Most proposals returned by one page of the queue.
pub const MAX_PAGE: i64 = 500;

/// A proposal with both golden records side by side, as a steward reviews it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ProposalDetail {
    #[serde(flatten)]
    pub proposal: ProposalView,
    /// The golden record the proposal was opened for (its current state; a merged ID answers
    /// with its survivor and says so).
    pub golden: GoldenView,
    /// The candidate it may be the same as.
    pub other: GoldenView,
    /// Per field either side holds: whether both agree after standardization (`Dallas` and
    /// `DALLAS`, `US` and `USA` do), null when only one side has a value.
    pub fields_agree: BTreeMap<String, Option<bool>>,
}

/// A steward's view of the queue: filters, order and page.
#[derive(Debug, Clone)]
pub struct QueueQuery {
    pub status: String,
    pub min_score: Option<f64>,
    pub max_score: Option<f64>,
    pub source_system: Option<String>,
    /// Only proposals at least this old.
    pub min_age: Option<Duration>,
    /// Only proposals at most this old.
    pub max_age: Option<Duration>,
    /// Only proposals with this claim.
    pub claimed: Option<ClaimFilter>,
    pub sort: Sort,
    pub offset: i64,
    pub limit: i64,
}

/// One page of the queue and how many proposals match in all.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct QueuePage {
    pub proposals: Vec<ProposalView>,
    pub total: i64,
    pub offset: i64,
    pub limit: i64,
}

/// Parses a queue order: `oldest` (default), `newest`, `score_desc`, `score_asc`.
pub fn parse_sort(text: &str) -> Result<Sort, ServiceError> {
    match text {
        "oldest" => Ok(Sort::Oldest),
        "newest" => Ok(Sort::Newest),
        "score_desc" => Ok(Sort::ScoreDesc),
        "score_asc" => Ok(Sort::ScoreAsc),
        other => Err(ServiceError::invalid(format!(
            "sort {other:?} must be one of oldest, newest, score_desc, score_asc"
        ))),
    }
}

impl Golden {
    /// A proposal with its explanation and both golden records.
    pub fn proposal(&self, id: i64) -> Result<ProposalDetail, ServiceError> {
        let mut conn = self.store.conn()?;
        let proposal = ProposalView::try_from(
            proposals::find(&mut conn, id)?
                .ok_or_else(|| ServiceError::NotFound(format!("proposal {id}")))?,
        )?
        .at(self.store.now());
        let mut side = |golden_id: &str| -> Result<GoldenView, ServiceError> {
            let row = resolve(&mut conn, golden_id)?.ok_or_else(|| {
                StoreError::Corrupt(format!("proposal {id} names missing {golden_id}"))
            })?;
            golden_view(&mut conn, row, golden_id)
        };
        let golden = side(&proposal.golden_id)?;
        let other = side(&proposal.other_golden_id)?;
        let domain = self.domain(&proposal.domain)?;
        let summary = Some(glance(&domain, &golden.fields, &other.fields));
        let fields_agree = field_agreement(&domain, &golden.fields, &other.fields);
        Ok(ProposalDetail {
            proposal: ProposalView {
                summary,
                ..proposal
            },
            golden,
            other,
            fields_agree,
        })
    }

    /// The review queue of a domain, filtered, sorted and paged.
    pub fn proposal_queue(
        &self,
        domain: &str,
        query: &QueueQuery,
    ) -> Result<QueuePage, ServiceError> {
        let domain = self.domain(domain)?;
        if !STATUSES.contains(&query.status.as_str()) {
            return Err(ServiceError::invalid(format!(
                "status must be one of {}",
                STATUSES.join(", ")
            )));
        }
        if !(1..=MAX_PAGE).contains(&query.limit) {
            return Err(ServiceError::invalid(format!(
                "limit must be between 1 and {MAX_PAGE}"
            )));
        }
        if query.offset < 0 {
            return Err(ServiceError::invalid("offset cannot be negative"));
        }
        let now = self.store.now();
        let ago = |age: Duration| {
            chrono::Duration::from_std(age)
                .ok()
                .and_then(|age| now.checked_sub_signed(age))
                .ok_or_else(|| ServiceError::invalid("age is out of range"))
        };
        let filter = Filter {
            domain: &domain.name,
            status: &query.status,
            min_score: query.min_score,
            max_score: query.max_score,
            source_system: query.source_system.as_deref(),
            created_before: query.min_age.map(ago).transpose()?,
            created_after: query.max_age.map(ago).transpose()?,
            claimed: query.claimed.clone(),
            now,
        };
        let mut conn = self.store.conn()?;
        let (rows, total) =
            proposals::queue(&mut conn, &filter, query.sort, query.offset, query.limit)?;
        let ids: Vec<i64> = rows.iter().filter_map(|r| r.record_id).collect();
        let by_id: HashMap<i64, MemberRef> = records::by_ids(&mut conn, &ids)?
            .iter()
            .map(|r| (r.id, member_ref(r)))
            .collect();
        let sides = side_fields(&mut conn, &rows)?;
        let summary = |row: &ProposalRow| match (
            sides.get(&row.golden_id),
            sides.get(&row.other_golden_id),
        ) {
            (Some(a), Some(b)) => Some(glance(&domain, a, b)),
            _ => None,
        };
        Ok(QueuePage {
            proposals: rows
                .into_iter()
                .map(|row| {
                    let record = row.record_id.and_then(|id| by_id.get(&id).cloned());
                    let summary = summary(&row);
                    ProposalView::try_from(row).map(|view| {
                        ProposalView {
                            record,
                            summary,
                            ..view
                        }
                        .at(now)
                    })
                })
                .collect::<Result<_, _>>()?,
            total,
            offset: query.offset,
            limit: query.limit,
        })
    }
}

/// The stored fields of the golden records on either side of `rows`, by golden ID.
fn side_fields(
    conn: &mut crate::store::DbConnection,
    rows: &[ProposalRow],
) -> Result<HashMap<String, BTreeMap<String, Value>>, ServiceError> {
    let mut ids: Vec<String> = rows
        .iter()
        .flat_map(|r| [r.golden_id.clone(), r.other_golden_id.clone()])
        .collect();
    ids.sort_unstable();
    ids.dedup();
    golden_rows::find_many(conn, &ids)?
        .into_iter()
        .map(|row| Ok((row.golden_id, serde_json::from_str(&row.fields)?)))
        .collect()
}

//! The proposal queue: listing, reading and deciding proposals.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use utoipa::IntoParams;

use super::auth::{Attempt, Caller};
use super::error::{ApiError, blocking};
use super::masked::reply;
use super::openapi::{AuthErrors, BadRequest, BodyErrors, Conflict, NotFound, Unprocessable};
use super::params;
use super::request_id;
use crate::auth::Permission;
use crate::service::Golden;
use crate::service::proposals::{ProposalDetail, ProposalView, QueuePage, QueueQuery, parse_sort};
use crate::service::stewardship::{Actor, DecisionRequest};
use crate::store::queries::proposals::ClaimFilter;

fn attempt<'a>(action: &'a str, domain: &'a str, id: Option<&'a str>) -> Attempt<'a> {
    Attempt {
        action,
        domain: Some(domain),
        entity_type: "proposal",
        entity_id: id,
    }
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ProposalsQuery {
    /// `open` (default), `approved`, `rejected`, `superseded` or `withdrawn` (closed by a rolled-back load).
    #[serde(default = "default_status")]
    status: String,
    /// Lowest match probability (0-1).
    #[serde(default, deserialize_with = "params::min_score")]
    min_score: Option<f64>,
    /// Highest match probability (0-1).
    #[serde(default, deserialize_with = "params::max_score")]
    max_score: Option<f64>,
    /// Only proposals opened for a record of this system.
    source_system: Option<String>,
    /// Only proposals at least this old, e.g. `2d` or `12h`.
    min_age: Option<String>,
    /// Only proposals at most this old.
    max_age: Option<String>,
    /// `me` (claimed by the caller), `none` (claimed by no one, or the claim lapsed) or a
    /// steward's name.
    claimed_by: Option<String>,
    /// `oldest` (default), `newest`, `score_desc` or `score_asc`.
    #[serde(default = "default_sort")]
    sort: String,
    #[serde(default, deserialize_with = "params::offset")]
    offset: i64,
    /// Page size (1-500).
    #[serde(default = "default_page", deserialize_with = "params::limit")]
    limit: i64,
}

fn default_status() -> String {
    "open".into()
}

fn default_sort() -> String {
    "oldest".into()
}

fn default_page() -> i64 {
    50
}

fn age(name: &str, text: Option<&str>) -> Result<Option<std::time::Duration>, ApiError> {
    text.map(|t| {
        humantime::parse_duration(t).map_err(|e| {
            ApiError::bad_request(
                "invalid_query",
                format!("{name} must be a duration such as 2d or 12h: {e}"),
            )
        })
    })
    .transpose()
}

impl ProposalsQuery {
    fn into_queue(self, me: &str) -> Result<QueueQuery, ApiError> {
        let claimed = self.claimed_by.map(|who| match who.as_str() {
            "none" => ClaimFilter::Unclaimed,
            "me" => ClaimFilter::By(me.to_owned()),
            _ => ClaimFilter::By(who),
        });
        Ok(QueueQuery {
            claimed,
            min_age: age("min_age", self.min_age.as_deref())?,
            max_age: age("max_age", self.max_age.as_deref())?,
            sort: parse_sort(&self.sort)?,
            status: self.status,
            min_score: self.min_score,
            max_score: self.max_score,
            source_system: self.source_system,
            offset: self.offset,
            limit: params::page_size(self.limit, crate::service::proposals::MAX_PAGE)?,
        })
    }
}

/// `GET /v1/{domain}/proposals?status=&min_score=&max_score=&source_system=&min_age=&max_age=
/// &claimed_by=&sort=&offset=&limit=`: the review queue.
#[utoipa::path(get, path = "/v1/{domain}/proposals", operation_id = "list_proposals", tag = "proposals",
    params(("domain" = String, Path, description = "Domain name, e.g. `vendor`"), ProposalsQuery),
    responses(
        (status = 200, description = "One page of the queue", body = QueuePage),
        BadRequest, AuthErrors, NotFound,
    ),
    security(("bearer" = [])),
)]
pub async fn list(
    golden: web::Data<Golden>,
    caller: Caller,
    domain: web::Path<String>,
    query: web::Query<ProposalsQuery>,
) -> Result<HttpResponse, ApiError> {
    let domain = domain.into_inner();
    golden.domain(&domain)?;
    caller
        .require(
            &golden,
            Permission::Steward,
            attempt("list_proposals", &domain, None),
        )
        .await?;
    let query = query.into_inner().into_queue(&caller.0.sub)?;
    let service = golden.clone();
    let page = blocking(move || service.proposal_queue(&domain, &query)).await?;
    Ok(reply(HttpResponse::Ok(), &caller, &golden.rules, page))
}

/// `GET /v1/proposals/{id}`: one proposal with its field-by-field explanation and both
/// golden records.
#[utoipa::path(get, path = "/v1/proposals/{id}", operation_id = "get_proposal", tag = "proposals",
    params(("id" = i64, Path, description = "Proposal ID")),
    responses(
        (status = 200, description = "The proposal, its explanation, both golden records",
         body = ProposalDetail),
        BadRequest, AuthErrors, NotFound,
    ),
    security(("bearer" = [])),
)]
pub async fn get(
    golden: web::Data<Golden>,
    caller: Caller,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let shown = id.to_string();
    caller
        .require(
            &golden,
            Permission::Steward,
            proposal_attempt("read_proposal", &shown),
        )
        .await?;
    let service = golden.clone();
    let proposal = blocking(move || service.proposal(id)).await?;
    Ok(reply(HttpResponse::Ok(), &caller, &golden.rules, proposal))
}

fn proposal_attempt<'a>(action: &'a str, id: &'a str) -> Attempt<'a> {
    Attempt {
        action,
        domain: None,
        entity_type: "proposal",
        entity_id: Some(id),
    }
}

/// `POST /v1/proposals/{id}/approve` with `{"comment", "golden_version", "other_version"}`
/// (all optional; an empty body is fine).
#[utoipa::path(post, path = "/v1/proposals/{id}/approve", operation_id = "approve_proposal", tag = "proposals",
    params(("id" = i64, Path, description = "Proposal ID")),
    request_body(content = Option<DecisionRequest>, description = "Optional"),
    responses(
        (status = 200, description = "Approved: the two golden records merged", body = ProposalView),
        BadRequest, AuthErrors, NotFound, Conflict, Unprocessable, BodyErrors,
    ),
    security(("bearer" = [])),
)]
pub async fn approve(
    golden: web::Data<Golden>,
    caller: Caller,
    id: web::Path<i64>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    decide(golden, caller, id.into_inner(), body, true).await
}

/// `POST /v1/proposals/{id}/reject` with `{"comment"}` (optional).
#[utoipa::path(post, path = "/v1/proposals/{id}/reject", operation_id = "reject_proposal", tag = "proposals",
    params(("id" = i64, Path, description = "Proposal ID")),
    request_body(content = Option<DecisionRequest>, description = "Optional"),
    responses(
        (status = 200, description = "Rejected: remembered as different", body = ProposalView),
        BadRequest, AuthErrors, NotFound, Conflict, Unprocessable, BodyErrors,
    ),
    security(("bearer" = [])),
)]
pub async fn reject(
    golden: web::Data<Golden>,
    caller: Caller,
    id: web::Path<i64>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    decide(golden, caller, id.into_inner(), body, false).await
}

async fn decide(
    golden: web::Data<Golden>,
    caller: Caller,
    id: i64,
    body: web::Bytes,
    approve: bool,
) -> Result<HttpResponse, ApiError> {
    let shown = id.to_string();
    let action = if approve {
        "approve_proposal"
    } else {
        "reject_proposal"
    };
    caller
        .require(
            &golden,
            Permission::Steward,
            proposal_attempt(action, &shown),
        )
        .await?;
    let request: DecisionRequest = optional_json(&body)?;
    let actor = actor(&caller);
    let service = golden.clone();
    let decided = blocking(move || {
        if approve {
            service.approve_proposal(id, &request, &actor)
        } else {
            service.reject_proposal(id, &request, &actor)
        }
    })
    .await;
    let decided = caller
        .audited(&golden, proposal_attempt(action, &shown), decided)
        .await?;
    Ok(reply(HttpResponse::Ok(), &caller, &golden.rules, decided))
}

/// The acting steward, for the audit trail.
pub fn actor(caller: &Caller) -> Actor {
    Actor {
        sub: caller.0.sub.clone(),
        request_id: request_id::current(),
        sensitive: caller.0.sees_sensitive(),
    }
}

/// A JSON body, parsed after the caller's permission was checked (so a refused caller gets
/// 403, audited, whatever it sent).
pub fn required_json<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request("malformed_json", format!("malformed JSON body: {e}")))
}

/// A JSON body that may be left out entirely (or sent as `null`).
pub fn optional_json<T: serde::de::DeserializeOwned + Default>(body: &[u8]) -> Result<T, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    required_json::<Option<T>>(body).map(Option::unwrap_or_default)
}

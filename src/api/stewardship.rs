//! Search and the proposal queue.

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::auth::{Attempt, Caller};
use super::error::{ApiError, blocking};
use crate::auth::Permission;
use crate::service::Golden;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SearchQuery {
    q: String,
    #[serde(default = "default_limit")]
    limit: usize,
}

fn default_limit() -> usize {
    20
}

/// `GET /v1/{domain}/golden?q=TEXT&limit=N`: fuzzy search, best first.
pub async fn search(
    golden: web::Data<Golden>,
    caller: Caller,
    domain: web::Path<String>,
    query: web::Query<SearchQuery>,
) -> Result<HttpResponse, ApiError> {
    let domain = domain.into_inner();
    golden.domain(&domain)?;
    caller
        .require(&golden, Permission::Read, attempt("search", &domain, None))
        .await?;
    let query = query.into_inner();
    let service = golden.clone();
    let hits = blocking(move || service.search(&domain, &query.q, query.limit)).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "results": hits })))
}

fn attempt<'a>(action: &'a str, domain: &'a str, id: Option<&'a str>) -> Attempt<'a> {
    Attempt {
        action,
        domain: Some(domain),
        entity_type: "proposal",
        entity_id: id,
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProposalsQuery {
    #[serde(default = "default_status")]
    status: String,
    #[serde(default)]
    after: i64,
    #[serde(default = "default_page")]
    limit: i64,
}

fn default_status() -> String {
    "open".into()
}

fn default_page() -> i64 {
    50
}

/// `GET /v1/{domain}/proposals?status=open&after=ID&limit=N`.
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
    let query = query.into_inner();
    let service = golden.clone();
    let proposals =
        blocking(move || service.proposals(&domain, &query.status, query.after, query.limit))
            .await?;
    let next_after = proposals.last().map_or(query.after, |p| p.id);
    Ok(HttpResponse::Ok()
        .json(serde_json::json!({ "proposals": proposals, "next_after": next_after })))
}

/// `GET /v1/proposals/{id}`: one proposal with its field-by-field explanation.
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
            Attempt {
                action: "read_proposal",
                domain: None,
                entity_type: "proposal",
                entity_id: Some(&shown),
            },
        )
        .await?;
    let service = golden.clone();
    let proposal = blocking(move || service.proposal(id)).await?;
    Ok(HttpResponse::Ok().json(proposal))
}

//! Claims on proposals: a steward takes a proposal while reviewing it, so that others see
//! who has it and leave it be.

use actix_web::{HttpResponse, web};

use super::auth::{Attempt, Caller};
use super::error::{ApiError, blocking};
use super::masked::reply;
use super::openapi::{AuthErrors, BadRequest, BodyErrors, Conflict, NotFound};
use super::stewardship::{actor, optional_json};
use crate::auth::Permission;
use crate::service::Golden;
use crate::service::proposals::ProposalView;
use crate::service::stewardship::ClaimRequest;

/// `POST /v1/proposals/{id}/claim` with `{"force"}` (optional).
#[utoipa::path(post, path = "/v1/proposals/{id}/claim", operation_id = "claim_proposal", tag = "proposals",
    params(("id" = i64, Path, description = "Proposal ID")),
    request_body(content = Option<ClaimRequest>, description = "Optional"),
    responses(
        (status = 200, description = "Claimed (or the caller's claim renewed): the proposal \
         with its `claim`", body = ProposalView),
        BadRequest, AuthErrors, NotFound, Conflict, BodyErrors,
    ),
    security(("bearer" = [])),
)]
pub async fn claim(
    golden: web::Data<Golden>,
    caller: Caller,
    id: web::Path<i64>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    change(golden, caller, id.into_inner(), body, true).await
}

/// `POST /v1/proposals/{id}/release` with `{"force"}` (optional).
#[utoipa::path(post, path = "/v1/proposals/{id}/release", operation_id = "release_proposal", tag = "proposals",
    params(("id" = i64, Path, description = "Proposal ID")),
    request_body(content = Option<ClaimRequest>, description = "Optional"),
    responses(
        (status = 200, description = "Released: the proposal, no longer claimed",
         body = ProposalView),
        BadRequest, AuthErrors, NotFound, Conflict, BodyErrors,
    ),
    security(("bearer" = [])),
)]
pub async fn release(
    golden: web::Data<Golden>,
    caller: Caller,
    id: web::Path<i64>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    change(golden, caller, id.into_inner(), body, false).await
}

async fn change(
    golden: web::Data<Golden>,
    caller: Caller,
    id: i64,
    body: web::Bytes,
    take: bool,
) -> Result<HttpResponse, ApiError> {
    let shown = id.to_string();
    let attempt = Attempt {
        action: if take {
            "claim_proposal"
        } else {
            "release_proposal"
        },
        domain: None,
        entity_type: "proposal",
        entity_id: Some(&shown),
    };
    caller
        .require(&golden, Permission::Steward, attempt)
        .await?;
    let request: ClaimRequest = optional_json(&body)?;
    let actor = actor(&caller);
    let service = golden.clone();
    let view = blocking(move || {
        if take {
            service.claim_proposal(id, &request, &actor)
        } else {
            service.release_proposal(id, &request, &actor)
        }
    })
    .await?;
    Ok(reply(HttpResponse::Ok(), &caller, &golden.rules, view))
}

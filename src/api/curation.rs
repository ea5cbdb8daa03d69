//! Hand curation of golden records: merge, split, override.

use actix_web::{HttpResponse, web};

use super::auth::{Attempt, Caller};
use super::error::{ApiError, blocking};
use super::openapi::{AuthErrors, BadRequest, BodyErrors, Conflict, NotFound, Unprocessable};
use super::stewardship::{actor, required_json};
use crate::auth::Permission;
use crate::service::Golden;
use crate::service::stewardship::{MergeRequest, OverrideRequest, SplitRequest, SplitResult};
use crate::service::views::GoldenView;

async fn require_steward(
    golden: &web::Data<Golden>,
    caller: &Caller,
    action: &str,
    domain: &str,
    id: &str,
) -> Result<(), ApiError> {
    golden.domain(domain)?;
    caller
        .require(
            golden,
            Permission::Steward,
            Attempt {
                action,
                domain: Some(domain),
                entity_type: "golden",
                entity_id: Some(id),
            },
        )
        .await
}

/// `POST /v1/{domain}/golden/{golden_id}/merge` with
/// `{"other_golden_id", "version", "other_version"?, "comment"?}`: the path's record survives.
#[utoipa::path(post, path = "/v1/{domain}/golden/{golden_id}/merge", tag = "golden",
    params(("domain" = String, Path, description = "Domain name, e.g. `vendor`"), ("golden_id" = String, Path, description = "The golden record acted on")),
    request_body = MergeRequest,
    responses(
        (status = 200, description = "The survivor after the merge", body = GoldenView),
        BadRequest, AuthErrors, NotFound, Conflict, Unprocessable, BodyErrors,
    ),
    security(("bearer" = [])),
)]
pub async fn merge(
    golden: web::Data<Golden>,
    caller: Caller,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let (domain, id) = path.into_inner();
    require_steward(&golden, &caller, "merge", &domain, &id).await?;
    let (request, actor) = (required_json(&body)?, actor(&caller));
    let service = golden.clone();
    let view = blocking(move || service.merge_golden(&domain, &id, &request, &actor)).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// `POST /v1/{domain}/golden/{golden_id}/split` with
/// `{"records": [{"source_system", "source_id"}], "version", "comment"?}`.
#[utoipa::path(post, path = "/v1/{domain}/golden/{golden_id}/split", tag = "golden",
    params(("domain" = String, Path, description = "Domain name, e.g. `vendor`"), ("golden_id" = String, Path, description = "The golden record acted on")),
    request_body = SplitRequest,
    responses(
        (status = 200, description = "Both golden records after the split", body = SplitResult),
        BadRequest, AuthErrors, NotFound, Conflict, Unprocessable, BodyErrors,
    ),
    security(("bearer" = [])),
)]
pub async fn split(
    golden: web::Data<Golden>,
    caller: Caller,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let (domain, id) = path.into_inner();
    require_steward(&golden, &caller, "split", &domain, &id).await?;
    let (request, actor) = (required_json(&body)?, actor(&caller));
    let service = golden.clone();
    let result = blocking(move || service.split_golden(&domain, &id, &request, &actor)).await?;
    Ok(HttpResponse::Ok().json(result))
}

/// `POST /v1/{domain}/golden/{golden_id}/override` with
/// `{"field", "value" (null removes), "version", "comment"?}`.
#[utoipa::path(post, path = "/v1/{domain}/golden/{golden_id}/override", tag = "golden",
    params(("domain" = String, Path, description = "Domain name, e.g. `vendor`"), ("golden_id" = String, Path, description = "The golden record acted on")),
    request_body = OverrideRequest,
    responses(
        (status = 200, description = "The golden record with the override", body = GoldenView),
        BadRequest, AuthErrors, NotFound, Conflict, Unprocessable, BodyErrors,
    ),
    security(("bearer" = [])),
)]
pub async fn override_field(
    golden: web::Data<Golden>,
    caller: Caller,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let (domain, id) = path.into_inner();
    require_steward(&golden, &caller, "override_field", &domain, &id).await?;
    let (request, actor) = (required_json(&body)?, actor(&caller));
    let service = golden.clone();
    let view = blocking(move || service.override_field(&domain, &id, &request, &actor)).await?;
    Ok(HttpResponse::Ok().json(view))
}

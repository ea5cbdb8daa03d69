//! Hand curation of golden records: merge, split, override.

use actix_web::{HttpResponse, web};
use serde::de::DeserializeOwned;

use super::auth::{Attempt, Caller};
use super::error::{ApiError, blocking};
use super::masked::{Masked, reply};
use super::openapi::{AuthErrors, BadRequest, BodyErrors, Conflict, NotFound, Unprocessable};
use super::stewardship::{actor, required_json};
use crate::auth::Permission;
use crate::service::stewardship::{
    Actor, MergeRequest, OverrideRequest, SplitRequest, SplitResult,
};
use crate::service::views::GoldenView;
use crate::service::{Golden, ServiceError};

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

/// One curation request: the caller must be a steward for the domain (checked, and audited when
/// refused, before the body is read), then the JSON body goes to `act` off the async runtime.
async fn curate<Request, Answer>(
    golden: web::Data<Golden>,
    caller: Caller,
    path: web::Path<(String, String)>,
    body: web::Bytes,
    action: &'static str,
    act: fn(&Golden, &str, &str, &Request, &Actor) -> Result<Answer, ServiceError>,
) -> Result<HttpResponse, ApiError>
where
    Request: DeserializeOwned + Send + 'static,
    Answer: Masked + Send + 'static,
{
    let (domain, id) = path.into_inner();
    require_steward(&golden, &caller, action, &domain, &id).await?;
    let (request, actor) = (required_json::<Request>(&body)?, actor(&caller));
    let service = golden.clone();
    let (on, about) = (domain.clone(), id.clone());
    let done = blocking(move || act(&service, &on, &about, &request, &actor)).await;
    let attempt = Attempt {
        action,
        domain: Some(&domain),
        entity_type: "golden",
        entity_id: Some(&id),
    };
    let answer = caller.audited(&golden, attempt, done).await?;
    Ok(reply(HttpResponse::Ok(), &caller, &golden.rules, answer))
}

/// `POST /v1/{domain}/golden/{golden_id}/merge` with
/// `{"other_golden_id", "version", "other_version"?, "comment"?}`: the path's record survives.
#[utoipa::path(post, path = "/v1/{domain}/golden/{golden_id}/merge", operation_id = "merge_golden_records", tag = "golden",
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
    curate(golden, caller, path, body, "merge", Golden::merge_golden).await
}

/// `POST /v1/{domain}/golden/{golden_id}/split` with
/// `{"records": [{"source_system", "source_id"}], "version", "comment"?}`.
#[utoipa::path(post, path = "/v1/{domain}/golden/{golden_id}/split", operation_id = "split_golden_record", tag = "golden",
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
    curate(golden, caller, path, body, "split", Golden::split_golden).await
}

/// `POST /v1/{domain}/golden/{golden_id}/override` with
/// `{"field", "value" (null removes), "version", "comment"?}`.
#[utoipa::path(post, path = "/v1/{domain}/golden/{golden_id}/override", operation_id = "override_golden_field", tag = "golden",
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
    curate(
        golden,
        caller,
        path,
        body,
        "override_field",
        Golden::override_field,
    )
    .await
}

//! A domain's match models over HTTP: estimate, list, export, import, activate (admin; the
//! list and export also for readers).

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use utoipa::IntoParams;

use super::auth::{Attempt, Caller};
use super::error::{ApiError, blocking};
use super::lookups::require_read;
use super::masked::plain;
use super::openapi::{AuthErrors, BadRequest, BodyErrors, NotFound, Unprocessable};
use super::stewardship::{actor, required_json};
use crate::auth::Permission;
use crate::matching::model::MatchModel;
use crate::service::Golden;
use crate::service::models::{EstimateOptions, ModelInfo};
use crate::service::rematch::RematchReport;

async fn require_admin(
    golden: &web::Data<Golden>,
    caller: &Caller,
    action: &str,
    domain: &str,
) -> Result<(), ApiError> {
    golden.domain(domain)?;
    caller
        .require(
            golden,
            Permission::Admin,
            Attempt {
                action,
                domain: Some(domain),
                entity_type: "model",
                entity_id: None,
            },
        )
        .await
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EstimateQuery {
    /// Seed of the random samples (default 42): the same records give the same model.
    seed: Option<u64>,
    /// Make the new model the active one (default true); `false` stores it for a look (and a
    /// dry-run re-match) first.
    activate: Option<bool>,
}

/// `POST /v1/{domain}/models/estimate`: estimates a model from the stored records and steward
/// decisions, stores it as the next version and activates it (unless `activate=false`).
#[utoipa::path(post, path = "/v1/{domain}/models/estimate", operation_id = "estimate_model", tag = "models",
    params(("domain" = String, Path, description = "Domain name, e.g. `vendor`"), EstimateQuery),
    responses(
        (status = 201, description = "The stored model", body = ModelInfo),
        BadRequest, AuthErrors, NotFound, Unprocessable,
    ),
    security(("bearer" = [])),
)]
pub async fn estimate(
    golden: web::Data<Golden>,
    caller: Caller,
    path: web::Path<String>,
    query: web::Query<EstimateQuery>,
) -> Result<HttpResponse, ApiError> {
    let domain = path.into_inner();
    require_admin(&golden, &caller, "model.estimate", &domain).await?;
    let options = EstimateOptions {
        seed: query.seed.unwrap_or(EstimateOptions::default().seed),
        activate: query.activate.unwrap_or(true),
        ..Default::default()
    };
    let actor = actor(&caller);
    let service = golden.clone();
    let info = blocking(move || service.estimate_model(&domain, &options, &actor)).await?;
    Ok(plain(HttpResponse::Created(), info))
}

/// `GET /v1/{domain}/models`: the domain's models, newest first.
#[utoipa::path(get, path = "/v1/{domain}/models", operation_id = "list_models", tag = "models",
    params(("domain" = String, Path, description = "Domain name, e.g. `vendor`")),
    responses(
        (status = 200, description = "The models, newest first", body = Vec<ModelInfo>),
        AuthErrors, NotFound,
    ),
    security(("bearer" = [])),
)]
pub async fn list(
    golden: web::Data<Golden>,
    caller: Caller,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let domain = path.into_inner();
    golden.domain(&domain)?;
    require_read(&golden, &caller, "list_models", Some(&domain)).await?;
    let service = golden.clone();
    let models = blocking(move || service.list_models(&domain)).await?;
    Ok(plain(HttpResponse::Ok(), models))
}

/// `GET /v1/{domain}/models/{version}`: one model in full (weights, `m`, `u`, corrections,
/// term frequencies): the export format that `POST /v1/{domain}/models` imports.
#[utoipa::path(get, path = "/v1/{domain}/models/{version}", operation_id = "export_model", tag = "models",
    params(("domain" = String, Path, description = "Domain name, e.g. `vendor`"), ("version" = i64, Path, description = "Model version")),
    responses(
        (status = 200, description = "The model", body = MatchModel),
        BadRequest, AuthErrors, NotFound,
    ),
    security(("bearer" = [])),
)]
pub async fn export(
    golden: web::Data<Golden>,
    caller: Caller,
    path: web::Path<(String, i64)>,
) -> Result<HttpResponse, ApiError> {
    let (domain, version) = path.into_inner();
    golden.domain(&domain)?;
    require_read(&golden, &caller, "export_model", Some(&domain)).await?;
    let service = golden.clone();
    let model = blocking(move || service.export_model(&domain, Some(version))).await?;
    Ok(plain(HttpResponse::Ok(), model))
}

/// `POST /v1/{domain}/models` with an exported model: stored as the next version and made
/// active (audited).
#[utoipa::path(post, path = "/v1/{domain}/models", operation_id = "import_model", tag = "models",
    params(("domain" = String, Path, description = "Domain name, e.g. `vendor`")),
    request_body = MatchModel,
    responses(
        (status = 201, description = "The imported model, now active", body = ModelInfo),
        BadRequest, AuthErrors, NotFound, Unprocessable, BodyErrors,
    ),
    security(("bearer" = [])),
)]
pub async fn import(
    golden: web::Data<Golden>,
    caller: Caller,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let domain = path.into_inner();
    require_admin(&golden, &caller, "model.import", &domain).await?;
    let (model, actor) = (required_json::<MatchModel>(&body)?, actor(&caller));
    let service = golden.clone();
    let info = blocking(move || service.import_model(&domain, model, &actor)).await?;
    Ok(plain(HttpResponse::Created(), info))
}

/// `POST /v1/{domain}/models/{version}/activate`: makes a stored model the active one
/// (audited). Existing golden records stay as they are; the model decides new matches.
#[utoipa::path(post, path = "/v1/{domain}/models/{version}/activate", operation_id = "activate_model", tag = "models",
    params(("domain" = String, Path, description = "Domain name, e.g. `vendor`"), ("version" = i64, Path, description = "Model version")),
    responses(
        (status = 200, description = "The model, now active", body = ModelInfo),
        BadRequest, AuthErrors, NotFound, Unprocessable,
    ),
    security(("bearer" = [])),
)]
pub async fn activate(
    golden: web::Data<Golden>,
    caller: Caller,
    path: web::Path<(String, i64)>,
) -> Result<HttpResponse, ApiError> {
    let (domain, version) = path.into_inner();
    require_admin(&golden, &caller, "model.activate", &domain).await?;
    let actor = actor(&caller);
    let service = golden.clone();
    let info = blocking(move || service.activate_model(&domain, version, &actor)).await?;
    Ok(plain(HttpResponse::Ok(), info))
}

/// `POST /v1/{domain}/models/{version}/rematch`: matches the stored records again under that
/// model and reports what would change (links it would break, merges it would propose, the
/// review band before and after, examples). Changes nothing.
#[utoipa::path(post, path = "/v1/{domain}/models/{version}/rematch", operation_id = "rematch_model", tag = "models",
    params(("domain" = String, Path, description = "Domain name, e.g. `vendor`"), ("version" = i64, Path, description = "Model version")),
    responses(
        (status = 200, description = "What the model would change", body = RematchReport),
        BadRequest, AuthErrors, NotFound, Unprocessable,
    ),
    security(("bearer" = [])),
)]
pub async fn rematch(
    golden: web::Data<Golden>,
    caller: Caller,
    path: web::Path<(String, i64)>,
) -> Result<HttpResponse, ApiError> {
    let (domain, version) = path.into_inner();
    require_admin(&golden, &caller, "model.rematch", &domain).await?;
    let service = golden.clone();
    let report = blocking(move || {
        let model = service.export_model(&domain, Some(version))?;
        service.rematch_dry_run(&domain, Some((version, &model)))
    })
    .await?;
    Ok(plain(HttpResponse::Ok(), report))
}

//! The crosswalk: one key, many keys, a golden ID's members, the whole domain as a stream,
//! each optionally as it stood at a past moment.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use futures_util::stream;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::auth::Caller;
use super::error::{ApiError, blocking};
use super::lookups::require_read;
use super::masked::plain;
use super::openapi::{AuthErrors, BadRequest, BodyErrors, NotFound};
use crate::model::SourceKey;
use crate::service::Golden;
use crate::service::export::CrosswalkFormat;
use crate::service::views::{CrosswalkEntry, LookupAnswer, ReverseCrosswalk};

/// Parses an `as_of` timestamp, naming the parameter when it is not RFC 3339.
pub(super) fn parse_as_of(
    text: Option<&str>,
    code: &'static str,
) -> Result<Option<DateTime<Utc>>, ApiError> {
    parse_timestamp("as_of", text, code)
}

/// Parses the RFC 3339 timestamp of the parameter `name`, naming it when it is not one.
pub(super) fn parse_timestamp(
    name: &str,
    text: Option<&str>,
    code: &'static str,
) -> Result<Option<DateTime<Utc>>, ApiError> {
    text.map(|text| {
        DateTime::parse_from_rfc3339(text.trim())
            .map(|t| t.with_timezone(&Utc))
            .map_err(|e| {
                ApiError::bad_request(
                    code,
                    format!(
                        "{name} must be an RFC 3339 timestamp such as 2026-01-31T09:30:00Z \
                         ({e}): {text:?}"
                    ),
                )
            })
    })
    .transpose()
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AsOfQuery {
    /// Answer as things stood at this RFC 3339 moment.
    as_of: Option<String>,
}

/// `GET /v1/crosswalk/{domain}/{source_system}/{source_id}?as_of=T`.
#[utoipa::path(get, path = "/v1/crosswalk/{domain}/{source_system}/{source_id}", operation_id = "get_crosswalk_entry",
    tag = "crosswalk",
    params(
        ("domain" = String, Path, description = "Domain name, e.g. `vendor`"),
        ("source_system" = String, Path, description = "The source system"),
        ("source_id" = String, Path, description = "The record's ID in that system"),
        AsOfQuery,
    ),
    responses(
        (status = 200, description = "The golden ID and every member", body = CrosswalkEntry),
        BadRequest, AuthErrors, NotFound,
    ),
    security(("bearer" = [])),
)]
pub async fn get(
    golden: web::Data<Golden>,
    caller: Caller,
    path: web::Path<(String, String, String)>,
    query: web::Query<AsOfQuery>,
) -> Result<HttpResponse, ApiError> {
    let (domain, system, id) = path.into_inner();
    let name = &golden.domain(&domain)?.name;
    require_read(&golden, &caller, "crosswalk", Some(&domain)).await?;
    let as_of = parse_as_of(query.as_of.as_deref(), "invalid_query")?;
    // The hot path: answered from memory on the executor, no blocking thread, no connection.
    if as_of.is_none()
        && let Some(entry) = golden.crosswalk_cached(name, &system, &id)
    {
        golden.metrics.observe_crosswalk_lookup("cache");
        return Ok(plain(HttpResponse::Ok(), entry));
    }
    golden.metrics.observe_crosswalk_lookup("database");
    let service = golden.clone();
    let entry = blocking(move || service.crosswalk_at(&domain, &system, &id, as_of)).await?;
    Ok(plain(HttpResponse::Ok(), entry))
}

/// Up to 5,000 source keys, optionally as of a past moment.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LookupRequest {
    keys: Vec<SourceKey>,
    /// An RFC 3339 timestamp.
    #[serde(default)]
    as_of: Option<String>,
}

/// `POST /v1/crosswalk/{domain}/lookup` with `{"keys": [...], "as_of": T}`.
#[utoipa::path(post, path = "/v1/crosswalk/{domain}/lookup", operation_id = "lookup_crosswalk", tag = "crosswalk",
    params(("domain" = String, Path, description = "Domain name, e.g. `vendor`")),
    request_body = LookupRequest,
    responses(
        (status = 200, description = "One answer per key, in request order", body = LookupAnswer),
        BadRequest, AuthErrors, NotFound, BodyErrors,
    ),
    security(("bearer" = [])),
)]
pub async fn lookup(
    golden: web::Data<Golden>,
    caller: Caller,
    domain: web::Path<String>,
    body: web::Json<LookupRequest>,
) -> Result<HttpResponse, ApiError> {
    let domain = domain.into_inner();
    golden.domain(&domain)?;
    require_read(&golden, &caller, "crosswalk_lookup", Some(&domain)).await?;
    let LookupRequest { keys, as_of } = body.into_inner();
    let as_of = parse_as_of(as_of.as_deref(), "invalid_request")?;
    let service = golden.clone();
    let answer = blocking(move || service.lookup(&domain, &keys, as_of)).await?;
    Ok(plain(HttpResponse::Ok(), answer))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReverseQuery {
    /// A golden ID; a merged one redirects to its survivor.
    golden_id: String,
}

/// `GET /v1/crosswalk/{domain}?golden_id=ID`: the source records behind a golden ID.
#[utoipa::path(get, path = "/v1/crosswalk/{domain}", operation_id = "get_golden_members", tag = "crosswalk",
    params(("domain" = String, Path, description = "Domain name, e.g. `vendor`"), ReverseQuery),
    responses(
        (status = 200, description = "The members of the golden record", body = ReverseCrosswalk),
        BadRequest, AuthErrors, NotFound,
    ),
    security(("bearer" = [])),
)]
pub async fn reverse(
    golden: web::Data<Golden>,
    caller: Caller,
    domain: web::Path<String>,
    query: web::Query<ReverseQuery>,
) -> Result<HttpResponse, ApiError> {
    let domain = domain.into_inner();
    golden.domain(&domain)?;
    require_read(&golden, &caller, "crosswalk_reverse", Some(&domain)).await?;
    let golden_id = query.into_inner().golden_id;
    let service = golden.clone();
    let answer = blocking(move || service.reverse_crosswalk(&domain, &golden_id)).await?;
    Ok(plain(HttpResponse::Ok(), answer))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// `ndjson` (default) or `csv`.
    #[serde(default)]
    #[param(inline)]
    format: CrosswalkFormat,
}

/// `GET /v1/crosswalk/{domain}/export?format=csv|ndjson`: every source record of the domain,
/// streamed as it is read.
#[utoipa::path(get, path = "/v1/crosswalk/{domain}/export", operation_id = "export_crosswalk", tag = "crosswalk",
    params(("domain" = String, Path, description = "Domain name, e.g. `vendor`"), ExportQuery),
    responses(
        (status = 200, description = "Every source record of the domain, streamed",
         content(
            (String = "application/x-ndjson"),
            (String = "text/csv"),
         )),
        BadRequest, AuthErrors, NotFound,
    ),
    security(("bearer" = [])),
)]
pub async fn export(
    golden: web::Data<Golden>,
    caller: Caller,
    domain: web::Path<String>,
    query: web::Query<ExportQuery>,
) -> Result<HttpResponse, ApiError> {
    let domain = domain.into_inner();
    golden.domain(&domain)?;
    require_read(&golden, &caller, "crosswalk_export", Some(&domain)).await?;
    let format = query.into_inner().format;
    let chunks = golden.crosswalk_export(&domain, format)?;
    let body = stream::unfold(chunks, |mut chunks| async move {
        let chunk = chunks.recv().await?;
        Some((chunk.map(web::Bytes::from).map_err(ApiError::from), chunks))
    });
    let content_type = match format {
        CrosswalkFormat::Csv => "text/csv",
        CrosswalkFormat::Ndjson => "application/x-ndjson",
    };
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .streaming(body))
}

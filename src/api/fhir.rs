//! FHIR R4 reads for EHR-side consumers: vendors as `Organization`, locations as `Location`,
//! one by golden ID or all of a kind as NDJSON. Answers are `application/fhir+json` (or
//! `application/fhir+ndjson`), errors FHIR `OperationOutcome`s with the status they have
//! elsewhere. A merged golden ID answers 301 with the survivor's URL, which FHIR clients
//! follow as any HTTP client does.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use futures_util::stream;
use serde::Deserialize;
use utoipa::{IntoParams, IntoResponses};

use super::auth::Caller;
use super::crosswalk::parse_timestamp;
use super::error::{ApiError, FhirError, blocking};
use super::lookups::require_read;
use super::masked::Masks;
use crate::fhir::{FHIR_JSON, FHIR_NDJSON, OperationOutcome, ResourceType};
use crate::masking::Mask;
use crate::service::fhir::FhirRead;
use crate::service::{Golden, ServiceError};

/// The `_format` values that ask for NDJSON (a `+` sent unencoded arrives as a space).
const NDJSON_FORMATS: [&str; 5] = [
    "ndjson",
    "application/ndjson",
    "application/x-ndjson",
    "application/fhir+ndjson",
    "application/fhir ndjson",
];

/// The errors of a FHIR route, each a FHIR `OperationOutcome`.
#[derive(IntoResponses)]
#[allow(dead_code)]
pub enum FhirErrors {
    /// No token, or a bad or expired one.
    #[response(status = 401, content_type = "application/fhir+json")]
    Unauthorized(OperationOutcome),
    /// The token lacks the reader role (the refusal is audited).
    #[response(status = 403, content_type = "application/fhir+json")]
    Forbidden(OperationOutcome),
    /// Internal error; the outcome names no internals and quotes the request ID.
    #[response(status = 500, content_type = "application/fhir+json")]
    Internal(OperationOutcome),
    /// The server is shutting down or overloaded.
    #[response(status = 503, content_type = "application/fhir+json")]
    Unavailable(OperationOutcome),
}

/// The answers of a read by golden ID beyond the resource itself.
#[derive(IntoResponses)]
#[allow(dead_code)]
pub enum ReadAnswers {
    /// The golden ID was merged into another: `Location` names the survivor's resource.
    #[response(status = 301, content_type = "application/fhir+json",
        headers(("Location" = String, description = "The survivor's URL, `/v1/fhir/{type}/{survivor}`")))]
    Moved(OperationOutcome),
    /// No golden record of this kind has the ID.
    #[response(status = 404, content_type = "application/fhir+json")]
    NotFound(OperationOutcome),
}

/// A bulk export's bad parameter.
#[derive(IntoResponses)]
#[allow(dead_code)]
pub enum ExportAnswers {
    /// `_format` is not NDJSON, `_since` is not a timestamp, or an unknown parameter.
    #[response(status = 400, content_type = "application/fhir+json")]
    BadRequest(OperationOutcome),
}

async fn authorize(
    golden: &web::Data<Golden>,
    caller: Result<Caller, ApiError>,
    action: &str,
    kind: ResourceType,
) -> Result<Mask, FhirError> {
    let caller = caller?;
    require_read(golden, &caller, action, Some(kind.domain())).await?;
    // What the caller may not see of the kind's domain: left out of the resources.
    Ok(Masks::for_caller(&caller, &golden.rules).domain(Some(kind.domain())))
}

fn to_json(value: &impl serde::Serialize) -> Result<String, FhirError> {
    serde_json::to_string(value).map_err(|e| ServiceError::internal("writing FHIR JSON", e).into())
}

async fn read(
    golden: web::Data<Golden>,
    caller: Result<Caller, ApiError>,
    kind: ResourceType,
    id: String,
) -> Result<HttpResponse, FhirError> {
    let mask = authorize(&golden, caller, "read_fhir", kind).await?;
    let service = golden.clone();
    let requested = id.clone();
    let answer = blocking(move || service.fhir_resource(kind, &id, &mask)).await?;
    Ok(match answer {
        FhirRead::Resource(resource) => HttpResponse::Ok()
            .content_type(FHIR_JSON)
            .body(to_json(&resource)?),
        FhirRead::Moved { survivor } => {
            let location = format!("/v1/fhir/{}/{survivor}", kind.name());
            let note = OperationOutcome::information(
                "merged",
                format!("{requested} was merged into {survivor}: see {location}"),
            );
            HttpResponse::MovedPermanently()
                .insert_header((header::LOCATION, location))
                .content_type(FHIR_JSON)
                .body(to_json(&note)?)
        }
    })
}

/// `GET /v1/fhir/Organization/{golden_id}`: a vendor's golden record as an `Organization`.
#[utoipa::path(get, path = "/v1/fhir/Organization/{golden_id}", operation_id = "get_fhir_organization", tag = "fhir",
    params(("golden_id" = String, Path, description = "A vendor's golden ID; a merged one answers 301 to its survivor")),
    responses(
        (status = 200, description = "The FHIR R4 Organization", content_type = "application/fhir+json", body = Object),
        ReadAnswers, FhirErrors,
    ),
    security(("bearer" = [])),
)]
pub async fn organization(
    golden: web::Data<Golden>,
    caller: Result<Caller, ApiError>,
    id: web::Path<String>,
) -> Result<HttpResponse, FhirError> {
    read(golden, caller, ResourceType::Organization, id.into_inner()).await
}

/// `GET /v1/fhir/Location/{golden_id}`: a location's golden record as a `Location`.
#[utoipa::path(get, path = "/v1/fhir/Location/{golden_id}", operation_id = "get_fhir_location", tag = "fhir",
    params(("golden_id" = String, Path, description = "A location's golden ID; a merged one answers 301 to its survivor")),
    responses(
        (status = 200, description = "The FHIR R4 Location", content_type = "application/fhir+json", body = Object),
        ReadAnswers, FhirErrors,
    ),
    security(("bearer" = [])),
)]
pub async fn location(
    golden: web::Data<Golden>,
    caller: Result<Caller, ApiError>,
    id: web::Path<String>,
) -> Result<HttpResponse, FhirError> {
    read(golden, caller, ResourceType::Location, id.into_inner()).await
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// `ndjson` or `application/fhir+ndjson` (the default: the only format of this export).
    #[serde(rename = "_format")]
    format: Option<String>,
    /// Only records updated after this RFC 3339 instant.
    #[serde(rename = "_since")]
    since: Option<String>,
}

async fn export(
    golden: web::Data<Golden>,
    caller: Result<Caller, ApiError>,
    req: HttpRequest,
    kind: ResourceType,
) -> Result<HttpResponse, FhirError> {
    let query = web::Query::<ExportQuery>::from_query(req.query_string())
        .map_err(super::error::query_error)?
        .into_inner();
    if let Some(format) = query.format.as_deref()
        && !NDJSON_FORMATS.contains(&format.trim())
    {
        return Err(ApiError::bad_request(
            "invalid_query",
            format!("_format {format:?} is not offered: ask for ndjson (application/fhir+ndjson)"),
        )
        .into());
    }
    let since = parse_timestamp("_since", query.since.as_deref(), "invalid_query")?;
    let mask = authorize(&golden, caller, "export_fhir", kind).await?;
    let chunks = golden
        .fhir_export(kind, since, mask)
        .map_err(ApiError::from)?;
    let body = stream::unfold(chunks, |mut chunks| async move {
        let chunk = chunks.recv().await?;
        Some((chunk.map(web::Bytes::from).map_err(ApiError::from), chunks))
    });
    Ok(HttpResponse::Ok().content_type(FHIR_NDJSON).streaming(body))
}

/// `GET /v1/fhir/Organization?_format=ndjson`: every active vendor as an `Organization`, one
/// per line, streamed.
#[utoipa::path(get, path = "/v1/fhir/Organization", operation_id = "export_fhir_organizations", tag = "fhir",
    params(ExportQuery),
    responses(
        (status = 200, description = "One Organization per line, oldest first", content_type = "application/fhir+ndjson", body = String),
        ExportAnswers, FhirErrors,
    ),
    security(("bearer" = [])),
)]
pub async fn organizations(
    golden: web::Data<Golden>,
    caller: Result<Caller, ApiError>,
    req: HttpRequest,
) -> Result<HttpResponse, FhirError> {
    export(golden, caller, req, ResourceType::Organization).await
}

/// `GET /v1/fhir/Location?_format=ndjson`: every active location as a `Location`, one per
/// line, streamed.
#[utoipa::path(get, path = "/v1/fhir/Location", operation_id = "export_fhir_locations", tag = "fhir",
    params(ExportQuery),
    responses(
        (status = 200, description = "One Location per line, oldest first", content_type = "application/fhir+ndjson", body = String),
        ExportAnswers, FhirErrors,
    ),
    security(("bearer" = [])),
)]
pub async fn locations(
    golden: web::Data<Golden>,
    caller: Result<Caller, ApiError>,
    req: HttpRequest,
) -> Result<HttpResponse, FhirError> {
    export(golden, caller, req, ResourceType::Location).await
}

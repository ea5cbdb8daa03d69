//! Read-only numbers for the steward console: the declared domains and the dashboard's
//! aggregates.

use actix_web::{HttpResponse, web};
use serde::Serialize;
use utoipa::ToSchema;

use super::auth::Caller;
use super::error::{ApiError, blocking};
use super::lookups::require_read;
use super::masked::plain;
use super::openapi::AuthErrors;
use crate::normalize::FieldType;
use crate::service::Golden;
use crate::service::models::ModelInfo;
use crate::service::stats::Stats;

/// One declared field of a domain.
#[derive(Serialize, ToSchema)]
pub struct FieldInfo<'a> {
    name: &'a str,
    #[serde(rename = "type")]
    field_type: FieldType,
    required: bool,
    /// Whether the field's values are masked for callers without the `sensitive` role.
    sensitive: bool,
    survivorship: &'static str,
}

/// One domain as its rule file declares it.
#[derive(Serialize, ToSchema)]
pub struct DomainInfo<'a> {
    name: &'a str,
    label: &'a str,
    id_prefix: &'a str,
    fields: Vec<FieldInfo<'a>>,
    /// The fields a queue row shows of each side; the first is the display name.
    key_fields: &'a [String],
    /// The active match model; `null` while matching uses the rule file's declared weights.
    model: Option<ModelInfo>,
}

/// The declared domains.
#[derive(Serialize, ToSchema)]
pub struct DomainList<'a> {
    domains: Vec<DomainInfo<'a>>,
}

/// The domains' declarations: field names and settings, no values.
impl super::masked::NoFieldValues for DomainList<'_> {}

/// `GET /v1/domains`: every domain the rule files declare, with its fields.
#[utoipa::path(get, path = "/v1/domains", operation_id = "list_domains", tag = "operations",
    responses(
        (status = 200, description = "The domains with their fields", body = DomainList),
        AuthErrors,
    ),
    security(("bearer" = [])),
)]
pub async fn domains(golden: web::Data<Golden>, caller: Caller) -> Result<HttpResponse, ApiError> {
    require_read(&golden, &caller, "list_domains", None).await?;
    let domains: Vec<DomainInfo<'_>> = golden
        .rules
        .domains()
        .map(|d| DomainInfo {
            name: &d.name,
            label: &d.label,
            id_prefix: &d.id_prefix,
            fields: d
                .fields
                .iter()
                .map(|f| FieldInfo {
                    name: &f.name,
                    field_type: f.field_type,
                    required: f.required,
                    sensitive: f.sensitive,
                    survivorship: f.survivorship.as_str(),
                })
                .collect(),
            key_fields: &d.key_fields,
            model: golden.active_model(&d.name),
        })
        .collect();
    Ok(plain(HttpResponse::Ok(), DomainList { domains }))
}

/// `GET /v1/stats`: open proposals per domain with the oldest one's age, and the auto-link
/// and review rates of every source system.
#[utoipa::path(get, path = "/v1/stats", operation_id = "get_stats", tag = "operations",
    responses(
        (status = 200, description = "The review backlog and decision rates", body = Stats),
        AuthErrors,
    ),
    security(("bearer" = [])),
)]
pub async fn stats(golden: web::Data<Golden>, caller: Caller) -> Result<HttpResponse, ApiError> {
    require_read(&golden, &caller, "read_stats", None).await?;
    let service = golden.clone();
    let stats = blocking(move || service.stats()).await?;
    Ok(plain(HttpResponse::Ok(), stats))
}

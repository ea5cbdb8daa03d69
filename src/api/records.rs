//! Source records: ingest, read with history, retire.

use std::collections::BTreeSet;

use actix_web::{HttpResponse, web};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::auth::{Attempt, Caller};
use super::error::{ApiError, blocking};
use super::masked::{NoFieldValues, plain, reply};
use super::openapi::{AuthErrors, BadRequest, BodyErrors, NotFound, RecordBatch};
use crate::auth::{Permission, Role};
use crate::model::{Decision, FieldError, RecordInput};
use crate::service::Golden;
use crate::service::ingest::parse_batch;
use crate::service::views::{RecordResult, RecordView};

/// How many records of a batch ended which way.
#[derive(Serialize, Default, ToSchema)]
pub struct Summary {
    received: usize,
    new: usize,
    auto_linked: usize,
    proposed: usize,
    updated: usize,
    unchanged: usize,
    rejected: usize,
}

impl Summary {
    fn of(results: &[RecordResult]) -> Self {
        let mut summary = Self {
            received: results.len(),
            ..Self::default()
        };
        for result in results {
            let count = match result.decision {
                Decision::New => &mut summary.new,
                Decision::AutoLinked => &mut summary.auto_linked,
                Decision::Proposed => &mut summary.proposed,
                Decision::Updated => &mut summary.updated,
                Decision::Unchanged => &mut summary.unchanged,
                Decision::Rejected => &mut summary.rejected,
            };
            *count += 1;
        }
        summary
    }
}

/// A result per record, in request order, and the counts.
#[derive(Serialize, ToSchema)]
pub struct IngestAnswer {
    results: Vec<RecordResult>,
    summary: Summary,
}

/// Results name records by their keys; a rejected record's errors are about the values the
/// caller itself sent.
impl NoFieldValues for IngestAnswer {}

/// `POST /v1/{domain}/records`: one record or an array. Answers 200 with a result per record,
/// or 422 when every record was rejected. A record of a source system the token may not write
/// for is rejected as `forbidden` in its own result; when that is every record, or the token
/// lacks the ingest role, the answer is 403.
#[utoipa::path(post, path = "/v1/{domain}/records", operation_id = "ingest_records", tag = "records",
    params(("domain" = String, Path, description = "Domain name, e.g. `vendor`")),
    request_body = RecordBatch,
    responses(
        (status = 200, description = "Stored; a result per record", body = IngestAnswer),
        (status = 422, description = "Every record was rejected", body = IngestAnswer),
        BadRequest, AuthErrors, NotFound, BodyErrors,
    ),
    security(("bearer" = [])),
)]
pub async fn post(
    golden: web::Data<Golden>,
    caller: Caller,
    domain: web::Path<String>,
    body: web::Json<Value>,
) -> Result<HttpResponse, ApiError> {
    let domain = domain.into_inner();
    golden.domain(&domain)?;
    let inputs = parse_batch(body.into_inner())?;
    let allowed = authorize_batch(&golden, &caller, &domain, &inputs).await?;
    let service = golden.clone();
    let results = blocking(move || service.ingest_for(&domain, inputs, allowed.as_deref())).await?;
    let summary = Summary::of(&results);
    let response = if summary.rejected == summary.received && summary.received > 0 {
        HttpResponse::UnprocessableEntity()
    } else {
        HttpResponse::Ok()
    };
    Ok(plain(response, IngestAnswer { results, summary }))
}

/// The source systems the caller may write for (`None`: any). A caller without the ingest role,
/// or whose every record names a system it does not hold, is refused whole; otherwise each
/// refused system is audited once and its records are rejected one by one.
async fn authorize_batch(
    golden: &web::Data<Golden>,
    caller: &Caller,
    domain: &str,
    inputs: &[Result<RecordInput, Vec<FieldError>>],
) -> Result<Option<Vec<String>>, ApiError> {
    if caller.0.has(Role::Admin) {
        return Ok(None);
    }
    let refused: BTreeSet<&str> = inputs
        .iter()
        .filter_map(|i| i.as_ref().ok())
        .map(|i| i.source_system.trim())
        .filter(|system| {
            !caller.0.allows(Permission::Ingest {
                source_system: system,
            })
        })
        .collect();
    if !caller.0.has(Role::Ingest) {
        let system = refused.first().copied();
        let permission = Permission::Ingest {
            source_system: system.unwrap_or(""),
        };
        return Err(caller
            .refuse(golden, permission, attempt(domain, system))
            .await);
    }
    let mut reasons = Vec::new();
    for system in &refused {
        let permission = Permission::Ingest {
            source_system: system,
        };
        let refusal = caller
            .refuse(golden, permission, attempt(domain, Some(system)))
            .await;
        reasons.push(refusal.to_string());
    }
    let everything_refused = inputs.iter().all(|i| {
        i.as_ref()
            .is_ok_and(|i| refused.contains(i.source_system.trim()))
    });
    if everything_refused && !reasons.is_empty() {
        return Err(ApiError::Forbidden(reasons.join("; ")));
    }
    Ok(Some(caller.0.sources.clone()))
}

fn attempt<'a>(domain: &'a str, system: Option<&'a str>) -> Attempt<'a> {
    Attempt {
        action: "ingest",
        domain: Some(domain),
        entity_type: "source_system",
        entity_id: system,
    }
}

/// Who may read or retire a source record: readers, or the ingest token of its system.
async fn require_record_access(
    golden: &web::Data<Golden>,
    caller: &Caller,
    action: &str,
    domain: &str,
    system: &str,
) -> Result<(), ApiError> {
    let reading = action == "read_record";
    if reading && caller.0.allows(Permission::Read) {
        return Ok(());
    }
    caller
        .require(
            golden,
            Permission::Ingest {
                source_system: system,
            },
            Attempt {
                action,
                domain: Some(domain),
                entity_type: "source_record",
                entity_id: Some(system),
            },
        )
        .await
}

/// `GET /v1/{domain}/records/{source_system}/{source_id}`.
#[utoipa::path(get, path = "/v1/{domain}/records/{source_system}/{source_id}", operation_id = "get_source_record",
    tag = "records",
    params(
        ("domain" = String, Path, description = "Domain name, e.g. `vendor`"),
        ("source_system" = String, Path, description = "The source system"),
        ("source_id" = String, Path, description = "The record's ID in that system"),
    ),
    responses(
        (status = 200, description = "The record and its version history", body = RecordView),
        BadRequest, AuthErrors, NotFound,
    ),
    security(("bearer" = [])),
)]
pub async fn get(
    golden: web::Data<Golden>,
    caller: Caller,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (domain, system, id) = path.into_inner();
    golden.domain(&domain)?;
    require_record_access(&golden, &caller, "read_record", &domain, &system).await?;
    let service = golden.clone();
    let view = blocking(move || service.source_record(&domain, &system, &id)).await?;
    Ok(reply(HttpResponse::Ok(), &caller, &golden.rules, view))
}

/// `DELETE /v1/{domain}/records/{source_system}/{source_id}`: the source retired the record.
#[utoipa::path(delete, path = "/v1/{domain}/records/{source_system}/{source_id}", operation_id = "retire_source_record",
    tag = "records",
    params(
        ("domain" = String, Path, description = "Domain name, e.g. `vendor`"),
        ("source_system" = String, Path, description = "The source system"),
        ("source_id" = String, Path, description = "The record's ID in that system"),
    ),
    responses(
        (status = 200, description = "The retired record; its history is kept", body = RecordView),
        BadRequest, AuthErrors, NotFound,
    ),
    security(("bearer" = [])),
)]
pub async fn delete(
    golden: web::Data<Golden>,
    caller: Caller,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (domain, system, id) = path.into_inner();
    golden.domain(&domain)?;
    require_record_access(&golden, &caller, "retire_record", &domain, &system).await?;
    let service = golden.clone();
    let view = blocking(move || service.retire_record(&domain, &system, &id)).await?;
    Ok(reply(HttpResponse::Ok(), &caller, &golden.rules, view))
}

//! Source records: ingest, read with history, retire.

use std::collections::BTreeSet;

use actix_web::{HttpResponse, web};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::auth::{Attempt, Caller};
use super::error::{ApiError, blocking};
use super::openapi::{AuthErrors, BadRequest, BodyErrors, NotFound, RecordBatch};
use crate::auth::{Permission, Role};
use crate::model::Decision;
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

/// `POST /v1/{domain}/records`: one record or an array. Answers 200 with a result per record,
/// or 422 when every record was rejected.
#[utoipa::path(post, path = "/v1/{domain}/records", tag = "records",
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
    let systems: BTreeSet<String> = inputs
        .iter()
        .filter_map(|i| i.as_ref().ok())
        .map(|i| i.source_system.trim().to_owned())
        .collect();
    if systems.is_empty() && !caller.0.has(Role::Ingest) && !caller.0.has(Role::Admin) {
        caller
            .require(
                &golden,
                Permission::Ingest { source_system: "" },
                attempt(&domain, None),
            )
            .await?;
    }
    for system in &systems {
        caller
            .require(
                &golden,
                Permission::Ingest {
                    source_system: system,
                },
                attempt(&domain, Some(system)),
            )
            .await?;
    }
    let service = golden.clone();
    let results = blocking(move || service.ingest(&domain, inputs)).await?;
    let summary = Summary::of(&results);
    let mut response = if summary.rejected == summary.received && summary.received > 0 {
        HttpResponse::UnprocessableEntity()
    } else {
        HttpResponse::Ok()
    };
    Ok(response.json(IngestAnswer { results, summary }))
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
#[utoipa::path(get, path = "/v1/{domain}/records/{source_system}/{source_id}",
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
    Ok(HttpResponse::Ok().json(view))
}

/// `DELETE /v1/{domain}/records/{source_system}/{source_id}`: the source retired the record.
#[utoipa::path(delete, path = "/v1/{domain}/records/{source_system}/{source_id}",
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
    Ok(HttpResponse::Ok().json(view))
}

//! Bulk jobs over HTTP: upload a file, get a job ID at once, follow its progress, download its
//! rejects.

use std::io::Write;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::auth::{Attempt, Caller};
use super::error::{ApiError, ErrorBody, blocking};
use super::masked::{Masked, Masks, plain, reply};
use super::openapi::{AuthErrors, BadRequest, BodyErrors, NotFound, Unprocessable};
use super::params;
use crate::auth::{Permission, Role};
use crate::bulk::{Format, Mapping, RowReader};
use crate::service::bulk::{JobSpec, JobView, job_mode};
use crate::service::preview::PreviewReport;
use crate::service::rollback::{RollbackRequest, RollbackView};
use crate::service::{Golden, ServiceError};

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct JobQuery {
    /// Source system of every row; leave out when rows carry a `source_system` column.
    source: Option<String>,
    /// `csv` or `ndjson`; default from the Content-Type.
    format: Option<String>,
    /// Column mapping, `column=field[,column=field...]`.
    map: Option<String>,
    /// `load` (default) stores the rows; `profile` only reads them and keeps a per-column
    /// report on the job (nothing else is stored, no matching); `preview` decides every row
    /// as a load would and commits nothing but the report (see `POST /v1/jobs/{id}/commit`).
    mode: Option<String>,
}

/// `POST /v1/{domain}/jobs?source=SYS&format=csv|ndjson&map=col=field,...` with the file as
/// the body: stored as it streams in, checked, then loaded in the background. 202 with the job.
#[utoipa::path(post, path = "/v1/{domain}/jobs", operation_id = "create_job", tag = "jobs",
    params(("domain" = String, Path, description = "Domain name, e.g. `vendor`"), JobQuery),
    request_body(description = "The file: CSV with a header row, or NDJSON",
        content(
            (String = "text/csv"),
            (String = "application/x-ndjson"),
        )),
    responses(
        (status = 202, description = "The job, queued; `Location` names it", body = JobView,
         headers(("Location" = String, description = "The job's URL"))),
        (status = 413, description = "The file is larger than the limit (refused before it is read when `Content-Length` says so)", body = ErrorBody),
        (status = 429, description = "Too many uploads in progress for this token or the server; `Retry-After` says when to retry", body = ErrorBody),
        (status = 507, description = "Not enough free disk for the file", body = ErrorBody),
        BadRequest, AuthErrors, NotFound, Unprocessable,
    ),
    security(("bearer" = [])),
)]
pub async fn create(
    golden: web::Data<Golden>,
    caller: Caller,
    request: HttpRequest,
    domain: web::Path<String>,
    query: web::Query<JobQuery>,
    mut payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let domain = domain.into_inner();
    let domain_rules = golden.domain(&domain)?;
    let query = query.into_inner();
    // Without ?source=, any ingest token may start a job; each row is then checked against
    // the token's source systems.
    let rows_name_systems =
        query.source.is_none() && (caller.0.has(Role::Ingest) || caller.0.has(Role::Admin));
    if !rows_name_systems {
        caller
            .require(
                &golden,
                Permission::Ingest {
                    source_system: query.source.as_deref().unwrap_or(""),
                },
                Attempt {
                    action: "bulk_job",
                    domain: Some(&domain),
                    entity_type: "job",
                    entity_id: query.source.as_deref(),
                },
            )
            .await?;
    }
    // Refused before a byte of the body is read: a declared length over the limit, too many
    // uploads in flight, or a disk that cannot hold the file. The permit is held until the
    // file is stored.
    let _permit = golden.admit_upload(&caller.0.sub, declared_length(&request))?;
    let format = match (&query.format, content_type(&request)) {
        (Some(text), _) => Format::parse(text),
        (None, Some(ct)) if ct.contains("ndjson") || ct.contains("jsonl") => Ok(Format::Ndjson),
        (None, _) => Ok(Format::Csv),
    }
    .map_err(|e| ApiError::bad_request("invalid_query", e.to_string()))?;
    let pairs: Vec<String> = query
        .map
        .as_deref()
        .map(|m| m.split(',').map(str::to_owned).collect())
        .unwrap_or_default();
    let mapping = Mapping::parse(&pairs)
        .map_err(|e| ApiError::bad_request("invalid_query", e.to_string()))?;
    let mode = match query.mode.as_deref() {
        None | Some("load") => job_mode::LOAD,
        Some("profile") => job_mode::PROFILE,
        Some("preview") => job_mode::PREVIEW,
        Some(other) => {
            return Err(ApiError::bad_request(
                "invalid_query",
                format!("mode {other:?} must be load, profile or preview"),
            ));
        }
    };

    let dir = golden.settings.jobs_dir();
    let extension = if format == Format::Ndjson {
        "ndjson"
    } else {
        "csv"
    };
    let path = dir.join(format!("{}.{extension}", uuid::Uuid::new_v4().simple()));
    let limit = golden.settings.max_job_bytes;
    let size = match receive(&mut payload, &path, limit).await {
        Ok(size) => size,
        Err(e) => {
            discard(path).await;
            return Err(e);
        }
    };

    let allowed = if caller.0.has(Role::Admin) {
        None
    } else {
        Some(caller.0.sources.to_vec())
    };
    let spec = JobSpec {
        domain: domain_rules.name.clone(),
        source: query.source.clone(),
        origin: "http",
        input_name: request
            .headers()
            .get("X-File-Name")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("upload")
            .to_owned(),
        input_path: Some(path.display().to_string()),
        input_hash: None,
        bytes_total: Some(size),
        allowed_sources: allowed,
        mapping: mapping.clone(),
        created_by: caller.0.sub.clone(),
        mode,
        preview_of: None,
    };
    let service = golden.clone().into_inner();
    let checked = path.clone();
    let source = query.source.clone();
    let job = blocking(move || {
        // A header that lacks a required column is refused now, before anything is loaded.
        let file = std::fs::File::open(&checked)
            .map_err(|e| ServiceError::internal("cannot read the stored upload", e))?;
        RowReader::open(
            std::io::BufReader::new(file),
            format,
            mapping,
            source,
            &domain_rules,
        )
        .map_err(|e| crate::service::ServiceError::unprocessable(e.to_string()))?;
        let job = service.start_job(&spec)?;
        service.spawn_job(&job.id)?;
        Ok(job)
    })
    .await;
    match job {
        Ok(job) => {
            let mut accepted = HttpResponse::Accepted();
            accepted.insert_header((header::LOCATION, format!("/v1/jobs/{}", job.id)));
            Ok(reply(accepted, &caller, &golden.rules, job))
        }
        Err(e) => {
            discard(path).await;
            Err(e)
        }
    }
}

fn content_type(request: &HttpRequest) -> Option<String> {
    request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_ascii_lowercase)
}

/// The body's `Content-Length`, when the request declares one.
fn declared_length(request: &HttpRequest) -> Option<u64> {
    request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
}

/// A failed write of the upload: a full disk is the client's to hear about (507).
fn store_error(e: std::io::Error) -> ServiceError {
    if e.kind() == std::io::ErrorKind::StorageFull {
        return ServiceError::InsufficientStorage(
            "the disk filled up while storing the upload".into(),
        );
    }
    ServiceError::internal("cannot store the upload", e)
}

/// Bytes of the body gathered before they are written out: one blocking write per this
/// many, so the file's I/O stays off the async workers without a thread hop per chunk.
const WRITE_BYTES: usize = 1 << 20;

/// Streams the body to `path`, refusing it once it passes `limit` bytes. The body is read on
/// the async worker; every write, and the syncs, run on blocking threads.
async fn receive(
    payload: &mut web::Payload,
    path: &std::path::Path,
    limit: u64,
) -> Result<u64, ApiError> {
    let target = path.to_owned();
    let mut file = blocking(move || {
        if let Some(dir) = target.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| ServiceError::internal("cannot create the jobs directory", e))?;
        }
        std::fs::File::create(&target).map_err(store_error)
    })
    .await?;
    let mut buffer = Vec::with_capacity(WRITE_BYTES);
    let mut size = 0u64;
    while let Some(chunk) = payload.next().await {
        let chunk = chunk
            .map_err(|e| ApiError::bad_request("bad_body", format!("the upload broke off: {e}")))?;
        size += chunk.len() as u64;
        if size > limit {
            return Err(ApiError::PayloadTooLarge(format!(
                "the file is larger than the limit of {limit} bytes"
            )));
        }
        buffer.extend_from_slice(&chunk);
        if buffer.len() >= WRITE_BYTES {
            (file, buffer) = write_out(file, buffer).await?;
        }
    }
    let (file, buffer) = write_out(file, buffer).await?;
    drop(buffer);
    // The job row that names this file commits next, and a job may resume from the file
    // after a crash: its bytes and its directory entry reach the disk first.
    let dir = path.parent().map(std::path::Path::to_owned);
    blocking(move || {
        file.sync_all()
            .and_then(|()| match dir {
                Some(dir) => std::fs::File::open(dir)?.sync_all(),
                None => Ok(()),
            })
            .map_err(store_error)
    })
    .await?;
    if size == 0 {
        return Err(ApiError::bad_request("empty_body", "the upload is empty"));
    }
    Ok(size)
}

/// Appends `buffer` to `file` on a blocking thread; hands both back, the buffer emptied.
async fn write_out(
    mut file: std::fs::File,
    mut buffer: Vec<u8>,
) -> Result<(std::fs::File, Vec<u8>), ApiError> {
    if buffer.is_empty() {
        return Ok((file, buffer));
    }
    blocking(move || {
        file.write_all(&buffer).map_err(store_error)?;
        buffer.clear();
        Ok((file, buffer))
    })
    .await
}

/// Removes an upload that will not become a job, off the async workers.
async fn discard(path: std::path::PathBuf) {
    let removed = web::block(move || std::fs::remove_file(path)).await;
    if let Ok(Err(e)) = removed
        && e.kind() != std::io::ErrorKind::NotFound
    {
        tracing::warn!(error = %e, "cannot remove a refused upload");
    }
}

async fn require_read(
    golden: &web::Data<Golden>,
    caller: &Caller,
    id: Option<&str>,
) -> Result<(), ApiError> {
    caller
        .require(
            golden,
            Permission::Read,
            Attempt {
                action: "read_job",
                domain: None,
                entity_type: "job",
                entity_id: id,
            },
        )
        .await
}

/// `GET /v1/jobs/{id}`: progress and, once finished, the summary.
#[utoipa::path(get, path = "/v1/jobs/{id}", operation_id = "get_job", tag = "jobs", params(("id" = String, Path, description = "Job ID")),
    responses(
        (status = 200, description = "The job's progress and summary", body = JobView),
        AuthErrors, NotFound,
    ),
    security(("bearer" = [])),
)]
pub async fn get(
    golden: web::Data<Golden>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    require_read(&golden, &caller, Some(&id)).await?;
    let service = golden.clone();
    let job = blocking(move || service.job(&id)).await?;
    Ok(reply(HttpResponse::Ok(), &caller, &golden.rules, job))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// At most this many jobs (1-500).
    #[serde(default = "default_limit", deserialize_with = "params::limit")]
    limit: i64,
}

fn default_limit() -> i64 {
    20
}

/// Most jobs one listing may hold.
const MAX_JOBS_PAGE: i64 = 500;

/// The newest jobs first.
#[derive(Serialize, ToSchema)]
pub struct JobList {
    jobs: Vec<JobView>,
}

impl Masked for JobList {
    fn mask(&mut self, masks: &Masks<'_>) {
        self.jobs.mask(masks);
    }
}

/// `GET /v1/jobs?limit=N`: the newest jobs.
#[utoipa::path(get, path = "/v1/jobs", operation_id = "list_jobs", tag = "jobs", params(ListQuery),
    responses(
        (status = 200, description = "The newest jobs", body = JobList),
        BadRequest, AuthErrors,
    ),
    security(("bearer" = [])),
)]
pub async fn list(
    golden: web::Data<Golden>,
    caller: Caller,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    require_read(&golden, &caller, None).await?;
    let service = golden.clone();
    let limit = params::page_size(query.limit, MAX_JOBS_PAGE)?;
    let jobs = blocking(move || service.recent_jobs(limit)).await?;
    Ok(reply(
        HttpResponse::Ok(),
        &caller,
        &golden.rules,
        JobList { jobs },
    ))
}

/// `GET /v1/jobs/{id}/rejects`: CSV `line,reason,raw`, in line order.
#[utoipa::path(get, path = "/v1/jobs/{id}/rejects", operation_id = "get_job_rejects", tag = "jobs", params(("id" = String, Path, description = "Job ID")),
    responses(
        (status = 200, description = "CSV `line,reason,raw`", body = String,
         content_type = "text/csv"),
        AuthErrors, NotFound,
    ),
    security(("bearer" = [])),
)]
pub async fn rejects(
    golden: web::Data<Golden>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    require_read(&golden, &caller, Some(&id)).await?;
    let service = golden.clone();
    let unmasked = caller.0.sees_sensitive();
    let body = blocking(move || {
        let mut body = Vec::new();
        service.write_rejects(&id, &mut body, unmasked)?;
        Ok(body)
    })
    .await?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .body(body))
}

/// `POST /v1/jobs/{id}/rollback` with `{"comment"}`: undoes a load job (steward or admin).
/// 409 with the list of later steward decisions that stop it; asked again, answers with the
/// first rollback's result.
#[utoipa::path(post, path = "/v1/jobs/{id}/rollback", operation_id = "rollback_job", tag = "jobs",
    params(("id" = String, Path, description = "Job ID")),
    request_body = RollbackRequest,
    responses(
        (status = 200, description = "What the rollback did (the first rollback's result when asked again)", body = RollbackView),
        (status = 409, description = "Later steward decisions on the job's records stop the rollback (`rollback_conflict`, each listed in `conflicts`), or the job is still running or only profiled", body = ErrorBody),
        BadRequest, AuthErrors, NotFound, BodyErrors,
    ),
    security(("bearer" = [])),
)]
pub async fn rollback(
    golden: web::Data<Golden>,
    caller: Caller,
    id: web::Path<String>,
    body: web::Json<RollbackRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    caller
        .require(
            &golden,
            Permission::Steward,
            Attempt {
                action: "rollback_job",
                domain: None,
                entity_type: "job",
                entity_id: Some(&id),
            },
        )
        .await?;
    let actor = super::stewardship::actor(&caller);
    let service = golden.clone();
    let comment = body.into_inner().comment;
    let view = blocking(move || service.rollback_job(&id, &comment, &actor)).await?;
    Ok(plain(HttpResponse::Ok(), view))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PreviewQuery {
    /// `json` (default): the report; `csv`: every row's decision, riskiest first.
    format: Option<String>,
}

/// `GET /v1/jobs/{id}/preview?format=json|csv`: a preview's report, or every row's decision
/// as CSV `line,source_system,source_id,decision,target,score,risk,risks,detail`, riskiest
/// first.
#[utoipa::path(get, path = "/v1/jobs/{id}/preview", operation_id = "get_job_preview", tag = "jobs",
    params(("id" = String, Path, description = "Job ID"), PreviewQuery),
    responses(
        (status = 200, description = "The preview's report (JSON), or its rows (CSV)", body = PreviewReport,
         content(
             (PreviewReport = "application/json"),
             (String = "text/csv"),
         )),
        (status = 409, description = "The job is not a preview, or it has not finished", body = ErrorBody),
        BadRequest, AuthErrors, NotFound,
    ),
    security(("bearer" = [])),
)]
pub async fn preview(
    golden: web::Data<Golden>,
    caller: Caller,
    id: web::Path<String>,
    query: web::Query<PreviewQuery>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    require_read(&golden, &caller, Some(&id)).await?;
    let csv = match query.format.as_deref() {
        None | Some("json") => false,
        Some("csv") => true,
        Some(other) => {
            return Err(ApiError::bad_request(
                "invalid_query",
                format!("format {other:?} must be json or csv"),
            ));
        }
    };
    let service = golden.clone();
    if csv {
        let masks = Masks::for_caller(&caller, &golden.rules);
        let job = {
            let (service, id) = (golden.clone(), id.clone());
            blocking(move || service.preview_job(&id)).await?
        };
        let mask = masks.domain(Some(&job.domain));
        let body = blocking(move || {
            let mut body = Vec::new();
            service.write_preview_csv(&id, &mask, &mut body)?;
            Ok(body)
        })
        .await?;
        return Ok(HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .body(body));
    }
    let report = {
        let id = id.clone();
        blocking(move || service.preview_report(&id)).await?
    };
    let domain = blocking({
        let service = golden.clone();
        move || service.preview_job(&id)
    })
    .await?
    .domain;
    Ok(reply(
        HttpResponse::Ok(),
        &caller,
        &golden.rules,
        super::masked::OfDomain {
            domain: &domain,
            body: report,
        },
    ))
}

/// `POST /v1/jobs/{id}/commit`: loads a finished preview's file as previewed. The new load
/// job names the preview (`preview_of`) and, once finished, says in `commit` how many rows
/// were decided differently because the store changed since the preview. 202 with the job.
#[utoipa::path(post, path = "/v1/jobs/{id}/commit", operation_id = "commit_job_preview", tag = "jobs",
    params(("id" = String, Path, description = "The preview job's ID")),
    responses(
        (status = 202, description = "The load job, queued; `Location` names it", body = JobView,
         headers(("Location" = String, description = "The load job's URL"))),
        (status = 409, description = "The job is not a finished preview, it was already committed, or its file is gone or changed", body = ErrorBody),
        AuthErrors, NotFound,
    ),
    security(("bearer" = [])),
)]
pub async fn commit(
    golden: web::Data<Golden>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let service = golden.clone();
    let lookup = id.clone();
    let preview = blocking(move || service.preview_job(&lookup)).await?;
    if preview.source_system.is_some() || !(caller.0.has(Role::Ingest) || caller.0.has(Role::Admin))
    {
        caller
            .require(
                &golden,
                Permission::Ingest {
                    source_system: preview.source_system.as_deref().unwrap_or(""),
                },
                Attempt {
                    action: "commit_preview",
                    domain: Some(&preview.domain),
                    entity_type: "job",
                    entity_id: Some(&id),
                },
            )
            .await?;
    }
    let allowed = if caller.0.has(Role::Admin) {
        None
    } else {
        Some(caller.0.sources.to_vec())
    };
    let service = golden.clone().into_inner();
    let sub = caller.0.sub.clone();
    let job = blocking(move || service.commit_preview(&id, &sub, allowed)).await?;
    let mut accepted = HttpResponse::Accepted();
    accepted.insert_header((header::LOCATION, format!("/v1/jobs/{}", job.id)));
    Ok(reply(accepted, &caller, &golden.rules, job))
}

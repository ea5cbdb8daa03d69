//! Read-only lookups: golden records, the crosswalk, the change feed.

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::auth::{Attempt, Caller};
use super::error::{ApiError, blocking};
use crate::auth::Permission;
use crate::service::Golden;
use crate::service::events::MAX_PAGE;

async fn require_read(
    golden: &web::Data<Golden>,
    caller: &Caller,
    action: &str,
    domain: Option<&str>,
) -> Result<(), ApiError> {
    caller
        .require(
            golden,
            Permission::Read,
            Attempt {
                action,
                domain,
                entity_type: "read",
                entity_id: None,
            },
        )
        .await
}

/// `GET /v1/{domain}/golden/{golden_id}`.
pub async fn golden_record(
    golden: web::Data<Golden>,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (domain, id) = path.into_inner();
    golden.domain(&domain)?;
    require_read(&golden, &caller, "read_golden", Some(&domain)).await?;
    let service = golden.clone();
    let view = blocking(move || service.golden_record(&domain, &id)).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// `GET /v1/crosswalk/{domain}/{source_system}/{source_id}`.
pub async fn crosswalk(
    golden: web::Data<Golden>,
    caller: Caller,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (domain, system, id) = path.into_inner();
    golden.domain(&domain)?;
    require_read(&golden, &caller, "crosswalk", Some(&domain)).await?;
    let service = golden.clone();
    let entry = blocking(move || service.crosswalk(&domain, &system, &id)).await?;
    Ok(HttpResponse::Ok().json(entry))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventsQuery {
    #[serde(default)]
    after: i64,
    #[serde(default = "default_limit")]
    limit: i64,
    domain: Option<String>,
}

fn default_limit() -> i64 {
    100
}

/// `GET /v1/events?after=SEQ&limit=N&domain=D`: the change feed, oldest first.
pub async fn events(
    golden: web::Data<Golden>,
    caller: Caller,
    query: web::Query<EventsQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    if !(1..=MAX_PAGE).contains(&query.limit) {
        return Err(ApiError::bad_request(
            "invalid_query",
            format!("limit must be between 1 and {MAX_PAGE}"),
        ));
    }
    require_read(&golden, &caller, "events", query.domain.as_deref()).await?;
    let service = golden.clone();
    let events =
        blocking(move || service.events(query.after, query.limit, query.domain.as_deref())).await?;
    let next_after = events.last().map_or(query.after, |e| e.seq);
    Ok(HttpResponse::Ok().json(serde_json::json!({ "events": events, "next_after": next_after })))
}

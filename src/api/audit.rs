//! The audit log, for stewards and admins.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::auth::{Attempt, Caller};
use super::error::{ApiError, blocking};
use super::masked::reply;
use super::openapi::{AuthErrors, BadRequest};
use super::params;
use crate::auth::Permission;
use crate::service::Golden;
use crate::service::audit::{AuditFilter, MAX_AUDIT_PAGE};
use crate::service::views::AuditPage;

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    entity_type: Option<String>,
    entity_id: Option<String>,
    actor: Option<String>,
    action: Option<String>,
    /// `denied` keeps only refused requests (401 and 403); `ok` only actions carried out.
    #[param(inline)]
    outcome: Option<AuditOutcome>,
    /// Only entries about this golden record: its own curation (split, merge, override) and
    /// the decisions on every proposal that paired it with another record.
    golden_id: Option<String>,
    /// Entries older than this entry ID (the previous page's `next_before`).
    #[serde(default, deserialize_with = "params::before")]
    before: Option<i64>,
    /// Page size (1-500).
    #[serde(default = "default_limit", deserialize_with = "params::limit")]
    limit: i64,
}

/// What became of an audited action.
#[derive(Deserialize, ToSchema, Clone, Copy)]
#[serde(rename_all = "snake_case")]
pub enum AuditOutcome {
    /// Carried out.
    Ok,
    /// Refused: a missing or bad token, or a missing permission.
    Denied,
}

impl AuditOutcome {
    fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Denied => "denied",
        }
    }
}

fn default_limit() -> i64 {
    100
}

/// An empty filter parameter (`?actor=`) means no filter.
fn given(value: &Option<String>) -> Option<&str> {
    value.as_deref().filter(|v| !v.is_empty())
}

/// `GET /v1/audit?entity_type=&entity_id=&actor=&action=&outcome=&golden_id=&before=ID&limit=N`:
/// newest first.
#[utoipa::path(get, path = "/v1/audit", operation_id = "list_audit_entries", tag = "feed", params(AuditQuery),
    responses(
        (status = 200, description = "Audit entries, newest first", body = AuditPage),
        BadRequest, AuthErrors,
    ),
    security(("bearer" = [])),
)]
pub async fn list(
    golden: web::Data<Golden>,
    caller: Caller,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, ApiError> {
    caller
        .require(
            &golden,
            Permission::Steward,
            Attempt {
                action: "read_audit",
                domain: None,
                entity_type: "audit_log",
                entity_id: None,
            },
        )
        .await?;
    let query = query.into_inner();
    if !(1..=MAX_AUDIT_PAGE).contains(&query.limit) {
        return Err(ApiError::bad_request(
            "invalid_query",
            format!("limit must be between 1 and {MAX_AUDIT_PAGE}"),
        ));
    }
    let service = golden.clone();
    let page = blocking(move || {
        let filter = AuditFilter {
            entity_type: given(&query.entity_type),
            entity_id: given(&query.entity_id),
            actor: given(&query.actor),
            action: given(&query.action),
            outcome: query.outcome.map(AuditOutcome::as_str),
            before: query.before,
            about_golden: None,
        };
        service.audit_log(&filter, given(&query.golden_id), query.limit)
    })
    .await?;
    Ok(reply(HttpResponse::Ok(), &caller, &golden.rules, page))
}

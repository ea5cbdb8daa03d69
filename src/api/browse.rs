//! `GET /v1/{domain}/golden`: search with `q`, or browse with filters and cursors without it;
//! and the export of golden records. The query string is read as pairs because field
//! filters (`field.city=Denver`) are named by the domain's rule file, not by this code.

use std::collections::BTreeMap;

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use futures_util::stream;
use serde::Serialize;
use utoipa::{IntoParams, ToSchema};

use super::auth::{Attempt, Caller};
use super::crosswalk::parse_as_of;
use super::error::{ApiError, blocking};
use super::masked::{FieldsOf, Masks, OfDomain, reply};
use super::openapi::{AuthErrors, BadRequest, NotFound};
use super::params;
use crate::auth::Permission;
use crate::rules::Domain;
use crate::service::Golden;
use crate::service::browse::{self, BrowsePage, BrowseQuery, parse_order};
use crate::service::export::CrosswalkFormat;
use crate::service::search::SearchHit;

/// The query parameters, for the description: the handler reads the pairs itself. Any
/// declared field filters as `field.NAME=VALUE`, compared after standardization.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct ListParams {
    /// Free text: a name, an identifier, a phone number ... Searches instead of browsing
    /// and takes only `limit` besides.
    q: Option<String>,
    /// Page size: 1-100 when searching (default 20), 1-500 when browsing (default 50).
    limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    cursor: Option<String>,
    /// `updated_desc` (default), `updated_asc`, `created_desc` or `created_asc`.
    sort: Option<String>,
    /// Only records with at least this many active source records.
    min_members: Option<i64>,
    /// Only records with at most this many active source records.
    max_members: Option<i64>,
    /// Only records with an active source record from this system.
    source_system: Option<String>,
    /// Only records updated at or after this RFC 3339 time.
    updated_after: Option<DateTime<Utc>>,
    /// Only records updated at or before this RFC 3339 time.
    updated_before: Option<DateTime<Utc>>,
}

/// Export parameters besides the filters of [`ListParams`] (`field.NAME=VALUE` too).
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct ExportParams {
    /// `ndjson` (default; with lineage) or `csv` (one column per declared field).
    #[param(inline)]
    format: Option<CrosswalkFormat>,
    sort: Option<String>,
    min_members: Option<i64>,
    max_members: Option<i64>,
    source_system: Option<String>,
    updated_after: Option<DateTime<Utc>>,
    updated_before: Option<DateTime<Utc>>,
}

/// Search hits, best first.
#[derive(Serialize, ToSchema)]
pub struct SearchResults {
    results: Vec<SearchHit>,
}

impl FieldsOf for SearchResults {
    fn mask_fields(&mut self, mask: &crate::masking::Mask) {
        self.results.mask_fields(mask);
    }
}

/// With `q`, search hits; without, one page of the listing.
#[derive(ToSchema)]
#[serde(untagged)]
#[allow(dead_code)]
pub enum Listing {
    Search(SearchResults),
    Browse(BrowsePage),
}

/// Most hits one search answers.
const MAX_SEARCH_HITS: i64 = crate::service::search::MAX_RESULTS as i64;

const FILTERS: [&str; 6] = [
    "sort",
    "min_members",
    "max_members",
    "source_system",
    "updated_after",
    "updated_before",
];

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::bad_request("invalid_query", message)
}

fn members(name: &str, raw: &str) -> Result<i64, ApiError> {
    match raw.trim().parse::<i64>() {
        Ok(n) if n >= 0 => Ok(n),
        _ => Err(invalid(format!(
            "{name} must be a non-negative integer, got {raw:?}"
        ))),
    }
}

/// `field.NAME` filters: the field's name and the value wanted.
type FieldFilters = Vec<(String, String)>;

/// The query string's pairs by name, each at most once, every name one of `allowed` or a
/// declared `field.NAME`.
fn by_name(
    domain: &Domain,
    pairs: Vec<(String, String)>,
    allowed: &[&str],
) -> Result<(BTreeMap<String, String>, FieldFilters), ApiError> {
    let (mut named, mut fields) = (BTreeMap::new(), Vec::new());
    for (key, value) in pairs {
        if let Some(field) = key.strip_prefix("field.") {
            if domain.field(field).is_none() {
                return Err(invalid(browse::unknown_field(domain, field).to_string()));
            }
            if fields.iter().any(|(f, _)| f == field) {
                return Err(invalid(format!("{key} is given twice")));
            }
            fields.push((field.to_owned(), value));
        } else if !allowed.contains(&key.as_str()) {
            return Err(invalid(format!(
                "unknown query parameter {key:?}: expected {} or field.NAME",
                allowed.join(", ")
            )));
        } else if named.insert(key.clone(), value).is_some() {
            return Err(invalid(format!("{key} is given twice")));
        }
    }
    Ok((named, fields))
}

/// The filters of a listing or export (its page size and cursor aside).
fn filters(
    mut named: BTreeMap<String, String>,
    fields: FieldFilters,
) -> Result<BrowseQuery, ApiError> {
    let mut take = |name: &str| named.remove(name);
    let count = |name: &str, raw: Option<String>| raw.map(|r| members(name, &r)).transpose();
    let time = |name: &str, raw: Option<String>| {
        parse_as_of(raw.as_deref(), "invalid_query").map_err(|_| {
            invalid(format!(
                "{name} must be an RFC 3339 timestamp such as 2026-01-31T09:30:00Z"
            ))
        })
    };
    Ok(BrowseQuery {
        fields,
        min_members: count("min_members", take("min_members"))?,
        max_members: count("max_members", take("max_members"))?,
        source_system: take("source_system"),
        updated_after: time("updated_after", take("updated_after"))?,
        updated_before: time("updated_before", take("updated_before"))?,
        sort: parse_order(take("sort").as_deref().unwrap_or("updated_desc"))?,
        cursor: take("cursor"),
        limit: match take("limit") {
            Some(raw) => params::page_size(limit(&raw)?, browse::MAX_PAGE)?,
            None => 50,
        },
    })
}

fn limit(raw: &str) -> Result<i64, ApiError> {
    raw.trim()
        .parse()
        .map_err(|_| invalid(format!("limit must be an integer, got {raw:?}")))
}

/// The page size of a search, which takes no other parameter besides `q`.
fn search_limit(
    named: &BTreeMap<String, String>,
    fields: &FieldFilters,
) -> Result<usize, ApiError> {
    let other = named.keys().find(|k| *k != "limit").cloned();
    if let Some(other) = other.or(fields.first().map(|(f, _)| format!("field.{f}"))) {
        return Err(invalid(format!(
            "{other} cannot be combined with q: search takes only limit; leave q out to browse"
        )));
    }
    let limit = match named.get("limit") {
        Some(raw) => params::page_size(limit(raw)?, MAX_SEARCH_HITS)?,
        None => 20,
    };
    Ok(limit as usize)
}

/// A filter on a sensitive field needs the `sensitive` role: a caller who sees its values
/// masked could otherwise find them out by trying values (403, audited).
async fn require_sensitive_filters(
    golden: &web::Data<Golden>,
    caller: &Caller,
    domain: &Domain,
    fields: &FieldFilters,
) -> Result<(), ApiError> {
    for (field, _) in fields.iter().filter(|(f, _)| domain.is_sensitive(f)) {
        let attempt = Attempt {
            action: "filter_sensitive",
            domain: Some(&domain.name),
            entity_type: "field",
            entity_id: Some(field),
        };
        caller
            .require(golden, Permission::Sensitive, attempt)
            .await
            .map_err(|_| {
                ApiError::Forbidden(format!(
                    "field.{field} filters on a sensitive field, which requires the sensitive role"
                ))
            })?;
    }
    Ok(())
}

fn read_attempt<'a>(action: &'a str, domain: &'a str) -> Attempt<'a> {
    Attempt {
        action,
        domain: Some(domain),
        entity_type: "golden",
        entity_id: None,
    }
}

/// `GET /v1/{domain}/golden?q=TEXT&limit=N` searches, best first; without `q`, lists the
/// active golden records, filtered (`field.NAME=VALUE`, `min_members`, `max_members`,
/// `source_system`, `updated_after`, `updated_before`), sorted and paged by cursor.
#[utoipa::path(get, path = "/v1/{domain}/golden", operation_id = "list_golden_records", tag = "golden",
    params(("domain" = String, Path, description = "Domain name, e.g. `vendor`"), ListParams),
    responses(
        (status = 200, description = "Search hits (with `q`) or one page of golden records",
         body = Listing),
        BadRequest, AuthErrors, NotFound,
    ),
    security(("bearer" = [])),
)]
pub async fn list(
    golden: web::Data<Golden>,
    caller: Caller,
    domain: web::Path<String>,
    query: web::Query<Vec<(String, String)>>,
) -> Result<HttpResponse, ApiError> {
    let rules = golden.domain(&domain)?;
    let domain = domain.into_inner();
    let mut allowed = vec!["q", "limit", "cursor"];
    allowed.extend(FILTERS);
    let (mut named, fields) = by_name(&rules, query.into_inner(), &allowed)?;
    let action = if named.contains_key("q") {
        "search"
    } else {
        "browse_golden"
    };
    caller
        .require(&golden, Permission::Read, read_attempt(action, &domain))
        .await?;
    require_sensitive_filters(&golden, &caller, &rules, &fields).await?;
    let service = golden.clone();
    if let Some(q) = named.remove("q") {
        let limit = search_limit(&named, &fields)?;
        let unmasked = caller.0.sees_sensitive();
        let hits = blocking(move || service.search(&domain, &q, limit, unmasked)).await?;
        let body = OfDomain {
            domain: &rules.name,
            body: SearchResults { results: hits },
        };
        return Ok(reply(HttpResponse::Ok(), &caller, &golden.rules, body));
    }
    let query = filters(named, fields)?;
    let page = blocking(move || service.browse_golden(&domain, &query, false)).await?;
    let body = OfDomain {
        domain: &rules.name,
        body: page,
    };
    Ok(reply(HttpResponse::Ok(), &caller, &golden.rules, body))
}

/// `GET /v1/{domain}/golden/export?format=csv|ndjson` with the listing's filters: every
/// matching golden record, streamed as it is read.
#[utoipa::path(get, path = "/v1/{domain}/golden/export", operation_id = "export_golden_records", tag = "golden",
    params(("domain" = String, Path, description = "Domain name, e.g. `vendor`"), ExportParams),
    responses(
        (status = 200, description = "The golden records, streamed: NDJSON lines are \
         `{golden_id, version, member_count, fields, lineage, created_at, updated_at}`; CSV \
         has those columns but lineage, then one column per declared field",
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
    query: web::Query<Vec<(String, String)>>,
) -> Result<HttpResponse, ApiError> {
    let rules = golden.domain(&domain)?;
    let domain = domain.into_inner();
    let mut allowed = vec!["format"];
    allowed.extend(FILTERS);
    let (mut named, fields) = by_name(&rules, query.into_inner(), &allowed)?;
    caller
        .require(
            &golden,
            Permission::Read,
            read_attempt("golden_export", &domain),
        )
        .await?;
    require_sensitive_filters(&golden, &caller, &rules, &fields).await?;
    let format = match named.remove("format").as_deref() {
        None | Some("ndjson") => CrosswalkFormat::Ndjson,
        Some("csv") => CrosswalkFormat::Csv,
        Some(other) => {
            return Err(invalid(format!(
                "format must be csv or ndjson, got {other:?}"
            )));
        }
    };
    let query = filters(named, fields)?;
    let mask = Masks::for_caller(&caller, &golden.rules).domain(Some(&domain));
    let chunks = golden.golden_export(&domain, query, format, mask)?;
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

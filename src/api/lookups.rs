//! Read-only lookups: golden records and the change feed (which can wait for news).

use std::time::{Duration, Instant};

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::auth::{Attempt, Caller};
use super::crosswalk::parse_as_of;
use super::error::{ApiError, blocking};
use super::masked::{Masked, Masks, reply};
use super::openapi::{AuthErrors, BadRequest, NotFound};
use super::params;
use crate::auth::Permission;
use crate::service::Golden;
use crate::service::events::MAX_PAGE;
use crate::service::views::{EventView, GoldenView};

/// Longest a change-feed request may wait for news.
const MAX_WAIT_SECONDS: i64 = 60;

/// Longest a waiting request trusts this process's commit notifications alone before reading
/// the feed again: other replicas' writes on a shared database are not announced here.
const REREAD_INTERVAL: Duration = Duration::from_secs(1);

pub(super) async fn require_read(
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

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct GoldenQuery {
    /// Show the record as it stood at this RFC 3339 moment.
    as_of: Option<String>,
}

/// `GET /v1/{domain}/golden/{golden_id}[?as_of=T]`.
#[utoipa::path(get, path = "/v1/{domain}/golden/{golden_id}", operation_id = "get_golden_record", tag = "golden",
    params(
        ("domain" = String, Path, description = "Domain name, e.g. `vendor`"),
        ("golden_id" = String, Path, description = "Golden ID; a retired one answers with its survivor"),
        GoldenQuery,
    ),
    responses(
        (status = 200, description = "Fields, lineage and members", body = GoldenView),
        BadRequest, AuthErrors, NotFound,
    ),
    security(("bearer" = [])),
)]
pub async fn golden_record(
    golden: web::Data<Golden>,
    caller: Caller,
    path: web::Path<(String, String)>,
    query: web::Query<GoldenQuery>,
) -> Result<HttpResponse, ApiError> {
    let (domain, id) = path.into_inner();
    golden.domain(&domain)?;
    require_read(&golden, &caller, "read_golden", Some(&domain)).await?;
    let as_of = parse_as_of(query.as_of.as_deref(), "invalid_query")?;
    let service = golden.clone();
    let view = blocking(move || match as_of {
        Some(as_of) => service.golden_record_at(&domain, &id, as_of),
        None => service.golden_record(&domain, &id),
    })
    .await?;
    Ok(reply(HttpResponse::Ok(), &caller, &golden.rules, view))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EventsQuery {
    /// Events after this sequence number.
    #[serde(default, deserialize_with = "params::after")]
    after: i64,
    /// At most this many events (1-1000).
    #[serde(default = "default_limit", deserialize_with = "params::limit")]
    limit: i64,
    /// Only events of this domain.
    domain: Option<String>,
    /// Seconds to wait for an event when there is none yet (0-60).
    #[serde(default, deserialize_with = "params::wait")]
    wait: i64,
}

fn default_limit() -> i64 {
    100
}

/// One page of the change feed; `next_after` continues it.
#[derive(Serialize, ToSchema)]
pub struct EventsPage {
    events: Vec<EventView>,
    next_after: i64,
}

impl Masked for EventsPage {
    fn mask(&mut self, masks: &Masks<'_>) {
        self.events.mask(masks);
    }
}

/// `GET /v1/events?after=SEQ&limit=N&domain=D&wait=SECONDS`: the change feed, oldest first.
/// With `wait`, an empty answer is held back until an event arrives or the wait ends.
#[utoipa::path(get, path = "/v1/events", operation_id = "list_events", tag = "feed", params(EventsQuery),
    responses(
        (status = 200, description = "Events, oldest first", body = EventsPage),
        BadRequest, AuthErrors, NotFound,
    ),
    security(("bearer" = [])),
)]
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
    if !(0..=MAX_WAIT_SECONDS).contains(&query.wait) {
        return Err(ApiError::bad_request(
            "invalid_query",
            format!("wait must be between 0 and {MAX_WAIT_SECONDS} seconds"),
        ));
    }
    require_read(&golden, &caller, "events", query.domain.as_deref()).await?;
    let deadline = Instant::now() + Duration::from_secs(query.wait.unsigned_abs());
    let events = wait_for_events(&golden, &query, deadline).await?;
    let next_after = events.last().map_or(query.after, |e| e.seq);
    let page = EventsPage { events, next_after };
    Ok(reply(HttpResponse::Ok(), &caller, &golden.rules, page))
}

/// Reads the feed until it has events for the query or `deadline` passes. Between reads it
/// waits for this process's next commit, but never longer than [`REREAD_INTERVAL`]; no
/// database connection is held while waiting.
async fn wait_for_events(
    golden: &web::Data<Golden>,
    query: &EventsQuery,
    deadline: Instant,
) -> Result<Vec<EventView>, ApiError> {
    // Subscribed before the first read, so a commit right after it still wakes us.
    let mut commits = golden.store.subscribe_seq();
    loop {
        let service = golden.clone();
        let (after, limit, domain) = (query.after, query.limit, query.domain.clone());
        let events = blocking(move || service.events(after, limit, domain.as_deref())).await?;
        let now = Instant::now();
        if !events.is_empty() || now >= deadline {
            return Ok(events);
        }
        let nap = (deadline - now).min(REREAD_INTERVAL);
        if let Ok(Err(_)) = tokio::time::timeout(nap, commits.changed()).await {
            // The store is going away: nothing more will be announced, so just pace the reads.
            tokio::time::sleep(nap).await;
        }
    }
}

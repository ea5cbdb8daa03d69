//! Endpoints for operators, outside `/v1` and without a token: readiness and metrics. They
//! reveal counts, sequence numbers and the names of domains and source systems, nothing of the
//! records themselves; expose them only where the scraper and the orchestrator reach.

use std::time::{Duration, Instant};

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{HttpResponse, web};

use super::error::{ApiError, ErrorBody, blocking};
use super::masked::plain;
use crate::metrics::IndexStatus;
use crate::service::Golden;

/// Longest a readiness probe waits for the database before answering 503.
const READY_TIMEOUT: Duration = Duration::from_secs(2);

/// Readiness: the database answers, and where the index stands.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Readiness {
    status: &'static str,
    database: &'static str,
    index: IndexStatus,
    /// Stored records being standardized again after the standardizers or a rule file
    /// changed (in the background; the service answers meanwhile).
    restandardize: crate::service::restandardize::RestandardizeStatus,
    /// Publishing the change feed to NATS JetStream, when `GOLDEN_NATS_URL` is set.
    #[serde(skip_serializing_if = "Option::is_none")]
    nats: Option<crate::service::outbox::OutboxStatus>,
}

impl super::masked::NoFieldValues for Readiness {}

/// `GET /readyz`: 200 with the index's position when the database answers, 503 otherwise.
#[utoipa::path(get, path = "/readyz", operation_id = "get_readiness", tag = "operations", responses(
    (status = 200, description = "The database answers", body = Readiness),
    (status = 503, description = "The database does not answer", body = ErrorBody),
))]
pub async fn readyz(golden: web::Data<Golden>) -> Result<HttpResponse, ApiError> {
    let service = golden.clone();
    let probe = blocking(move || {
        Ok::<_, crate::service::ServiceError>((service.index_status()?, service.outbox_status()?))
    });
    let (index, nats) = match tokio::time::timeout(READY_TIMEOUT, probe).await {
        Ok(Ok(status)) => status,
        Ok(Err(e)) => {
            tracing::warn!(error = %crate::service::error::chain(&e), "readiness: the database does not answer");
            return Err(ApiError::NotReady("the database does not answer".into()));
        }
        Err(_) => {
            return Err(ApiError::NotReady(
                "the database did not answer in time".into(),
            ));
        }
    };
    Ok(plain(
        HttpResponse::Ok(),
        Readiness {
            status: "ready",
            database: "ok",
            index,
            restandardize: golden.restandardize_status(),
            nats,
        },
    ))
}

/// `GET /metrics`: the Prometheus text format.
#[utoipa::path(get, path = "/metrics", operation_id = "get_metrics", tag = "operations", responses(
    (status = 200, description = "Prometheus text format", body = String,
     content_type = "text/plain"),
))]
pub async fn metrics(golden: web::Data<Golden>) -> Result<HttpResponse, ApiError> {
    let service = golden.clone();
    let text = blocking(move || service.render_metrics()).await?;
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(text))
}

/// Counts every request by its route pattern (`/v1/jobs/{id}`, never the raw path), method and
/// status, with its latency. Requests that match no route share the `unmatched` pattern.
pub async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let golden = req.app_data::<web::Data<Golden>>().cloned();
    let method = req.method().clone();
    let started = Instant::now();
    let response = match next.call(req).await {
        Ok(response) => response,
        Err(error) => {
            // An answer without its request (a panicked handler's): counted, route unknown.
            if let Some(golden) = golden {
                golden.metrics.observe_request(
                    "unmatched",
                    method.as_str(),
                    error.as_response_error().status_code().as_str(),
                    started.elapsed().as_secs_f64(),
                );
            }
            return Err(error);
        }
    };
    if let Some(golden) = golden {
        let pattern = response.request().match_pattern();
        golden.metrics.observe_request(
            pattern.as_deref().unwrap_or("unmatched"),
            response.request().method().as_str(),
            response.status().as_str(),
            started.elapsed().as_secs_f64(),
        );
    }
    Ok(response)
}

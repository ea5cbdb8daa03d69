//! The HTTP API: routes, extractors and the mapping of errors to responses. Handlers are thin:
//! authorize, parse, call one service function, shape the response.

mod audit;
mod auth;
mod browse;
mod claims;
mod crosswalk;
mod curation;
mod dashboard;
mod decisions;
pub mod error;
mod fhir;
mod jobs;
mod lookups;
pub mod masked;
mod models;
pub mod openapi;
mod ops;
mod panics;
mod params;
mod records;
pub mod request_id;
mod stewardship;
mod ui;
mod webhooks;

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpResponse, HttpServer, web};

use crate::auth::Authenticator;
use crate::service::Golden;
use error::{ApiError, json_error, path_error, query_error};

/// Registers every route; shared by the server and by tests.
pub fn configure(cfg: &mut web::ServiceConfig, max_body_bytes: usize) {
    cfg.app_data(
        web::JsonConfig::default()
            .limit(max_body_bytes)
            .error_handler(|err, _| json_error(err).into()),
    )
    .app_data(web::PayloadConfig::default().limit(max_body_bytes))
    .app_data(web::QueryConfig::default().error_handler(|err, _| query_error(err).into()))
    .app_data(web::PathConfig::default().error_handler(|err, _| path_error(err).into()))
    .route("/healthz", web::get().to(healthz))
    .route("/readyz", web::get().to(ops::readyz))
    .route("/metrics", web::get().to(ops::metrics))
    .route("/openapi.json", web::get().to(openapi::spec))
    .configure(ui::routes)
    .service(
        web::scope("/v1")
            .route("/events", web::get().to(lookups::events))
            .route("/domains", web::get().to(dashboard::domains))
            .route("/stats", web::get().to(dashboard::stats))
            .route("/audit", web::get().to(audit::list))
            .route("/jobs", web::get().to(jobs::list))
            .route("/jobs/{id}", web::get().to(jobs::get))
            .route("/jobs/{id}/rejects", web::get().to(jobs::rejects))
            .route("/jobs/{id}/preview", web::get().to(jobs::preview))
            .route("/jobs/{id}/commit", web::post().to(jobs::commit))
            // Before the `{domain}/...` patterns, which a webhook ID could otherwise match.
            .route("/webhooks", web::post().to(webhooks::create))
            .route("/webhooks", web::get().to(webhooks::list))
            .route("/webhooks/{id}", web::get().to(webhooks::get))
            .route("/webhooks/{id}", web::delete().to(webhooks::delete))
            .route(
                "/webhooks/{id}/dead-letters",
                web::get().to(webhooks::dead_letters),
            )
            .route(
                "/webhooks/{id}/dead-letters/replay",
                web::post().to(webhooks::replay_all),
            )
            .route(
                "/webhooks/{id}/dead-letters/{seq}/replay",
                web::post().to(webhooks::replay_one),
            )
            .route("/jobs/{id}/rollback", web::post().to(jobs::rollback))
            .route("/fhir/Organization", web::get().to(fhir::organizations))
            .route(
                "/fhir/Organization/{golden_id}",
                web::get().to(fhir::organization),
            )
            .route("/fhir/Location", web::get().to(fhir::locations))
            .route("/fhir/Location/{golden_id}", web::get().to(fhir::location))
            // The literal crosswalk paths come before every `{domain}/...` pattern.
            .route(
                "/crosswalk/{domain}/lookup",
                web::post().to(crosswalk::lookup),
            )
            .route(
                "/crosswalk/{domain}/export",
                web::get().to(crosswalk::export),
            )
            .route("/crosswalk/{domain}", web::get().to(crosswalk::reverse))
            .route(
                "/crosswalk/{domain}/{source_system}/{source_id}",
                web::get().to(crosswalk::get),
            )
            .route("/proposals/decide", web::post().to(decisions::decide))
            .route("/proposals/{id}", web::get().to(stewardship::get))
            .route(
                "/proposals/{id}/approve",
                web::post().to(stewardship::approve),
            )
            .route(
                "/proposals/{id}/reject",
                web::post().to(stewardship::reject),
            )
            .route("/proposals/{id}/claim", web::post().to(claims::claim))
            .route("/proposals/{id}/release", web::post().to(claims::release))
            .route("/{domain}/records", web::post().to(records::post))
            .route("/{domain}/jobs", web::post().to(jobs::create))
            .route("/{domain}/golden", web::get().to(browse::list))
            .route("/{domain}/golden/export", web::get().to(browse::export))
            .route("/{domain}/proposals", web::get().to(stewardship::list))
            .route("/{domain}/models", web::get().to(models::list))
            .route("/{domain}/models", web::post().to(models::import))
            .route(
                "/{domain}/models/estimate",
                web::post().to(models::estimate),
            )
            .route("/{domain}/models/{version}", web::get().to(models::export))
            .route(
                "/{domain}/models/{version}/activate",
                web::post().to(models::activate),
            )
            .route(
                "/{domain}/models/{version}/rematch",
                web::post().to(models::rematch),
            )
            .route(
                "/{domain}/records/{source_system}/{source_id}",
                web::get().to(records::get),
            )
            .route(
                "/{domain}/records/{source_system}/{source_id}",
                web::delete().to(records::delete),
            )
            .route(
                "/{domain}/golden/{golden_id}",
                web::get().to(lookups::golden_record),
            )
            .route(
                "/{domain}/golden/{golden_id}/merge",
                web::post().to(curation::merge),
            )
            .route(
                "/{domain}/golden/{golden_id}/split",
                web::post().to(curation::split),
            )
            .route(
                "/{domain}/golden/{golden_id}/override",
                web::post().to(curation::override_field),
            ),
    )
    .default_service(web::to(not_found));
}

/// Liveness: the process serves HTTP.
#[derive(serde::Serialize, utoipa::ToSchema)]
struct Health {
    status: &'static str,
    version: &'static str,
}

impl masked::NoFieldValues for Health {}

/// `GET /healthz`: liveness only; the database is not asked (see `/readyz`).
#[utoipa::path(get, path = "/healthz", operation_id = "get_health", tag = "operations",
    responses((status = 200, description = "The process is alive", body = Health)))]
async fn healthz() -> HttpResponse {
    masked::plain(
        HttpResponse::Ok(),
        Health {
            status: "ok",
            version: env!("CARGO_PKG_VERSION"),
        },
    )
}

async fn not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::NotFound("no such route".into()))
}

/// Builds the HTTP server on an already bound listener. Actix stops it gracefully on SIGTERM
/// and Ctrl-C, finishing requests in flight.
pub fn server(
    golden: Arc<Golden>,
    authenticator: Arc<Authenticator>,
    listener: TcpListener,
) -> std::io::Result<Server> {
    let max_body = golden.settings.max_body_bytes;
    match golden.resume_jobs() {
        Ok(0) => {}
        Ok(n) => tracing::info!(jobs = n, "resumed unfinished bulk jobs"),
        Err(e) => {
            tracing::error!(error = %crate::service::error::chain(&e), "cannot resume unfinished bulk jobs")
        }
    }
    if let Err(e) = golden.catch_up_crosswalk() {
        tracing::error!(error = %crate::service::error::chain(&e), "cannot load the crosswalk cache; lookups read the database");
    }
    actix_web::rt::spawn(crate::service::index_sync::run_background_sync(
        golden.clone(),
    ));
    actix_web::rt::spawn(crate::service::webhooks::delivery::run_deliveries(
        golden.clone(),
    ));
    if let Some(nats) = golden.settings.nats.clone() {
        actix_web::rt::spawn(crate::service::outbox::run_publisher(golden.clone(), nats));
    }
    let golden = web::Data::from(golden);
    let authenticator = web::Data::from(authenticator);
    let server = HttpServer::new(move || {
        App::new()
            .wrap(from_fn(panics::middleware))
            .wrap(from_fn(ops::observe))
            .wrap(from_fn(request_id::middleware))
            .app_data(golden.clone())
            .app_data(authenticator.clone())
            .configure(|cfg| configure(cfg, max_body))
    })
    .shutdown_timeout(20)
    .listen(listener)?
    .run();
    Ok(server)
}

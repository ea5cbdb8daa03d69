//! Webhook subscriptions and their dead letters over HTTP (admin only).

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use utoipa::IntoParams;

use super::auth::{Attempt, Caller};
use super::error::{ApiError, blocking};
use super::masked::plain;
use super::openapi::{AuthErrors, BadRequest, BodyErrors, NotFound, Unprocessable};
use super::params;
use super::stewardship::{actor, required_json};
use crate::auth::Permission;
use crate::service::Golden;
use crate::service::webhooks::{DeadLetterView, NewWebhook, ReplayView, WebhookView};

async fn require_admin(
    golden: &web::Data<Golden>,
    caller: &Caller,
    action: &str,
    id: Option<&str>,
) -> Result<(), ApiError> {
    let attempt = Attempt {
        action,
        domain: None,
        entity_type: "webhook",
        entity_id: id,
    };
    caller.require(golden, Permission::Admin, attempt).await
}

/// `POST /v1/webhooks`: registers a subscription (audited); it receives the events committed
/// from now on.
#[utoipa::path(post, path = "/v1/webhooks", operation_id = "create_webhook", tag = "webhooks",
    request_body = NewWebhook,
    responses(
        (status = 201, description = "The subscription; its secret is shown only by its last characters", body = WebhookView),
        BadRequest, AuthErrors, Unprocessable, BodyErrors,
    ),
    security(("bearer" = [])),
)]
pub async fn create(
    golden: web::Data<Golden>,
    caller: Caller,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    require_admin(&golden, &caller, "webhook.create", None).await?;
    let (new, actor) = (required_json::<NewWebhook>(&body)?, actor(&caller));
    let service = golden.clone();
    let view = blocking(move || service.create_webhook(new, &actor)).await?;
    Ok(plain(HttpResponse::Created(), view))
}

/// `GET /v1/webhooks`: every subscription, with where its deliveries stand.
#[utoipa::path(get, path = "/v1/webhooks", operation_id = "list_webhooks", tag = "webhooks",
    responses(
        (status = 200, description = "The subscriptions, oldest first", body = Vec<WebhookView>),
        AuthErrors,
    ),
    security(("bearer" = [])),
)]
pub async fn list(golden: web::Data<Golden>, caller: Caller) -> Result<HttpResponse, ApiError> {
    require_admin(&golden, &caller, "list_webhooks", None).await?;
    let service = golden.clone();
    let views = blocking(move || service.list_webhooks()).await?;
    Ok(plain(HttpResponse::Ok(), views))
}

/// `GET /v1/webhooks/{id}`: one subscription.
#[utoipa::path(get, path = "/v1/webhooks/{id}", operation_id = "get_webhook", tag = "webhooks",
    params(("id" = String, Path, description = "Webhook ID")),
    responses(
        (status = 200, description = "The subscription", body = WebhookView),
        BadRequest, AuthErrors, NotFound,
    ),
    security(("bearer" = [])),
)]
pub async fn get(
    golden: web::Data<Golden>,
    caller: Caller,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    require_admin(&golden, &caller, "get_webhook", Some(&id)).await?;
    let service = golden.clone();
    let view = blocking(move || service.webhook(&id)).await?;
    Ok(plain(HttpResponse::Ok(), view))
}

/// `DELETE /v1/webhooks/{id}`: removes a subscription and its dead letters (audited).
#[utoipa::path(delete, path = "/v1/webhooks/{id}", operation_id = "delete_webhook", tag = "webhooks",
    params(("id" = String, Path, description = "Webhook ID")),
    responses(
        (status = 204, description = "Removed; nothing more is delivered"),
        BadRequest, AuthErrors, NotFound,
    ),
    security(("bearer" = [])),
)]
pub async fn delete(
    golden: web::Data<Golden>,
    caller: Caller,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    require_admin(&golden, &caller, "webhook.delete", Some(&id)).await?;
    let (service, actor) = (golden.clone(), actor(&caller));
    blocking(move || service.delete_webhook(&id, &actor)).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DeadLetterQuery {
    /// Dead letters of events after this sequence number.
    #[serde(default, deserialize_with = "params::after")]
    after: i64,
    /// At most this many (1-1000).
    #[serde(default = "default_limit", deserialize_with = "params::limit")]
    limit: i64,
}

fn default_limit() -> i64 {
    100
}

/// `GET /v1/webhooks/{id}/dead-letters`: the events the subscription gave up on, oldest first.
#[utoipa::path(get, path = "/v1/webhooks/{id}/dead-letters", operation_id = "list_webhook_dead_letters", tag = "webhooks",
    params(("id" = String, Path, description = "Webhook ID"), DeadLetterQuery),
    responses(
        (status = 200, description = "The dead letters, in sequence order", body = Vec<DeadLetterView>),
        BadRequest, AuthErrors, NotFound,
    ),
    security(("bearer" = [])),
)]
pub async fn dead_letters(
    golden: web::Data<Golden>,
    caller: Caller,
    path: web::Path<String>,
    query: web::Query<DeadLetterQuery>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    require_admin(&golden, &caller, "list_webhook_dead_letters", Some(&id)).await?;
    let service = golden.clone();
    let (after, limit) = (query.after, query.limit);
    let views = blocking(move || service.dead_letters(&id, after, limit)).await?;
    Ok(plain(HttpResponse::Ok(), views))
}

/// `POST /v1/webhooks/{id}/dead-letters/replay`: sends every dead letter again, before the
/// subscription's next new event (audited).
#[utoipa::path(post, path = "/v1/webhooks/{id}/dead-letters/replay", operation_id = "replay_webhook_dead_letters", tag = "webhooks",
    params(("id" = String, Path, description = "Webhook ID")),
    responses(
        (status = 202, description = "The dead letters are queued for delivery", body = ReplayView),
        BadRequest, AuthErrors, NotFound,
    ),
    security(("bearer" = [])),
)]
pub async fn replay_all(
    golden: web::Data<Golden>,
    caller: Caller,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    require_admin(&golden, &caller, "webhook.replay", Some(&id)).await?;
    let (service, actor) = (golden.clone(), actor(&caller));
    let view = blocking(move || service.replay_dead_letters(&id, None, &actor)).await?;
    Ok(plain(HttpResponse::Accepted(), view))
}

/// `POST /v1/webhooks/{id}/dead-letters/{seq}/replay`: sends one dead letter again (audited).
#[utoipa::path(post, path = "/v1/webhooks/{id}/dead-letters/{seq}/replay", operation_id = "replay_webhook_dead_letter", tag = "webhooks",
    params(
        ("id" = String, Path, description = "Webhook ID"),
        ("seq" = i64, Path, description = "The dead letter's event sequence number"),
    ),
    responses(
        (status = 202, description = "The dead letter is queued for delivery", body = ReplayView),
        BadRequest, AuthErrors, NotFound,
    ),
    security(("bearer" = [])),
)]
pub async fn replay_one(
    golden: web::Data<Golden>,
    caller: Caller,
    path: web::Path<(String, i64)>,
) -> Result<HttpResponse, ApiError> {
    let (id, seq) = path.into_inner();
    require_admin(&golden, &caller, "webhook.replay", Some(&id)).await?;
    let (service, actor) = (golden.clone(), actor(&caller));
    let view = blocking(move || service.replay_dead_letters(&id, Some(seq), &actor)).await?;
    Ok(plain(HttpResponse::Accepted(), view))
}

//! The bearer-token extractor and the permission check every handler makes. Every refusal,
//! 401 or 403, is audited (within a per-caller budget) with its reason and request ID.

use std::future::{Ready, ready};

use actix_web::{FromRequest, HttpRequest, dev::Payload, http::header, web};
use futures_util::future::{Either, LocalBoxFuture};

use super::error::{ApiError, blocking};
use super::request_id;
use crate::auth::{AuthError, Authenticator, Claims, Permission, Role, claimed_subject};
use crate::service::audit::AuditEntry;
use crate::service::{Golden, ServiceError};

/// The verified caller of a request.
#[derive(Debug, Clone)]
pub struct Caller(pub Claims);

impl FromRequest for Caller {
    type Error = ApiError;
    type Future =
        Either<Ready<Result<Self, ApiError>>, LocalBoxFuture<'static, Result<Self, ApiError>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let Some(authenticator) = req.app_data::<web::Data<Authenticator>>() else {
            return Either::Left(ready(Err(ApiError::Unavailable)));
        };
        match authenticate(authenticator, req) {
            Ok(caller) => Either::Left(ready(Ok(caller))),
            Err(refused) => {
                let req = req.clone();
                Either::Right(Box::pin(async move {
                    audit_unauthenticated(&req, &refused).await;
                    Err(ApiError::Unauthorized(refused.error.to_string()))
                }))
            }
        }
    }
}

/// A token that was missing or not accepted, with the `sub` it claimed when it could be read.
struct Refused {
    error: AuthError,
    claimed_sub: Option<String>,
}

fn bearer(req: &HttpRequest) -> Option<&str> {
    req.headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|t| !t.is_empty())
}

fn authenticate(authenticator: &Authenticator, req: &HttpRequest) -> Result<Caller, Refused> {
    let Some(token) = bearer(req) else {
        return Err(Refused {
            error: AuthError::Missing,
            claimed_sub: None,
        });
    };
    authenticator
        .verify(token)
        .map(Caller)
        .map_err(|error| Refused {
            error,
            claimed_sub: claimed_subject(token),
        })
}

/// Audits a 401: the actor is the `sub` the token claims (not verified) or `anonymous`; the
/// caller whose budget it uses is that `sub`, or the peer address for a token without one.
async fn audit_unauthenticated(req: &HttpRequest, refused: &Refused) {
    let Some(golden) = req.app_data::<web::Data<Golden>>().cloned() else {
        return;
    };
    let code = refused.error.refusal().code();
    let peer = req
        .peer_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_else(|| "unknown".into());
    let (actor, caller, reason) = match &refused.claimed_sub {
        Some(sub) => (
            sub.clone(),
            sub.clone(),
            format!(
                "{code}: {}; sub claimed by the token, not verified",
                refused.error
            ),
        ),
        None => (
            "anonymous".to_owned(),
            format!("peer {peer}"),
            format!("{code}: {}", refused.error),
        ),
    };
    let entry = OwnedAttempt {
        actor,
        action: "authenticate".into(),
        domain: None,
        entity_type: "request".into(),
        entity_id: Some(format!("{} {}", req.method(), req.path())),
        request_id: request_id::current(),
        reason,
    };
    record(golden, entry, caller, code).await;
}

async fn record(
    golden: web::Data<Golden>,
    entry: OwnedAttempt,
    caller: String,
    code: &'static str,
) {
    if let Err(e) = blocking(move || golden.audit_denied(&entry.as_entry(), &caller, code)).await {
        tracing::warn!(error = %crate::service::error::chain(&e), "could not audit a refused request");
    }
}

/// What is being attempted, for the audit trail of refusals.
pub struct Attempt<'a> {
    pub action: &'a str,
    pub domain: Option<&'a str>,
    pub entity_type: &'a str,
    pub entity_id: Option<&'a str>,
}

impl Caller {
    /// Succeeds when the caller holds `permission`; otherwise audits the refusal and answers 403.
    pub async fn require(
        &self,
        golden: &web::Data<Golden>,
        permission: Permission<'_>,
        attempt: Attempt<'_>,
    ) -> Result<(), ApiError> {
        if self.0.allows(permission) {
            return Ok(());
        }
        Err(self.refuse(golden, permission, attempt).await)
    }

    /// Passes `result` on, auditing it first when the service refused the request because
    /// it writes a sensitive field the caller may not (a refusal only the service can
    /// judge: the field may be named in the body, the domain by a stored proposal).
    pub async fn audited<T>(
        &self,
        golden: &web::Data<Golden>,
        attempt: Attempt<'_>,
        result: Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        if let Err(ApiError::Service(ServiceError::Forbidden(_))) = &result {
            self.refuse(golden, Permission::Sensitive, attempt).await;
        }
        result
    }

    /// Audits that the caller lacks `permission` for `attempt`, and gives the 403 to answer
    /// with; a handler that refuses only part of a request audits that part this way.
    pub async fn refuse(
        &self,
        golden: &web::Data<Golden>,
        permission: Permission<'_>,
        attempt: Attempt<'_>,
    ) -> ApiError {
        let (code, reason) = match permission {
            Permission::Read => ("missing_role", "requires the reader role".to_owned()),
            Permission::Ingest { .. } if !self.0.has(Role::Ingest) => {
                ("missing_role", "requires the ingest role".to_owned())
            }
            Permission::Ingest { source_system } => (
                "source_not_allowed",
                format!("requires the ingest role for source system {source_system:?}"),
            ),
            Permission::Steward => ("missing_role", "requires the steward role".to_owned()),
            Permission::Admin => ("missing_role", "requires the admin role".to_owned()),
            Permission::Sensitive => (
                "sensitive_field",
                "requires the sensitive role: the field is marked sensitive".to_owned(),
            ),
        };
        let entry = OwnedAttempt {
            actor: self.0.sub.clone(),
            action: attempt.action.to_owned(),
            domain: attempt.domain.map(str::to_owned),
            entity_type: attempt.entity_type.to_owned(),
            entity_id: attempt.entity_id.map(str::to_owned),
            request_id: request_id::current(),
            reason: reason.clone(),
        };
        record(golden.clone(), entry, self.0.sub.clone(), code).await;
        ApiError::Forbidden(reason)
    }
}

struct OwnedAttempt {
    actor: String,
    action: String,
    domain: Option<String>,
    entity_type: String,
    entity_id: Option<String>,
    request_id: Option<String>,
    reason: String,
}

impl OwnedAttempt {
    fn as_entry(&self) -> AuditEntry<'_> {
        AuditEntry {
            actor: &self.actor,
            action: &self.action,
            domain: self.domain.as_deref(),
            entity_type: &self.entity_type,
            entity_id: self.entity_id.as_deref(),
            request_id: self.request_id.as_deref(),
            reason: Some(&self.reason),
        }
    }
}

//! The bearer-token extractor and the permission check every handler makes.

use std::future::{Ready, ready};

use actix_web::{FromRequest, HttpRequest, dev::Payload, http::header, web};

use super::error::{ApiError, blocking};
use super::request_id;
use crate::auth::{AuthError, Authenticator, Claims, Permission};
use crate::service::Golden;
use crate::service::audit::AuditEntry;

/// The verified caller of a request.
#[derive(Debug, Clone)]
pub struct Caller(pub Claims);

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(authenticate(req))
    }
}

fn authenticate(req: &HttpRequest) -> Result<Caller, ApiError> {
    let authenticator = req
        .app_data::<web::Data<Authenticator>>()
        .ok_or(ApiError::Unavailable)?;
    let token = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| ApiError::Unauthorized(AuthError::Missing.to_string()))?;
    authenticator
        .verify(token)
        .map(Caller)
        .map_err(|e| ApiError::Unauthorized(e.to_string()))
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
        let reason = match permission {
            Permission::Read => "requires the reader role".to_owned(),
            Permission::Ingest { source_system } => {
                format!("requires the ingest role for source system {source_system:?}")
            }
            Permission::Steward => "requires the steward role".to_owned(),
            Permission::Admin => "requires the admin role".to_owned(),
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
        let golden = golden.clone();
        if let Err(e) = blocking(move || golden.audit_denied(&entry.as_entry())).await {
            tracing::warn!(error = %e, "could not audit a refused request");
        }
        Err(ApiError::Forbidden(reason))
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

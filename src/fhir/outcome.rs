//! `OperationOutcome`: how a FHIR server explains an error (or a redirect) to a FHIR client.

use serde::Serialize;

/// The system of Golden's own error codes (`not_found`, `forbidden`, ...).
const ERROR_SYSTEM: &str = "urn:golden:error";

/// A FHIR R4 `OperationOutcome` with one issue.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OperationOutcome {
    /// Always `OperationOutcome`.
    resource_type: &'static str,
    issue: Vec<OutcomeIssue>,
}

/// What went wrong, in FHIR's words and in Golden's.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OutcomeIssue {
    /// `error`, or `information` for a redirect.
    severity: &'static str,
    /// FHIR's issue type: `not-found`, `login`, `forbidden`, `invalid`, `exception`, ...
    code: &'static str,
    /// Golden's error code (system `urn:golden:error`) and the message.
    details: OutcomeDetails,
    /// The request's `X-Request-Id`, to quote when reporting the error.
    #[serde(skip_serializing_if = "Option::is_none")]
    diagnostics: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OutcomeDetails {
    coding: Vec<OutcomeCoding>,
    text: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OutcomeCoding {
    system: &'static str,
    code: String,
}

impl OperationOutcome {
    /// An error answered with HTTP `status`: Golden's `code` and `message`, and the request ID.
    pub fn error(status: u16, code: &str, message: String, request_id: Option<String>) -> Self {
        Self::one("error", issue_type(status), code, message, request_id)
    }

    /// A note that comes with a successful or redirecting answer.
    pub fn information(code: &str, message: String) -> Self {
        Self::one("information", "informational", code, message, None)
    }

    fn one(
        severity: &'static str,
        issue_type: &'static str,
        code: &str,
        message: String,
        request_id: Option<String>,
    ) -> Self {
        Self {
            resource_type: "OperationOutcome",
            issue: vec![OutcomeIssue {
                severity,
                code: issue_type,
                details: OutcomeDetails {
                    coding: vec![OutcomeCoding {
                        system: ERROR_SYSTEM,
                        code: code.to_owned(),
                    }],
                    text: message,
                },
                diagnostics: request_id.map(|id| format!("request_id {id}")),
            }],
        }
    }
}

/// FHIR's issue type for an HTTP error status.
fn issue_type(status: u16) -> &'static str {
    match status {
        400 | 422 => "invalid",
        401 => "login",
        403 => "forbidden",
        404 => "not-found",
        409 => "conflict",
        413 => "too-costly",
        415 => "not-supported",
        429 => "throttled",
        503 => "transient",
        _ => "exception",
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn an_error_names_fhir_s_issue_type_and_golden_s_code() {
        let outcome = OperationOutcome::error(404, "not_found", "no V9".into(), Some("r1".into()));
        assert_eq!(
            serde_json::to_value(outcome).unwrap(),
            json!({"resourceType": "OperationOutcome", "issue": [{
                "severity": "error", "code": "not-found",
                "details": {"coding": [{"system": "urn:golden:error", "code": "not_found"}],
                            "text": "no V9"},
                "diagnostics": "request_id r1"}]})
        );
        assert_eq!(issue_type(401), "login");
        assert_eq!(issue_type(500), "exception");
    }
}

//! The OpenAPI description of the HTTP API, generated from the handlers' annotations and the
//! request and response types, served at `/openapi.json`. A test checks that every route
//! registered in [`super::configure`] is described here, so the two cannot drift apart.

use actix_web::{HttpResponse, web};
use serde_json::{Value, json};
use utoipa::openapi::content::ContentBuilder;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Ref, RefOr, Response, ResponseBuilder};
use utoipa::{IntoResponses, Modify, OpenApi, ToSchema};

use super::error::ErrorBody;
use super::{
    audit, browse, claims, crosswalk, curation, dashboard, decisions, fhir, jobs, lookups, models,
    ops, records, stewardship, webhooks,
};
use crate::model::RecordInput;
use crate::service::Golden;

/// `GET /openapi.json`.
#[utoipa::path(get, path = "/openapi.json", operation_id = "get_openapi", tag = "operations", responses(
    (status = 200, description = "This description, OpenAPI 3.1", body = Object),
))]
pub async fn spec(golden: web::Data<Golden>) -> HttpResponse {
    let domains: Vec<String> = golden.rules.domains().map(|d| d.name.clone()).collect();
    super::masked::plain(HttpResponse::Ok(), Document(document(&domains)))
}

/// The OpenAPI description as served: it describes fields, it holds none of their values.
#[derive(serde::Serialize)]
#[serde(transparent)]
struct Document(Value);

impl super::masked::NoFieldValues for Document {}

/// The description with the `{domain}` path parameter narrowed to the domains this service
/// loaded from its rule files: domains are data, so only the running service knows them.
pub fn document(domains: &[String]) -> Value {
    let mut spec = serde_json::to_value(ApiDoc::openapi()).unwrap_or(Value::Null);
    let Some(paths) = spec.get_mut("paths").and_then(Value::as_object_mut) else {
        return spec;
    };
    let parameters = paths
        .values_mut()
        .filter_map(Value::as_object_mut)
        .flat_map(|item| item.values_mut())
        .filter_map(|operation| operation.get_mut("parameters"))
        .filter_map(Value::as_array_mut)
        .flatten();
    for parameter in parameters {
        if parameter["name"] == "domain" && parameter["in"] == "path" {
            parameter["schema"] = json!({"type": "string", "enum": domains});
        }
    }
    spec
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Golden",
        description = "Master data management: source records in, golden records and the \
                       crosswalk out."
    ),
    paths(
        super::healthz,
        ops::readyz,
        ops::metrics,
        spec,
        dashboard::domains,
        dashboard::stats,
        lookups::events,
        audit::list,
        jobs::list,
        jobs::get,
        jobs::rejects,
        jobs::preview,
        jobs::commit,
        webhooks::create,
        webhooks::list,
        webhooks::get,
        webhooks::delete,
        webhooks::dead_letters,
        webhooks::replay_all,
        webhooks::replay_one,
        jobs::rollback,
        fhir::organizations,
        fhir::organization,
        fhir::locations,
        fhir::location,
        crosswalk::lookup,
        crosswalk::export,
        crosswalk::reverse,
        crosswalk::get,
        decisions::decide,
        stewardship::get,
        stewardship::approve,
        stewardship::reject,
        claims::claim,
        claims::release,
        records::post,
        jobs::create,
        browse::list,
        browse::export,
        stewardship::list,
        records::get,
        records::delete,
        lookups::golden_record,
        curation::merge,
        curation::split,
        curation::override_field,
        models::estimate,
        models::list,
        models::export,
        models::import,
        models::activate,
        models::rematch,
    ),
    // The FHIR routes' error bodies, named only by their responses.
    components(schemas(crate::fhir::OperationOutcome)),
    modifiers(&BearerJwt, &ServerErrors),
    tags(
        (name = "operations", description = "Liveness, readiness, metrics and this description"),
        (name = "records", description = "Source records from source systems"),
        (name = "crosswalk", description = "Source keys to golden IDs and back"),
        (name = "golden", description = "Golden records: read, search, curate"),
        (name = "proposals", description = "The stewards' review queue"),
        (name = "jobs", description = "Bulk loads of whole files"),
        (name = "models", description = "Match models estimated from the data"),
        (name = "feed", description = "The change feed and the audit log"),
        (name = "webhooks", description = "Signed deliveries of the change feed to HTTP receivers"),
        (name = "fhir", description = "Golden records as FHIR R4 resources: vendors as Organization, locations as Location"),
    )
)]
pub struct ApiDoc;

/// Declares the bearer JWT every `/v1` route requires.
struct BearerJwt;

impl Modify for BearerJwt {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// Declares the 5xx answers no handler lists itself: any route may fail inside (500, also for
/// a panic), and every route that does its work on a blocking thread answers 503 while the
/// server is shutting down.
struct ServerErrors;

impl Modify for ServerErrors {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for (path, item) in openapi.paths.paths.iter_mut() {
            let blocking = !["/healthz", "/openapi.json"].contains(&path.as_str());
            let operations = [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.patch,
                &mut item.delete,
            ];
            for operation in operations.into_iter().flatten() {
                let responses = &mut operation.responses.responses;
                responses.entry("500".into()).or_insert_with(|| {
                    error_response(
                        "Internal error; the body names no internals, quote its `request_id`",
                    )
                });
                if blocking {
                    responses.entry("503".into()).or_insert_with(|| {
                        error_response("The server is shutting down or overloaded")
                    });
                }
            }
        }
    }
}

/// A response with the usual error body.
fn error_response(description: &str) -> RefOr<Response> {
    let content = ContentBuilder::new()
        .schema(Some(Ref::from_schema_name("ErrorBody")))
        .build();
    RefOr::T(
        ResponseBuilder::new()
            .description(description)
            .content("application/json", content)
            .build(),
    )
}

/// One record, or an array of up to 10,000.
#[derive(ToSchema)]
#[serde(untagged)]
#[allow(dead_code)]
pub enum RecordBatch {
    One(RecordInput),
    Many(Vec<RecordInput>),
}

/// The errors of every route behind a token.
#[derive(IntoResponses)]
#[allow(dead_code)]
pub enum AuthErrors {
    /// No token, or a bad or expired one.
    #[response(status = 401)]
    Unauthorized(ErrorBody<'static>),
    /// The token lacks the role (the refusal is audited).
    #[response(status = 403)]
    Forbidden(ErrorBody<'static>),
}

/// A query string or path segment that does not parse.
#[derive(IntoResponses)]
#[allow(dead_code)]
pub enum BadRequest {
    /// Malformed JSON, a bad query parameter or path segment.
    #[response(status = 400)]
    BadRequest(ErrorBody<'static>),
}

/// A JSON body refused before it is read.
#[derive(IntoResponses)]
#[allow(dead_code)]
pub enum BodyErrors {
    /// The body is larger than the limit.
    #[response(status = 413)]
    TooLarge(ErrorBody<'static>),
    /// The body is not JSON.
    #[response(status = 415)]
    NotJson(ErrorBody<'static>),
}

/// An unknown domain or an ID that does not exist.
#[derive(IntoResponses)]
#[allow(dead_code)]
pub enum NotFound {
    /// `unknown_domain` or `not_found`.
    #[response(status = 404)]
    NotFound(ErrorBody<'static>),
}

/// A steward's stale view or an action that clashes with what is stored.
#[derive(IntoResponses)]
#[allow(dead_code)]
pub enum Conflict {
    /// The record changed since the steward looked, the proposal is already decided, or
    /// another steward holds it (pass `force`).
    #[response(status = 409)]
    Conflict(ErrorBody<'static>),
}

/// Well-formed, but not applicable to what is stored.
#[derive(IntoResponses)]
#[allow(dead_code)]
pub enum Unprocessable {
    /// An unknown field, a record that is not a member, a value that fails its check.
    #[response(status = 422)]
    Unprocessable(ErrorBody<'static>),
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    /// Method and full path of every `.route(...)` in `configure`, read from its source so a
    /// route added there without a description here fails the test.
    fn registered() -> BTreeSet<(String, String)> {
        let source = include_str!("mod.rs");
        let start = source.find("pub fn configure").unwrap();
        let body = &source[start..];
        let body = &body[..body.find("\n}\n").unwrap()];
        let scope = body.find("web::scope(\"/v1\")").unwrap();
        body.match_indices(".route(")
            .map(|(at, _)| {
                let call = &body[at..];
                let path = call.split('"').nth(1).unwrap();
                let method = call.split("web::").nth(1).unwrap();
                let method = &method[..method.find('(').unwrap()];
                let prefix = if at > scope { "/v1" } else { "" };
                (method.to_owned(), format!("{prefix}{path}"))
            })
            .collect()
    }

    fn described() -> BTreeSet<(String, String)> {
        let spec = serde_json::to_value(ApiDoc::openapi()).unwrap();
        let paths = spec["paths"].as_object().unwrap();
        paths
            .iter()
            .flat_map(|(path, item)| {
                let methods = item.as_object().unwrap().keys();
                methods
                    .filter(|m| ["get", "post", "put", "patch", "delete"].contains(&m.as_str()))
                    .map(|m| (m.clone(), path.clone()))
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    #[test]
    fn every_registered_route_is_described_and_nothing_else() {
        let registered = registered();
        assert!(registered.len() >= 26, "{registered:?}");
        assert!(registered.contains(&("get".into(), "/v1/jobs/{id}".into())));
        assert_eq!(registered, described());
    }

    #[test]
    fn operation_ids_are_unique_and_server_errors_are_described() {
        let spec = serde_json::to_value(ApiDoc::openapi()).unwrap();
        let mut seen = BTreeSet::new();
        for (path, item) in spec["paths"].as_object().unwrap() {
            for operation in item.as_object().unwrap().values() {
                let id = operation["operationId"].as_str().unwrap();
                assert!(seen.insert(id.to_owned()), "{id} appears twice ({path})");
                assert!(operation["responses"]["500"].is_object(), "{path}");
                for parameter in operation["parameters"].as_array().into_iter().flatten() {
                    let name = parameter["name"].as_str().unwrap();
                    let in_template = path.contains(&format!("{{{name}}}"));
                    assert_eq!(parameter["in"] == "path", in_template, "{path} {name}");
                }
            }
        }
        let ingest = &spec["paths"]["/v1/{domain}/records"]["post"]["responses"];
        assert_eq!(
            ingest["503"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/ErrorBody"
        );
        assert!(spec["components"]["schemas"]["ErrorBody"].is_object());
    }

    #[test]
    fn the_domain_parameter_lists_the_loaded_domains() {
        let spec = document(&["vendor".into(), "item".into()]);
        let get = &spec["paths"]["/v1/{domain}/golden/{golden_id}"]["get"];
        let domain = &get["parameters"][0];
        assert_eq!(domain["name"], "domain");
        assert_eq!(domain["schema"]["enum"], json!(["vendor", "item"]));
    }

    #[test]
    fn routes_behind_a_token_say_so() {
        let spec = serde_json::to_value(ApiDoc::openapi()).unwrap();
        assert_eq!(
            spec["components"]["securitySchemes"]["bearer"]["scheme"],
            "bearer"
        );
        for (path, item) in spec["paths"].as_object().unwrap() {
            for operation in item.as_object().unwrap().values() {
                let secured = operation["security"].is_array();
                assert_eq!(secured, path.starts_with("/v1/"), "{path}");
                if secured {
                    assert!(operation["responses"]["401"].is_object(), "{path}");
                }
            }
        }
    }
}

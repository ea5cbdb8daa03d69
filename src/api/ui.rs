//! The steward console: a static single-page app embedded in the binary and served at `/ui`.
//! It holds no data of its own; the browser calls the JSON API with the steward's token. Every
//! `/ui/...` path that is not an asset answers with the app shell, so deep links and reloads
//! work. The content security policy forbids inline and foreign scripts.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use sha2::{Digest, Sha256};

use super::error::ApiError;

/// One embedded file: name under `/ui/assets/`, content type, body.
struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static str,
}

const JS: &str = "text/javascript; charset=utf-8";

macro_rules! asset {
    ($name:literal, $type:expr) => {
        Asset {
            name: $name,
            content_type: $type,
            body: include_str!(concat!("../../ui/", $name)),
        }
    };
}

const SHELL: Asset = asset!("index.html", "text/html; charset=utf-8");

const ASSETS: &[Asset] = &[
    asset!("style.css", "text/css; charset=utf-8"),
    asset!("app.js", JS),
    asset!("api.js", JS),
    asset!("dom.js", JS),
    asset!("dashboard.js", JS),
    asset!("jobs.js", JS),
    asset!("queue.js", JS),
    asset!("proposal.js", JS),
    asset!("record.js", JS),
    asset!("search.js", JS),
    asset!("browse.js", JS),
];

const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// Registers `/ui`, `/ui/assets/{name}` and the shell for every other `/ui/...` path.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/ui", web::get().to(shell))
        .route("/ui/assets/{name}", web::get().to(asset))
        .route("/ui/{tail:.*}", web::get().to(shell));
}

async fn shell(request: HttpRequest) -> HttpResponse {
    respond(&request, &SHELL)
}

async fn asset(request: HttpRequest, name: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let found = ASSETS
        .iter()
        .find(|a| a.name == name.as_str())
        .ok_or_else(|| ApiError::NotFound(format!("no console asset {:?}", name.as_str())))?;
    Ok(respond(&request, found))
}

/// The file with its type, a content hash as ETag (304 when the browser has it) and headers
/// that make the browser revalidate, so a new binary's console is picked up at once.
fn respond(request: &HttpRequest, asset: &Asset) -> HttpResponse {
    let etag = etag(asset.body);
    let fresh = request
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|tag| tag.trim() == etag));
    let mut response = if fresh {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header((header::ETAG, etag.clone()))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        ))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"));
    if fresh {
        response.finish()
    } else {
        response.content_type(asset.content_type).body(asset.body)
    }
}

fn etag(body: &str) -> String {
    let digest = Sha256::digest(body.as_bytes());
    format!("\"{}\"", hex::encode(&digest[..12]))
}

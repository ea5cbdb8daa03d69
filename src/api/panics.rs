//! A handler that panics is a bug, not an outage: the request answers 500 with the usual error
//! body and its request ID, the panic is logged at error level with that ID, and the worker
//! goes on serving. Without this, actix drops the connection and the caller sees nothing.
//!
//! The panicked request is gone with the handler's future (and it cannot be kept aside: the
//! router needs it unshared), so the answer travels out as an error carrying the finished
//! response, which actix sends as it is.

use std::panic::AssertUnwindSafe;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{ResponseError, error::InternalError};
use futures_util::FutureExt;

use super::error::{ApiError, Panicked};
use super::request_id;
use crate::service::ServiceError;

/// The middleware; it sits inside the request-ID middleware, so the error body, the response
/// header and the log line carry the request's ID.
pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let outcome = AssertUnwindSafe(next.call(req)).catch_unwind().await;
    let panic = match outcome {
        Ok(response) => return response,
        Err(panic) => Panicked::from_payload(panic.as_ref()),
    };
    let error = ApiError::Service(ServiceError::internal(
        "the request's handler failed",
        panic.clone(),
    ));
    // Logged here, once, with the request ID and the panic's message.
    let mut response = error.error_response();
    if let Some(value) = request_id::current().and_then(|id| HeaderValue::from_str(&id).ok()) {
        response
            .headers_mut()
            .insert(HeaderName::from_static(request_id::HEADER), value);
    }
    Err(InternalError::from_response(panic, response).into())
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    use actix_web::middleware::from_fn;
    use actix_web::{App, HttpResponse, HttpServer, web};

    use super::super::error::blocking;
    use super::super::request_id;

    /// Log lines written while a test runs, to check what a panic leaves in the log.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Captured {
        fn text(&self) -> String {
            String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
        }
    }

    thread_local! {
        static WORKER_LOG: std::cell::RefCell<Option<tracing::dispatcher::DefaultGuard>> =
            const { std::cell::RefCell::new(None) };
    }

    async fn panics() -> HttpResponse {
        panic!("the handler broke");
    }

    async fn panics_off_the_executor() -> Result<HttpResponse, super::ApiError> {
        blocking(|| -> Result<(), crate::service::ServiceError> { panic!("the work broke") })
            .await?;
        Ok(HttpResponse::Ok().finish())
    }

    async fn fine() -> HttpResponse {
        HttpResponse::Ok().body("fine")
    }

    /// GET `url` with a request ID, from a blocking thread: status, `X-Request-Id`, body.
    async fn get(url: String, id: &str) -> (u16, Option<String>, serde_json::Value) {
        let id = id.to_owned();
        actix_web::rt::task::spawn_blocking(move || {
            let response = match ureq::get(&url).set(request_id::HEADER, &id).call() {
                Ok(response) | Err(ureq::Error::Status(_, response)) => response,
                Err(e) => panic!("{url}: {e}"),
            };
            let status = response.status();
            let header = response.header(request_id::HEADER).map(str::to_owned);
            let text = response.into_string().unwrap();
            (
                status,
                header,
                serde_json::from_str(&text).unwrap_or_default(),
            )
        })
        .await
        .unwrap()
    }

    /// A real server with the service's middleware order, routes that panic on the async
    /// worker and in blocking work, and one that does not.
    #[actix_web::test]
    async fn a_panicking_handler_answers_500_with_the_request_id_and_is_logged() {
        let log = Captured::default();
        let writer = log.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .with_max_level(tracing::Level::ERROR)
            .finish();
        let log_to = tracing::Dispatch::new(subscriber);
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let server = HttpServer::new(move || {
            // The worker thread logs to the captured log for as long as it lives.
            let guard = tracing::dispatcher::set_default(&log_to);
            WORKER_LOG.with(|slot| *slot.borrow_mut() = Some(guard));
            App::new()
                .wrap(from_fn(super::middleware))
                .wrap(from_fn(request_id::middleware))
                .route("/panics", web::get().to(panics))
                .route("/blocking", web::get().to(panics_off_the_executor))
                .route("/fine", web::get().to(fine))
        })
        .workers(1)
        .listen(listener)
        .unwrap()
        .run();
        let handle = server.handle();
        actix_web::rt::spawn(server);

        for (path, cause) in [
            ("/panics", "the handler broke"),
            ("/blocking", "the work broke"),
        ] {
            let id = format!("req-{}", &path[1..]);
            let (status, header, body) = get(format!("{base}{path}"), &id).await;
            assert_eq!(status, 500, "{path}: {body}");
            assert_eq!(header.as_deref(), Some(id.as_str()), "{path}");
            assert_eq!(body["error"], "internal", "{body}");
            assert_eq!(body["request_id"], id.as_str(), "{body}");
            assert!(
                !body.to_string().contains(cause),
                "no internals in the body: {body}"
            );
            let logged = log.text();
            let line = logged
                .lines()
                .find(|line| line.contains(&id))
                .unwrap_or_else(|| panic!("no log line for {id}: {logged}"));
            assert!(line.contains("ERROR"), "{line}");
            assert!(line.contains(&format!("panicked: {cause}")), "{line}");
        }

        // The worker goes on serving.
        let (status, _, _) = get(format!("{base}/fine"), "after").await;
        assert_eq!(status, 200);
        handle.stop(true).await;
    }
}

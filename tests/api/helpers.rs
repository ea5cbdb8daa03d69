//! Boots the real server on a random port over a fresh database: a SQLite file in a temporary
//! directory, or, when `GOLDEN_TEST_DATABASE_URL` names a PostgreSQL server, a fresh database
//! created for the test and dropped after it.

use std::collections::BTreeSet;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use chrono::SubsecRound;
use diesel::{Connection, PgConnection, RunQueryDsl};
use golden::auth::{Authenticator, Role};
use golden::clock::ManualClock;
use golden::config::{DatabaseUrl, Settings};
use golden::service::Golden;
use serde_json::Value;

pub const SECRET: &str = "test-secret-0123456789abcdef";

/// A database for one test; a PostgreSQL one is dropped when this is dropped.
pub struct TestDb {
    pub url: DatabaseUrl,
    postgres: Option<(String, String)>,
}

impl TestDb {
    pub fn new(data_dir: &Path) -> Self {
        match std::env::var("GOLDEN_TEST_DATABASE_URL") {
            Ok(base) if !base.trim().is_empty() => Self::postgres(base.trim()),
            _ => Self {
                url: DatabaseUrl::Sqlite(data_dir.join("golden.sqlite3")),
                postgres: None,
            },
        }
    }

    fn postgres(base: &str) -> Self {
        let (server, run_db) = base.rsplit_once('/').expect("database URL has a path");
        let run_db = run_db.split('?').next().unwrap_or(run_db);
        let name = format!(
            "{run_db}_t{}",
            &uuid::Uuid::new_v4().simple().to_string()[..12]
        );
        let mut admin = PgConnection::establish(base).expect("connect to the test server");
        diesel::sql_query(format!("CREATE DATABASE \"{name}\""))
            .execute(&mut admin)
            .expect("create a test database");
        Self {
            url: DatabaseUrl::Postgres(format!("{server}/{name}")),
            postgres: Some((base.to_owned(), name)),
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((base, name)) = &self.postgres
            && let Ok(mut admin) = PgConnection::establish(base)
        {
            let drop = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
            let _ = diesel::sql_query(drop).execute(&mut admin);
        }
    }
}

/// A running server and what a test needs to talk to it.
pub struct TestApp {
    pub base: String,
    pub settings: Settings,
    authenticator: Arc<Authenticator>,
    golden: Option<Arc<Golden>>,
    handle: Option<actix_web::dev::ServerHandle>,
    thread: Option<std::thread::JoinHandle<()>>,
    // Dropped last: the server must stop before its database and files go.
    pub db: Arc<TestDb>,
    pub dir: Arc<tempfile::TempDir>,
}

/// Settings for a test server rooted at `dir`.
pub fn test_settings(dir: &Path, db: &TestDb) -> Settings {
    let mut settings = Settings::embedded(dir.join("data"));
    settings.database = db.url.clone();
    settings.bind = "127.0.0.1:0".parse().expect("address");
    settings.rules_dir = rules_dir();
    settings.jwt_secret = Some(SECRET.into());
    settings.db_pool_size = 4;
    settings
}

pub fn rules_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("matching-rules")
}

pub fn spawn_app() -> TestApp {
    spawn_with(|_| {})
}

/// Boots a server whose clock stands still until the test moves it (it starts at the current
/// second), so a test makes time pass without sleeping.
pub fn spawn_with_clock() -> (TestApp, ManualClock) {
    let start = chrono::Utc::now().trunc_subsecs(0);
    let clock = ManualClock::starting_at(start);
    let app = spawn_with(|settings| settings.clock = clock.clock());
    (app, clock)
}

/// Boots a server after letting `adjust` change its settings.
pub fn spawn_with(adjust: impl FnOnce(&mut Settings)) -> TestApp {
    let dir = Arc::new(tempfile::tempdir().expect("temp dir"));
    let db = Arc::new(TestDb::new(&dir.path().join("data")));
    let mut settings = test_settings(dir.path(), &db);
    adjust(&mut settings);
    boot(settings, db, dir)
}

fn boot(settings: Settings, db: Arc<TestDb>, dir: Arc<tempfile::TempDir>) -> TestApp {
    golden::telemetry::init_with_default(false, "warn");
    let authenticator = Arc::new(Authenticator::from_settings(&settings).expect("authenticator"));
    let golden = Arc::new(Golden::open(settings.clone()).expect("open golden"));
    let listener = TcpListener::bind(settings.bind).expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let (tx, rx) = std::sync::mpsc::channel();
    let auth = authenticator.clone();
    let kept = golden.clone();
    let thread = std::thread::spawn(move || {
        let system = actix_web::rt::System::new();
        system.block_on(async move {
            let server = golden::api::server(golden, auth, listener).expect("server");
            tx.send(server.handle()).expect("send handle");
            server.await.expect("server ran");
        });
    });
    let handle = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("server started");
    TestApp {
        base,
        settings,
        authenticator,
        golden: Some(kept),
        handle: Some(handle),
        thread: Some(thread),
        db,
        dir,
    }
}

impl TestApp {
    /// Stops the server gracefully and starts a new process-equivalent on the same database
    /// and data directory.
    pub fn restart(self) -> TestApp {
        self.restart_with(|| {})
    }

    /// Stops the server, runs `between` while it is down, and starts it again.
    pub fn restart_with(mut self, between: impl FnOnce()) -> TestApp {
        self.stop();
        between();
        let mut settings = self.settings.clone();
        settings.bind = "127.0.0.1:0".parse().expect("address");
        boot(settings, self.db.clone(), self.dir.clone())
    }

    fn stop(&mut self) {
        if let Some(handle) = self.handle.take() {
            actix_web::rt::System::new().block_on(handle.stop(true));
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        // Worker threads let go of the service a moment after the server stops; wait, so the
        // next start finds the index writer's lock free.
        if let Some(golden) = self.golden.take() {
            let deadline = std::time::Instant::now() + Duration::from_secs(20);
            while Arc::strong_count(&golden) > 1 && std::time::Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(10));
            }
        }
    }

    /// Runs the `golden` binary against this app's database and data directory.
    pub fn cli(&self, args: &[&str]) -> std::process::Output {
        cli_for(&self.settings, args)
    }

    pub fn token(&self, roles: &[Role], sources: &[&str]) -> String {
        self.token_as("tester", roles, sources)
    }

    /// A token for the subject `sub`.
    pub fn token_as(&self, sub: &str, roles: &[Role], sources: &[&str]) -> String {
        let roles: BTreeSet<Role> = roles.iter().copied().collect();
        self.authenticator
            .issue(
                sub,
                roles,
                sources.iter().map(|s| s.to_string()).collect(),
                Duration::from_secs(600),
            )
            .expect("token")
    }

    pub fn admin(&self) -> String {
        self.token(&[Role::Admin], &[])
    }

    pub fn get(&self, path: &str, token: Option<&str>) -> (u16, Value) {
        self.call("GET", path, token, None)
    }

    pub fn post(&self, path: &str, token: Option<&str>, body: &Value) -> (u16, Value) {
        self.call("POST", path, token, Some(body))
    }

    pub fn delete(&self, path: &str, token: Option<&str>) -> (u16, Value) {
        self.call("DELETE", path, token, None)
    }

    pub fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> (u16, Value) {
        call_at(&self.base, method, path, token, body)
    }

    /// Sends a raw body with a content type, for malformed-input tests.
    pub fn post_raw(
        &self,
        path: &str,
        token: &str,
        content_type: &str,
        body: &[u8],
    ) -> (u16, Value) {
        let result = ureq::post(&format!("{}{}", self.base, path))
            .set("Authorization", &format!("Bearer {token}"))
            .set("Content-Type", content_type)
            .send_bytes(body);
        read(result)
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.stop();
    }
}

/// One JSON request to the server at `base` (`http://host:port`).
pub fn call_at(
    base: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&Value>,
) -> (u16, Value) {
    let mut request = ureq::request(method, &format!("{base}{path}"));
    if let Some(token) = token {
        request = request.set("Authorization", &format!("Bearer {token}"));
    }
    let result = match body {
        Some(body) => request.send_json(body.clone()),
        None => request.call(),
    };
    read(result)
}

pub fn read(result: Result<ureq::Response, ureq::Error>) -> (u16, Value) {
    let response = match result {
        Ok(response) => response,
        Err(ureq::Error::Status(_, response)) => response,
        Err(e) => panic!("transport error: {e}"),
    };
    let status = response.status();
    let text = response.into_string().expect("body");
    let value = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    (status, value)
}

/// A vendor record body.
pub fn vendor(system: &str, id: &str, attributes: Value) -> Value {
    serde_json::json!({"source_system": system, "source_id": id, "attributes": attributes})
}

/// Runs the `golden` binary with the environment that selects `settings`' store.
pub fn cli_for(settings: &Settings, args: &[&str]) -> std::process::Output {
    golden_command(settings)
        .args(args)
        .output()
        .expect("run golden")
}

/// The `golden` binary with the environment that selects `settings`' store.
pub fn golden_command(settings: &Settings) -> std::process::Command {
    let database = match &settings.database {
        DatabaseUrl::Sqlite(path) => path.display().to_string(),
        DatabaseUrl::Postgres(url) => url.clone(),
    };
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_golden"));
    command
        .env("GOLDEN_DATA_DIR", &settings.data_dir)
        .env("DATABASE_URL", database)
        .env("GOLDEN_RULES_DIR", &settings.rules_dir)
        .env("GOLDEN_JWT_SECRET", SECRET);
    command
}

/// Uploads `body` as CSV to the jobs path `path` (e.g. `/v1/vendor/jobs?source=sap`) and waits
/// for the job to finish; the finished job.
pub fn upload_job(app: &TestApp, path: &str, token: &str, body: &str) -> Value {
    let (status, job) = read(
        ureq::post(&format!("{}{}", app.base, path))
            .set("Authorization", &format!("Bearer {token}"))
            .set("Content-Type", "text/csv")
            .send_bytes(body.as_bytes()),
    );
    assert_eq!(status, 202, "{job}");
    wait_job_finished(app, job["id"].as_str().expect("a job ID"))
}

/// Waits for job `id` to finish, failing the test if it fails or takes over a minute.
pub fn wait_job_finished(app: &TestApp, id: &str) -> Value {
    let reader = app.token(&[Role::Reader], &[]);
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let (status, job) = app.get(&format!("/v1/jobs/{id}"), Some(&reader));
        assert_eq!(status, 200, "{job}");
        if job["status"] == "finished" || job["status"] == "failed" {
            assert_eq!(job["status"], "finished", "{job}");
            return job;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "job {id} did not finish: {job}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The vendor crosswalk export, as CSV text.
pub fn vendor_crosswalk(app: &TestApp) -> String {
    let reader = app.token(&[Role::Reader], &[]);
    ureq::get(&format!(
        "{}/v1/crosswalk/vendor/export?format=csv",
        app.base
    ))
    .set("Authorization", &format!("Bearer {reader}"))
    .call()
    .expect("the crosswalk export")
    .into_string()
    .expect("CSV text")
}

//! Settings from the environment, with defaults that run the embedded mode on a fresh machine.
//!
//! This is the only module that reads the process environment: everything else receives a
//! [`Settings`] value, so tests can build one by hand.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use thiserror::Error;

use crate::clock::Clock;

/// A setting that could not be understood.
#[derive(Debug, Error)]
pub enum ConfigError {
    #[error("{name} is not valid: {reason}")]
    Invalid { name: &'static str, reason: String },
}

/// When SQLite makes a commit durable (`GOLDEN_SQLITE_SYNC`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SqliteSync {
    /// The write-ahead log is synced to disk before a commit returns: an acknowledged write
    /// survives a power cut.
    Full,
    /// Synced at checkpoints only: survives a killed process, but a power cut may lose the
    /// last commits. Faster for streams of small writes.
    Normal,
}

impl SqliteSync {
    /// The `PRAGMA synchronous` value.
    pub fn pragma(self) -> &'static str {
        match self {
            Self::Full => "FULL",
            Self::Normal => "NORMAL",
        }
    }
}

/// Which database the service talks to, chosen by the URL scheme.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// A SQLite file path (embedded mode).
    Sqlite(PathBuf),
    /// A `postgres://` or `postgresql://` URL.
    Postgres(String),
}

impl DatabaseUrl {
    /// Parses `DATABASE_URL`: `postgres://...` selects PostgreSQL; `sqlite://PATH`, `file:PATH`
    /// or a bare path selects SQLite.
    pub fn parse(raw: &str) -> Result<Self, ConfigError> {
        let raw = raw.trim();
        if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            return Ok(Self::Postgres(raw.to_owned()));
        }
        let path = raw
            .strip_prefix("sqlite://")
            .or_else(|| raw.strip_prefix("sqlite:"))
            .or_else(|| raw.strip_prefix("file:"))
            .unwrap_or(raw);
        if path.is_empty() || path.contains("://") {
            return Err(ConfigError::Invalid {
                name: "DATABASE_URL",
                reason: "expected postgres://..., sqlite://PATH or a file path".into(),
            });
        }
        Ok(Self::Sqlite(PathBuf::from(path)))
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self, Self::Postgres(_))
    }
}

impl std::fmt::Debug for DatabaseUrl {
    /// Never prints a PostgreSQL password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Sqlite(path) => write!(f, "sqlite:{}", path.display()),
            Self::Postgres(url) => write!(f, "{}", redact_password(url)),
        }
    }
}

fn redact_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    match rest.split_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split(':').next().unwrap_or_default();
            format!("{scheme}://{user}:***@{host}")
        }
        None => url.to_owned(),
    }
}

/// Optional identity-provider settings for tokens signed with a public key.
#[derive(Debug, Clone, Default)]
pub struct IdentityProvider {
    /// PEM file with an RSA or EC public key (RS256 / ES256 tokens).
    pub public_key_path: Option<PathBuf>,
    /// JWKS file with the provider's public keys, chosen by the token's `kid`.
    pub jwks_file: Option<PathBuf>,
    /// Expected `iss` claim, checked when set.
    pub issuer: Option<String>,
    /// Expected `aud` claim, checked when set.
    pub audience: Option<String>,
}

/// How webhook deliveries are made and retried.
#[derive(Debug, Clone)]
pub struct WebhookSettings {
    /// Attempts at one event before it goes to the dead letters (`GOLDEN_WEBHOOK_MAX_ATTEMPTS`).
    pub max_attempts: u32,
    /// The wait after the first failure, doubled after each further one
    /// (`GOLDEN_WEBHOOK_BACKOFF`).
    pub backoff_base: Duration,
    /// The longest wait between two attempts.
    pub backoff_max: Duration,
    /// How often the delivery worker looks for due deliveries (`GOLDEN_WEBHOOK_POLL`).
    pub poll_interval: Duration,
    /// How long one delivery may take, connection included (`GOLDEN_WEBHOOK_TIMEOUT`).
    pub timeout: Duration,
    /// How long the delivery lease lasts unless renewed: the time another replica waits
    /// before it takes over from one that died.
    pub lease_ttl: Duration,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        Self {
            max_attempts: 8,
            backoff_base: Duration::from_secs(1),
            backoff_max: Duration::from_secs(3600),
            poll_interval: Duration::from_secs(1),
            timeout: Duration::from_secs(10),
            lease_ttl: Duration::from_secs(30),
        }
    }
}

/// Where the change feed is published, when a broker is configured (`GOLDEN_NATS_URL`).
#[derive(Debug, Clone)]
pub struct NatsSettings {
    /// The NATS server, e.g. `nats://127.0.0.1:4222`.
    pub url: String,
    /// The JetStream stream (`GOLDEN_NATS_STREAM`, default `GOLDEN`); created if missing.
    pub stream: String,
    /// The first subject token (`GOLDEN_NATS_SUBJECT_PREFIX`, default `golden`): events go to
    /// `PREFIX.{domain}.{event_type}`.
    pub subject_prefix: String,
}

/// Everything the service needs to start.
#[derive(Clone)]
pub struct Settings {
    pub data_dir: PathBuf,
    pub database: DatabaseUrl,
    pub bind: SocketAddr,
    pub rules_dir: PathBuf,
    /// HS256 secret; `None` means "use or create the one in the data dir" (embedded mode).
    pub jwt_secret: Option<String>,
    pub identity_provider: IdentityProvider,
    /// Largest accepted JSON request body.
    pub max_body_bytes: usize,
    /// Largest file accepted by an HTTP bulk job.
    pub max_job_bytes: u64,
    /// Bulk uploads one token subject may stream in at once.
    pub max_uploads_per_caller: usize,
    /// Bulk uploads streaming in at once, all callers together.
    pub max_uploads: usize,
    /// Free space a bulk upload must leave on the disk of the jobs directory.
    pub min_free_disk_bytes: u64,
    /// Connections in the database pool.
    pub db_pool_size: u32,
    /// Log lines as JSON instead of text.
    pub log_json: bool,
    /// How long a busy SQLite database is waited for before a write fails.
    pub sqlite_busy_timeout: Duration,
    /// When a SQLite commit counts as durable.
    pub sqlite_sync: SqliteSync,
    /// HTTP bulk jobs that run at once; more wait, `queued`, for a free worker.
    pub job_workers: usize,
    /// Threads each HTTP bulk job matches on. Fewer than the cores leaves the API a core of
    /// its own, so crosswalk lookups stay fast while a job runs.
    pub job_threads: usize,
    /// How long a steward's claim on a proposal lasts unless renewed or released.
    pub claim_ttl: Duration,
    /// Webhook delivery and retries.
    pub webhooks: WebhookSettings,
    /// Publishing the change feed to NATS JetStream; off when `None`.
    pub nats: Option<NatsSettings>,
    /// Where the time comes from: the system clock, unless a test sets its own.
    pub clock: Clock,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("data_dir", &self.data_dir)
            .field("database", &self.database)
            .field("bind", &self.bind)
            .field("rules_dir", &self.rules_dir)
            .field("jwt_secret", &self.jwt_secret.as_ref().map(|_| "***"))
            .field("identity_provider", &self.identity_provider)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("max_job_bytes", &self.max_job_bytes)
            .field("max_uploads_per_caller", &self.max_uploads_per_caller)
            .field("max_uploads", &self.max_uploads)
            .field("min_free_disk_bytes", &self.min_free_disk_bytes)
            .field("db_pool_size", &self.db_pool_size)
            .field("sqlite_sync", &self.sqlite_sync)
            .field("job_workers", &self.job_workers)
            .field("job_threads", &self.job_threads)
            .field("claim_ttl", &self.claim_ttl)
            .field("webhooks", &self.webhooks)
            .field("nats", &self.nats)
            .field("clock", &self.clock)
            .finish()
    }
}

/// All cores but one (at least one): a bulk job gets the machine's matching power less the
/// core the API keeps for its requests.
fn default_job_threads() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get().saturating_sub(1))
        .unwrap_or(1)
        .max(1)
}

impl Settings {
    /// Defaults for the embedded mode rooted at `data_dir`.
    pub fn embedded(data_dir: impl Into<PathBuf>) -> Self {
        let data_dir = data_dir.into();
        Self {
            database: DatabaseUrl::Sqlite(data_dir.join("golden.sqlite3")),
            data_dir,
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            rules_dir: PathBuf::from("matching-rules"),
            jwt_secret: None,
            identity_provider: IdentityProvider::default(),
            max_body_bytes: 8 * 1024 * 1024,
            max_job_bytes: 2 * 1024 * 1024 * 1024,
            max_uploads_per_caller: 2,
            max_uploads: 8,
            min_free_disk_bytes: 256 * 1024 * 1024,
            db_pool_size: 8,
            log_json: false,
            sqlite_busy_timeout: Duration::from_secs(10),
            sqlite_sync: SqliteSync::Full,
            job_workers: 2,
            job_threads: default_job_threads(),
            claim_ttl: Duration::from_secs(30 * 60),
            webhooks: WebhookSettings::default(),
            nats: None,
            clock: Clock::system(),
        }
    }

    /// Reads the settings from the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok().filter(|v| !v.trim().is_empty()))
    }

    /// Reads the settings through `lookup`, so tests need not touch the real environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let data_dir = lookup("GOLDEN_DATA_DIR").unwrap_or_else(|| "./data".into());
        let mut settings = Self::embedded(data_dir);
        if let Some(url) = lookup("DATABASE_URL") {
            settings.database = DatabaseUrl::parse(&url)?;
        }
        if let Some(bind) = lookup("GOLDEN_BIND") {
            settings.bind = parse("GOLDEN_BIND", &bind)?;
        }
        if let Some(dir) = lookup("GOLDEN_RULES_DIR") {
            settings.rules_dir = PathBuf::from(dir);
        }
        settings.jwt_secret = lookup("GOLDEN_JWT_SECRET");
        settings.identity_provider = IdentityProvider {
            public_key_path: lookup("GOLDEN_JWT_PUBLIC_KEY").map(PathBuf::from),
            jwks_file: lookup("GOLDEN_JWKS_FILE").map(PathBuf::from),
            issuer: lookup("GOLDEN_JWT_ISSUER"),
            audience: lookup("GOLDEN_JWT_AUDIENCE"),
        };
        if let Some(limit) = lookup("GOLDEN_MAX_BODY_BYTES") {
            settings.max_body_bytes = parse("GOLDEN_MAX_BODY_BYTES", &limit)?;
        }
        if let Some(limit) = lookup("GOLDEN_MAX_JOB_BYTES") {
            settings.max_job_bytes = parse("GOLDEN_MAX_JOB_BYTES", &limit)?;
        }
        if let Some(n) = lookup("GOLDEN_MAX_UPLOADS_PER_CALLER") {
            settings.max_uploads_per_caller = parse("GOLDEN_MAX_UPLOADS_PER_CALLER", &n)?;
        }
        if let Some(n) = lookup("GOLDEN_MAX_UPLOADS") {
            settings.max_uploads = parse("GOLDEN_MAX_UPLOADS", &n)?;
        }
        if let Some(bytes) = lookup("GOLDEN_MIN_FREE_DISK_BYTES") {
            settings.min_free_disk_bytes = parse("GOLDEN_MIN_FREE_DISK_BYTES", &bytes)?;
        }
        if let Some(size) = lookup("GOLDEN_DB_POOL_SIZE") {
            settings.db_pool_size = parse("GOLDEN_DB_POOL_SIZE", &size)?;
        }
        if let Some(n) = lookup("GOLDEN_JOB_WORKERS") {
            settings.job_workers = at_least_one("GOLDEN_JOB_WORKERS", &n, "job worker")?;
        }
        if let Some(n) = lookup("GOLDEN_JOB_THREADS") {
            settings.job_threads = at_least_one("GOLDEN_JOB_THREADS", &n, "thread per job")?;
        }
        settings.webhooks = webhook_settings(&lookup)?;
        settings.nats = lookup("GOLDEN_NATS_URL").map(|url| NatsSettings {
            url,
            stream: lookup("GOLDEN_NATS_STREAM").unwrap_or_else(|| "GOLDEN".into()),
            subject_prefix: lookup("GOLDEN_NATS_SUBJECT_PREFIX").unwrap_or_else(|| "golden".into()),
        });
        if let Some(format) = lookup("GOLDEN_LOG_FORMAT") {
            settings.log_json = match format.as_str() {
                "json" => true,
                "text" => false,
                other => {
                    return Err(ConfigError::Invalid {
                        name: "GOLDEN_LOG_FORMAT",
                        reason: format!("expected json or text, got {other:?}"),
                    });
                }
            };
        }
        if let Some(ttl) = lookup("GOLDEN_CLAIM_TTL") {
            settings.claim_ttl = claim_ttl(&ttl)?;
        }
        if let Some(sync) = lookup("GOLDEN_SQLITE_SYNC") {
            settings.sqlite_sync = match sync.to_ascii_lowercase().as_str() {
                "full" => SqliteSync::Full,
                "normal" => SqliteSync::Normal,
                other => {
                    return Err(ConfigError::Invalid {
                        name: "GOLDEN_SQLITE_SYNC",
                        reason: format!("expected full or normal, got {other:?}"),
                    });
                }
            };
        }
        Ok(settings)
    }

    /// Where the tantivy candidate index lives.
    pub fn index_dir(&self) -> PathBuf {
        self.data_dir.join("index")
    }

    /// Where HTTP bulk jobs keep their uploads until they finish.
    pub fn jobs_dir(&self) -> PathBuf {
        self.data_dir.join("jobs")
    }

    /// Where the generated HS256 secret is kept in the embedded mode.
    pub fn secret_file(&self) -> PathBuf {
        self.data_dir.join("jwt-secret")
    }
}

/// A claim lasts a duration such as `30m` or `2h`: at least a minute, at most a day.
fn claim_ttl(raw: &str) -> Result<Duration, ConfigError> {
    let invalid = |reason: String| ConfigError::Invalid {
        name: "GOLDEN_CLAIM_TTL",
        reason,
    };
    let ttl = humantime::parse_duration(raw.trim()).map_err(|e| invalid(e.to_string()))?;
    if !(Duration::from_secs(60)..=Duration::from_secs(24 * 3600)).contains(&ttl) {
        return Err(invalid(format!(
            "a claim lasts between 1m and 24h, got {raw:?}"
        )));
    }
    Ok(ttl)
}

fn webhook_settings(
    lookup: &impl Fn(&str) -> Option<String>,
) -> Result<WebhookSettings, ConfigError> {
    let mut webhooks = WebhookSettings::default();
    if let Some(n) = lookup("GOLDEN_WEBHOOK_MAX_ATTEMPTS") {
        webhooks.max_attempts = parse("GOLDEN_WEBHOOK_MAX_ATTEMPTS", &n)?;
        if webhooks.max_attempts == 0 {
            return Err(ConfigError::Invalid {
                name: "GOLDEN_WEBHOOK_MAX_ATTEMPTS",
                reason: "at least one attempt is needed".into(),
            });
        }
    }
    for (name, value) in [
        ("GOLDEN_WEBHOOK_BACKOFF", &mut webhooks.backoff_base),
        ("GOLDEN_WEBHOOK_POLL", &mut webhooks.poll_interval),
        ("GOLDEN_WEBHOOK_TIMEOUT", &mut webhooks.timeout),
    ] {
        if let Some(raw) = lookup(name) {
            *value = humantime::parse_duration(raw.trim()).map_err(|e| ConfigError::Invalid {
                name,
                reason: e.to_string(),
            })?;
        }
    }
    Ok(webhooks)
}

fn parse<T: std::str::FromStr>(name: &'static str, raw: &str) -> Result<T, ConfigError>
where
    T::Err: std::fmt::Display,
{
    raw.trim()
        .parse()
        .map_err(|e: T::Err| ConfigError::Invalid {
            name,
            reason: e.to_string(),
        })
}

/// A count of which zero makes no sense (workers, threads).
fn at_least_one(name: &'static str, raw: &str, what: &str) -> Result<usize, ConfigError> {
    match parse(name, raw)? {
        0 => Err(ConfigError::Invalid {
            name,
            reason: format!("at least one {what} is needed"),
        }),
        n => Ok(n),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn settings(vars: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::from_lookup(|name| vars.get(name).cloned())
    }

    #[test]
    fn defaults_are_embedded_sqlite_under_data() {
        let s = settings(&[]).unwrap();
        assert_eq!(s.data_dir, PathBuf::from("./data"));
        assert_eq!(
            s.database,
            DatabaseUrl::Sqlite(PathBuf::from("./data/golden.sqlite3"))
        );
        assert_eq!(s.bind.to_string(), "127.0.0.1:8080");
        assert_eq!(s.index_dir(), PathBuf::from("./data/index"));
        assert_eq!(s.sqlite_sync, SqliteSync::Full);
    }

    #[test]
    fn sqlite_sync_is_full_or_normal() {
        let s = settings(&[("GOLDEN_SQLITE_SYNC", "normal")]).unwrap();
        assert_eq!(s.sqlite_sync.pragma(), "NORMAL");
        let err = settings(&[("GOLDEN_SQLITE_SYNC", "off")]).unwrap_err();
        assert!(err.to_string().contains("GOLDEN_SQLITE_SYNC"), "{err}");
    }

    #[test]
    fn postgres_url_selects_postgres_and_hides_password() {
        let s = settings(&[("DATABASE_URL", "postgres://app:hunter2@db:5432/golden")]).unwrap();
        assert!(s.database.is_postgres());
        let shown = format!("{s:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
    }

    #[test]
    fn sqlite_url_forms() {
        for raw in ["sqlite:///tmp/x.db", "sqlite:/tmp/x.db", "/tmp/x.db"] {
            let parsed = DatabaseUrl::parse(raw).unwrap();
            assert!(
                matches!(parsed, DatabaseUrl::Sqlite(p) if p.ends_with("x.db")),
                "{raw}"
            );
        }
        assert!(DatabaseUrl::parse("mysql://x").is_err());
    }

    #[test]
    fn job_threads_leave_a_core_and_need_one() {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        assert_eq!(settings(&[]).unwrap().job_threads, (cores - 1).max(1));
        let s = settings(&[("GOLDEN_JOB_THREADS", "3")]).unwrap();
        assert_eq!(s.job_threads, 3);
        for bad in ["0", "-2", "all"] {
            let err = settings(&[("GOLDEN_JOB_THREADS", bad)]).unwrap_err();
            assert!(err.to_string().contains("GOLDEN_JOB_THREADS"), "{err}");
        }
    }

    #[test]
    fn job_workers_default_to_two_and_need_one() {
        assert_eq!(settings(&[]).unwrap().job_workers, 2);
        let s = settings(&[("GOLDEN_JOB_WORKERS", "4")]).unwrap();
        assert_eq!(s.job_workers, 4);
        for bad in ["0", "-1", "many"] {
            let err = settings(&[("GOLDEN_JOB_WORKERS", bad)]).unwrap_err();
            assert!(err.to_string().contains("GOLDEN_JOB_WORKERS"), "{err}");
        }
    }

    #[test]
    fn claims_last_thirty_minutes_unless_configured() {
        assert_eq!(settings(&[]).unwrap().claim_ttl, Duration::from_secs(1800));
        let s = settings(&[("GOLDEN_CLAIM_TTL", "2h")]).unwrap();
        assert_eq!(s.claim_ttl, Duration::from_secs(7200));
        for bad in ["0s", "30s", "2d", "soon"] {
            let err = settings(&[("GOLDEN_CLAIM_TTL", bad)]).unwrap_err();
            assert!(err.to_string().contains("GOLDEN_CLAIM_TTL"), "{err}");
        }
    }

    #[test]
    fn webhook_retries_are_configurable() {
        let s = settings(&[
            ("GOLDEN_WEBHOOK_MAX_ATTEMPTS", "3"),
            ("GOLDEN_WEBHOOK_BACKOFF", "250ms"),
        ])
        .unwrap();
        assert_eq!(s.webhooks.max_attempts, 3);
        assert_eq!(s.webhooks.backoff_base, Duration::from_millis(250));
        for (name, bad) in [
            ("GOLDEN_WEBHOOK_MAX_ATTEMPTS", "0"),
            ("GOLDEN_WEBHOOK_POLL", "soon"),
        ] {
            let err = settings(&[(name, bad)]).unwrap_err();
            assert!(err.to_string().contains(name), "{err}");
        }
    }

    #[test]
    fn nats_is_off_unless_its_url_is_set() {
        assert!(settings(&[]).unwrap().nats.is_none());
        let s = settings(&[("GOLDEN_NATS_URL", "nats://127.0.0.1:4222")]).unwrap();
        let nats = s.nats.unwrap();
        assert_eq!(
            (nats.stream.as_str(), nats.subject_prefix.as_str()),
            ("GOLDEN", "golden")
        );
    }

    #[test]
    fn bad_bind_is_named() {
        let err = settings(&[("GOLDEN_BIND", "nowhere")]).unwrap_err();
        assert!(err.to_string().contains("GOLDEN_BIND"));
    }
}

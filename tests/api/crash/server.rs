//! The real `golden serve` process on a random port, and a small HTTP client for it.

use std::fs::{File, OpenOptions};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use golden::config::Settings;
use serde_json::Value;

use crate::helpers::golden_command;

/// A running `golden serve`; killed with SIGKILL when dropped.
pub struct Server {
    child: Child,
    pub base: String,
    log: PathBuf,
}

impl Server {
    /// Starts the binary on `settings`' store and data dir and waits until it answers.
    pub fn start(settings: &Settings, log: &Path) -> Self {
        let port = free_port();
        let out = OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .expect("server log");
        let err = out.try_clone().expect("server log");
        let child = golden_command(settings)
            .arg("serve")
            .env("GOLDEN_BIND", format!("127.0.0.1:{port}"))
            .env("GOLDEN_DB_POOL_SIZE", "4")
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::from(out))
            .stderr(Stdio::from(err))
            .spawn()
            .expect("start golden serve");
        let mut server = Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
            log: log.to_owned(),
        };
        server.wait_until_ready();
        server
    }

    fn wait_until_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        let agent = ureq::AgentBuilder::new()
            .timeout(Duration::from_secs(2))
            .build();
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("golden serve exited with {status}:\n{}", self.log_tail());
            }
            if agent.get(&format!("{}/healthz", self.base)).call().is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        panic!("golden serve did not start:\n{}", self.log_tail());
    }

    /// Panics when the process has died on its own.
    pub fn assert_alive(&mut self) {
        if let Ok(Some(status)) = self.child.try_wait() {
            panic!(
                "golden serve died before it was killed ({status}):\n{}",
                self.log_tail()
            );
        }
    }

    /// SIGKILL: no shutdown hook, no flush, no final index commit.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let start = text.len().saturating_sub(4_000);
        text.get(start..).unwrap_or(&text).to_owned()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A free port below Linux's ephemeral range, so that the servers other tests bind to port 0
/// cannot take it between this check and the server's start (and answer in its place).
fn free_port() -> u16 {
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos())
        ^ std::process::id();
    (0..1_000)
        .map(|i| 20_000 + ((seed as usize + i * 7_919) % 12_000) as u16)
        .find(|port| TcpListener::bind(("127.0.0.1", *port)).is_ok())
        .expect("a free port")
}

/// The answer to a request, or `Err` when the connection broke (the server was killed).
pub type Reply = Result<(u16, Value), String>;

/// Talks to one server with the tokens of each role.
#[derive(Clone)]
pub struct Client {
    agent: ureq::Agent,
    base: String,
    pub ingest: String,
    pub steward: String,
    pub reader: String,
}

impl Client {
    pub fn new(base: &str, tokens: &Tokens) -> Self {
        Self {
            agent: ureq::AgentBuilder::new()
                .timeout(Duration::from_secs(60))
                .build(),
            base: base.to_owned(),
            ingest: tokens.ingest.clone(),
            steward: tokens.steward.clone(),
            reader: tokens.reader.clone(),
        }
    }

    pub fn call(&self, method: &str, path: &str, token: &str, body: Option<&Value>) -> Reply {
        let request = self
            .agent
            .request(method, &format!("{}{path}", self.base))
            .set("Authorization", &format!("Bearer {token}"));
        reply(match body {
            Some(body) => request.send_json(body.clone()),
            None => request.call(),
        })
    }

    /// Posts a file's bytes (a bulk job upload).
    pub fn upload(&self, path: &str, token: &str, content_type: &str, body: &[u8]) -> Reply {
        reply(
            self.agent
                .post(&format!("{}{path}", self.base))
                .set("Authorization", &format!("Bearer {token}"))
                .set("Content-Type", content_type)
                .send_bytes(body),
        )
    }

    /// A read that must succeed (used while the server is known to be up).
    pub fn read(&self, path: &str) -> Value {
        let (status, body) = self
            .call("GET", path, &self.steward, None)
            .unwrap_or_else(|e| panic!("GET {path}: {e}"));
        assert_eq!(status, 200, "GET {path}: {body}");
        body
    }

    /// Reads a streamed export as raw text.
    pub fn read_text(&self, path: &str) -> String {
        let response = self
            .agent
            .get(&format!("{}{path}", self.base))
            .set("Authorization", &format!("Bearer {}", self.reader))
            .call()
            .unwrap_or_else(|e| panic!("GET {path}: {e}"));
        response
            .into_string()
            .unwrap_or_else(|e| panic!("GET {path}: {e}"))
    }
}

fn reply(result: Result<ureq::Response, ureq::Error>) -> Reply {
    let response = match result {
        Ok(response) | Err(ureq::Error::Status(_, response)) => response,
        Err(e) => return Err(e.to_string()),
    };
    let status = response.status();
    let text = response.into_string().map_err(|e| e.to_string())?;
    let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
    Ok((status, value))
}

/// Tokens for the workload, valid across restarts (the secret stays the same).
pub struct Tokens {
    pub ingest: String,
    pub steward: String,
    pub reader: String,
}

/// Keeps the server's output for a failed run to show.
pub fn new_log(dir: &Path) -> PathBuf {
    let path = dir.join("serve.log");
    File::create(&path).expect("server log");
    path
}

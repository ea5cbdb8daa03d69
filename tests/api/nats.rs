//! The change feed on NATS JetStream, against a private `nats-server` the test starts, kills
//! and starts again: every committed event arrives once (after the stream's de-duplication),
//! in order, across a broker outage, a broker killed between a commit and its publish, and a
//! publisher that lost its stored position.

use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use golden::auth::Role;
use golden::config::NatsSettings;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_with, vendor};

/// A `nats-server` with JetStream on a free port, its store in a temporary directory.
struct Broker {
    port: u16,
    dir: tempfile::TempDir,
    child: Option<Child>,
}

impl Broker {
    fn start() -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut broker = Self {
            port,
            dir: tempfile::tempdir().unwrap(),
            child: None,
        };
        broker.run();
        broker
    }

    fn run(&mut self) {
        let child = Command::new("nats-server")
            .args([
                "-js",
                "-a",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-sd",
            ])
            .arg(self.dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nats-server on the PATH (Debian package nats-server)");
        self.child = Some(child);
        wait_until("the broker listens", || {
            TcpStream::connect(("127.0.0.1", self.port)).is_ok()
        });
    }

    /// Kills the server (SIGKILL: no chance to flush or say goodbye).
    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Freezes the server (SIGSTOP): it holds its connections but reads and answers nothing,
    /// so a publish sent now waits for an acknowledgement that never comes.
    fn freeze(&self) {
        let pid = self.child.as_ref().expect("a running broker").id();
        let status = Command::new("kill")
            .args(["-STOP", &pid.to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// Every message in the stream: (Nats-Msg-Id, subject, the body's seq).
    fn messages(&self) -> Vec<(i64, String, i64)> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let Ok(client) = async_nats::connect(self.url()).await else {
                return Vec::new();
            };
            let jetstream = async_nats::jetstream::new(client);
            let Ok(mut stream) = jetstream.get_stream("GOLDEN").await else {
                return Vec::new();
            };
            let last = stream.info().await.unwrap().state.last_sequence;
            let mut messages = Vec::new();
            for sequence in 1..=last {
                let message = stream.get_raw_message(sequence).await.unwrap();
                let id = message.headers.get("Nats-Msg-Id").unwrap().as_str();
                let body: Value = serde_json::from_slice(&message.payload).unwrap();
                messages.push((
                    id.parse().unwrap(),
                    message.subject.to_string(),
                    body["seq"].as_i64().unwrap(),
                ));
            }
            messages
        })
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        self.stop();
    }
}

fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "timed out: {what}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The feed as (seq, expected subject).
fn feed(app: &TestApp) -> Vec<(i64, String)> {
    let reader = app.token(&[Role::Reader], &[]);
    let (_, page) = app.get("/v1/events?limit=1000", Some(&reader));
    page["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let domain = e["domain"].as_str().unwrap_or("_");
            let subject = format!("golden.{domain}.{}", e["kind"].as_str().unwrap());
            (e["seq"].as_i64().unwrap(), subject)
        })
        .collect()
}

fn published_once_in_order(broker: &Broker, app: &TestApp) -> bool {
    let expected = feed(app);
    let got: Vec<(i64, String)> = broker
        .messages()
        .into_iter()
        .map(|(id, subject, seq)| {
            assert_eq!(id, seq, "Nats-Msg-Id is the sequence");
            (seq, subject)
        })
        .collect();
    got == expected
}

/// A private broker, and a server publishing the feed to it.
fn app_with_broker() -> (Broker, TestApp) {
    let broker = Broker::start();
    let settings = NatsSettings {
        url: broker.url(),
        stream: "GOLDEN".into(),
        subject_prefix: "golden".into(),
    };
    let app = spawn_with(|s| s.nats = Some(settings));
    (broker, app)
}

fn readiness(app: &TestApp) -> Value {
    app.get("/readyz", None).1
}

#[test]
fn every_event_reaches_jetstream_once_in_order_across_outages() {
    let (mut broker, app) = app_with_broker();
    let ingest = app.token(&[Role::Ingest], &["sap"]);
    let records = json!([
        vendor(
            "sap",
            "1",
            json!({"name": "Acme Medical Supply Inc", "city": "Chicago"})
        ),
        vendor(
            "sap",
            "2",
            json!({"name": "Northwind Traders", "city": "Boston"})
        ),
    ]);
    assert_eq!(
        app.post("/v1/vendor/records", Some(&ingest), &records).0,
        200
    );
    wait_until("the first events", || {
        published_once_in_order(&broker, &app)
    });
    // The position is stored once the broker acknowledged the batch.
    wait_until("no lag", || readiness(&app)["nats"]["lag"] == 0);

    // The broker goes away: events wait in the outbox and the lag shows it.
    broker.stop();
    let change = vendor(
        "sap",
        "1",
        json!({"name": "Acme Medical Supply Inc", "city": "Evanston"}),
    );
    assert_eq!(
        app.post("/v1/vendor/records", Some(&ingest), &change).0,
        200
    );
    assert_eq!(app.delete("/v1/vendor/records/sap/2", Some(&ingest)).0, 200);
    let ready = readiness(&app);
    assert!(ready["nats"]["lag"].as_i64().unwrap() > 0, "{ready}");
    let metrics = ureq::get(&format!("{}/metrics", app.base))
        .call()
        .unwrap()
        .into_string()
        .unwrap();
    assert!(
        metrics.contains("golden_nats_outbox_lag_events"),
        "{metrics}"
    );
    // Back: publishing resumes from the last acknowledged event.
    broker.run();
    wait_until("the events from the outage", || {
        published_once_in_order(&broker, &app)
    });

    // A publisher that lost its position (killed between publishing and recording) sends
    // everything again; the stream drops the repeats by their message ID.
    let store = golden::store::Store::open(&app.settings).unwrap();
    store
        .write(|tx| {
            golden::store::queries::counters::store(tx.conn(), "outbox:GOLDEN", 0)
                .map_err(golden::store::StoreError::from)
        })
        .unwrap();
    let again = vendor(
        "sap",
        "3",
        json!({"name": "Globex Corporation", "city": "Denver"}),
    );
    assert_eq!(app.post("/v1/vendor/records", Some(&ingest), &again).0, 200);
    wait_until("the new event after the replay", || {
        published_once_in_order(&broker, &app)
    });
    wait_until("no lag", || readiness(&app)["nats"]["lag"] == 0);
    assert!(published_once_in_order(&broker, &app));
}

fn proposals(app: &TestApp) -> Vec<Value> {
    let steward = app.token(&[Role::Steward], &[]);
    let (status, page) = app.get("/v1/vendor/proposals?status=open", Some(&steward));
    assert_eq!(status, 200, "{page}");
    page["proposals"].as_array().unwrap().clone()
}

/// Freezes the broker, lets `commit` change something, kills the broker once the publisher
/// has the new events in hand (committed, not acknowledged), and starts it again: the events
/// of `commit` reach the stream once each, in order.
fn commit_then_kill_broker(broker: &mut Broker, app: &TestApp, commit: impl FnOnce()) {
    wait_until("nothing waiting", || readiness(app)["nats"]["lag"] == 0);
    broker.freeze();
    commit();
    let ready = readiness(app);
    assert!(ready["nats"]["lag"].as_i64().unwrap() > 0, "{ready}");
    // Give the publisher time to send into the frozen connection.
    std::thread::sleep(Duration::from_millis(500));
    broker.stop();
    broker.run();
    wait_until("the events committed before the kill", || {
        published_once_in_order(broker, app)
    });
}

#[test]
fn approvals_and_splits_reach_jetstream_once_when_the_broker_dies_before_publishing() {
    let (mut broker, app) = app_with_broker();
    let ingest = app.token(&[Role::Ingest], &["sap", "oracle"]);
    let steward = app.token(&[Role::Steward], &[]);
    let records = json!([
        vendor("sap", "2", json!({"name": "Contoso Surgical"})),
        vendor("oracle", "9", json!({"name": "Contoso Surgical LLC"})),
    ]);
    let (status, answer) = app.post("/v1/vendor/records", Some(&ingest), &records);
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["results"][1]["decision"], "proposed", "{answer}");
    let proposal = proposals(&app)[0].clone();
    wait_until("the ingest events", || {
        published_once_in_order(&broker, &app)
    });

    // Approved while the broker is frozen, then the broker is killed and started again.
    commit_then_kill_broker(&mut broker, &app, || {
        let path = format!("/v1/proposals/{}/approve", proposal["id"]);
        let (status, body) = app.post(&path, Some(&steward), &json!({"comment": "same"}));
        assert_eq!(status, 200, "{body}");
    });

    // The same for a split of the merged record.
    commit_then_kill_broker(&mut broker, &app, || {
        let reader = app.token(&[Role::Reader], &[]);
        let (_, entry) = app.get("/v1/crosswalk/vendor/oracle/9", Some(&reader));
        let survivor = entry["golden_id"].as_str().unwrap();
        let (_, view) = app.get(&format!("/v1/vendor/golden/{survivor}"), Some(&reader));
        let body = json!({"records": [{"source_system": "oracle", "source_id": "9"}],
                          "version": view["version"], "comment": "not the same after all"});
        let path = format!("/v1/vendor/golden/{survivor}/split");
        let (status, body) = app.post(&path, Some(&steward), &body);
        assert_eq!(status, 200, "{body}");
    });

    wait_until("no lag", || readiness(&app)["nats"]["lag"] == 0);
    assert!(published_once_in_order(&broker, &app));
    let subjects: Vec<String> = broker.messages().into_iter().map(|m| m.1).collect();
    for kind in ["proposal.decided", "golden.merged", "golden.split"] {
        let subject = format!("golden.vendor.{kind}");
        assert!(subjects.contains(&subject), "{subject} in {subjects:?}");
    }
}

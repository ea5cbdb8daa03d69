//! The change feed on NATS JetStream, against a private `nats-server` the test starts, stops
//! and starts again: every committed event arrives once (after the stream's de-duplication),
//! in order, across a broker outage and a publisher that lost its stored position.

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

    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
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

fn readiness(app: &TestApp) -> Value {
    app.get("/readyz", None).1
}

#[test]
fn every_event_reaches_jetstream_once_in_order_across_outages() {
    let mut broker = Broker::start();
    let settings = NatsSettings {
        url: broker.url(),
        stream: "GOLDEN".into(),
        subject_prefix: "golden".into(),
    };
    let app = spawn_with(|s| s.nats = Some(settings));
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

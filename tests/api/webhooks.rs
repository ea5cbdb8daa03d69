//! Webhooks against a local receiver that fails when told to: signatures, order, retries with
//! backoff (on a clock the test moves), the dead letters and their replay.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use golden::auth::Role;
use golden::clock::ManualClock;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::helpers::{TestApp, spawn_app, spawn_with, vendor};

const HOOK_SECRET: &str = "whsec-0123456789-abcdef";

/// One request the receiver got, and whether it answered 200.
#[derive(Debug, Clone)]
struct Delivery {
    headers: HashMap<String, String>,
    body: Vec<u8>,
    accepted: bool,
}

impl Delivery {
    fn seq(&self) -> i64 {
        let body: Value = serde_json::from_slice(&self.body).unwrap();
        body["seq"].as_i64().unwrap()
    }
}

/// An HTTP receiver on a random port: answers 500 while told to fail, 200 otherwise.
#[derive(Clone)]
struct Receiver {
    url: String,
    got: Arc<Mutex<Vec<Delivery>>>,
    fail_next: Arc<AtomicUsize>,
    fail_all: Arc<AtomicBool>,
}

impl Receiver {
    fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let receiver = Self {
            url: format!("http://{}/hooks/golden", listener.local_addr().unwrap()),
            got: Default::default(),
            fail_next: Default::default(),
            fail_all: Default::default(),
        };
        let serving = receiver.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                serving.answer(stream);
            }
        });
        receiver
    }

    fn answer(&self, stream: std::net::TcpStream) {
        let mut reader = BufReader::new(stream);
        let mut headers = HashMap::new();
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        loop {
            line.clear();
            reader.read_line(&mut line).unwrap();
            let Some((name, value)) = line.trim_end().split_once(':') else {
                break;
            };
            headers.insert(name.to_ascii_lowercase(), value.trim().to_owned());
        }
        let length: usize = headers["content-length"].parse().unwrap();
        let mut body = vec![0; length];
        reader.read_exact(&mut body).unwrap();
        let failing = self.fail_all.load(Ordering::SeqCst)
            || self
                .fail_next
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok();
        self.got.lock().unwrap().push(Delivery {
            headers,
            body,
            accepted: !failing,
        });
        let status = if failing {
            "500 Internal Server Error"
        } else {
            "200 OK"
        };
        let answer = format!("HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        let _ = reader.get_mut().write_all(answer.as_bytes());
    }

    fn deliveries(&self) -> Vec<Delivery> {
        self.got.lock().unwrap().clone()
    }

    fn accepted_seqs(&self) -> Vec<i64> {
        let got = self.deliveries();
        got.iter()
            .filter(|d| d.accepted)
            .map(Delivery::seq)
            .collect()
    }
}

/// Waits (in short steps, up to 30 s) until `done` holds.
fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "timed out: {what}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn recompute(secret: &str, timestamp: &str, body: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{timestamp}.").as_bytes());
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

fn vendor_seqs(app: &TestApp) -> Vec<i64> {
    let reader = app.token(&[Role::Reader], &[]);
    let (status, feed) = app.get("/v1/events?domain=vendor&limit=1000", Some(&reader));
    assert_eq!(status, 200, "{feed}");
    feed["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["seq"].as_i64().unwrap())
        .collect()
}

fn dead_letters(app: &TestApp, id: &str) -> Vec<Value> {
    let (status, body) = app.get(
        &format!("/v1/webhooks/{id}/dead-letters"),
        Some(&app.admin()),
    );
    assert_eq!(status, 200, "{body}");
    body.as_array().unwrap().clone()
}

#[test]
fn deliveries_are_signed_ordered_retried_dead_lettered_and_replayed() {
    let clock = ManualClock::starting_at(chrono::Utc::now());
    let app = spawn_with(|settings| {
        settings.clock = clock.clock();
        settings.webhooks.poll_interval = Duration::from_millis(20);
        settings.webhooks.backoff_base = Duration::from_secs(10);
        settings.webhooks.max_attempts = 3;
    });
    let receiver = Receiver::start();
    receiver.fail_next.store(2, Ordering::SeqCst);
    let admin = app.admin();
    let hook = json!({"url": receiver.url, "domains": ["vendor"], "secret": HOOK_SECRET});
    let (status, created) = app.post("/v1/webhooks", Some(&admin), &hook);
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["secret_hint"], "…cdef");
    assert!(!created.to_string().contains(HOOK_SECRET), "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    let (_, listed) = app.get("/v1/webhooks", Some(&admin));
    assert_eq!(listed[0]["id"], id.as_str(), "{listed}");
    assert!(!listed.to_string().contains(HOOK_SECRET));

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
    let item = vendor("sap", "SKU-1", json!({"description": "Glove, nitrile, M"}));
    let (status, body) = app.post("/v1/item/records", Some(&ingest), &item);
    assert_eq!(status, 200, "{body}");

    // The first attempt fails; the next waits for the backoff, however long the test waits.
    wait_until("a first attempt", || receiver.deliveries().len() == 1);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(receiver.deliveries().len(), 1);
    clock.advance(Duration::from_secs(10));
    wait_until("a second attempt", || receiver.deliveries().len() == 2);
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(receiver.deliveries().len(), 2, "the backoff doubles");
    clock.advance(Duration::from_secs(20));
    let expected = vendor_seqs(&app);
    assert!(expected.len() >= 2, "{expected:?}");
    wait_until("every vendor event", || {
        receiver.accepted_seqs() == expected
    });

    let deliveries = receiver.deliveries();
    assert!(deliveries[..3].iter().all(|d| d.seq() == expected[0]));
    assert_eq!(
        deliveries
            .iter()
            .map(|d| d.accepted)
            .take(3)
            .collect::<Vec<_>>(),
        [false, false, true]
    );
    for delivery in &deliveries {
        let timestamp = &delivery.headers["x-golden-timestamp"];
        let signature = &delivery.headers["x-golden-signature"];
        assert_eq!(
            signature,
            &recompute(HOOK_SECRET, timestamp, &delivery.body)
        );
        assert_ne!(
            signature,
            &recompute("another-secret-123", timestamp, &delivery.body)
        );
        assert_eq!(
            delivery.headers["x-golden-event-seq"],
            delivery.seq().to_string()
        );
        assert_eq!(delivery.headers["x-golden-webhook-id"], id);
        assert_eq!(delivery.headers["content-type"], "application/json");
        let body: Value = serde_json::from_slice(&delivery.body).unwrap();
        assert_eq!(body["domain"], "vendor", "{body}");
    }
    let last = &deliveries.last().unwrap().headers["x-golden-timestamp"];
    assert_eq!(
        last,
        &clock.now().timestamp().to_string(),
        "signed at the service's time"
    );

    // A receiver that keeps failing: each event is tried three times, then dead-lettered.
    receiver.fail_all.store(true, Ordering::SeqCst);
    let before = receiver.deliveries().len();
    let change = vendor(
        "sap",
        "1",
        json!({"name": "Acme Medical Supply Inc", "city": "Evanston"}),
    );
    assert_eq!(
        app.post("/v1/vendor/records", Some(&ingest), &change).0,
        200
    );
    let dead: Vec<i64> = vendor_seqs(&app)
        .into_iter()
        .filter(|seq| !expected.contains(seq))
        .collect();
    assert!(!dead.is_empty());
    wait_until("the dead letters", || {
        clock.advance(Duration::from_secs(3600));
        dead_letters(&app, &id).len() == dead.len()
    });
    let letters = dead_letters(&app, &id);
    for (letter, seq) in letters.iter().zip(&dead) {
        assert_eq!(letter["seq"], *seq, "{letter}");
        assert_eq!(letter["attempts"], 3, "{letter}");
        assert_eq!(letter["status"], "dead", "{letter}");
        assert_eq!(letter["domain"], "vendor", "{letter}");
        assert!(
            letter["last_error"].as_str().unwrap().contains("500"),
            "{letter}"
        );
    }
    assert_eq!(receiver.deliveries().len() - before, 3 * dead.len());
    let (_, view) = app.get(&format!("/v1/webhooks/{id}"), Some(&admin));
    assert_eq!(view["dead_letters"], dead.len(), "{view}");

    // Replayed, one and then the rest, once the receiver is well again.
    receiver.fail_all.store(false, Ordering::SeqCst);
    let replay_one = format!("/v1/webhooks/{id}/dead-letters/{}/replay", dead[0]);
    let (status, replayed) = app.post(&replay_one, Some(&admin), &json!({}));
    assert_eq!(
        (status, replayed["replayed"].as_i64()),
        (202, Some(1)),
        "{replayed}"
    );
    let mut delivered = expected.clone();
    delivered.push(dead[0]);
    wait_until("the replayed letter", || {
        receiver.accepted_seqs() == delivered
    });
    // The receiver has answered; the worker removes the letter right after.
    wait_until("the replayed letter removed", || {
        dead_letters(&app, &id).len() == dead.len() - 1
    });
    let (status, _) = app.post(&replay_one, Some(&admin), &json!({}));
    assert_eq!(status, 404, "no longer a dead letter");
    let replay_all = format!("/v1/webhooks/{id}/dead-letters/replay");
    let (status, replayed) = app.post(&replay_all, Some(&admin), &json!({}));
    assert_eq!(status, 202);
    assert_eq!(replayed["replayed"], dead.len() - 1);
    delivered.extend(&dead[1..]);
    wait_until("every replayed letter", || {
        receiver.accepted_seqs() == delivered
    });
    wait_until("no dead letter left", || dead_letters(&app, &id).is_empty());
    for delivery in receiver.deliveries() {
        let timestamp = &delivery.headers["x-golden-timestamp"];
        assert_eq!(
            delivery.headers["x-golden-signature"],
            recompute(HOOK_SECRET, timestamp, &delivery.body)
        );
    }

    // Removed: audited, and nothing more is sent.
    let (status, _) = app.delete(&format!("/v1/webhooks/{id}"), Some(&admin));
    assert_eq!(status, 204);
    assert_eq!(app.get(&format!("/v1/webhooks/{id}"), Some(&admin)).0, 404);
    let (_, audit) = app.get("/v1/audit?entity_type=webhook", Some(&admin));
    let actions: Vec<&str> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for action in ["webhook.created", "webhook.replayed", "webhook.deleted"] {
        assert!(actions.contains(&action), "{action} in {actions:?}");
    }
    assert!(!audit.to_string().contains(HOOK_SECRET));
}

#[test]
fn only_admins_register_webhooks_and_bad_ones_are_refused() {
    let app = spawn_app();
    let admin = app.admin();
    let good = json!({"url": "https://erp.example.com/hooks", "secret": HOOK_SECRET});
    let steward = app.token(&[Role::Steward], &[]);
    assert_eq!(app.post("/v1/webhooks", Some(&steward), &good).0, 403);
    assert_eq!(app.get("/v1/webhooks", Some(&steward)).0, 403);
    assert_eq!(app.get("/v1/webhooks", None).0, 401);
    for (bad, status) in [
        (
            json!({"url": "ftp://erp.example.com/", "secret": HOOK_SECRET}),
            422,
        ),
        (
            json!({"url": "https://erp.example.com/", "secret": "short"}),
            422,
        ),
        (
            json!({"url": "https://erp.example.com/", "secret": HOOK_SECRET, "domains": ["nope"]}),
            422,
        ),
        (
            json!({"url": "https://erp.example.com/", "secret": HOOK_SECRET, "event_types": ["Merged"]}),
            422,
        ),
        (
            json!({"url": "https://erp.example.com/", "secret": HOOK_SECRET, "extra": 1}),
            400,
        ),
    ] {
        let (got, body) = app.post("/v1/webhooks", Some(&admin), &bad);
        assert_eq!(got, status, "{bad} -> {body}");
    }
    assert_eq!(app.get("/v1/webhooks", Some(&admin)).1, json!([]));
    for path in ["/v1/webhooks/nope", "/v1/webhooks/nope/dead-letters"] {
        assert_eq!(app.get(path, Some(&admin)).0, 404, "{path}");
    }
    let (status, _) = app.post(
        "/v1/webhooks/nope/dead-letters/replay",
        Some(&admin),
        &json!({}),
    );
    assert_eq!(status, 404);
    assert_eq!(app.delete("/v1/webhooks/nope", Some(&admin)).0, 404);
}

#[test]
fn one_process_holds_the_delivery_lease_until_it_lapses() {
    use golden::service::lease::Lease;
    let clock = ManualClock::starting_at(chrono::Utc::now());
    let app = spawn_with(|settings| settings.clock = clock.clock());
    let store = golden::store::Store::open(&app.settings).unwrap();
    let mut conn = store.conn().unwrap();
    let ttl = Duration::from_secs(30);
    let (first, second) = (Lease::new("webhooks", ttl), Lease::new("webhooks", ttl));
    assert!(first.hold(&store, &mut conn).unwrap());
    assert!(!second.hold(&store, &mut conn).unwrap());
    clock.advance(Duration::from_secs(20));
    assert!(first.hold(&store, &mut conn).unwrap(), "renewed");
    clock.advance(Duration::from_secs(20));
    assert!(
        !second.hold(&store, &mut conn).unwrap(),
        "the renewal still runs"
    );
    clock.advance(Duration::from_secs(11));
    assert!(
        second.hold(&store, &mut conn).unwrap(),
        "lapsed: taken over"
    );
    assert!(!first.hold(&store, &mut conn).unwrap());
}

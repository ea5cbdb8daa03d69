//! Two `golden serve` processes on one PostgreSQL database, each with its own data dir and
//! candidate index: records match across replicas, even when writes race; each replica's
//! index and crosswalk catch up from the change feed; steward actions racing on one golden
//! record through both replicas resolve by version. PostgreSQL only: on SQLite (no
//! `GOLDEN_TEST_DATABASE_URL`) these tests print a note and pass.

use std::collections::{BTreeSet, HashSet};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use golden::auth::{Authenticator, Role};
use golden::config::DatabaseUrl;
use serde_json::{Value, json};

use crate::helpers::{SECRET, TestDb, call_at, rules_dir, test_settings, vendor};

const SYSTEMS: [&str; 6] = ["sap", "oracle", "ariba", "workday", "lawson", "coupa"];

/// One `golden serve` process.
struct Replica {
    base: String,
    child: Child,
}

impl Replica {
    fn start(data_dir: &Path, database: &str) -> Replica {
        std::fs::create_dir_all(data_dir).unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let log = std::fs::File::create(data_dir.join("serve.log")).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_golden"))
            .arg("serve")
            .env("GOLDEN_DATA_DIR", data_dir)
            .env("DATABASE_URL", database)
            .env("GOLDEN_BIND", format!("127.0.0.1:{port}"))
            .env("GOLDEN_RULES_DIR", rules_dir())
            .env("GOLDEN_JWT_SECRET", SECRET)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        let mut replica = Replica {
            base: format!("http://127.0.0.1:{port}"),
            child,
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        while ureq::get(&format!("{}/healthz", replica.base))
            .call()
            .is_err()
        {
            let exited = replica.child.try_wait().unwrap();
            if exited.is_some() || Instant::now() > deadline {
                let log = std::fs::read_to_string(data_dir.join("serve.log")).unwrap_or_default();
                panic!("replica did not start ({exited:?}):\n{log}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        replica
    }

    fn get(&self, path: &str, token: &str) -> (u16, Value) {
        call_at(&self.base, "GET", path, Some(token), None)
    }

    fn post(&self, path: &str, token: &str, body: &Value) -> (u16, Value) {
        call_at(&self.base, "POST", path, Some(token), Some(body))
    }

    fn crosswalk(&self, token: &str, system: &str, id: &str) -> Value {
        let (status, entry) = self.get(&format!("/v1/crosswalk/vendor/{system}/{id}"), token);
        assert_eq!(status, 200, "{entry}");
        entry
    }
}

impl Drop for Replica {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Replicas A and B over one fresh database.
struct Pair {
    a: Replica,
    b: Replica,
    authenticator: Authenticator,
    // Dropped after the replicas: the processes stop before their database and files go.
    _db: TestDb,
    _dir: tempfile::TempDir,
}

impl Pair {
    /// `None` (with a note) when the tests run on SQLite.
    fn start() -> Option<Pair> {
        if std::env::var("GOLDEN_TEST_DATABASE_URL").map_or(true, |u| u.trim().is_empty()) {
            println!("replica tests need PostgreSQL: set GOLDEN_TEST_DATABASE_URL; skipped");
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let db = TestDb::new(dir.path());
        let DatabaseUrl::Postgres(url) = &db.url else {
            panic!("expected a PostgreSQL test database");
        };
        let settings = test_settings(dir.path(), &db);
        let a = Replica::start(&dir.path().join("a"), url);
        let b = Replica::start(&dir.path().join("b"), url);
        Some(Pair {
            a,
            b,
            authenticator: Authenticator::from_settings(&settings).unwrap(),
            _db: db,
            _dir: dir,
        })
    }

    fn token(&self, role: Role, sources: &[&str]) -> String {
        self.authenticator
            .issue(
                "tester",
                BTreeSet::from([role]),
                sources.iter().map(|s| s.to_string()).collect(),
                Duration::from_secs(600),
            )
            .unwrap()
    }
}

/// Polls `check` for up to ten seconds; the replicas' background sync runs every second.
fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting: {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn result(body: &Value) -> (&str, &str) {
    let result = &body["results"][0];
    (
        result["decision"].as_str().unwrap_or("?"),
        result["golden_id"].as_str().unwrap_or("?"),
    )
}

#[test]
fn records_match_across_replicas_and_each_replica_catches_up() {
    let Some(pair) = Pair::start() else { return };
    let (a, b) = (&pair.a, &pair.b);
    let ingest = pair.token(Role::Ingest, &SYSTEMS);
    let reader = pair.token(Role::Reader, &[]);
    let steward = pair.token(Role::Steward, &[]);

    // Written through A, then its near-duplicate through B: B matches it against A's record.
    let acme = json!({"name": "Acme Medical Supply, Inc.", "tax_id": "12-3456789"});
    let (status, body) = a.post("/v1/vendor/records", &ingest, &vendor("sap", "1", acme));
    assert_eq!(status, 200, "{body}");
    let (decision, acme_id) = result(&body);
    assert_eq!(decision, "new");
    let twin = json!({"name": "ACME MEDICAL SUPPLY INC", "tax_id": "123456789"});
    let (status, body) = b.post("/v1/vendor/records", &ingest, &vendor("oracle", "1", twin));
    assert_eq!(status, 200, "{body}");
    assert_eq!(result(&body), ("auto_linked", acme_id), "{body}");

    // B's index catches up on its own: a search on B finds a record written through A.
    let baxter = json!({"name": "Baxter Healthcare Corporation", "tax_id": "36-0781620"});
    let (_, body) = a.post("/v1/vendor/records", &ingest, &vendor("sap", "2", baxter));
    let baxter_id = result(&body).1.to_owned();
    eventually("B's search finds A's record", || {
        let (status, hits) = b.get("/v1/vendor/golden?q=Baxter%20Healthcare", &reader);
        assert_eq!(status, 200, "{hits}");
        hits["results"]
            .as_array()
            .unwrap()
            .iter()
            .any(|hit| hit["golden_id"] == baxter_id.as_str())
    });

    // Both replicas answer the crosswalk alike, for keys written through either.
    for (system, id) in [("sap", "1"), ("oracle", "1"), ("sap", "2")] {
        eventually("the crosswalk answers alike on A and B", || {
            a.crosswalk(&reader, system, id) == b.crosswalk(&reader, system, id)
        });
    }
    assert_eq!(
        b.crosswalk(&reader, "oracle", "1")["members"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    // A merge through A: A answers with it at once (its own write), B within the wait.
    let version = |r: &Replica, id: &str| {
        let (status, view) = r.get(&format!("/v1/vendor/golden/{id}"), &reader);
        assert_eq!(status, 200, "{view}");
        view["version"].clone()
    };
    let body = json!({"other_golden_id": baxter_id, "version": version(a, acme_id),
                      "other_version": version(a, &baxter_id)});
    let (status, merged) = a.post(
        &format!("/v1/vendor/golden/{acme_id}/merge"),
        &steward,
        &body,
    );
    assert_eq!(status, 200, "{merged}");
    let on_a = a.crosswalk(&reader, "sap", "2");
    assert_eq!(on_a["golden_id"], acme_id);
    assert_eq!(on_a["members"].as_array().unwrap().len(), 3);
    eventually("B's crosswalk follows A's merge", || {
        b.crosswalk(&reader, "sap", "2") == on_a
    });
}

#[test]
fn racing_writes_and_steward_actions_resolve_on_both_replicas() {
    let Some(pair) = Pair::start() else { return };
    let pair = Arc::new(pair);
    let ingest = pair.token(Role::Ingest, &SYSTEMS);
    let reader = pair.token(Role::Reader, &[]);
    let steward = pair.token(Role::Steward, &[]);
    let names = [
        "Northwind Traders",
        "Contoso Surgical",
        "Fabrikam Linen",
        "Initech Medical",
        "Globex Diagnostics",
        "Umbrella Sterile",
        "Stark Orthopedic",
        "Wayne Imaging",
    ];

    // Each of six threads sends one copy of every entity, half through A and half through B,
    // all at once: every entity's copies race each other to the two replicas.
    let barrier = Arc::new(Barrier::new(SYSTEMS.len()));
    let threads: Vec<_> = SYSTEMS
        .iter()
        .enumerate()
        .map(|(copy, system)| {
            let (pair, barrier, ingest) = (pair.clone(), barrier.clone(), ingest.clone());
            std::thread::spawn(move || {
                let replica = if copy % 2 == 0 { &pair.a } else { &pair.b };
                barrier.wait();
                for (entity, name) in names.iter().enumerate() {
                    let (name, tax_id) = if copy % 2 == 0 {
                        (format!("{name}, Inc."), format!("41-55500{entity:02}"))
                    } else {
                        (
                            format!("{} INC", name.to_uppercase()),
                            format!("4155500{entity:02}"),
                        )
                    };
                    let record = vendor(
                        system,
                        &format!("E{entity}"),
                        json!({"name": name, "tax_id": tax_id}),
                    );
                    let (status, body) = replica.post("/v1/vendor/records", &ingest, &record);
                    assert_eq!(status, 200, "{body}");
                }
            })
        })
        .collect();
    threads.into_iter().for_each(|t| t.join().unwrap());

    // One golden record per entity, and both replicas say so.
    let mut goldens = HashSet::new();
    for entity in 0..names.len() {
        let id = format!("E{entity}");
        let of = |r: &Replica, system: &str| r.crosswalk(&reader, system, &id)["golden_id"].clone();
        let first = of(&pair.a, SYSTEMS[0]);
        for system in SYSTEMS {
            assert_eq!(of(&pair.a, system), first, "{system}/{id} on A");
            eventually("B agrees with A", || of(&pair.b, system) == first);
        }
        goldens.insert(first.as_str().unwrap().to_owned());
    }
    assert_eq!(goldens.len(), names.len(), "{goldens:?}");

    // Overrides of one golden record race through A and B with the same version: one wins,
    // the other gets 409, and the winner's value is what both replicas show.
    let target = pair.a.crosswalk(&reader, "sap", "E0")["golden_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let rounds = 5;
    for round in 0..rounds {
        let (status, view) = pair.a.get(&format!("/v1/vendor/golden/{target}"), &reader);
        assert_eq!(status, 200, "{view}");
        let version = view["version"].as_i64().unwrap();
        let barrier = Arc::new(Barrier::new(2));
        let racers: Vec<_> = ["A", "B"]
            .into_iter()
            .map(|side| {
                let (pair, barrier, steward) = (pair.clone(), barrier.clone(), steward.clone());
                let target = target.clone();
                std::thread::spawn(move || {
                    let replica = if side == "A" { &pair.a } else { &pair.b };
                    let value = format!("Northwind {side}{round}");
                    let body = json!({"field": "name", "value": value, "version": version});
                    barrier.wait();
                    let (status, body) = replica.post(
                        &format!("/v1/vendor/golden/{target}/override"),
                        &steward,
                        &body,
                    );
                    (status, value, body)
                })
            })
            .collect();
        let mut outcomes: Vec<_> = racers.into_iter().map(|t| t.join().unwrap()).collect();
        outcomes.sort_by_key(|(status, _, _)| *status);
        let statuses: Vec<u16> = outcomes.iter().map(|(s, _, _)| *s).collect();
        assert_eq!(statuses, [200, 409], "round {round}: {outcomes:?}");
        let winner = &outcomes[0].1;
        for replica in [&pair.a, &pair.b] {
            let (_, view) = replica.get(&format!("/v1/vendor/golden/{target}"), &reader);
            assert_eq!(view["fields"]["name"], winner.as_str(), "round {round}");
            assert_eq!(view["version"], version + 1, "round {round}");
        }
    }
    // Every acknowledged override is in the change feed, and nothing else was applied.
    let (_, feed) = pair.b.get("/v1/events?after=0&limit=1000", &reader);
    let overrides = feed["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "golden.overridden")
        .count();
    assert_eq!(overrides, rounds);
}

#[test]
fn a_model_activated_on_one_replica_is_used_by_the_other() {
    let Some(pair) = Pair::start() else { return };
    let ingest = pair.token(Role::Ingest, &SYSTEMS);
    let admin = pair.token(Role::Admin, &[]);
    let mut batch = Vec::new();
    for n in 0..30 {
        for (copy, system) in SYSTEMS.iter().take(2).enumerate() {
            let name = format!("Vendor {} Supply", ["Alpha", "Beta", "Gamma"][n % 3]);
            let name = if copy == 0 { name } else { name.to_uppercase() };
            batch.push(vendor(
                system,
                &format!("E{n}"),
                json!({"name": format!("{name} {n}"), "tax_id": format!("41-{:07}", 5_550_000 + n),
                       "phone": format!("312-555-{:04}", 2000 + n), "postal_code": format!("{}", 60100 + n)}),
            ));
        }
    }
    let (status, body) = pair.a.post("/v1/vendor/records", &ingest, &json!(batch));
    assert_eq!(status, 200, "{body}");
    let (status, model) = pair
        .a
        .post("/v1/vendor/models/estimate", &admin, &json!({}));
    assert_eq!(status, 201, "{model}");
    eventually("replica B uses the model replica A activated", || {
        let (_, domains) = pair.b.get("/v1/domains", &admin);
        domains["domains"].as_array().is_some_and(|ds| {
            ds.iter()
                .any(|d| d["name"] == "vendor" && d["model"]["version"] == 1)
        })
    });
}

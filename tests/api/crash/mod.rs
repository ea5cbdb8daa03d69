//! Crash safety: the real `golden serve` process is killed with SIGKILL in the middle of a
//! stream of ingests and steward actions, restarted on the same data dir and database, and
//! checked: every acknowledged write is there, the write in flight is all or nothing, the
//! change feed has no gap, and the candidate index caught up with the database on its own.
//!
//! `GOLDEN_CRASH_ROUNDS` sets the number of kill-and-restart rounds (default 5);
//! `GOLDEN_CRASH_SEED` replays a workload.

mod checks;
mod server;
mod workload;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use golden::auth::{Authenticator, Role};

use crate::helpers::{TestDb, test_settings};
use server::{Client, Server, Tokens};
use workload::{Ledger, Rng};

fn env_number(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok())
}

fn tokens(settings: &golden::config::Settings) -> Tokens {
    let auth = Authenticator::from_settings(settings).unwrap();
    let issue = |roles: &[Role], sources: &[&str]| {
        auth.issue(
            "crash-test",
            roles.iter().copied().collect(),
            sources.iter().map(|s| s.to_string()).collect(),
            Duration::from_secs(3_600),
        )
        .unwrap()
    };
    Tokens {
        ingest: issue(&[Role::Ingest], &["sap", "oracle", "ariba"]),
        // Both compare records and events as sent, tax IDs included: the sensitive role
        // unmasks them.
        steward: issue(&[Role::Steward, Role::Sensitive], &[]),
        reader: issue(&[Role::Reader, Role::Sensitive], &[]),
    }
}

#[test]
fn a_killed_server_keeps_every_acknowledged_write() {
    let rounds = env_number("GOLDEN_CRASH_ROUNDS").unwrap_or(5);
    let seed = env_number("GOLDEN_CRASH_SEED").unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64)
    });
    eprintln!("crash test: {rounds} rounds, GOLDEN_CRASH_SEED={seed}");
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::new(&dir.path().join("data"));
    let settings = test_settings(dir.path(), &db);
    let tokens = tokens(&settings);
    let log = server::new_log(dir.path());
    let ledger = Arc::new(Mutex::new(Ledger::default()));
    let mut timing = Rng::new(seed ^ 0x9E37_79B9_7F4A_7C15);
    let mut server = Server::start(&settings, &log);

    for round in 0..rounds {
        let client = Client::new(&server.base, &tokens);
        let shared = ledger.clone();
        let worker = std::thread::spawn(move || {
            workload::run(&client, &shared, &mut Rng::new(seed.wrapping_add(round)));
        });
        std::thread::sleep(Duration::from_millis(200 + timing.below(1_300) as u64));
        server.assert_alive();
        server.kill();
        if let Err(panic) = worker.join() {
            std::panic::resume_unwind(panic);
        }
        server = Server::start(&settings, &log);
        let client = Client::new(&server.base, &tokens);
        checks::verify(&client, &mut ledger.lock().unwrap());
    }

    let ledger = ledger.lock().unwrap();
    eprintln!(
        "crash test: {rounds} rounds, {} acknowledged writes ({} steward actions, {} bulk jobs), \
         {} records, {} events; {} kills with a write in flight ({} of them committed); {:.1} s",
        ledger.acked_writes,
        ledger.acked_steward,
        ledger.acked_jobs,
        ledger.records.len(),
        ledger.feed.len(),
        ledger.in_flight,
        ledger.in_flight_applied,
        started.elapsed().as_secs_f64()
    );
    assert!(
        ledger.acked_writes as u64 >= rounds,
        "too few writes were acknowledged to prove anything: {}",
        ledger.acked_writes
    );
}

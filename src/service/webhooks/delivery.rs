//! The delivery worker: one per process, and of the processes sharing a database only the
//! holder of the `webhooks` lease delivers. For each subscription it sends replayed dead
//! letters first, then the events after the subscription's position, one at a time and in
//! sequence order, so a receiver never sees an event before the ones committed ahead of it
//! (those given up on aside). A failed event is tried again after a wait that doubles each
//! time; after the configured number of attempts it goes to the dead letters and delivery
//! moves on. Each outcome is stored before the next attempt, so a restart resumes where the
//! last one stopped (at least once: an event sent just before a crash is sent again).

use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDateTime;

use super::signature::{self, SEQ_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, WEBHOOK_HEADER};
use crate::config::WebhookSettings;
use crate::service::events::event_view;
use crate::service::lease::Lease;
use crate::service::{Golden, ServiceError};
use crate::store::DbConnection;
use crate::store::models::{DeadLetterRow, EventRow, WebhookRow};
use crate::store::queries::{events, webhooks};

/// The lease that elects the one delivering process.
const LEASE: &str = "webhooks";
/// Most attempts one subscription gets in one pass, so that one busy subscription does not
/// hold up the others.
const ATTEMPTS_PER_PASS: usize = 100;
/// Events read at once while looking for the next one a subscription wants.
const SCAN_PAGE: i64 = 500;
/// Pages scanned per pass for a subscription whose filters let little through.
const SCAN_PAGES: usize = 20;
/// Longest receiver error text kept.
const MAX_ERROR_CHARS: usize = 300;

/// Why one delivery failed; stored as text with the subscription or dead letter.
#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    #[error("the receiver answered HTTP {0}")]
    Status(u16),
    #[error("the delivery failed: {0}")]
    Transport(String),
}

/// What one process needs to deliver: an HTTP agent and its claim on the lease.
pub struct Worker {
    agent: ureq::Agent,
    lease: Lease,
    settings: WebhookSettings,
}

impl Worker {
    pub fn new(settings: &WebhookSettings) -> Self {
        let agent = ureq::AgentBuilder::new()
            .timeout(settings.timeout)
            // A redirect would send the signed event somewhere the admin did not name.
            .redirects(0)
            .user_agent(concat!("golden/", env!("CARGO_PKG_VERSION")))
            .build();
        Self {
            agent,
            lease: Lease::new(LEASE, settings.lease_ttl),
            settings: settings.clone(),
        }
    }

    /// POSTs `body` (event `seq`) to the subscription, signed for `timestamp`.
    fn send(
        &self,
        hook: &WebhookRow,
        seq: i64,
        body: &[u8],
        timestamp: i64,
    ) -> Result<(), DeliveryError> {
        let signature = signature::sign(hook.secret.as_bytes(), timestamp, body);
        let sent = self
            .agent
            .post(&hook.url)
            .set("Content-Type", "application/json")
            .set(SIGNATURE_HEADER, &signature)
            .set(TIMESTAMP_HEADER, &timestamp.to_string())
            .set(SEQ_HEADER, &seq.to_string())
            .set(WEBHOOK_HEADER, &hook.id)
            .send_bytes(body);
        match sent {
            Ok(_) => Ok(()),
            Err(ureq::Error::Status(code, _)) => Err(DeliveryError::Status(code)),
            Err(ureq::Error::Transport(e)) => Err(DeliveryError::Transport(e.to_string())),
        }
    }
}

/// The wait after the `attempts`-th failure: the base, doubled for each failure before it,
/// never more than the maximum.
pub fn backoff(settings: &WebhookSettings, attempts: u32) -> Duration {
    let factor = 1u32
        .checked_shl(attempts.saturating_sub(1))
        .unwrap_or(u32::MAX);
    settings
        .backoff_base
        .saturating_mul(factor)
        .min(settings.backoff_max)
}

/// Runs delivery passes, one at a time on a blocking thread, every poll interval, until the
/// server's runtime stops.
pub async fn run_deliveries(golden: Arc<Golden>) {
    let worker = Arc::new(Worker::new(&golden.settings.webhooks));
    let mut ticks = tokio::time::interval(golden.settings.webhooks.poll_interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let (service, worker) = (golden.clone(), worker.clone());
        match tokio::task::spawn_blocking(move || service.deliver_webhooks(&worker)).await {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::warn!(error = %e.chain(), "a webhook delivery pass failed"),
            Err(e) => tracing::error!(error = %e, "a webhook delivery pass panicked"),
        }
    }
}

impl Golden {
    /// One delivery pass over every subscription, if this process holds the lease. Returns
    /// how many deliveries it attempted.
    pub fn deliver_webhooks(&self, worker: &Worker) -> Result<usize, ServiceError> {
        let mut conn = self.store.conn()?;
        if webhooks::count(&mut conn)? == 0 || !worker.lease.hold(&self.store, &mut conn)? {
            return Ok(0);
        }
        let mut attempted = 0;
        for hook in webhooks::all(&mut conn)? {
            let id = hook.id.clone();
            match self.serve(worker, &mut conn, hook) {
                Ok(n) => attempted += n,
                Err(e) => {
                    tracing::warn!(webhook.id = %id, error = %e.chain(), "webhook delivery failed");
                }
            }
        }
        Ok(attempted)
    }

    /// Attempts the due deliveries of one subscription: replays first, then new events.
    fn serve(
        &self,
        worker: &Worker,
        conn: &mut DbConnection,
        mut hook: WebhookRow,
    ) -> Result<usize, ServiceError> {
        let mut attempted = 0;
        while attempted < ATTEMPTS_PER_PASS && worker.lease.hold(&self.store, conn)? {
            let now = self.store.now();
            if let Some(letter) = webhooks::next_replay(conn, &hook.id)? {
                if letter.next_attempt_at.is_some_and(|at| at > now) {
                    break;
                }
                self.replay(worker, conn, &hook, letter)?;
            } else {
                if hook.next_attempt_at.is_some_and(|at| at > now) {
                    break;
                }
                let Some(event) = self.next_event(conn, &mut hook)? else {
                    break;
                };
                self.attempt(worker, &mut hook, event)?;
            }
            attempted += 1;
        }
        Ok(attempted)
    }

    /// The next event after the subscription's position that it wants. Events it does not
    /// want move the position past them.
    fn next_event(
        &self,
        conn: &mut DbConnection,
        hook: &mut WebhookRow,
    ) -> Result<Option<EventRow>, ServiceError> {
        let domains: Vec<String> = serde_json::from_str(&hook.domains)?;
        let kinds: Vec<String> = serde_json::from_str(&hook.event_types)?;
        let wanted = |e: &EventRow| {
            (domains.is_empty() || e.domain.as_ref().is_some_and(|d| domains.contains(d)))
                && (kinds.is_empty() || kinds.contains(&e.kind))
        };
        let start = hook.position;
        let mut found = None;
        for _ in 0..SCAN_PAGES {
            let page = events::after(conn, hook.position, SCAN_PAGE, None)?;
            let full = page.len() as i64 == SCAN_PAGE;
            for event in page {
                if wanted(&event) {
                    found = Some(event);
                    break;
                }
                hook.position = event.seq;
            }
            if found.is_some() || !full {
                break;
            }
        }
        if hook.position != start {
            self.store_progress(hook)?;
        }
        Ok(found)
    }

    /// One attempt at the subscription's next event; stores the outcome.
    fn attempt(
        &self,
        worker: &Worker,
        hook: &mut WebhookRow,
        event: EventRow,
    ) -> Result<(), ServiceError> {
        let seq = event.seq;
        let body = serde_json::to_vec(&event_view(event)?)?;
        let timestamp = self.store.clock().now().timestamp();
        match worker.send(hook, seq, &body, timestamp) {
            Ok(()) => {
                hook.position = seq;
                hook.attempts = 0;
                hook.next_attempt_at = None;
                hook.last_error = None;
                self.store_progress(hook)
            }
            Err(e) => self.failed(worker, hook, seq, &e),
        }
    }

    /// Counts a failed attempt at event `seq`: waits before the next, or gives up on it.
    fn failed(
        &self,
        worker: &Worker,
        hook: &mut WebhookRow,
        seq: i64,
        error: &DeliveryError,
    ) -> Result<(), ServiceError> {
        let reason = error_text(error);
        tracing::debug!(webhook.id = %hook.id, event.seq = seq, error = %reason, "webhook delivery failed");
        hook.attempts += 1;
        hook.last_error = Some(reason.clone());
        if hook.attempts < i64::from(worker.settings.max_attempts) {
            hook.next_attempt_at = Some(self.after_backoff(worker, hook.attempts));
            return self.store_progress(hook);
        }
        let letter = DeadLetterRow {
            webhook_id: hook.id.clone(),
            seq,
            status: webhooks::DEAD.to_owned(),
            attempts: hook.attempts,
            last_error: reason,
            failed_at: self.store.now(),
            next_attempt_at: None,
        };
        hook.position = seq;
        hook.attempts = 0;
        hook.next_attempt_at = None;
        self.store.write(|tx| {
            webhooks::insert_dead_letter(tx.conn(), &letter)?;
            store_progress(tx.conn(), hook)
        })
    }

    /// One attempt at a dead letter an admin replays: removed when delivered, dead again when
    /// its attempts run out.
    fn replay(
        &self,
        worker: &Worker,
        conn: &mut DbConnection,
        hook: &WebhookRow,
        mut letter: DeadLetterRow,
    ) -> Result<(), ServiceError> {
        let Some(event) = events::find(conn, letter.seq)? else {
            webhooks::remove_dead_letter(conn, &hook.id, letter.seq)?;
            return Ok(());
        };
        let body = serde_json::to_vec(&event_view(event)?)?;
        let timestamp = self.store.clock().now().timestamp();
        let outcome = worker.send(hook, letter.seq, &body, timestamp);
        self.store.write(|tx| match outcome {
            Ok(()) => Ok(webhooks::remove_dead_letter(
                tx.conn(),
                &hook.id,
                letter.seq,
            )?),
            Err(e) => {
                letter.attempts += 1;
                letter.last_error = error_text(&e);
                letter.failed_at = tx.now();
                if letter.attempts < i64::from(worker.settings.max_attempts) {
                    letter.next_attempt_at = Some(self.after_backoff(worker, letter.attempts));
                } else {
                    letter.status = webhooks::DEAD.to_owned();
                    letter.next_attempt_at = None;
                }
                Ok::<_, ServiceError>(webhooks::store_replay_failure(tx.conn(), &letter)?)
            }
        })
    }

    fn after_backoff(&self, worker: &Worker, attempts: i64) -> NaiveDateTime {
        let attempts = u32::try_from(attempts).unwrap_or(u32::MAX);
        let wait = chrono::Duration::from_std(backoff(&worker.settings, attempts))
            .unwrap_or(chrono::Duration::MAX);
        let now = self.store.now();
        now.checked_add_signed(wait).unwrap_or(now)
    }

    fn store_progress(&self, hook: &WebhookRow) -> Result<(), ServiceError> {
        self.store.write(|tx| store_progress(tx.conn(), hook))
    }
}

fn store_progress(conn: &mut DbConnection, hook: &WebhookRow) -> Result<(), ServiceError> {
    Ok(webhooks::store_progress(
        conn,
        &hook.id,
        hook.position,
        hook.attempts,
        hook.next_attempt_at,
        hook.last_error.as_deref(),
    )?)
}

fn error_text(error: &DeliveryError) -> String {
    crate::service::audit::sanitize(&error.to_string(), MAX_ERROR_CHARS).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_backoff_doubles_from_the_base_up_to_the_maximum() {
        let settings = WebhookSettings {
            backoff_base: Duration::from_millis(100),
            backoff_max: Duration::from_secs(1),
            ..WebhookSettings::default()
        };
        let waits: Vec<u128> = (1..=6).map(|n| backoff(&settings, n).as_millis()).collect();
        assert_eq!(waits, [100, 200, 400, 800, 1000, 1000]);
        assert_eq!(backoff(&settings, 200), Duration::from_secs(1));
    }
}

//! Publishing the change feed to NATS JetStream. The events table is the outbox: every event
//! is written in the transaction that made the change, so nothing committed can be missed and
//! nothing rolled back is published. One process at a time (the holder of the `outbox`
//! lease) reads the events after the stored position, publishes them in sequence order to
//! `PREFIX.{domain}.{event_type}` with `Nats-Msg-Id` = the sequence, waits for each
//! acknowledgement, and then stores the new position. After a crash or a broker outage it
//! starts again from the stored position: events published but not yet recorded are sent
//! again, and the stream drops them as duplicates of their message ID.

use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream;
use serde::Serialize;

use super::events::event_view;
use super::lease::Lease;
use super::{Golden, ServiceError};
use crate::config::NatsSettings;
use crate::store::models::EventRow;
use crate::store::queries::{counters, events};

/// The lease that elects the publishing process.
const LEASE: &str = "outbox";
/// How long the lease lasts unless renewed.
const LEASE_TTL: Duration = Duration::from_secs(30);
/// Events published between two stores of the position.
const BATCH: i64 = 100;
/// How often an idle publisher looks for new events, and waits after a failure.
const IDLE: Duration = Duration::from_millis(200);
const RETRY: Duration = Duration::from_secs(1);
/// How long the stream remembers message IDs to drop duplicates: longer than a restart.
const DUPLICATE_WINDOW: Duration = Duration::from_secs(600);

/// Why publishing stopped; the publisher reconnects and resumes from the stored position.
#[derive(Debug, thiserror::Error)]
pub enum OutboxError {
    #[error("cannot connect to NATS")]
    Connect(#[from] async_nats::ConnectError),
    #[error("cannot create or read the JetStream stream")]
    Stream(#[from] jetstream::context::CreateStreamError),
    #[error("the broker did not acknowledge an event")]
    Publish(#[from] jetstream::context::PublishError),
    #[error(transparent)]
    Service(#[from] ServiceError),
    #[error("the publisher's database work did not finish")]
    Join(#[from] tokio::task::JoinError),
}

/// Where publishing stands, for `/readyz` and the metrics.
#[derive(Debug, Clone, Copy, Serialize, utoipa::ToSchema)]
pub struct OutboxStatus {
    /// The last event sequence the broker acknowledged.
    pub published_seq: i64,
    /// Events committed but not yet acknowledged.
    pub lag: i64,
}

/// The counter holding the position for `stream`.
fn position_counter(stream: &str) -> String {
    format!("outbox:{stream}")
}

/// The subject of an event: `PREFIX.{domain}.{event_type}` (`_` for an event of no domain).
pub fn subject(prefix: &str, event: &EventRow) -> String {
    format!(
        "{prefix}.{}.{}",
        event.domain.as_deref().unwrap_or("_"),
        event.kind
    )
}

impl Golden {
    /// Where publishing stands, when a broker is configured.
    pub fn outbox_status(&self) -> Result<Option<OutboxStatus>, ServiceError> {
        let Some(nats) = &self.settings.nats else {
            return Ok(None);
        };
        let mut conn = self.store.conn()?;
        let published_seq =
            counters::current(&mut conn, &position_counter(&nats.stream))?.unwrap_or(0);
        let last = events::last_seq(&mut conn)?;
        Ok(Some(OutboxStatus {
            published_seq,
            lag: (last - published_seq).max(0),
        }))
    }

    /// The next events to publish, or `None` when another process holds the lease.
    fn outbox_batch(
        &self,
        lease: &Lease,
        stream: &str,
    ) -> Result<Option<Vec<EventRow>>, ServiceError> {
        let mut conn = self.store.conn()?;
        if !lease.hold(&self.store, &mut conn)? {
            return Ok(None);
        }
        let position = counters::current(&mut conn, &position_counter(stream))?.unwrap_or(0);
        Ok(Some(events::after(&mut conn, position, BATCH, None)?))
    }

    /// Records that the broker acknowledged every event up to `seq`.
    fn store_outbox_position(&self, stream: &str, seq: i64) -> Result<(), ServiceError> {
        self.store
            .write(|tx| Ok(counters::store(tx.conn(), &position_counter(stream), seq)?))
    }
}

/// Publishes the change feed for as long as the server's runtime runs, reconnecting after
/// failures.
pub async fn run_publisher(golden: Arc<Golden>, nats: NatsSettings) {
    let lease = Arc::new(Lease::new(LEASE, LEASE_TTL));
    loop {
        if let Err(e) = publish(&golden, &nats, &lease).await {
            tracing::warn!(error = %crate::service::error::chain(&e), "publishing the change feed to NATS stopped; retrying");
        }
        tokio::time::sleep(RETRY).await;
    }
}

async fn publish(
    golden: &Arc<Golden>,
    nats: &NatsSettings,
    lease: &Arc<Lease>,
) -> Result<(), OutboxError> {
    let client = async_nats::connect(nats.url.as_str()).await?;
    let jetstream = jetstream::new(client);
    jetstream
        .get_or_create_stream(jetstream::stream::Config {
            name: nats.stream.clone(),
            subjects: vec![format!("{}.>", nats.subject_prefix)],
            duplicate_window: DUPLICATE_WINDOW,
            ..Default::default()
        })
        .await?;
    loop {
        let (service, held, stream) = (golden.clone(), lease.clone(), nats.stream.clone());
        let batch =
            tokio::task::spawn_blocking(move || service.outbox_batch(&held, &stream)).await??;
        let Some(batch) = batch.filter(|b| !b.is_empty()) else {
            tokio::time::sleep(IDLE).await;
            continue;
        };
        let mut last = None;
        for event in batch {
            let seq = event.seq;
            let subject = subject(&nats.subject_prefix, &event);
            let body = serde_json::to_vec(&event_view(event).map_err(ServiceError::from)?)
                .map_err(ServiceError::from)?;
            let mut headers = async_nats::HeaderMap::new();
            headers.insert("Nats-Msg-Id", seq.to_string().as_str());
            let sent = jetstream
                .publish_with_headers(subject, headers, body.into())
                .await;
            let stored = match sent {
                Ok(ack) => ack.await.map(drop),
                Err(e) => Err(e),
            };
            if let Err(e) = stored {
                store_position(golden, nats, last).await?;
                return Err(e.into());
            }
            last = Some(seq);
        }
        store_position(golden, nats, last).await?;
    }
}

async fn store_position(
    golden: &Arc<Golden>,
    nats: &NatsSettings,
    seq: Option<i64>,
) -> Result<(), OutboxError> {
    let Some(seq) = seq else {
        return Ok(());
    };
    let (service, stream) = (golden.clone(), nats.stream.clone());
    tokio::task::spawn_blocking(move || service.store_outbox_position(&stream, seq)).await??;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_name_the_domain_and_the_event_type() {
        let event = |domain: Option<&str>| EventRow {
            seq: 7,
            domain: domain.map(str::to_owned),
            kind: "golden.merged".into(),
            golden_id: None,
            payload: "{}".into(),
            created_at: chrono::NaiveDateTime::default(),
        };
        assert_eq!(
            subject("golden", &event(Some("vendor"))),
            "golden.vendor.golden.merged"
        );
        assert_eq!(subject("golden", &event(None)), "golden._.golden.merged");
    }
}

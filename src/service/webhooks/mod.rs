//! Webhooks, for systems that cannot subscribe to a broker: an admin registers a URL with the
//! domains and event kinds it wants and a shared secret; [`delivery`] sends it each committed
//! event in sequence order, signed ([`signature`]), retried with backoff, and parks the
//! events it gives up on as dead letters that an admin can replay.

pub mod delivery;
pub mod signature;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::stewardship::Actor;
use super::views::utc;
use super::{Golden, ServiceError};
use crate::store::models::{DeadLetterRow, NewAudit, WebhookRow};
use crate::store::queries::{audit, events, webhooks};
use crate::store::{DbConnection, Tx};

/// Shortest secret accepted: a guessable secret makes the signature worthless.
pub const MIN_SECRET_CHARS: usize = 16;
const MAX_SECRET_CHARS: usize = 512;
const MAX_URL_CHARS: usize = 2048;
/// Most dead letters one listing returns.
pub const MAX_DEAD_LETTER_PAGE: i64 = 1_000;

/// A subscription as an admin registers it.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewWebhook {
    /// Where deliveries are POSTed: an `http` or `https` URL.
    pub url: String,
    /// The domains whose events are sent; empty or absent: every domain.
    #[serde(default)]
    pub domains: Vec<String>,
    /// The event kinds sent, e.g. `golden.merged`; empty or absent: every kind.
    #[serde(default)]
    pub event_types: Vec<String>,
    /// The HMAC key deliveries are signed with (at least 16 characters). Stored, and never
    /// shown again in full.
    pub secret: String,
}

/// A subscription and where its deliveries stand.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WebhookView {
    pub id: String,
    pub url: String,
    pub domains: Vec<String>,
    pub event_types: Vec<String>,
    /// The secret's last four characters, to tell secrets apart.
    pub secret_hint: String,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    /// The last event sequence delivered or given up on.
    pub position: i64,
    /// Failed attempts at the next event so far.
    pub attempts: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_attempt_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// Events given up on, waiting in the dead letters.
    pub dead_letters: i64,
}

/// An event a subscription gave up on.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DeadLetterView {
    pub seq: i64,
    /// The event's kind and domain (absent when the event no longer exists).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    /// `dead` (waiting for an admin) or `replaying` (being sent again).
    pub status: String,
    pub attempts: i64,
    pub last_error: String,
    pub failed_at: DateTime<Utc>,
}

/// How many dead letters a replay request sent back to delivery.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ReplayView {
    pub replayed: usize,
}

impl Golden {
    /// Registers a subscription (audited). It receives the events committed after it.
    pub fn create_webhook(
        &self,
        new: NewWebhook,
        actor: &Actor,
    ) -> Result<WebhookView, ServiceError> {
        let checked = self.check_webhook(new)?;
        let row = self.store.write(|tx| {
            let row = WebhookRow {
                id: uuid::Uuid::new_v4().to_string(),
                url: checked.url,
                domains: serde_json::to_string(&checked.domains)?,
                event_types: serde_json::to_string(&checked.event_types)?,
                secret: checked.secret,
                position: events::last_seq(tx.conn())?,
                attempts: 0,
                next_attempt_at: None,
                last_error: None,
                created_by: actor.sub.clone(),
                created_at: tx.now(),
            };
            webhooks::insert(tx.conn(), &row)?;
            let after = serde_json::json!({
                "url": row.url, "domains": checked.domains, "event_types": checked.event_types,
            });
            audit_webhook(tx, actor, "webhook.created", &row.id, None, Some(after))?;
            Ok::<_, ServiceError>(row)
        })?;
        webhook_view(row, 0)
    }

    /// Every subscription, oldest first.
    pub fn list_webhooks(&self) -> Result<Vec<WebhookView>, ServiceError> {
        let mut conn = self.store.conn()?;
        webhooks::all(&mut conn)?
            .into_iter()
            .map(|row| {
                let dead = webhooks::count_dead_letters(&mut conn, &row.id)?;
                webhook_view(row, dead)
            })
            .collect()
    }

    pub fn webhook(&self, id: &str) -> Result<WebhookView, ServiceError> {
        let mut conn = self.store.conn()?;
        let row = find(&mut conn, id)?;
        let dead = webhooks::count_dead_letters(&mut conn, id)?;
        webhook_view(row, dead)
    }

    /// Removes a subscription and its dead letters (audited).
    pub fn delete_webhook(&self, id: &str, actor: &Actor) -> Result<(), ServiceError> {
        self.store.write(|tx| {
            let row = find(tx.conn(), id)?;
            webhooks::delete(tx.conn(), id)?;
            let before = serde_json::json!({
                "url": row.url,
                "domains": serde_json::from_str::<serde_json::Value>(&row.domains)?,
                "event_types": serde_json::from_str::<serde_json::Value>(&row.event_types)?,
            });
            audit_webhook(tx, actor, "webhook.deleted", id, Some(before), None)
        })
    }

    /// A subscription's dead letters after sequence `after`, oldest first.
    pub fn dead_letters(
        &self,
        id: &str,
        after: i64,
        limit: i64,
    ) -> Result<Vec<DeadLetterView>, ServiceError> {
        let mut conn = self.store.conn()?;
        find(&mut conn, id)?;
        let limit = limit.clamp(1, MAX_DEAD_LETTER_PAGE);
        webhooks::dead_letters(&mut conn, id, after, limit)?
            .into_iter()
            .map(|row| {
                let event = events::find(&mut conn, row.seq)?;
                Ok(dead_letter_view(row, event.as_ref()))
            })
            .collect()
    }

    /// Sends dead letters back to delivery, one (`seq`) or all (audited). They go before the
    /// subscription's next new event, each with a fresh set of attempts.
    pub fn replay_dead_letters(
        &self,
        id: &str,
        seq: Option<i64>,
        actor: &Actor,
    ) -> Result<ReplayView, ServiceError> {
        self.store.write(|tx| {
            find(tx.conn(), id)?;
            let replayed = webhooks::mark_replay(tx.conn(), id, seq)?;
            if let (Some(seq), 0) = (seq, replayed) {
                return Err(ServiceError::NotFound(format!("dead letter {seq}")));
            }
            let after = serde_json::json!({ "seq": seq, "replayed": replayed });
            audit_webhook(tx, actor, "webhook.replayed", id, None, Some(after))?;
            Ok(ReplayView { replayed })
        })
    }

    /// Checks a new subscription and puts its lists in order.
    fn check_webhook(&self, mut new: NewWebhook) -> Result<NewWebhook, ServiceError> {
        check_url(&new.url)?;
        let secret_chars = new.secret.chars().count();
        if !(MIN_SECRET_CHARS..=MAX_SECRET_CHARS).contains(&secret_chars)
            || new.secret.chars().any(char::is_control)
        {
            return Err(ServiceError::unprocessable(format!(
                "the secret must be {MIN_SECRET_CHARS} to {MAX_SECRET_CHARS} printable characters"
            )));
        }
        for domain in &new.domains {
            if self.rules.domain(domain).is_none() {
                return Err(ServiceError::unprocessable(format!(
                    "unknown domain {domain:?}"
                )));
            }
        }
        if let Some(bad) = new.event_types.iter().find(|kind| !is_event_kind(kind)) {
            return Err(ServiceError::unprocessable(format!(
                "{bad:?} is not an event kind such as golden.merged"
            )));
        }
        for list in [&mut new.domains, &mut new.event_types] {
            list.sort();
            list.dedup();
        }
        Ok(new)
    }
}

fn check_url(raw: &str) -> Result<(), ServiceError> {
    let bad = |why: &str| ServiceError::unprocessable(format!("url: {why}"));
    if raw.len() > MAX_URL_CHARS {
        return Err(bad("too long"));
    }
    let url = url::Url::parse(raw).map_err(|e| bad(&e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(bad("only http and https URLs can receive deliveries"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(bad("a host is needed"));
    }
    Ok(())
}

/// `word.word`, lower case: the shape of every event kind.
fn is_event_kind(kind: &str) -> bool {
    let part = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
    kind.len() <= 64
        && kind
            .split_once('.')
            .is_some_and(|(a, b)| part(a) && part(b))
}

fn find(conn: &mut DbConnection, id: &str) -> Result<WebhookRow, ServiceError> {
    webhooks::find(conn, id)?.ok_or_else(|| ServiceError::NotFound(format!("webhook {id}")))
}

fn webhook_view(row: WebhookRow, dead_letters: i64) -> Result<WebhookView, ServiceError> {
    let tail: String = {
        let chars: Vec<char> = row.secret.chars().collect();
        chars[chars.len().saturating_sub(4)..].iter().collect()
    };
    Ok(WebhookView {
        domains: serde_json::from_str(&row.domains)?,
        event_types: serde_json::from_str(&row.event_types)?,
        secret_hint: format!("…{tail}"),
        id: row.id,
        url: row.url,
        created_by: row.created_by,
        created_at: utc(row.created_at),
        position: row.position,
        attempts: row.attempts,
        next_attempt_at: row.next_attempt_at.map(utc),
        last_error: row.last_error,
        dead_letters,
    })
}

fn dead_letter_view(
    row: DeadLetterRow,
    event: Option<&crate::store::models::EventRow>,
) -> DeadLetterView {
    DeadLetterView {
        seq: row.seq,
        kind: event.map(|e| e.kind.clone()),
        domain: event.and_then(|e| e.domain.clone()),
        status: row.status,
        attempts: row.attempts,
        last_error: row.last_error,
        failed_at: utc(row.failed_at),
    }
}

fn audit_webhook(
    tx: &mut Tx<'_>,
    actor: &Actor,
    action: &str,
    id: &str,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
) -> Result<(), ServiceError> {
    let at = tx.now();
    let (before, after) = (before.map(|v| v.to_string()), after.map(|v| v.to_string()));
    audit::insert(
        tx.conn(),
        &NewAudit {
            at,
            actor: &actor.sub,
            action,
            outcome: "ok",
            domain: None,
            entity_type: "webhook",
            entity_id: Some(id),
            request_id: actor.request_id.as_deref(),
            reason: None,
            before_state: before.as_deref(),
            after_state: after.as_deref(),
        },
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_kinds_are_two_lower_case_words() {
        assert!(is_event_kind("golden.merged"));
        assert!(is_event_kind("record.restandardized"));
        for bad in [
            "golden",
            "Golden.merged",
            "golden.",
            ".merged",
            "golden.merged.x",
            "",
        ] {
            assert!(!is_event_kind(bad), "{bad}");
        }
    }

    #[test]
    fn only_http_urls_with_a_host_receive_deliveries() {
        assert!(check_url("https://erp.example.com/hooks/golden").is_ok());
        assert!(check_url("http://127.0.0.1:9000/").is_ok());
        for bad in [
            "ftp://example.com/",
            "not a url",
            "file:///etc/passwd",
            "http://",
        ] {
            assert!(check_url(bad).is_err(), "{bad}");
        }
    }
}

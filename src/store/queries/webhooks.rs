//! Webhook subscriptions, their delivery progress and their dead letters.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::store::DbConnection;
use crate::store::models::{DeadLetterRow, WebhookRow};
use crate::store::schema::{webhook_dead_letters as dead, webhooks};

/// A dead letter waiting for an admin.
pub const DEAD: &str = "dead";
/// A dead letter an admin asked to send again.
pub const REPLAYING: &str = "replaying";

pub fn insert(conn: &mut DbConnection, row: &WebhookRow) -> QueryResult<()> {
    diesel::insert_into(webhooks::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

/// Every subscription, oldest first.
pub fn all(conn: &mut DbConnection) -> QueryResult<Vec<WebhookRow>> {
    webhooks::table
        .order((webhooks::created_at.asc(), webhooks::id.asc()))
        .select(WebhookRow::as_select())
        .load(conn)
}

pub fn count(conn: &mut DbConnection) -> QueryResult<i64> {
    webhooks::table.count().get_result(conn)
}

pub fn find(conn: &mut DbConnection, id: &str) -> QueryResult<Option<WebhookRow>> {
    webhooks::table
        .find(id)
        .select(WebhookRow::as_select())
        .first(conn)
        .optional()
}

/// Removes a subscription and its dead letters; false when there was none.
pub fn delete(conn: &mut DbConnection, id: &str) -> QueryResult<bool> {
    diesel::delete(dead::table.filter(dead::webhook_id.eq(id))).execute(conn)?;
    Ok(diesel::delete(webhooks::table.find(id)).execute(conn)? > 0)
}

/// Stores where delivery stands: the last sequence handled and the retry state of the next.
pub fn store_progress(
    conn: &mut DbConnection,
    id: &str,
    position: i64,
    attempts: i64,
    next_attempt_at: Option<NaiveDateTime>,
    last_error: Option<&str>,
) -> QueryResult<()> {
    diesel::update(webhooks::table.find(id))
        .set((
            webhooks::position.eq(position),
            webhooks::attempts.eq(attempts),
            webhooks::next_attempt_at.eq(next_attempt_at),
            webhooks::last_error.eq(last_error),
        ))
        .execute(conn)
        .map(drop)
}

pub fn insert_dead_letter(conn: &mut DbConnection, row: &DeadLetterRow) -> QueryResult<()> {
    diesel::insert_into(dead::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

/// A subscription's dead letters in sequence order, from `after` on.
pub fn dead_letters(
    conn: &mut DbConnection,
    webhook_id: &str,
    after: i64,
    limit: i64,
) -> QueryResult<Vec<DeadLetterRow>> {
    dead::table
        .filter(dead::webhook_id.eq(webhook_id).and(dead::seq.gt(after)))
        .order(dead::seq.asc())
        .limit(limit)
        .select(DeadLetterRow::as_select())
        .load(conn)
}

pub fn count_dead_letters(conn: &mut DbConnection, webhook_id: &str) -> QueryResult<i64> {
    dead::table
        .filter(dead::webhook_id.eq(webhook_id).and(dead::status.eq(DEAD)))
        .count()
        .get_result(conn)
}

/// The first dead letter marked for replay, if any.
pub fn next_replay(
    conn: &mut DbConnection,
    webhook_id: &str,
) -> QueryResult<Option<DeadLetterRow>> {
    dead::table
        .filter(
            dead::webhook_id
                .eq(webhook_id)
                .and(dead::status.eq(REPLAYING)),
        )
        .order(dead::seq.asc())
        .select(DeadLetterRow::as_select())
        .first(conn)
        .optional()
}

/// Marks dead letters for replay: one (`seq`) or all. Returns how many were marked.
pub fn mark_replay(
    conn: &mut DbConnection,
    webhook_id: &str,
    seq: Option<i64>,
) -> QueryResult<usize> {
    let mine = dead::webhook_id.eq(webhook_id).and(dead::status.eq(DEAD));
    let changes = (
        dead::status.eq(REPLAYING),
        dead::attempts.eq(0),
        dead::next_attempt_at.eq(None::<NaiveDateTime>),
    );
    match seq {
        Some(seq) => diesel::update(dead::table.filter(mine.and(dead::seq.eq(seq))))
            .set(changes)
            .execute(conn),
        None => diesel::update(dead::table.filter(mine))
            .set(changes)
            .execute(conn),
    }
}

/// Stores the outcome of a failed replay attempt.
pub fn store_replay_failure(conn: &mut DbConnection, row: &DeadLetterRow) -> QueryResult<()> {
    diesel::update(dead::table.find((&row.webhook_id, row.seq)))
        .set((
            dead::status.eq(&row.status),
            dead::attempts.eq(row.attempts),
            dead::last_error.eq(&row.last_error),
            dead::failed_at.eq(row.failed_at),
            dead::next_attempt_at.eq(row.next_attempt_at),
        ))
        .execute(conn)
        .map(drop)
}

/// Removes a dead letter that was delivered on replay.
pub fn remove_dead_letter(conn: &mut DbConnection, webhook_id: &str, seq: i64) -> QueryResult<()> {
    diesel::delete(dead::table.find((webhook_id, seq)))
        .execute(conn)
        .map(drop)
}

//! A database lease, so that of several replicas sharing a database only one runs a
//! background job (webhook delivery) at a time, and another takes over when it stops.

use std::time::Duration;

use super::ServiceError;
use crate::store::queries::leases;
use crate::store::{DbConnection, Store};

/// One process's claim on a named lease.
#[derive(Debug, Clone)]
pub struct Lease {
    name: &'static str,
    holder: String,
    ttl: chrono::Duration,
}

impl Lease {
    /// A claim on `name` for this process, lasting `ttl` from each renewal.
    pub fn new(name: &'static str, ttl: Duration) -> Self {
        Self {
            name,
            holder: uuid::Uuid::new_v4().to_string(),
            ttl: chrono::Duration::from_std(ttl).unwrap_or(chrono::Duration::seconds(30)),
        }
    }

    /// Whether this process holds the lease now, taking it when it is free or expired and
    /// renewing it once half its time is gone. Writes only when it takes or renews.
    pub fn hold(&self, store: &Store, conn: &mut DbConnection) -> Result<bool, ServiceError> {
        let now = store.now();
        match leases::current(conn, self.name)? {
            None => return Ok(false),
            Some((Some(holder), until)) if holder == self.holder && until - now > self.ttl / 2 => {
                return Ok(true);
            }
            Some((Some(holder), until)) if holder != self.holder && until >= now => {
                return Ok(false);
            }
            Some(_) => {}
        }
        Ok(leases::acquire(
            conn,
            self.name,
            &self.holder,
            now,
            now + self.ttl,
        )?)
    }
}

//! Checks a command makes before it writes anything, so that a first run from the wrong
//! directory or against the wrong server explains itself in one sentence instead of failing
//! half-way with a low-level error.

use anyhow::anyhow;

use crate::config::Settings;
use crate::index::IndexError;
use crate::rules::RuleSet;
use crate::service::{Golden, ServiceError};

/// The rule files are there and valid. Run before the data dir is touched: a binary started
/// outside the checkout would otherwise create a data dir (and a secret) it cannot use.
pub(super) fn rules(settings: &Settings) -> anyhow::Result<()> {
    let dir = &settings.rules_dir;
    if !dir.is_dir() {
        let shown = std::path::absolute(dir).unwrap_or_else(|_| dir.clone());
        return Err(anyhow!(
            "no rules directory at {}: golden reads its matching rules (one *.toml file per \
             domain) from GOLDEN_RULES_DIR, or ./matching-rules when that is unset, so set \
             GOLDEN_RULES_DIR to the directory that holds them (matching-rules/ in the Golden \
             source tree); nothing was written",
            shown.display()
        ));
    }
    RuleSet::load_dir(dir)?;
    Ok(())
}

/// `golden token` signs with the server's secret: with PostgreSQL there is no secret file in
/// the data dir to fall back on, so the server's `GOLDEN_JWT_SECRET` must be given.
pub(super) fn token_secret(settings: &Settings) -> anyhow::Result<()> {
    if settings.database.is_postgres() && settings.jwt_secret.is_none() {
        return Err(anyhow!(
            "golden token signs with the secret the server checks tokens against, and with \
             DATABASE_URL selecting PostgreSQL that is the server's GOLDEN_JWT_SECRET: run it \
             as GOLDEN_JWT_SECRET=<the server's secret> golden token --role ..."
        ));
    }
    Ok(())
}

/// Opens the service for `command`, saying in one sentence when a running server holds the
/// candidate index (its single writer allows one process at a time).
pub(super) fn open(settings: Settings, command: &str) -> anyhow::Result<Golden> {
    let dir = settings.index_dir();
    Golden::open(settings).map_err(|e| {
        if !index_locked(&e) {
            return e.into();
        }
        let instead = if command == "load" {
            ", or upload the file to the server as a bulk job (POST /v1/DOMAIN/jobs)"
        } else {
            ""
        };
        anyhow!(
            "golden {command} cannot run while another golden process, most likely a running \
             `golden serve`, holds the candidate index in {}: stop that process first{instead}",
            dir.display()
        )
    })
}

fn index_locked(error: &ServiceError) -> bool {
    let mut next: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(error) = next {
        if let Some(IndexError::Locked { .. }) = error.downcast_ref::<IndexError>() {
            return true;
        }
        next = error.source();
    }
    false
}

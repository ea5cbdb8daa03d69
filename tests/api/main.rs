//! Integration tests: each boots the real HTTP server on a random port over a fresh database
//! (SQLite by default; PostgreSQL when GOLDEN_TEST_DATABASE_URL is set).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod auth;
mod bulk;
mod cli;
mod console;
mod crash;
mod crosswalk_cache;
mod equivalence;
mod errors;
mod fhir;
mod helpers;
mod ingest;
mod jobs;
mod lookups;
mod masking;
mod matching;
mod models;
mod nats;
mod openapi;
mod ops;
mod preview;
mod replicas;
mod restandardize;
mod standardization;
mod stewardship;
mod undo;
mod webhooks;
mod workbench;

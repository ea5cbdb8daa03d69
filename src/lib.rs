//! Golden: a master data management hub. Source records from many systems come in, are
//! standardized and matched, and each real-world entity gets one golden record and a stable
//! golden ID that the crosswalk publishes.
//!
//! `docs/ARCHITECTURE.md` maps these modules to the flow of one record.

pub mod api;
pub mod auth;
pub mod bulk;
pub mod cli;
pub mod clock;
pub mod config;
pub mod eval;
pub mod fhir;
pub mod index;
pub mod masking;
pub mod matching;
pub mod metrics;
pub mod model;
pub mod normalize;
pub mod rules;
pub mod service;
pub mod store;
pub mod survivorship;
pub mod telemetry;
pub mod validate;

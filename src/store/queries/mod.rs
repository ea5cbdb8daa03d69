//! Queries, one module per table family. Each takes a connection and returns rows; the
//! service layer decides what they mean.

pub mod audit;
pub mod counters;
pub mod crosswalk;
pub mod events;
pub mod golden;
pub mod jobs;
pub mod proposals;
pub mod records;
pub mod stats;

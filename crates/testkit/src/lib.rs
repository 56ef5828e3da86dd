//! Shared test helpers for every Prescient crate (a dev-dependency only).
//!
//! Owns: deterministic sample records ([`samples`]: fixed timestamps, never
//! the clock) and the storage conformance suite ([`conformance`]): one async
//! check per port behaviour, generic over the port traits, run by every store
//! through [`storage_conformance!`] or [`conformance::run_all`].
//!
//! Must not: know about any backend (no files, no SQL): a behaviour checked
//! here holds for the JSON store and the PostgreSQL store alike.
//!
//! Where to start: [`conformance`] for the port contract as executable checks.

// A test-helper crate: failing loudly on a broken expectation is its job.
#![allow(clippy::unwrap_used, clippy::expect_used)]

pub mod conformance;
pub mod files;
pub mod memory;
pub mod samples;

pub use samples::*;

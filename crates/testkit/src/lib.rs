//! Shared test helpers for every Prescient crate (a dev-dependency of the
//! libraries; `xtask` uses it to check a test run's prerequisites).
//!
//! Owns: deterministic sample records ([`samples`]: fixed timestamps, never
//! the clock), the storage conformance suite ([`conformance`]): one async
//! check per port behaviour, generic over the port traits, run by every store
//! through [`storage_conformance!`] or [`conformance::run_all`]; and what a
//! test needs from the machine: the recorded Gamma fixtures ([`fixtures`]),
//! a headless Chromium ([`browser`]), and when a missing one may be skipped
//! ([`ci`]: never under `CI=true`); and [`clob`], a fake of Polymarket's
//! CLOB price history on 127.0.0.1:0.
//!
//! Must not: know about any backend (no SQL, no store's file layout): a
//! behaviour checked here holds for the JSON store and the PostgreSQL store
//! alike.
//!
//! Where to start: [`conformance`] for the port contract as executable checks;
//! [`fixtures::shared`] for a test that reads the recorded Gamma responses.

// A test-helper crate: failing loudly on a broken expectation is its job.
#![allow(clippy::unwrap_used, clippy::expect_used)]

pub mod browser;
pub mod ci;
pub mod clob;
pub mod conformance;
pub mod files;
pub mod fixtures;
pub mod generate;
pub mod memory;
pub mod ports;
pub mod samples;

pub use samples::*;

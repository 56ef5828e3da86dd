//! Prescient's composition root: configuration, the trading cycle, and the
//! `prescient` command line.
//!
//! Owns: [`settings`] (typed configuration, parsed once), [`cycle`] (SPEC §2
//! steps 1–8 over the storage ports), [`summary`] (what a cycle reports), and
//! [`cli`] (commands, wiring stores and sources together).
//! [`prices`] (re-pricing and settling, shared by step 6 and
//! `update-prices`), [`schedule`] (`prescient run`: cycles and price updates
//! that never overlap) and [`stats_cmd`] (`prescient stats`).
//!
//! Must not: contain domain rules (they live in `domain`, `strategy`,
//! `paper-trading`) or know file formats or SQL (they live in the stores);
//! the one exception is [`soak`] (feature `soak`, tests and `cargo xtask soak`
//! only), the crash harness, which sabotages a test database on purpose.
//!
//! Start with [`cycle::run_cycle`].

pub mod api;
pub mod app;
pub mod cli;
pub mod cycle;
#[cfg(feature = "json")]
pub mod ops;
pub mod phase_state;
pub mod prices;
pub mod schedule;
pub mod settings;
#[cfg(feature = "soak")]
pub mod soak;
pub mod stats_cmd;
pub mod summary;

pub use cycle::{CycleError, CycleParams, run_cycle};
pub use settings::{Settings, Sources};
pub use summary::CycleSummary;

//! Prescient's composition root: configuration, the trading cycle, and the
//! `prescient` command line.
//!
//! Owns: [`settings`] (typed configuration, parsed once), [`filters`] (the
//! original's filter parameters, one type for flags, queries and settings),
//! [`cycle`] (SPEC §2 steps 1–8 over the storage ports, each step callable on
//! its own), [`summary`] (what a cycle and each step report, typed),
//! [`steps`] (one step of the cycle on its own: the API's step actions),
//! [`compare`] (every live portfolio side by side), [`prices`] (re-pricing and settling, shared by step 6 and
//! `update-prices`), [`schedule`] (cycles and price updates that never
//! overlap), [`stats_cmd`] (a portfolio's performance), [`status`] (the status report
//! `/trading/status` and `migrate phase status` share), [`history`] (real
//! price history from Polymarket's CLOB into PostgreSQL), [`ops`] (the
//! migration's operator commands), [`api`] (the HTTP server), [`app`] (the
//! wiring: settings → stores, sources, parameters, jobs) and [`cli`] (a leaf:
//! one module per command, parsing and printing).
//!
//! Must not: contain domain rules (they live in `domain`, `strategy`,
//! `paper-trading`) or know file formats or SQL (they live in the stores);
//! the one exception is [`soak`] (feature `soak`, tests and `cargo xtask soak`
//! only), the crash harness, which sabotages a test database on purpose.
//!
//! Start with [`cycle::run_cycle`].

pub mod api;
pub mod app;
pub mod backtest;
pub mod cli;
pub mod compare;
pub mod cycle;
pub mod history;
#[cfg(feature = "json")]
pub mod ops;
pub mod phase_state;
pub mod prices;
pub mod schedule;
pub mod settings;
#[cfg(feature = "soak")]
pub mod soak;
pub mod stats_cmd;
pub mod status;
pub mod steps;
pub mod summary;

pub use cycle::{CycleError, CycleParams, run_cycle};
/// The filter parameters are part of the settings; at the top for short paths.
pub use settings::filters;
pub use settings::{Settings, Sources};
pub use summary::CycleSummary;

/// An error and its causes on one line, outermost first, each cause once: a
/// cause whose text the line already holds (an error that prints its source)
/// is not repeated.
pub fn one_line(error: &anyhow::Error) -> String {
    error_line(error.as_ref())
}

/// [`one_line`] of a typed error: it and its `source` chain on one line.
pub fn error_line(error: &(dyn std::error::Error + 'static)) -> String {
    let mut line = String::new();
    let mut next = Some(error);
    while let Some(cause) = next {
        next = cause.source();
        let text = cause.to_string();
        if text.is_empty() || line.contains(&text) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(&text);
    }
    line
}

//! Prescient's paper ledger: what happens to a portfolio when a signal is
//! executed, when prices move, and when a market resolves (SPEC §2 steps 5–6,
//! SPEC §3).
//!
//! Owns: [`execute_signal`] (balance and one-position-per-market checks, trade
//! ids, opening positions; [`execute_signal_with`] through a [`FillModel`] of
//! slippage and fees), [`reprice`] (marking open positions, settling the
//! resolved ones), [`settle_position`], early exits ([`apply_exits`] under a
//! portfolio's [`ExitRules`]: take-profit, stop-loss, maximum holding time),
//! the history/snapshot records of a portfolio ([`history_entry`],
//! [`snapshot`]), and its performance analytics ([`stats::performance`]).
//!
//! Must not: touch storage or the network, or read the clock. `now` is always
//! passed in. Persisting trades and portfolios is the orchestrator's job.
//!
//! Every operation keeps the ledger invariant of
//! [`domain::Portfolio::check_invariant`]
//! (`balance + Σ open amounts = initial_balance + Σ realized P&L`, balance ≥ 0)
//! and leaves `total_profit_loss` = realized + unrealized P&L, so that
//! `total_value() == initial_balance + total_profit_loss` exactly. (The original
//! stored only the unrealized part.) Start with [`execute_signal`], then
//! [`reprice`].

mod error;
mod execute;
mod exit;
mod fill;
mod ledger;
mod report;
mod reprice;
mod settle;
pub mod stats;

pub use error::ConfigError;
pub use execute::{
    AdoptError, Execution, ExecutionPolicy, SkipReason, Undo, adopt_trade, execute_signal,
    execute_signal_avoiding, execute_signal_with,
};
pub use exit::{Exit, ExitReport, ExitRule, ExitRules, apply_exits};
pub use fill::{FillModel, MAX_FILL};
pub use report::{history_entry, snapshot};
pub use reprice::{RepriceReport, reprice};
pub use settle::{Settlement, settle_position};

//! Backtests (issue #16): strategies replayed over a recorded sequence of
//! moments, each through the same code as a live cycle, in throw-away
//! portfolios.
//!
//! - [`Moment`], [`Moments`]: the sequence replayed, one moment at a time
//!   (streamed: only the current moment is held), from a directory of
//!   snapshots ([`snapshots::SnapshotSequence`]) or from PostgreSQL's price
//!   history ([`pg::PgMoments`], `--source pg`).
//! - [`run_backtest`] ([`engine`]): every strategy of a [`BacktestConfig`]
//!   over the moments, through the live cycle, in a lean in-memory store.
//! - [`BacktestReport`] ([`report`]): the figures and equity curves, as text
//!   or JSON; [`svg::equity_chart`]: the curves as an SVG chart.
//!
//! Must not: open a live store (JSON data directory or PostgreSQL) for
//! writing, or read the system clock.

pub mod engine;
pub mod pg;
pub mod report;
pub mod snapshots;
pub mod svg;

pub use engine::{BacktestConfig, run_backtest};
pub use report::{BacktestReport, StrategyReport};
pub use snapshots::SnapshotSequence;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use polymarket_client::MarketSource;

/// One point of a replayed sequence: what the market source answered at
/// `time`. A backtest's clock reads `time` while it runs this moment.
pub struct Moment {
    pub time: DateTime<Utc>,
    pub source: Box<dyn MarketSource>,
}

/// Why a backtest stopped.
#[derive(Debug, thiserror::Error)]
pub enum BacktestError {
    #[error("{0}")]
    Input(String),
    #[error(transparent)]
    Store(#[from] domain::StoreError),
    #[error(transparent)]
    Source(#[from] polymarket_client::ClientError),
    #[error(transparent)]
    Cycle(#[from] crate::cycle::CycleError),
    /// A strategy's cycle failed at one moment.
    #[error("the cycle of strategy {strategy} at {} failed: {source}", time.to_rfc3339())]
    Moment {
        time: DateTime<Utc>,
        strategy: String,
        #[source]
        source: crate::cycle::CycleError,
    },
}

/// A sequence of moments in strictly increasing time.
#[async_trait]
pub trait Moments: Send {
    /// What the sequence is (`snapshots DIR`, `pg`), for reports.
    fn describe(&self) -> String;
    /// The next moment, or `None` at the end.
    async fn next_moment(&mut self) -> Result<Option<Moment>, BacktestError>;
}

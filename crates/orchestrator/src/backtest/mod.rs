//! Backtests (issue #16): strategies replayed over a recorded sequence of
//! moments, each through the same code as a live cycle, in throw-away
//! portfolios.
//!
//! - [`Moment`], [`Moments`]: the sequence replayed, one moment at a time
//!   (streamed: only the current moment is held), from a directory of
//!   snapshots or from PostgreSQL's price history;
//! - [`pg`]: [`pg::PgMoments`], the moments of PostgreSQL's price history
//!   (`--source pg`).

pub mod pg;

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
}

/// A sequence of moments in strictly increasing time.
#[async_trait]
pub trait Moments: Send {
    /// What the sequence is (`snapshots DIR`, `pg`), for reports.
    fn describe(&self) -> String;
    /// The next moment, or `None` at the end.
    async fn next_moment(&mut self) -> Result<Option<Moment>, BacktestError>;
}

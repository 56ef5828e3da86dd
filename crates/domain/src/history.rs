//! Time-series records: portfolio history and snapshots, signal archives,
//! market snapshots.

use crate::{Extra, MarketId, PortfolioId, Price, Signal, Usd};
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// One entry of `history/portfolio_history.json`, one row of `portfolio_history`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PortfolioHistoryEntry {
    pub portfolio_id: PortfolioId,
    pub date: NaiveDate,
    pub timestamp: DateTime<Utc>,
    pub balance: Usd,
    pub total_invested: Usd,
    pub total_profit_loss: Usd,
    /// Balance plus the mark value of open positions (SPEC §3; the original
    /// wrote balance + P&L, leaving out the capital in open positions).
    pub total_value: Usd,
    pub open_positions: u32,
    pub trade_count: u64,
    pub extra: Extra,
}

/// A timestamped copy of the portfolio's headline numbers (`portfolio_snapshots`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PortfolioSnapshot {
    pub portfolio_id: PortfolioId,
    pub timestamp: DateTime<Utc>,
    pub balance: Usd,
    pub total_invested: Usd,
    pub total_profit_loss: Usd,
    pub trade_count: u64,
}

/// One archive entry of `history/signals_archive_YYYY-MM.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SignalArchive {
    pub archived_at: DateTime<Utc>,
    /// `YYYY-MM`, the file the entry lives in.
    pub month: String,
    pub signals: Vec<Signal>,
    pub extra: Extra,
}

impl SignalArchive {
    pub fn signals_count(&self) -> usize {
        self.signals.len()
    }
}

/// Prices and depth of one market at one time (`market_snapshots`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MarketSnapshot {
    pub market_id: MarketId,
    pub timestamp: DateTime<Utc>,
    pub yes_price: Option<Price>,
    pub no_price: Option<Price>,
    pub liquidity: Option<Usd>,
    pub volume: Option<Usd>,
    pub volume_24hr: Option<Usd>,
    pub conviction: Option<Decimal>,
}

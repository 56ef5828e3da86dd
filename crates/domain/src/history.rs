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
    /// The portfolio whose signals these are (every signal in it carries the
    /// same). Absent from journal entries written before portfolios: the
    /// default one.
    #[serde(default)]
    pub portfolio_id: PortfolioId,
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

/// Decimal places of the drawdown fraction (and of every ratio of
/// `paper_trading::stats`).
pub const RATIO_DP: u32 = 6;

/// The largest fall of `total_value` from a running peak of the history.
///
/// `amount` and `fraction` are each the largest of their own measure, so they
/// may come from different dips (a $10 fall from $1000 is a bigger amount but a
/// smaller fraction than a $6 fall from $50). Both are 0 for a history that
/// never fell.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Drawdown {
    /// Largest `peak − value`, ≥ 0.
    pub amount: Usd,
    /// Largest `(peak − value) / peak` over positive peaks, in [0, 1] while
    /// values are not negative.
    pub fraction: Decimal,
    /// The history entries the drawdown was computed from.
    pub entries: usize,
}

impl Drawdown {
    /// `(peak − value) / peak` to [`RATIO_DP`] places; `None` for a peak ≤ 0.
    pub fn fraction_of(peak: Usd, value: Usd) -> Option<Decimal> {
        if peak.value() <= Decimal::ZERO {
            return None;
        }
        (peak - value)
            .value()
            .checked_div(peak.value())
            .map(|r| crate::money::round_dp(r, RATIO_DP))
    }
}

/// The largest fall from a running peak of `total_value`, entries taken in
/// timestamp order (stores return them in append order, which may differ).
pub fn max_drawdown(history: &[PortfolioHistoryEntry]) -> Drawdown {
    let mut entries: Vec<&PortfolioHistoryEntry> = history.iter().collect();
    entries.sort_by_key(|e| e.timestamp);
    let mut drawdown = Drawdown {
        entries: entries.len(),
        ..Drawdown::default()
    };
    let mut peak: Option<Usd> = None;
    for entry in entries {
        let value = entry.total_value;
        let top = match peak {
            Some(p) if p >= value => p,
            _ => value,
        };
        peak = Some(top);
        let fall = top - value;
        if fall > drawdown.amount {
            drawdown.amount = fall;
        }
        if let Some(fraction) = Drawdown::fraction_of(top, value) {
            if fraction > drawdown.fraction {
                drawdown.fraction = fraction;
            }
        }
    }
    drawdown
}

/// What the performance summary needs of a portfolio's history, without the
/// entries themselves (`HistoryStore::history_summary`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct HistorySummary {
    /// The earliest entry's timestamp.
    pub first: Option<DateTime<Utc>>,
    /// The latest entry's timestamp.
    pub last: Option<DateTime<Utc>>,
    /// Its `entries` is the number of history entries.
    pub max_drawdown: Drawdown,
}

impl HistorySummary {
    /// The summary of `history`, in any order.
    pub fn of(history: &[PortfolioHistoryEntry]) -> Self {
        HistorySummary {
            first: history.iter().map(|h| h.timestamp).min(),
            last: history.iter().map(|h| h.timestamp).max(),
            max_drawdown: max_drawdown(history),
        }
    }
}

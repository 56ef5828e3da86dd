//! The portfolio's history entry and snapshot (SPEC §2 step 6, LEGACY-FORMATS §1.7).

use chrono::{DateTime, Utc};
use domain::{Extra, Portfolio, PortfolioHistoryEntry, PortfolioSnapshot};

/// One `portfolio_history` entry as of `now`. `total_value` is balance + the
/// mark value of open positions (SPEC §3; the original wrote balance + P&L).
pub fn history_entry(portfolio: &Portfolio, now: DateTime<Utc>) -> PortfolioHistoryEntry {
    let open = portfolio.open_positions().count();
    PortfolioHistoryEntry {
        portfolio_id: portfolio.id.clone(),
        date: now.date_naive(),
        timestamp: now,
        balance: portfolio.balance,
        total_invested: portfolio.total_invested,
        total_profit_loss: portfolio.total_profit_loss,
        total_value: portfolio.total_value(),
        open_positions: u32::try_from(open).unwrap_or(u32::MAX),
        trade_count: portfolio.trade_count,
        extra: Extra::new(),
    }
}

/// A `portfolio_snapshots` row as of `now`.
pub fn snapshot(portfolio: &Portfolio, now: DateTime<Utc>) -> PortfolioSnapshot {
    PortfolioSnapshot {
        portfolio_id: portfolio.id.clone(),
        timestamp: now,
        balance: portfolio.balance,
        total_invested: portfolio.total_invested,
        total_profit_loss: portfolio.total_profit_loss,
        trade_count: portfolio.trade_count,
    }
}

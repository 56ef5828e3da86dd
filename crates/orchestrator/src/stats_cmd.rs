//! `prescient stats`: load a portfolio's records through the storage ports
//! and compute its performance with [`paper_trading::stats::performance`], so
//! the JSON files and PostgreSQL report the same numbers for the same records.

use domain::ports::Stores;
use domain::{HistorySummary, Portfolio, PortfolioId, StoreError, TradeId, Usd};
use paper_trading::stats::{MarketPnl, Performance};
use rust_decimal::Decimal;
use std::fmt::Write as _;

#[derive(Debug, thiserror::Error)]
pub enum StatsError {
    #[error("no portfolio {0:?} yet: run a cycle first")]
    NoPortfolio(PortfolioId),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Load the portfolio, the trades of its open positions and its history's
/// summary, and compute its performance.
pub async fn load_performance(
    stores: &Stores,
    portfolio_id: &PortfolioId,
) -> Result<Performance, StatsError> {
    let portfolio = stores
        .portfolio
        .load_portfolio(portfolio_id)
        .await?
        .ok_or_else(|| StatsError::NoPortfolio(portfolio_id.clone()))?;
    Ok(performance_of(stores, &portfolio).await?.performance)
}

/// A performance with the store aggregates it was computed from.
pub struct PerformanceReads {
    pub performance: Performance,
    pub total_trades: u64,
    pub history: HistorySummary,
}

/// The performance of `portfolio` from what the stores aggregate: the events
/// of its open positions' trades, the trade count and the history's
/// summary, so neither every trade nor every entry is loaded (PostgreSQL
/// answers each off an index or in one statement).
pub async fn performance_of(
    stores: &Stores,
    portfolio: &Portfolio,
) -> Result<PerformanceReads, StoreError> {
    let open: Vec<TradeId> = portfolio
        .open_positions()
        .map(|p| p.trade_id.clone())
        .collect();
    let trades = stores.trades.trade_events(&portfolio.id, &open).await?;
    let total_trades = stores.trades.count_trades(&portfolio.id, None).await?;
    let history = stores.history.history_summary(&portfolio.id).await?;
    Ok(PerformanceReads {
        performance: paper_trading::stats::performance_with(
            portfolio,
            &trades,
            history.max_drawdown.clone(),
        ),
        total_trades,
        history,
    })
}

/// The performance as a table for the terminal.
pub fn render(p: &Performance) -> String {
    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = write_table(&mut out, p);
    out
}

fn write_table(out: &mut String, p: &Performance) -> std::fmt::Result {
    let pct = |r: Option<Decimal>| match r {
        Some(r) => format!("{:.2}%", r * Decimal::ONE_HUNDRED),
        None => "n/a".to_owned(),
    };
    let usd = |u: Option<Usd>| u.map_or_else(|| "n/a".to_owned(), |u| u.to_string());
    writeln!(out, "performance of portfolio {}", p.portfolio_id)?;
    writeln!(out, "  initial balance     {}", p.initial_balance)?;
    writeln!(out, "  balance             {}", p.balance)?;
    writeln!(out, "  total value         {}", p.total_value)?;
    writeln!(out, "  realized P&L        {}", p.realized_pnl)?;
    writeln!(out, "  unrealized P&L      {}", p.unrealized_pnl)?;
    writeln!(out, "  total P&L           {}", p.total_pnl)?;
    writeln!(out, "  return on initial   {}", pct(p.return_on_initial))?;
    writeln!(
        out,
        "  positions           {} open, {} closed ({} won, {} lost)",
        p.open_positions, p.closed_positions, p.wins, p.losses
    )?;
    writeln!(out, "  win rate            {}", pct(p.win_rate))?;
    writeln!(out, "  average win         {}", usd(p.average_win))?;
    writeln!(out, "  average loss        {}", usd(p.average_loss))?;
    writeln!(
        out,
        "  max drawdown        {} ({}) over {} history entries",
        p.max_drawdown.amount,
        pct(Some(p.max_drawdown.fraction)),
        p.max_drawdown.entries
    )?;
    writeln!(out, "  exposure by event")?;
    if p.exposure_by_event.is_empty() {
        writeln!(out, "    none")?;
    }
    for e in &p.exposure_by_event {
        let name = match (&e.event_id, &e.event_title) {
            (Some(id), Some(title)) => format!("{title} ({id})"),
            (Some(id), None) => id.to_string(),
            (None, _) => "(no event recorded)".to_owned(),
        };
        writeln!(
            out,
            "    {name}: {} in {} open positions, marked at {}",
            e.amount, e.open_positions, e.mark_value
        )?;
    }
    markets(out, "best markets", &p.best_markets)?;
    markets(out, "worst markets", &p.worst_markets)
}

fn markets(out: &mut String, title: &str, list: &[MarketPnl]) -> std::fmt::Result {
    writeln!(out, "  {title}")?;
    if list.is_empty() {
        writeln!(out, "    none")?;
    }
    for m in list {
        writeln!(
            out,
            "    {} {}: {} (realized {}, unrealized {})",
            m.market_id, m.market_question, m.total_pnl, m.realized_pnl, m.unrealized_pnl
        )?;
    }
    Ok(())
}

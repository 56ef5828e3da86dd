//! Re-pricing open positions from fresh market data and settling the resolved
//! ones (SPEC §2 step 6, SPEC §3): shared by the cycle's step 6 and
//! `prescient update-prices`.
//!
//! Closed markets are asked for explicitly (`include_closed`): the list
//! endpoints leave them out otherwise, and a position in a resolved market
//! would never settle. Each position settles once: a settled position is
//! closed, and a closed position is never re-priced.

use chrono::{DateTime, Utc};
use domain::ports::Stores;
use domain::{MarketId, Portfolio, PortfolioId, StoreError, TradeSettlement, Usd};
use paper_trading::Settlement;
use polymarket_client::{ClientError, MarketSource};
use serde::Serialize;
use std::fmt;

/// Why a price update stopped. Nothing was saved.
#[derive(Debug, thiserror::Error)]
pub enum PriceError {
    #[error("no portfolio {0:?} yet: run a cycle first")]
    NoPortfolio(PortfolioId),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot fetch market prices: {0}")]
    Source(#[from] ClientError),
    #[error("ledger invariant broken: {0}")]
    Invariant(String),
}

/// What a price update did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PriceUpdate {
    pub portfolio_id: PortfolioId,
    pub at: DateTime<Utc>,
    /// Distinct markets of the open positions, asked for (closed ones included).
    pub open_markets: usize,
    /// Open positions marked at a new price.
    pub repriced: usize,
    /// Positions closed because their market resolved.
    pub settled: Vec<Settlement>,
    /// Σ realized P&L of `settled` and `exits`.
    pub realized_pnl: Usd,
    /// Closed markets without a decided outcome (e.g. `["0","0"]`): their
    /// positions stay open.
    pub undecided: Vec<MarketId>,
    /// Markets the source did not return, or without a price for the
    /// position's outcome: the last mark is kept.
    pub unpriced: Vec<MarketId>,
    /// Positions closed by the portfolio's exit rules (take-profit,
    /// stop-loss, maximum holding time) at the current price.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub exits: Vec<paper_trading::Exit>,
    /// The portfolio afterwards.
    pub balance: Usd,
    pub total_value: Usd,
    pub open_positions: usize,
}

/// Load the portfolio, re-price its open positions from `source`, settle the
/// resolved ones, and save it.
#[tracing::instrument(skip_all, fields(portfolio = %portfolio_id, source = %source.describe()))]
pub async fn update_prices(
    stores: &Stores,
    source: &dyn MarketSource,
    portfolio_id: &PortfolioId,
    now: DateTime<Utc>,
) -> Result<PriceUpdate, PriceError> {
    update_prices_with(stores, source, portfolio_id, now, &Exits::default()).await
}

/// [`update_prices`], closing what the portfolio's exit rules say at the
/// current prices (through its fill model).
pub async fn update_prices_with(
    stores: &Stores,
    source: &dyn MarketSource,
    portfolio_id: &PortfolioId,
    now: DateTime<Utc>,
    exits: &Exits,
) -> Result<PriceUpdate, PriceError> {
    let mut portfolio = stores
        .portfolio
        .load_portfolio(portfolio_id)
        .await?
        .ok_or_else(|| PriceError::NoPortfolio(portfolio_id.clone()))?;
    check(&portfolio)?;
    let update = reprice_open_positions(&mut portfolio, source, now, exits).await?;
    save_repriced(stores, &portfolio, &update).await?;
    Ok(update)
}

/// Save `portfolio` after `update`, each position it closed (settled on
/// resolution or sold by an exit rule) recorded on its trade record: status
/// closed, realized P&L, closed at `update.at` — with the portfolio in one
/// transaction on PostgreSQL, trade records first elsewhere
/// (`ExecutionStore::record_settlements`).
pub async fn save_repriced(
    stores: &Stores,
    portfolio: &Portfolio,
    update: &PriceUpdate,
) -> Result<(), StoreError> {
    let closed = |trade_id: &domain::TradeId, realized: Usd| {
        TradeSettlement::closed(portfolio.id.clone(), trade_id.clone(), realized, update.at)
    };
    let settlements: Vec<TradeSettlement> = update
        .settled
        .iter()
        .map(|s| closed(&s.trade_id, s.realized_pnl))
        .chain(
            update
                .exits
                .iter()
                .map(|e| closed(&e.trade_id, e.realized_pnl)),
        )
        .collect();
    if settlements.is_empty() {
        return stores.portfolio.save_portfolio(portfolio).await;
    }
    stores
        .execution
        .record_settlements(portfolio, &settlements)
        .await
}

/// Re-price the open positions of a loaded `portfolio` (in memory; the
/// caller saves it): fetch their markets with closed ones included, mark or
/// settle each position, and check the ledger invariant.
pub async fn reprice_open_positions(
    portfolio: &mut Portfolio,
    source: &dyn MarketSource,
    now: DateTime<Utc>,
    exits: &Exits,
) -> Result<PriceUpdate, PriceError> {
    let mut open: Vec<MarketId> = portfolio
        .open_positions()
        .map(|p| p.market_id.clone())
        .collect();
    open.sort();
    open.dedup();
    let quotes = if open.is_empty() {
        Default::default()
    } else {
        source.fetch_markets(&open, true).await?
    };
    let report = paper_trading::reprice(portfolio, &quotes.markets, now);
    // Then the exit rules, at the prices just marked (resolved markets have
    // settled above and are not sold).
    let exited =
        paper_trading::apply_exits(portfolio, &quotes.markets, &exits.rules, &exits.fill, now);
    check(portfolio)?;
    for market in &report.undecided {
        tracing::warn!(%market, "market is closed without a decided outcome; position stays open");
    }
    Ok(PriceUpdate {
        portfolio_id: portfolio.id.clone(),
        at: now,
        open_markets: open.len(),
        repriced: report.repriced,
        realized_pnl: report
            .settled
            .iter()
            .map(|s| s.realized_pnl)
            .sum::<domain::Usd>()
            + exited
                .closed
                .iter()
                .map(|e| e.realized_pnl)
                .sum::<domain::Usd>(),
        exits: exited.closed,
        settled: report.settled,
        undecided: report.undecided,
        unpriced: report.unpriced,
        balance: portfolio.balance,
        total_value: portfolio.total_value(),
        open_positions: portfolio.open_positions().count(),
    })
}

/// A portfolio's exit rules and the fill its sales go through (none and no
/// costs by default: positions close only at resolution).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Exits {
    pub rules: paper_trading::ExitRules,
    pub fill: paper_trading::FillModel,
}

fn check(portfolio: &Portfolio) -> Result<(), PriceError> {
    portfolio
        .check_invariant()
        .map_err(|e| PriceError::Invariant(e.to_string()))
}

impl fmt::Display for PriceUpdate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "price update of portfolio {} at {}",
            self.portfolio_id,
            self.at.to_rfc3339()
        )?;
        writeln!(f, "  open markets asked for  {}", self.open_markets)?;
        writeln!(f, "  repriced positions      {}", self.repriced)?;
        writeln!(
            f,
            "  settled positions       {} (realized P&L of every close {})",
            self.settled.len(),
            self.realized_pnl
        )?;
        for s in &self.settled {
            writeln!(
                f,
                "    {} in market {}: {} a share, payout {}, realized {}",
                s.trade_id, s.market_id, s.exit_price, s.payout, s.realized_pnl
            )?;
        }
        if !self.exits.is_empty() {
            writeln!(f, "  closed by exit rules    {}", self.exits.len())?;
            for e in &self.exits {
                writeln!(
                    f,
                    "    {} in market {}: {:?} at {} (quoted {}), fee {}, realized {}",
                    e.trade_id,
                    e.market_id,
                    e.rule,
                    e.exit_price,
                    e.quoted_price,
                    e.fee,
                    e.realized_pnl
                )?;
            }
        }
        writeln!(f, "  undecided (stay open)   {}", list(&self.undecided))?;
        writeln!(f, "  unpriced (mark kept)    {}", list(&self.unpriced))?;
        writeln!(
            f,
            "  balance {}, total value {}, open positions {}",
            self.balance, self.total_value, self.open_positions
        )
    }
}

fn list(ids: &[MarketId]) -> String {
    if ids.is_empty() {
        return "none".to_owned();
    }
    ids.iter()
        .map(MarketId::as_str)
        .collect::<Vec<_>>()
        .join(", ")
}

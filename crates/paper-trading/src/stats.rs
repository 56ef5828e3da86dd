//! Performance analytics of a portfolio: P&L, win rate, drawdown, exposure and
//! the best and worst markets.
//!
//! Pure: computed from the records any store returns (portfolio, trades,
//! history), so the JSON files and PostgreSQL give the same numbers for the
//! same records. Money stays [`Usd`]; ratios are fractions (`0.25` = 25 %)
//! rounded to [`RATIO_DP`] places.

use domain::money::round_dp;
use domain::{
    EventId, MarketId, Portfolio, PortfolioHistoryEntry, PortfolioId, Position, Trade, TradeEvent,
    TradeId, Usd,
};
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// Decimal places of the ratios (return, win rate, drawdown fraction).
pub use domain::history::RATIO_DP;
pub use domain::history::{Drawdown, max_drawdown};

/// How many markets [`Performance::best_markets`] and
/// [`Performance::worst_markets`] list at most.
pub const TOP_MARKETS: usize = 5;

/// A portfolio's performance as of its last re-price.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Performance {
    pub portfolio_id: PortfolioId,
    pub initial_balance: Usd,
    /// Cash.
    pub balance: Usd,
    /// Balance plus the mark value of open positions (SPEC §3).
    pub total_value: Usd,
    /// Σ realized P&L of closed positions.
    pub realized_pnl: Usd,
    /// Σ `mark value − amount` of open positions.
    pub unrealized_pnl: Usd,
    /// `realized_pnl + unrealized_pnl`.
    pub total_pnl: Usd,
    /// `total_pnl / initial_balance`; `None` when the initial balance is 0.
    pub return_on_initial: Option<Decimal>,
    pub open_positions: usize,
    pub closed_positions: usize,
    /// Closed positions with realized P&L > 0.
    pub wins: usize,
    /// Closed positions with realized P&L < 0 (break-even ones are neither).
    pub losses: usize,
    /// `wins / closed_positions`; `None` before any position closed.
    pub win_rate: Option<Decimal>,
    /// Mean realized P&L of the wins; `None` without wins.
    pub average_win: Option<Usd>,
    /// Mean realized P&L of the losses (negative); `None` without losses.
    pub average_loss: Option<Usd>,
    pub max_drawdown: Drawdown,
    /// Open capital grouped by the event of each position's trade, largest first.
    pub exposure_by_event: Vec<EventExposure>,
    /// Markets with total P&L > 0, highest first, at most [`TOP_MARKETS`].
    pub best_markets: Vec<MarketPnl>,
    /// Markets with total P&L < 0, lowest first, at most [`TOP_MARKETS`].
    pub worst_markets: Vec<MarketPnl>,
}

/// Open positions of one event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EventExposure {
    /// `None` for positions whose trade is not recorded or carries no event.
    pub event_id: Option<EventId>,
    pub event_title: Option<String>,
    pub open_positions: usize,
    /// Σ amounts put in.
    pub amount: Usd,
    /// Σ mark values.
    pub mark_value: Usd,
}

/// P&L of every position (open or closed) in one market.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MarketPnl {
    pub market_id: MarketId,
    pub market_question: String,
    pub positions: usize,
    pub realized_pnl: Usd,
    pub unrealized_pnl: Usd,
    pub total_pnl: Usd,
}

/// The performance of `portfolio`. `trades` supply the events of positions
/// (joined by trade id); `history` the drawdown, taken in timestamp order.
pub fn performance(
    portfolio: &Portfolio,
    trades: &[Trade],
    history: &[PortfolioHistoryEntry],
) -> Performance {
    let events: Vec<TradeEvent> = trades.iter().map(TradeEvent::of).collect();
    performance_with(portfolio, &events, max_drawdown(history))
}

/// [`performance`] from what a store can aggregate itself: the events of
/// the open positions' trades (any superset will do;
/// `TradeStore::trade_events`) and the history's drawdown
/// (`HistoryStore::history_summary`), so nothing loads every trade.
pub fn performance_with(
    portfolio: &Portfolio,
    trades: &[TradeEvent],
    max_drawdown: Drawdown,
) -> Performance {
    let realized_pnl = portfolio.realized_pnl();
    let unrealized_pnl = portfolio.unrealized_pnl();
    let total_pnl = realized_pnl + unrealized_pnl;
    let closed: Vec<Usd> = portfolio
        .positions
        .iter()
        .filter(|p| !p.is_open())
        .map(|p| p.realized_pnl.unwrap_or(Usd::ZERO))
        .collect();
    let wins: Vec<Usd> = closed.iter().copied().filter(|p| p.is_positive()).collect();
    let losses: Vec<Usd> = closed.iter().copied().filter(|p| p.is_negative()).collect();
    let (best_markets, worst_markets) = best_and_worst(&portfolio.positions);

    Performance {
        portfolio_id: portfolio.id.clone(),
        initial_balance: portfolio.initial_balance,
        balance: portfolio.balance,
        total_value: portfolio.total_value(),
        realized_pnl,
        unrealized_pnl,
        total_pnl,
        return_on_initial: ratio(total_pnl.value(), portfolio.initial_balance.value()),
        open_positions: portfolio.open_positions().count(),
        closed_positions: closed.len(),
        wins: wins.len(),
        losses: losses.len(),
        win_rate: ratio(count(wins.len()), count(closed.len())),
        average_win: mean(&wins),
        average_loss: mean(&losses),
        max_drawdown,
        exposure_by_event: exposure_by_event(portfolio, trades),
        best_markets,
        worst_markets,
    }
}

fn exposure_by_event(portfolio: &Portfolio, trades: &[TradeEvent]) -> Vec<EventExposure> {
    let by_trade: HashMap<&TradeId, &TradeEvent> =
        trades.iter().map(|t| (&t.trade_id, t)).collect();
    let mut groups: BTreeMap<Option<EventId>, EventExposure> = BTreeMap::new();
    for position in portfolio.open_positions() {
        let trade = by_trade.get(&position.trade_id);
        let event_id = trade.and_then(|t| t.event_id.clone());
        let group = groups
            .entry(event_id.clone())
            .or_insert_with(|| EventExposure {
                event_id,
                event_title: None,
                open_positions: 0,
                amount: Usd::ZERO,
                mark_value: Usd::ZERO,
            });
        if group.event_title.is_none() {
            group.event_title = trade.and_then(|t| t.event_title.clone());
        }
        group.open_positions += 1;
        group.amount += position.amount;
        group.mark_value += position.mark_value();
    }
    let mut exposure: Vec<EventExposure> = groups.into_values().collect();
    // Largest first; the BTreeMap order (by event id) breaks ties.
    exposure.sort_by_key(|e| std::cmp::Reverse(e.amount));
    exposure
}

fn best_and_worst(positions: &[Position]) -> (Vec<MarketPnl>, Vec<MarketPnl>) {
    let mut markets: BTreeMap<&MarketId, MarketPnl> = BTreeMap::new();
    for position in positions {
        let market = markets
            .entry(&position.market_id)
            .or_insert_with(|| MarketPnl {
                market_id: position.market_id.clone(),
                market_question: position.market_question.clone(),
                positions: 0,
                realized_pnl: Usd::ZERO,
                unrealized_pnl: Usd::ZERO,
                total_pnl: Usd::ZERO,
            });
        market.positions += 1;
        if position.is_open() {
            market.unrealized_pnl += position.mark_value() - position.amount;
        } else {
            market.realized_pnl += position.realized_pnl.unwrap_or(Usd::ZERO);
        }
        market.total_pnl = market.realized_pnl + market.unrealized_pnl;
    }
    let all: Vec<MarketPnl> = markets.into_values().collect();
    let mut best: Vec<MarketPnl> = all
        .iter()
        .filter(|m| m.total_pnl.is_positive())
        .cloned()
        .collect();
    best.sort_by_key(|m| std::cmp::Reverse(m.total_pnl));
    best.truncate(TOP_MARKETS);
    let mut worst: Vec<MarketPnl> = all
        .into_iter()
        .filter(|m| m.total_pnl.is_negative())
        .collect();
    worst.sort_by_key(|m| m.total_pnl);
    worst.truncate(TOP_MARKETS);
    (best, worst)
}

fn count(n: usize) -> Decimal {
    Decimal::from(u64::try_from(n).unwrap_or(u64::MAX))
}

/// `numerator / denominator` to [`RATIO_DP`] places; `None` for a zero or
/// negative denominator.
fn ratio(numerator: Decimal, denominator: Decimal) -> Option<Decimal> {
    if denominator <= Decimal::ZERO {
        return None;
    }
    numerator
        .checked_div(denominator)
        .map(|r| round_dp(r, RATIO_DP))
}

fn mean(values: &[Usd]) -> Option<Usd> {
    if values.is_empty() {
        return None;
    }
    let total: Usd = values.iter().sum();
    total.value().checked_div(count(values.len())).map(Usd::new)
}

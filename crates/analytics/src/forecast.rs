//! What closed positions say about a strategy: how often it won, and how
//! good its entry prices were as forecasts (the Brier score).

use crate::{count, ratio};
use domain::money::round_dp;
use domain::{Market, MarketId, Position, Price, Resolution};
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::HashMap;

/// `wins / closed positions`: closed positions with a realized P&L above
/// zero over every closed position (break-even ones count as not won).
/// `None` before any position closed.
pub fn win_rate(positions: &[Position]) -> Option<Decimal> {
    let closed: Vec<&Position> = positions.iter().filter(|p| !p.is_open()).collect();
    let wins = closed
        .iter()
        .filter(|p| p.realized_pnl.is_some_and(|r| r.is_positive()))
        .count();
    ratio(count(wins), count(closed.len()))
}

/// One entry price read as a forecast, and what came of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Forecast {
    /// The price paid for the side bought: the market's probability that
    /// the side wins, as the position took it (its fill price).
    pub price: Price,
    /// What a share of that side paid at settlement: 1 (won), 0 (lost), or
    /// 0.5 for a 50/50 split.
    pub outcome: Price,
}

/// What a share of each outcome paid, for the markets of `markets` that
/// have settled (SPEC §3, [`Market::resolution`]).
pub fn settled_payouts(markets: &[Market]) -> HashMap<MarketId, [Price; 2]> {
    markets
        .iter()
        .filter_map(|m| match m.resolution() {
            Resolution::Settled { payout } => Some((m.id.clone(), payout)),
            Resolution::Open | Resolution::Undecided => None,
        })
        .collect()
}

/// A forecast for each position (open or closed) whose market settled in
/// `payouts`: a position sold early by an exit rule still forecast its
/// market, and is scored against how the market resolved.
pub fn forecasts(positions: &[Position], payouts: &HashMap<MarketId, [Price; 2]>) -> Vec<Forecast> {
    positions
        .iter()
        .filter_map(|p| {
            let payout = payouts.get(&p.market_id)?;
            Some(Forecast {
                price: p.entry_price,
                outcome: *payout.get(p.action.outcome_index())?,
            })
        })
        .collect()
}

/// The Brier score: `mean((price − outcome)²)` over the forecasts, to
/// [`crate::RATIO_DP`] places. 0 is perfect; always buying at 0.5 scores
/// 0.25. `None` without forecasts.
pub fn brier_score(forecasts: &[Forecast]) -> Option<Decimal> {
    let mut total = Decimal::ZERO;
    for f in forecasts {
        let miss = f.price.value() - f.outcome.value();
        total = total.checked_add(miss.checked_mul(miss)?)?;
    }
    if forecasts.is_empty() {
        return None;
    }
    total
        .checked_div(count(forecasts.len()))
        .map(|m| round_dp(m, crate::RATIO_DP))
}

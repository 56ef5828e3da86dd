//! SPEC §2 step 6: mark open positions at the latest prices and settle the
//! ones whose market resolved.

use crate::ledger::refresh_profit_loss;
use crate::settle::{Settlement, settle_at};
use chrono::{DateTime, Utc};
use domain::{Market, MarketId, Portfolio, Resolution};
use std::collections::HashMap;

/// What a re-price did to the open positions.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RepriceReport {
    /// Open positions marked at a new price.
    pub repriced: usize,
    /// Positions closed because their market resolved.
    pub settled: Vec<Settlement>,
    /// Markets closed without a decided outcome (e.g. `["0","0"]`): their
    /// positions stay open. Each market once, in position order.
    pub undecided: Vec<MarketId>,
    /// Markets of open positions that were not in `markets`, or had no price
    /// for the position's outcome: the last mark is kept. Each market once.
    pub unpriced: Vec<MarketId>,
}

/// Re-price every open position of `portfolio` from `markets` (the latest
/// records, closed ones included):
///
/// - market absent or without a price for the outcome → `unpriced`, the last
///   mark (and a legacy `current_pnl`) stays as stored;
/// - [`Resolution::Settled`] → settled at the payout of its outcome;
/// - [`Resolution::Undecided`] → reported in `undecided`, stays open, not marked;
/// - [`Resolution::Open`] → `current_price` = the outcome's price,
///   `current_pnl = shares × price − amount` (2 dp).
///
/// Sets `last_price_update` (and `last_updated`) to `now` when any position was
/// repriced or settled, and refreshes `total_profit_loss`.
pub fn reprice(portfolio: &mut Portfolio, markets: &[Market], now: DateTime<Utc>) -> RepriceReport {
    let mut by_id: HashMap<&MarketId, &Market> = HashMap::new();
    for market in markets {
        by_id.entry(&market.id).or_insert(market);
    }
    let mut report = RepriceReport::default();
    for index in 0..portfolio.positions.len() {
        let position = &portfolio.positions[index];
        if !position.is_open() {
            continue;
        }
        let outcome = position.action.outcome_index();
        let Some(market) = by_id.get(&position.market_id) else {
            push_once(&mut report.unpriced, &position.market_id);
            continue;
        };
        match market.resolution() {
            Resolution::Settled { payout } => {
                let settlement = settle_at(portfolio, index, payout[outcome], now);
                report.settled.push(settlement);
            }
            Resolution::Undecided => push_once(&mut report.undecided, &position.market_id),
            Resolution::Open => match market.price(outcome) {
                Some(price) => {
                    let position = &mut portfolio.positions[index];
                    position.current_price = Some(price);
                    position.current_pnl = Some(position.shares.worth(price) - position.amount);
                    report.repriced += 1;
                }
                None => push_once(&mut report.unpriced, &position.market_id),
            },
        }
    }
    if report.repriced > 0 || !report.settled.is_empty() {
        portfolio.last_price_update = Some(now);
        portfolio.last_updated = now;
    }
    refresh_profit_loss(portfolio);
    tracing::debug!(
        repriced = report.repriced,
        settled = report.settled.len(),
        undecided = report.undecided.len(),
        unpriced = report.unpriced.len(),
        "repriced portfolio"
    );
    report
}

fn push_once(list: &mut Vec<MarketId>, id: &MarketId) {
    if !list.contains(id) {
        list.push(id.clone());
    }
}

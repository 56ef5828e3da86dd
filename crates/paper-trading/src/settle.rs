//! SPEC §3: closing a position when its market resolves.

use crate::ledger::refresh_profit_loss;
use chrono::{DateTime, Utc};
use domain::{MarketId, Portfolio, PositionStatus, Price, TradeId, Usd};

/// One position closed at its market's final price.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Settlement {
    pub trade_id: TradeId,
    pub market_id: MarketId,
    /// What a share paid: 1 (won), 0 (lost) or 0.5 (split).
    pub exit_price: Price,
    /// `shares × exit_price`, credited to the balance.
    pub payout: Usd,
    /// `payout − amount`.
    pub realized_pnl: Usd,
}

/// Settle the open position of `trade_id` at `final_price`: credit
/// `shares × final_price` (2 dp) to the balance and close it with
/// `realized_pnl = payout − amount`.
///
/// Returns `None`, changing nothing, when no open position has that id: each
/// position settles exactly once.
pub fn settle_position(
    portfolio: &mut Portfolio,
    trade_id: &TradeId,
    final_price: Price,
    now: DateTime<Utc>,
) -> Option<Settlement> {
    let index = portfolio
        .positions
        .iter()
        .position(|p| p.is_open() && &p.trade_id == trade_id)?;
    let settlement = settle_at(portfolio, index, final_price, now);
    refresh_profit_loss(portfolio);
    portfolio.last_updated = now;
    Some(settlement)
}

/// Settle the (open) position at `index` at its market's final price. The
/// caller refreshes the totals.
pub(crate) fn settle_at(
    portfolio: &mut Portfolio,
    index: usize,
    final_price: Price,
    now: DateTime<Utc>,
) -> Settlement {
    // `index` is one the caller just found among the portfolio's positions.
    let payout = portfolio.positions[index].shares.worth(final_price);
    let realized = close_at(portfolio, index, final_price, payout, now);
    let position = &portfolio.positions[index];
    let settlement = Settlement {
        trade_id: position.trade_id.clone(),
        market_id: position.market_id.clone(),
        exit_price: final_price,
        payout,
        realized_pnl: realized,
    };
    tracing::info!(
        trade = %settlement.trade_id,
        market = %settlement.market_id,
        payout = %payout,
        realized = %realized,
        "settled position"
    );
    settlement
}

/// Close the (open) position at `index` at `exit_price`, crediting
/// `credited` to the balance; returns its realized P&L, `credited − amount`.
/// Settlement and exits both close through here, so both book P&L alike.
/// The caller refreshes the totals.
///
/// A closed position keeps `current_price` = the exit price and
/// `current_pnl` = 0, not null: it holds no unrealized P&L any more, and
/// readers of the legacy file that sum `current_pnl` keep working.
pub(crate) fn close_at(
    portfolio: &mut Portfolio,
    index: usize,
    exit_price: Price,
    credited: Usd,
    now: DateTime<Utc>,
) -> Usd {
    let position = &mut portfolio.positions[index];
    let realized = credited - position.amount;
    position.status = PositionStatus::Closed;
    position.current_price = Some(exit_price);
    position.current_pnl = Some(Usd::ZERO);
    position.realized_pnl = Some(realized);
    position.exit_price = Some(exit_price);
    position.exit_timestamp = Some(now);
    portfolio.balance += credited;
    realized
}

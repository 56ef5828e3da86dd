//! The running totals every operation refreshes.

use domain::Portfolio;

/// `total_profit_loss` = Σ realized P&L of closed positions + Σ unrealized P&L
/// of open ones at their last mark (`mark_value − amount`).
///
/// With the ledger invariant this makes `total_value() == initial_balance +
/// total_profit_loss` exactly: both sides are sums of the same 2 dp values.
/// A legacy position that was never priced here (`current_price` absent) counts
/// at its cost, i.e. 0 unrealized: its stored `current_pnl` was computed by the
/// original's `(current − entry) × amount`, which is not the P&L of a share
/// (SPEC §3). The stored value stays on the position until the next re-price.
pub(crate) fn refresh_profit_loss(portfolio: &mut Portfolio) {
    portfolio.total_profit_loss = portfolio.realized_pnl() + portfolio.unrealized_pnl();
}

//! Prescient's research analytics: how a portfolio (live, or a backtest's)
//! did, and how several compare — for `prescient compare` and backtests.
//!
//! Owns: the equity curve ([`EquityCurve`], from portfolio history) and what
//! it yields — [`total_return`], [`max_drawdown`] with its peak and trough,
//! [`sharpe`] of daily returns; what closed positions yield — [`win_rate`],
//! the [`brier_score`] of entry prices as forecasts; across portfolios the
//! [`correlation_matrix`] of daily P&L; and the [`concentration`] of open
//! exposure by event and by tag.
//!
//! Must not: touch storage or the network, read the clock, or change a
//! portfolio (that is `paper-trading`). Inputs are records any store returns.
//!
//! Numbers: money stays [`domain::Usd`] and exact ratios (return, drawdown,
//! win rate, Brier score, shares of exposure) are `Decimal` fractions
//! (`0.25` = 25 %) rounded to [`RATIO_DP`] places. Only the statistics that
//! need a square root — Sharpe and Pearson correlation — are `f64`, computed
//! from the exact decimal returns and P&L; they are ratios, never money.
//! Anything undefined (too few points, a constant series, a zero base) is
//! `None`, serialized as `null`.
//!
//! Start with [`EquityCurve::from_history`], then [`analyze`].

mod concentration;
mod correlation;
mod equity;
mod forecast;
mod summary;

pub use concentration::{Concentration, Exposure, Share, concentration, open_exposures};
pub use correlation::{CorrelationMatrix, MIN_COMMON_DAYS, correlation_matrix, pearson};
pub use equity::{
    DAYS_PER_YEAR, EquityCurve, EquityPoint, MaxDrawdown, daily_returns, max_drawdown, sharpe,
    total_return,
};
pub use forecast::{Forecast, brier_score, forecasts, settled_payouts, win_rate};
pub use summary::{Analytics, analyze};

/// Decimal places of every exact ratio.
pub use domain::history::RATIO_DP;

use domain::money::round_dp;
use rust_decimal::Decimal;

/// `numerator / denominator` to [`RATIO_DP`] places; `None` for a zero or
/// negative denominator.
pub(crate) fn ratio(numerator: Decimal, denominator: Decimal) -> Option<Decimal> {
    if denominator <= Decimal::ZERO {
        return None;
    }
    numerator
        .checked_div(denominator)
        .map(|r| round_dp(r, RATIO_DP))
}

/// `n` as a `Decimal`.
pub(crate) fn count(n: usize) -> Decimal {
    Decimal::from(u64::try_from(n).unwrap_or(u64::MAX))
}

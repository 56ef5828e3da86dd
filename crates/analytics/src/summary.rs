//! Every figure of one portfolio at once, as `prescient compare` shows it.

use crate::{
    EquityCurve, MaxDrawdown, brier_score, forecasts, max_drawdown, sharpe, total_return, win_rate,
};
use domain::{MarketId, Position, Price};
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::HashMap;

/// The analytics of one portfolio (or one backtest run).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Analytics {
    pub total_return: Option<Decimal>,
    pub max_drawdown: MaxDrawdown,
    /// Annualised, of daily returns (see [`sharpe`]).
    pub sharpe: Option<f64>,
    pub closed_positions: usize,
    pub win_rate: Option<Decimal>,
    /// How many positions' markets have settled and were scored.
    pub forecasts: usize,
    pub brier_score: Option<Decimal>,
}

/// The analytics of `curve` and `positions`, scoring entry prices against
/// the markets settled in `payouts` ([`crate::settled_payouts`]).
pub fn analyze(
    curve: &EquityCurve,
    positions: &[Position],
    payouts: &HashMap<MarketId, [Price; 2]>,
) -> Analytics {
    let scored = forecasts(positions, payouts);
    Analytics {
        total_return: total_return(curve),
        max_drawdown: max_drawdown(curve),
        sharpe: sharpe(curve),
        closed_positions: positions.iter().filter(|p| !p.is_open()).count(),
        win_rate: win_rate(positions),
        forecasts: scored.len(),
        brier_score: brier_score(&scored),
    }
}

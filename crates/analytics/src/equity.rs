//! The equity curve — a portfolio's total value over time — and what it
//! yields: total return, the deepest drawdown, daily returns and Sharpe.

use crate::ratio;
use chrono::{DateTime, NaiveDate, Utc};
use domain::{Drawdown, PortfolioHistoryEntry, Usd};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::Serialize;
use std::collections::BTreeMap;

/// Days a year of daily returns counts for [`sharpe`]: Polymarket trades
/// every day of the week.
pub const DAYS_PER_YEAR: f64 = 365.0;

/// A portfolio's total value at one time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct EquityPoint {
    pub time: DateTime<Utc>,
    pub value: Usd,
}

/// Total value over time, in time order, one point per instant.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct EquityCurve {
    points: Vec<EquityPoint>,
}

impl EquityCurve {
    /// The curve of `points`, in any order; of two points at one instant the
    /// later-given one is kept.
    pub fn new(points: impl IntoIterator<Item = EquityPoint>) -> Self {
        let mut sorted: Vec<EquityPoint> = points.into_iter().collect();
        sorted.sort_by_key(|p| p.time);
        let mut kept: Vec<EquityPoint> = Vec::with_capacity(sorted.len());
        for point in sorted {
            match kept.last_mut() {
                Some(last) if last.time == point.time => *last = point,
                _ => kept.push(point),
            }
        }
        EquityCurve { points: kept }
    }

    /// The `total_value` of each history entry (balance plus the mark value
    /// of open positions), in timestamp order.
    pub fn from_history(history: &[PortfolioHistoryEntry]) -> Self {
        EquityCurve::new(history.iter().map(|h| EquityPoint {
            time: h.timestamp,
            value: h.total_value,
        }))
    }

    pub fn points(&self) -> &[EquityPoint] {
        &self.points
    }

    /// The value at the last point of each UTC day that has one.
    pub fn daily_closes(&self) -> Vec<(NaiveDate, Usd)> {
        let mut closes: BTreeMap<NaiveDate, Usd> = BTreeMap::new();
        for p in &self.points {
            closes.insert(p.time.date_naive(), p.value);
        }
        closes.into_iter().collect()
    }

    /// Each recorded day's P&L: its close less the previous recorded day's
    /// (a gap's P&L falls on the day after it). The first day has none.
    pub fn daily_pnl(&self) -> BTreeMap<NaiveDate, Decimal> {
        self.daily_closes()
            .windows(2)
            .filter_map(|w| match w {
                [(_, before), (day, close)] => Some((*day, (*close - *before).value())),
                _ => None,
            })
            .collect()
    }
}

/// `(last − first) / first` of the curve; `None` without a point or when
/// the first value is not positive. Measured from the curve's first point:
/// prepend `(created_at, initial_balance)` to measure from the start.
pub fn total_return(curve: &EquityCurve) -> Option<Decimal> {
    let (first, last) = (curve.points.first()?, curve.points.last()?);
    ratio((last.value - first.value).value(), first.value.value())
}

/// The deepest fall of the curve from a running peak, as a fraction of that
/// peak, with the peak and the trough it fell to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct MaxDrawdown {
    /// `(peak − trough) / peak`, to [`crate::RATIO_DP`] places; 0 when the
    /// curve never fell.
    pub fraction: Decimal,
    /// `peak − trough` of that same fall.
    pub amount: Usd,
    /// `None` when the curve never fell (from a positive peak).
    pub peak: Option<EquityPoint>,
    pub trough: Option<EquityPoint>,
}

/// The deepest drawdown of `curve`. The earliest of equally deep falls is
/// reported; a new peak must be strictly higher. Peaks at or below zero
/// measure no fraction.
pub fn max_drawdown(curve: &EquityCurve) -> MaxDrawdown {
    let mut deepest = MaxDrawdown::default();
    let Some(mut peak) = curve.points.first().copied() else {
        return deepest;
    };
    for point in &curve.points {
        if point.value > peak.value {
            peak = *point;
        }
        let Some(fraction) = Drawdown::fraction_of(peak.value, point.value) else {
            continue;
        };
        if fraction > deepest.fraction {
            deepest = MaxDrawdown {
                fraction,
                amount: peak.value - point.value,
                peak: Some(peak),
                trough: Some(*point),
            };
        }
    }
    deepest
}

/// Day-over-day simple returns of the daily closes, `close / previous − 1`,
/// exact; a day after a close at or below zero has none.
pub fn daily_returns(curve: &EquityCurve) -> Vec<(NaiveDate, Decimal)> {
    curve
        .daily_closes()
        .windows(2)
        .filter_map(|w| match w {
            [(_, before), (day, close)] if before.is_positive() => (*close - *before)
                .value()
                .checked_div(before.value())
                .map(|r| (*day, r)),
            _ => None,
        })
        .collect()
}

/// The annualised Sharpe ratio of the daily returns ([`daily_returns`]):
/// `mean / sample standard deviation × √365`, with a risk-free rate of 0.
/// Daily resampling makes it independent of how often cycles ran; a gap of
/// several days counts as one return. `None` with fewer than two returns or
/// when they do not vary.
pub fn sharpe(curve: &EquityCurve) -> Option<f64> {
    let returns: Vec<Decimal> = daily_returns(curve).into_iter().map(|(_, r)| r).collect();
    if returns.len() < 2 || returns.iter().all(|r| Some(r) == returns.first()) {
        return None;
    }
    let xs: Vec<f64> = returns.iter().map(|r| r.to_f64()).collect::<Option<_>>()?;
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    let variance = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    let sd = variance.sqrt();
    if !sd.is_finite() || sd <= 0.0 {
        return None;
    }
    Some(mean / sd * DAYS_PER_YEAR.sqrt())
}

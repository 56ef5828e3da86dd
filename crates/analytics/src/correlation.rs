//! Do several portfolios win and lose on the same days? The Pearson
//! correlation of their daily P&L, pair by pair.

use crate::EquityCurve;
use domain::PortfolioId;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::Serialize;

/// Days with a P&L in both series a correlation needs; fewer give `None`
/// (two points always correlate ±1, which says nothing).
pub const MIN_COMMON_DAYS: usize = 3;

/// Pearson correlations of daily P&L, `values[i][j]` for `portfolios[i]`
/// and `portfolios[j]`; `None` (JSON `null`) where undefined.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct CorrelationMatrix {
    pub portfolios: Vec<PortfolioId>,
    pub values: Vec<Vec<Option<f64>>>,
}

impl CorrelationMatrix {
    /// The correlation of `a` and `b`, when both are in the matrix and it is
    /// defined.
    pub fn get(&self, a: &PortfolioId, b: &PortfolioId) -> Option<f64> {
        let i = self.portfolios.iter().position(|p| p == a)?;
        let j = self.portfolios.iter().position(|p| p == b)?;
        *self.values.get(i)?.get(j)?
    }
}

/// The Pearson correlation of `xs` and `ys` (paired by index, the shorter
/// length): `None` with fewer than two pairs or when either series is
/// constant. Constancy is judged on the exact values, before the `f64`
/// arithmetic.
pub fn pearson(xs: &[Decimal], ys: &[Decimal]) -> Option<f64> {
    let n = xs.len().min(ys.len());
    let (xs, ys) = (xs.get(..n)?, ys.get(..n)?);
    let constant = |s: &[Decimal]| s.iter().all(|v| Some(v) == s.first());
    if n < 2 || constant(xs) || constant(ys) {
        return None;
    }
    let xs: Vec<f64> = xs.iter().map(|v| v.to_f64()).collect::<Option<_>>()?;
    let ys: Vec<f64> = ys.iter().map(|v| v.to_f64()).collect::<Option<_>>()?;
    let mean = |s: &[f64]| s.iter().sum::<f64>() / s.len() as f64;
    let (mx, my) = (mean(&xs), mean(&ys));
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (x, y) in xs.iter().zip(&ys) {
        let (dx, dy) = (x - mx, y - my);
        sxy += dx * dy;
        sxx += dx * dx;
        syy += dy * dy;
    }
    let r = sxy / (sxx * syy).sqrt();
    r.is_finite().then(|| r.clamp(-1.0, 1.0))
}

/// The matrix of `curves`' daily P&L ([`EquityCurve::daily_pnl`]), each
/// pair over the days both have a P&L, `None` below [`MIN_COMMON_DAYS`] or
/// when either is constant over them. The diagonal is 1 where a portfolio's
/// own P&L varies.
pub fn correlation_matrix(curves: &[(PortfolioId, EquityCurve)]) -> CorrelationMatrix {
    let pnl: Vec<_> = curves.iter().map(|(_, c)| c.daily_pnl()).collect();
    let values = pnl
        .iter()
        .map(|a| {
            pnl.iter()
                .map(|b| {
                    let (xs, ys): (Vec<Decimal>, Vec<Decimal>) = a
                        .iter()
                        .filter_map(|(day, x)| Some((*x, *b.get(day)?)))
                        .unzip();
                    if xs.len() < MIN_COMMON_DAYS {
                        return None;
                    }
                    pearson(&xs, &ys)
                })
                .collect()
        })
        .collect();
    CorrelationMatrix {
        portfolios: curves.iter().map(|(id, _)| id.clone()).collect(),
        values,
    }
}

//! What a backtest reports: per strategy, its trades, final value, realized
//! P&L, return, win rate, max drawdown, Sharpe, Brier score and equity
//! curve — the figures of [`analytics`], computed the same way as `prescient
//! compare` computes them for live portfolios.
//!
//! `--json` prints [`BacktestReport::to_json`]: `{"strategies": [{"strategy",
//! "trades", "final_value", "realized_pnl", "return", "win_rate",
//! "max_drawdown", "sharpe", "brier", "equity": [{"time", "total_value"}]}]}`,
//! keys in that order. Money and exact ratios are JSON numbers written from
//! their decimal digits (never through a float); Sharpe, a float by nature,
//! is written as serde_json writes an `f64`; an undefined figure is `null`.

use analytics::{EquityCurve, brier_score, forecasts, max_drawdown, sharpe, win_rate};
use chrono::SecondsFormat;
use domain::{MarketId, Portfolio, Price, Usd};
use rust_decimal::Decimal;
use serde::{Serialize, Serializer};
use std::collections::HashMap;
use std::fmt;

/// The result of a backtest, strategies in the order they were given.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BacktestReport {
    /// What was replayed ([`super::Moments::describe`]); in the text
    /// output, not in the JSON (which depends on the moments only).
    #[serde(skip)]
    pub source: String,
    pub strategies: Vec<StrategyReport>,
}

/// One strategy's figures.
#[derive(Clone, Debug, PartialEq)]
pub struct StrategyReport {
    pub strategy: String,
    /// Trades executed (exits and settlements are not trades).
    pub trades: u64,
    /// Balance plus open positions marked at their last price.
    pub final_value: Usd,
    /// Of the closed positions (settled or exited).
    pub realized_pnl: Usd,
    /// `(final_value − initial balance) / initial balance`.
    pub total_return: Option<Decimal>,
    pub win_rate: Option<Decimal>,
    /// The deepest fall of the equity curve, as a fraction of its peak.
    pub max_drawdown: Decimal,
    pub sharpe: Option<f64>,
    /// Of the entry prices of positions whose market settled.
    pub brier: Option<Decimal>,
    pub equity: EquityCurve,
}

impl StrategyReport {
    /// The figures of a strategy's final `portfolio`, its `trades` count and
    /// its equity `curve`, scoring entry prices against `payouts`.
    pub fn of(
        strategy: &str,
        portfolio: &Portfolio,
        trades: u64,
        curve: EquityCurve,
        payouts: &HashMap<MarketId, [Price; 2]>,
    ) -> Self {
        let final_value = portfolio.total_value();
        let initial = portfolio.initial_balance.value();
        let total_return = (initial > Decimal::ZERO)
            .then(|| {
                final_value
                    .value()
                    .checked_sub(initial)?
                    .checked_div(initial)
            })
            .flatten()
            .map(|r| domain::money::round_dp(r, analytics::RATIO_DP));
        StrategyReport {
            strategy: strategy.to_owned(),
            trades,
            final_value,
            realized_pnl: portfolio.realized_pnl(),
            total_return,
            win_rate: win_rate(&portfolio.positions),
            max_drawdown: max_drawdown(&curve).fraction,
            sharpe: sharpe(&curve),
            brier: brier_score(&forecasts(&portfolio.positions, payouts)),
            equity: curve,
        }
    }
}

impl BacktestReport {
    /// The report as pretty JSON (see the module docs), with a final
    /// newline: the same report gives the same bytes.
    pub fn to_json(&self) -> Result<String, serde_json::Error> {
        let mut text = serde_json::to_string_pretty(self)?;
        text.push('\n');
        Ok(text)
    }
}

/// A decimal as a JSON number, from its digits: money to the cent
/// (`9925.00`), a ratio without trailing zeros (`0.5`).
enum Number {
    Money(Usd),
    Ratio(Decimal),
}

impl Number {
    fn text(&self) -> String {
        match self {
            Number::Money(usd) => money(*usd),
            Number::Ratio(r) => {
                let r = r.normalize();
                // `-0` is not a number a reader expects.
                if r.is_zero() {
                    "0".into()
                } else {
                    r.to_string()
                }
            }
        }
    }
}

/// An amount to the cent, as text (`9925.00`, `-75.00`, `0.00`).
fn money(usd: Usd) -> String {
    let d = domain::money::round_dp(usd.value(), 2);
    if d.is_zero() {
        "0.00".into()
    } else {
        format!("{d:.2}")
    }
}

impl Serialize for Number {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::Error;
        serde_json::value::RawValue::from_string(self.text())
            .map_err(S::Error::custom)?
            .serialize(serializer)
    }
}

impl Serialize for StrategyReport {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut s = serializer.serialize_struct("StrategyReport", 10)?;
        s.serialize_field("strategy", &self.strategy)?;
        s.serialize_field("trades", &self.trades)?;
        s.serialize_field("final_value", &Number::Money(self.final_value))?;
        s.serialize_field("realized_pnl", &Number::Money(self.realized_pnl))?;
        s.serialize_field("return", &self.total_return.map(Number::Ratio))?;
        s.serialize_field("win_rate", &self.win_rate.map(Number::Ratio))?;
        s.serialize_field("max_drawdown", &Number::Ratio(self.max_drawdown))?;
        s.serialize_field("sharpe", &self.sharpe)?;
        s.serialize_field("brier", &self.brier.map(Number::Ratio))?;
        let equity: Vec<Point> = self
            .equity
            .points()
            .iter()
            .map(|p| Point {
                time: p.time.to_rfc3339_opts(SecondsFormat::AutoSi, true),
                total_value: Number::Money(p.value),
            })
            .collect();
        s.serialize_field("equity", &equity)?;
        s.end()
    }
}

#[derive(Serialize)]
struct Point {
    time: String,
    total_value: Number,
}

fn or_dash(value: Option<impl fmt::Display>) -> String {
    value.map_or_else(|| "-".to_owned(), |v| v.to_string())
}

impl fmt::Display for BacktestReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "backtest of {}", self.source)?;
        writeln!(
            f,
            "{:<20} {:>7} {:>14} {:>14} {:>10} {:>9} {:>9} {:>8} {:>8}",
            "strategy",
            "trades",
            "final value",
            "realized P&L",
            "return",
            "win rate",
            "drawdown",
            "sharpe",
            "brier"
        )?;
        for s in &self.strategies {
            writeln!(
                f,
                "{:<20} {:>7} {:>14} {:>14} {:>10} {:>9} {:>9} {:>8} {:>8}",
                s.strategy,
                s.trades,
                money(s.final_value),
                money(s.realized_pnl),
                or_dash(s.total_return.map(|r| Number::Ratio(r).text())),
                or_dash(s.win_rate.map(|r| Number::Ratio(r).text())),
                Number::Ratio(s.max_drawdown).text(),
                or_dash(s.sharpe.map(|x| format!("{x:.2}"))),
                or_dash(s.brier.map(|r| Number::Ratio(r).text())),
            )?;
        }
        Ok(())
    }
}

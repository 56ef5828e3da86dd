//! Closing positions before their market resolves: take-profit, stop-loss
//! and a maximum holding time, per portfolio. Positions are sold at the
//! market's current price (through the portfolio's [`FillModel`]) and
//! their realized P&L is booked exactly as a settlement books it.

use crate::ConfigError;
use crate::fill::FillModel;
use crate::ledger::refresh_profit_loss;
use crate::settle::close_at;
use chrono::{DateTime, TimeDelta, Utc};
use domain::{Market, MarketId, Portfolio, Position, Price, TradeId, Usd};
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::HashMap;

/// The largest take-profit: +10 000 % of the amount.
const MAX_TAKE_PROFIT: Decimal = Decimal::from_parts(100, 0, 0, false, 0);

/// When a portfolio closes a position early. Each rule is off when `None`.
///
/// Percentages are fractions of the position's amount (`0.25` = 25 %),
/// measured at the market's quoted price before slippage and fees:
/// `gain = shares × price − amount`. The sale itself then fills through the
/// fill model, so a position taken at +25 % may realize a little less.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ExitRules {
    take_profit: Option<Decimal>,
    stop_loss: Option<Decimal>,
    max_holding: Option<TimeDelta>,
}

/// Which rule closed a position.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ExitRule {
    /// `gain ≥ take_profit × amount`.
    TakeProfit,
    /// `−gain ≥ stop_loss × amount`.
    StopLoss,
    /// Held for `max_holding` or longer.
    MaxHolding,
}

impl ExitRules {
    /// No early exits: positions close only when their market resolves.
    pub const NONE: ExitRules = ExitRules {
        take_profit: None,
        stop_loss: None,
        max_holding: None,
    };

    /// Rules with `take_profit` in (0, 100], `stop_loss` in (0, 1] and a
    /// positive `max_holding`.
    pub fn new(
        take_profit: Option<Decimal>,
        stop_loss: Option<Decimal>,
        max_holding: Option<TimeDelta>,
    ) -> Result<Self, ConfigError> {
        if let Some(tp) = take_profit {
            if tp <= Decimal::ZERO || tp > MAX_TAKE_PROFIT {
                return Err(ConfigError::Fraction {
                    what: "take_profit",
                    value: tp,
                    range: "(0, 100]",
                });
            }
        }
        if let Some(sl) = stop_loss {
            if sl <= Decimal::ZERO || sl > Decimal::ONE {
                return Err(ConfigError::Fraction {
                    what: "stop_loss",
                    value: sl,
                    range: "(0, 1]",
                });
            }
        }
        if let Some(held) = max_holding {
            if held <= TimeDelta::zero() {
                return Err(ConfigError::MaxHolding(held));
            }
        }
        Ok(ExitRules {
            take_profit,
            stop_loss,
            max_holding,
        })
    }

    pub fn take_profit(&self) -> Option<Decimal> {
        self.take_profit
    }

    pub fn stop_loss(&self) -> Option<Decimal> {
        self.stop_loss
    }

    pub fn max_holding(&self) -> Option<TimeDelta> {
        self.max_holding
    }

    /// The rule that closes `position`, quoted at `price`, at `now`: the
    /// price rules first (at most one of them can hold), then the holding
    /// time. `None` keeps it open.
    pub fn firing(
        &self,
        position: &Position,
        price: Price,
        now: DateTime<Utc>,
    ) -> Option<ExitRule> {
        let amount = position.amount.value();
        let gain = (position.shares.worth(price) - position.amount).value();
        let reached = |fraction: Decimal, by: Decimal| {
            amount
                .checked_mul(fraction)
                .is_some_and(|threshold| by >= threshold)
        };
        if self.stop_loss.is_some_and(|sl| reached(sl, -gain)) {
            return Some(ExitRule::StopLoss);
        }
        if self.take_profit.is_some_and(|tp| reached(tp, gain)) {
            return Some(ExitRule::TakeProfit);
        }
        let held = now.signed_duration_since(position.entry_timestamp);
        if self.max_holding.is_some_and(|max| held >= max) {
            return Some(ExitRule::MaxHolding);
        }
        None
    }
}

/// One position closed by a rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Exit {
    pub trade_id: TradeId,
    pub market_id: MarketId,
    pub rule: ExitRule,
    /// The market's price of the position's outcome.
    pub quoted_price: Price,
    /// What the shares sold at: the quote less slippage.
    pub exit_price: Price,
    /// `shares × exit_price`, before the fee.
    pub proceeds: Usd,
    pub fee: Usd,
    /// `proceeds − fee − amount`; `proceeds − fee` was credited.
    pub realized_pnl: Usd,
}

/// What [`apply_exits`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ExitReport {
    /// In position order.
    pub closed: Vec<Exit>,
    /// Markets of open positions with no price to sell at (absent, closed,
    /// not accepting orders, or no price for the outcome): not checked.
    /// Each market once.
    pub unquoted: Vec<MarketId>,
}

/// Close every open position of `portfolio` whose rule fires at its
/// market's current price in `markets` (tradable ones only: a closed market
/// settles through [`crate::reprice`], it is not sold). The sale fills
/// through `fill`; the position closes at the fill price, the balance is
/// credited `proceeds − fee`, and realized P&L is `credited − amount`, so
/// the ledger invariant and `total_value() == initial_balance +
/// total_profit_loss` hold after it as after a settlement.
pub fn apply_exits(
    portfolio: &mut Portfolio,
    markets: &[Market],
    rules: &ExitRules,
    fill: &FillModel,
    now: DateTime<Utc>,
) -> ExitReport {
    let mut by_id: HashMap<&MarketId, &Market> = HashMap::new();
    for market in markets {
        by_id.entry(&market.id).or_insert(market);
    }
    let mut report = ExitReport::default();
    for index in 0..portfolio.positions.len() {
        let position = &portfolio.positions[index];
        if !position.is_open() {
            continue;
        }
        let quote = by_id
            .get(&position.market_id)
            .filter(|m| m.is_tradable_binary())
            .and_then(|m| m.price(position.action.outcome_index()));
        let Some(quoted_price) = quote else {
            if !report.unquoted.contains(&position.market_id) {
                report.unquoted.push(position.market_id.clone());
            }
            continue;
        };
        let Some(rule) = rules.firing(position, quoted_price, now) else {
            continue;
        };
        let exit_price = fill.sell_price(quoted_price);
        let proceeds = position.shares.worth(exit_price);
        let fee = fill.fee(proceeds);
        let (trade_id, market_id) = (position.trade_id.clone(), position.market_id.clone());
        let realized_pnl = close_at(portfolio, index, exit_price, proceeds - fee, now);
        tracing::info!(trade = %trade_id, ?rule, exit = %exit_price, realized = %realized_pnl, "exited position");
        report.closed.push(Exit {
            trade_id,
            market_id,
            rule,
            quoted_price,
            exit_price,
            proceeds,
            fee,
            realized_pnl,
        });
    }
    if !report.closed.is_empty() {
        portfolio.last_updated = now;
        refresh_profit_loss(portfolio);
    }
    report
}

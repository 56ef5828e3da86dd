//! Trading signals: what a strategy wants to buy, and whether it was executed.

use crate::{DomainError, EventId, Extra, MarketId, PortfolioId, Price, TradeId, Usd};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Which outcome a signal buys. "Yes" is outcome 0 of `outcomes` and "No"
/// outcome 1, whatever their labels (team names, Up/Down).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    BuyYes,
    BuyNo,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::BuyYes => "buy_yes",
            Action::BuyNo => "buy_no",
        }
    }

    /// The outcome index this action buys.
    pub fn outcome_index(self) -> usize {
        match self {
            Action::BuyYes => 0,
            Action::BuyNo => 1,
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Action {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "buy_yes" => Ok(Action::BuyYes),
            "buy_no" => Ok(Action::BuyNo),
            other => Err(DomainError::UnknownAction(other.to_owned())),
        }
    }
}

/// The strategy of records that do not name one: the legacy files and the
/// rows stored before strategies were recorded come from the original
/// system, which ran only most-likely.
pub const LEGACY_STRATEGY: &str = "most_likely";

/// [`LEGACY_STRATEGY`], for serde defaults.
pub fn legacy_strategy() -> String {
    LEGACY_STRATEGY.to_owned()
}

/// A trading signal (the fields of the plan's `trading_signals` table, plus
/// the portfolio and strategy it belongs to).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Signal {
    /// The portfolio whose strategy produced it. Absent from legacy records
    /// (and from journal entries written before portfolios): the default one.
    #[serde(default)]
    pub portfolio_id: PortfolioId,
    /// The strategy that produced it, by its registry name (`"momentum"`).
    /// Absent from legacy records: [`LEGACY_STRATEGY`].
    #[serde(default = "legacy_strategy")]
    pub strategy: String,
    pub timestamp: DateTime<Utc>,
    pub market_id: MarketId,
    pub market_question: String,
    pub action: Action,
    /// The label of the outcome bought (`"Yes"`, `"Chiefs"`), when known.
    pub outcome: Option<String>,
    pub target_price: Price,
    pub amount: Usd,
    /// How strongly the strategy wants the trade, 4 dp; signals are sorted
    /// by it. For most-likely `price − 0.50`; each strategy documents its own.
    pub confidence: Decimal,
    pub reason: String,
    pub yes_price: Price,
    pub no_price: Price,
    pub market_liquidity: Option<Usd>,
    pub market_volume: Option<Usd>,
    pub event_id: Option<EventId>,
    pub event_title: Option<String>,
    pub event_end_date: Option<DateTime<Utc>>,
    pub executed: bool,
    pub executed_at: Option<DateTime<Utc>>,
    pub trade_id: Option<TradeId>,
    pub extra: Extra,
}

impl Signal {
    /// Link this signal to the trade that executed it.
    pub fn mark_executed(&mut self, trade_id: TradeId, at: DateTime<Utc>) {
        self.executed = true;
        self.executed_at = Some(at);
        self.trade_id = Some(trade_id);
    }

    /// This signal executed as `trade` (at its own `executed_at`, else the
    /// trade's time): what an execution of one trade links.
    pub fn executed_as(&self, trade: &crate::Trade) -> Signal {
        let mut linked = self.clone();
        linked.mark_executed(
            trade.trade_id.clone(),
            self.executed_at.unwrap_or(trade.timestamp),
        );
        linked
    }
}

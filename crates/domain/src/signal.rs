//! Trading signals: what a strategy wants to buy, and whether it was executed.

use crate::{DomainError, EventId, Extra, MarketId, Price, TradeId, Usd};
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

/// A trading signal (the fields of the plan's `trading_signals` table).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Signal {
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
}

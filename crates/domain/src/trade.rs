//! Executed paper trades: the append-only trade history.

use crate::{
    Action, EventId, Extra, MarketId, PortfolioId, PositionStatus, Price, Shares, TradeId, Usd,
};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// One executed paper trade (the fields of the plan's `trades` table plus
/// `shares` and the portfolio it belongs to). Never updated after insert.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Trade {
    pub trade_id: TradeId,
    pub portfolio_id: PortfolioId,
    pub timestamp: DateTime<Utc>,
    pub market_id: MarketId,
    pub market_question: String,
    pub action: Action,
    pub outcome: Option<String>,
    pub amount: Usd,
    pub entry_price: Price,
    pub shares: Shares,
    pub confidence: Decimal,
    pub reason: Option<String>,
    pub status: PositionStatus,
    pub event_id: Option<EventId>,
    pub event_title: Option<String>,
    pub event_end_date: Option<DateTime<Utc>>,
    pub current_pnl: Option<Usd>,
    pub realized_pnl: Option<Usd>,
    pub extra: Extra,
}

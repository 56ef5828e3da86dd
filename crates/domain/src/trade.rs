//! Executed paper trades: the append-only trade history.

use crate::{
    Action, EventId, Extra, MarketId, PortfolioId, PositionStatus, Price, Shares, TradeId, Usd,
};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// One executed paper trade (the fields of the plan's `trades` table plus
/// `shares`, the portfolio and the strategy it belongs to, and when it
/// closed). Only its settlement (`status`, `realized_pnl`, `closed_at`,
/// [`TradeSettlement`]) changes after insert, when its position settles or
/// exits; everything else is the execution, fixed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Trade {
    pub trade_id: TradeId,
    pub portfolio_id: PortfolioId,
    /// The strategy whose signal it executed, by its registry name. Absent
    /// from legacy records: [`crate::signal::LEGACY_STRATEGY`].
    #[serde(default = "crate::signal::legacy_strategy")]
    pub strategy: String,
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
    /// When its position settled or exited; `None` while open (and on
    /// legacy records, which were never closed).
    #[serde(default)]
    pub closed_at: Option<DateTime<Utc>>,
    pub extra: Extra,
}

/// What closing a position records on the trade that opened it: the trade
/// record's status, realized P&L and closing time (`TradeStore::settle_trade`).
/// The original left every trade record `"open"` forever.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TradeSettlement {
    pub portfolio_id: PortfolioId,
    pub trade_id: TradeId,
    pub status: PositionStatus,
    pub realized_pnl: Option<Usd>,
    pub closed_at: Option<DateTime<Utc>>,
}

impl TradeSettlement {
    /// The trade of `trade_id` in `portfolio`, closed at `at` with `realized_pnl`.
    pub fn closed(
        portfolio_id: PortfolioId,
        trade_id: TradeId,
        realized_pnl: Usd,
        at: DateTime<Utc>,
    ) -> Self {
        TradeSettlement {
            portfolio_id,
            trade_id,
            status: PositionStatus::Closed,
            realized_pnl: Some(realized_pnl),
            closed_at: Some(at),
        }
    }
}

impl Trade {
    /// This trade with `settlement`'s status, realized P&L and closing time.
    pub fn settled(&self, settlement: &TradeSettlement) -> Trade {
        Trade {
            status: settlement.status,
            realized_pnl: settlement.realized_pnl,
            closed_at: settlement.closed_at,
            ..self.clone()
        }
    }

    /// The settlement this trade records (open, for a trade never closed).
    pub fn settlement(&self) -> TradeSettlement {
        TradeSettlement {
            portfolio_id: self.portfolio_id.clone(),
            trade_id: self.trade_id.clone(),
            status: self.status,
            realized_pnl: self.realized_pnl,
            closed_at: self.closed_at,
        }
    }

    /// Whether this records a settlement: closed, or with realized P&L or a
    /// closing time.
    pub fn is_settled(&self) -> bool {
        self.status != PositionStatus::Open
            || self.realized_pnl.is_some()
            || self.closed_at.is_some()
    }

    /// The trade as executed: open, before any settlement. Two records of one
    /// trade are the same execution when these are equal; a store asked to
    /// append a trade it holds settled takes it for a replay.
    pub fn as_executed(&self) -> Trade {
        Trade {
            status: PositionStatus::Open,
            realized_pnl: None,
            closed_at: None,
            ..self.clone()
        }
    }
}

/// The event a trade was made in: what exposure by event needs of the
/// trades of open positions, without the rest of each trade
/// (`TradeStore::trade_events`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TradeEvent {
    pub trade_id: TradeId,
    pub event_id: Option<EventId>,
    pub event_title: Option<String>,
}

impl TradeEvent {
    pub fn of(trade: &Trade) -> Self {
        TradeEvent {
            trade_id: trade.trade_id.clone(),
            event_id: trade.event_id.clone(),
            event_title: trade.event_title.clone(),
        }
    }
}

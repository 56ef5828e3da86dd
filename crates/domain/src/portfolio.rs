//! The portfolio, its positions, and the ledger invariant (SPEC §3):
//!
//! `balance + Σ open amounts = initial_balance + Σ realized P&L`, balance ≥ 0.
//!
//! Every operation in `paper-trading` keeps it; stores check it on load.

use crate::{Action, DomainError, Extra, MarketId, PortfolioId, Price, Shares, TradeId, Usd};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Whether a position is still held.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PositionStatus {
    Open,
    Closed,
}

impl PositionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PositionStatus::Open => "open",
            PositionStatus::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "open" => Some(PositionStatus::Open),
            "closed" => Some(PositionStatus::Closed),
            _ => None,
        }
    }
}

impl fmt::Display for PositionStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Shares of one outcome of one market, bought by one trade.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Position {
    pub trade_id: TradeId,
    pub market_id: MarketId,
    pub market_question: String,
    pub action: Action,
    pub outcome: Option<String>,
    /// The capital put in.
    pub amount: Usd,
    pub entry_price: Price,
    pub shares: Shares,
    pub entry_timestamp: DateTime<Utc>,
    pub status: PositionStatus,
    /// The last price the position was marked at.
    pub current_price: Option<Price>,
    /// Unrealized P&L at `current_price`. Legacy values are kept as stored
    /// until the next re-price.
    pub current_pnl: Option<Usd>,
    pub realized_pnl: Option<Usd>,
    pub exit_price: Option<Price>,
    pub exit_timestamp: Option<DateTime<Utc>>,
    pub extra: Extra,
}

impl Position {
    pub fn is_open(&self) -> bool {
        self.status == PositionStatus::Open
    }

    /// Mark value: shares at the current price, or the capital put in when the
    /// position has never been priced.
    pub fn mark_value(&self) -> Usd {
        match self.current_price {
            Some(p) => self.shares.worth(p),
            None => self.amount,
        }
    }
}

/// A paper portfolio: cash, positions and running totals.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Portfolio {
    pub id: PortfolioId,
    /// The cash the portfolio started with. Legacy files do not store it; it is
    /// derived from the invariant when they are read.
    pub initial_balance: Usd,
    pub balance: Usd,
    /// Every position ever opened; closed ones stay with their realized P&L.
    pub positions: Vec<Position>,
    /// Σ amounts ever invested (never decreases, as in the original).
    pub total_invested: Usd,
    /// Realized plus unrealized P&L.
    pub total_profit_loss: Usd,
    pub trade_count: u64,
    pub created_at: DateTime<Utc>,
    pub last_updated: DateTime<Utc>,
    pub last_price_update: Option<DateTime<Utc>>,
    pub extra: Extra,
}

impl Portfolio {
    /// An empty portfolio holding `initial_balance` in cash.
    pub fn new(id: PortfolioId, initial_balance: Usd, now: DateTime<Utc>) -> Self {
        Portfolio {
            id,
            initial_balance,
            balance: initial_balance,
            positions: Vec::new(),
            total_invested: Usd::ZERO,
            total_profit_loss: Usd::ZERO,
            trade_count: 0,
            created_at: now,
            last_updated: now,
            last_price_update: None,
            extra: Extra::new(),
        }
    }

    pub fn open_positions(&self) -> impl Iterator<Item = &Position> {
        self.positions.iter().filter(|p| p.is_open())
    }

    pub fn open_position_in(&self, market: &MarketId) -> Option<&Position> {
        self.open_positions().find(|p| &p.market_id == market)
    }

    /// Σ amounts of open positions.
    pub fn open_amounts(&self) -> Usd {
        self.open_positions().map(|p| p.amount).sum()
    }

    /// Σ realized P&L of closed positions.
    pub fn realized_pnl(&self) -> Usd {
        self.positions.iter().filter_map(|p| p.realized_pnl).sum()
    }

    /// Σ unrealized P&L of open positions at their last mark.
    pub fn unrealized_pnl(&self) -> Usd {
        self.open_positions()
            .map(|p| p.mark_value() - p.amount)
            .sum()
    }

    /// Balance plus the mark value of open positions (SPEC §3).
    pub fn total_value(&self) -> Usd {
        self.balance + self.open_positions().map(Position::mark_value).sum::<Usd>()
    }

    /// The initial balance the invariant implies for the current ledger:
    /// `balance + Σ open amounts − Σ realized`. Used for legacy files, which
    /// do not store it.
    pub fn implied_initial_balance(&self) -> Usd {
        self.balance + self.open_amounts() - self.realized_pnl()
    }

    /// SPEC §3: `balance + Σ open amounts = initial + Σ realized`, balance ≥ 0.
    pub fn check_invariant(&self) -> Result<(), DomainError> {
        if self.balance.is_negative() {
            return Err(DomainError::Invariant(format!(
                "balance {} is negative",
                self.balance
            )));
        }
        let left = self.balance + self.open_amounts();
        let right = self.initial_balance + self.realized_pnl();
        if left != right {
            return Err(DomainError::Invariant(format!(
                "balance {} + open amounts {} = {left}, but initial {} + realized {} = {right}",
                self.balance,
                self.open_amounts(),
                self.initial_balance,
                self.realized_pnl()
            )));
        }
        Ok(())
    }
}

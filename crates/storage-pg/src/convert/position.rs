//! `portfolio_positions` rows ↔ [`Position`].

use super::{RowCtx, instant, json, opt_instant, opt_usd, shares, usd};
use crate::entities::portfolio_positions::{ActiveModel, Model};
use domain::{MarketId, PortfolioId, Position, StoreError, TradeId};
use sea_orm::ActiveValue::{NotSet, Set};

pub(crate) const TABLE: &str = "portfolio_positions";

/// Position `ordinal` (its index in `Portfolio::positions`) of `portfolio`.
pub(crate) fn to_row(portfolio: &PortfolioId, ordinal: i32, p: &Position) -> ActiveModel {
    ActiveModel {
        id: NotSet,
        portfolio_id: Set(portfolio.to_string()),
        trade_id: Set(p.trade_id.to_string()),
        ordinal: Set(ordinal),
        market_id: Set(p.market_id.to_string()),
        market_question: Set(p.market_question.clone()),
        action: Set(p.action.as_str().to_owned()),
        outcome: Set(p.outcome.clone()),
        amount: Set(p.amount.value()),
        entry_price: Set(p.entry_price.value()),
        shares: Set(p.shares.value()),
        entry_timestamp: Set(instant(p.entry_timestamp)),
        status: Set(p.status.as_str().to_owned()),
        current_price: Set(p.current_price.map(|x| x.value())),
        current_pnl: Set(p.current_pnl.map(|x| x.value())),
        realized_pnl: Set(p.realized_pnl.map(|x| x.value())),
        exit_price: Set(p.exit_price.map(|x| x.value())),
        exit_timestamp: Set(opt_instant(p.exit_timestamp)),
        extra: Set(json(&p.extra)),
        created_at: NotSet,
    }
}

pub(crate) fn from_row(m: Model) -> Result<Position, StoreError> {
    let key = m.trade_id.clone();
    let ctx = RowCtx {
        table: TABLE,
        key: &key,
    };
    ctx.validate(Position {
        action: ctx.action(&m.action)?,
        entry_price: ctx.price("entry_price", m.entry_price)?,
        status: ctx.status(&m.status)?,
        current_price: ctx.opt_price("current_price", m.current_price)?,
        exit_price: ctx.opt_price("exit_price", m.exit_price)?,
        extra: ctx.extra(m.extra)?,
        trade_id: TradeId::new(m.trade_id),
        market_id: MarketId::new(m.market_id),
        market_question: m.market_question,
        outcome: m.outcome,
        amount: usd(m.amount),
        shares: shares(m.shares),
        entry_timestamp: m.entry_timestamp,
        current_pnl: opt_usd(m.current_pnl),
        realized_pnl: opt_usd(m.realized_pnl),
        exit_timestamp: m.exit_timestamp,
    })
}

//! `trades` rows ↔ [`Trade`].

use super::{RowCtx, instant, json, num, opt_instant, opt_usd, shares, usd};
use crate::entities::trades::{ActiveModel, Model};
use domain::{EventId, MarketId, PortfolioId, StoreError, Trade, TradeId};
use sea_orm::ActiveValue::{NotSet, Set};

pub(crate) const TABLE: &str = "trades";

pub(crate) fn to_row(t: &Trade) -> ActiveModel {
    ActiveModel {
        id: NotSet,
        portfolio_id: Set(t.portfolio_id.to_string()),
        trade_id: Set(t.trade_id.to_string()),
        timestamp: Set(instant(t.timestamp)),
        market_id: Set(t.market_id.to_string()),
        market_question: Set(t.market_question.clone()),
        action: Set(t.action.as_str().to_owned()),
        outcome: Set(t.outcome.clone()),
        amount: Set(t.amount.value()),
        entry_price: Set(t.entry_price.value()),
        shares: Set(t.shares.value()),
        confidence: Set(t.confidence),
        reason: Set(t.reason.clone()),
        status: Set(t.status.as_str().to_owned()),
        event_id: Set(t.event_id.as_ref().map(ToString::to_string)),
        event_title: Set(t.event_title.clone()),
        event_end_date: Set(opt_instant(t.event_end_date)),
        current_pnl: Set(t.current_pnl.map(|u| u.value())),
        realized_pnl: Set(t.realized_pnl.map(|u| u.value())),
        extra: Set(json(&t.extra)),
        created_at: NotSet,
    }
}

pub(crate) fn from_row(m: Model) -> Result<Trade, StoreError> {
    let key = m.trade_id.clone();
    let ctx = RowCtx {
        table: TABLE,
        key: &key,
    };
    ctx.validate(Trade {
        action: ctx.action(&m.action)?,
        entry_price: ctx.price("entry_price", m.entry_price)?,
        status: ctx.status(&m.status)?,
        extra: ctx.extra(m.extra)?,
        trade_id: TradeId::new(m.trade_id),
        portfolio_id: PortfolioId::new(m.portfolio_id),
        timestamp: m.timestamp,
        market_id: MarketId::new(m.market_id),
        market_question: m.market_question,
        outcome: m.outcome,
        amount: usd(m.amount),
        shares: shares(m.shares),
        confidence: num(m.confidence),
        reason: m.reason,
        event_id: m.event_id.map(EventId::new),
        event_title: m.event_title,
        event_end_date: m.event_end_date,
        current_pnl: opt_usd(m.current_pnl),
        realized_pnl: opt_usd(m.realized_pnl),
    })
}

/// `t` as a row keeps it: instants truncated to microseconds (decimals
/// compare by value), so a stored trade compares equal to the one given.
pub(crate) fn as_stored(t: &Trade) -> Trade {
    Trade {
        timestamp: instant(t.timestamp),
        event_end_date: opt_instant(t.event_end_date),
        ..t.clone()
    }
}

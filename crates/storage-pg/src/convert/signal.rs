//! `trading_signals` rows ↔ [`Signal`].

use super::{RowCtx, instant, json, num, opt_instant, opt_usd};
use crate::entities::trading_signals::{ActiveModel, Model};
use domain::{EventId, MarketId, PortfolioId, Signal, StoreError, TradeId, Usd};
use sea_orm::ActiveValue::{NotSet, Set};

pub(crate) const TABLE: &str = "trading_signals";

/// Where a signal's trade link is stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Link {
    /// No trade (not executed).
    None,
    /// The trade is in `trades`: `trade_id`, under the foreign key.
    Trade,
    /// The trade is not (yet) in `trades`: `pending_trade_id`.
    Pending,
}

pub(crate) fn to_row(s: &Signal, ordinal: i32, is_current: bool, link: Link) -> ActiveModel {
    let trade = s.trade_id.as_ref().map(ToString::to_string);
    let (trade_id, pending) = match link {
        Link::None => (None, None),
        Link::Trade => (trade, None),
        Link::Pending => (None, trade),
    };
    ActiveModel {
        id: NotSet,
        portfolio_id: Set(s.portfolio_id.to_string()),
        strategy: Set(s.strategy.clone()),
        timestamp: Set(instant(s.timestamp)),
        market_id: Set(s.market_id.to_string()),
        market_question: Set(s.market_question.clone()),
        action: Set(s.action.as_str().to_owned()),
        outcome: Set(s.outcome.clone()),
        target_price: Set(s.target_price.value()),
        amount: Set(s.amount.value()),
        confidence: Set(s.confidence),
        reason: Set(Some(s.reason.clone())),
        yes_price: Set(s.yes_price.value()),
        no_price: Set(s.no_price.value()),
        market_liquidity: Set(s.market_liquidity.map(Usd::value)),
        market_volume: Set(s.market_volume.map(Usd::value)),
        event_id: Set(s.event_id.as_ref().map(ToString::to_string)),
        event_title: Set(s.event_title.clone()),
        event_end_date: Set(opt_instant(s.event_end_date)),
        executed: Set(Some(s.executed)),
        executed_at: Set(opt_instant(s.executed_at)),
        trade_id: Set(trade_id),
        pending_trade_id: Set(pending),
        is_current: Set(is_current),
        ordinal: Set(ordinal),
        extra: Set(json(&s.extra)),
        created_at: NotSet,
    }
}

pub(crate) fn from_row(m: Model) -> Result<Signal, StoreError> {
    let key = format!("{} {}@{}", m.id, m.market_id, m.timestamp.to_rfc3339());
    let ctx = RowCtx {
        table: TABLE,
        key: &key,
    };
    ctx.validate(Signal {
        action: ctx.action(&m.action)?,
        target_price: ctx.price("target_price", m.target_price)?,
        yes_price: ctx.price("yes_price", m.yes_price)?,
        no_price: ctx.price("no_price", m.no_price)?,
        extra: ctx.extra(m.extra)?,
        portfolio_id: PortfolioId::new(m.portfolio_id),
        strategy: m.strategy,
        timestamp: m.timestamp,
        market_id: MarketId::new(m.market_id),
        market_question: m.market_question,
        outcome: m.outcome,
        amount: super::usd(m.amount),
        confidence: num(m.confidence),
        reason: m.reason.unwrap_or_default(),
        market_liquidity: opt_usd(m.market_liquidity),
        market_volume: opt_usd(m.market_volume),
        event_id: m.event_id.map(EventId::new),
        event_title: m.event_title,
        event_end_date: m.event_end_date,
        executed: m.executed.unwrap_or(false),
        executed_at: m.executed_at,
        trade_id: m.trade_id.or(m.pending_trade_id).map(TradeId::new),
    })
}

//! `trades` rows ↔ [`Trade`].

use super::{RowCtx, instant, json, num, opt_instant, opt_usd, shares, usd};
use crate::entities::trades::{ActiveModel, Model};
use domain::{EventId, MarketId, PortfolioId, StoreError, Trade, TradeId};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::sqlx::Row;
use sea_orm::sqlx::postgres::PgRow;

pub(crate) const TABLE: &str = "trades";

pub(crate) fn to_row(t: &Trade) -> ActiveModel {
    ActiveModel {
        id: NotSet,
        portfolio_id: Set(t.portfolio_id.to_string()),
        strategy: Set(t.strategy.clone()),
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
        closed_at: Set(opt_instant(t.closed_at)),
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
        strategy: m.strategy,
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
        closed_at: m.closed_at,
    })
}

/// `t` as a row keeps it: instants truncated to microseconds (decimals
/// compare by value), so a stored trade compares equal to the one given.
pub(crate) fn as_stored(t: &Trade) -> Trade {
    Trade {
        timestamp: instant(t.timestamp),
        event_end_date: opt_instant(t.event_end_date),
        closed_at: opt_instant(t.closed_at),
        ..t.clone()
    }
}

/// The columns [`from_pg_row`] decodes, in its order: a hot read selects
/// exactly these and decodes each row straight into a [`Trade`], without a
/// SeaORM model in between (about a quarter of the cost a row). The
/// `NUMERIC` columns come through `trim_scale`: the same value without the
/// column's trailing zeros (what [`super::num`] makes of it anyway), a few
/// base-10000 digits on the wire instead of eight, decoded much faster.
pub(crate) const COLUMNS: &str = "trade_id, portfolio_id, timestamp, market_id, market_question, \
     action, outcome, trim_scale(amount) AS amount, trim_scale(entry_price) AS entry_price, \
     trim_scale(shares) AS shares, trim_scale(confidence) AS confidence, reason, status, \
     event_id, event_title, event_end_date, trim_scale(current_pnl) AS current_pnl, \
     trim_scale(realized_pnl) AS realized_pnl, extra, strategy, closed_at";

/// A row of [`COLUMNS`] as the trade it stores, checked as [`from_row`]
/// checks a model.
pub(crate) fn from_pg_row(row: &PgRow) -> Result<Trade, StoreError> {
    let trade_id: String = row
        .try_get(0)
        .map_err(|e| super::invalid_row_of(TABLE, "?", "trade_id", e))?;
    let ctx = RowCtx {
        table: TABLE,
        key: &trade_id,
    };
    macro_rules! col {
        ($i:literal, $name:literal, $t:ty) => {
            row.try_get::<$t, _>($i)
                .map_err(|e| super::invalid_row_of(TABLE, ctx.key, $name, e))?
        };
    }
    let action = col!(5, "action", &str);
    let status = col!(12, "status", &str);
    let trade = Trade {
        portfolio_id: PortfolioId::new(col!(1, "portfolio_id", String)),
        timestamp: col!(2, "timestamp", chrono::DateTime<chrono::Utc>),
        market_id: MarketId::new(col!(3, "market_id", String)),
        market_question: col!(4, "market_question", String),
        action: ctx.action(action)?,
        outcome: col!(6, "outcome", Option<String>),
        amount: usd(col!(7, "amount", rust_decimal::Decimal)),
        entry_price: ctx.price("entry_price", col!(8, "entry_price", rust_decimal::Decimal))?,
        shares: shares(col!(9, "shares", rust_decimal::Decimal)),
        confidence: num(col!(10, "confidence", rust_decimal::Decimal)),
        reason: col!(11, "reason", Option<String>),
        status: ctx.status(status)?,
        event_id: {
            let e = col!(13, "event_id", Option<String>);
            e.map(EventId::new)
        },
        event_title: col!(14, "event_title", Option<String>),
        event_end_date: col!(15, "event_end_date", Option<chrono::DateTime<chrono::Utc>>),
        current_pnl: opt_usd(col!(16, "current_pnl", Option<rust_decimal::Decimal>)),
        realized_pnl: opt_usd(col!(17, "realized_pnl", Option<rust_decimal::Decimal>)),
        extra: ctx.extra(col!(18, "extra", serde_json::Value))?,
        strategy: col!(19, "strategy", String),
        closed_at: col!(20, "closed_at", Option<chrono::DateTime<chrono::Utc>>),
        trade_id: TradeId::new(trade_id.clone()),
    };
    ctx.validate(trade)
}

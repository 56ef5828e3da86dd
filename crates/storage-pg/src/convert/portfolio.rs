//! `portfolio_state` row + `portfolio_positions` rows ↔ [`Portfolio`].

use super::{RowCtx, instant, int_count, json, opt_instant, usd};
use crate::entities::portfolio_state::{ActiveModel, Model};
use domain::{Portfolio, PortfolioId, Position, StoreError};
use sea_orm::ActiveValue::Set;

pub(crate) const TABLE: &str = "portfolio_state";

pub(crate) fn to_row(p: &Portfolio) -> Result<ActiveModel, StoreError> {
    Ok(ActiveModel {
        portfolio_id: Set(p.id.to_string()),
        initial_balance: Set(p.initial_balance.value()),
        balance: Set(p.balance.value()),
        total_invested: Set(p.total_invested.value()),
        total_profit_loss: Set(p.total_profit_loss.value()),
        trade_count: Set(int_count(
            TABLE,
            p.id.as_str(),
            "trade_count",
            p.trade_count,
        )?),
        created_at: Set(instant(p.created_at)),
        last_updated: Set(instant(p.last_updated)),
        last_price_update: Set(opt_instant(p.last_price_update)),
        extra: Set(json(&p.extra)),
    })
}

pub(crate) fn from_row(m: Model, positions: Vec<Position>) -> Result<Portfolio, StoreError> {
    let key = m.portfolio_id.clone();
    let ctx = RowCtx {
        table: TABLE,
        key: &key,
    };
    ctx.validate(Portfolio {
        trade_count: ctx.count("trade_count", m.trade_count)?,
        extra: ctx.extra(m.extra)?,
        id: PortfolioId::new(m.portfolio_id),
        initial_balance: usd(m.initial_balance),
        balance: usd(m.balance),
        positions,
        total_invested: usd(m.total_invested),
        total_profit_loss: usd(m.total_profit_loss),
        created_at: m.created_at,
        last_updated: m.last_updated,
        last_price_update: m.last_price_update,
    })
}

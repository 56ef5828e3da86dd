//! `portfolio_snapshots` rows ↔ [`PortfolioSnapshot`].

use super::{RowCtx, instant, int_count, usd};
use crate::entities::portfolio_snapshots::{ActiveModel, Model};
use domain::{PortfolioId, PortfolioSnapshot, StoreError};
use sea_orm::ActiveValue::{NotSet, Set};

pub(crate) const TABLE: &str = "portfolio_snapshots";

pub(crate) fn to_row(s: &PortfolioSnapshot) -> Result<ActiveModel, StoreError> {
    let key = s.timestamp.to_rfc3339();
    Ok(ActiveModel {
        id: NotSet,
        portfolio_id: Set(s.portfolio_id.to_string()),
        timestamp: Set(instant(s.timestamp)),
        balance: Set(s.balance.value()),
        total_invested: Set(s.total_invested.value()),
        total_profit_loss: Set(s.total_profit_loss.value()),
        trade_count: Set(int_count(TABLE, &key, "trade_count", s.trade_count)?),
        created_at: NotSet,
    })
}

pub(crate) fn from_row(m: Model) -> Result<PortfolioSnapshot, StoreError> {
    let key = m.timestamp.to_rfc3339();
    let ctx = RowCtx {
        table: TABLE,
        key: &key,
    };
    ctx.validate(PortfolioSnapshot {
        trade_count: ctx.count("trade_count", m.trade_count)?,
        portfolio_id: PortfolioId::new(m.portfolio_id),
        timestamp: m.timestamp,
        balance: usd(m.balance),
        total_invested: usd(m.total_invested),
        total_profit_loss: usd(m.total_profit_loss),
    })
}

//! `portfolio_history` rows ↔ [`PortfolioHistoryEntry`].

use super::{RowCtx, instant, int_count, json, usd};
use crate::entities::portfolio_history::{ActiveModel, Model};
use domain::{PortfolioHistoryEntry, PortfolioId, StoreError};
use sea_orm::ActiveValue::{NotSet, Set};

pub(crate) const TABLE: &str = "portfolio_history";

pub(crate) fn to_row(e: &PortfolioHistoryEntry) -> Result<ActiveModel, StoreError> {
    let key = e.timestamp.to_rfc3339();
    Ok(ActiveModel {
        id: NotSet,
        portfolio_id: Set(e.portfolio_id.to_string()),
        snapshot_date: Set(e.date),
        timestamp: Set(instant(e.timestamp)),
        balance: Set(e.balance.value()),
        total_invested: Set(e.total_invested.value()),
        total_profit_loss: Set(e.total_profit_loss.value()),
        total_value: Set(e.total_value.value()),
        open_positions: Set(int_count(
            TABLE,
            &key,
            "open_positions",
            u64::from(e.open_positions),
        )?),
        trade_count: Set(int_count(TABLE, &key, "trade_count", e.trade_count)?),
        extra: Set(json(&e.extra)),
        created_at: NotSet,
    })
}

pub(crate) fn from_row(m: Model) -> Result<PortfolioHistoryEntry, StoreError> {
    let key = m.timestamp.to_rfc3339();
    let ctx = RowCtx {
        table: TABLE,
        key: &key,
    };
    let open = ctx.count("open_positions", m.open_positions)?;
    ctx.validate(PortfolioHistoryEntry {
        open_positions: u32::try_from(open)
            .map_err(|_| ctx.invalid("open_positions does not fit u32"))?,
        trade_count: ctx.count("trade_count", m.trade_count)?,
        extra: ctx.extra(m.extra)?,
        portfolio_id: PortfolioId::new(m.portfolio_id),
        date: m.snapshot_date,
        timestamp: m.timestamp,
        balance: usd(m.balance),
        total_invested: usd(m.total_invested),
        total_profit_loss: usd(m.total_profit_loss),
        total_value: usd(m.total_value),
    })
}

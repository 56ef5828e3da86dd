//! `portfolio_state` row + `portfolio_positions` rows ↔ [`Portfolio`].

use super::{RowCtx, instant, int_count, json, opt_instant, usd};
use crate::entities::portfolio_state::ActiveModel;
use domain::{Portfolio, PortfolioId, Position, StoreError};
use sea_orm::ActiveValue::Set;
use sea_orm::sqlx::postgres::PgRow;

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

/// The `NUMERIC` columns among [`COLUMNS`].
pub(crate) const DECIMALS: &[&str] = &[
    "initial_balance",
    "balance",
    "total_invested",
    "total_profit_loss",
];

/// The columns [`from_pg_row`] decodes, in its order: a hot read selects
/// exactly these and decodes the row straight into a [`Portfolio`].
pub(crate) const COLUMNS: [&str; 10] = [
    "portfolio_id",
    "initial_balance",
    "balance",
    "total_invested",
    "total_profit_loss",
    "trade_count",
    "created_at",
    "last_updated",
    "last_price_update",
    "extra",
];

/// The row's [`COLUMNS`] from column `at` on, with `positions`, as the
/// portfolio it stores: `trade_count` not negative, `extra` an object,
/// decimals normalized, the whole portfolio checked (`domain::validate`).
pub(crate) fn from_pg_row(
    row: &PgRow,
    at: usize,
    positions: Vec<Position>,
) -> Result<Portfolio, StoreError> {
    let id: String = RowCtx {
        table: TABLE,
        key: "?",
    }
    .get(row, at, "portfolio_id")?;
    let ctx = RowCtx {
        table: TABLE,
        key: &id,
    };
    let portfolio = Portfolio {
        initial_balance: usd(ctx.get(row, at + 1, "initial_balance")?),
        balance: usd(ctx.get(row, at + 2, "balance")?),
        total_invested: usd(ctx.get(row, at + 3, "total_invested")?),
        total_profit_loss: usd(ctx.get(row, at + 4, "total_profit_loss")?),
        trade_count: ctx.count("trade_count", ctx.get(row, at + 5, "trade_count")?)?,
        created_at: ctx.get(row, at + 6, "created_at")?,
        last_updated: ctx.get(row, at + 7, "last_updated")?,
        last_price_update: ctx.get(row, at + 8, "last_price_update")?,
        extra: ctx.extra(ctx.get(row, at + 9, "extra")?)?,
        positions,
        id: PortfolioId::new(id.clone()),
    };
    ctx.validate(portfolio)
}

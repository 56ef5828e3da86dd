//! `portfolio_positions` rows ↔ [`Position`].

use super::{RowCtx, instant, json, opt_instant, opt_usd, shares, usd};
use crate::entities::portfolio_positions::ActiveModel;
use domain::{MarketId, PortfolioId, Position, StoreError, TradeId};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::sqlx::postgres::PgRow;

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

/// The `NUMERIC` columns among [`COLUMNS`].
pub(crate) const DECIMALS: &[&str] = &[
    "amount",
    "entry_price",
    "shares",
    "current_price",
    "current_pnl",
    "realized_pnl",
    "exit_price",
];

/// The columns [`from_pg_row`] decodes, in its order (after `ordinal`, which
/// the read decodes itself): a hot read selects exactly these and decodes
/// each row straight into a [`Position`], without a SeaORM model.
pub(crate) const COLUMNS: [&str; 16] = [
    "trade_id",
    "market_id",
    "market_question",
    "action",
    "outcome",
    "amount",
    "entry_price",
    "shares",
    "entry_timestamp",
    "status",
    "current_price",
    "current_pnl",
    "realized_pnl",
    "exit_price",
    "exit_timestamp",
    "extra",
];

/// The row's [`COLUMNS`] from column `at` on as the position it stores:
/// action, status and prices parsed, `extra` an object, decimals normalized,
/// the whole position checked (`domain::validate`).
pub(crate) fn from_pg_row(row: &PgRow, at: usize) -> Result<Position, StoreError> {
    let trade_id: String = RowCtx {
        table: TABLE,
        key: "?",
    }
    .get(row, at, "trade_id")?;
    let ctx = RowCtx {
        table: TABLE,
        key: &trade_id,
    };
    let action: &str = ctx.get(row, at + 3, "action")?;
    let status: &str = ctx.get(row, at + 9, "status")?;
    let position = Position {
        market_id: MarketId::new(ctx.get::<String>(row, at + 1, "market_id")?),
        market_question: ctx.get(row, at + 2, "market_question")?,
        action: ctx.action(action)?,
        outcome: ctx.get(row, at + 4, "outcome")?,
        amount: usd(ctx.get(row, at + 5, "amount")?),
        entry_price: ctx.price("entry_price", ctx.get(row, at + 6, "entry_price")?)?,
        shares: shares(ctx.get(row, at + 7, "shares")?),
        entry_timestamp: ctx.get(row, at + 8, "entry_timestamp")?,
        status: ctx.status(status)?,
        current_price: ctx.opt_price("current_price", ctx.get(row, at + 10, "current_price")?)?,
        current_pnl: opt_usd(ctx.get(row, at + 11, "current_pnl")?),
        realized_pnl: opt_usd(ctx.get(row, at + 12, "realized_pnl")?),
        exit_price: ctx.opt_price("exit_price", ctx.get(row, at + 13, "exit_price")?)?,
        exit_timestamp: ctx.get(row, at + 14, "exit_timestamp")?,
        extra: ctx.extra(ctx.get(row, at + 15, "extra")?)?,
        trade_id: TradeId::new(trade_id.clone()),
    };
    ctx.validate(position)
}

//! Trades data set (SPEC §6): the append-only `trades` history.
//!
//! Deviations from the plan, and why:
//! - `portfolio_id` (default `'default'`, SPEC §3: several portfolios);
//! - `shares DECIMAL(20, 6)`: the P&L of a binary-outcome share needs the
//!   number of shares bought, not only the amount (SPEC §3);
//! - `outcome` (the label bought, e.g. a team name) and `extra` (unknown
//!   legacy fields, so `paper_trades.json` round-trips);
//! - two composite indexes for the reads the ports serve: a portfolio's trades
//!   in one market, and a portfolio's trades in append order (newest first
//!   for `recent_trades`).
//!
//! `trade_id` stays `UNIQUE NOT NULL`: it is the natural key that makes
//! appends and backfills idempotent (`ON CONFLICT (trade_id) DO NOTHING`).

use crate::columns::{
    confidence, extra, id, index, money, portfolio_id, price, shares, text, tstz, tstz_now, varchar,
};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Trades {
    Table,
    Id,
    PortfolioId,
    TradeId,
    Timestamp,
    MarketId,
    MarketQuestion,
    Action,
    Outcome,
    Amount,
    EntryPrice,
    Shares,
    Confidence,
    Reason,
    Status,
    EventId,
    EventTitle,
    EventEndDate,
    CurrentPnl,
    RealizedPnl,
    Extra,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use Trades as T;
        manager
            .create_table(
                Table::create()
                    .table(T::Table)
                    .col(id(T::Id))
                    .col(portfolio_id(T::PortfolioId))
                    .col(varchar(T::TradeId, 255).not_null().unique_key())
                    .col(tstz(T::Timestamp).not_null())
                    .col(varchar(T::MarketId, 255).not_null())
                    .col(text(T::MarketQuestion).not_null())
                    .col(varchar(T::Action, 50).not_null())
                    .col(text(T::Outcome).null())
                    .col(money(T::Amount).not_null())
                    .col(price(T::EntryPrice).not_null())
                    .col(shares(T::Shares).not_null())
                    .col(confidence(T::Confidence).not_null())
                    .col(text(T::Reason).null())
                    .col(varchar(T::Status, 50).not_null())
                    .col(varchar(T::EventId, 255).null())
                    .col(text(T::EventTitle).null())
                    .col(tstz(T::EventEndDate).null())
                    .col(money(T::CurrentPnl).null())
                    .col(money(T::RealizedPnl).null())
                    .col(extra(T::Extra))
                    .col(tstz_now(T::CreatedAt))
                    .to_owned(),
            )
            .await?;
        for idx in [
            index("idx_trades_market_id", T::Table, [T::MarketId]),
            index(
                "idx_trades_timestamp",
                T::Table,
                [(T::Timestamp, IndexOrder::Desc)],
            ),
            index("idx_trades_status", T::Table, [T::Status]),
            index(
                "idx_trades_portfolio_market",
                T::Table,
                [T::PortfolioId, T::MarketId],
            ),
            index("idx_trades_portfolio_id", T::Table, [T::PortfolioId, T::Id]),
        ] {
            manager.create_index(idx).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Trades::Table).to_owned())
            .await
    }
}

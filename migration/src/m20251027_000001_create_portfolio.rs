//! Portfolio data set (SPEC §6): `portfolio_state`, `portfolio_positions`,
//! `portfolio_snapshots`.
//!
//! Deviations from the plan, and why:
//! - every table carries `portfolio_id` (default `'default'`, SPEC §3);
//! - `portfolio_state` is keyed by `portfolio_id` instead of the single-row
//!   `id INTEGER DEFAULT 1 CHECK (id = 1)`; the plan's one row is the
//!   `'default'` portfolio. It also stores `initial_balance` (the ledger
//!   invariant `balance + Σ open = initial + Σ realized` needs it and the
//!   legacy file does not have it), `last_price_update` (a field of the
//!   portfolio file) and `extra` (unknown legacy fields);
//! - positions gain `shares DECIMAL(20, 6)` (P&L of a binary share is
//!   `shares × price − amount`, SPEC §3), `outcome` and `current_price` (fields
//!   the domain's `Position` has), `extra`, and `ordinal`: the position's index
//!   in the portfolio, so a saved portfolio reads back in the same order;
//! - `portfolio_snapshots` is unique on `(portfolio_id, timestamp)` so a
//!   replayed snapshot is a no-op (idempotent writes, SPEC §5).

use crate::columns::{
    extra, id, index, integer, money, portfolio_id, price, shares, text, tstz, tstz_now, varchar,
};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum PortfolioState {
    Table,
    PortfolioId,
    InitialBalance,
    Balance,
    TotalInvested,
    TotalProfitLoss,
    TradeCount,
    CreatedAt,
    LastUpdated,
    LastPriceUpdate,
    Extra,
}

#[derive(DeriveIden)]
enum PortfolioPositions {
    Table,
    Id,
    PortfolioId,
    TradeId,
    Ordinal,
    MarketId,
    MarketQuestion,
    Action,
    Outcome,
    Amount,
    EntryPrice,
    Shares,
    EntryTimestamp,
    Status,
    CurrentPrice,
    CurrentPnl,
    RealizedPnl,
    ExitPrice,
    ExitTimestamp,
    Extra,
    CreatedAt,
}

#[derive(DeriveIden)]
enum PortfolioSnapshots {
    Table,
    Id,
    PortfolioId,
    Timestamp,
    Balance,
    TotalInvested,
    TotalProfitLoss,
    TradeCount,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use PortfolioPositions as P;
        use PortfolioSnapshots as S;
        use PortfolioState as T;

        manager
            .create_table(
                Table::create()
                    .table(T::Table)
                    .col(portfolio_id(T::PortfolioId).primary_key())
                    .col(money(T::InitialBalance).not_null())
                    .col(money(T::Balance).not_null())
                    .col(money(T::TotalInvested).not_null())
                    .col(money(T::TotalProfitLoss).not_null())
                    .col(integer(T::TradeCount).not_null())
                    .col(tstz(T::CreatedAt).not_null())
                    .col(tstz(T::LastUpdated).not_null())
                    .col(tstz(T::LastPriceUpdate).null())
                    .col(extra(T::Extra))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(P::Table)
                    .col(id(P::Id))
                    .col(portfolio_id(P::PortfolioId))
                    .col(varchar(P::TradeId, 255).not_null().unique_key())
                    .col(integer(P::Ordinal).not_null())
                    .col(varchar(P::MarketId, 255).not_null())
                    .col(text(P::MarketQuestion).not_null())
                    .col(varchar(P::Action, 50).not_null())
                    .col(text(P::Outcome).null())
                    .col(money(P::Amount).not_null())
                    .col(price(P::EntryPrice).not_null())
                    .col(shares(P::Shares).not_null())
                    .col(tstz(P::EntryTimestamp).not_null())
                    .col(varchar(P::Status, 50).not_null())
                    .col(price(P::CurrentPrice).null())
                    .col(money(P::CurrentPnl).null())
                    .col(money(P::RealizedPnl).null())
                    .col(price(P::ExitPrice).null())
                    .col(tstz(P::ExitTimestamp).null())
                    .col(extra(P::Extra))
                    .col(tstz_now(P::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("idx_positions_market_id", P::Table, [P::MarketId]))
            .await?;
        manager
            .create_index(index("idx_positions_status", P::Table, [P::Status]))
            .await?;
        // Loading a portfolio reads its positions in order.
        manager
            .create_index(index(
                "idx_positions_portfolio_ordinal",
                P::Table,
                [P::PortfolioId, P::Ordinal],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(S::Table)
                    .col(id(S::Id))
                    .col(portfolio_id(S::PortfolioId))
                    .col(
                        tstz(S::Timestamp)
                            .not_null()
                            .default(Expr::current_timestamp()),
                    )
                    .col(money(S::Balance).not_null())
                    .col(money(S::TotalInvested).not_null())
                    .col(money(S::TotalProfitLoss).not_null())
                    .col(integer(S::TradeCount).not_null())
                    .col(tstz_now(S::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_portfolio_snapshots_timestamp",
                S::Table,
                [(S::Timestamp, IndexOrder::Desc)],
            ))
            .await?;
        manager
            .create_index(
                index(
                    "uq_portfolio_snapshots_portfolio_timestamp",
                    S::Table,
                    [S::PortfolioId, S::Timestamp],
                )
                .unique()
                .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            PortfolioSnapshots::Table.into_iden(),
            PortfolioPositions::Table.into_iden(),
            PortfolioState::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

//! History data set (SPEC §6): `portfolio_history` and `signal_archives`.
//!
//! Deviations from the plan, and why:
//! - `portfolio_history` mirrors `history/portfolio_history.json` one entry
//!   per row (SPEC §5), carries `portfolio_id` (SPEC §3) and `extra` (unknown
//!   legacy fields), and is unique on `(portfolio_id, timestamp)`: appending
//!   an entry twice (replay, backfill) changes nothing;
//! - `signal_archives` is unique on `archived_at` (the archive's natural key,
//!   SPEC §5) and keeps unknown legacy fields of an archive entry in `extra`.
//!   `signals_data` holds the archived signals as serialized by the domain.

use crate::columns::{
    extra, id, index, integer, jsonb, money, portfolio_id, tstz, tstz_now, varchar,
};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum PortfolioHistory {
    Table,
    Id,
    PortfolioId,
    SnapshotDate,
    Timestamp,
    Balance,
    TotalInvested,
    TotalProfitLoss,
    TotalValue,
    OpenPositions,
    TradeCount,
    Extra,
    CreatedAt,
}

#[derive(DeriveIden)]
enum SignalArchives {
    Table,
    Id,
    ArchivedAt,
    ArchiveMonth,
    SignalsCount,
    SignalsData,
    Extra,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use PortfolioHistory as H;
        use SignalArchives as A;
        manager
            .create_table(
                Table::create()
                    .table(H::Table)
                    .col(id(H::Id))
                    .col(portfolio_id(H::PortfolioId))
                    .col(ColumnDef::new(H::SnapshotDate).date().not_null())
                    .col(tstz(H::Timestamp).not_null())
                    .col(money(H::Balance).not_null())
                    .col(money(H::TotalInvested).not_null())
                    .col(money(H::TotalProfitLoss).not_null())
                    .col(money(H::TotalValue).not_null())
                    .col(integer(H::OpenPositions).not_null())
                    .col(integer(H::TradeCount).not_null())
                    .col(extra(H::Extra))
                    .col(tstz_now(H::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_portfolio_history_date",
                H::Table,
                [(H::SnapshotDate, IndexOrder::Desc)],
            ))
            .await?;
        manager
            .create_index(
                index(
                    "uq_portfolio_history_portfolio_timestamp",
                    H::Table,
                    [H::PortfolioId, H::Timestamp],
                )
                .unique()
                .take(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(A::Table)
                    .col(id(A::Id))
                    .col(tstz(A::ArchivedAt).not_null().unique_key())
                    .col(varchar(A::ArchiveMonth, 7).not_null())
                    .col(integer(A::SignalsCount).not_null())
                    .col(jsonb(A::SignalsData))
                    .col(extra(A::Extra))
                    .col(tstz_now(A::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_signal_archives_month",
                A::Table,
                [A::ArchiveMonth],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            SignalArchives::Table.into_iden(),
            PortfolioHistory::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

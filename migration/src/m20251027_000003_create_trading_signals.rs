//! Signals data set (SPEC §6): `trading_signals`, the current signal set and
//! every signal that was executed, linked to its trade.
//!
//! How "current" is modelled: `is_current` marks the rows of the current set
//! and `ordinal` their order in it. Replacing the set (one transaction)
//! deletes the previous set's rows that were never executed (they live on in
//! `signal_archives`), clears `is_current` on the executed ones — they stay
//! as the database's record of the signal → trade link (plan, phase 3:
//! "signal history queryable") — and inserts the new set.
//!
//! Deviations from the plan, and why:
//! - `is_current`, `ordinal` (above);
//! - `trade_id` is also `UNIQUE`: a trade executes exactly one signal, and the
//!   constraint makes re-saving an executed signal an upsert instead of a
//!   duplicate (NULLs stay distinct, so unexecuted signals do not collide);
//! - `pending_trade_id`: the link of a signal whose trade is not (yet) in
//!   `trades`. With dual writes and an outbox, a signal's write can reach the
//!   database before its trade's (the trade's write failed and waits for
//!   replay; a backfill loads signals first). The foreign key forbids storing
//!   that link in `trade_id`, and dropping it would lose the link, so it waits
//!   here and moves to `trade_id` in the transaction that inserts the trade.
//!   Reads see `COALESCE(trade_id, pending_trade_id)`. Unique for the same
//!   reason as `trade_id`;
//! - `outcome` (the label bought) and `extra` (unknown legacy fields).

use crate::columns::{
    confidence, extra, id, index, integer, money, price, text, tstz, tstz_now, varchar,
};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum TradingSignals {
    Table,
    Id,
    Timestamp,
    MarketId,
    MarketQuestion,
    Action,
    Outcome,
    TargetPrice,
    Amount,
    Confidence,
    Reason,
    YesPrice,
    NoPrice,
    MarketLiquidity,
    MarketVolume,
    EventId,
    EventTitle,
    EventEndDate,
    Executed,
    ExecutedAt,
    TradeId,
    PendingTradeId,
    IsCurrent,
    Ordinal,
    Extra,
    CreatedAt,
}

/// The referenced table (created by `m20251027_000002_create_trades`).
#[derive(DeriveIden)]
enum Trades {
    Table,
    TradeId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use TradingSignals as S;
        manager
            .create_table(
                Table::create()
                    .table(S::Table)
                    .col(id(S::Id))
                    .col(tstz(S::Timestamp).not_null())
                    .col(varchar(S::MarketId, 255).not_null())
                    .col(text(S::MarketQuestion).not_null())
                    .col(varchar(S::Action, 50).not_null())
                    .col(text(S::Outcome).null())
                    .col(price(S::TargetPrice).not_null())
                    .col(money(S::Amount).not_null())
                    .col(confidence(S::Confidence).not_null())
                    .col(text(S::Reason).null())
                    .col(price(S::YesPrice).not_null())
                    .col(price(S::NoPrice).not_null())
                    .col(money(S::MarketLiquidity).null())
                    .col(money(S::MarketVolume).null())
                    .col(varchar(S::EventId, 255).null())
                    .col(text(S::EventTitle).null())
                    .col(tstz(S::EventEndDate).null())
                    .col(ColumnDef::new(S::Executed).boolean().null().default(false))
                    .col(tstz(S::ExecutedAt).null())
                    .col(varchar(S::TradeId, 255).null().unique_key())
                    .col(varchar(S::PendingTradeId, 255).null().unique_key())
                    .col(
                        ColumnDef::new(S::IsCurrent)
                            .boolean()
                            .not_null()
                            .default(false),
                    )
                    .col(integer(S::Ordinal).not_null().default(0))
                    .col(extra(S::Extra))
                    .col(tstz_now(S::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_trading_signals_trade_id")
                            .from(S::Table, S::TradeId)
                            .to(Trades::Table, Trades::TradeId),
                    )
                    .to_owned(),
            )
            .await?;
        for idx in [
            index(
                "idx_signals_market_id",
                S::Table,
                [(S::MarketId, IndexOrder::Asc)],
            ),
            index(
                "idx_signals_timestamp",
                S::Table,
                [(S::Timestamp, IndexOrder::Desc)],
            ),
            index(
                "idx_signals_executed",
                S::Table,
                [(S::Executed, IndexOrder::Asc)],
            ),
            index(
                "idx_signals_current",
                S::Table,
                [
                    (S::IsCurrent, IndexOrder::Asc),
                    (S::Ordinal, IndexOrder::Asc),
                ],
            ),
        ] {
            manager.create_index(idx).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(TradingSignals::Table).to_owned())
            .await
    }
}

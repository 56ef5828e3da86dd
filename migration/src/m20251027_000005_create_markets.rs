//! Markets data set (SPEC §6): `events`, `markets`, `market_snapshots`.
//!
//! `event_data` / `market_data` keep the Gamma objects exactly as received
//! (`Event::raw`, `Market::raw`); the typed columns are copies for queries
//! and indexes, and the stores decode the JSONB back with `domain::gamma`.
//!
//! How the two event sets are held: each `events` row is a member of one set,
//! told apart by the plan's `is_filtered` column — `false` for the raw export
//! (`raw_events_backup.json`), `true` for the filtered set
//! (`filtered_events.json`). An event that passed the filter therefore has two
//! rows. Deviation: the plan's `UNIQUE (event_id)` becomes
//! `UNIQUE (event_id, is_filtered)`. Why not one row with two flags: the sets
//! are written at different steps of the cycle, and the next export would
//! overwrite the payload the filtered set was decided on, so the filtered set
//! would no longer read back as written (and shadow reads against the JSON
//! files would report mismatches).
//!
//! Other deviations, and why:
//! - `ordinal` on `events` and `markets`: the position in the saved set, so a
//!   set reads back in the order it was saved (filtered events are sorted by
//!   volume, SPEC §2);
//! - `is_filtered` is `NOT NULL` on `events` (it is the set discriminator);
//! - `market_snapshots` is unique on `(market_id, timestamp)` so a replayed
//!   snapshot append changes nothing (SPEC §5).

use crate::columns::{id, index, integer, jsonb, money, price, text, tstz, tstz_now, varchar};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Events {
    Table,
    Id,
    EventId,
    IsFiltered,
    Ordinal,
    Title,
    Slug,
    Liquidity,
    Volume,
    #[sea_orm(iden = "volume24hr")]
    Volume24hr,
    StartDate,
    EndDate,
    DaysUntilEnd,
    EventData,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Markets {
    Table,
    Id,
    MarketId,
    Ordinal,
    Question,
    EventId,
    EventTitle,
    EventEndDate,
    Liquidity,
    Volume,
    #[sea_orm(iden = "volume24hr")]
    Volume24hr,
    YesPrice,
    NoPrice,
    MarketConviction,
    MarketData,
    IsFiltered,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum MarketSnapshots {
    Table,
    Id,
    MarketId,
    Timestamp,
    YesPrice,
    NoPrice,
    Liquidity,
    Volume,
    #[sea_orm(iden = "volume24hr")]
    Volume24hr,
    MarketConviction,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_events(manager).await?;
        create_markets(manager).await?;
        create_market_snapshots(manager).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            MarketSnapshots::Table.into_iden(),
            Markets::Table.into_iden(),
            Events::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

async fn create_events(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    use Events as E;
    manager
        .create_table(
            Table::create()
                .table(E::Table)
                .col(id(E::Id))
                .col(varchar(E::EventId, 255).not_null())
                .col(
                    ColumnDef::new(E::IsFiltered)
                        .boolean()
                        .not_null()
                        .default(true),
                )
                .col(integer(E::Ordinal).not_null())
                .col(text(E::Title).not_null())
                .col(varchar(E::Slug, 500).null())
                .col(money(E::Liquidity).null())
                .col(money(E::Volume).null())
                .col(money(E::Volume24hr).null())
                .col(tstz(E::StartDate).null())
                .col(tstz(E::EndDate).null())
                .col(integer(E::DaysUntilEnd).null())
                .col(jsonb(E::EventData))
                .col(tstz_now(E::CreatedAt))
                .col(tstz_now(E::UpdatedAt))
                .to_owned(),
        )
        .await?;
    for idx in [
        index("idx_events_event_id", E::Table, [E::EventId]),
        index("idx_events_liquidity", E::Table, [E::Liquidity]),
        index("idx_events_volume", E::Table, [E::Volume]),
        index("idx_events_end_date", E::Table, [E::EndDate]),
        index(
            "idx_events_set_ordinal",
            E::Table,
            [E::IsFiltered, E::Ordinal],
        ),
        index(
            "uq_events_event_id_is_filtered",
            E::Table,
            [E::EventId, E::IsFiltered],
        )
        .unique()
        .take(),
    ] {
        manager.create_index(idx).await?;
    }
    Ok(())
}

async fn create_markets(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    use Markets as M;
    manager
        .create_table(
            Table::create()
                .table(M::Table)
                .col(id(M::Id))
                .col(varchar(M::MarketId, 255).not_null().unique_key())
                .col(integer(M::Ordinal).not_null())
                .col(text(M::Question).not_null())
                .col(varchar(M::EventId, 255).null())
                .col(text(M::EventTitle).null())
                .col(tstz(M::EventEndDate).null())
                .col(money(M::Liquidity).null())
                .col(money(M::Volume).null())
                .col(money(M::Volume24hr).null())
                .col(price(M::YesPrice).null())
                .col(price(M::NoPrice).null())
                .col(price(M::MarketConviction).null())
                .col(jsonb(M::MarketData))
                .col(ColumnDef::new(M::IsFiltered).boolean().null().default(true))
                .col(tstz_now(M::CreatedAt))
                .col(tstz_now(M::UpdatedAt))
                .to_owned(),
        )
        .await?;
    for idx in [
        index("idx_markets_market_id", M::Table, [M::MarketId]),
        index("idx_markets_event_id", M::Table, [M::EventId]),
        index("idx_markets_liquidity", M::Table, [M::Liquidity]),
        index("idx_markets_volume", M::Table, [M::Volume]),
    ] {
        manager.create_index(idx).await?;
    }
    Ok(())
}

async fn create_market_snapshots(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    use MarketSnapshots as S;
    manager
        .create_table(
            Table::create()
                .table(S::Table)
                .col(id(S::Id))
                .col(varchar(S::MarketId, 255).not_null())
                .col(
                    tstz(S::Timestamp)
                        .not_null()
                        .default(Expr::current_timestamp()),
                )
                .col(price(S::YesPrice).null())
                .col(price(S::NoPrice).null())
                .col(money(S::Liquidity).null())
                .col(money(S::Volume).null())
                .col(money(S::Volume24hr).null())
                .col(price(S::MarketConviction).null())
                .col(tstz_now(S::CreatedAt))
                .to_owned(),
        )
        .await?;
    for idx in [
        index(
            "idx_market_snapshots_market_id",
            S::Table,
            [(S::MarketId, IndexOrder::Asc)],
        ),
        index(
            "idx_market_snapshots_timestamp",
            S::Table,
            [(S::Timestamp, IndexOrder::Desc)],
        ),
        index(
            "uq_market_snapshots_market_timestamp",
            S::Table,
            [
                (S::MarketId, IndexOrder::Asc),
                (S::Timestamp, IndexOrder::Asc),
            ],
        )
        .unique()
        .take(),
    ] {
        manager.create_index(idx).await?;
    }
    Ok(())
}

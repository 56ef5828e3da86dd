//! `system_metadata`: the plan's key/value table, with its seed rows.
//!
//! Deviation: `updated_at` is `TIMESTAMPTZ` (SPEC §3). The seed rows are the
//! plan's; the empty values mean "never happened yet".

use crate::columns::{text, tstz_now, varchar};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SystemMetadata {
    Table,
    Key,
    Value,
    UpdatedAt,
}

/// The plan's `INSERT INTO system_metadata …`.
pub const SEED: [(&str, &str); 5] = [
    ("schema_version", "1.0.0"),
    ("last_event_export", ""),
    ("last_market_filter", ""),
    ("last_signal_generation", ""),
    ("last_trade_execution", ""),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use SystemMetadata as M;
        manager
            .create_table(
                Table::create()
                    .table(M::Table)
                    .col(varchar(M::Key, 255).not_null().primary_key())
                    .col(text(M::Value).not_null())
                    .col(tstz_now(M::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        let mut insert = Query::insert();
        insert.into_table(M::Table).columns([M::Key, M::Value]);
        for (key, value) in SEED {
            insert.values_panic([key.into(), value.into()]);
        }
        manager.exec_stmt(insert).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(SystemMetadata::Table).to_owned())
            .await
    }
}

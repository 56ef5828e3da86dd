//! `outbox`: PostgreSQL writes that failed while a data set was dual-written
//! (SPEC §6 "Failure semantics"), replayed in `id` order and idempotently once
//! the database answers again. Not in the plan; used by the routed store of a
//! later phase.
//!
//! - `data_set`: `portfolio`, `trades`, `history`, `signals` or `markets`;
//! - `operation`: the port call (`append_trade`, `save_portfolio`, …);
//! - `key`: the record's natural key, for logs and de-duplication;
//! - `payload`: the domain record(s), serialized;
//! - `attempts`, `last_error`: replay bookkeeping; `replayed_at` is set once
//!   the write went through (rows are kept for audit).

use crate::columns::{index, jsonb, text, tstz, tstz_now, varchar};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Outbox {
    Table,
    Id,
    CreatedAt,
    DataSet,
    Operation,
    Key,
    Payload,
    Attempts,
    LastError,
    ReplayedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use Outbox as O;
        manager
            .create_table(
                Table::create()
                    .table(O::Table)
                    .col(
                        ColumnDef::new(O::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(tstz_now(O::CreatedAt))
                    .col(varchar(O::DataSet, 32).not_null())
                    .col(varchar(O::Operation, 64).not_null())
                    .col(varchar(O::Key, 512).not_null())
                    .col(jsonb(O::Payload))
                    .col(ColumnDef::new(O::Attempts).integer().not_null().default(0))
                    .col(text(O::LastError).null())
                    .col(tstz(O::ReplayedAt).null())
                    .to_owned(),
            )
            .await?;
        // The replayer reads pending entries (`replayed_at IS NULL`) in id order.
        manager
            .create_index(index(
                "idx_outbox_pending",
                O::Table,
                [O::ReplayedAt, O::Id],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Outbox::Table).to_owned())
            .await
    }
}

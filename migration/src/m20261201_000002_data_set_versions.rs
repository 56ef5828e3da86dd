//! `data_set_versions`: which writes of the JSON truth PostgreSQL holds, per
//! data set, as a durable fact. Not in the plan: the plan's routed reads
//! (phase 5) assume PostgreSQL is current whenever it answers; this records
//! it. A row holds the JSON data directory's own version of the data set
//! (`epoch`, `seq`) that PostgreSQL was last brought level with. The routed
//! store advances it after the rows of each dual write are stored, only from
//! the version the write started at, so a write PostgreSQL missed leaves the
//! data set behind until verify finds both sides equal again. No row: never
//! level (a data set not yet backfilled and verified).
//!
//! Also drops the `outbox` table of `m20251027_000007`: nothing ever wrote it.
//! The outbox is a local journal file, because it must work exactly when
//! PostgreSQL does not answer. `down` recreates the table as it was.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: &str = "
CREATE TABLE data_set_versions (
    data_set   varchar(32) PRIMARY KEY,
    epoch      varchar(64) NOT NULL,
    seq        bigint NOT NULL CHECK (seq >= 0),
    updated_at timestamptz NOT NULL DEFAULT now()
);
DROP TABLE IF EXISTS outbox;
";

const DOWN: &str = "
CREATE TABLE outbox (
    id          bigserial PRIMARY KEY,
    created_at  timestamptz NOT NULL DEFAULT now(),
    data_set    varchar(32) NOT NULL,
    operation   varchar(64) NOT NULL,
    key         varchar(512) NOT NULL,
    payload     jsonb NOT NULL,
    attempts    integer NOT NULL DEFAULT 0,
    last_error  text NULL,
    replayed_at timestamptz NULL
);
CREATE INDEX idx_outbox_pending ON outbox (replayed_at, id);
DROP TABLE data_set_versions;
";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.get_connection().execute_unprepared(UP).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.get_connection().execute_unprepared(DOWN).await?;
        Ok(())
    }
}

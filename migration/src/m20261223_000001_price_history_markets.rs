//! `price_history_markets`: the Gamma record of every market whose price
//! history `prescient history fetch` stored, as the fetch resolved it.
//!
//! An addition to the plan's schema, beside `price_history` (issue #16). A
//! backtest over the stored history (`--source pg`) dresses each market in
//! its record — question, end date, liquidity, whether and how it resolved
//! — and the cycles' sets (`markets`, `events`) keep only what is active
//! now: a market that resolved since, or was fetched by id or as a held
//! position, is in neither. So the fetch keeps the record it used.
//! - `market_id` is the key: a later fetch replaces the record (the newest
//!   Gamma knows, so a market fetched again after it resolved shows how);
//! - `market_data` is the Gamma object as received (`jsonb`, as
//!   `markets.market_data`), decoded by the store like any market record;
//! - `fetched_at`: when it was stored.
//!
//! `down` drops the table (the next fetch stores the records again).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: &str = "
CREATE TABLE price_history_markets (
    market_id   varchar(255) PRIMARY KEY,
    market_data jsonb NOT NULL,
    fetched_at  timestamptz NOT NULL DEFAULT now()
);
";

const DOWN: &str = "
DROP TABLE price_history_markets;
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

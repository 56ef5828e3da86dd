//! `price_history`: the prices of markets' outcome tokens over time, fetched
//! from Polymarket's CLOB (`prescient history fetch`, issue #16) for
//! backtests on real market history.
//!
//! An addition to the plan's schema (the plan has no price history): one
//! row per token and instant.
//! - `token_id` is the CLOB token (Gamma's `clobTokenIds`: about 77 decimal
//!   digits, too big for any integer type, so text, checked to be digits);
//!   `market_id` and `outcome` (`yes` = outcome 0, `no` = outcome 1) say
//!   whose token it is, so a reader asks by market;
//! - the primary key `(token_id, t)` makes a fetch idempotent (`ON CONFLICT
//!   DO NOTHING`: running it twice adds nothing) and answers "the latest
//!   stored point of a token" off the index, which is where a fetch resumes;
//! - `idx_price_history_t_market` on `(t, market_id, outcome)` serves the
//!   read a backtest makes: the points of some markets in a time range,
//!   streamed in time order without sorting the table;
//! - `price` is `NUMERIC(29, 28)` in [0, 1], the width of every price
//!   column since `m20261201_000001_exact_legacy_values` (a CLOB price is
//!   kept exactly as answered);
//! - `source` is `clob` for every row here. History recorded by trading
//!   cycles stays in `market_snapshots` and is not copied: the read side
//!   (`storage-pg`, `PgStore::price_history`) returns both, the snapshots as
//!   `cycle` points, so the column only says what a row is when rows of
//!   both are seen together;
//! - `fetched_at`: when the row was stored.
//!
//! `down` drops the table (the history can be fetched again).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: &str = "
CREATE TABLE price_history (
    token_id   text NOT NULL CHECK (token_id ~ '^[0-9]{1,100}$'),
    t          timestamptz NOT NULL,
    market_id  varchar(255) NOT NULL,
    outcome    varchar(3) NOT NULL CHECK (outcome IN ('yes', 'no')),
    price      numeric(29, 28) NOT NULL CHECK (price >= 0 AND price <= 1),
    source     varchar(8) NOT NULL DEFAULT 'clob' CHECK (source = 'clob'),
    fetched_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (token_id, t)
);
CREATE INDEX idx_price_history_t_market ON price_history (t, market_id, outcome);
";

const DOWN: &str = "
DROP TABLE price_history;
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

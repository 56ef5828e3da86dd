//! Several portfolios, each record's strategy, and settled trade records
//! (issue #15).
//!
//! Deviations from the plan's schema, and why:
//! - `trades.strategy` (`VARCHAR(255) NOT NULL DEFAULT 'most_likely'`): the
//!   strategy whose signal a trade executed, so portfolios running different
//!   strategies can be compared. Rows stored before this migration came from
//!   the original system, which ran only most-likely: the default says so;
//! - `trades.closed_at` (`TIMESTAMPTZ NULL`): when the trade's position
//!   settled or exited. With it, `status` and `realized_pnl` are the one
//!   part of a trade row that changes after insert (the plan's trades were
//!   never updated; the original left them `"open"` for ever);
//! - `trading_signals.portfolio_id` (`DEFAULT 'default'`, as every other
//!   portfolio-scoped table, `columns::portfolio_id`) and
//!   `trading_signals.strategy` (`DEFAULT 'most_likely'`): each portfolio has
//!   its own current set. `idx_signals_current` (`is_current, ordinal`)
//!   becomes `idx_signals_portfolio_current` (`portfolio_id, is_current,
//!   ordinal`), the read of one portfolio's set in order;
//! - `signal_archives.portfolio_id` (`DEFAULT 'default'`): the natural key
//!   of an archive entry becomes `(portfolio_id, archived_at)`
//!   (`uq_signal_archives_portfolio_archived_at`, replacing the `UNIQUE` on
//!   `archived_at` alone: two portfolios archive at the same instant), and
//!   `idx_signal_archives_month` becomes `idx_signal_archives_portfolio_month`
//!   (`portfolio_id, archive_month, id`: one portfolio's archives of a month,
//!   in append order, off the index).
//!
//! Trade ids stay unique across portfolios (`trades_trade_id_key`, SPEC §3):
//! signal links and positions refer to a trade by its id alone.
//!
//! `down` restores the previous schema. It has no place for a portfolio's
//! signals or archives other than the default portfolio's, so it deletes
//! those rows first; strategies and closing times are dropped with their
//! columns (trades of other portfolios stay: `trades.portfolio_id` is older
//! than this migration).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: &str = "
ALTER TABLE trades
    ADD COLUMN strategy varchar(255) NOT NULL DEFAULT 'most_likely',
    ADD COLUMN closed_at timestamptz NULL;

ALTER TABLE trading_signals
    ADD COLUMN portfolio_id varchar(255) NOT NULL DEFAULT 'default',
    ADD COLUMN strategy varchar(255) NOT NULL DEFAULT 'most_likely';
DROP INDEX idx_signals_current;
CREATE INDEX idx_signals_portfolio_current ON trading_signals (portfolio_id, is_current, ordinal);

ALTER TABLE signal_archives
    ADD COLUMN portfolio_id varchar(255) NOT NULL DEFAULT 'default';
ALTER TABLE signal_archives DROP CONSTRAINT signal_archives_archived_at_key;
ALTER TABLE signal_archives
    ADD CONSTRAINT uq_signal_archives_portfolio_archived_at UNIQUE (portfolio_id, archived_at);
DROP INDEX idx_signal_archives_month;
CREATE INDEX idx_signal_archives_portfolio_month
    ON signal_archives (portfolio_id, archive_month, id);
";

const DOWN: &str = "
DELETE FROM signal_archives WHERE portfolio_id <> 'default';
DROP INDEX idx_signal_archives_portfolio_month;
ALTER TABLE signal_archives DROP CONSTRAINT uq_signal_archives_portfolio_archived_at;
ALTER TABLE signal_archives DROP COLUMN portfolio_id;
ALTER TABLE signal_archives
    ADD CONSTRAINT signal_archives_archived_at_key UNIQUE (archived_at);
CREATE INDEX idx_signal_archives_month ON signal_archives (archive_month);

DELETE FROM trading_signals WHERE portfolio_id <> 'default';
DROP INDEX idx_signals_portfolio_current;
ALTER TABLE trading_signals DROP COLUMN strategy, DROP COLUMN portfolio_id;
CREATE INDEX idx_signals_current ON trading_signals (is_current, ordinal);

ALTER TABLE trades DROP COLUMN closed_at, DROP COLUMN strategy;
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

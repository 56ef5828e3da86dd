//! `portfolio_versions`: which transaction last changed each portfolio's
//! state row or positions, so a reader can tell whether the portfolio it
//! already decoded is still the stored one (issue #12).
//!
//! An addition to the plan's schema. `PgStore::load_portfolio` keeps the
//! last portfolio it decoded with its version; the next read asks for the
//! version alone (one row off the primary key) and decodes the portfolio
//! again only when it changed. At 10,000 positions that is a lookup instead
//! of 10,000 rows.
//! - `version` is the 64-bit id of the last transaction that wrote a row
//!   of `portfolio_state` or `portfolio_positions` of the portfolio
//!   (`pg_current_xact_id()`): never handed out twice in a cluster, so no
//!   two different contents share a version;
//! - statement triggers on both tables (insert, update, delete, truncate)
//!   keep it, so every writer is seen — the store, `COPY`, a restore, a
//!   hand-made `UPDATE` — and nothing has to remember to; truncating either
//!   table empties `portfolio_versions`, and a portfolio without a version
//!   is read from its rows every time;
//! - the table starts with the portfolios already stored.
//!
//! `down` drops the triggers, their functions and the table; readers then
//! decode every portfolio again (an older binary never used it).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: &str = "
CREATE TABLE portfolio_versions (
    portfolio_id varchar(255) PRIMARY KEY,
    version      bigint NOT NULL
);
INSERT INTO portfolio_versions (portfolio_id, version)
    SELECT portfolio_id, pg_current_xact_id()::text::bigint
    FROM (SELECT portfolio_id FROM portfolio_state
          UNION SELECT portfolio_id FROM portfolio_positions) AS stored;

CREATE FUNCTION portfolio_versions_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO portfolio_versions (portfolio_id, version)
        SELECT DISTINCT portfolio_id, pg_current_xact_id()::text::bigint FROM changed_rows
    ON CONFLICT (portfolio_id) DO UPDATE SET version = EXCLUDED.version;
    RETURN NULL;
END $$;

CREATE FUNCTION portfolio_versions_bump_moved() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO portfolio_versions (portfolio_id, version)
        SELECT portfolio_id, pg_current_xact_id()::text::bigint
        FROM (SELECT portfolio_id FROM old_rows UNION SELECT portfolio_id FROM new_rows) AS c
    ON CONFLICT (portfolio_id) DO UPDATE SET version = EXCLUDED.version;
    RETURN NULL;
END $$;

CREATE FUNCTION portfolio_versions_clear() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM portfolio_versions;
    RETURN NULL;
END $$;
";

/// The four triggers of one table.
fn triggers(table: &str) -> String {
    format!(
        "
CREATE TRIGGER {table}_version_insert AFTER INSERT ON {table}
    REFERENCING NEW TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION portfolio_versions_bump();
CREATE TRIGGER {table}_version_delete AFTER DELETE ON {table}
    REFERENCING OLD TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION portfolio_versions_bump();
CREATE TRIGGER {table}_version_update AFTER UPDATE ON {table}
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION portfolio_versions_bump_moved();
CREATE TRIGGER {table}_version_truncate AFTER TRUNCATE ON {table}
    FOR EACH STATEMENT EXECUTE FUNCTION portfolio_versions_clear();
"
    )
}

fn drop_triggers(table: &str) -> String {
    ["insert", "delete", "update", "truncate"]
        .iter()
        .map(|op| format!("DROP TRIGGER {table}_version_{op} ON {table};\n"))
        .collect()
}

const TABLES: [&str; 2] = ["portfolio_state", "portfolio_positions"];

const DOWN: &str = "
DROP FUNCTION portfolio_versions_clear();
DROP FUNCTION portfolio_versions_bump_moved();
DROP FUNCTION portfolio_versions_bump();
DROP TABLE portfolio_versions;
";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let sql = UP.to_owned() + &TABLES.map(triggers).concat();
        manager.get_connection().execute_unprepared(&sql).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let sql = TABLES.map(drop_triggers).concat() + DOWN;
        manager.get_connection().execute_unprepared(&sql).await?;
        Ok(())
    }
}

//! Maintenance for the migration tooling: emptying one data set's tables so a
//! repair or restore can copy it afresh, and scratch databases for the
//! backup → restore → verify round trip of the phase 6 gate.

use crate::error::db_err;
use crate::ports::{begin, commit};
use crate::{PgConfig, PgError, PgStore};
use domain::{DataSet, PortfolioId, StoreError};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseBackend, DatabaseConnection, Statement,
};
use std::time::Duration;

impl PgStore {
    /// Delete the rows of `data_set` that belong to `portfolio` (and, for
    /// the market data set that no portfolio owns, every row of events,
    /// markets and market snapshots), in one transaction. Signal links to deleted trades
    /// move to `pending_trade_id` and come back when the trades are inserted
    /// again.
    pub async fn clear_data_set(
        &self,
        data_set: DataSet,
        portfolio: &PortfolioId,
    ) -> Result<(), StoreError> {
        let what = "clear_data_set";
        let statements: &[&str] = match data_set {
            DataSet::Portfolio => &[
                "DELETE FROM portfolio_positions WHERE portfolio_id = $1",
                "DELETE FROM portfolio_state WHERE portfolio_id = $1",
                "DELETE FROM portfolio_snapshots WHERE portfolio_id = $1",
            ],
            DataSet::Trades => &[
                "UPDATE trading_signals SET pending_trade_id = trade_id, trade_id = NULL \
                 WHERE trade_id IN (SELECT trade_id FROM trades WHERE portfolio_id = $1)",
                "DELETE FROM trades WHERE portfolio_id = $1",
            ],
            DataSet::History => &[
                "DELETE FROM portfolio_history WHERE portfolio_id = $1",
                "DELETE FROM signal_archives WHERE portfolio_id = $1",
            ],
            DataSet::Signals => &["DELETE FROM trading_signals WHERE portfolio_id = $1"],
            DataSet::Markets => &[
                "DELETE FROM events WHERE $1::text IS NOT NULL",
                "DELETE FROM markets WHERE $1::text IS NOT NULL",
                "DELETE FROM market_snapshots WHERE $1::text IS NOT NULL",
            ],
        };
        let txn = begin(&self.db, what).await?;
        for sql in statements {
            txn.execute_raw(Statement::from_sql_and_values(
                DatabaseBackend::Postgres,
                *sql,
                [portfolio.as_str().into()],
            ))
            .await
            .map_err(|e| db_err(format!("{what} {data_set}"), e))?;
        }
        commit(txn, what).await
    }

    /// A new, migrated database on this store's server, dropped by
    /// [`ScratchDb::drop_now`].
    pub async fn create_scratch(&self) -> Result<ScratchDb, PgError> {
        let admin_url = with_database(&self.config.url, "postgres");
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or_default();
        let name = format!("prescient_scratch_{}_{nanos:08x}", std::process::id());
        let admin = admin(&admin_url).await?;
        admin
            .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
            .await
            .map_err(|e| PgError::TestDb(format!("cannot create scratch database {name}: {e}")))?;
        let _ = admin.close().await;
        let mut config = PgConfig::new(with_database(&self.config.url, &name));
        config.pool_size = 4;
        let store = PgStore::connect_and_migrate(config).await?;
        Ok(ScratchDb {
            name,
            admin_url,
            store,
        })
    }
}

/// A throw-away database (restore target of the round trip).
pub struct ScratchDb {
    pub name: String,
    admin_url: String,
    pub store: PgStore,
}

impl ScratchDb {
    /// Drop the database.
    pub async fn drop_now(self) -> Result<(), PgError> {
        let _ = self.store.connection().clone().close().await;
        let admin = admin(&self.admin_url).await?;
        admin
            .execute_unprepared(&format!(
                "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
                self.name
            ))
            .await
            .map_err(|e| PgError::TestDb(format!("cannot drop {}: {e}", self.name)))?;
        let _ = admin.close().await;
        Ok(())
    }
}

async fn admin(url: &str) -> Result<DatabaseConnection, PgError> {
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(1)
        .connect_timeout(Duration::from_secs(5))
        .sqlx_logging(false);
    Database::connect(options).await.map_err(|e| {
        PgError::TestDb(format!(
            "cannot reach the server for a scratch database: {}",
            crate::redact::scrub(&e.to_string(), url)
        ))
    })
}

/// `url` with its database name replaced by `name`.
pub(crate) fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let path_start = base[authority_start..]
        .find('/')
        .map_or(base.len(), |i| authority_start + i);
    let mut out = format!("{}/{name}", &base[..path_start]);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

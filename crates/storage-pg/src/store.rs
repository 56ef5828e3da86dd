//! [`PgStore`]: the pooled connection, opening, migrating and the health check.

use crate::error::STORE;
use crate::redact::scrub_db_err;
use crate::{PgConfig, PgError};
use domain::StoreError;
use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbErr};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A pooled connection idle at least this long is pinged before it is
/// handed out (a server, proxy or firewall may have dropped it); one used
/// more recently is not.
const PING_IF_IDLE_FOR: Duration = Duration::from_secs(10);

/// The PostgreSQL implementation of every port of `domain::ports`. Cheap to
/// clone (a pooled connection and shared settings).
#[derive(Clone)]
pub struct PgStore {
    pub(crate) db: DatabaseConnection,
    pub(crate) config: Arc<PgConfig>,
    /// The portfolios this store last decoded, with their versions
    /// (`crate::ports::portfolio`).
    pub(crate) portfolios: crate::ports::PortfolioCache,
    #[cfg(feature = "testing")]
    pub(crate) failpoints: crate::testing::Failpoints,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl PgStore {
    /// Open a pool and one connection now: fails if the server does not answer.
    #[tracing::instrument(skip_all, fields(url = %config.redacted_url()))]
    pub async fn connect(config: PgConfig) -> Result<Self, PgError> {
        Self::open(config, false).await
    }

    /// Open a pool without connecting: connections are made on first use, so
    /// a process can start while PostgreSQL is down (dual-write phases, where
    /// a database failure must not stop the cycle). Only a malformed URL fails.
    pub async fn connect_lazy(config: PgConfig) -> Result<Self, PgError> {
        Self::open(config, true).await
    }

    /// [`PgStore::connect`], then apply every pending migration.
    pub async fn connect_and_migrate(config: PgConfig) -> Result<Self, PgError> {
        let store = Self::connect(config).await?;
        store.migrate().await?;
        Ok(store)
    }

    async fn open(config: PgConfig, lazy: bool) -> Result<Self, PgError> {
        let mut options = ConnectOptions::new(config.url.clone());
        options
            .max_connections(config.pool_size)
            .min_connections(0)
            .connect_timeout(config.connect_timeout)
            .acquire_timeout(config.connect_timeout)
            .connect_lazy(lazy)
            // sqlx pings every connection it hands out by default: a round
            // trip before each statement outside a transaction and each
            // `BEGIN`, a third of a cycle's (issue #12). A connection in use
            // within the last `PING_IF_IDLE_FOR` is handed out as it is; one
            // the server dropped meanwhile fails its statement, as it would
            // have failed between the ping and the statement.
            .test_before_acquire_if_idle_for(PING_IF_IDLE_FOR)
            .sqlx_logging(false);
        let db = Database::connect(options)
            .await
            .map_err(|source| PgError::Connect {
                url: config.redacted_url(),
                // SeaORM quotes the whole URL when it cannot parse it.
                source: scrub_db_err(source, &config.url),
            })?;
        Ok(Self::from_connection(db, config))
    }

    /// A store over an existing connection (tests, the routed store).
    pub fn from_connection(db: DatabaseConnection, config: PgConfig) -> Self {
        PgStore {
            db,
            config: Arc::new(config),
            portfolios: Default::default(),
            #[cfg(feature = "testing")]
            failpoints: Default::default(),
        }
    }

    /// The pooled SeaORM connection, for callers that need SQL the ports do
    /// not offer (verify, backup). Prefer the ports.
    pub fn connection(&self) -> &DatabaseConnection {
        &self.db
    }

    pub fn config(&self) -> &PgConfig {
        &self.config
    }

    /// Apply every pending migration.
    pub async fn migrate(&self) -> Result<(), PgError> {
        Migrator::up(&self.db, None)
            .await
            .map_err(|source| self.migrate_err(source))
    }

    /// Names of the migrations not yet applied (empty when the schema is
    /// current): the phase-1 gate "migrations applied".
    pub async fn pending_migrations(&self) -> Result<Vec<String>, PgError> {
        let pending = Migrator::get_pending_migrations(&self.db)
            .await
            .map_err(|source| self.migrate_err(source))?;
        Ok(pending.iter().map(|m| m.name().to_owned()).collect())
    }

    fn migrate_err(&self, source: DbErr) -> PgError {
        PgError::Migrate {
            url: self.config.redacted_url(),
            source: scrub_db_err(source, &self.config.url),
        }
    }

    /// Round-trip `SELECT 1`, answering within the configured health timeout
    /// with the latency, or `Unavailable`.
    pub async fn health(&self) -> Result<Duration, StoreError> {
        let limit = self.config.health_timeout;
        let started = Instant::now();
        match tokio::time::timeout(limit, self.db.execute_unprepared("SELECT 1")).await {
            Ok(Ok(_)) => Ok(started.elapsed()),
            Ok(Err(e)) => {
                let e = scrub_db_err(e, &self.config.url);
                Err(StoreError::Unavailable {
                    store: STORE,
                    message: format!("health check on {} failed: {e}", self.config.redacted_url()),
                    source: Some(Box::new(e)),
                })
            }
            Err(_) => Err(StoreError::Unavailable {
                store: STORE,
                message: format!(
                    "health check on {} did not answer within {limit:?}",
                    self.config.redacted_url()
                ),
                source: None,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SeaORM quotes a URL it cannot parse whole; the error we return does not.
    #[tokio::test]
    async fn a_bad_url_is_reported_without_its_password() {
        for url in [
            "postgres://u:hunter2secret@h:notaport/db",
            "postgres://u@h:notaport/db?password=hunter2secret",
            "postgres://u:hunter2%40secret@h:notaport/db",
        ] {
            let e = PgStore::connect_lazy(PgConfig::new(url)).await.unwrap_err();
            let mut text = e.to_string();
            let mut source = std::error::Error::source(&e);
            while let Some(s) = source {
                text.push_str(&format!(" / {s} / {s:?}"));
                source = s.source();
            }
            text.push_str(&format!(" / {e:?}"));
            assert!(text.contains("cannot connect"), "{text}");
            assert!(!text.contains("hunter2"), "{text}");
        }
    }
}

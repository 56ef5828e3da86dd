//! Test support (feature `testing`): [`TestDb`], a uniquely named database
//! per test, migrated, dropped when the guard is dropped — even when the test
//! panicked — and failpoints for [`PgStore::record_executions`].

use crate::{ExecutionStep, PgConfig, PgError, PgStore};
use domain::StoreError;
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The server the test databases are created on when `DATABASE_URL` is unset.
pub const DEFAULT_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";
/// Every test database's name starts with this.
pub const PREFIX: &str = "prescient_test_";

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// A throw-away database. Keep the guard alive for the test's duration.
pub struct TestDb {
    name: String,
    admin_url: String,
    url: String,
    store: PgStore,
}

impl std::fmt::Debug for TestDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestDb").field("name", &self.name).finish()
    }
}

impl TestDb {
    /// A new database on the server of `DATABASE_URL` (default
    /// [`DEFAULT_ADMIN_URL`]) with every migration applied.
    pub async fn create() -> Result<TestDb, PgError> {
        let db = Self::create_unmigrated().await?;
        db.store.migrate().await?;
        Ok(db)
    }

    /// A new, empty database (no migrations), e.g. to test the migrations.
    pub async fn create_unmigrated() -> Result<TestDb, PgError> {
        let admin_url = std::env::var("DATABASE_URL")
            .ok()
            .filter(|u| !u.trim().is_empty())
            .unwrap_or_else(|| DEFAULT_ADMIN_URL.to_owned());
        Self::create_on(&admin_url).await
    }

    /// A new, empty database on the server of `admin_url` (a URL whose user
    /// may `CREATE DATABASE`).
    pub async fn create_on(admin_url: &str) -> Result<TestDb, PgError> {
        let name = format!(
            "{PREFIX}{}_{}_{:08x}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
            rand::random::<u32>()
        );
        let admin = admin_connection(admin_url).await?;
        admin
            .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
            .await
            .map_err(|e| PgError::TestDb(format!("cannot create test database {name}: {e}")))?;
        // Best effort: the admin connection is only needed for this statement.
        let _ = admin.close().await;
        let url = crate::maintenance::with_database(admin_url, &name);
        let mut config = PgConfig::new(url.clone());
        config.pool_size = 4;
        let store = PgStore::connect(config).await?;
        Ok(TestDb {
            name,
            admin_url: admin_url.to_owned(),
            url,
            store,
        })
    }

    /// The database's URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The database's name (`prescient_test_…`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A store over the database (clones share the pool).
    pub fn store(&self) -> PgStore {
        self.store.clone()
    }

    pub fn connection(&self) -> &DatabaseConnection {
        self.store.connection()
    }
}

impl Drop for TestDb {
    /// `DROP DATABASE … WITH (FORCE)` on a fresh thread with its own runtime:
    /// `Drop` cannot await, and the test's runtime may be gone (a panic).
    fn drop(&mut self) {
        let admin_url = self.admin_url.clone();
        let name = self.name.clone();
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            runtime.block_on(async {
                let admin = admin_connection(&admin_url)
                    .await
                    .map_err(|e| e.to_string())?;
                admin
                    .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                    .await
                    .map_err(|e| e.to_string())?;
                let _ = admin.close().await;
                Ok::<(), String>(())
            })
        })
        .join();
        match dropped {
            Ok(Ok(())) => {}
            Ok(Err(e)) => eprintln!("warning: test database {} was not dropped: {e}", self.name),
            Err(_) => eprintln!("warning: dropping test database {} panicked", self.name),
        }
    }
}

async fn admin_connection(admin_url: &str) -> Result<DatabaseConnection, PgError> {
    let mut options = ConnectOptions::new(admin_url.to_owned());
    options
        .max_connections(1)
        .connect_timeout(Duration::from_secs(5))
        .acquire_timeout(Duration::from_secs(5))
        .sqlx_logging(false);
    Database::connect(options).await.map_err(|e| {
        PgError::TestDb(format!(
            "PostgreSQL at {} does not answer ({}); start it with `cargo xtask db up` or point DATABASE_URL at a server",
            crate::redact::redact_url(admin_url),
            crate::redact::scrub(&e.to_string(), admin_url)
        ))
    })
}

/// One-shot failpoints of `record_executions`.
#[derive(Clone, Default)]
pub(crate) struct Failpoints(Arc<Mutex<Option<ExecutionStep>>>);

impl Failpoints {
    pub(crate) fn hit(&self, step: ExecutionStep) -> Result<(), StoreError> {
        let mut armed = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if *armed == Some(step) {
            *armed = None;
            return Err(StoreError::Backend {
                context: format!("failpoint {step:?}"),
                source: "injected failure".into(),
            });
        }
        Ok(())
    }
}

impl PgStore {
    /// Make the next `record_executions` on this store (or a clone) fail at
    /// `step`, as a crash or a lost connection would.
    pub fn fail_execution_at(&self, step: ExecutionStep) {
        *self.failpoints.0.lock().unwrap_or_else(|p| p.into_inner()) = Some(step);
    }
}

#[cfg(test)]
mod tests {
    use crate::maintenance::with_database;

    #[test]
    fn database_is_swapped_in_the_url() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/postgres", "t1"),
            "postgres://postgres@127.0.0.1:5432/t1"
        );
        assert_eq!(
            with_database("postgres://u:p@h/db?sslmode=disable", "t2"),
            "postgres://u:p@h/t2?sslmode=disable"
        );
        assert_eq!(
            with_database("postgres://h:5432", "t3"),
            "postgres://h:5432/t3"
        );
    }
}

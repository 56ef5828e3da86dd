//! The crate's own error ([`PgError`]: configuration, connection, migration)
//! and the mapping of SeaORM's `DbErr` onto the ports' [`StoreError`].

use domain::StoreError;
use sea_orm::{DbErr, RuntimeErr};
use thiserror::Error;

/// The name stores report in [`StoreError::Unavailable`].
pub const STORE: &str = "postgres";

/// Why the PostgreSQL store could not be configured, opened or migrated.
#[derive(Debug, Error)]
pub enum PgError {
    #[error(
        "no database configured: set DATABASE_URL or POSTGRES_HOST (with POSTGRES_PORT/DB/USER/PASSWORD)"
    )]
    NoDatabase,
    #[error("{name}={value:?} is invalid: expected {expected}")]
    InvalidSetting {
        name: &'static str,
        value: String,
        expected: &'static str,
    },
    /// A URL that does not parse the way the driver reads it (shown redacted).
    #[error(
        "the database URL {url} does not parse (a password with `/`, `?`, `#` or `@` must be percent-encoded)"
    )]
    InvalidUrl { url: String },
    #[error("cannot connect to PostgreSQL at {url}: {source}")]
    Connect {
        url: String,
        #[source]
        source: DbErr,
    },
    #[error("migrating {url} failed: {source}")]
    Migrate {
        url: String,
        #[source]
        source: DbErr,
    },
    /// A test database could not be created or dropped (feature `testing`).
    #[error("{0}")]
    TestDb(String),
}

impl From<PgError> for StoreError {
    fn from(e: PgError) -> Self {
        match e {
            PgError::Connect { .. } => StoreError::Unavailable {
                store: STORE,
                message: e.to_string(),
                source: Some(Box::new(e)),
            },
            other => StoreError::Backend {
                context: "postgres".into(),
                source: Box::new(other),
            },
        }
    }
}

/// Whether a database error means "the server cannot be reached right now"
/// (pool timeout, refused or dropped connection) rather than a bad statement.
pub(crate) fn is_unavailable(e: &DbErr) -> bool {
    match e {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
        DbErr::Exec(RuntimeErr::SqlxError(s)) | DbErr::Query(RuntimeErr::SqlxError(s)) => {
            is_sqlx_unavailable(s)
        }
        _ => false,
    }
}

fn is_sqlx_unavailable(e: &sea_orm::sqlx::Error) -> bool {
    use sea_orm::sqlx::Error as E;
    matches!(
        e,
        E::Io(_) | E::Tls(_) | E::PoolTimedOut | E::PoolClosed | E::WorkerCrashed
    )
}

/// A `DbErr` as the ports report it: `Unavailable` when the server cannot be
/// reached, `Backend` with `context` otherwise.
pub(crate) fn db_err(context: impl Into<String>, e: DbErr) -> StoreError {
    let context = context.into();
    if is_unavailable(&e) {
        return StoreError::Unavailable {
            store: STORE,
            message: format!("{context}: {e}"),
            source: Some(Box::new(e)),
        };
    }
    StoreError::Backend {
        context,
        source: Box::new(e),
    }
}

/// An error of a statement sent through sqlx directly (the hot reads and
/// the bulk paths that bypass SeaORM), mapped as [`db_err`] maps SeaORM's.
pub(crate) fn sqlx_err(context: impl Into<String>, e: sea_orm::sqlx::Error) -> StoreError {
    db_err(context, DbErr::Query(RuntimeErr::SqlxError(e.into())))
}

/// A stored row that does not convert back into a domain value.
pub(crate) fn invalid_row(
    table: &str,
    key: impl Into<String>,
    message: impl Into<String>,
) -> StoreError {
    StoreError::InvalidRecord {
        location: format!("postgres table {table}"),
        key: key.into(),
        message: message.into(),
    }
}

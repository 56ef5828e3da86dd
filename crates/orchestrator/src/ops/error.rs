//! [`OpsError`]: why an operator command stopped, with the path, data set or
//! phase it concerns. The messages are the ones operators (and the tests)
//! read on stderr; each keeps its cause as its `source`, so
//! [`crate::one_line`] prints the whole chain once.

use domain::{DomainError, StoreError};
use std::path::PathBuf;
use storage_pg::PgError;

/// What an operator command (`prescient migrate …`, `cargo xtask …`) failed at.
#[derive(Debug, thiserror::Error)]
pub enum OpsError {
    /// The phase file does not load or save.
    #[error(transparent)]
    PhaseFile(#[from] crate::phase_state::PhaseFileError),
    /// The phase file names no phase this build knows, or a data set name is wrong.
    #[error(transparent)]
    Domain(#[from] DomainError),
    /// A store refused a read or a write.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// PostgreSQL refused an operation of its own (a scratch database, a clear).
    #[error(transparent)]
    Pg(#[from] PgError),
    /// The settings name no usable PostgreSQL.
    #[error(transparent)]
    PgNotConfigured(#[from] crate::settings::PgNotConfigured),
    /// PostgreSQL did not answer at the (redacted) URL.
    #[error("PostgreSQL at {url} does not answer")]
    PgDown {
        url: String,
        #[source]
        source: PgError,
    },
    /// The schema migrations did not apply.
    #[error("cannot apply migrations")]
    Migrations(#[source] PgError),
    /// The data directory could not be locked for writing.
    #[error("cannot open {} for writing", dir.display())]
    OpenForWriting {
        dir: PathBuf,
        #[source]
        source: StoreError,
    },
    /// The runtime lock is held (a cycle, `run` or `serve` runs); `why` says
    /// what to do.
    #[error("{held}: {why}")]
    RuntimeLocked { held: String, why: String },
    /// `--dataset` names no data set.
    #[error(
        "--dataset must be one of portfolio, trades, history, signals, markets or all, not {name:?}"
    )]
    UnknownDataSet {
        name: String,
        #[source]
        source: DomainError,
    },
    /// A file or directory could not be read or written.
    #[error("cannot {action} {}", path.display())]
    File {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A file or directory operation without a path of its own to name.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// A path inside the data directory is not under it.
    #[error(transparent)]
    Path(#[from] std::path::StripPrefixError),
    /// `backfill` stopped part way.
    #[error("backfill stopped; run it again to resume")]
    BackfillStopped(#[source] StoreError),
    /// `verify` could not read one of the stores.
    #[error("verify could not read a store")]
    VerifyRead(#[source] StoreError),
    /// The shadow mismatch log could not be cleared after a clean verify.
    #[error("cannot clear the shadow mismatches of the data sets verified clean")]
    ShadowClear(#[source] std::io::Error),
    /// `backup --out` names a directory that already holds files.
    #[error("{} is not empty; back up into a new directory", dir.display())]
    BackupDirNotEmpty { dir: PathBuf },
    /// `restore --from` / `rollback --from-backup` names no backup.
    #[error("{} holds no backup (no trades/ directory)", dir.display())]
    NoBackup { dir: PathBuf },
    /// The backup's files do not load; they must not replace the data directory.
    #[error("the backup in {} does not load", dir.display())]
    BackupDoesNotLoad {
        dir: PathBuf,
        #[source]
        source: StoreError,
    },
    /// `restore` into a database that holds data, without `--force`.
    #[error("the database is not empty; restore into an empty database (or pass --force to merge)")]
    DatabaseNotEmpty,
    /// `phase advance` from the last phase.
    #[error("phase 7 is the last phase")]
    LastPhase,
    /// `phase rollback` from the first phase.
    #[error("phase 0 is the first phase")]
    FirstPhase,
    /// The next phase's gates failed (and `--force` was not given).
    #[error(
        "phase {phase} is gated: {failed} (fix it, or pass --force to override; the override is logged)"
    )]
    Gated { phase: String, failed: String },
    /// `rollback --from-backup` outside phase 6.
    #[error(
        "--from-backup rolls back from phase 6 only (this is phase {phase}); use `phase rollback`"
    )]
    FromBackupOutsidePhase6 { phase: String },
    /// `archive-json` outside phase 6.
    #[error("archive the JSON files in phase 6, when they no longer change (now in phase {phase})")]
    ArchiveOutsidePhase6 { phase: String },
    /// The data directory is missing (or a file).
    #[error("{} is not a directory", dir.display())]
    NotADirectory { dir: PathBuf },
}

impl OpsError {
    /// A file operation on `path` failed.
    pub(crate) fn file(
        action: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> OpsError {
        let path = path.into();
        move |source| OpsError::File {
            action,
            path,
            source,
        }
    }
}

/// The result of an operator command.
pub type Result<T, E = OpsError> = std::result::Result<T, E>;

//! [`AppError`]: why a process could not be wired up (stores, locks, market
//! source, parameters), with the path, portfolio or phase it concerns. Each
//! keeps its cause as its `source`, so [`crate::one_line`] prints the chain.

use domain::PortfolioId;
use polymarket_client::ClientError;
use std::path::PathBuf;
use storage_pg::PgError;

/// What opening an [`super::App`], a market source or the cycle parameters
/// failed at.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Another process holds the runtime or writer lock (the text says which).
    #[error("{0}")]
    Locked(String),
    /// The phase file does not load.
    #[error(transparent)]
    PhaseFile(#[from] crate::phase_state::PhaseFileError),
    /// The phase file names no phase this build knows.
    #[error(transparent)]
    Domain(#[from] domain::DomainError),
    /// The settings name no usable PostgreSQL.
    #[error(transparent)]
    PgNotConfigured(#[from] crate::settings::PgNotConfigured),
    /// A setting does not parse (the portfolios, for instance).
    #[error(transparent)]
    Settings(#[from] crate::settings::SettingsError),
    /// PostgreSQL did not connect (or migrate) for `--store pg`.
    #[error("cannot open PostgreSQL")]
    OpenPg(#[source] PgError),
    /// The lazy PostgreSQL pool could not be built.
    #[error("cannot set up the PostgreSQL pool")]
    PgPool(#[source] PgError),
    /// An override the phase cannot honour.
    #[error("refused at start-up")]
    RefusedAtStartUp(#[source] domain::OverrideRefused),
    /// The routed store cannot be built for the phase.
    #[error(transparent)]
    Routing(#[from] routing::RoutingError),
    /// PostgreSQL records another phase than the phase file.
    #[error(
        "refusing to run: the phase file {} says phase {ours}, but PostgreSQL was moved to phase {theirs} — this process is probably pointed at another state directory (PRESCIENT_STATE_DIR) or data directory than the migration's; point it at the right ones, or move the phase with `phase advance`/`phase rollback`",
        phase_file.display()
    )]
    PhaseMismatch {
        phase_file: PathBuf,
        ours: String,
        theirs: String,
    },
    /// The data directory cannot be opened for writing.
    #[error("cannot open data directory {}", dir.display())]
    OpenDataDir {
        dir: PathBuf,
        #[source]
        source: domain::StoreError,
    },
    /// Built without the `json` feature, and the JSON store was asked for.
    #[error("this build has no JSON store (built without the `json` feature, phase 7)")]
    NoJsonStore,
    /// `--source` is neither `live` nor `snapshot:DIR`.
    #[error("--source must be `live` or `snapshot:DIR`, not {0:?}")]
    BadSource(String),
    /// The snapshot directory does not open.
    #[error("cannot open snapshot {}", dir.display())]
    OpenSnapshot {
        dir: PathBuf,
        #[source]
        source: ClientError,
    },
    /// The Gamma client could not be built from the settings.
    #[error("cannot set up the Gamma client")]
    GammaClient(#[source] ClientError),
    /// `record`: the active events did not come.
    #[error("cannot fetch the active events")]
    FetchEvents(#[source] ClientError),
    /// `record`: the market details did not come.
    #[error("cannot fetch the market details")]
    FetchMarkets(#[source] ClientError),
    /// `record`: the snapshot could not be written.
    #[error("cannot write the snapshot to {}", dir.display())]
    WriteSnapshot {
        dir: PathBuf,
        #[source]
        source: ClientError,
    },
    /// `record --into`: this moment of the sequence exists already.
    #[error(
        "{} exists already; a moment is recorded once (wait a second and record again)",
        .0.display()
    )]
    MomentRecorded(PathBuf),
    /// `record --into`: a file operation on the sequence failed.
    #[error("cannot {what} {}", path.display())]
    Sequence {
        what: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The trade amount is not positive or too large to store.
    #[error("the trade amount {0} must be positive and below 10^13")]
    TradeAmount(rust_decimal::Decimal),
    /// The initial balance is negative or too large to store.
    #[error("the initial balance {0} must be at least 0 and below 10^13")]
    InitialBalance(rust_decimal::Decimal),
    /// `?portfolio=` / `--portfolio` names no configured portfolio.
    #[error(
        "no portfolio {id:?} is configured (live: {live}); add it to prescient.toml as [[portfolios]]"
    )]
    UnknownPortfolio { id: PortfolioId, live: String },
}

/// The result of wiring a process up.
pub type Result<T, E = AppError> = std::result::Result<T, E>;

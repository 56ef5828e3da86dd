//! The composition root of a running Prescient: settings → the stores the
//! current phase routes to (or the one a command asks for), the PostgreSQL
//! handle for health checks, the outbox and routing counters. Every command
//! and the HTTP server start from an [`App`]: a writer ([`App::open`], one
//! at a time) or a reader ([`App::open_reader`], beside a writer).
//!
//! [`sources`]: the market source and cycle parameters a command runs with;
//! [`jobs`]: the scheduler a `run` or `serve` process drives.

pub mod error;
pub mod jobs;
pub mod sources;

pub use error::AppError;
pub use sources::{SourceSpec, cycle_params, open_source, portfolio_params};

use crate::phase_state::{LockMode, PhaseFile, PhaseRecord, RuntimeLock, WriterLock};
use crate::settings::Settings;
use domain::ports::Stores;
use domain::{DataSet, Phase, Route};
use error::Result;
use routing::journal::Journal;
use routing::{RoutedStore, RoutingStats};
use std::sync::Arc;
use storage_pg::PgStore;

/// Which stores a command runs on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum StoreChoice {
    /// As the migration phase routes each data set (the default).
    #[default]
    Phase,
    /// The JSON data directory alone.
    Json,
    /// PostgreSQL alone (migrated on open).
    Pg,
}

pub struct App {
    pub settings: Settings,
    pub phase: Phase,
    pub record: PhaseRecord,
    pub stores: Stores,
    /// Present whenever PostgreSQL is configured for this run.
    pub pg: Option<PgStore>,
    /// Present when the stores are routed.
    pub routing: Option<Arc<RoutingStats>>,
    pub outbox: Option<Arc<Journal>>,
    /// Held (shared) while this runtime lives: phase transitions wait for it.
    pub runtime_lock: Arc<RuntimeLock>,
    /// Held by a writer while it lives: other writers are refused. `None` in
    /// a reader.
    pub writer_lock: Option<Arc<WriterLock>>,
    /// The write-behind queue of dual writes, when routed with one.
    pub write_behind: Option<routing::behind::FlushHandle>,
}

/// Whether a process writes the data sets or only reads them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// `cycle`, `update-prices`, `run`, `serve`: one at a time; replays what
    /// an earlier run journaled before its first read.
    Write,
    /// `stats`, `migrate phase status`: beside a writer; opens the JSON files
    /// read-only and replays nothing.
    Read,
}

impl App {
    /// A writer: refused while another writer runs (`writer.lock`).
    pub async fn open(settings: Settings, choice: StoreChoice) -> Result<App> {
        Self::open_as(settings, choice, Access::Write, "writer").await
    }

    /// A reader: works beside a running writer; never writes a data set.
    pub async fn open_reader(settings: Settings, choice: StoreChoice) -> Result<App> {
        Self::open_as(settings, choice, Access::Read, "reader").await
    }

    /// `who` names the command in the writer lock (`serve`, `cycle` …).
    pub async fn open_as(
        settings: Settings,
        choice: StoreChoice,
        access: Access,
        who: &str,
    ) -> Result<App> {
        let state_dir = settings.state_dir();
        let runtime_lock = Arc::new(
            RuntimeLock::acquire_as(&state_dir, who, LockMode::Shared).map_err(AppError::Locked)?,
        );
        let writer_lock = match access {
            Access::Write => Some(Arc::new(
                WriterLock::acquire(&state_dir, who).map_err(AppError::Locked)?,
            )),
            Access::Read => None,
        };
        let phase_file = PhaseFile::in_dir(&state_dir);
        let record = phase_file.load()?;
        let phase = record.phase()?;
        let locks = Locks {
            runtime_lock,
            writer_lock,
        };
        match choice {
            StoreChoice::Json => Ok(App {
                stores: match access {
                    Access::Write => json_stores(&settings)?,
                    Access::Read => json_reader(&settings)?,
                },
                pg: None,
                routing: None,
                outbox: None,
                write_behind: None,
                runtime_lock: locks.runtime_lock,
                writer_lock: locks.writer_lock,
                phase,
                record,
                settings,
            }),
            StoreChoice::Pg => {
                let config = settings.pg_config()?;
                let pg = match access {
                    Access::Write => PgStore::connect_and_migrate(config).await,
                    Access::Read => PgStore::connect(config).await,
                }
                .map_err(AppError::OpenPg)?;
                Ok(App {
                    stores: Stores::transactional(Arc::new(pg.clone())),
                    pg: Some(pg),
                    routing: None,
                    outbox: None,
                    write_behind: None,
                    runtime_lock: locks.runtime_lock,
                    writer_lock: locks.writer_lock,
                    phase,
                    record,
                    settings,
                })
            }
            StoreChoice::Phase => Self::routed(settings, phase, record, locks, access).await,
        }
    }

    /// Whether this process may write (it holds the writer lock).
    pub fn writes(&self) -> bool {
        self.writer_lock.is_some()
    }

    async fn routed(
        settings: Settings,
        phase: Phase,
        record: PhaseRecord,
        locks: Locks,
        access: Access,
    ) -> Result<App> {
        phase
            .check_overrides(settings.overrides)
            .map_err(AppError::RefusedAtStartUp)?;
        let routes: Vec<Route> = DataSet::ALL
            .iter()
            .map(|d| phase.effective_route(*d, settings.overrides).route)
            .collect();
        let needs_json = routes
            .iter()
            .any(|r| matches!(r, Route::Json | Route::DualWrite | Route::DualRead));
        let needs_pg = routes.iter().any(|r| *r != Route::Json);
        // D with DATABASE_FALLBACK_TO_JSON: the files, read-only, for reads
        // answered stale while PostgreSQL is down (`routing::stale`).
        let stale_json = stale_json(&settings, phase, record.since);
        // Lazily: in dual-write phases a cycle must start while PostgreSQL is
        // down; in D/P the first operation fails cleanly instead.
        let pg = if needs_pg {
            Some(
                PgStore::connect_lazy(settings.pg_config()?)
                    .await
                    .map_err(AppError::PgPool)?,
            )
        } else {
            None
        };
        let pg_answered = match &pg {
            Some(pg) => check_phase_mirror(pg, phase, &record, &settings).await?,
            None => false,
        };
        // Only then the data directory: a refused process touches nothing.
        let json = if needs_json {
            Some(match access {
                Access::Write => json_stores(&settings)?,
                Access::Read => json_reader(&settings)?,
            })
        } else {
            stale_json.as_ref().map(|(stores, _)| stores.clone())
        };
        let outbox = Arc::new(Journal::new(settings.state_dir().join("outbox.jsonl")));
        #[cfg(feature = "json")]
        let json_for_resync = json.clone();
        let routed = RoutedStore::new(
            phase,
            settings.overrides,
            json,
            pg.clone().map(|p| Stores::transactional(Arc::new(p))),
            Some(outbox.clone()),
            settings.shadow_read_every,
        )?
        .with_retry_after(std::time::Duration::from_millis(settings.pg_retry_after_ms))
        .with_shadow_log(settings.shadow_log());
        let routed = match stale_json {
            Some((_, at)) if !needs_json => routed.with_json_as_of(at),
            _ => routed,
        };
        let routing = routed.stats();
        if access == Access::Read {
            return Ok(App {
                stores: routed.into_stores(),
                write_behind: None,
                pg,
                routing: Some(routing),
                outbox: Some(outbox),
                runtime_lock: locks.runtime_lock,
                writer_lock: None,
                phase,
                record,
                settings,
            });
        }
        // What an earlier run journaled and PostgreSQL has not taken goes
        // first, before any read.
        let recovered = routed.recover().await;
        // Then what the journal cannot hold: data sets PostgreSQL is behind
        // on are copied from JSON and verified (only with PostgreSQL
        // answering and nothing left in the journal).
        #[cfg(feature = "json")]
        if let (Some(json), Some(pg)) = (&json_for_resync, &pg) {
            let dual = phase.dual_written(settings.overrides);
            let journal_empty = matches!(outbox.depth().await, Ok(0));
            if pg_answered && !dual.is_empty() && recovered.stopped_by.is_none() && journal_empty {
                crate::ops::resync::level_behind(json, pg, &dual).await;
            }
        }
        #[cfg(not(feature = "json"))]
        let _ = (recovered, pg_answered);
        let (stores, write_behind) = if settings.write_behind {
            let (stores, flush) = routed.into_stores_behind();
            (stores, Some(flush))
        } else {
            (routed.into_stores(), None)
        };
        Ok(App {
            stores,
            write_behind,
            pg,
            routing: Some(routing),
            outbox: Some(outbox),
            runtime_lock: locks.runtime_lock,
            writer_lock: locks.writer_lock,
            phase,
            record,
            settings,
        })
    }
}

/// The locks an [`App`] holds.
struct Locks {
    runtime_lock: Arc<RuntimeLock>,
    writer_lock: Option<Arc<WriterLock>>,
}

impl App {
    /// Wait until every dual write has reached PostgreSQL (or the outbox).
    /// Call before the process exits.
    pub async fn flush(&self) {
        if let Some(w) = &self.write_behind {
            w.flush().await;
        }
    }
}

/// Refuse to run when PostgreSQL records another phase than the local phase
/// file: the process is most likely pointed at another state directory than
/// the one the migration ran in, and would route writes wrongly. When
/// PostgreSQL does not answer (a dual-write phase must start anyway), the
/// recorded versions keep reads safe, and the check waits for the next start.
/// Returns whether PostgreSQL answered.
async fn check_phase_mirror(
    pg: &PgStore,
    phase: Phase,
    record: &PhaseRecord,
    settings: &Settings,
) -> Result<bool> {
    use domain::ports::MetadataStore;
    let recorded =
        match tokio::time::timeout(std::time::Duration::from_secs(5), pg.load_metadata()).await {
            Ok(Ok(meta)) => meta.get("migration_phase").cloned(),
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "cannot read PostgreSQL's phase; not checked this run");
                return Ok(false);
            }
            Err(_) => {
                tracing::warn!("PostgreSQL's phase did not come within 5 s; not checked this run");
                return Ok(false);
            }
        };
    match recorded {
        // This state directory made a transition PostgreSQL missed (it was
        // down): the next verify tells it.
        Some(theirs) if theirs != phase.number() && record.mirror_pending => {
            tracing::warn!(
                theirs,
                ours = phase.number(),
                "PostgreSQL has not been told of the last phase transition; run `prescient migrate verify --repair`"
            );
            Ok(true)
        }
        Some(theirs) if theirs != phase.number() => Err(AppError::PhaseMismatch {
            phase_file: settings.state_dir().join("phase.toml"),
            ours: phase.number().into(),
            theirs,
        }),
        _ => Ok(true),
    }
}

/// The JSON files, read-only, and their time, when the phase's D routes may
/// answer reads from them (`DATABASE_FALLBACK_TO_JSON` on); the time is
/// their newest write, or the phase's start when that cannot be told.
#[cfg(feature = "json")]
fn stale_json(
    settings: &Settings,
    phase: Phase,
    since: chrono::DateTime<chrono::Utc>,
) -> Option<(Stores, chrono::DateTime<chrono::Utc>)> {
    let falls_back = DataSet::ALL.iter().any(|d| {
        let r = phase.effective_route(*d, settings.overrides);
        r.route == Route::Database && r.fallback
    });
    if !falls_back {
        return None;
    }
    let at = match storage_json::last_written(&settings.data_dir) {
        Ok(Some(at)) => at,
        _ => since,
    };
    let store = storage_json::JsonStore::open_read_only(
        &settings.data_dir,
        storage_json::JsonStoreOptions {
            naive_zone: settings.naive_zone(),
        },
    );
    Some((Stores::single(Arc::new(store)), at))
}

#[cfg(not(feature = "json"))]
fn stale_json(
    _: &Settings,
    _: Phase,
    _: chrono::DateTime<chrono::Utc>,
) -> Option<(Stores, chrono::DateTime<chrono::Utc>)> {
    None
}

/// Every data set on the JSON store of the data directory (locked for writing).
#[cfg(feature = "json")]
pub fn json_stores(settings: &Settings) -> Result<Stores> {
    let options = storage_json::JsonStoreOptions {
        naive_zone: settings.naive_zone(),
    };
    let store = storage_json::JsonStore::open(&settings.data_dir, options).map_err(|source| {
        AppError::OpenDataDir {
            dir: settings.data_dir.clone(),
            source,
        }
    })?;
    Ok(Stores::single(Arc::new(store)))
}

/// Every data set on the JSON store of the data directory, read-only and
/// unlocked (a writer may run beside it).
#[cfg(feature = "json")]
pub fn json_reader(settings: &Settings) -> Result<Stores> {
    let options = storage_json::JsonStoreOptions {
        naive_zone: settings.naive_zone(),
    };
    Ok(Stores::single(Arc::new(
        storage_json::JsonStore::open_read_only(&settings.data_dir, options),
    )))
}

/// Built without the JSON store (phase 7): asking for it is an error.
#[cfg(not(feature = "json"))]
pub fn json_stores(_settings: &Settings) -> Result<Stores> {
    Err(AppError::NoJsonStore)
}

/// Built without the JSON store (phase 7): asking for it is an error.
#[cfg(not(feature = "json"))]
pub fn json_reader(settings: &Settings) -> Result<Stores> {
    json_stores(settings)
}

//! Bringing PostgreSQL level by itself: at start, a process in a dual-write
//! phase whose journal is empty but finds a data set that was level once
//! *behind* (a write
//! PostgreSQL rejected, one lost between the JSON write and the journal in a
//! crash, one made with `--store json` or under `USE_DATABASE_WRITE=false`)
//! copies that data set from JSON, the truth, into PostgreSQL — every
//! PostgreSQL write is idempotent on its natural key — and verifies it. A
//! clean verify records it level; otherwise it stays behind (reads keep going
//! to JSON) and the operator is told to run `verify --repair`.

use super::copy::copy_data_sets;
use super::verify::verify;
use domain::DataSet;
use domain::ports::Stores;
use indicatif::ProgressBar;
use std::sync::Arc;
use storage_pg::PgStore;

/// What became of one behind data set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Resynced {
    /// Copied and verified clean: current again.
    Level { rows: usize },
    /// Still behind: PostgreSQL holds what JSON does not, or a record differs.
    StillBehind { detail: String },
    /// The copy or the comparison failed.
    Failed { error: String },
}

/// Level every one of `data_sets` that PostgreSQL is behind on (every
/// portfolio's records of it).
pub async fn level_behind(
    json: &Stores,
    pg: &PgStore,
    data_sets: &[DataSet],
) -> Vec<(DataSet, Resynced)> {
    let pg_stores = Stores::transactional(Arc::new(pg.clone()));
    let mut out = Vec::new();
    for ds in data_sets {
        match routing::currency::is_current(json, &pg_stores, *ds).await {
            Ok(true) => continue,
            Ok(false) => {}
            // PostgreSQL does not answer: nothing to do now.
            Err(_) => return out,
        }
        // Only a data set that was level once and fell behind: the first
        // copy of a history is the operator's `backfill` + `verify` (it can
        // be long, and a phase gate waits for it), not a cycle's side effect.
        match pg_stores.versions.mirrored_version(*ds).await {
            Ok(Some(_)) => {}
            Ok(None) => continue,
            Err(_) => return out,
        }
        let outcome = level_one(json, pg, &pg_stores, *ds).await;
        match &outcome {
            Resynced::Level { rows } => {
                tracing::info!(data_set = %ds, rows, "PostgreSQL was behind; copied from JSON and verified level")
            }
            Resynced::StillBehind { detail } => tracing::warn!(data_set = %ds, %detail,
                "PostgreSQL is behind and a copy from JSON did not make it equal; run `verify --repair`"),
            Resynced::Failed { error } => tracing::warn!(data_set = %ds, %error,
                "PostgreSQL is behind and could not be brought level now; reads stay on JSON"),
        }
        out.push((*ds, outcome));
    }
    out
}

async fn level_one(json: &Stores, pg: &PgStore, pg_stores: &Stores, ds: DataSet) -> Resynced {
    let bar = ProgressBar::hidden();
    let copied = match copy_data_sets(json, pg_stores, Some(pg), &[ds], &bar).await {
        Ok(r) => r,
        Err(e) => {
            return Resynced::Failed {
                error: e.to_string(),
            };
        }
    };
    // A clean verify records the data set level (see `verify`).
    match verify(json, pg_stores, &[ds]).await {
        Ok(r) if r.is_clean() => match routing::currency::is_current(json, pg_stores, ds).await {
            Ok(true) => Resynced::Level {
                rows: copied.rows(),
            },
            _ => Resynced::StillBehind {
                detail: "JSON changed while it was compared".into(),
            },
        },
        Ok(r) => Resynced::StillBehind {
            detail: format!(
                "{} missing, {} extra, {} differing",
                r.missing(),
                r.extra(),
                r.differing()
            ),
        },
        Err(e) => Resynced::Failed {
            error: e.to_string(),
        },
    }
}
